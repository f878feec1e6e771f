"""Shared fixtures: the real embedded Lean runtime, installed once (idempotent)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from prover.lean.runtime import install
from prover.lean.verifier import Verifier
from prover.settings import LeanSettings

BACKENDS = ["wasm", "native"]


def _settings(backend: str) -> LeanSettings:
    if backend == "native" and shutil.which("lean") is None:
        pytest.skip("native backend: no `lean` binary on PATH (install a toolchain with elan)")
    settings = LeanSettings(backend=backend, processes=2)  # type: ignore[arg-type]
    if backend == "wasm":
        install(settings.cache_dir, log=lambda _: None)
    return settings


@pytest.fixture(scope="session", params=BACKENDS)
def verifier(request: pytest.FixtureRequest) -> Iterator[Verifier]:
    """A verifier per backend, shared by the whole session (start-up is expensive)."""
    with Verifier(_settings(request.param)) as v:
        yield v


@pytest.fixture(scope="session")
def settings_for() -> object:
    return _settings

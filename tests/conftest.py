"""Shared fixtures: the real embedded Lean runtime, installed once (idempotent)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import pytest

from prover.lean.runtime import install
from prover.lean.verifier import ReplVerifier
from prover.queue.connect import Redis
from prover.queue.keys import Keys
from prover.settings import LeanSettings, RedisSettings
from tests.apiserver import REDIS_URL, redis_prefix

BACKENDS = ["wasm", "native"]


def _settings(backend: str) -> LeanSettings:
    if backend == "native" and shutil.which("lean") is None:
        pytest.skip("native backend: no `lean` binary on PATH (install a toolchain with elan)")
    settings = LeanSettings(backend=backend, processes=2)  # type: ignore[arg-type]
    if backend == "wasm":
        install(settings.cache_dir, log=lambda _: None)
    return settings


@pytest.fixture(scope="session", params=BACKENDS)
def verifier(request: pytest.FixtureRequest) -> Iterator[ReplVerifier]:
    """A verifier per backend, shared by the whole session (start-up is expensive)."""
    with ReplVerifier(_settings(request.param)) as v:
        yield v


@pytest.fixture(scope="session")
def settings_for() -> object:
    return _settings


@pytest.fixture
def redis_keys() -> Iterator[tuple[Redis, Keys]]:
    """The real Redis, under a key prefix of this test's own; its keys are removed after."""
    with redis_prefix() as env:
        yield env


@pytest.fixture
def redis_settings() -> Callable[..., RedisSettings]:
    """Settings for the test's Redis, with short claim times so reclaims happen fast."""

    def make(keys: Keys, **overrides: object) -> RedisSettings:
        fields: dict[str, object] = {"url": REDIS_URL, "prefix": keys.prefix}
        fields |= {"claim_idle_s": 3.0, "linger_s": 0.2, "poll_s": 0.05} | overrides
        return RedisSettings(**fields)  # type: ignore[arg-type]

    return make

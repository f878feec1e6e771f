"""Verifier backends by name (``PROVER_LEAN_BACKEND``). Each is imported only when
chosen, so the Lean REPL code never imports LeanDojo's and the other way round."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from prover.core.verifier import Verifier
from prover.settings import LeanSettings

# name -> "module:callable" taking the Lean settings and returning a Verifier.
BACKENDS: dict[str, str] = {
    "wasm": "prover.lean.verifier:ReplVerifier",
    "native": "prover.lean.verifier:ReplVerifier",
    "dojo": "prover.dojo.backend:dojo_verifier",
}


def make_verifier(settings: LeanSettings) -> Verifier:
    """The verifier the settings name."""
    target = BACKENDS.get(settings.backend)
    if target is None:
        raise ValueError(
            f"unknown verifier backend {settings.backend!r}; one of {sorted(BACKENDS)}"
        )
    module, _, name = target.partition(":")
    factory = cast(
        Callable[[LeanSettings], Verifier], getattr(importlib.import_module(module), name)
    )
    return factory(settings)

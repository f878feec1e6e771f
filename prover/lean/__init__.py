"""Lean verification: theorems, attempts, verdicts and the backends that judge them."""

from prover.lean.theorem import Attempt, InputError, Theorem
from prover.lean.verdicts import (
    Crashed,
    Failed,
    Goal,
    Open,
    Proved,
    Rejected,
    Timeout,
    Verdict,
)

__all__ = [
    "Attempt",
    "Crashed",
    "Failed",
    "Goal",
    "InputError",
    "Open",
    "Proved",
    "Rejected",
    "Theorem",
    "Timeout",
    "Verdict",
]

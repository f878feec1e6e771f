"""Lean verification: theorems, attempts, verdicts and the backends that judge them."""

from prover.core.theorem import Attempt, InputError, Theorem
from prover.core.verdicts import (
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

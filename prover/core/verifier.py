"""The verifier contract: Lean's verdict on attempts, whatever runs Lean."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from prover.core.theorem import Attempt
from prover.core.verdicts import Verdict


class Verifier(Protocol):
    """Checks attempts: one verdict per attempt, in order. ``proved`` only on Lean's
    positive evidence (docs/trust.md). Backends are chosen by name in
    :mod:`prover.verifiers`."""

    @property
    def capacity(self) -> int:
        """Attempts worth checking at once (a verifier worker runs this many lanes)."""
        ...

    def prewarm(self) -> None:
        """Start what a first check would wait for (Lean processes, imports)."""
        ...

    def check(self, attempts: list[Attempt]) -> list[Verdict]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...

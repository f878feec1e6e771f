"""The generator protocol, and the post-processing every backend's output goes through."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from prover.core.screen import Part, screen

MAX_TACTIC_CHARS = 400


@dataclass(frozen=True, order=True)
class Proposal:
    """One tactic for a state, with its score: a log-probability (higher is better)."""

    score: float
    tactic: str


class Generator(Protocol):
    """Proposes up to ``n`` tactics for a proof state printed as Lean prints goals."""

    name: str

    def propose(self, state: str, n: int) -> list[Proposal]: ...


def clean_tactics(
    proposals: Iterable[Proposal], n: int, max_chars: int = MAX_TACTIC_CHARS
) -> list[Proposal]:
    """Strip, drop empty, over-long, multi-line or screened tactics, de-duplicate (keeping
    the best score), and return the best ``n``.

    A tactic reaches Lean as one line of a tactic block, so a newline (which could start
    a new command) is never let through.
    """
    best: dict[str, Proposal] = {}
    for proposal in proposals:
        tactic = proposal.tactic.strip()
        if not tactic or "\n" in tactic or "\r" in tactic or len(tactic) > max_chars:
            continue
        if screen(f"by {tactic}", Part.PROOF) is not None:
            continue
        if tactic not in best or best[tactic].score < proposal.score:
            best[tactic] = Proposal(proposal.score, tactic)
    return sorted(best.values(), reverse=True)[:n]

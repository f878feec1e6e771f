"""The generator protocol, and the post-processing every backend's output goes through."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from prover.core.records import Proposal
from prover.core.screen import Part, screen

MAX_TACTIC_CHARS = 400


class Generator(Protocol):
    """Proposes up to ``n`` tactics for a proof state printed as Lean prints goals, best
    first; ``propose_batch`` does it for many states in one call (one model batch, one
    round of requests), as search asks for every node it expands in a pass at once."""

    name: str

    def propose(self, state: str, n: int) -> list[Proposal]: ...

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]: ...


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

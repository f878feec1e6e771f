"""The symbolic proposer on states exactly as Lean prints them, judged by Lean."""

from __future__ import annotations

import pytest

from prover.core.theorem import Attempt, Theorem
from prover.core.verdicts import Open
from prover.generate import SymbolicProposer
from prover.lean.verifier import ReplVerifier

pytestmark = pytest.mark.lean


def test_symbolic_proposals_on_leans_own_state(verifier: ReplVerifier) -> None:
    theorem = Theorem.parse("theorem s1 (n : Nat) (h : n > 0) : n ≠ 0 ∧ 0 + n = n")
    (start,) = verifier.check([Attempt.steps(theorem, [])])
    assert isinstance(start, Open)
    proposals = SymbolicProposer().propose(start.pretty(), 24)
    tactics = [p.tactic for p in proposals]
    assert {"constructor", "induction n", "omega"} <= set(tactics)
    verdicts = verifier.check([Attempt.steps(theorem, [t]) for t in tactics])
    by_tactic = {t: v.status for t, v in zip(tactics, verdicts, strict=True)}
    assert by_tactic["omega"] == "proved"
    assert by_tactic["constructor"] == "open"
    assert "rejected" not in by_tactic.values()

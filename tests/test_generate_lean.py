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


def _proved_by(
    verifier: ReplVerifier, theorem: Theorem, prefix: list[str], family: str
) -> list[str]:
    """The symbolic proposals of ``family`` for the state after ``prefix``, by Lean's verdict."""
    (state,) = verifier.check([Attempt.steps(theorem, prefix)])
    assert isinstance(state, Open)
    proposed = [p.tactic for p in SymbolicProposer().propose(state.pretty(), 64)]
    mine = [t for t in proposed if t.startswith(family)]
    assert mine, (family, proposed)
    verdicts = verifier.check([Attempt.steps(theorem, [*prefix, t]) for t in mine])
    return [f"{v.status}: {t}" for t, v in zip(mine, verdicts, strict=True)]


def test_competition_families_on_leans_own_states(verifier: ReplVerifier) -> None:
    """A residue split, bounds (from a power, a sum, a product) then an enumeration, and a
    one-sided product bound: each
    proposed for the state Lean prints, and Lean proves the goal with it."""
    residues = Theorem.parse("theorem r1 (n : Nat) : n * n % 3 = 0 ∨ n * n % 3 = 1")
    assert any(v.startswith("proved") for v in _proved_by(verifier, residues, [], "rcases (by"))
    square = Theorem.parse("theorem r2 (n : Nat) (h : n * n = 49) : n = 7")
    (bound,) = _proved_by(verifier, square, [], "have hn : n ≤ 7")
    assert bound.startswith("open")
    bound_tactic = bound.removeprefix("open: ")
    enumerated = _proved_by(verifier, square, [bound_tactic], "rcases n with")
    assert any(v.startswith("proved") for v in enumerated)
    for statement, bound_by in (
        ("theorem r4 (a b : Nat) (h : a + b = 10) : a * b ≤ 25", "have ha : a ≤ 10"),
        ("theorem r5 (a b : Nat) (h : a * b = 7) (ha : 1 < a) : a = 7", "have ha : a ≤ 7"),
        ("theorem r6 (a b : Nat) (h : b * a = 6) : a ≠ 4", "have ha : a ≤ 6"),
    ):
        (bound,) = _proved_by(verifier, Theorem.parse(statement), [], bound_by)
        assert bound.startswith("open"), bound
        after = [bound.removeprefix("open: ")]
        enumerated = _proved_by(verifier, Theorem.parse(statement), after, "rcases a with")
        assert any(v.startswith("proved") for v in enumerated)
    product = Theorem.parse("theorem r3 (n : Nat) (h : 3 ≤ n) : 2 * n + 1 < n * n")
    one_sided = _proved_by(verifier, product, [], "have := Nat.mul_le_mul_right")
    assert any(v.startswith("proved") for v in one_sided)


def test_power_cycles_and_known_residues_on_leans_own_states(verifier: ReplVerifier) -> None:
    """``b ^ n`` modulo ``m`` followed through its cycle by induction, and a target reduced
    with the residues the hypotheses give (a modulus too large to split on): each proposed
    for the state Lean prints, and Lean proves the goal with it."""
    cycle = Theorem.parse("theorem c1 (n : Nat) (h : 13 ∣ 3 ^ n - 1) : 3 ∣ n")
    assert any(v.startswith("proved") for v in _proved_by(verifier, cycle, [], "have hc"))
    known = Theorem.parse("theorem c2 (x : Int) (h : x % 23 = 5) : (x ^ 2 + 1) % 23 = 3")
    assert any(v.startswith("proved") for v in _proved_by(verifier, known, [], "simp [Int."))

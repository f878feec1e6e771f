"""Search steps from kept proof states: one tactic from the parent's state gives the
verdict the whole tactic prefix gives, and a step never decides ``proved`` alone."""

from __future__ import annotations

import pytest

from prover.core.theorem import Attempt, Theorem
from prover.core.verdicts import Open, Proved, Rejected, Verdict
from prover.lean.judge import judge
from prover.lean.verifier import ReplVerifier

THEOREM = Theorem.parse("theorem t (a b : Nat) [NeZero a] (h : a < b) : a + b = b + a")
PREFIXES: list[tuple[str, ...]] = [
    (),
    ("induction a",),
    ("induction a", "simp"),
    ("induction a", "all_goals omega"),
    ("constructor",),
    ("exact foo",),
    ("simp at h\nomega",),
    ("cases a", "rfl"),
    ("intro x",),
    ("rw [Nat.add_comm]",),
    ("match a with\n| 0 => simp\n| k + 1 => omega",),  # an auxiliary `match` definition
    ("exact foo\nomega",),  # two lines, two tactics
    ("simp at h; omega -- a comment",),
]
# A dotted name's prefix is a namespace: `succ` is `Nat.succ` here.
DOTTED = Theorem.parse("theorem Nat.t2 (n : Nat) : succ n ≠ 0")


def _whole(verifier: ReplVerifier, attempt: Attempt) -> Verdict:
    """The verdict on the tactic prefix elaborated whole, as without kept states."""
    repl = verifier.pool.acquire(())
    try:
        return judge(attempt, verifier._whole(repl, attempt, 200000), 20.0)
    finally:
        verifier.pool.release(repl)


def _key(verdict: Verdict) -> tuple[str, str]:
    return verdict.status, verdict.pretty() if isinstance(verdict, Open) else ""


@pytest.mark.lean
def test_a_step_from_a_kept_state_agrees_with_the_whole_prefix(verifier: ReplVerifier) -> None:
    cases = [(THEOREM, t) for t in PREFIXES] + [(DOTTED, ("exact succ_ne_zero n",)), (DOTTED, ())]
    for theorem, tactics in cases:
        attempt = Attempt.steps(theorem, tactics)
        stepped = verifier.check_one(attempt)
        assert _key(stepped) == _key(_whole(verifier, attempt)), tactics
    kept = [r.states for rs in verifier.pool._idle.values() for r in rs]
    assert any((THEOREM.preamble, THEOREM.statement, ("induction a",)) in s for s in kept)


@pytest.mark.lean
def test_a_step_that_closes_every_goal_is_judged_by_the_whole_check(
    verifier: ReplVerifier,
) -> None:
    """Closing the goals from a kept state is not ``proved``: the whole proof is checked,
    with every rule (here a forbidden constant the step cites)."""
    cited = Theorem.parse(THEOREM.statement, forbidden=("Nat.add_comm",))
    verdict = verifier.check_one(Attempt.steps(cited, ("exact Nat.add_comm a b",)))
    assert isinstance(verdict, Rejected) and verdict.construct == "Nat.add_comm"
    assert isinstance(verifier.check_one(Attempt.steps(THEOREM, ("omega",))), Proved)


@pytest.mark.lean
def test_a_state_the_process_lost_is_rebuilt_from_the_goal(verifier: ReplVerifier) -> None:
    first = verifier.check_one(Attempt.steps(THEOREM, ("induction a",)))
    for repls in verifier.pool._idle.values():
        for repl in repls:  # Lean forgets its states; the Python side still lists them
            repl._forgotten = list(repl.states.values())
    second = verifier.check_one(Attempt.steps(THEOREM, ("induction a", "simp")))
    assert isinstance(first, Open) and isinstance(second, Open)
    assert _key(second) == _key(_whole(verifier, Attempt.steps(THEOREM, ("induction a", "simp"))))

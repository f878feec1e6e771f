"""The REPL protocol itself: isolation between attempts is structural, and only a
well-formed answer with the process's nonce can ever become a verdict."""

from __future__ import annotations

import pytest

from prover.core.theorem import Attempt, Theorem
from prover.core.verdicts import Crashed, Proved, Rejected
from prover.lean.judge import judge
from prover.lean.verifier import ReplVerifier

STATEMENT = "theorem t (a b : Nat) : a + b = b + a"
THEOREM = Theorem.parse(STATEMENT)


def _raw(verifier: ReplVerifier, proofs: list[str], preamble: str = "") -> list[dict[str, object]]:
    """Answers straight from one REPL, the screen bypassed: what Lean alone decides."""
    repl = verifier.pool.acquire(())
    try:
        return [repl.check("t", STATEMENT, proof, preamble, 200000, 20.0, 8192) for proof in proofs]
    finally:
        verifier.pool.release(repl)


@pytest.mark.lean
def test_an_attempt_is_exactly_one_theorem(verifier: ReplVerifier) -> None:
    """Any command after the theorem is refused by Lean's own parser, naming it."""
    tails = {
        "attribute [simp] Nat.add_comm": "attribute",
        "instance : Inhabited Nat := ⟨5⟩": "declaration",
        "set_option maxHeartbeats 0": "set_option",
        'notation "cheat" => sorry': "notation",
        "end": "end",
        "#exit": "exit",
        "namespace X": "namespace",
    }
    answers = _raw(verifier, [f"by omega\n{tail}" for tail in tails])
    for (tail, kind), answer in zip(tails.items(), answers, strict=True):
        assert answer["stage"] == "shape", (tail, answer)
        assert kind in str(answer["construct"]), (tail, answer)


@pytest.mark.lean
def test_nothing_of_one_attempt_reaches_the_next(verifier: ReplVerifier) -> None:
    """Global effects inside a declaration (a `where` helper, a reused name) stay in it."""
    first, again, cites = _raw(
        verifier,
        [
            "by omega\nwhere helper : (2 : Nat) + 2 = 5 := sorry",
            "by omega",
            "by exact helper",  # the helper of the attempt before is gone
        ],
    )
    assert first["stage"] == "elab" and first["axioms"] == []  # the proof does not use it
    assert again["stage"] == "elab" and again["messages"] == [] and again["axioms"] == []
    assert any(m["severity"] == "error" for m in cites["messages"])  # type: ignore[union-attr]


@pytest.mark.lean
def test_a_preamble_is_the_base_of_its_own_attempts_only(verifier: ReplVerifier) -> None:
    """A preamble's instance changes what its attempts mean; attempts without it see none."""
    preamble = "instance (priority := high) weird : Add Nat := ⟨fun _ _ => 0⟩"
    false = Theorem.parse("theorem w : (2 : Nat) + 2 = 0", preamble)
    plain = Theorem.parse("theorem w : (2 : Nat) + 2 = 0")
    with_it, without_it, again = verifier.check(
        [
            Attempt.whole(false, "by decide"),
            Attempt.whole(plain, "by decide"),
            Attempt.whole(false, "by decide"),
        ]
    )
    assert with_it.status == again.status  # the same base, kept: the same verdict
    assert without_it.status == "failed", without_it


@pytest.mark.lean
def test_the_statement_is_elaborated_alone(verifier: ReplVerifier) -> None:
    """A statement that does not elaborate fails before any proof is looked at."""
    (answer,) = _raw(verifier, ["by omega"], preamble="def t := 5")
    assert answer["stage"] == "statement", answer


def test_only_a_complete_report_is_proved() -> None:
    """A missing or malformed part of the answer is `crashed`, never `proved`."""
    attempt = Attempt.whole(THEOREM, "by omega")
    full = {
        "stage": "elab",
        "messages": [],
        "kind": "thm",
        "same_type": True,
        "locals": ["t"],
        "axioms": [],
        "local_axioms": [],
        "unknown": [],
        "cited": [],
        "ms": 5,
    }
    assert isinstance(judge(attempt, full, 20.0), Proved)
    for key in ("locals", "axioms", "local_axioms", "unknown", "cited"):
        broken = {k: v for k, v in full.items() if k != key}
        assert isinstance(judge(attempt, broken, 20.0), Crashed), key
    assert isinstance(judge(attempt, {**full, "stage": "other"}, 20.0), Crashed)
    assert judge(attempt, {**full, "same_type": False}, 20.0).status == "rejected"
    assert judge(attempt, {**full, "kind": "other"}, 20.0).status == "rejected"
    assert judge(attempt, {**full, "axioms": ["sorryAx"]}, 20.0).status == "rejected"


@pytest.mark.parametrize(
    ("proof", "status"),
    [
        ("Nat.add_comm a b", "rejected"),
        ("by rw [Nat.add_comm]", "rejected"),
        ("by simp [Nat.add_comm]", "rejected"),
        ("by\n  have h := @Nat.add_comm\n  exact h a b", "rejected"),
        ("helper\nwhere helper : a + b = b + a := Nat.add_comm a b", "rejected"),
        ("by omega", "proved"),
    ],
)
def test_forbidden_constants_are_caught_in_the_proof_term(
    verifier: ReplVerifier, proof: str, status: str
) -> None:
    """Re-proving a library lemma: citing it, directly, through a tactic or through a
    helper, is `rejected` naming it; a proof that does not use it is proved."""
    theorem = Theorem.parse(
        "theorem my_add_comm (a b : Nat) : a + b = b + a",
        forbidden=("Nat.add_comm", "Nat.add_comm_eq"),
    )
    (verdict,) = verifier.check([Attempt.whole(theorem, proof)])
    assert verdict.status == status, verdict
    if status == "rejected":
        assert isinstance(verdict, Rejected) and verdict.construct == "Nat.add_comm"

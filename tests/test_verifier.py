"""Lean's verdicts through the real runtime: proofs accepted, cheats refused."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from prover.core.theorem import Attempt, Theorem
from prover.core.verdicts import Crashed, Failed, Open, Proved, Timeout, Verdict
from prover.lean.pool import NO_IMPORTS
from prover.lean.verifier import ReplVerifier
from prover.settings import LeanSettings

pytestmark = pytest.mark.lean

F_PREAMBLE = "noncomputable section\ndef f (n : Nat) : Nat := n + 1\nend"

LEGIT: list[tuple[str, str, str]] = [
    ("theorem l1 (a b : Nat) : a + b = b + a", "", "by omega"),
    ("theorem l2 (p q : Prop) (hp : p) (hq : q) : p ∧ q", "", "⟨hp, hq⟩"),
    ("theorem l3 : (7 : Nat) ∣ 21", "", "by decide"),
    ("theorem l4 (p : Prop) : p ∨ ¬p", "", "Classical.em p"),
    (
        "theorem l5 (n : Nat) : n + 0 = n",
        "",
        "helper n\nwhere helper (k : Nat) : k + 0 = k := by simp",
    ),
    (
        "theorem l6 (n : Nat) : 0 + n = n",
        "",
        "by\n  induction n with\n  | zero => rfl\n  | succ k ih =>\n    rw [Nat.add_succ, ih]",
    ),
    ("theorem l7 : f 2 = 3", F_PREAMBLE, "by decide"),
    ("theorem l8 : f 2 = 3", F_PREAMBLE, "by simp [f]"),
    ("theorem l9 (xs : List Nat) : (xs ++ []).length = xs.length", "", "by simp"),
    ("theorem l10 (n : Nat) (h : n > 5) : n ≠ 3", "", "by grind"),
    ("theorem l11 (a : Nat) : a * 1 = a", "", "Nat.mul_one a"),
    ("theorem l13 (a b : Nat)\n    (h : a ≤ b) :\n    a < b + 1", "", "by omega"),
    (
        "theorem l12 (p : Prop) [Decidable p] : p ∨ ¬p",
        "",
        "by\n  by_cases h : p\n  · exact Or.inl h\n  · exact Or.inr h",
    ),
    # Look-alikes of the cheats below: literals, `open ... in` inside a term, quoted names.
    ("theorem l14 (c : Char) (h : c = '\"') : c = '\"'", "", "h"),
    ('theorem l15 (s : String) (h : s = r"a\\") : s = r"a\\"', "", "h"),
    ("theorem l16 (n : Nat) : n + 0 = n", "", "open Nat in by simp"),
    ("theorem «l17 x» : True", "", "trivial"),
    ('theorem l18 (n : Nat) : s!"{n}" = toString n', "", "rfl"),
]

FALSE = "theorem c_false : (2 : Nat) + 2 = 5"
# Each cheat: statement, preamble, proof. None may ever come back proved.
CHEATS: list[tuple[str, str, str]] = [
    (FALSE, "", "by sorry"),
    (FALSE, "", "by admit"),
    (FALSE, "", "sorry"),
    (FALSE, "", "by exact sorryAx _ false"),
    (FALSE, "", "by exact (Classical.choice ⟨sorryAx _ true⟩)"),
    (FALSE, 'notation "cheat" => sorryAx _ false', "cheat"),
    (FALSE, "axiom bad : False", "bad.elim"),
    (FALSE, "", "by native_decide"),
    (FALSE, "", "by decide +native"),
    ("theorem c_native : 10 + 10 = 20", "", "by decide +native"),
    (FALSE, "", "by exact Lean.ofReduceBool _ _ rfl"),
    (FALSE, "@[implemented_by id] def g (n : Nat) : Nat := n", "by decide"),
    (FALSE, '@[extern "lean_nat_add"] opaque h : Nat → Nat', "by decide"),
    (FALSE, "", "by set_option debug.skipKernelTC true in decide"),
    (FALSE, "", "by omega\n#exit"),
    (FALSE, "", "by omega /- swallow the rest"),
    (FALSE, "", "by omega\nend ProverAttempt0\ntheorem c_false : True := trivial"),
    (FALSE, "", "by decide\ntheorem other : True := trivial"),
    (FALSE, "", "by exact (rfl : 1 = 1)"),
    (FALSE, "", "by decide"),
    (FALSE, "", "by simp_all"),
    (FALSE, "", "by exact?"),
    (FALSE, "", "by run_tac pure ()"),
    (FALSE, "", "by omega\nimport Mathlib"),
    (FALSE, "", "«sorry»"),
    (FALSE, "theorem helper : (2 : Nat) + 2 = 5 := by simp", "helper"),
    (FALSE, "unsafe def u : Nat := 0", "by decide"),
    (FALSE, "", "by set_option maxHeartbeats 0 in decide"),
    (FALSE, "", "by exact ProverCheck.str"),
    (FALSE, "", "by simp [show False from sorryAx False]"),
    (FALSE, 'macro "cheat" : tactic => `(tactic| sorry)', "by cheat"),
    (FALSE, "", "by omega -- fine\n#print axioms c_false"),
    (FALSE, "", "by decide\ndecreasing_by sorry"),
    (FALSE, "opaque bad : False", "bad.elim"),
    (FALSE, "", "by exact (by_elab pure (Lean.mkConst ``True.intro))"),
    # Classes an adversarial review found against batch files: a `where` helper named like
    # a constant, commands hidden after char and raw-string literals or interpolations, an
    # `open ... in` swallowing what follows.
    (FALSE, "", "by decide\nwhere False : Prop := True"),
    (FALSE, "", "by\n  let c := '\"'\n  omega\ntheorem c_false : True := trivial"),
    (FALSE, "", 'by\n  let s := r"\\"\n  omega\ninstance : HAdd Nat Nat Nat := ⟨fun _ _ => 5⟩'),
    (FALSE, "", 'by\n  let s := s!"{1}"\n  exact (by_elab pure (Lean.mkConst ``True.intro))'),
    (FALSE, "", 'by\n  let s := s!"{(1 : Nat)}"\n  decide\n#eval s!"{1}"'),
    (FALSE, "", "by decide\nopen Nat in"),
    (FALSE, "", "by decide\nopen Nat in\ntheorem c_false : True := trivial"),
]


def _attempts(rows: list[tuple[str, str, str]]) -> list[Attempt]:
    return [Attempt.whole(Theorem.parse(s, p), proof) for s, p, proof in rows]


def _show(rows: list[tuple[str, str, str]], verdicts: list[Verdict]) -> str:
    return "\n".join(f"{r[2]!r}: {v}" for r, v in zip(rows, verdicts, strict=True))


def test_legitimate_proofs_are_proved(verifier: ReplVerifier) -> None:
    verdicts = verifier.check(_attempts(LEGIT))
    assert all(isinstance(v, Proved) for v in verdicts), _show(LEGIT, verdicts)
    assert all(set(v.axioms) <= {"propext", "Classical.choice", "Quot.sound"} for v in verdicts)  # type: ignore[union-attr]


def test_no_cheat_is_ever_proved(verifier: ReplVerifier) -> None:
    assert len(CHEATS) >= 25
    verdicts = verifier.check(_attempts(CHEATS))
    proved = [(r, v) for r, v in zip(CHEATS, verdicts, strict=True) if v.status == "proved"]
    assert not proved, proved
    assert all(v.status in ("rejected", "failed") for v in verdicts), _show(CHEATS, verdicts)
    reasons = {r[2]: v for r, v in zip(CHEATS, verdicts, strict=True)}
    assert reasons["by exact sorryAx _ false"].status == "rejected"
    assert reasons["by decide +native"].status == "rejected"


def test_cheat_cannot_change_a_neighbours_verdict(verifier: ReplVerifier) -> None:
    """A failed sibling is not a lemma, and a stray `end` or comment swallows nothing."""
    rows = [
        ("theorem n1 (a b : Nat) : a + b = b + a", "", "by omega"),
        (FALSE, "", "by simp_all"),
        (FALSE, "", "by exact?"),
        ("theorem n2 (a : Nat) : a + 0 = a", "", "by simp /- open"),
        ("theorem n3 (a : Nat) : a + 0 = a", "", "by simp"),
        ("theorem n4 (a : Nat) : a * 0 = 0", "", "by simp\nend ProverAttempt4"),
        ("theorem n5 (a : Nat) : a * 0 = 0", "", "by simp"),
    ]
    statuses = [v.status for v in verifier.check(_attempts(rows))]
    assert statuses == ["proved", "failed", "failed", "rejected", "proved", "rejected", "proved"]


def test_verdicts_together_equal_verdicts_alone(verifier: ReplVerifier) -> None:
    """Random mixes of cheats and legitimate proofs, checked at once on every REPL, get
    exactly the verdicts each gets alone."""
    rng = random.Random(11)
    rows = LEGIT + CHEATS
    alone = {r: verifier.check(_attempts([r]))[0].status for r in rows}
    for _ in range(4):
        mix = rng.sample(rows, 12)
        together = [v.status for v in verifier.check(_attempts(mix))]
        assert together == [alone[r] for r in mix], _show(mix, verifier.check(_attempts(mix)))


def test_prefix_gives_the_open_goals(verifier: ReplVerifier) -> None:
    theorem = Theorem.parse("theorem p1 (n : Nat) : 0 + n = n")
    unknown = Theorem.parse("theorem p2 : no_such_constant = 1")
    step, done, broken, bad_statement = verifier.check(
        [
            Attempt.steps(theorem, ["induction n"]),
            Attempt.steps(theorem, ["induction n", "all_goals simp"]),
            Attempt.steps(theorem, ["intro x"]),
            Attempt.whole(unknown, "rfl"),
        ]
    )
    assert isinstance(step, Open)
    assert [g.case for g in step.goals] == ["zero", "succ"]
    assert step.goals[0].target == "0 + 0 = 0"
    assert any("0 + n✝ = n✝" in h for h in step.goals[1].hypotheses)
    assert isinstance(done, Proved)
    assert isinstance(broken, Failed) and broken.position is not None
    assert broken.position.line == 2  # the line of `intro x` in the proof
    assert isinstance(bad_statement, Failed)
    assert bad_statement.message.startswith("in the statement: ")


@contextmanager
def _with(verifier: ReplVerifier, **changes: object) -> Iterator[ReplVerifier]:
    """The shared verifier (its REPLs warm) with some limits changed for one test."""
    saved = verifier.settings
    verifier.settings = saved.model_copy(update=changes)
    try:
        yield verifier
    finally:
        verifier.settings = saved


def test_runaway_tactic_times_out(settings_for: Callable[[str], LeanSettings]) -> None:
    """Lean's heartbeat limit stops a runaway search; the next attempt is fine. (A fresh
    process: a warm one has `exact?`'s index built and fails fast instead.)"""
    limits = {"max_heartbeats": 1000, "processes": 1, "spares": 0}
    hard = Theorem.parse("theorem hard (a b c : Nat) (h : a * b * c = 2023) : a + b + c ≠ 1")
    quick = Theorem.parse("theorem quick (a : Nat) : a + 0 = a")
    with ReplVerifier(settings_for("wasm").model_copy(update=limits)) as verifier:
        slow, fine = verifier.check(
            [Attempt.whole(hard, "by exact?"), Attempt.whole(quick, "by simp")]
        )
    assert slow.status == "timeout", slow
    assert fine.status == "proved", fine


def test_past_the_deadline_the_repl_is_replaced(verifier: ReplVerifier) -> None:
    """No answer within the wall-clock limit: `timeout`, that REPL killed (a search step's
    doing: `took_down`), the next one used."""
    quick = Theorem.parse("theorem quick (a : Nat) : a + 0 = a")
    retired = verifier.pool.retired
    with _with(verifier, attempt_timeout_s=0.001):
        (late,) = verifier.check([Attempt.steps(quick, ["simp"])])
    assert isinstance(late, Timeout) and late.took_down, late
    (again,) = verifier.check([Attempt.whole(quick, "by omega")])
    assert again.status == "proved", again
    assert verifier.pool.retired == retired + 1  # the late REPL was killed, another answered


def test_bad_import_fails_with_leans_message(verifier: ReplVerifier) -> None:
    theorem = Theorem.parse("theorem i1 : True", imports=("Mathlib.NoSuchModule",))
    (verdict,) = verifier.check([Attempt.whole(theorem, "trivial")])
    assert verdict.status == "failed"
    assert "Mathlib" in verdict.message  # type: ignore[union-attr]


def test_memory_watchdog_recycles_the_process(settings_for: Callable[[str], LeanSettings]) -> None:
    """A process above the resident-memory bound is killed; the attempt is `crashed`."""
    limits = {"max_rss_mb": 256, "processes": 1, "spares": 0}
    settings = settings_for("wasm").model_copy(update=limits)
    quick = Theorem.parse("theorem quick (a : Nat) : a + 0 = a")
    with ReplVerifier(settings) as verifier:
        (verdict,) = verifier.check([Attempt.whole(quick, "by simp")])
    assert verdict.status == "crashed", verdict
    assert "over the limit of 256 MB" in verdict.reason  # type: ignore[union-attr]


def test_a_step_that_takes_its_process_down_is_not_tried_again(
    settings_for: Callable[[str], LeanSettings],
) -> None:
    """The Lean process dies while a search step runs (killed from outside, as by the OOM
    killer): `crashed`, marked as the step's doing, and no second process is spent on it."""
    settings = settings_for("wasm").model_copy(update={"processes": 1, "spares": 0})
    theorem = Theorem.parse("theorem slow : True")
    with ReplVerifier(settings) as verifier:
        verifier.prewarm()
        (repl,) = verifier.pool._idle[NO_IMPORTS]  # the one process
        threading.Timer(3.0, repl.kill).start()
        (step,) = verifier.check([Attempt.steps(theorem, ["sleep 60000"])])
        assert verifier.pool.started == 1
        (whole,) = verifier.check([Attempt.whole(theorem, "by trivial")])
    assert isinstance(step, Crashed) and step.took_down, step
    assert whole.status == "proved" and verifier.pool.started == 2

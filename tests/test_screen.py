"""The screen, on its own: what it flags and what it lets through."""

import pytest

from prover.lean.screen import Part, screen, strip_comments

LEGIT_PROOFS = [
    "by omega",
    "by\n  intro n\n  induction n with\n  | zero => rfl\n  | succ k ih => simp",
    "Classical.em p",
    "by exact ⟨hp, hq⟩",
    "by omega -- a comment with sorry in it",
    "by /- nested /- comment -/ sorry -/ omega",
    "open Nat in by simp",
    "by set_option maxRecDepth 2000 in decide",
    "helper n\nwhere helper (k : Nat) : k + 0 = k := by simp",
    'by simp [show "a" = "a" from rfl]',
]

CHEATS = [
    ("by sorry", "sorry"),
    ("by admit", "admit"),
    ("by native_decide", "native_decide"),
    ("by omega\ntheorem x : False := by omega", "theorem"),
    ("by omega\nend ProverAttempt0", "end"),
    ("by omega\n#exit", "#exit"),
    ("by omega /- never closed", "/-"),
    ("by set_option debug.skipKernelTC true in omega", "set_option debug.skipKernelTC"),
    ("by exact Lean.ofReduceBool _ _ rfl", "ofReduceBool"),
    ("by run_tac pure ()", "run_tac"),
    ('by exact "unterminated', '"'),
    ("by omega\nimport Mathlib", "import"),
    ("by exact ProverCheck.str", "ProverCheck"),
]


@pytest.mark.parametrize("proof", LEGIT_PROOFS)
def test_legit_proofs_pass_the_screen(proof: str) -> None:
    assert screen(proof, Part.PROOF) is None


@pytest.mark.parametrize(("proof", "construct"), CHEATS)
def test_cheats_are_named(proof: str, construct: str) -> None:
    finding = screen(proof, Part.PROOF)
    assert finding is not None and finding.construct == construct


def test_preamble_blocks_must_balance() -> None:
    ok = "noncomputable section\ndef f (n : Nat) : Nat := n + 1\nend"
    assert screen(ok, Part.PREAMBLE) is None
    finding = screen("def f := 1\nend", Part.PREAMBLE)
    assert finding is not None and finding.construct == "end"
    assert screen("namespace X\ndef f := 1", Part.PREAMBLE) is not None


def test_preamble_may_not_add_axioms() -> None:
    finding = screen("axiom cheat : False", Part.PREAMBLE)
    assert finding is not None and finding.construct == "axiom"


def test_comments_and_strings_are_blanked() -> None:
    code, problem = strip_comments('a -- sorry\nb /- sorry -/ c "sorry"')
    assert problem is None and "sorry" not in code

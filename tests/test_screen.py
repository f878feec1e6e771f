"""The screen, on its own: what it flags and what it lets through."""

import pytest

from prover.core.screen import Part, screen, screen_attempt, strip_comments
from prover.core.theorem import Attempt, Theorem

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
    # Literals lexed as Lean lexes them: the quote inside a char or raw string ends nothing.
    "by\n  have : '\"'.toNat = 34 := rfl\n  omega",
    "by\n  have : '\\'' = '\\'' := rfl\n  omega",
    'by\n  have : r"a\\" = "a\\\\" := rfl\n  omega',
    'by\n  have : r#"say "hi""# = "say \\"hi\\"" := rfl\n  omega',
    'by\n  have : s!"{(1 : Nat)} and {"x"}" = "1 and x" := rfl\n  omega',
    "by\n  have h' : True := trivial\n  exact h'",
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
    # What a lexer that disagrees with Lean's would have hidden.
    ("by\n  let c := '\"'\n  omega\ntheorem x : False := sorry", "theorem"),
    ('by\n  let s := r"\\"\n  omega\ninstance : Inhabited False := sorry', "instance"),
    ('by\n  let s := r#"x""#\n  omega\n#exit', "#exit"),
    ('by\n  let s := s!"{by_elab pure (Lean.mkConst ``True.intro)}"\n  omega', "by_elab"),
    ('by exact (s!"{#eval 1}")', "#eval"),
    ("by exact _root_.trivial", "_root_"),
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


@pytest.mark.parametrize(
    ("statement", "construct"),
    [
        ("theorem _root_.ProverAttempt1.x : True", "_root_"),
        ("theorem ProverAttempt1.x : True", "ProverAttempt1"),
        ("theorem t : ProverRepl.main = ProverRepl.main", "ProverRepl"),
        ("theorem _hidden : True", "_hidden"),
    ],
)
def test_theorem_names_are_screened(statement: str, construct: str) -> None:
    rejected = screen_attempt(Attempt.whole(Theorem.parse(statement), "trivial"))
    assert rejected is not None and rejected.construct == construct

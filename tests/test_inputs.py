"""Bad input is refused with a clear message before Lean runs."""

import pytest

from prover.core.goals import parse_goals
from prover.core.theorem import Attempt, InputError, Theorem
from prover.lean.files import attempt_from_json, attempts_from_file, theorems_from_file


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("", "statement is empty"),
        ("   \n", "statement is empty"),
        (b"theorem t : \xff = 1", "not valid UTF-8"),
        ("theorem t : True := trivial", "must not contain `:=`"),
        ("def f : Nat", "must look like"),
        ("theorem t (a : Nat)", "no `: type`"),
        ("theorem t : True\x00", "NUL"),
        ("theorem 1t : True", "not a Lean name"),
        ("theorem «a.b» : True", "not a Lean name"),  # a dot inside «» is ambiguous
    ],
)
def test_bad_statements(statement: str | bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Theorem.parse(statement)


def test_oversized_input_is_refused() -> None:
    theorem = Theorem.parse("theorem t : True")
    with pytest.raises(InputError, match="over the limit of 1000"):
        Attempt.whole(theorem, "by " + "skip; " * 1000, limit=1000)


@pytest.mark.parametrize(
    ("statement", "name", "parts"),
    [
        ("theorem «l11» : True", "«l11»", ("l11",)),
        ("theorem «my lemma» (n : Nat) : n = n", "«my lemma»", ("my lemma",)),
        ("theorem Foo.«bar baz».x' : True", "Foo.«bar baz».x'", ("Foo", "bar baz", "x'")),
    ],
)
def test_quoted_names_are_lean_names(statement: str, name: str, parts: tuple[str, ...]) -> None:
    theorem = Theorem.parse(statement)
    assert (theorem.name, theorem.name_parts) == (name, parts)


def test_a_theorem_set_carries_forbidden_constants_per_theorem() -> None:
    source = (
        "def double (n : Nat) : Nat := n + n\n\n"
        "-- forbidden: Nat.add_comm Nat.add_comm_eq\n"
        "theorem a (x y : Nat) : x + y = y + x := by sorry\n\n"
        "theorem b (n : Nat) : double n = 2 * n := by sorry\n"
    )
    a, b = (attempt.theorem for attempt in theorems_from_file(source, 100_000))
    assert a.forbidden == ("Nat.add_comm", "Nat.add_comm_eq") and b.forbidden == ()
    assert "forbidden" not in b.preamble and "double" in b.preamble
    with pytest.raises(InputError, match="not a constant's name"):
        theorems_from_file("-- forbidden: 1x\ntheorem c : True := by sorry\n", 100_000)


def test_trailing_sorry_is_dropped_from_statements() -> None:
    theorem = Theorem.parse("theorem t (n : Nat) : n = n := by sorry")
    assert theorem.name == "t" and theorem.signature == "(n : Nat) : n = n"


def test_file_gives_each_theorem_its_context() -> None:
    source = (
        "noncomputable section\ndef f (n : Nat) : Nat := n + 1\nend\n\n"
        "theorem a : f 1 = 2 := by decide\n\nlemma b : f 2 = 3 := by\n  decide\n"
    )
    first, second = attempts_from_file(source, 10_000)
    assert first.theorem.name == "a" and first.proof == "by decide"
    assert "def f" in second.theorem.preamble and "theorem a" in second.theorem.preamble
    assert second.proof == "by\n  decide"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not a JSON object"),
        ("[1]", "must be a JSON object"),
        ('{"statement": "theorem t : True"}', "`proof` must be a string"),
        ('{"statement": "theorem t : True", "proof": "", "imports": [1]}', "imports"),
    ],
)
def test_bad_batch_lines(line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        attempt_from_json(line, 10_000)


def test_goals_are_parsed_with_cases_and_hypotheses() -> None:
    text = (
        "unsolved goals\ncase zero\n⊢ 0 + 0 = 0\n\ncase succ\nn : Nat\n"
        "ih : n + 0 = n\n⊢ n + 1 + 0 =\n    n + 1"
    )
    zero, succ = parse_goals(text)
    assert zero.case == "zero" and zero.hypotheses == () and zero.target == "0 + 0 = 0"
    assert succ.hypotheses == ("n : Nat", "ih : n + 0 = n")
    assert succ.target == "n + 1 + 0 =\n    n + 1"

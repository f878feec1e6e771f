"""The curriculum: library statements extracted by Lean elaborate on their own, benchmark
statements are left out, the split is seed-stable, and a re-proof citing the original
lemma (or reaching it through an instance) is rejected naming it. Real Lean throughout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prover.cli import main
from prover.core.verifier import Verifier
from prover.curriculum import (
    Config,
    Extraction,
    Item,
    Report,
    extract,
    is_valid,
    select,
    split,
    theorem_set,
    universes_preamble,
    verify,
)
from prover.lean import Attempt, Rejected
from prover.lean.files import theorems_from_file
from prover.settings import LeanSettings

# A few small modules keep Lean's walk short; the statements named here live in them.
SMALL = Config(
    modules=("Init.Data.Nat.Basic", "Init.Data.List.Basic", "Init.Data.Bool"),
    namespaces=("Nat.add_comm", "Nat.add_assoc", "List.length_append", "Bool.and_comm"),
    root=False,
)
# Nat.add_comm with other binder names: the same statement, so it must be left out.
BENCHMARK = b"theorem my_add_comm (a b : Nat) : a + b = b + a := by sorry\n"


@pytest.fixture(scope="module")
def extraction(settings_for: Callable[[str], LeanSettings]) -> Extraction:
    return extract(settings_for("wasm"), SMALL, {"bench": BENCHMARK})


@pytest.fixture(scope="module")
def selected(extraction: Extraction) -> tuple[list[Item], Report]:
    report = Report()
    return select(extraction, SMALL, report), report


@pytest.mark.lean
def test_extracted_statements_elaborate_on_their_own(
    selected: tuple[list[Item], Report], verifier: Verifier
) -> None:
    items, report = selected
    names = {i.original for i in items}
    assert names == {"Nat.add_assoc", "List.length_append", "Bool.and_comm"}
    kept = verify(verifier, items, report)
    assert [i.original for i in kept] == [i.original for i in items]
    length = next(i for i in items if i.original == "List.length_append")
    assert length.name == "curriculum.List.length_append" and length.levels == ("u",)
    assert universes_preamble(items) == "universe u"
    for item in items:
        assert item.forbidden[0] == item.original


@pytest.mark.lean
def test_a_benchmark_statement_is_left_out(
    extraction: Extraction, selected: tuple[list[Item], Report]
) -> None:
    """Nat.add_comm is the benchmark's statement up to binder names."""
    items, report = selected
    assert "CurriculumBench0.my_add_comm" in extraction.bench_keys
    assert report.dropped["in a benchmark"] == ["Nat.add_comm"]
    assert report.counts["dropped: in a benchmark"] == 1
    assert "Nat.add_comm" not in {i.original for i in items}


@pytest.mark.lean
def test_a_reproof_cannot_cite_the_original(
    selected: tuple[list[Item], Report], verifier: Verifier
) -> None:
    """Inside `curriculum.Nat.add_assoc` the name `Nat.add_assoc` is the theorem itself
    (Lean refuses the recursion, after a costly search for a termination argument: not
    run here) and `_root_.` is screened out; `ac_rfl` reaches the original through an
    instance that states it, which is forbidden and named."""
    items, _ = selected
    item = next(i for i in items if i.original == "Nat.add_assoc")
    assert "Nat.instAssociativeHAdd" in item.forbidden
    proofs = ["_root_.Nat.add_assoc n m k", "by ac_rfl", "by omega"]
    root, ac, omega = verifier.check([Attempt.whole(item.theorem(), p) for p in proofs])
    assert isinstance(root, Rejected) and root.construct == "_root_", root
    assert isinstance(ac, Rejected) and ac.construct == "Nat.instAssociativeHAdd", ac
    assert omega.status == "proved", omega


@pytest.mark.lean
def test_the_theorem_set_reads_back_with_forbidden_lines(
    selected: tuple[list[Item], Report],
) -> None:
    items, _ = selected
    read = [a.theorem for a in theorems_from_file(theorem_set(items, "test"), 100_000)]
    assert [t.name for t in read] == [i.name for i in items]
    assert [t.forbidden for t in read] == [i.forbidden for i in items]
    assert all("universe u" in t.preamble for t in read)
    assert [t.signature for t in read] == [i.signature for i in items]


def _item(name: str) -> Item:
    return Item(name, ": True", "M", (), (name,))


def test_the_split_is_seed_stable() -> None:
    items = [_item(f"T.t{k}") for k in range(2000)]
    train, valid = split(items, seed=7, fraction=0.1)
    assert (train, valid) == split(list(items), seed=7, fraction=0.1)
    assert 150 < len(valid) < 250 and len(train) + len(valid) == len(items)
    # A theorem's side depends on the seed and its name only: others leaving moves no one.
    _, valid_half = split(items[::2], seed=7, fraction=0.1)
    assert valid_half == [i for i in valid if i in items[::2]]
    _, other = split(items, seed=8, fraction=0.1)
    assert other != valid
    assert is_valid("T.t1", 7, 1.0) and not is_valid("T.t1", 7, 0.0)


def test_bad_options_get_a_message(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["curriculum", "core", str(tmp_path / "out.txt")]) == 2
    assert "OUT must end in .lean" in capsys.readouterr().err
    missing = tmp_path / "missing.lean"
    args = ["curriculum", "core", str(tmp_path / "c.lean"), "--exclude", str(missing)]
    assert main(args) == 2
    assert "cannot read the theorem set to exclude" in capsys.readouterr().err
    assert main(["curriculum", "core", str(tmp_path / "c.lean"), "--namespaces", "1x"]) == 2
    assert "not a Lean name" in capsys.readouterr().err

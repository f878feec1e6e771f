"""The learned value: its features, fitting on the export's ``value`` view, its file, and
a value model that cannot be read stopping a start with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.cli import main
from prover.core.records import Node
from prover.core.theorem import Theorem
from prover.data import DirectorySource, export
from prover.generate.select import JobGenerators
from prover.lean.files import subset
from prover.settings import GeneratorSettings
from prover.train import fit_value, load_rows
from prover.value import VALUE_FILE, ValueModel, ValueModelError, features, fit
from tests.test_export import all_rows, corpus, flat, state, write_feedback

MOD = "n : Nat\nh₀ : n % 3 = 2\n⊢ n % 3 ≠ 0"
LIST = "xs : List Nat\nh : xs ≠ []\n⊢ xs.length = xs.reverse.length + 1"


def test_features_fold_local_names_so_they_carry_over() -> None:
    renamed = MOD.replace("n", "k").replace("h₀", "hk")
    assert features(MOD) == features(renamed)
    assert {"goals=1", "hyps=2", "t:%", "t:<local> %", "h:Nat"} <= set(features(MOD))
    two_goals = "case a\nn : Nat\n⊢ n = n\n\ncase b\nn : Nat\n⊢ 0 < n + 1"
    assert "goals=2" in features(two_goals)


def test_a_fitted_model_ranks_like_its_data_and_survives_its_file(tmp_path: Path) -> None:
    rows = [(MOD, True), (LIST, False)] * 10 + [(MOD.replace("≠ 0", "= 2"), True)]
    model, report = fit(rows)
    assert report.rows == 21 and report.solved == 11 and report.accuracy == 1.0
    assert model.log_solvable(MOD) > model.log_solvable(LIST)
    assert all(-20.0 <= model.log_solvable(s) <= 0.0 for s, _ in rows)
    model.save(tmp_path / VALUE_FILE)
    again = ValueModel.load(tmp_path)  # a model directory holding value.json
    assert again.log_solvable(LIST) == model.log_solvable(LIST)


def test_a_node_keeps_its_value_through_its_json() -> None:
    node = Node(3, 1, ("omega",), MOD, -1.5, -0.5)
    assert Node.from_json(node.to_json()) == node
    older = json.dumps({"id": 3, "parent": 1, "tactics": ["omega"], "state": MOD, "score": -1.0})
    assert Node.from_json(older).value == 0.0  # stored before values existed


def test_a_seed_stable_subset_grows_by_keeping_the_smaller_one() -> None:
    theorems = [Theorem(f"t{k}", ": True") for k in range(20)]
    five, ten = subset(theorems, 5, 0), subset(theorems, 10, 0)
    assert len(five) == 5 and set(five) <= set(ten) and subset(theorems, 5, 0) == five
    assert subset(theorems, 0, 0) == theorems and subset(theorems, 5, 1) != five


def test_fitting_needs_both_kinds_of_state() -> None:
    with pytest.raises(ValueModelError, match="solved and unsolved"):
        fit([(MOD, True), (LIST, True)])
    with pytest.raises(ValueModelError):
        fit([])


def test_the_value_view_labels_each_tried_state_once(tmp_path: Path) -> None:
    export(DirectorySource(write_feedback(tmp_path / "fb", corpus())), tmp_path / "out",
           views=["value"])  # fmt: skip
    rows = flat(all_rows(tmp_path / "out", "value"))
    mine = {(r["job"], r["state"]): r["solved"] for r in rows if not r["job"].startswith("M")}
    assert mine == {
        ("A", state("ta")): True,  # `induction n` on the proof
        ("A", state("ta", ("induction n",))): True,  # `simp` proved it
        ("A2", state("ta")): True,
        ("B", state("tb")): True,
        ("C", state("tc")): False,  # `intro h` open, `omega` failed, no proof
    }
    # A2 reached A's start too: a row each, as how often a state was solved is learned.
    assert sum(1 for r in rows if r["job"].startswith("M")) == 40 and len(rows) == 45


def test_training_fits_the_value_beside_the_model(tmp_path: Path) -> None:
    export(DirectorySource(write_feedback(tmp_path / "fb", corpus())), tmp_path / "data",
           views=["sft", "value"], ratios=(1.0, 0.0, 0.0))  # fmt: skip
    rows = load_rows(tmp_path / "data", "value", "train")
    report = fit_value(rows, tmp_path, seed=0, log=lambda _: None)
    assert report is not None and report.rows == 45 and report.solved == 44
    model = ValueModel.load(tmp_path / VALUE_FILE)
    assert model.log_solvable(state("tc")) < model.log_solvable(state("ta"))
    solved = [r for r in rows if r["solved"]]
    assert fit_value(solved, tmp_path / "none", seed=0, log=lambda _: None) is None


def test_a_value_model_that_cannot_be_read_stops_the_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "value.json"
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueModelError, match="is not a value model"):
        JobGenerators(GeneratorSettings(value_model=str(bad)))
    for weights in ({"t:+": "x"}, {"t:+": None}, {"t:+": float("nan")}, {"t:+": True}):
        bad.write_text(json.dumps({"format": "prover-value-1", "bias": 0.0, "weights": weights}))
        with pytest.raises(ValueModelError, match="finite bias and weights"):
            JobGenerators(GeneratorSettings(value_model=str(bad)))
    with pytest.raises(ValueModelError, match="cannot read the value model"):
        JobGenerators(GeneratorSettings(value_model=str(tmp_path / "missing.json")))
    bad.write_text(json.dumps({"format": "something else"}))
    theorem = tmp_path / "t.lean"
    theorem.write_text("theorem t : 1 + 1 = 2 := by sorry\n")
    monkeypatch.setenv("PROVER_GEN_VALUE_MODEL", str(bad))
    assert main(["prove", str(theorem)]) == 2
    assert "is not a value model" in capsys.readouterr().err

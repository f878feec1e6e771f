"""``prover iterate``: rounds of search, export, training and evaluation on a tiny theorem
set with a tiny model, real Lean and the embedded Redis; resumed after a failure."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from prover.cli import _parser, main
from prover.core.verifier import Verifier
from prover.iterate import IterateConfig, IterateError, Iteration, State, config_from
from prover.lean.runtime import install
from prover.lean.verifier import ReplVerifier
from prover.settings import LeanSettings

TRAIN = """\
-- forbidden: Nat.add_comm
theorem t_add_comm (a b : Nat) : a + b = b + a := by sorry
-- forbidden: Nat.zero_add
theorem t_zero_add (n : Nat) : 0 + n = n := by sorry
-- forbidden: and_comm
theorem t_and_comm (p q : Prop) : p ∧ q ↔ q ∧ p := by sorry
-- forbidden: Nat.le_refl
theorem t_le_refl (n : Nat) : n ≤ n := by sorry
-- forbidden: List.append_nil
theorem t_append_nil (xs : List Nat) : xs ++ [] = xs := by sorry
"""
VALID = """\
-- forbidden: Nat.mul_one
theorem v_mul_one (n : Nat) : n * 1 = n := by sorry
-- forbidden: or_self
theorem v_or_self (p : Prop) : p ∨ p ↔ p := by sorry
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    train, valid = tmp_path / "train.lean", tmp_path / "valid.lean"
    train.write_text(TRAIN, encoding="utf-8")
    valid.write_text(VALID, encoding="utf-8")
    return train, valid


def _config(tmp_path: Path, rounds: int, *extra: str) -> IterateConfig:
    train, valid = _files(tmp_path)
    argv = [
        "iterate", "--train", str(train), "--valid", str(valid), "--out", str(tmp_path / "run"),
        "--rounds", str(rounds), "--limit-train", "4", "--max-expansions", "2",
        "--proposals", "4", "--steps", "20", "--size", "1x32", "--batch-size", "8",
        "--eval-k", "4", "--no-bar", *extra,
    ]  # fmt: skip
    return config_from(_parser().parse_args(argv))


class Stop(Exception):
    pass


@pytest.fixture(scope="module")
def shared() -> Iterator[Verifier]:
    """One verifier for every run of the module, as one run shares one (no spares)."""
    settings = LeanSettings(processes=1, spares=0)
    install(settings.cache_dir, log=lambda _: None)
    with ReplVerifier(settings) as verifier:
        yield verifier


@pytest.mark.lean
def test_rounds_resume_and_keep_the_better_checkpoint(shared: Verifier, tmp_path: Path) -> None:
    lean, verifier = LeanSettings(processes=1, spares=0), shared
    out = tmp_path / "run"

    first = Iteration(_config(tmp_path, 1), lean, verifier=verifier).run()
    assert [row["round"] for row in first.rows] == [0, 1]
    assert (first.round, first.phase) == (2, "search")
    zero, one = first.rows
    assert zero["valid_generator"] == "symbolic" and zero["valid_total"] == 2
    assert "train_proved" not in zero  # round 0 searches the validation split only
    assert one["train_generator"] == "symbolic" and one["train_total"] == 4  # --limit-train
    assert one["train_proved"] >= 2 and one["sft_rows"] > 0
    assert one["valid_generator"] == "mixed" and one["k"] == 4
    assert (out / "rounds/1/model/config.json").exists()
    # A value model when the training searches left states both solved and unsolved.
    assert (out / "rounds/1/model/value.json").exists() == (one["value_states"] > 0)
    table = json.loads((out / "table.json").read_text())
    assert [row["round"] for row in table] == [0, 1]
    assert (out / "table.md").read_text().count("\n") == 4  # header, rule, two rows

    def stop_after_training(r: int, phase: str) -> None:
        if (r, phase) == (2, "train"):
            raise Stop

    with pytest.raises(Stop):
        Iteration(_config(tmp_path, 2), lean, on_phase=stop_after_training, verifier=verifier).run()
    stopped = State.load(out / "state.json")
    assert (stopped.round, stopped.phase) == (2, "valid")
    assert stopped.rows[:2] == first.rows  # rounds already done are not run again

    phases: list[tuple[int, str]] = []
    last = Iteration(
        _config(tmp_path, 2), lean, on_phase=lambda r, p: phases.append((r, p)), verifier=verifier
    ).run()
    assert phases == [(2, "valid"), (2, "decide")]
    assert [row["round"] for row in last.rows] == [0, 1, 2]
    assert last.rows[2]["train_generator"].startswith("mixed")  # round 2 uses a model

    # The kept checkpoint: the first round with the most validation theorems proved.
    proved = [row["valid_proved"] for row in last.rows]
    best = proved.index(max(proved))
    assert last.best.round == best and last.best.proved == max(proved)
    assert [row.get("kept", False) for row in last.rows[1:]] == [
        proved[r] > max(proved[:r]) for r in (1, 2)
    ]
    if best:
        assert os.path.realpath(out / "best") == str((out / f"rounds/{best}/model").resolve())
    else:
        assert last.best.model is None and not (out / "best").exists()


def test_bad_runs_are_refused_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train, valid = _files(tmp_path)
    base = ["iterate", "--train", str(train), "--valid", str(valid), "--no-bar"]
    assert main([*base, "--out", str(tmp_path / "a"), "--size", "3by128"]) == 2
    assert "LAYERSxWIDTH" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "a"), "--max-seconds", "0"]) == 2
    assert "bad budget: max_seconds" in capsys.readouterr().err  # as prove's (cli_args)
    assert main([*base, "--out", str(tmp_path / "a"), "--train", str(tmp_path / "none")]) == 2
    assert "cannot read" in capsys.readouterr().err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert main([*base, "--out", str(tmp_path / "full"), "--rounds", "0"]) == 2
    assert "holds no state.json" in capsys.readouterr().err
    # A run directory remembers its theorem sets and budget.
    Iteration(_config(tmp_path, 0), LeanSettings())  # writes the state, runs nothing
    changed = ["--out", str(tmp_path / "run"), "--max-expansions", "9"]
    assert main([*base, *changed]) == 2
    assert "holds a run with other budget" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "b"), "--jobs-at-once", "-2"]) == 2
    assert "--jobs-at-once must be 0" in capsys.readouterr().err
    with pytest.raises(IterateError, match="holds a run with other jobs_at_once:"):
        Iteration(_config(tmp_path, 0, "--jobs-at-once", "4"), LeanSettings())
    # A state file from before --jobs-at-once (all at once) still resumes.
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    del state["identity"]["jobs_at_once"]
    (tmp_path / "run" / "state.json").write_text(json.dumps(state))
    Iteration(_config(tmp_path, 0), LeanSettings())

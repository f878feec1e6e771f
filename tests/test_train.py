"""Training on an export: checkpoints and resume, the result served by the generator, bad
requests, and the whole loop on real searches (real Lean): search, export, train a tiny
model from scratch, and compare its held-out proposals with the untrained model's."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from prover.core.jobs import Budget, JobSpec
from prover.core.prompt import render_prompt
from prover.data import DirectorySource, Manifest, export
from prover.data.sources import ExportError
from prover.generate.hf import TransformersGenerator
from prover.lean.files import theorems_from_file
from prover.search.local import LocalSettings, run_locally
from prover.settings import FeedbackSettings, GeneratorSettings, RedisSettings
from prover.train import STATE_FILE, TrainConfig, checkpoints, load_rows, train
from prover.value import VALUE_FILE
from tests.test_export import cli, corpus, write_feedback

THEOREMS = Path(__file__).resolve().parent.parent / "lean" / "theorems" / "core_graded.lean"


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("data")
    feedback = write_feedback(base / "feedback", corpus())
    export(DirectorySource(feedback), base / "export", views=["sft", "preferences"])
    return base / "export"


def tiny(data: Path, out: Path, **overrides: Any) -> TrainConfig:
    fields: dict[str, Any] = {"steps": 6, "batch_size": 4, "lr": 3e-3, "warmup": 2}
    fields |= {"save_every": 3, "bar": False, "eval_limit": 0} | overrides
    return TrainConfig(data=data, out=out, tiny=True, **fields)


def weights(path: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


class Interrupted(Exception):
    pass


def test_resume_continues_exactly_where_it_stopped(data: Path, tmp_path: Path) -> None:
    straight = train(tiny(data, tmp_path / "a"), log=quiet)

    def stop_after_four(step: int, _loss: float) -> None:
        if step == 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(tiny(data, tmp_path / "b"), log=quiet, on_step=stop_after_four)
    assert [n for n, _ in checkpoints(tmp_path / "b")] == [3]
    resumed = train(tiny(data, tmp_path / "b", resume=True), log=quiet)
    assert resumed.resumed_from == 3 and resumed.steps == straight.steps == 6
    # Same batches, optimizer moments, schedule and dropout masks: the same weights.
    a, b = weights(tmp_path / "a"), weights(tmp_path / "b")
    assert a.keys() == b.keys()
    assert all(bool((a[k] - b[k]).abs().max() < 1e-5) for k in a)
    assert resumed.final_loss == pytest.approx(straight.final_loss, abs=1e-4)

    # What a checkpoint holds, and how many are kept.
    assert [n for n, _ in checkpoints(tmp_path / "a")] == [3, 6]
    import torch

    state = torch.load(tmp_path / "a" / "checkpoint-6" / STATE_FILE, weights_only=False)
    assert state["step"] == 6 and state["optimizer"]["state"]  # Adam moments, not just lr
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        assert (tmp_path / "a" / "checkpoint-6" / name).exists()
    report = json.loads((tmp_path / "a" / "train_report.json").read_text())
    assert report["examples"] == straight.examples > 0


def test_the_result_is_served_by_the_generator(data: Path, tmp_path: Path) -> None:
    report = train(tiny(data, tmp_path / "m", eval_limit=3, eval_k=2), log=quiet)
    generator = TransformersGenerator(tmp_path / "m", temperature=0.0, max_tokens=8)
    proposals = generator.propose("n : Nat\n⊢ goal_ta", 3)
    assert len(proposals) <= 3 and all(isinstance(p.tactic, str) for p in proposals)
    assert report.after is not None and report.after.k == 2 and report.after.states >= 1


def test_preference_loss_trains_on_pairs(data: Path, tmp_path: Path) -> None:
    config = tiny(data, tmp_path / "p", steps=2, save_every=10, preference_weight=1.0)
    report = train(config, log=quiet)
    pairs = (data / "preferences" / "train.jsonl").read_text().splitlines()
    assert report.pairs == len(pairs) > 0 and report.final_loss > 0


def test_bad_train_requests(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def fails(*args: str) -> str:
        assert cli("train", "--no-bar", *args) == 2
        return capsys.readouterr().out

    out = str(tmp_path / "out")
    assert "is not a prover export" in fails(
        "--data", str(tmp_path), "--out", out, "--tiny", "--from-scratch"
    )
    assert "nothing to resume" in fails("--data", str(data), "--out", out, "--resume")
    assert "--from-scratch needs --tiny" in fails("--data", str(data), "--out", out, "--tiny")
    assert "leave out --model" in fails(
        "--data", str(data), "--out", out, "--tiny", "--from-scratch", "--model", "gpt2"
    )
    assert "give --model PATH" in fails("--data", str(data), "--out", out)
    bare = tmp_path / "bare"
    export(DirectorySource(write_feedback(tmp_path / "fb", corpus())), bare, views=["sft"])
    assert "has no preferences" in fails(
        "--data", str(bare), "--out", out, "--tiny", "--from-scratch", "--preferences", "1"
    )
    with (bare / "sft" / "train.jsonl").open("a") as tampered:
        tampered.write("{}\n")
    assert "does not match its sha256" in fails(
        "--data", str(bare), "--out", out, "--tiny", "--from-scratch"
    )
    train(tiny(data, tmp_path / "done", steps=3), log=quiet)
    done = ["--data", str(data), "--out", str(tmp_path / "done"), "--steps", "3"]
    assert "already at --steps 3" in fails(*done, "--resume")
    assert "has checkpoints: --resume continues" in fails(*done, "--tiny", "--from-scratch")


# Twelve quick theorems of the graded set; with this seed and ratios, 7 train and 5
# validation theorems, both levels in both.
LOOP = [
    *("l1_add_comm", "l1_add_zero", "l1_mul_one", "l1_lt_succ", "l1_sub_self", "l1_two_mul"),
    *("l1_max", "l2_imp_refl", "l2_and_swap", "l2_or_swap", "l2_forall_add", "l2_not_lt"),
]


@pytest.mark.lean
def test_the_loop_search_export_train_propose(settings_for: Any, tmp_path: Path) -> None:
    theorems = {a.theorem.name: a.theorem for a in theorems_from_file(THEOREMS.read_bytes(), 10**5)}
    budget = Budget(max_expansions=1, max_seconds=240)
    specs = [
        JobSpec(
            statement=theorems[n].statement,
            preamble=theorems[n].preamble,
            budget=budget,
            label="loop",
        )
        for n in LOOP
    ]
    settings = LocalSettings(
        lean=settings_for("wasm"),
        generator=GeneratorSettings(backend="symbolic"),
        redis=RedisSettings(url=None, prefix=f"prover-loop-{uuid.uuid4().hex[:8]}"),
        feedback=FeedbackSettings(dir=tmp_path / "feedback"),
    )
    run = run_locally(specs, settings)
    # A proved job's tasks still queued are dropped, and each expansion's first four go
    # first, so a job records about its first four verdicts, not all sixteen proposals.
    assert sum(j.status == "proved" for j in run.jobs) >= 8
    assert run.feedback_records >= 4 * len(LOOP)

    manifest = export(
        DirectorySource(tmp_path / "feedback"),
        tmp_path / "data",
        views=["sft", "value"],
        progress=True,
        seed=5,
        ratios=(0.6, 0.4, 0.0),
    )
    assert manifest.theorems == {"train": 7, "validation": 5, "test": 0}

    config = TrainConfig(
        data=tmp_path / "data",
        out=tmp_path / "model",
        tiny=True,
        steps=150,
        batch_size=16,
        lr=3e-3,
        save_every=1000,
        eval_before=True,
        eval_k=8,
        bar=False,
    )
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / VALUE_FILE).write_text("an older run's value model")
    report = train(config, log=print)
    before, after = report.before, report.after
    assert before is not None and after is not None
    print(
        f"\nloop: {run.feedback_records} records in {run.wall_s:.0f} s, "
        f"{manifest.counts['sft']} sft rows, {report.examples} examples, "
        f"{report.seconds:.0f} s training; validation states {after.states}: "
        f"top-1 {before.top1:.2f} -> {after.top1:.2f}, "
        f"top-8 {before.topk:.2f} -> {after.topk:.2f}"
    )
    assert after.topk > before.topk and after.topk >= 0.4
    # Every state tried on the training side was solved: no value model can be fitted
    # (test_value.py fits one), training says so rather than failing, and the older file
    # is gone rather than passing for this model's.
    assert manifest.counts["value"]["train"] == 7 and report.value is None
    assert not (tmp_path / "model" / VALUE_FILE).exists()


def test_a_custom_prompt_template_trains_and_serves_as_exported(tmp_path: Path) -> None:
    """The export renders prompts with the configured template and records it; training
    reads it back from the manifest and saves it with the checkpoint; serving uses it."""
    template = "<state>\n{state}\n</state>\n<tactic>"
    feedback = write_feedback(tmp_path / "feedback", corpus())
    manifest = export(DirectorySource(feedback), tmp_path / "x", views=["sft"], template=template)
    assert manifest.prompt_template == Manifest.load(tmp_path / "x").prompt_template == template
    rows = load_rows(tmp_path / "x", "sft", "train")
    assert rows and all(r["prompt"] == render_prompt(r["state"], template) for r in rows)
    report = train(tiny(tmp_path / "x", tmp_path / "m", steps=2), log=quiet)
    assert report.template == template
    generator = TransformersGenerator(tmp_path / "m")  # the default template configured
    assert generator.template == template
    with pytest.raises(ExportError, match="has no"):
        export(DirectorySource(feedback), tmp_path / "y", template="[GOAL][PROOFSTEP]")

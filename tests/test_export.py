"""Feedback records to datasets: views, filters, splits, dedup, manifest, formats, bad
input and the all-or-nothing write. Records are built by the coordinator's own
``job_records`` from search trees written here, so they have the real format."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prover.cli_data import add_commands
from prover.core.jobs import JobSpec
from prover.core.records import FEEDBACK_SCHEMA, FeedbackRecord
from prover.core.theorem import InputError
from prover.data import (
    DirectorySource,
    ExportError,
    Filters,
    RedisSource,
    Splitter,
    export,
    parse_time,
    stream_rows,
)
from prover.feedback import job_records
from prover.queue.connect import Redis
from prover.queue.keys import Keys

REDIS_URL = os.environ.get("PROVER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")  # as conftest
Step = tuple[tuple[str, ...], str]  # (tactics from the start, verdict)


def statement(name: str) -> str:
    return f"theorem {name} (n : Nat) : n + 0 = n"


def state(name: str, prefix: tuple[str, ...] = ()) -> str:
    after = f" -- after {'; '.join(prefix)}" if prefix else ""
    return f"n : Nat\n⊢ goal_{name}{after}"


def make_job(
    job_id: str,
    name: str,
    steps: list[Step],
    proof: list[str] | None = None,
    label: str = "set-a",
    model: str = "m1",
    at: float = 1000.0,
) -> list[dict[str, Any]]:
    """The records ``record_job`` would append for a search tree given by its steps."""
    nodes: dict[int, dict[str, Any]] = {0: {"id": 0, "state": state(name)}}
    ids: dict[tuple[str, ...], int] = {(): 0}
    edges = []
    for prefix, verdict in steps:
        edge: dict[str, Any] = {"kind": "step", "parent": ids[prefix[:-1]], "tactic": prefix[-1]}
        edge |= {"tactics": list(prefix), "status": verdict, "time_s": 0.1, "score": -0.1}
        if verdict == "open":
            ids[prefix] = len(nodes)
            nodes[len(nodes)] = {"id": len(nodes), "state": state(name, prefix)}
            edge["state_after"] = state(name, prefix)
        elif verdict != "proved":
            edge["error"] = f"{verdict}!"
        edges.append(edge)
    if proof:
        edges.append(
            {
                "kind": "confirm",
                "parent": ids[tuple(proof[:-1])],
                "tactic": proof[-1],
                "tactics": proof,
                "status": "proved",
                "time_s": 0.2,
                "score": -0.2,
            }
        )
    job = {
        "spec": JobSpec(statement=statement(name), label=label).model_dump_json(),
        "status": "proved" if proof else "failed",
        "tactics": json.dumps(proof or []),
        "generator": json.dumps({"backend": "transformers", "model": model}),
        "name": name,
        "statement": statement(name),
    }
    records = job_records(job_id, job, nodes, edges)
    for record in records:
        record["recorded_at"] = at
    return records


def corpus() -> list[dict[str, Any]]:
    """Three hand-made jobs (one theorem searched twice) and 40 one-step theorems."""
    a_steps: list[Step] = [
        (("induction n",), "open"),
        (("omega",), "failed"),
        (("decide",), "timeout"),
        (("induction n", "rfl"), "failed"),
        (("induction n", "simp"), "proved"),
    ]
    records = make_job("A", "ta", a_steps, ["induction n", "simp"], at=1000.0)
    records += make_job("A2", "ta", [(("grind",), "proved")], ["grind"], model="m2", at=2000.0)
    b_steps: list[Step] = [(("omega",), "proved"), (("simp",), "proved"), (("rfl",), "rejected")]
    records += make_job("B", "tb", b_steps, ["omega"], label="set-b", at=3000.0)
    c_steps: list[Step] = [(("intro h",), "open"), (("omega",), "failed")]
    records += make_job("C", "tc", c_steps, None, at=4000.0)
    for i in range(40):
        steps: list[Step] = [(("omega",), "proved"), (("exact?",), "failed")]
        records += make_job(f"M{i}", f"many{i}", steps, ["omega"], label="many", at=5000.0 + i)
    return records


def write_feedback(directory: Path, records: list[dict[str, Any]]) -> Path:
    """Two files; job B written again in the second (a crash before the acknowledgement),
    and a torn last line."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    (directory / "feedback-1.jsonl").write_text("\n".join(lines) + "\n")
    again = [json.dumps(r) for r in records if r["job"] == "B"]
    (directory / "feedback-2.jsonl").write_text("\n".join(again) + '\n{"id": "torn')
    return directory


@pytest.fixture
def feedback(tmp_path: Path) -> Path:
    return write_feedback(tmp_path / "feedback", corpus())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def all_rows(dest: Path, view: str, suffix: str = "jsonl") -> dict[str, list[dict[str, Any]]]:
    return {
        split: read_jsonl(dest / view / f"{split}.{suffix}")
        for split in ("train", "validation", "test")
        if (dest / view / f"{split}.{suffix}").exists()
    }


def flat(rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [row for split_rows in rows.values() for row in split_rows]


def test_sft_rows_are_proof_steps_once_each(feedback: Path, tmp_path: Path) -> None:
    manifest = export(DirectorySource(feedback), tmp_path / "out", views=["sft"])
    rows = flat(all_rows(tmp_path / "out", "sft"))
    pairs = sorted((r["theorem"], r["tactic"]) for r in rows if not r["theorem"].startswith("m"))
    assert pairs == [("ta", "grind"), ("ta", "induction n"), ("ta", "simp"), ("tb", "omega")]
    assert len(rows) == 4 + 40 and all(r["on_proof"] for r in rows)
    simp = next(r for r in rows if r["tactic"] == "simp")
    assert simp["state"] == state("ta", ("induction n",))
    assert simp["prompt"] == f"[GOAL]{simp['state']}[PROOFSTEP]"
    job_b = sum(1 for r in corpus() if r["job"] == "B")
    assert manifest.records == {
        "read": len(corpus()) + job_b,
        "malformed": 1,
        "duplicates": job_b,
        "selected": len(corpus()),
    }


def test_progress_adds_steps_that_were_open_or_proved(feedback: Path, tmp_path: Path) -> None:
    export(DirectorySource(feedback), tmp_path / "out", views=["sft"], progress=True)
    rows = flat(all_rows(tmp_path / "out", "sft"))
    extra = {(r["theorem"], r["tactic"], r["verdict"]) for r in rows if not r["on_proof"]}
    assert extra == {("tb", "simp", "proved"), ("tc", "intro h", "open")}


def test_identical_state_and_tactic_is_one_row(tmp_path: Path) -> None:
    """Two jobs on one theorem that proved it the same way give one sft row."""
    records = make_job("X1", "tx", [(("omega",), "proved")], ["omega"])
    records += make_job("X2", "tx", [(("omega",), "proved")], ["omega"])
    source = DirectorySource(write_feedback(tmp_path / "fb", records))
    rows = list(stream_rows(source, ["sft", "raw"]))
    assert [r["job"] for v, _, r in rows if v == "sft"] == ["X1"]
    assert len([r for v, _, r in rows if v == "raw"]) == len(records)


def test_preferences_pair_siblings_of_one_state(feedback: Path, tmp_path: Path) -> None:
    export(DirectorySource(feedback), tmp_path / "out", views=["preferences"])
    rows = flat(all_rows(tmp_path / "out", "preferences"))
    mine = {(r["job"], r["chosen"], r["rejected"], r["rejected_verdict"]) for r in rows}
    assert {m for m in mine if not m[0].startswith("M")} == {
        ("A", "induction n", "omega", "failed"),
        ("A", "induction n", "decide", "timeout"),
        ("A", "simp", "rfl", "failed"),
        ("B", "omega", "rfl", "rejected"),
        # C: `intro h` made progress, `omega` failed; no proof needed for a preference.
        ("C", "intro h", "omega", "failed"),
    }
    a_child = next(r for r in rows if r["rejected"] == "rfl" and r["job"] == "A")
    assert a_child["state"] == state("ta", ("induction n",))
    assert a_child["chosen_verdict"] == "proved"


def test_raw_keeps_every_record_once(feedback: Path, tmp_path: Path) -> None:
    export(DirectorySource(feedback), tmp_path / "out", views=["raw"])
    rows = flat(all_rows(tmp_path / "out", "raw"))
    assert sorted(rows, key=lambda r: r["id"]) == sorted(corpus(), key=lambda r: r["id"])
    assert {r["kind"] for r in rows} == {"step", "confirm"}
    assert list(rows[0]) == list(corpus()[0])  # the feedback files' keys, `schema` first


def test_records_that_do_not_validate_are_malformed(tmp_path: Path) -> None:
    """A missing field, a wrong type (no string read as a number) or a newer ``schema``
    than this reader knows: counted as malformed, like a torn line, and never exported."""
    good = make_job("A", "ta", [(("omega",), "proved")], ["omega"])
    bad = [dict(good[0], id=f"bad/{i}") for i in range(4)]
    del bad[0]["statement"]
    bad[1]["time_s"] = "0.1"
    bad[2]["tactics"] = "omega"
    bad[3]["schema"] = FEEDBACK_SCHEMA + 1
    manifest = export(
        DirectorySource(write_feedback(tmp_path / "fb", good + bad)),
        tmp_path / "out",
        views=["raw"],
    )
    assert manifest.records == {"read": 2, "malformed": 5, "duplicates": 0, "selected": 2}
    assert sorted(r["id"] for r in flat(all_rows(tmp_path / "out", "raw"))) == ["A/0", "A/1"]


def test_leandojo_theorems(feedback: Path, tmp_path: Path) -> None:
    export(DirectorySource(feedback), tmp_path / "out", views=["leandojo"])
    theorems = [
        t
        for split in ("train", "validation", "test")
        if (tmp_path / "out" / "leandojo" / f"{split}.json").exists()
        for t in json.loads((tmp_path / "out" / "leandojo" / f"{split}.json").read_text())
    ]
    assert len(theorems) == 2 + 40  # ta (twice proved: the shortest kept), tb, many*; not tc
    ta = next(t for t in theorems if t["full_name"] == "ta")
    keys = {"url", "commit", "file_path", "full_name", "theorem_statement", "start", "end"}
    assert keys | {"traced_tactics"} == set(ta)
    assert ta["theorem_statement"] == statement("ta") and ta["start"] == [0, 0]
    assert ta["traced_tactics"] == [
        {
            "tactic": "grind",
            "annotated_tactic": ["grind", []],
            "state_before": state("ta"),
            "state_after": "no goals",
        }
    ]
    tb = next(t for t in theorems if t["full_name"] == "tb")
    assert [s["tactic"] for s in tb["traced_tactics"]] == ["omega"]


def test_leandojo_multi_step_proof_chains_states(tmp_path: Path) -> None:
    steps: list[Step] = [(("induction n",), "open"), (("induction n", "simp"), "proved")]
    records = make_job("A", "ta", steps, ["induction n", "simp"])
    (row,) = (
        r
        for _, _, r in stream_rows(DirectorySource(write_feedback(tmp_path, records)), ["leandojo"])
    )
    first, second = row["traced_tactics"]
    assert first["state_after"] == second["state_before"] == state("ta", ("induction n",))
    assert second["state_after"] == "no goals"


def test_splits_are_by_theorem(feedback: Path, tmp_path: Path) -> None:
    manifest = export(DirectorySource(feedback), tmp_path / "out", views=["sft", "raw"])
    where: dict[str, set[str]] = {}
    for view in ("sft", "raw"):
        for split, rows in all_rows(tmp_path / "out", view).items():
            for row in rows:
                where.setdefault(row["statement"], set()).add(split)
    assert all(len(splits) == 1 for splits in where.values())  # no theorem in two splits
    assert sum(manifest.theorems.values()) == len(where) == 43
    assert manifest.theorems["train"] >= 25 and manifest.theorems["train"] < 43
    other = Splitter(seed=1)
    moved = [s for s, (split,) in where.items() if other.split(s) != split]
    assert moved  # the seed matters...
    assert all(Splitter(seed=0).split(s) == split for s, (split,) in where.items())  # ...only it
    assert Splitter().split(statement("ta")) == Splitter().split(statement("ta") + "  ")


def test_filters(feedback: Path) -> None:
    def count(**kw: Any) -> int:
        rows = stream_rows(DirectorySource(feedback), ["raw"], Filters(**kw))
        return sum(1 for _ in rows)

    job = {j: sum(1 for r in corpus() if r["job"] == j) for j in ("A", "A2", "B", "C")}
    assert count(jobs=frozenset({"A", "C"})) == job["A"] + job["C"]
    assert count(since=1500.0, until=3500.0) == job["A2"] + job["B"]
    assert count(labels=frozenset({"set-b"})) == job["B"]
    assert count(models=frozenset({"m2"})) == job["A2"]
    assert count(verdicts=frozenset({"timeout"})) == 1
    assert count(verdicts=frozenset({"timeout"}), jobs=frozenset({"B"})) == 0
    assert parse_time("1970-01-01T00:20:00") == 1200.0
    assert parse_time("1970-01-02") == 86400.0 and parse_time("12.5") == 12.5


def test_manifest_hashes_and_card(feedback: Path, tmp_path: Path) -> None:
    manifest = export(DirectorySource(feedback), tmp_path / "out", views=["sft", "preferences"])
    on_disk = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert on_disk == manifest.to_dict()
    written = {
        p.relative_to(tmp_path / "out").as_posix()
        for p in (tmp_path / "out").rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(on_disk["files"]) == written
    for name, info in on_disk["files"].items():
        data = (tmp_path / "out" / name).read_bytes()
        assert info == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    for view in ("sft", "preferences"):
        for split, rows in all_rows(tmp_path / "out", view).items():
            assert on_disk["counts"][view][split] == len(rows)
    card = (tmp_path / "out" / "README.md").read_text()
    assert card.startswith("---\nconfigs:\n- config_name: sft\n")
    assert "    path: sft/train.jsonl" in card and "config_name: preferences" in card


def test_parquet_and_jsonl_load_with_datasets(
    feedback: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = str(tmp_path / "cache")
    views = ["sft", "preferences", "value", "raw"]
    export(DirectorySource(feedback), tmp_path / "pq", views=views, fmt="parquet")
    export(DirectorySource(feedback), tmp_path / "js", views=views)
    for view in views:
        jsonl = flat(all_rows(tmp_path / "js", view))
        paths = {s: tmp_path / "pq" / view / f"{s}.parquet" for s in ("train", "test")}
        files = {s: str(p) for s, p in paths.items() if p.exists()}
        loaded = datasets.load_dataset("parquet", data_files=files, cache_dir=cache)
        via_card = datasets.load_dataset(str(tmp_path / "pq"), view, cache_dir=cache)
        as_json = datasets.load_dataset(
            "json", data_files=str(tmp_path / "js" / view / "train.jsonl"), cache_dir=cache
        )
        assert loaded["train"].num_rows == via_card["train"].num_rows
        assert as_json["train"].num_rows == loaded["train"].num_rows
        assert sum(d.num_rows for d in via_card.values()) == len(jsonl)
    raw = datasets.load_dataset(str(tmp_path / "pq"), "raw", cache_dir=cache)["train"]
    assert raw.features["tactics"].feature.dtype == "string"
    confirm = next(r for r in raw if r["kind"] == "confirm")
    assert confirm["state_before"] is not None and confirm["error"] is None


def test_redis_stream_is_read_in_pages(redis_keys: tuple[Redis, Keys], tmp_path: Path) -> None:
    redis, keys = redis_keys
    records = corpus()[:25]
    for record in records:
        redis.xadd(keys.feedback, {"record": json.dumps(record)})
    redis.xadd(keys.feedback, {"record": "not json"})
    source = RedisSource(REDIS_URL, keys.prefix, page=4)
    manifest = export(source, tmp_path / "out", views=["raw"])
    assert manifest.records["selected"] == 25 and manifest.records["malformed"] == 1
    assert sorted(r["id"] for r in flat(all_rows(tmp_path / "out", "raw"))) == sorted(
        r["id"] for r in records
    )


# Bad input: a message naming the problem, exit status 2, and nothing written.


def cli(*argv: str) -> int:
    """What prover.cli.main does with these commands: InputError -> message, status 2."""
    parser = argparse.ArgumentParser(prog="prover")
    add_commands(parser.add_subparsers(required=True))
    args = parser.parse_args(list(argv))
    try:
        return int(args.run(args))
    except InputError as err:
        print(f"prover: {err}")
        return 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--view", "nope"], "unknown view 'nope'"),
        (["--view", "leandojo", "--format", "parquet"], "cannot be written as parquet"),
        (["--job", "no-such-job"], "no feedback record matches"),
        (["--label", "set-a", "--job", "C"], "the sft view is empty"),
        (["--verdict", "bogus"], "unknown verdict 'bogus'"),
        (["--since", "yesterday"], "not a time: 'yesterday'"),
        (["--since", "2000", "--until", "1000"], "--since must be before --until"),
        (["--ratios", "0.5,0.5"], "--ratios wants three numbers"),
        (["--ratios", "0.5,0.4,0.3"], "split ratios must be three shares summing to 1"),
    ],
)
def test_bad_export_requests(
    feedback: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    dest = tmp_path / "new" / "out"
    assert cli("export", str(dest), "--from", str(feedback), *args) == 2
    assert message in capsys.readouterr().out
    assert not (tmp_path / "new").exists()  # not even the parent it would have made


def test_unknown_format_through_the_api(feedback: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unknown format 'csv'; one of jsonl, json, parquet"):
        export(DirectorySource(feedback), tmp_path / "out", fmt="csv")
    with pytest.raises(ExportError, match="no view asked for"):
        export(DirectorySource(feedback), tmp_path / "out", views=[])
    assert list(tmp_path.iterdir()) == [feedback]


def test_missing_source_and_bad_destinations(
    feedback: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("export", str(tmp_path / "o"), "--from", str(tmp_path / "nowhere")) == 2
    assert "no feedback directory" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    assert cli("export", str(tmp_path / "o"), "--from", str(tmp_path / "empty")) == 2
    assert "no feedback-*.jsonl files" in capsys.readouterr().out
    (tmp_path / "file").write_text("x")
    assert cli("export", str(tmp_path / "file" / "o"), "--from", str(feedback)) == 2
    assert "cannot write to" in capsys.readouterr().out
    assert cli("export", str(tmp_path / "file"), "--from", str(feedback)) == 2
    assert "is not a directory" in capsys.readouterr().out
    assert cli("export", str(tmp_path / "ok"), "--from", str(feedback)) == 0
    assert "sft (jsonl): train" in capsys.readouterr().out
    assert cli("export", str(tmp_path / "ok"), "--from", str(feedback)) == 2
    assert "not empty (--overwrite replaces it)" in capsys.readouterr().out
    assert cli("export", str(tmp_path / "ok"), "--from", str(feedback), "--overwrite") == 0


class Failing:
    """A source whose storage fails part-way (a disk error, a lost connection)."""

    malformed = 0

    def __init__(self, records: list[dict[str, Any]], after: int) -> None:
        self.items, self.after = [FeedbackRecord.model_validate(r) for r in records], after

    def records(self) -> Iterator[FeedbackRecord]:
        for i, record in enumerate(self.items):
            if i == self.after:
                raise OSError("read error")
            yield record

    def describe(self) -> str:
        return "failing"


def test_a_failed_export_leaves_nothing_and_keeps_the_old_one(tmp_path: Path) -> None:
    records = corpus()
    dest = tmp_path / "out"
    with pytest.raises(OSError, match="read error"):
        export(Failing(records, after=len(records) - 5), dest, views=["sft", "raw"])
    assert list(tmp_path.iterdir()) == []  # no dest, no temporary directory
    first = export(Failing(records, after=-1), dest, views=["sft"])
    with pytest.raises(OSError):
        export(Failing(records, after=30), dest, views=["raw"], overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert json.loads((dest / "manifest.json").read_text()) == first.to_dict()
    with pytest.raises(ExportError, match="no feedback record matches"):
        export(Failing([], after=-1), dest, overwrite=True)
    assert json.loads((dest / "manifest.json").read_text()) == first.to_dict()

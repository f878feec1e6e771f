"""The command line, run as a user would: real processes, real Lean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def prover(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prover.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


@pytest.mark.lean
def test_check_statement_json() -> None:
    out = prover(
        "check",
        "--statement",
        "theorem t (a b : Nat) : a + b = b + a",
        "--proof",
        "by omega",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    (line,) = out.stdout.splitlines()
    assert json.loads(line)["status"] == "proved"


@pytest.mark.lean
def test_check_batch_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    rows = [
        {"statement": "theorem a (n : Nat) : n + 0 = n", "proof": "by simp"},
        "this is not json",
        {"statement": "theorem b : (2 : Nat) + 2 = 5", "proof": "by decide"},
        {"statement": "theorem c : True", "proof": "by sorry"},
        {
            "statement": "theorem d : f 1 = 2",
            "proof": "by decide",
            "preamble": "noncomputable section\ndef f (n : Nat) : Nat := n + 1\nend",
        },
        {"statement": "theorem «l11».«two» : 1 + 1 = 2", "proof": "by decide"},
        {
            "statement": "theorem my_comm (a b : Nat) : a + b = b + a",
            "proof": "Nat.add_comm a b",
            "forbidden": ["Nat.add_comm"],
        },
        {"statement": "theorem t : True", "proof": "trivial", "forbidden": ["not a name"]},
    ]
    batch = tmp_path / "attempts.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    batch.write_text("\n\n".join(lines) + "\n", encoding="utf-8")  # blank lines are skipped
    out = prover("check", "--batch", str(batch), "--json")
    assert out.returncode == 1, out.stderr
    verdicts = [json.loads(line) for line in out.stdout.splitlines()]
    statuses = [v["status"] for v in verdicts]
    assert statuses == [
        "proved", "rejected", "failed", "rejected", "proved", "proved", "rejected", "rejected"
    ]  # fmt: skip
    assert "line 3" in verdicts[1]["reason"]  # the file's own line number
    assert verdicts[3]["construct"] == "sorry"
    assert verdicts[6]["construct"] == "Nat.add_comm"  # forbidden for that theorem
    assert "line 15" in verdicts[7]["reason"] and "not a constant" in verdicts[7]["reason"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"statement": "theorem t : True", "proof": "by trivial \xff"}\n', "not valid UTF-8"),
        (b"", "holds no attempts"),
        (b"\n  \n", "holds no attempts"),
    ],
)
def test_a_batch_file_that_is_not_attempts_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    batch = tmp_path / "attempts.jsonl"
    batch.write_bytes(content)
    out = prover("check", "--batch", str(batch))
    assert out.returncode == 2 and message in out.stderr and str(batch) in out.stderr
    assert "Traceback" not in out.stderr and not out.stdout


@pytest.mark.lean
def test_check_file_proves_every_theorem() -> None:
    out = prover("check", "examples/demo.lean")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count(": proved") == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--statement", "", "--proof", "rfl"], "statement is empty"),
        (["check", "--statement", "theorem t : True"], "needs --proof"),
        (["check", "no/such/file.lean"], "cannot read"),
        (["check"], "exactly one of"),
        (["prove", "theorem t : True", "--nodes-in-flight", "0"], "bad budget: nodes_in_flight"),
        (["bench", "search", "examples/demo.lean", "--limit", "-1"], "--limit must be 0"),
        (["prove", "theorem t : True", "--jobs-at-once", "-1"], "--jobs-at-once must be 0"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(args: list[str], message: str) -> None:
    out = prover(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_serve_generator_names_a_missing_model() -> None:
    out = prover("serve-generator", "--model", "./no/such/checkpoint")
    assert out.returncode == 2
    assert "no model directory at ./no/such/checkpoint" in out.stderr


@pytest.mark.lean
def test_prove_finds_and_prints_a_proof() -> None:
    out = prover("prove", "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by sorry", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    (line,) = out.stdout.splitlines()
    row = json.loads(line)
    assert row["name"] == "t" and row["status"] == "proved" and row["proof"].startswith("by")
    assert row["verifier_calls"] >= 2

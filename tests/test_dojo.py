"""LeanDojo integration: result mapping (LeanDojo's own classes), start-up checks, the
prefix walk, the trust check, and the Benchmark importer. No Lean toolchain is needed
except by the one ``lean``-marked trust test."""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prover.core.theorem import Attempt, InputError, Theorem
from prover.core.verdicts import Crashed, Failed, Goal, Open, Proved, Rejected, Timeout
from prover.dojo import importer
from prover.dojo.backend import DojoVerifier
from prover.dojo.cli import add_commands
from prover.dojo.importer import import_leandojo
from prover.dojo.records import DojoTheorem, TracedTactic
from prover.dojo.results import Finished, from_error, from_result
from prover.dojo.settings import DojoSettings
from prover.lean.files import theorems_from_file
from prover.lean.process import BackendUnavailable
from prover.lean.verifier import ReplVerifier
from prover.settings import LeanSettings
from prover.verifiers import make_verifier

HAS_LEAN_DOJO = importlib.util.find_spec("lean_dojo") is not None
needs_lean_dojo = pytest.mark.skipif(
    not HAS_LEAN_DOJO, reason="lean_dojo is not installed (pip install 'prover[dojo]')"
)
URL = "https://github.com/leanprover-community/mathlib4"
COMMIT = "29dcec074de168ac2bf835a77ef68bbe069194c5"
STATE = "a b : Nat\n⊢ a + b = b + a"
SPLIT_STATE = (
    "case zero\nb : Nat\n⊢ 0 + b = b + 0\n\n"
    "case succ\nb n✝ : Nat\na✝ : n✝ + b = b + n✝\n⊢ n✝ + 1 + b = b + (n✝ + 1)"
)


@pytest.fixture(scope="module")
def ld() -> Any:
    """The real lean_dojo module (its import takes seconds: ray)."""
    return pytest.importorskip("lean_dojo", reason="lean_dojo is not installed")


# Mapping LeanDojo's own result classes and exceptions.


@needs_lean_dojo
def test_tactic_results_map_to_verdicts(ld: Any) -> None:
    open_ = from_result(ld.TacticState(SPLIT_STATE, 2), 0.5)
    assert isinstance(open_, Open) and open_.time_s == 0.5
    assert [g.case for g in open_.goals] == ["zero", "succ"]
    assert open_.goals[1] == Goal(
        ("b n✝ : Nat", "a✝ : n✝ + b = b + n✝"), "n✝ + 1 + b = b + (n✝ + 1)", "succ"
    )
    assert from_result(ld.ProofFinished(3)) == Finished()
    assert from_result(ld.LeanError("unknown tactic")) == Failed("unknown tactic")
    given_up = from_result(ld.ProofGivenUp())
    assert isinstance(given_up, Failed) and "sorry" in given_up.message


@needs_lean_dojo
def test_dojo_exceptions_map_to_verdicts(ld: Any) -> None:
    assert from_error(ld.DojoTacticTimeoutError(), 7) == Timeout(limit_s=7)
    oom = from_error(ld.DojoCrashError("OOM"), 7)
    assert isinstance(oom, Crashed) and "out of memory" in oom.reason
    eof = from_error(ld.DojoCrashError("Unexpected EOF"), 7)
    assert isinstance(eof, Crashed) and "Unexpected EOF" in eof.reason
    init = from_error(ld.DojoInitError("Cannot interact with theorems with `where`"), 7)
    assert isinstance(init, Failed) and "where" in init.message


# Start-up: everything LeanDojo needs is checked in the constructor.


def test_start_up_needs_a_repository() -> None:
    with pytest.raises(BackendUnavailable, match="PROVER_DOJO_URL and PROVER_DOJO_COMMIT"):
        DojoVerifier(DojoSettings(trust_backend="none"))


def test_start_up_fails_with_what_this_machine_lacks() -> None:
    """Here: lean_dojo missing, or no native toolchain (the checks before any network)."""
    if HAS_LEAN_DOJO and shutil.which("lake") and shutil.which("lean"):
        pytest.skip("this machine has lean_dojo and a Lean toolchain: start-up may succeed")
    with pytest.raises(BackendUnavailable) as err:
        DojoVerifier(DojoSettings(url=URL, commit=COMMIT, trust_backend="none"))
    expected = "`lake`" if HAS_LEAN_DOJO else "lean_dojo package, which is not installed"
    assert expected in str(err.value)


@needs_lean_dojo
def test_start_up_names_the_missing_toolchain(
    ld: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # lean_dojo is imported first (`ld`): its import runs `git --version`.
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no lake, lean or elan
    with pytest.raises(BackendUnavailable) as err:
        DojoVerifier(DojoSettings(url=URL, commit=COMMIT, trust_backend="none"))
    message = str(err.value)
    assert "`lake` and `lean` not on PATH (no `elan` either)" in message


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "files.json").write_text(json.dumps({"A.b": "A.lean", "C.d": "C.lean"}))
    monkeypatch.setenv("PROVER_DOJO_URL", URL)
    monkeypatch.setenv("PROVER_DOJO_FILES", json.dumps({"C.d": "Other.lean"}))
    monkeypatch.setenv("PROVER_DOJO_FILES_JSON", str(tmp_path / "files.json"))
    monkeypatch.setenv("PROVER_DOJO_TIMEOUT_S", "5")
    settings = DojoSettings()
    assert (settings.url, settings.timeout_s) == (URL, 5)
    assert settings.file_map() == {"A.b": "A.lean", "C.d": "Other.lean"}
    monkeypatch.setenv("PROVER_DOJO_FILES_JSON", str(tmp_path / "missing.json"))
    with pytest.raises(BackendUnavailable, match=r"missing\.json"):
        DojoVerifier(DojoSettings(trust_backend="none"))


def test_make_verifier_selects_the_dojo_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROVER_DOJO_URL", raising=False)
    lean = LeanSettings.model_construct(backend="dojo")  # the Literal gains "dojo" on wiring
    with pytest.raises(BackendUnavailable, match="PROVER_DOJO_URL"):
        make_verifier(lean)


# The prefix walk, on a scripted Dojo that answers with LeanDojo's real result objects.

THEOREM = Theorem.parse("theorem t (a b : Nat) : a + b = b + a")


class ScriptedDojo:
    """Stands in for the Lean process of a Dojo; answers come from ``script``."""

    def __init__(self, ld: Any, script: dict[tuple[int, str], Any]) -> None:
        self.initial = ld.TacticState(STATE, 0)
        self.script, self.calls, self.closed = script, [], False

    def run_tac(self, state: Any, tactic: str) -> Any:
        self.calls.append(tactic)
        answer = self.script[state.id, tactic]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def scripted(ld: Any) -> Callable[..., tuple[DojoVerifier, list[ScriptedDojo]]]:
    def make(trust: ReplVerifier | None = None) -> tuple[DojoVerifier, list[ScriptedDojo]]:
        script = {
            (0, "induction a"): ld.TacticState(SPLIT_STATE, 2),
            (0, "omega"): ld.ProofFinished(3),
            (0, "skip"): ld.ProofFinished(4),  # a Dojo that is wrong: the trust check's case
            (2, "simp"): ld.LeanError("simp made no progress"),
            (2, "slow"): ld.DojoTacticTimeoutError(),
        }
        opened: list[ScriptedDojo] = []

        def open_session(name: str) -> ScriptedDojo:
            if name == "broken":
                raise ld.DojoInitError("Cannot find the *.ast.json file")
            opened.append(ScriptedDojo(ld, script))
            return opened[-1]

        settings = DojoSettings(
            files={"t": "T.lean", "broken": "B.lean"}, timeout_s=9, trust_backend="none"
        )
        verifier = DojoVerifier(settings, trust=trust, open_session=open_session)
        return verifier, opened

    return make


@needs_lean_dojo
def test_prefixes_run_step_by_step_reusing_states(scripted: Callable[..., Any]) -> None:
    verifier, opened = scripted()
    root, split, failed = verifier.check(
        [
            Attempt.steps(THEOREM, []),
            Attempt.steps(THEOREM, ["induction a"]),
            Attempt.steps(THEOREM, ["induction a", "simp"]),
        ]
    )
    assert isinstance(root, Open) and root.goals == (Goal(("a b : Nat",), "a + b = b + a"),)
    assert isinstance(split, Open) and len(split.goals) == 2
    assert isinstance(failed, Failed)
    assert failed.message == "step 2 `simp`: simp made no progress"
    assert len(opened) == 1 and opened[0].calls == ["induction a", "simp"]  # prefix reused


@needs_lean_dojo
def test_finished_is_never_proved_without_the_trust_check(
    scripted: Callable[..., Any],
) -> None:
    verifier, _ = scripted()
    finished, whole, early = verifier.check(
        [
            Attempt.steps(THEOREM, ["omega"]),
            Attempt.whole(THEOREM, "by omega"),
            Attempt.steps(THEOREM, ["omega", "simp"]),
        ]
    )
    assert isinstance(finished, Failed) and "no whole-proof verifier" in finished.message
    assert isinstance(whole, Failed) and "not reported proved" in whole.message
    assert isinstance(early, Failed) and "no goals left after step 1" in early.message


@needs_lean_dojo
def test_timeouts_crashes_and_bad_input(scripted: Callable[..., Any]) -> None:
    verifier, opened = scripted()
    slow, again, sorry, unknown, broken = verifier.check(
        [
            Attempt.steps(THEOREM, ["induction a", "slow"]),
            Attempt.steps(THEOREM, ["induction a"]),
            Attempt.steps(THEOREM, ["sorry"]),
            Attempt.steps(Theorem.parse("theorem u : True"), ["trivial"]),
            Attempt.steps(Theorem.parse("theorem broken : True"), ["trivial"]),
        ]
    )
    assert slow == Timeout(limit_s=9, time_s=slow.time_s)
    assert opened[0].closed and len(opened) == 2  # the timed-out Dojo was replaced
    assert isinstance(again, Open)
    assert isinstance(sorry, Rejected) and sorry.construct == "sorry"
    assert isinstance(unknown, Failed) and "no file is known for `u`" in unknown.message
    assert isinstance(broken, Failed) and "ast.json" in broken.message
    verifier.close()
    assert opened[1].closed


@needs_lean_dojo
@pytest.mark.lean
def test_trust_check_decides_proved(scripted: Callable[..., Any], verifier: ReplVerifier) -> None:
    """LeanDojo's `no goals` becomes `proved` only when our verifier accepts the proof."""
    dojo, _ = scripted(trust=verifier)
    honest, lying = dojo.check(
        [Attempt.steps(THEOREM, ["omega"]), Attempt.steps(THEOREM, ["skip"])]
    )
    assert isinstance(honest, Proved)
    assert isinstance(lying, Failed)
    assert lying.message.startswith("the whole-proof check did not accept it")
    dojo.close()  # leaves the shared verifier running


# The importer.


def record(name: str, statement: str | None, steps: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A theorem in the LeanDojo Benchmark 4 shape."""
    data: dict[str, Any] = {
        "url": URL,
        "commit": COMMIT,
        "file_path": f"Mathlib/{name.split('.')[0]}.lean",
        "full_name": name,
        "start": [10, 1],
        "end": [12, 30],
        "traced_tactics": [
            {
                "tactic": tactic,
                "annotated_tactic": [tactic, []],
                "state_before": before,
                "state_after": after,
            }
            for before, tactic, after in steps
        ],
    }
    if statement is not None:
        data["theorem_statement"] = statement
    return data


GOOD = record(
    "Nat.add_comm'",
    '@[simp, to_additive "uses [brackets]"]\nprotected theorem add_comm\' (a b : ℕ) :\n'
    "a + b = b + a :=",
    [("a b : ℕ\n⊢ a + b = b + a", "rw [Nat.add_comm]", "no goals")],
)
TWO_STEPS = record(
    "List.len_nil",
    "lemma len_nil : ([] : List ℕ).length = 0 :=",
    [("⊢ [].length = 0", "unfold List.length", "⊢ 0 = 0"), ("⊢ 0 = 0", "rfl", "no goals")],
)
NO_STATEMENT = record("Foo.bar", None, [("⊢ True", "trivial", "no goals")])
NOT_THEOREM = record("Foo.inst", "instance foo : Inhabited ℕ :=", [])
DEF_ARG = record("Foo.dflt", "theorem dflt (n : ℕ := 0) : n = n :=", [])
BAD = [
    {"full_name": "Foo.nofile", "url": URL},  # missing fields
    [1, 2],  # not an object
    {**record("Foo.pos", "theorem pos : True :=", []), "start": "10:1"},
]


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def rows(out: Path) -> list[dict[str, Any]]:
    lines = (out / "sft.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(params=["ijson", "json.load"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a JSON list is read: streamed with ijson, and whole without it."""
    if request.param == "ijson":
        pytest.importorskip("ijson", reason="ijson is not installed")
    else:
        monkeypatch.setattr(importer, "_ijson", lambda: None)
    return str(request.param)


def test_import_a_json_list(tmp_path: Path, reader: str) -> None:
    data = [GOOD, TWO_STEPS, NO_STATEMENT, NOT_THEOREM, DEF_ARG, *BAD, GOOD]
    out = tmp_path / "out"
    report = import_leandojo(write_json(tmp_path / "data.json", data), out, imports=("Mathlib",))
    assert report.records == 9 and report.rows == 4
    skipped = report.skipped_records.counts
    assert skipped == {
        "missing `file_path`": 1,
        "not a JSON object": 1,
        "`start` is not a [line, column] pair": 1,
        "duplicate theorem": 1,
    }
    assert report.skipped_records.examples["missing `file_path`"] == ["data.json[5] Foo.nofile"]
    assert report.not_in_sets.counts == {
        "no `theorem_statement`": 1,
        "not a `theorem` or `lemma`": 1,
        "statement does not parse": 1,
    }
    assert report.skipped_steps.counts == {"theorem without traced tactics": 2}
    theorem_set = out / f"train-mathlib4-{COMMIT[:12]}.lean"
    assert report.theorems == {str(theorem_set): 2}
    attempts = theorems_from_file(theorem_set.read_bytes(), 100_000)
    assert [a.theorem.statement for a in attempts] == [
        "theorem Nat.add_comm' (a b : ℕ) :\n    a + b = b + a",
        "theorem List.len_nil : ([] : List ℕ).length = 0",
    ]
    assert all(a.theorem.imports == ("Mathlib",) for a in attempts)
    assert COMMIT in attempts[0].theorem.preamble  # the header names what they need
    files = json.loads((out / "dojo-files.json").read_text())
    assert files["List.len_nil"] == "Mathlib/List.lean" and "Foo.nofile" not in files


def test_sft_rows_match_the_export_keys(tmp_path: Path) -> None:
    out = tmp_path / "out"
    import_leandojo(write_json(tmp_path / "test.json", [TWO_STEPS, NO_STATEMENT]), out)
    first, second, third = rows(out)
    assert set(first) == {
        "state", "tactic", "prompt", "verdict", "on_proof", "model", "id",
        "theorem", "statement", "label", "job", "split", "source",
    }  # fmt: skip
    assert (first["state"], first["tactic"], first["verdict"]) == (
        "⊢ [].length = 0",
        "unfold List.length",
        "open",
    )
    assert first["prompt"] == "[GOAL]⊢ [].length = 0[PROOFSTEP]"
    assert first["statement"] == "theorem List.len_nil : ([] : List ℕ).length = 0"
    assert (second["verdict"], second["split"], second["source"]) == ("proved", "test", "leandojo")
    assert (third["theorem"], third["statement"]) == ("Foo.bar", "")


def test_import_a_split_directory(tmp_path: Path) -> None:
    data = tmp_path / "random"
    data.mkdir()
    write_json(data / "train.json", [GOOD])
    (data / "val.jsonl").write_text(json.dumps(TWO_STEPS) + "\n{not json\n\n")
    write_json(data / "test.json", [NO_STATEMENT])
    out = tmp_path / "out"
    report = import_leandojo(data, out)
    assert report.records == 4
    assert report.skipped_records.counts == {"not JSON": 1}
    assert report.skipped_records.examples["not JSON"][0].startswith("val.jsonl:2 (not JSON")
    assert [(r["theorem"], r["split"]) for r in rows(out)] == [
        ("Nat.add_comm'", "train"),
        ("List.len_nil", "validation"),
        ("List.len_nil", "validation"),
        ("Foo.bar", "test"),
    ]
    assert sorted(Path(p).name for p in report.theorems) == [
        f"train-mathlib4-{COMMIT[:12]}.lean",
        f"validation-mathlib4-{COMMIT[:12]}.lean",
    ]


def test_import_jsonl_with_duplicate_steps(tmp_path: Path) -> None:
    same_step = record("Nat.other", "theorem other : True :=", [("⊢ True", "trivial", "no goals")])
    lines = [json.dumps(r) for r in (NO_STATEMENT, same_step)] + ["[]"]
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_leandojo(path, tmp_path / "out", split="val")
    assert report.rows == 1
    assert report.skipped_steps.counts == {"duplicate (state, tactic)": 1}
    assert report.skipped_records.counts == {"not a JSON object": 1}
    assert rows(tmp_path / "out")[0]["split"] == "validation"


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        import_leandojo(tmp_path / "missing.json", tmp_path / "out")
    with pytest.raises(InputError, match="no train/val/test"):
        import_leandojo(tmp_path, tmp_path / "out")
    with pytest.raises(InputError, match="not a JSON list"):
        import_leandojo(write_json(tmp_path / "n.json", 3), tmp_path / "out")
    with pytest.raises(InputError, match="cannot write to"):
        import_leandojo(write_json(tmp_path / "e.json", []), tmp_path / "e.json")
    with pytest.raises(InputError, match="not a module name"):
        import_leandojo(write_json(tmp_path / "l.json", []), tmp_path / "out", imports=("x",))


def test_cli_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="prover")
    add_commands(parser.add_subparsers(required=True))
    path = write_json(tmp_path / "data.json", [GOOD, BAD[0]])
    out = tmp_path / "out"
    args = parser.parse_args(["import", "leandojo", str(path), "--out", str(out), "--json"])
    assert args.run(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] == 1
    assert report["skipped_records"]["missing `file_path`"]["count"] == 1
    args = parser.parse_args(["import", "leandojo", str(write_json(path, [])), "--out", str(out)])
    assert args.run(args) == 1  # nothing imported
    assert "read 0 records" in capsys.readouterr().out


# Round trip: a theorem in LeanDojo's format, read back, gives the same steps.


def test_round_trip(tmp_path: Path) -> None:
    steps = [
        ("n : ℕ\n⊢ 0 + n = n", "induction n", "case zero\n⊢ 0 + 0 = 0\n\ncase succ\n..."),
        ("case zero\n⊢ 0 + 0 = 0\n\ncase succ\n...", "rfl", "case succ\n..."),
        ("case succ\n...", "simp", "no goals"),
    ]
    shape = record("Nat.zero_add'", "theorem zero_add' (n : ℕ) : 0 + n = n :=", steps)
    theorem = DojoTheorem(
        "Nat.zero_add'",
        "Mathlib/Nat.lean",
        URL,
        COMMIT,
        (10, 1),
        (12, 30),
        "theorem zero_add' (n : ℕ) : 0 + n = n :=",
        tuple(TracedTactic(t, b, a, [t, []]) for b, t, a in steps),
    )
    assert theorem.to_json() == shape and DojoTheorem.from_json(shape) == theorem
    for name, data in (("one.json", shape), ("list.json", [shape])):
        out = tmp_path / f"out-{name}"
        import_leandojo(write_json(tmp_path / name, data), out)
        got = [(r["state"], r["tactic"]) for r in rows(out)]
        assert got == [(b, t) for b, t, _ in steps]
        assert [r["verdict"] for r in rows(out)] == ["open", "open", "proved"]

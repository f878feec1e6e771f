"""Best-first search through the real Redis and the real embedded Lean: a coordinator
and a verifier worker on threads of this process (the worker-process tests are in
test_workers.py)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from prover.core.jobs import FINAL_STATUSES, Budget, JobInfo, JobSpec
from prover.core.records import normalize_state
from prover.feedback import RotatingJsonl, flush
from prover.lean.files import theorems_from_file
from prover.lean.verifier import ReplVerifier
from prover.queue.connect import Redis
from prover.queue.jobs import JobQueue
from prover.queue.keys import Keys
from prover.queue.verify_worker import VerifyWorker
from prover.search.coordinator import Coordinator
from prover.search.local import LocalSettings, run_locally
from prover.settings import FeedbackSettings, GeneratorSettings, RedisSettings

THEOREMS = Path(__file__).resolve().parent.parent / "lean" / "theorems" / "core_graded.lean"
Env = tuple[Redis, Keys]


def spec(name: str, **budget: float) -> JobSpec:
    """A theorem of the graded set as a job."""
    theorems = theorems_from_file(THEOREMS.read_bytes(), 100_000)
    theorem = next(a.theorem for a in theorems if a.theorem.name == name)
    return JobSpec(
        statement=theorem.statement,
        preamble=theorem.preamble,
        budget=Budget(**budget),  # type: ignore[arg-type]
        label="core_graded",
    )


@contextmanager
def running(workers: list[Callable[[threading.Event], None]]) -> Iterator[None]:
    stop = threading.Event()
    threads = [threading.Thread(target=w, args=(stop,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)


def wait_final(queue: JobQueue, ids: list[str], timeout_s: float = 420) -> list[JobInfo]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        jobs = [queue.get(i) for i in ids]
        if all(j is not None and j.status in FINAL_STATUSES for j in jobs):
            return [j for j in jobs if j is not None]
        time.sleep(0.5)
    raise AssertionError(f"jobs not final after {timeout_s} s: {[queue.get(i) for i in ids]}")


@pytest.mark.lean
def test_jobs_at_once_runs_a_set_one_search_after_another(
    verifier: ReplVerifier,
    redis_keys: Env,
    redis_settings: Callable[..., RedisSettings],
    tmp_path: Path,
) -> None:
    """Each job's clock starts when it is taken, not when the set was submitted."""
    local = LocalSettings(
        redis=redis_settings(redis_keys[1]),
        feedback=FeedbackSettings(dir=tmp_path),
        jobs_at_once=1,
    )
    specs = [spec(name, max_expansions=4) for name in ("l1_add_comm", "l1_lt_succ", "l1_arith")]
    run = run_locally(specs, local, verifier=verifier)
    assert [j.status for j in run.jobs] == ["proved"] * 3
    ordered = sorted(run.jobs, key=lambda j: j.started or 0)
    for before, after in itertools.pairwise(ordered):
        assert before.finished is not None and after.started is not None
        assert before.finished <= after.started


@pytest.mark.lean
def test_searches_end_with_the_right_status_and_record_everything(
    verifier: ReplVerifier,
    redis_keys: Env,
    redis_settings: Callable[..., RedisSettings],
    tmp_path: Path,
) -> None:
    """Three jobs batched together: a multi-step proof, a false statement with one
    expansion to spend, a bad statement."""
    redis, keys = redis_keys
    settings = redis_settings(keys)
    queue = JobQueue(redis, keys)
    live = redis.pubsub()
    live.subscribe(keys.channel)
    ids = [
        queue.submit(spec("l4_rev_length", max_expansions=20)),
        queue.submit(
            JobSpec(statement="theorem no (n : Nat) : n + 1 = n", budget=Budget(max_expansions=1))
        ),
        queue.submit(JobSpec(statement="theorem bad : no_such_thing = 1")),
    ]
    worker = VerifyWorker(redis, keys, settings, verifier, "verify-test")
    coordinator = Coordinator(redis, keys, settings, GeneratorSettings(), "search-test")
    with running([worker.run, coordinator.run]):
        proved, exhausted, error = wait_final(queue, ids)

    # Induction, then a simplification for each case: no single tactic proves it.
    assert proved.status == "proved", proved.reason
    assert len(proved.tactics) >= 2 and proved.tactics[0].startswith("induction")
    assert proved.proof is not None and proved.proof.startswith("by\n")
    tree = queue.tree(proved.id)
    assert tree is not None
    confirm = [e for e in tree["edges"] if e["kind"] == "confirm"]
    assert confirm[-1]["status"] == "proved"  # the whole proof, re-checked alone
    states = [normalize_state(n["state"]) for n in tree["nodes"]]
    assert len(states) == len(set(states))  # identical states are one node
    merged = [e for e in tree["edges"] if e.get("merged")]
    assert proved.merged == len(merged) > 0
    assert all(e["child"] in {n["id"] for n in tree["nodes"]} for e in merged)

    assert exhausted.status == "exhausted" and "expansion budget (1) spent" in exhausted.reason
    assert exhausted.expansions == 1 and exhausted.verifier_calls > 1
    assert error.status == "error" and "does not elaborate" in error.reason

    kinds = [e["kind"] for e in queue.events(proved.id)]
    assert kinds[:2] == ["submitted", "started"] and kinds[-1] == "finished"
    assert {"node", "verdict", "expanded"} <= set(kinds)
    messages = iter(lambda: live.get_message(timeout=0.5), None)
    published = [json.loads(m["data"]) for m in messages if m["type"] == "message"]
    mine = [p["kind"] for p in published if p["job"] == proved.id]
    assert mine == kinds  # the live channel saw what the stream kept

    records = flush(redis, keys, RotatingJsonl(tmp_path, 2**20), "flush-test")
    rows = [json.loads(line) for f in tmp_path.glob("*.jsonl") for line in f.open()]
    # Tasks still in flight when a proof is confirmed are dropped, so the proved job
    # records what its tree holds; the others ended only once every verdict was in.
    assert records == len(rows) == len(tree["edges"]) + exhausted.verifier_calls - 1
    assert error.verifier_calls == 1 and proved.verifier_calls >= len(tree["edges"]) + 1
    on_proof = [r for r in rows if r["on_proof"] and r["kind"] == "step"]
    assert [r["tactic"] for r in sorted(on_proof, key=lambda r: len(r["tactics"]))] == (
        proved.tactics
    )
    first = next(r for r in rows if r["tactics"] == proved.tactics[:1])
    assert first["state_before"].endswith("⊢ (rev xs).length = xs.length")
    assert first["verdict"] == "open" and first["state_after"] and first["generator"] == "symbolic"

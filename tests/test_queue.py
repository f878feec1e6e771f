"""The Redis side without Lean: jobs, validation, the key scheme, feedback files,
poison tasks and the embedded server. Against the real Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from prover.core.jobs import Budget, Forbidden, JobSpec
from prover.core.records import Node, Proposal
from prover.core.search import JobView, Transition, complete
from prover.core.theorem import Attempt, InputError, Theorem
from prover.feedback import RotatingJsonl, flush
from prover.lean.verifier import ReplVerifier
from prover.queue.connect import Redis, RedisUnavailable, connect, embedded_redis
from prover.queue.jobs import JobQueue
from prover.queue.keys import SCHEMA, VERIFIERS, Keys
from prover.queue.tasks import Task, decode_results
from prover.queue.verify_worker import VerifyWorker
from prover.search.redis_store import RedisStore
from prover.settings import LeanSettings, RedisSettings

Env = tuple[Redis, Keys]


def test_every_key_carries_the_prefix_and_the_schema_version() -> None:
    keys = Keys("p")
    names = [keys.job_queue, keys.job_index, *keys.task_streams, keys.feedback, keys.workers]
    names += [keys.channel, *keys.job_keys("j")]
    assert all(n.startswith(f"p:{SCHEMA}:") for n in names)
    assert len(set(names)) == len(names)


def test_a_submitted_job_is_queued_and_readable(redis_keys: Env) -> None:
    redis, keys = redis_keys
    queue = JobQueue(redis, keys)
    job_id = queue.submit(JobSpec(statement="theorem t (n : Nat) : n + 0 = n := by sorry"))
    job = queue.get(job_id)
    assert job is not None and job.status == "queued" and job.name == "t"
    assert job.statement == "theorem t (n : Nat) : n + 0 = n"
    assert [j.id for j in queue.recent()] == [job_id]
    assert queue.counts()["queued"] == 1 and queue.counts()["jobs_waiting"] == 1
    assert [e["kind"] for e in queue.events(job_id)] == ["submitted"]


def test_bad_statements_are_refused_before_anything_is_stored(redis_keys: Env) -> None:
    redis, keys = redis_keys
    queue = JobQueue(redis, keys)
    with pytest.raises(InputError, match="must look like"):
        queue.submit(JobSpec(statement="lemma"))
    with pytest.raises(Forbidden) as forbidden:
        queue.submit(JobSpec(statement="theorem t : True", preamble="axiom cheat : False"))
    assert forbidden.value.construct == "axiom"
    with pytest.raises(InputError, match="over the limit"):
        queue.submit(JobSpec(statement="theorem t : True", preamble="-" * 200), limit=100)
    with pytest.raises(ValidationError):
        Budget(max_expansions=0)
    assert queue.recent() == [] and not redis.exists(keys.job_queue)


def test_cancel_is_final_and_unknown_jobs_are_none(redis_keys: Env) -> None:
    redis, keys = redis_keys
    queue = JobQueue(redis, keys)
    job_id = queue.submit(JobSpec(statement="theorem t : True"))
    cancelled = queue.cancel(job_id)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert queue.counts()["cancelled"] == 1 and queue.counts()["queued"] == 0
    assert queue.events(job_id)[-1]["kind"] == "finished"
    assert queue.get("nope") is None and queue.cancel("nope") is None and queue.tree("nope") is None


def test_feedback_is_flushed_once_to_rotated_files(redis_keys: Env, tmp_path: Path) -> None:
    redis, keys = redis_keys
    for i in range(40):
        redis.xadd(keys.feedback, {"record": json.dumps({"id": f"j/{i}", "pad": "x" * 100})})
    # A flusher that died after reading 5 records, before writing them.
    redis.xgroup_create(keys.feedback, "flushers", id="0")
    redis.xreadgroup("flushers", "f", {keys.feedback: ">"}, count=5)
    writer = RotatingJsonl(tmp_path, rotate_bytes=1024)
    assert flush(redis, keys, writer, "f", batch=7) == 40
    assert flush(redis, keys, writer, "f") == 0
    files = sorted(tmp_path.glob("feedback-*.jsonl"))
    assert len(files) > 1
    ids = [json.loads(line)["id"] for f in files for line in f.read_text().splitlines()]
    assert sorted(ids) == sorted(f"j/{i}" for i in range(40))


def queue_task(redis: Redis, keys: Keys, job: str, status: str) -> None:
    """One task of a job with that status, in the tasks stream of a fresh group."""
    attempt = Attempt.whole(Theorem.parse("theorem t : True"), "by trivial")
    redis.xgroup_create(keys.tasks, VERIFIERS, id="0", mkstream=True)
    redis.hset(keys.job(job), "status", status)
    redis.xadd(keys.tasks, Task("1", job, attempt).fields())


def test_a_task_that_killed_its_workers_is_crashed_not_retried(
    redis_keys: Env, redis_settings: Callable[..., RedisSettings]
) -> None:
    redis, keys = redis_keys
    queue_task(redis, keys, "job", "running")
    redis.xreadgroup(VERIFIERS, "dead-1", {keys.tasks: ">"})
    (entry_id, _), *_ = redis.xrange(keys.tasks)
    for dead in ("dead-2", "dead-3"):  # each claim counts one more delivery
        redis.xclaim(keys.tasks, VERIFIERS, dead, 0, [entry_id])
    settings = redis_settings(keys, claim_idle_s=0.001, max_deliveries=3)
    worker = VerifyWorker(redis, keys, settings, ReplVerifier(LeanSettings(spares=0)), "w")
    assert worker.step(block_ms=10) == 1
    (verdict,) = decode_results(redis.lrange(keys.results("job"), 0, -1)).values()
    assert verdict.status == "crashed" and "4 verifier workers" in verdict.reason
    assert redis.xpending(keys.tasks, VERIFIERS)["pending"] == 0


def test_tasks_of_a_finished_job_are_dropped_unchecked(
    redis_keys: Env, redis_settings: Callable[..., RedisSettings]
) -> None:
    """A search that ended (proved, cancelled) leaves tasks in the stream: no Lean for them."""
    redis, keys = redis_keys
    queue_task(redis, keys, "done", "cancelled")
    verifier = ReplVerifier(LeanSettings(spares=0))
    worker = VerifyWorker(redis, keys, redis_settings(keys), verifier, "w")
    assert worker.step(block_ms=10) == 1
    assert redis.llen(keys.results("done")) == 0
    assert redis.xlen(keys.tasks) == redis.xpending(keys.tasks, VERIFIERS)["pending"] == 0
    assert verifier.pool.started == 0  # no Lean was started for them


def test_urgent_tasks_are_taken_first(
    redis_keys: Env, redis_settings: Callable[..., RedisSettings]
) -> None:
    """A confirmation (or a synchronous check) sent after a job's many steps jumps them."""
    redis, keys = redis_keys
    attempt = Attempt.whole(Theorem.parse("theorem t : True"), "by trivial")
    for k in range(5):
        redis.xadd(keys.tasks, Task(f"step{k}", "job", attempt).fields())
    redis.xadd(keys.urgent_tasks, Task("confirm", "job", attempt).fields())
    worker = VerifyWorker(redis, keys, redis_settings(keys), ReplVerifier(LeanSettings()), "w")
    taken = [Task.from_fields(fields).id for _, _, fields in worker._take(block_ms=10)]
    assert taken == ["confirm", "step0"]  # two a lane


def test_every_jobs_first_tactics_are_checked_before_any_later_ones(
    redis_keys: Env, redis_settings: Callable[..., RedisSettings]
) -> None:
    """Two jobs expand their root with 6 tactics each, one after the other: the verifiers
    take both jobs' first four before the first job's last two."""
    redis, keys = redis_keys
    theorem = Theorem.parse("theorem t : True")
    store = RedisStore(redis, keys, "coordinator")
    root = Node(0, None, (), "⊢ True", 0.0)
    for job in ("a", "b"):
        view = JobView(
            job_id=job,
            status="running",
            spec=JobSpec(statement="theorem t : True"),
            theorem=theorem,
            started=0.0,
            expansions=0,
            verifier_calls=0,
            next_node=1,
            candidates=(),
            pending=(),
            verdicts={},
            consumed=0,
            seen={},
            best_open=(root,),
            open_count=1,
            version="0/running",
        )
        redis.hset(keys.job(job), mapping={"status": "running", "rev": 0})
        t = Transition(job, next_node=1, expanded=[root])
        complete(view, t, [[Proposal(-k, f"tac{k}") for k in range(6)]])
        assert store.commit(view, t)
    worker = VerifyWorker(redis, keys, redis_settings(keys), ReplVerifier(LeanSettings()), "w")
    taken = []
    while batch := worker._take(block_ms=10):
        taken += [(f["job"], Task.from_fields(f).attempt.tactics[-1]) for *_, f in batch]
    assert taken[:8] == [(j, f"tac{k}") for j in "ab" for k in range(4)]
    assert sorted(taken[8:]) == [(j, f"tac{k}") for j in "ab" for k in (4, 5)]


def test_finished_jobs_are_swept_after_their_retention(redis_keys: Env) -> None:
    redis, keys = redis_keys
    queue = JobQueue(redis, keys)
    done = queue.submit(JobSpec(statement="theorem a : True"), owner="key:abc")
    running = queue.submit(JobSpec(statement="theorem b : True"))
    queue.cancel(done)
    redis.rpush(keys.edges(done), "{}")  # its tree
    assert queue.sweep(older_than_s=3600) == 0  # it ended just now
    assert queue.sweep(older_than_s=0) == 1
    assert not any(redis.exists(k) for k in keys.job_keys(done))
    assert queue.get(done) is None and [j.id for j in queue.recent()] == [running]
    assert queue.counts()["cancelled"] == 0 and queue.owned("key:abc") == []
    info = queue.get(running)
    assert info is not None and info.status == "queued"


def test_the_embedded_server_serves_then_goes() -> None:
    with embedded_redis() as url:
        client = connect(url)
        assert client.set("k", "v") and client.get("k") == "v"
    with pytest.raises(RedisUnavailable):
        connect(url)


def test_the_embedded_server_dies_with_a_killed_parent() -> None:
    code = "from prover.queue.connect import embedded_redis as e\nimport time\n"
    code += "with e() as url:\n    print(url, flush=True)\n    time.sleep(60)\n"
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    url = parent.stdout.readline().strip()
    connect(url)
    parent.kill()
    parent.wait()
    for _ in range(50):
        try:
            connect(url)
        except RedisUnavailable:
            return
        time.sleep(0.1)
    raise AssertionError(f"redis-server at {url} outlived its killed parent")


def test_workers_and_status_need_a_reachable_redis(redis_keys: Env) -> None:
    _, keys = redis_keys
    env = {"PATH": "/usr/bin:/bin", "PROVER_REDIS_PREFIX": keys.prefix}

    def prover(*args: str, url: str | None) -> subprocess.CompletedProcess[str]:
        extra = {"PROVER_REDIS_URL": url} if url else {}
        command = [sys.executable, "-m", "prover.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env | extra, timeout=60)

    missing = prover("worker", "verify", url=None)
    assert missing.returncode == 2 and "PROVER_REDIS_URL" in missing.stderr
    down = prover("status", url="redis://127.0.0.1:1/0")
    assert down.returncode == 2 and "cannot reach Redis" in down.stderr
    assert prover("status", "--quiet", url="redis://127.0.0.1:1/0").returncode == 1
    up = prover("status", "--json", url="redis://127.0.0.1:6379/0")
    assert up.returncode == 0 and json.loads(up.stdout)["jobs"]["queued"] == 0

"""Worker processes against the real Redis and the real embedded Lean: a verifier worker
killed mid-task, a coordinator killed and restarted, and a graceful SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from prover.lean.verifier import ReplVerifier
from prover.queue.connect import Redis, ensure_group
from prover.queue.jobs import JobQueue
from prover.queue.keys import COORDINATORS, VERIFIERS, Keys
from prover.queue.verify_worker import VerifyWorker
from prover.search.coordinator import Coordinator
from prover.settings import GeneratorSettings, RedisSettings
from tests.test_search import running, spec, wait_final

Env = tuple[Redis, Keys]


@contextmanager
def prover_process(settings: RedisSettings, *args: str) -> Iterator[subprocess.Popen[str]]:
    """``prover ARGS`` in its own process group (so its Lean processes die with it)."""
    env = os.environ | {
        "PROVER_REDIS_URL": settings.url or "",
        "PROVER_REDIS_PREFIX": settings.prefix,
        "PROVER_REDIS_CLAIM_IDLE_S": str(settings.claim_idle_s),
        "PROVER_REDIS_LINGER_S": str(settings.linger_s),
        "PROVER_REDIS_POLL_S": str(settings.poll_s),
        "PROVER_LEAN_PROCESSES": "1",
    }
    command = [sys.executable, "-m", "prover.cli", *args]
    proc = subprocess.Popen(command, env=env, text=True, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def wait_until(what: str, check: Callable[[], bool], timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def held_by(redis: Redis, streams: list[str], group: str, consumer: str) -> list[str]:
    out = []
    for stream in streams:
        ensure_group(redis, stream, group)
        pending = redis.xpending_range(stream, group, "-", "+", 1000, consumername=consumer)
        out += [p["message_id"] for p in pending]
    return out


def task_streams(keys: Keys) -> list[str]:
    return list(keys.task_streams)


@pytest.mark.lean
def test_a_job_survives_a_verifier_worker_killed_mid_task(
    verifier: ReplVerifier, redis_keys: Env, redis_settings: Callable[..., RedisSettings]
) -> None:
    redis, keys = redis_keys
    settings = redis_settings(keys)
    queue = JobQueue(redis, keys)
    # Imports of its own: the worker's warm REPL (no imports) cannot serve it, so it holds
    # the task for a REPL's whole start (tens of seconds), when it is killed.
    job_id = queue.submit(spec("l2_and_swap").model_copy(update={"imports": ["Init"]}))
    coordinator = Coordinator(redis, keys, settings, GeneratorSettings(), "search-test")

    def doomed_holds() -> list[str]:
        return held_by(redis, task_streams(keys), VERIFIERS, "doomed")

    with running([coordinator.run]):
        with prover_process(settings, "worker", "verify", "--name", "doomed") as doomed:
            wait_until("the worker to hold tasks", lambda: bool(doomed_holds()))
            taken = doomed_holds()
            time.sleep(1.0)  # Lean is now starting a REPL for them
            os.killpg(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=30)
        assert doomed_holds() == taken  # unacknowledged: nobody has their verdicts yet
        rescuer = VerifyWorker(redis, keys, settings, verifier, "rescuer")
        with running([rescuer.run]):
            (job,) = wait_final(queue, [job_id])
    assert job.status == "proved", job.reason
    assert doomed_holds() == [] and rescuer.done > 0
    assert all(redis.xpending(s, VERIFIERS)["pending"] == 0 for s in task_streams(keys))


@pytest.mark.lean
def test_a_restarted_coordinator_resumes_its_jobs_where_they_stood(
    verifier: ReplVerifier, redis_keys: Env, redis_settings: Callable[..., RedisSettings]
) -> None:
    redis, keys = redis_keys
    # Claims never expire in this test: only the restart under the same name can resume.
    settings = redis_settings(keys, claim_idle_s=600.0)
    queue = JobQueue(redis, keys)
    job_id = queue.submit(spec("l2_and_swap"))
    worker = VerifyWorker(redis, keys, settings, verifier, "verify-test")
    with running([worker.run]):
        with prover_process(settings, "worker", "search", "--name", "coord") as first:
            wait_until(
                "an expansion",
                lambda: (job := queue.get(job_id)) is not None and job.expansions >= 1,
            )
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        before = queue.get(job_id)
        assert before is not None and before.status == "running"
        with prover_process(settings, "worker", "search", "--name", "coord"):
            (job,) = wait_final(queue, [job_id])
    assert job.status == "proved", job.reason
    assert job.expansions >= before.expansions and job.nodes >= before.nodes
    kinds = [e["kind"] for e in queue.events(job_id)]
    assert kinds.count("started") == 1  # resumed, not started over
    assert redis.xpending(keys.job_queue, COORDINATORS)["pending"] == 0


@pytest.mark.lean
def test_sigterm_finishes_the_batch_in_hand_then_exits(
    redis_keys: Env, redis_settings: Callable[..., RedisSettings]
) -> None:
    redis, keys = redis_keys
    settings = redis_settings(keys)
    queue = JobQueue(redis, keys)
    job_id = queue.submit(spec("l1_add_comm"))
    coordinator = Coordinator(redis, keys, settings, GeneratorSettings(), "search-test")
    with running([coordinator.run]):
        with prover_process(settings, "worker", "verify", "--name", "polite") as polite:
            wait_until("the worker to hold tasks", lambda: bool(held(redis, keys)))
            polite.send_signal(signal.SIGTERM)
            assert polite.wait(timeout=240) == 0
        assert held(redis, keys) == []
        # Its verdict was delivered: the coordinator made the root node from it.
        wait_until("the root node", lambda: nodes(queue, job_id) == 1, timeout_s=30)
    assert queue.cancel(job_id) is not None


def expansions(queue: JobQueue, job_id: str) -> int:
    job = queue.get(job_id)
    return job.expansions if job else 0


def nodes(queue: JobQueue, job_id: str) -> int:
    job = queue.get(job_id)
    return job.nodes if job else 0


def held(redis: Redis, keys: Keys) -> list[str]:
    return held_by(redis, task_streams(keys), VERIFIERS, "polite")

"""The Redis job store's guarantees against the real Redis (no Lean): a transition is
written whole only if the job is as its view saw it, and tasks go where they should."""

from __future__ import annotations

import time

from prover.core.jobs import Budget, JobSpec
from prover.core.records import Node
from prover.core.search import decide
from prover.core.verdicts import Failed, Goal, Open
from prover.generate.symbolic import SymbolicProposer
from prover.queue.connect import Redis
from prover.queue.jobs import JobQueue
from prover.queue.keys import Keys
from prover.queue.tasks import encode_result
from prover.search.advance import advance_jobs
from prover.search.redis_store import RedisStore

SPEC = JobSpec(statement="theorem t (n : Nat) : n + 0 = n")


def test_a_transition_is_dropped_when_the_job_changed_since_its_view(
    redis_keys: tuple[Redis, Keys],
) -> None:
    redis, keys = redis_keys
    queue, store = JobQueue(redis, keys), RedisStore(redis, keys, "search-test")
    job_id = queue.submit(SPEC)
    view = store.view(job_id)
    assert view is not None and view.status == "queued"
    start = decide(view, time.time())
    assert store.commit(view, start)
    assert not store.commit(view, start)  # the same view again: stale, nothing written
    info = queue.get(job_id)
    assert info is not None and info.status == "running" and info.verifier_calls == 1
    assert redis.xlen(keys.urgent_tasks) == 1  # the root, where someone waits on it

    # The root's verdict arrives; a cancel lands between reading and writing.
    root = Open((Goal(("n : Nat",), "n + 0 = n"),))
    redis.rpush(keys.results(job_id), encode_result("0", root, "verify-test"))
    view = store.view(job_id)
    assert view is not None and set(view.verdicts) == {"0"}
    step = decide(view, time.time())
    assert step.nodes and step.done == ["0"]
    assert queue.cancel(job_id) is not None
    assert not store.commit(view, step)
    info = queue.get(job_id)
    assert info is not None and info.status == "cancelled" and info.nodes == 0
    assert store.view(job_id) is None  # final: nothing more for the search
    assert not redis.exists(keys.results(job_id), keys.pending(job_id))


def test_a_job_the_search_cannot_read_ends_as_an_error(redis_keys: tuple[Redis, Keys]) -> None:
    redis, keys = redis_keys
    queue, store = JobQueue(redis, keys), RedisStore(redis, keys, "search-test")
    good, bad = queue.submit(SPEC), queue.submit(SPEC)
    redis.hset(keys.job(bad), "spec", "{not json")

    advance_jobs(store, [bad, good], lambda *_: (SymbolicProposer(), {}))
    status, reason = redis.hmget(keys.job(bad), ["status", "reason"])
    assert status == "error" and "cannot be searched" in reason
    good_info = queue.get(good)
    assert good_info is not None and good_info.status == "running"


def test_the_tactics_that_crashed_lean_are_kept_with_the_job(
    redis_keys: tuple[Redis, Keys],
) -> None:
    redis, keys = redis_keys
    store = RedisStore(redis, keys, "search-test")
    job_id = JobQueue(redis, keys).submit(SPEC)
    for _ in range(2):  # its start, then a step where a tactic crashed
        view = store.view(job_id)
        assert view is not None and view.crashed == frozenset()
        step = decide(view, time.time())
        if view.status == "running":
            step.crashed.add("omega")
        assert store.commit(view, step)
    view = store.view(job_id)
    assert view is not None and view.crashed == {"omega"}


def test_an_expanded_node_comes_back_with_its_next_tactics(
    redis_keys: tuple[Redis, Keys],
) -> None:
    """Two tactics a visit: the root goes back on the frontier, lower, with its visit
    counted; it is not expanded again until its tactics' verdicts are in, and then its
    next two tactics go."""
    redis, keys = redis_keys
    queue, store = JobQueue(redis, keys), RedisStore(redis, keys, "search-test")
    spec = JobSpec(statement=SPEC.statement, budget=Budget(proposals_per_node=2))
    job_id = queue.submit(spec)
    symbolic = lambda *_: (SymbolicProposer(), {})  # noqa: E731
    advance_jobs(store, [job_id], symbolic)
    root = Open((Goal(("n : Nat",), "n + 0 = n"),))
    redis.rpush(keys.results(job_id), encode_result("0", root, "verify-test"))
    advance_jobs(store, [job_id], symbolic)
    view = store.view(job_id)
    assert view is not None and [s.tactics for s in view.pending] and view.open_count == 1
    back = Node.from_json(redis.hget(keys.nodes(job_id), "0"))
    assert back.visits == 1 and back.lowered > 0
    first = {s.tactics for s in view.pending}
    assert {(t,) for t in back.sent} == first
    tree = queue.tree(job_id)
    assert tree is not None and tree["nodes"][0]["visits"] == 1 and tree["nodes"][0]["open"]
    assert not advance_jobs(store, [job_id], symbolic)  # its tactics are still out

    for task in ("1", "2"):
        redis.rpush(keys.results(job_id), encode_result(task, Failed("no"), "verify-test"))
    advance_jobs(store, [job_id], symbolic)
    view = store.view(job_id)
    assert view is not None and view.expansions == 2
    second = {s.tactics for s in view.pending}
    assert len(second) == 2 and not first & second

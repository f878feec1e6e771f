"""Jobs' searches in Redis. A view is read in one MULTI (a consistent snapshot) and a
transition is written in one MULTI, under WATCH of the job's hash and only if the job's
``rev`` and status are what the view saw: a coordinator that dies at any point leaves a
job another one (or itself, restarted) picks up where it stood, and a cancel or another
coordinator's write in between drops this one."""

from __future__ import annotations

import json
import time
from dataclasses import replace

from redis.client import Pipeline
from redis.exceptions import WatchError

from prover.core.jobs import FINAL_STATUSES, FinalStatus, parsed
from prover.core.records import Edge, Node, Step, normalize_state
from prover.core.search import JobView, Transition, best_first, priority
from prover.queue.connect import Redis
from prover.queue.events import emit
from prover.queue.jobs import JobQueue, set_status
from prover.queue.keys import Keys
from prover.queue.tasks import Task, decode_results


class RedisStore:
    """The :class:`~prover.core.search.JobStore` of the service."""

    def __init__(self, redis: Redis, keys: Keys, owner: str) -> None:
        self.redis, self.keys, self.owner = redis, keys, owner

    def view(self, job_id: str) -> JobView | None:
        keys = self.keys
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(keys.job(job_id))
            pipe.hgetall(keys.pending(job_id))
            pipe.lrange(keys.results(job_id), 0, -1)
            pipe.zrange(keys.frontier(job_id), 0, 63, withscores=True)
            pipe.zcard(keys.frontier(job_id))
            job, pending, raw, best_ids, open_count = pipe.execute()
        if not job or job["status"] in FINAL_STATUSES:
            return None
        spec, theorem = parsed(job["spec"])
        verdicts = decode_results(raw)
        view = JobView(
            job_id=job_id,
            status="running" if job["status"] == "running" else "queued",
            spec=spec,
            theorem=theorem,
            started=float(job["started"]) if job.get("started") else None,
            expansions=int(job.get("expansions", 0)),
            verifier_calls=int(job.get("verifier_calls", 0)),
            next_node=int(job.get("next_node", 0)),
            candidates=tuple(Step.of("", c) for c in json.loads(job.get("candidates") or "[]")),
            pending=tuple(Step.of(task, json.loads(text)) for task, text in pending.items()),
            verdicts=verdicts,
            consumed=len(raw),
            seen={},
            best_open=(),
            open_count=int(open_count),
            version=f"{job.get('rev', '0')}/{job['status']}",
            crashed=frozenset(json.loads(job.get("crashed") or "[]")),
        )
        # The sorted set orders equal scores by member text ("10" before "9"): re-rank.
        ranked = sorted((score, int(member)) for member, score in best_ids)
        return self._with_tree(view, [str(i) for _, i in ranked[: spec.budget.nodes_in_flight]])

    def end(self, job_id: str, status: FinalStatus, reason: str) -> bool:
        return JobQueue(self.redis, self.keys).end(job_id, status, reason)

    def _with_tree(self, view: JobView, best_ids: list[str]) -> JobView:
        """The view with the stored nodes it needs: those its verdicts reached, and the
        best open ones. (Nodes are written only with a ``rev`` bump, so a change in
        between is caught at commit.)"""
        reached = view.reached()
        seen: dict[str, int] = {}
        if reached:
            ids = self.redis.hmget(self.keys.seen(view.job_id), reached)
            seen = {k: int(i) for k, i in zip(reached, ids, strict=True) if i is not None}
        best: tuple[Node, ...] = ()
        if best_ids:
            texts = self.redis.hmget(self.keys.nodes(view.job_id), best_ids)
            best = tuple(best_first([Node.from_json(t) for t in texts if t is not None]))
        return replace(view, seen=seen, best_open=best)

    def commit(self, view: JobView, transition: Transition) -> bool:
        key = self.keys.job(view.job_id)
        try:
            with self.redis.pipeline() as pipe:
                pipe.watch(key)
                rev, status = pipe.hmget(key, ["rev", "status"])
                if f"{rev or '0'}/{status}" != view.version:
                    return False
                pipe.multi()
                _Write(self, pipe, view, transition).all()
                pipe.execute()
                return True
        except WatchError:
            return False


class _Write:
    """One transition's writes, queued inside MULTI."""

    def __init__(self, store: RedisStore, pipe: Pipeline, view: JobView, t: Transition) -> None:
        self.store, self.pipe, self.view, self.t = store, pipe, view, t
        self.keys, self.job_id = store.keys, view.job_id
        self.key = store.keys.job(view.job_id)

    def all(self) -> None:
        t, pipe, keys, job_id = self.t, self.pipe, self.keys, self.job_id
        pipe.hincrby(self.key, "rev", 1)
        if t.start:
            self._start()
        self._nodes(t.nodes)
        self._edges(t.edges)
        if t.done:
            pipe.hdel(keys.pending(job_id), *t.done)
        if t.consumed:
            pipe.ltrim(keys.results(job_id), t.consumed, -1)
        if t.expanded:
            pipe.zrem(keys.frontier(job_id), *(str(n.id) for n in t.expanded))
            pipe.hincrby(self.key, "expansions", len(t.expanded))
        self._visited(t)
        if not t.start:
            queued = json.dumps([c.data() for c in t.candidates], ensure_ascii=False)
            fields = {"next_node": t.next_node, "candidates": queued}
            if t.crashed != self.view.crashed:
                fields["crashed"] = json.dumps(sorted(t.crashed), ensure_ascii=False)
            pipe.hset(self.key, mapping=fields)
            pipe.hincrby(self.key, "merged", t.merged)
        if t.final is not None:
            self._finish(*t.final)
        else:
            self._send()

    def _start(self) -> None:
        owner = self.store.owner
        set_status(self.pipe, self.keys, self.job_id, "queued", "running")
        fields = {"started": repr(time.time()), "coordinator": owner}
        fields["generator"] = json.dumps(self.t.generator)
        self.pipe.hset(self.key, mapping=fields)
        emit(self.pipe, self.keys, self.job_id, "started", {"coordinator": owner})

    def _finish(self, status: str, fields: dict[str, str]) -> None:
        pipe = self.pipe
        set_status(pipe, self.keys, self.job_id, self.view.status, status)
        pipe.hset(self.key, mapping={**fields, "finished": repr(time.time())})
        pipe.delete(*self.keys.search_keys(self.job_id))
        data = {"status": status, "proof": fields.get("proof"), "reason": fields.get("reason", "")}
        emit(pipe, self.keys, self.job_id, "finished", data)

    def _send(self) -> None:
        """Queue the verification tasks (ids from the job's call counter) and note them
        as pending, each on its priority's stream."""
        pending: dict[str, str] = {}
        for k, (step, attempt) in enumerate(self.t.tasks):
            task = str(self.view.verifier_calls + k)
            stream = self.keys.task_stream(priority(step))
            self.pipe.xadd(stream, Task(task, self.job_id, attempt).fields())
            pending[task] = json.dumps(step.data(), ensure_ascii=False)
        if pending:
            self.pipe.hset(self.keys.pending(self.job_id), mapping=pending)
            self.pipe.hincrby(self.key, "verifier_calls", len(pending))

    def _nodes(self, nodes: list[Node]) -> None:
        if not nodes:
            return
        job_id, pipe, keys = self.job_id, self.pipe, self.keys
        pipe.hset(keys.nodes(job_id), mapping={str(n.id): n.to_json() for n in nodes})
        pipe.hset(keys.seen(job_id), mapping={normalize_state(n.state): n.id for n in nodes})
        pipe.zadd(keys.frontier(job_id), {str(n.id): -n.score for n in nodes})
        pipe.hincrby(self.key, "nodes", len(nodes))
        for n in nodes:
            data = {"node": n.id, "parent": n.parent, "score": round(n.score, 4), "state": n.state}
            data["value"] = round(n.value, 4)
            emit(pipe, keys, job_id, "node", {**data, "tactic": (n.tactics or ("",))[-1]})

    def _visited(self, t: Transition) -> None:
        """The expanded nodes as they are now; those with tactics left go back."""
        if not t.visited:
            return
        pipe, keys, job_id = self.pipe, self.keys, self.job_id
        pipe.hset(keys.nodes(job_id), mapping={str(n.id): n.to_json() for n in t.visited})
        back = {str(n.id): -n.score for n in t.visited if n.id in t.reopened}
        if back:
            pipe.zadd(keys.frontier(job_id), back)
        for data in t.expansions():
            emit(pipe, keys, job_id, "expanded", data)

    def _edges(self, edges: list[Edge]) -> None:
        if not edges:
            return
        data = [e.model_dump(mode="json") for e in edges]
        self.pipe.rpush(self.keys.edges(self.job_id), *(json.dumps(d) for d in data))
        for d in data:
            emit(self.pipe, self.keys, self.job_id, "verdict", d)

"""Jobs in Redis: how they are stored, read back and cancelled."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from redis.exceptions import WatchError

from prover.core.jobs import FINAL_STATUSES, JOB_STATUSES, JobInfo, JobSpec
from prover.core.theorem import MAX_INPUT_BYTES
from prover.queue.connect import Redis
from prover.queue.events import emit, parse_event
from prover.queue.keys import COORDINATORS, Keys


class JobQueue:
    """Submitting, reading and cancelling jobs (the API's and the CLI's side of Redis)."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis, self.keys = redis, keys

    def submit(self, spec: JobSpec, limit: int = MAX_INPUT_BYTES, owner: str = "") -> str:
        """Validate, store and enqueue; returns the job id. Raises ``InputError``. An
        ``owner`` (an API key's tenant) is recorded and indexes the job under it."""
        theorem = spec.theorem(limit)
        job_id = uuid.uuid4().hex
        now = time.time()
        fields = {
            "spec": spec.model_dump_json(),
            "status": "queued",
            "name": theorem.name,
            "statement": theorem.statement,
            "label": spec.label,
            "created": repr(now),
            "owner": owner,
        }
        with self.redis.pipeline() as pipe:
            pipe.hset(self.keys.job(job_id), mapping=fields)
            pipe.zadd(self.keys.job_index, {job_id: now})
            if owner:
                pipe.zadd(self.keys.owned(owner), {job_id: now})
            pipe.sadd(self.keys.status_set("queued"), job_id)
            emit(pipe, self.keys, job_id, "submitted", {"name": theorem.name})
            pipe.xadd(self.keys.job_queue, {"job": job_id})
            pipe.execute()
        return job_id

    def get(self, job_id: str) -> JobInfo | None:
        return job_info(job_id, self.redis.hgetall(self.keys.job(job_id)))

    def owner(self, job_id: str) -> str | None:
        """Who submitted the job ("" through the CLI or without API keys); None: no job."""
        status, owner = self.redis.hmget(self.keys.job(job_id), ["status", "owner"])
        return None if status is None else owner or ""

    def statuses(self, ids: list[str]) -> list[str | None]:
        """Each job's status (None: no such job), in one round trip."""
        with self.redis.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.hget(self.keys.job(job_id), "status")
            return list(pipe.execute())

    def owned(self, owner: str) -> list[str]:
        """Ids of every job the owner submitted, newest first."""
        return list(self.redis.zrevrange(self.keys.owned(owner), 0, -1))

    def recent(
        self, limit: int = 100, status: str | None = None, owner: str | None = None
    ) -> list[JobInfo]:
        """Newest first; only ``owner``'s jobs when one is given."""
        index = self.keys.job_index if owner is None else self.keys.owned(owner)
        ids = self.redis.zrevrange(index, 0, -1 if status else limit - 1)
        out = []
        for job_id in ids:
            info = self.get(job_id)
            if info and (status is None or info.status == status):
                out.append(info)
            if len(out) >= limit:
                break
        return out

    def cancel(self, job_id: str) -> JobInfo | None:
        """Final jobs stay as they are; the coordinator holding it lets it go."""
        if not self.end(job_id, "cancelled", "cancelled"):
            return None
        return self.get(job_id)

    def end(self, job_id: str, status: str, reason: str) -> bool:
        """Make a job that is not final ``status`` (cancelled, or error for one the search
        cannot work on), with its search keys gone; False when there is no such job. A
        search step written in between is retried over (every step writes the hash)."""
        key = self.keys.job(job_id)
        while True:
            try:
                with self.redis.pipeline() as pipe:
                    pipe.watch(key)
                    old = pipe.hget(key, "status")
                    if old is None:
                        return False
                    if old in FINAL_STATUSES:
                        return True
                    pipe.multi()
                    set_status(pipe, self.keys, job_id, old, status)
                    pipe.hset(key, mapping={"reason": reason, "finished": repr(time.time())})
                    pipe.delete(*self.keys.search_keys(job_id))
                    data = {"status": status, "proof": None, "reason": reason}
                    emit(pipe, self.keys, job_id, "finished", data)
                    pipe.execute()
                    return True
            except WatchError:
                continue

    def sweep(self, older_than_s: float, limit: int = 500) -> int:
        """Delete up to ``limit`` jobs that ended more than ``older_than_s`` ago (every key
        of theirs and their index entries); returns how many. Feedback records were
        appended to the feedback stream when each job ended, and stay."""
        due = self.redis.zrangebyscore(
            self.keys.finished_index, "-inf", time.time() - older_than_s, start=0, num=limit
        )
        for job_id in due:
            status, owner = self.redis.hmget(self.keys.job(job_id), ["status", "owner"])
            with self.redis.pipeline() as pipe:
                pipe.delete(*self.keys.job_keys(job_id))
                pipe.zrem(self.keys.job_index, job_id)
                pipe.zrem(self.keys.finished_index, job_id)
                if status:
                    pipe.srem(self.keys.status_set(status), job_id)
                if owner:
                    pipe.zrem(self.keys.owned(owner), job_id)
                pipe.execute()
        return len(due)

    def tree(self, job_id: str) -> dict[str, Any] | None:
        """Nodes and edges of the search so far."""
        if not self.redis.exists(self.keys.job(job_id)):
            return None
        nodes = [json.loads(v) for v in self.redis.hvals(self.keys.nodes(job_id))]
        nodes.sort(key=lambda n: n["id"])
        open_ids = set(self.redis.zrange(self.keys.frontier(job_id), 0, -1))
        for node in nodes:
            node["open"] = str(node["id"]) in open_ids
        edges = [json.loads(e) for e in self.redis.lrange(self.keys.edges(job_id), 0, -1)]
        return {"nodes": nodes, "edges": edges}

    def events(self, job_id: str, after: str = "0", count: int = 1000) -> list[dict[str, Any]]:
        """Events after the stream id ``after`` (``"0"``: from the start)."""
        entries = self.redis.xrange(self.keys.events(job_id), f"({after}", "+", count=count)
        return [parse_event(entry_id, fields) for entry_id, fields in entries]

    def counts(self) -> dict[str, int]:
        """Jobs by status, and the depth of each queue."""
        out: dict[str, int] = {
            s: int(self.redis.scard(self.keys.status_set(s))) for s in JOB_STATUSES
        }
        out["tasks_waiting"] = sum(
            _waiting(self.redis, stream) for stream in self.keys.task_streams
        )
        out["jobs_waiting"] = _waiting(self.redis, self.keys.job_queue, COORDINATORS)
        return out


def _waiting(redis: Redis, stream: str, group: str | None = None) -> int:
    """Entries not yet delivered to the group (all entries when the group is absent)."""
    if not redis.exists(stream):
        return 0
    groups = {g["name"]: g for g in redis.xinfo_groups(stream)}
    info = groups.get(group) if group else next(iter(groups.values()), None)
    if info is None or info.get("lag") is None:
        return int(redis.xlen(stream))
    return int(info["lag"])


def set_status(pipe: Any, keys: Keys, job_id: str, old: str, new: str) -> None:
    pipe.srem(keys.status_set(old), job_id)
    pipe.sadd(keys.status_set(new), job_id)
    pipe.hset(keys.job(job_id), "status", new)
    if new in FINAL_STATUSES:
        pipe.zadd(keys.finished_index, {job_id: time.time()})


def job_info(job_id: str, raw: dict[str, str]) -> JobInfo | None:
    if not raw:
        return None
    spec = JobSpec.model_validate_json(raw["spec"])
    started = _float(raw.get("started"))
    finished = _float(raw.get("finished"))
    end = finished or (time.time() if started else None)
    return JobInfo(
        id=job_id,
        status=raw["status"],  # type: ignore[arg-type]
        name=raw["name"],
        statement=raw["statement"],
        label=raw.get("label", ""),
        proof=raw.get("proof") or None,
        tactics=json.loads(raw.get("tactics") or "[]"),
        reason=raw.get("reason", ""),
        created=float(raw["created"]),
        started=started,
        finished=finished,
        time_s=round(end - started, 3) if started and end else None,
        expansions=int(raw.get("expansions", 0)),
        verifier_calls=int(raw.get("verifier_calls", 0)),
        nodes=int(raw.get("nodes", 0)),
        merged=int(raw.get("merged", 0)),
        coordinator=raw.get("coordinator"),
        budget=spec.budget,
        generator=json.loads(raw.get("generator") or "{}"),
    )


def _float(value: str | None) -> float | None:
    return float(value) if value else None

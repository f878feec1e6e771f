"""Feedback: every verdict of a finished job as a record for retraining.

Records are appended to a Redis stream when a job ends (only then is it known which
steps lay on the proof), and flushed from there to rotated JSONL files: a file is
fsynced before its records are acknowledged, so a crash may write a record twice (its
``id`` tells) but never loses one.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from redis.exceptions import WatchError

from prover.core.jobs import JobSpec
from prover.core.records import Edge, FeedbackRecord
from prover.queue.connect import Redis, ensure_group
from prover.queue.keys import FLUSHERS, Keys


def record_job(redis: Redis, keys: Keys, job_id: str) -> int:
    """Append the records of a final job once; returns how many were appended."""
    key = keys.job(job_id)
    try:
        with redis.pipeline() as pipe:
            pipe.watch(key)
            job = pipe.hgetall(key)
            if not job or job.get("recorded"):
                return 0
            nodes = {int(k): json.loads(v) for k, v in pipe.hgetall(keys.nodes(job_id)).items()}
            edges = [json.loads(e) for e in pipe.lrange(keys.edges(job_id), 0, -1)]
            records = job_records(job_id, job, nodes, edges)
            pipe.multi()
            for record in records:
                pipe.xadd(keys.feedback, {"record": json.dumps(record, ensure_ascii=False)})
            pipe.hset(key, "recorded", len(records))
            pipe.execute()
            return len(records)
    except WatchError:
        return 0


def job_records(
    job_id: str, job: dict[str, str], nodes: dict[int, dict[str, Any]], edges: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The feedback records of a final job's edges (JSON-ready, ``schema`` first)."""
    spec = JobSpec.model_validate_json(job["spec"])
    proof = json.loads(job.get("tactics") or "[]") if job["status"] == "proved" else []
    generator = json.loads(job.get("generator") or "{}")
    out = []
    for i, data in enumerate(edges):
        edge = Edge.model_validate(data)
        parent = nodes.get(edge.parent) if edge.parent is not None else None
        record = FeedbackRecord(
            id=f"{job_id}/{i}",
            job=job_id,
            label=spec.label,
            theorem=job["name"],
            statement=job["statement"],
            preamble=spec.preamble,
            imports=spec.imports,
            kind=edge.kind,
            state_before=parent["state"] if parent else None,
            tactic=edge.tactic,
            tactics=edge.tactics,
            verdict=edge.status,
            state_after=edge.state_after,
            error=edge.error,
            time_s=edge.time_s,
            generator=generator.get("backend", ""),
            model=generator.get("model", ""),
            on_proof=bool(proof) and edge.tactics == proof[: len(edge.tactics)],
            job_status=job["status"],
            recorded_at=round(time.time(), 3),
        )
        out.append(record.model_dump(by_alias=True))
    return out


class RotatingJsonl:
    """Appends lines to ``feedback-<time>-<pid>.jsonl`` files, starting a new one past a size."""

    def __init__(self, directory: Path, rotate_bytes: int) -> None:
        self.directory, self.rotate_bytes = directory, rotate_bytes
        self.path: Path | None = None

    def write(self, lines: list[str]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.path is None or self.path.stat().st_size >= self.rotate_bytes:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            self.path = self.directory / f"feedback-{stamp}-{os.getpid()}-{time.time_ns()}.jsonl"
        with self.path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())
        return self.path


def flush(redis: Redis, keys: Keys, writer: RotatingJsonl, consumer: str, batch: int = 1000) -> int:
    """Write every record not yet flushed (by any flusher) to files; returns the count."""
    ensure_group(redis, keys.feedback, FLUSHERS)
    total = 0
    # Own pending records first (written before a crash, never acknowledged), then new ones.
    for start in ("0", ">"):
        while True:
            reply = redis.xreadgroup(FLUSHERS, consumer, {keys.feedback: start}, count=batch)
            entries = reply[0][1] if reply else []
            if not entries:
                break
            writer.write([fields["record"] for _, fields in entries])
            redis.xack(keys.feedback, FLUSHERS, *(entry_id for entry_id, _ in entries))
            total += len(entries)
    return total

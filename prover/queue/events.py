"""Job events: appended to the job's own stream (replayable, for late followers) and
published on one channel (live, for the dashboard and the API)."""

from __future__ import annotations

import json
import time
from typing import Any

from redis.client import Pipeline

from prover.queue.keys import Keys

EVENTS_KEPT = 10_000


def emit(pipe: Pipeline, keys: Keys, job_id: str, kind: str, data: dict[str, Any]) -> None:
    """Queue one event on ``pipe`` (it is sent with the transaction it belongs to)."""
    payload = json.dumps({"t": round(time.time(), 3), **data}, ensure_ascii=False)
    pipe.xadd(
        keys.events(job_id),
        {"kind": kind, "data": payload},
        maxlen=EVENTS_KEPT,
        approximate=True,
    )
    pipe.publish(keys.channel, json.dumps({"job": job_id, "kind": kind, "data": payload}))


def parse_event(entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    """One stream entry as ``{"id", "kind", "data"}``."""
    return {"id": entry_id, "kind": fields.get("kind", ""), "data": json.loads(fields["data"])}

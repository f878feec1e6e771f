"""Synchronous checks: one task through the verifier workers' own stream."""

from __future__ import annotations

import time
import uuid

from prover.core.theorem import Attempt
from prover.core.verdicts import Verdict
from prover.queue.connect import Redis
from prover.queue.keys import Keys
from prover.queue.tasks import Task, decode_results

# Each wait stays well under the client's socket timeout (redis-py's default is 5 s).
BLOCK_S = 2.0


def verify(redis: Redis, keys: Keys, attempt: Attempt, timeout_s: float) -> Verdict | None:
    """The verdict of the verifier workers, or None after ``timeout_s``."""
    job = f"check-{uuid.uuid4().hex}"  # a synthetic job: only its results list is used
    entry = redis.xadd(keys.urgent_tasks, Task("0", job, attempt).fields())
    results = keys.results(job)
    deadline = time.monotonic() + timeout_s
    reply = None
    try:
        while reply is None and (left := deadline - time.monotonic()) > 0:
            reply = redis.blpop([results], timeout=min(BLOCK_S, left))
    finally:
        redis.delete(results)
    if reply is None:
        redis.xdel(keys.urgent_tasks, entry)  # not taken yet: nobody needs it any more
        return None
    return decode_results([reply[1]])["0"]

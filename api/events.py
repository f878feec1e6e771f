"""A job's events as Server-Sent Events: the stored stream replayed, then followed live."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from redis.exceptions import RedisError

from prover.core.jobs import FINAL_STATUSES
from prover.queue.jobs import JobQueue

POLL_S = 0.25
RETRY_MS = 2000


def sse(event: dict[str, Any]) -> str:
    """One SSE message; JSON has no raw newline, so ``data`` is one line."""
    data = json.dumps(event["data"], ensure_ascii=False)
    return f"id: {event['id']}\nevent: {event['kind']}\ndata: {data}\n\n"


async def is_final(queue: JobQueue, job_id: str) -> bool:
    status = await anyio.to_thread.run_sync(queue.redis.hget, queue.keys.job(job_id), "status")
    return status is None or status in FINAL_STATUSES


async def follow(
    queue: JobQueue, job_id: str, after: str, keepalive_s: float
) -> AsyncIterator[str]:
    """Events after ``after`` until the ``finished`` one, polling the stream; a comment
    line keeps idle connections (and proxies) open."""
    yield f"retry: {RETRY_MS}\n\n"
    last_sent = time.monotonic()
    try:
        while True:
            # Status first: a final job's ``finished`` event is then already stored.
            final = await is_final(queue, job_id)
            events = await anyio.to_thread.run_sync(queue.events, job_id, after)
            for event in events:
                yield sse(event)
                after = event["id"]
                if event["kind"] == "finished":
                    return
            if events:
                last_sent = time.monotonic()
            elif final:
                return
            elif time.monotonic() - last_sent >= keepalive_s:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            await anyio.sleep(POLL_S)
    except RedisError:
        return  # the client reconnects with Last-Event-ID and resumes

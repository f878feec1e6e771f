"""What every worker shares: a name, a heartbeat in the registry, and stopping on SIGTERM."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from prover.queue.connect import Redis
from prover.queue.keys import Keys

log = logging.getLogger(__name__)

# Redis is down or restarting (a loading Redis raises a subclass of ConnectionError).
OUTAGES = (RedisConnectionError, RedisTimeoutError)
BACKOFF_S = (0.5, 10.0)


def worker_name(kind: str) -> str:
    return f"{kind}-{socket.gethostname()}-{os.getpid()}"


class Registry:
    """A worker's entry in the ``workers`` hash: kind, host, pid and live counters."""

    def __init__(self, redis: Redis, keys: Keys, name: str, kind: str) -> None:
        self.redis, self.keys, self.name = redis, keys, name
        self.info: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": round(time.time(), 3),
        }

    def beat(self, **counters: Any) -> None:
        """Record the counters; a beat lost to a Redis outage is only a late one."""
        self.info.update(counters, last_seen=round(time.time(), 3))
        with contextlib.suppress(*OUTAGES):
            self.redis.hset(self.keys.workers, self.name, json.dumps(self.info))

    def leave(self) -> None:
        with contextlib.suppress(*OUTAGES):  # else the entry goes stale: no longer live
            self.redis.hdel(self.keys.workers, self.name)


def run_loop(
    name: str,
    stop: threading.Event,
    step: Callable[[], bool],
    idle_s: float,
    after_outage: Callable[[], None],
) -> None:
    """Call ``step`` until ``stop`` is set, waiting ``idle_s`` when it did nothing. While
    Redis is unreachable the loop waits and retries (back-off from 0.5 s to 10 s) instead
    of ending; once it answers again, ``after_outage`` runs before the next step (a worker
    takes back what it held: every write is one transaction, so nothing was half done)."""
    delay = 0.0
    while not stop.is_set():
        try:
            if delay:
                after_outage()
            moved = step()
        except OUTAGES as err:
            if not delay:
                log.warning("%s: Redis unreachable (%s); retrying", name, err)
            delay = min(max(delay * 2, BACKOFF_S[0]), BACKOFF_S[1])
            stop.wait(delay)
            continue
        if delay:
            log.warning("%s: Redis answers again", name)
            delay = 0.0
        if not moved:
            stop.wait(idle_s)


@contextmanager
def periodically(interval_s: float, action: Callable[[], None]) -> Iterator[None]:
    """Run ``action`` every ``interval_s`` on a thread of its own while the block runs (a
    heartbeat, a claim kept fresh); a Redis outage skips one run, the next may get through."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval_s):
            with contextlib.suppress(*OUTAGES):
                action()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def live_workers(redis: Redis, keys: Keys, within_s: float = 60.0) -> list[dict[str, Any]]:
    """Workers that beat in the last ``within_s`` seconds."""
    now = time.time()
    workers = [json.loads(v) for v in redis.hvals(keys.workers)]
    return [w for w in workers if now - w.get("last_seen", 0) <= within_s]


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT ask the loop to finish the work in hand, then return."""

    def handler(signum: int, _frame: object) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)

"""What every worker shares: a name, a heartbeat in the registry, and stopping on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from typing import Any

from prover.queue.connect import Redis
from prover.queue.keys import Keys


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
        self.info.update(counters, last_seen=round(time.time(), 3))
        self.redis.hset(self.keys.workers, self.name, json.dumps(self.info))

    def leave(self) -> None:
        self.redis.hdel(self.keys.workers, self.name)


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

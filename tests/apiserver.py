"""Helpers for the API and dashboard tests: a real uvicorn server on a free port, and a
key prefix of the real Redis of one module's own."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from prover.queue.connect import Redis, connect
from prover.queue.keys import Keys

REDIS_URL = os.environ.get("PROVER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def redis_prefix() -> Iterator[tuple[Redis, Keys]]:
    """The real Redis under a fresh prefix; its keys are removed after."""
    redis = connect(REDIS_URL)
    keys = Keys(f"prover-test-{uuid.uuid4().hex[:12]}")
    try:
        yield redis, keys
    finally:
        for key in redis.scan_iter(f"{keys.prefix}:*", count=1000):
            redis.delete(key)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn on a thread, on a socket bound here (no port race)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def wait_http(url: str, timeout_s: float) -> None:
    """Until ``url`` answers at all (a server started in another process)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def sse_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """Parse a Server-Sent Events body: ``{"id", "event", "data"}`` a message."""
    message: dict[str, Any] = {}
    for line in response.iter_lines():
        if not line:
            if "event" in message:
                yield message
            message = {}
        elif line.startswith(":") or line.startswith("retry:"):
            continue
        else:
            field, _, value = line.partition(": ")
            message[field] = json.loads(value) if field == "data" else value

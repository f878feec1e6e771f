"""Connecting to Redis, or starting an embedded ``redis-server`` for one run."""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
import redis.exceptions as redis_errors
from redis import Redis

from prover.settings import RedisSettings

__all__ = ["Redis", "RedisUnavailable", "connect", "embedded_redis", "ensure_group"]


PR_SET_PDEATHSIG = 1


class RedisUnavailable(RuntimeError):
    """No Redis to use; the message says what to do."""


def connect(url: str) -> Redis:
    """A client (answers decoded to str) that has answered a PING."""
    try:
        client = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        client.ping()
    except (redis.RedisError, ValueError) as err:
        raise RedisUnavailable(f"cannot reach Redis at {url}: {err}") from None
    return client


@contextmanager
def embedded_redis() -> Iterator[str]:
    """A private ``redis-server`` on a Unix socket, gone with the context; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable(
            "no Redis: set PROVER_REDIS_URL=redis://HOST:6379/0, or install redis-server "
            "(Debian: apt-get install redis-server) for an embedded one"
        )
    with tempfile.TemporaryDirectory(prefix="prover-redis-") as tmp:
        sock = Path(tmp) / "redis.sock"
        args = [binary, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"]
        args += ["--save", "", "--appendonly", "no", "--dir", tmp]
        proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent
        )
        try:
            url = f"unix://{sock}"
            _wait_for(url, proc)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _die_with_parent() -> None:
    """In the child: be sent SIGTERM when the parent dies, even by SIGKILL (Linux), so a
    killed run leaves no redis-server behind."""
    # Elsewhere than Linux the context manager still stops it on a normal exit.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_for(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RedisUnavailable(f"redis-server exited at start: {err.strip()[-500:]}")
        try:
            redis.Redis.from_url(url).ping()
            return
        except redis.RedisError:
            time.sleep(0.05)
    raise RedisUnavailable(f"redis-server did not answer within {timeout_s:.0f} s")


@contextmanager
def redis_for_run(settings: RedisSettings) -> Iterator[Redis]:
    """The configured Redis, or an embedded one when no URL is set."""
    if settings.url:
        yield connect(settings.url)
        return
    with embedded_redis() as url:
        yield connect(url)


def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """Create the consumer group (and the stream) unless it exists."""
    try:
        redis.xgroup_create(stream, group, id="0", mkstream=True)
    except redis_errors.ResponseError as err:
        if "BUSYGROUP" not in str(err):
            raise

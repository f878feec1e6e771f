"""A Redis outage under a running ``prover serve``: a private ``redis-server`` (AOF on,
as in the compose file) is killed and restarted; the API answers 503 meanwhile, the
process stays up, and the job accepted before the outage is still proved."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from prover.bench import stop_process, wait_ready
from prover.settings import LeanSettings
from prover.soak import start_aof_redis
from tests.apiserver import free_port, wait_http
from tests.test_workers import wait_until

ROOT = Path(__file__).resolve().parent.parent
STATEMENT = "theorem outage (p q : Prop) (hp : p) (hq : q) : q ∧ p"


def start_redis(port: int, data: Path) -> subprocess.Popen[bytes]:
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server binary (Debian: apt-get install redis-server)")
    return start_aof_redis(port, data)


@contextmanager
def serving(redis_port: int, lean: LeanSettings) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = os.environ | {
        "PROVER_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PROVER_LEAN_PROCESSES": "1",
        "PROVER_LEAN_SPARES": "0",
        "PROVER_LEAN_CACHE_DIR": str(lean.cache_dir),
    }
    command = [sys.executable, "-m", "prover", "serve", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, text=True, cwd=ROOT, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        stop_process(proc)


def status(base: str, job_id: str) -> str:
    answer = httpx.get(f"{base}/v1/jobs/{job_id}", timeout=10)
    return (
        str(answer.json()["status"]) if answer.status_code == 200 else f"http {answer.status_code}"
    )


@pytest.mark.lean
def test_serve_survives_a_redis_restart(
    tmp_path: Path, settings_for: Callable[[str], LeanSettings]
) -> None:
    lean = settings_for("wasm")
    redis_port = free_port()
    redis = start_redis(redis_port, tmp_path)
    try:
        with serving(redis_port, lean) as (base, proc):
            wait_http(f"{base}/healthz", timeout_s=60)
            wait_ready(proc, base, timeout_s=300)
            job_id = httpx.post(f"{base}/v1/jobs", json={"statement": STATEMENT}).json()["id"]

            redis.kill()  # SIGKILL: no chance to write anything more
            redis.wait(timeout=30)
            assert httpx.get(f"{base}/healthz").status_code == 200
            down = httpx.get(f"{base}/v1/jobs")
            assert down.status_code == 503 and down.json()["error"]["code"] == "redis_unavailable"
            unready = httpx.get(f"{base}/readyz")
            assert unready.status_code == 503 and unready.json()["redis"] is False
            time.sleep(3)  # the workers meet the outage and back off
            assert proc.poll() is None

            redis = start_redis(redis_port, tmp_path)
            wait_until("the job to end", lambda: status(base, job_id) == "proved", timeout_s=120)
            again = httpx.post(f"{base}/v1/jobs", json={"statement": STATEMENT}).json()["id"]
            wait_until("a new job", lambda: status(base, again) == "proved", timeout_s=120)
            proc.terminate()
            assert proc.wait(timeout=60) == 0
    finally:
        redis.kill()
        redis.wait(timeout=30)

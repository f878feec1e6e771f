"""``prover bench soak``: the whole service on loopback under load, with faults.

A private ``redis-server`` (AOF, fsync always), the API (``prover serve --no-workers``),
a coordinator and two verifier workers, each a process of its own. Client threads submit
jobs and synchronous checks for the given time; a third of the way in Redis is killed
and restarted, half-way one verifier worker is killed. Then every job accepted (201) is
waited for. The report: jobs submitted, finished and lost (never final, or gone),
latencies, and Redis's memory before and after.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis as redis_py

from prover.bench import BenchError, machine, percentile, stop_process, wait_ready
from prover.core.jobs import FINAL_STATUSES

# Easy theorems (closing tactics or one step), so that jobs finish while the soak runs.
JOBS = (
    "theorem soak{k} (p q : Prop) (hp : p) (hq : q) : q ∧ p",
    "theorem soak{k} (a b : Nat) : a + b = b + a",
    "theorem soak{k} (xs : List Nat) : (xs ++ []).length = xs.length",
)
CHECK = {"statement": "theorem c{k} (n : Nat) : n + 0 = n", "proof": "by simp"}


@dataclass
class Tally:
    """What the clients saw; appended to from every client thread."""

    jobs: list[str] = field(default_factory=list)
    submit_s: list[float] = field(default_factory=list)
    check_s: list[float] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)  # status code -> count
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, code: int) -> None:
        with self.lock:
            self.refused[code] = self.refused.get(code, 0) + 1


def bench_soak(minutes: float, clients: int, drain_s: float) -> None:
    print(f"machine: {machine()}; {clients} clients for {minutes:g} min", flush=True)
    with tempfile.TemporaryDirectory(prefix="prover-soak-") as tmp, ExitStack() as stack:
        service = stack.enter_context(_Service(Path(tmp)).running())
        memory_before = service.redis_memory()
        tally, stop = Tally(), threading.Event()
        threads = [
            threading.Thread(target=_client, args=(service.base, k, tally, stop))
            for k in range(clients)
        ]
        for thread in threads:
            thread.start()
        service.inject_faults(minutes * 60, stop)
        for thread in threads:
            thread.join()
        statuses = _drain(service.base, tally.jobs, drain_s)
        _report(tally, statuses, memory_before, service.redis_memory())


class _Service:
    """The processes of a deployment on one machine, with the ports they listen on."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.redis_port, self.api_port = _free_port(), _free_port()
        self.base = f"http://127.0.0.1:{self.api_port}"
        self.redis: subprocess.Popen[bytes] | None = None
        self.workers: dict[str, subprocess.Popen[bytes]] = {}

    @contextmanager
    def running(self) -> Iterator[_Service]:
        try:
            self.start_redis()
            for name, argv in self._commands().items():
                self.workers[name] = self._spawn(argv)
            wait_ready(self.workers["api"], self.base, 600)
            yield self
        finally:
            for proc in self.workers.values():
                stop_process(proc)
            if self.redis is not None:
                stop_process(self.redis)

    def _commands(self) -> dict[str, list[str]]:
        prover = [sys.executable, "-m", "prover"]
        return {
            "api": [*prover, "serve", "--no-workers", "--port", str(self.api_port)],
            "search": [*prover, "worker", "search", "--name", "soak-search"],
            "verify-1": [*prover, "worker", "verify", "--name", "soak-verify-1"],
            "verify-2": [*prover, "worker", "verify", "--name", "soak-verify-2"],
        }

    def _spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        env = os.environ | {
            "PROVER_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "PROVER_REDIS_PREFIX": "soak",
            "PROVER_REDIS_CLAIM_IDLE_S": "5",
            "PROVER_LEAN_PROCESSES": "1",
            "PROVER_LEAN_SPARES": "0",
            "PROVER_API_RATE_PER_MINUTE": "1000000",
            "PROVER_API_MAX_ACTIVE_JOBS": "100000",
            "PROVER_FEEDBACK_DIR": str(self.tmp / "feedback"),
        }
        return subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def start_redis(self) -> None:
        self.redis = start_aof_redis(self.redis_port, self.tmp)

    def _redis(self) -> redis_py.Redis:
        return redis_py.Redis(port=self.redis_port, decode_responses=True)

    def redis_memory(self) -> int:
        return int(self._redis().info("memory")["used_memory"])

    def inject_faults(self, seconds: float, stop: threading.Event) -> None:
        """Redis killed and restarted at a third of the time, a verifier worker killed
        at half; then the clients are stopped."""
        begin = time.monotonic()

        def say(what: str) -> None:
            print(f"[{time.monotonic() - begin:5.0f} s] {what}", flush=True)

        stop.wait(seconds / 3)
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait()
        say("Redis killed (SIGKILL)")
        time.sleep(3)
        self.start_redis()
        say("Redis restarted")
        stop.wait(max(0.0, begin + seconds / 2 - time.monotonic()))
        os.killpg(self.workers["verify-1"].pid, signal.SIGKILL)
        say("verifier worker 1 killed (SIGKILL, its Lean included)")
        stop.wait(max(0.0, begin + seconds - time.monotonic()))
        stop.set()
        say("clients stopped; waiting for the jobs accepted")


def start_aof_redis(port: int, data: Path) -> subprocess.Popen[bytes]:
    """A ``redis-server`` on loopback that writes every command to its AOF in ``data``
    before answering (so a SIGKILL loses nothing acknowledged), once it answers PING."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("no redis-server (Debian: apt-get install redis-server)")
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)]
    argv += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    client = redis_py.Redis(port=port, decode_responses=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            return proc
        except redis_py.RedisError:
            if time.monotonic() > deadline:
                stop_process(proc)
                raise BenchError("redis-server did not start") from None
            time.sleep(0.1)


def _client(base: str, k: int, tally: Tally, stop: threading.Event) -> None:
    """A closed loop until ``stop``: submit a job, then run checks until it is final
    (so each client has one job in flight). A refusal (503 while Redis is down) is
    counted and retried after a pause."""
    with httpx.Client(base_url=base, timeout=150) as client:
        n = 0
        while not stop.is_set():
            n += 1
            job = _submit(client, JOBS[n % len(JOBS)].format(k=f"{k}_{n}"), tally, stop)
            while job is not None and not stop.is_set() and not _final(client, job):
                body = {key: text.format(k=f"{k}_{n}") for key, text in CHECK.items()}
                answer, took = _timed(client, "/v1/check", body)
                if answer is not None and answer.status_code == 200:
                    with tally.lock:
                        tally.check_s.append(took)
                else:
                    tally.refuse(answer.status_code if answer is not None else 0)
                    stop.wait(1.0)


def _submit(
    client: httpx.Client, statement: str, tally: Tally, stop: threading.Event
) -> str | None:
    while not stop.is_set():
        answer, took = _timed(client, "/v1/jobs", {"statement": statement})
        if answer is not None and answer.status_code == 201:
            with tally.lock:
                tally.jobs.append(answer.json()["id"])
                tally.submit_s.append(took)
            return str(answer.json()["id"])
        tally.refuse(answer.status_code if answer is not None else 0)
        stop.wait(1.0)
    return None


def _final(client: httpx.Client, job_id: str) -> bool:
    try:
        answer = client.get(f"/v1/jobs/{job_id}")
    except httpx.TransportError:
        return False
    return answer.status_code == 200 and answer.json()["status"] in FINAL_STATUSES


def _timed(
    client: httpx.Client, path: str, body: dict[str, str]
) -> tuple[httpx.Response | None, float]:
    begin = time.monotonic()
    try:
        answer = client.post(path, json=body)
    except httpx.TransportError:
        return None, time.monotonic() - begin
    return answer, time.monotonic() - begin


def _drain(base: str, jobs: list[str], timeout_s: float) -> dict[str, str]:
    """Each accepted job's final status ('lost' when it never got one in time)."""
    deadline = time.monotonic() + timeout_s
    statuses: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        while time.monotonic() < deadline:
            for job_id in jobs:
                if job_id not in statuses:
                    answer = client.get(f"/v1/jobs/{job_id}")
                    status = answer.json()["status"] if answer.status_code == 200 else "gone"
                    if status in FINAL_STATUSES:
                        statuses[job_id] = status
            if len(statuses) == len(jobs):
                break
            time.sleep(2)
    return {j: statuses.get(j, "lost") for j in jobs}


def _report(tally: Tally, statuses: dict[str, str], before: int, after: int) -> None:
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    lost = counts.get("lost", 0) + counts.get("gone", 0)
    print(f"jobs submitted (201): {len(tally.jobs)}; final: {counts}; lost: {lost}")
    for what, times in (("POST /v1/jobs", tally.submit_s), ("POST /v1/check", tally.check_s)):
        if times:
            print(
                f"{what}: {len(times)} answered, p50 {percentile(times, 50):.3f} s, "
                f"p99 {percentile(times, 99):.3f} s, max {max(times):.3f} s"
            )
    print(f"refused (status: count; 0 = no connection): {tally.refused or 'none'}")
    print(f"Redis used_memory: {before / 2**20:.1f} MiB before, {after / 2**20:.1f} MiB after")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port

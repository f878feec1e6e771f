"""Benchmarks that print numbers: ``prover bench ...``."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from prover.core.jobs import FINAL_STATUSES, Budget, JobSpec
from prover.core.theorem import Attempt, Theorem
from prover.generate.base import Generator
from prover.generate.select import make_generator
from prover.generate.symbolic import SymbolicProposer
from prover.generate.tiny import STATES
from prover.lean.files import subset, theorems_from_file
from prover.lean.verifier import ReplVerifier
from prover.search.local import LocalSettings, print_job, progress_printer, run_locally
from prover.settings import GeneratorSettings, LeanSettings

# One-tactic checks, a mix of proofs that close and ones that fail.
ONE_TACTIC: tuple[tuple[str, str], ...] = (
    ("theorem b1 (a b : Nat) : a + b = b + a", "by omega"),
    ("theorem b2 (n : Nat) : n + 0 = n", "by simp"),
    ("theorem b3 : 2 + 2 = 4", "by decide"),
    ("theorem b4 (p q : Prop) (hp : p) (hq : q) : p ∧ q", "by exact ⟨hp, hq⟩"),
    ("theorem b5 (a b : Nat) (h : a < b) : a ≤ b", "by omega"),
    ("theorem b6 (xs : List Nat) : (xs ++ []).length = xs.length", "by simp"),
    ("theorem b7 (n : Nat) : n * 1 = n", "by grind"),
    ("theorem b8 (a b : Nat) : a * b = b * a", "by simp"),
    ("theorem b9 : (7 : Nat) ∣ 21", "by decide"),
    ("theorem b10 (n : Nat) (h : n > 5) : n ≠ 3", "by omega"),
)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB"


def one_tactic_attempts(n: int, salt: int = 0) -> list[Attempt]:
    out = []
    for k in range(n):
        statement, proof = ONE_TACTIC[(k + salt) % len(ONE_TACTIC)]
        out.append(Attempt.whole(Theorem.parse(statement), proof))
    return out


def bench_verifier(settings: LeanSettings, attempts: int, single: int) -> None:
    """Start-up apart; then ``single`` checks one at a time (latency through the Python
    API) and ``attempts`` checks kept in flight on every REPL (throughput), on a warm pool."""
    print(f"machine: {machine()}; backend: {settings.backend}; REPLs: {settings.processes}")
    with ReplVerifier(settings) as verifier:
        begin = time.monotonic()
        verifier.prewarm()
        print(
            f"start-up (imports, warm-up), REPLs started together: "
            f"{time.monotonic() - begin:.1f} s",
            flush=True,
        )
        one = [_timed(verifier, a) for a in one_tactic_attempts(single, salt=1)]
        print(
            f"one check at a time: {single} checks, p50 {percentile(one, 50) * 1000:.0f} ms, "
            f"p99 {percentile(one, 99) * 1000:.0f} ms, max {max(one) * 1000:.0f} ms",
            flush=True,
        )
        begin = time.monotonic()
        verdicts = verifier.check(one_tactic_attempts(attempts))
        wall = time.monotonic() - begin
        proved = sum(v.status == "proved" for v in verdicts)
        lean = sorted(v.time_s for v in verdicts)
        print(
            f"sustained: {attempts} checks in {wall:.1f} s = {attempts / wall:.1f} checks/s; "
            f"Lean's own time p50 {percentile(lean, 50) * 1000:.0f} ms, "
            f"p99 {percentile(lean, 99) * 1000:.0f} ms; {proved} proved",
            flush=True,
        )
        bench_steps(verifier, single)
        print(
            f"REPL processes started: {verifier.pool.started}, "
            f"retired: {verifier.pool.retired}; "
            f"peak RSS per REPL: {verifier.pool.peak_rss_mb:.0f} MB",
            flush=True,
        )


STEP_THEOREM = "theorem s (a b : Nat) (h : a < b) : a * b + a = a * (b + 1)"
STEP_PREFIX = ("have h1 : a ≤ b := Nat.le_of_lt h", "have h2 : 0 < b := by omega", "revert h1")
LAST_STEPS = ("intro h1", "induction a", "cases b", "simp at h", "constructor", "simp only [h2]")


def bench_steps(verifier: ReplVerifier, n: int) -> None:
    """One search step (a tactic after a 3-tactic prefix), one at a time: run from the
    parent's kept state, then with the whole prefix elaborated again, in the same run."""
    theorem = Theorem.parse(STEP_THEOREM)
    steps = [
        Attempt.steps(theorem, (*STEP_PREFIX, LAST_STEPS[k % len(LAST_STEPS)])) for k in range(n)
    ]
    kept = verifier.settings.step_states
    for label, states in (("from the parent's kept state", kept), ("whole prefix again", 0)):
        verifier.settings.step_states = states
        verifier.check_one(Attempt.steps(theorem, STEP_PREFIX))  # the parent, as a search has it
        times = [_timed(verifier, a) for a in steps]
        print(
            f"a step, {label}: {n} steps, p50 {percentile(times, 50) * 1000:.1f} ms, "
            f"p99 {percentile(times, 99) * 1000:.1f} ms",
            flush=True,
        )
    verifier.settings.step_states = kept


def _timed(verifier: ReplVerifier, attempt: Attempt) -> float:
    begin = time.monotonic()
    verifier.check([attempt])
    return time.monotonic() - begin


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * p // 100)] if ordered else 0.0


CLOSING_TACTICS = ("omega", "simp", "decide", "grind", "simp_all")


def bench_closing(
    settings: LeanSettings, source: bytes, tactics: tuple[str, ...] = CLOSING_TACTICS
) -> None:
    """Each closing tactic tried once on every theorem of a set: proof rate and throughput."""
    theorems = [a.theorem for a in theorems_from_file(source, settings.max_input_bytes)]
    print(f"machine: {machine()}; backend: {settings.backend}; processes: {settings.processes}")
    result = closing_baseline(settings, theorems, tactics)
    for tactic, names in result.by_tactic.items():
        print(f"by {tactic:10s} proved {len(names):3d}/{len(theorems)}")
    print(f"any closing tactic: {len(result.proved)}/{len(theorems)} theorems proved")
    print(
        f"{result.attempts} attempts in {result.wall_s:.1f} s "
        f"({result.attempts / result.wall_s:.2f} attempts/s), "
        f"{result.lean_runs} REPLs started, peak RSS {result.peak_rss_mb:.0f} MB"
    )


@dataclass
class Baseline:
    by_tactic: dict[str, set[str]]
    proved: set[str]
    attempts: int
    wall_s: float
    lean_runs: int
    peak_rss_mb: float


def closing_baseline(
    settings: LeanSettings, theorems: list[Theorem], tactics: tuple[str, ...] = CLOSING_TACTICS
) -> Baseline:
    """The baseline a search must beat: each closing tactic once, no search."""
    attempts = [Attempt.whole(t, f"by {tac}") for tac in tactics for t in theorems]
    with ReplVerifier(settings) as verifier:
        verifier.prewarm()
        begin = time.monotonic()
        verdicts = verifier.check(attempts)
        wall = time.monotonic() - begin
        runs, peak = verifier.pool.started, verifier.pool.peak_rss_mb
    n = len(theorems)
    by_tactic = {}
    for k, tactic in enumerate(tactics):
        mine = verdicts[k * n : (k + 1) * n]
        by_tactic[tactic] = {
            t.name for t, v in zip(theorems, mine, strict=True) if v.status == "proved"
        }
    proved = set().union(*by_tactic.values())
    return Baseline(by_tactic, proved, len(attempts), wall, runs, peak)


def bench_search(
    local: LocalSettings,
    source: bytes,
    label: str,
    budget: Budget,
    as_json: bool,
    baseline: bool,
    limit: tuple[int, int] = (0, 0),
) -> None:
    """Best-first search on every theorem of a set (or ``limit``: a seed-stable subset
    of (so many, seed)), all submitted at once, run ``local.jobs_at_once`` together."""
    lean = local.lean
    every = [a.theorem for a in theorems_from_file(source, lean.max_input_bytes)]
    theorems = subset(every, *limit)
    specs = [JobSpec.of(t, budget, label) for t in theorems]
    if not as_json:
        print(f"machine: {machine()}; {len(specs)} theorems from {label}; budget: {budget}")
    run = run_locally(specs, local, None if as_json else progress_printer())
    for job in run.jobs:
        print_job(job, as_json)
    proved = sum(job.status == "proved" for job in run.jobs)
    n = max(len(run.jobs), 1)
    summary = {
        "proved": proved,
        "total": len(run.jobs),
        "wall_s": round(run.wall_s, 1),
        "startup_s": round(run.startup_s, 1),
        "mean_time_s": round(sum(j.time_s or 0 for j in run.jobs) / n, 2),
        "mean_verifier_calls": round(sum(j.verifier_calls for j in run.jobs) / n, 1),
        "feedback_records": run.feedback_records,
        "of": f"{len(theorems)} of {len(every)}, seed {limit[1]}" if limit[0] else "all",
        "jobs_at_once": local.together(len(specs)),
        "generator": local.generator.backend,
        "value_model": local.generator.value_model or None,
        "machine": machine(),
    }
    if baseline:
        summary["baseline_closing_proved"] = len(closing_baseline(lean, theorems).proved)
    if as_json:
        print(json.dumps({"summary": summary}), flush=True)
    else:
        print("summary: " + ", ".join(f"{k} {v}" for k, v in summary.items()), flush=True)


def bench_generator(settings: GeneratorSettings, states: int, n: int, tiny: bool) -> None:
    """Proposals per second and latency per batch of states, for each generator available."""
    print(f"machine: {machine()}")
    sample = [STATES[k % len(STATES)] for k in range(states)]
    print("backend       model                 batch  n  proposals/s  latency_s  per_state")
    for name, generator in _generators(settings, tiny):
        begin = time.monotonic()
        batched = getattr(generator, "propose_batch", None)
        results = batched(sample, n) if batched else [generator.propose(s, n) for s in sample]
        wall = time.monotonic() - begin
        total = sum(len(r) for r in results)
        print(
            f"{generator.name:12s}  {name[:20]:20s}  {states:5d}  {n:2d}  {total / wall:11.1f}  "
            f"{wall:9.3f}  {total / len(sample):9.1f}",
            flush=True,
        )


def _generators(settings: GeneratorSettings, tiny: bool) -> Iterator[tuple[str, Generator]]:
    """Symbolic always; a tiny local model on request; the configured model backend."""
    yield "(no model)", SymbolicProposer()
    if tiny:
        from prover.generate.hf import TransformersGenerator
        from prover.generate.tiny import build_model

        path = build_model("causal", Path(tempfile.mkdtemp(prefix="prover-tiny-")))
        yield "tiny GPT-2 (2x48)", TransformersGenerator(path, temperature=1.0)
    if settings.backend != "symbolic":
        label = (
            settings.model if settings.backend != "openai" else f"{settings.model}@{settings.url}"
        )
        yield label, make_generator(settings)


DEMO_JOB = "theorem demo{k} (p q : Prop) (hp : p) (hq : q) : q ∧ p"


def bench_serve(checks: int, jobs: int, port: int, startup_timeout_s: float) -> None:
    """``prover serve`` (embedded Redis unless configured) in a child process: its time to
    ready (REPLs warm), then ``checks`` POST /v1/check one at a time, then ``jobs`` demo
    theorems one at a time, each timed from POST /v1/jobs to ``proved`` as a client sees it."""
    print(f"machine: {machine()}", flush=True)
    base = f"http://127.0.0.1:{port}"
    begin = time.monotonic()
    with _serving(port) as server:
        wait_ready(server, base, startup_timeout_s)
        print(f"prover serve ready (Lean REPLs warm): {time.monotonic() - begin:.1f} s")
        with httpx.Client(base_url=base, timeout=60) as client:
            timed = [_post_check(client, attempt) for attempt in one_tactic_attempts(checks)]
            p50, p99 = percentile(timed, 50), percentile(timed, 99)
            print(
                f"POST /v1/check, one at a time: {checks} checks, p50 {p50:.3f} s, "
                f"p99 {p99:.3f} s, max {max(timed):.3f} s",
                flush=True,
            )
            proved = [_demo_job(client, k) for k in range(jobs)]
            print(
                f"demo theorem, POST /v1/jobs to proved: {jobs} jobs, "
                f"p50 {percentile(proved, 50):.2f} s, max {max(proved):.2f} s",
                flush=True,
            )


@contextmanager
def _serving(port: int) -> Iterator[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "prover", "serve", "--port", str(port)]
    env = {**os.environ, "PROVER_API_RATE_PER_MINUTE": "1000000"}  # measuring, not limiting
    server = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        yield server
    finally:
        stop_process(server)


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM (a worker finishes what it holds, Lean is closed), then, after a minute,
    SIGKILL to the whole process group (started with ``start_new_session``)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def wait_ready(server: subprocess.Popen[Any], base: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"prover serve exited with status {server.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise BenchError(f"prover serve was not ready within {timeout_s:.0f} s")


def _post_check(client: httpx.Client, attempt: Attempt) -> float:
    body = {"statement": attempt.theorem.statement, "proof": attempt.proof}
    begin = time.monotonic()
    response = client.post("/v1/check", json=body)
    if response.status_code != 200:
        raise BenchError(f"POST /v1/check answered {response.status_code}: {response.text}")
    return time.monotonic() - begin


def _demo_job(client: httpx.Client, k: int) -> float:
    begin = time.monotonic()
    response = client.post("/v1/jobs", json={"statement": DEMO_JOB.format(k=k)})
    if response.status_code != 201:
        raise BenchError(f"POST /v1/jobs answered {response.status_code}: {response.text}")
    job_id = response.json()["id"]
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in FINAL_STATUSES:
            break
        time.sleep(0.02)
    if job["status"] != "proved":
        raise BenchError(f"the demo job ended {job['status']}: {job.get('reason')}")
    return time.monotonic() - begin


class BenchError(RuntimeError):
    """The benchmark could not run; the message says why."""

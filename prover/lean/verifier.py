"""The verifier: screens attempts, batches them into pre-warmed Lean processes, splits
batches that crash or time out, and returns one verdict per attempt in order."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prover.lean.batch import (
    Batch,
    NeedsIsolation,
    Report,
    batch_error,
    build_batch,
    judge,
    parse_reports,
)
from prover.lean.process import LeanBackend, LeanProcess, RunResult, make_backend
from prover.lean.screen import Part, screen
from prover.lean.theorem import Attempt
from prover.lean.verdicts import Crashed, Failed, Rejected, Timeout, Verdict
from prover.settings import LeanSettings

if TYPE_CHECKING:
    from prover.dojo.backend import DojoVerifier


class ProcessPool:
    """Started Lean processes waiting for their batch; each process checks one batch."""

    def __init__(self, backend: LeanBackend, size: int, prewarm: bool) -> None:
        self.backend, self.size, self.prewarm = backend, size, prewarm
        self._warm: list[LeanProcess] = []
        self._lock = threading.Lock()
        self.started = 0

    def _start(self) -> LeanProcess:
        self.started += 1
        return LeanProcess(self.backend.launch())

    @contextmanager
    def process(self) -> Iterator[LeanProcess]:
        with self._lock:
            proc = self._warm.pop(0) if self._warm else self._start()
            if self.prewarm and len(self._warm) < self.size:
                self._warm.append(self._start())
        try:
            yield proc
        finally:
            if proc.proc.poll() is None:
                proc.kill()

    def fill(self) -> None:
        """Start processes ahead of the first batch."""
        with self._lock:
            while self.prewarm and len(self._warm) < self.size:
                self._warm.append(self._start())

    def close(self) -> None:
        with self._lock:
            for proc in self._warm:
                proc.kill()
            self._warm.clear()


class Verifier:
    """Lean's verdict on attempts, through one backend and a pool of processes."""

    def __init__(self, settings: LeanSettings | None = None) -> None:
        self.settings = settings or LeanSettings()
        self.backend = make_backend(self.settings)
        self.pool = ProcessPool(self.backend, self.settings.processes, self.settings.prewarm)
        self._executor = ThreadPoolExecutor(max_workers=self.settings.processes)
        self.peak_rss_mb = 0.0
        self.batches_run = 0

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.pool.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def check(self, attempts: list[Attempt]) -> list[Verdict]:
        """One verdict per attempt, in order."""
        verdicts: dict[int, Verdict] = {}
        # A preamble's global effects (simp sets, instances, notation) stay inside its group.
        groups: dict[tuple[tuple[str, ...], str], list[int]] = defaultdict(list)
        for i, attempt in enumerate(attempts):
            rejected = screen_attempt(attempt)
            if rejected:
                verdicts[i] = rejected
            else:
                groups[attempt.theorem.imports, attempt.theorem.preamble].append(i)
        size = self.settings.max_attempts_per_process
        chunks = [idx[k : k + size] for idx in groups.values() for k in range(0, len(idx), size)]
        futures = [
            self._executor.submit(self._check_chunk, [attempts[i] for i in chunk])
            for chunk in chunks
        ]
        for chunk, future in zip(chunks, futures, strict=True):
            verdicts.update(zip(chunk, future.result(), strict=True))
        return [verdicts[i] for i in range(len(attempts))]

    def _check_chunk(self, attempts: list[Attempt]) -> list[Verdict]:
        """Run one batch; re-run in halves whatever it could not decide."""
        results = self._run_batch(attempts)
        undecided = [i for i, v in enumerate(results) if not isinstance(v, Verdict)]
        if undecided and len(attempts) > 1:
            for part in _halves(undecided):
                for i, verdict in zip(
                    part, self._check_chunk([attempts[i] for i in part]), strict=True
                ):
                    results[i] = verdict
        return [v if isinstance(v, Verdict) else _undecided(v) for v in results]

    def _run_batch(self, attempts: list[Attempt]) -> list[Verdict | RunResult | str]:
        batch = build_batch(attempts, self.settings.max_heartbeats)
        timeout = (
            self.settings.startup_timeout_s
            + self.settings.attempt_timeout_s
            + self.settings.batch_seconds_per_attempt * (len(attempts) - 1)
        )
        with self.pool.process() as proc:
            result = proc.run(batch.text, timeout, self.settings.max_rss_mb)
        self.peak_rss_mb = max(self.peak_rss_mb, result.peak_rss_mb)
        self.batches_run += 1
        shared_error = batch_error(batch, result.messages)
        if shared_error:
            return [Failed(message=shared_error, time_s=result.elapsed_s) for _ in attempts]
        start, reports = parse_reports(batch, result.messages)
        times = _attempt_times(start, [reports.get(i) for i in range(len(attempts))])
        return [
            self._decide(batch, i, result, reports.get(i), times[i]) for i in range(len(attempts))
        ]

    def _decide(
        self, batch: Batch, i: int, result: RunResult, report: Report | None, spent: float
    ) -> Verdict | RunResult | str:
        """A verdict, or what made this run unable to give one (then the batch is split)."""
        if report is None and result.failure:
            return result
        try:
            verdict = judge(batch, i, result.messages, report, spent)
        except NeedsIsolation as why:
            return str(why) if len(batch.attempts) == 1 else result
        if isinstance(verdict, Timeout):
            return Timeout(limit_s=self.settings.attempt_timeout_s, time_s=verdict.time_s)
        return verdict


def _attempt_times(start: int | None, reports: list[Report | None]) -> list[float]:
    """Seconds between consecutive reports: Lean's own time for each attempt."""
    times, previous = [], start
    for report in reports:
        if report is None or previous is None:
            times.append(0.0)
        else:
            times.append(max(report.time_ms - previous, 0) / 1000)
        if report is not None:
            previous = report.time_ms
    return times


def screen_attempt(attempt: Attempt) -> Rejected | None:
    """The screen's finding for each part of an attempt, as a verdict."""
    parts = (
        (attempt.theorem.signature, Part.STATEMENT),
        (attempt.theorem.preamble, Part.PREAMBLE),
        (attempt.proof, Part.PROOF),
    )
    for text, part in parts:
        finding = screen(text, part)
        if finding:
            return Rejected(finding.construct, f"{part.value}: {finding.reason}")
    return None


def _halves(items: list[int]) -> list[list[int]]:
    mid = (len(items) + 1) // 2
    return [p for p in (items[:mid], items[mid:]) if p]


def _undecided(outcome: RunResult | str) -> Verdict:
    if isinstance(outcome, str):
        return Crashed(reason=outcome)
    if outcome.timed_out:
        return Timeout(limit_s=outcome.elapsed_s, time_s=outcome.elapsed_s)
    return Crashed(reason=outcome.failure or "Lean gave no verdict", time_s=outcome.elapsed_s)


def make_verifier(settings: LeanSettings) -> Verifier | DojoVerifier:
    """The verifier the settings name: a pool of Lean processes, or LeanDojo's ``Dojo``."""
    if settings.backend == "dojo":
        from prover.dojo.backend import DojoVerifier
        from prover.dojo.settings import DojoSettings

        return DojoVerifier(DojoSettings(), settings)
    return Verifier(settings)

"""Verifier workers: take verification tasks of any job from the stream, check them with a
pool of Lean REPL processes, and hand the verdicts back to each job.

Tasks are read through the ``verifiers`` consumer group. A worker keeps refreshing its
claim on the tasks in hand while Lean runs; tasks of a worker that died stop being
refreshed and are claimed by another with XAUTOCLAIM. A task delivered more than
``max_deliveries`` times (it took its workers down) gets a ``crashed`` verdict.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prover.lean.verdicts import Crashed, Verdict
from prover.lean.verifier import Verifier

if TYPE_CHECKING:
    from prover.dojo.backend import DojoVerifier
from prover.queue.connect import Redis, ensure_group
from prover.queue.keys import FINAL_STATUSES, VERIFIERS, Keys
from prover.queue.tasks import Task, encode_result
from prover.queue.workers import OUTAGES, Registry, run_loop
from prover.settings import RedisSettings

log = logging.getLogger(__name__)
RESULTS_TTL_S = 86_400
Entry = tuple[str, dict[str, str]]


class VerifyWorker:
    """One worker process: a loop around a :class:`Verifier`."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        settings: RedisSettings,
        verifier: Verifier | DojoVerifier,
        name: str,
        max_batch: int | None = None,
    ) -> None:
        self.redis, self.keys, self.settings, self.verifier = redis, keys, settings, verifier
        self.name = name
        # Enough tasks in hand to keep every REPL busy, few enough to answer fast.
        self.max_batch = max_batch or verifier.capacity * 4
        self.registry = Registry(redis, keys, name, "verify")
        self.done = 0
        self._recovering = True

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set; the batch in hand is always finished."""
        ensure_group(self.redis, self.keys.tasks, VERIFIERS)
        self.registry.beat(done=0, in_hand=0, warm=False)
        with self._beating():
            self.verifier.prewarm()
        self.registry.beat(warm=True)
        try:
            run_loop(self.name, stop, lambda: self.step() >= 0, 0.0, self._after_outage)
        finally:
            self.registry.leave()

    def _after_outage(self) -> None:
        """Tasks whose verdicts could not be delivered are still pending under this
        worker's name: take them back first. (A Redis restarted empty has no group.)"""
        ensure_group(self.redis, self.keys.tasks, VERIFIERS)
        self._recovering = True

    def step(self, block_ms: int = 1000) -> int:
        """Take one batch (waiting up to ``block_ms`` for the first task) and check it."""
        entries = self._take(block_ms)
        if entries:
            self.registry.beat(in_hand=len(entries))
            self._check(entries)
            self.done += len(entries)
        self.registry.beat(done=self.done, in_hand=0)
        return len(entries)

    def _take(self, block_ms: int) -> list[Entry]:
        entries: list[Entry] = []
        if self._recovering:  # restarted under the same name: its own unacknowledged tasks
            entries += self._read("0", self.max_batch)
            self._recovering = False
        entries += self._reclaim(self.max_batch - len(entries))
        if not entries:
            entries += self._read(">", self.max_batch, block_ms)
            if entries and self.settings.linger_s:
                time.sleep(self.settings.linger_s)  # let other jobs' tasks join the batch
        if 0 < len(entries) < self.max_batch:
            entries += self._read(">", self.max_batch - len(entries))
        return entries

    def _read(self, start: str, count: int, block_ms: int | None = None) -> list[Entry]:
        if count <= 0:
            return []
        reply = self.redis.xreadgroup(
            VERIFIERS, self.name, {self.keys.tasks: start}, count=count, block=block_ms
        )
        return [(i, f) for i, f in reply[0][1] if f] if reply else []

    def _reclaim(self, count: int) -> list[Entry]:
        """Tasks whose holder stopped refreshing its claim (it died or hangs)."""
        if count <= 0:
            return []
        idle_ms = int(self.settings.claim_idle_s * 1000)
        _, entries, *_ = self.redis.xautoclaim(
            self.keys.tasks, VERIFIERS, self.name, idle_ms, start_id="0-0", count=count
        )
        if entries:
            log.warning("%s reclaimed %d task(s) from a silent worker", self.name, len(entries))
        return [(i, f) for i, f in entries if f]

    def _check(self, entries: list[Entry]) -> None:
        tasks: list[tuple[str, Task]] = []
        given: list[tuple[str, Task, Verdict]] = []
        parsed = self._parse(entries)
        finished = self._finished_jobs({task.job for _, task in parsed})
        for entry_id, task in parsed:
            if task.job in finished:  # its search ended while the task waited
                self._drop(entry_id)
                continue
            deliveries = self._deliveries(entry_id)
            if deliveries > self.settings.max_deliveries:
                reason = f"the task was handed to {deliveries} verifier workers and none finished"
                given.append((entry_id, task, Crashed(reason=reason)))
            else:
                tasks.append((entry_id, task))
        with self._holding([entry_id for entry_id, _ in tasks]):
            verdicts = self.verifier.check([t.attempt for _, t in tasks]) if tasks else []
        done = [(i, t, v) for (i, t), v in zip(tasks, verdicts, strict=True)] + given
        self._deliver(done)

    def _parse(self, entries: list[Entry]) -> list[tuple[str, Task]]:
        parsed = []
        for entry_id, fields in entries:
            try:
                parsed.append((entry_id, Task.from_fields(fields)))
            except (KeyError, ValueError) as err:
                log.error("dropping malformed task %s: %s", entry_id, err)
                self._drop(entry_id)
        return parsed

    def _finished_jobs(self, jobs: set[str]) -> set[str]:
        """Jobs among ``jobs`` that are final: their tasks need no verdict. (A synchronous
        check's job has no hash at all; its task is checked.)"""
        with self.redis.pipeline(transaction=False) as pipe:
            for job in jobs:
                pipe.hget(self.keys.job(job), "status")
            statuses = pipe.execute()
        return {j for j, s in zip(jobs, statuses, strict=True) if s in FINAL_STATUSES}

    def _drop(self, entry_id: str) -> None:
        self.redis.xack(self.keys.tasks, VERIFIERS, entry_id)
        self.redis.xdel(self.keys.tasks, entry_id)

    def _deliveries(self, entry_id: str) -> int:
        info = self.redis.xpending_range(self.keys.tasks, VERIFIERS, entry_id, entry_id, 1)
        return int(info[0]["times_delivered"]) if info else 1

    def _deliver(self, done: list[tuple[str, Task, Verdict]]) -> None:
        """Verdicts to their jobs, and the tasks acknowledged, in one transaction."""
        with self.redis.pipeline() as pipe:
            for entry_id, task, verdict in done:
                results = self.keys.results(task.job)
                pipe.rpush(results, encode_result(task.id, verdict, self.name))
                pipe.expire(results, RESULTS_TTL_S)
                pipe.xack(self.keys.tasks, VERIFIERS, entry_id)
                pipe.xdel(self.keys.tasks, entry_id)
            pipe.execute()

    @contextmanager
    def _beating(self) -> Iterator[None]:
        """Keep the heartbeat going while Lean starts (a minute or more)."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(10):
                self.registry.beat()

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    @contextmanager
    def _holding(self, entry_ids: list[str]) -> Iterator[None]:
        """Refresh the claim on ``entry_ids`` while Lean works, so no one reclaims them."""
        stop = threading.Event()

        def refresh() -> None:
            while not stop.wait(self.settings.claim_idle_s / 3):
                with contextlib.suppress(*OUTAGES):  # the next refresh may get through
                    self.redis.xclaim(
                        self.keys.tasks, VERIFIERS, self.name, 0, entry_ids, justid=True
                    )

        thread = threading.Thread(target=refresh, daemon=True) if entry_ids else None
        if thread:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread:
                thread.join()

"""Verifier workers: take verification tasks of any job from the task streams (urgent,
then each expansion's first tactics, then the rest), check them with a pool of Lean REPL
processes, and hand the verdicts back to each job.

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
from contextlib import AbstractContextManager

from prover.core.jobs import FINAL_STATUSES
from prover.core.verdicts import Crashed, Verdict
from prover.core.verifier import Verifier
from prover.queue.connect import Redis, ensure_group
from prover.queue.jobs import JobQueue
from prover.queue.keys import VERIFIERS, Keys
from prover.queue.tasks import Task, encode_result
from prover.queue.workers import Registry, periodically, run_loop
from prover.settings import RedisSettings

log = logging.getLogger(__name__)
RESULTS_TTL_S = 86_400
Entry = tuple[str, str, dict[str, str]]  # stream, entry id, fields
Held = tuple[str, str]  # stream, entry id


class VerifyWorker:
    """One worker process: a loop around a :class:`Verifier`."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        settings: RedisSettings,
        verifier: Verifier,
        name: str,
        max_batch: int | None = None,
    ) -> None:
        self.redis, self.keys, self.settings, self.verifier = redis, keys, settings, verifier
        self.name = name
        # A lane per REPL, each taking a couple of tasks and delivering their verdicts
        # before it takes more: a slow attempt holds up its own lane only.
        self.lanes = verifier.capacity
        self.max_batch = max_batch or 2
        self.registry = Registry(redis, keys, name, "verify")
        self.done = self.in_hand = 0
        self._counting = threading.Lock()
        self._recovering = True
        self._groups_ready = False
        self._failure: BaseException | None = None
        # Urgent first (roots, confirmations and synchronous checks, which someone waits
        # on), then each expansion's first tactics, then the rest.
        self.streams = keys.task_streams

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set; the batch in hand is always finished."""
        self.registry.beat(done=0, in_hand=0, warm=False)
        with periodically(10.0, self.registry.beat):  # Lean starts for a minute or more
            self.verifier.prewarm()
        self.registry.beat(warm=True)
        lanes = [threading.Thread(target=self._lane, args=(stop,)) for _ in range(self.lanes)]
        try:
            for lane in lanes:
                lane.start()
            for lane in lanes:
                lane.join()
        finally:
            self.registry.leave()
        if self._failure is not None:
            raise self._failure

    def _lane(self, stop: threading.Event) -> None:
        """One lane's loop; a failure (not an outage) stops every lane and is re-raised."""
        try:
            run_loop(self.name, stop, lambda: self.step() >= 0, 0.0, self._after_outage)
        except BaseException as err:
            self._failure = err
            stop.set()

    def _after_outage(self) -> None:
        """Tasks whose verdicts could not be delivered are still pending under this
        worker's name: take them back first. (A Redis restarted empty has no group.)"""
        self._groups_ready = False
        self._recovering = True

    def step(self, block_ms: int = 1000) -> int:
        """Take one batch (waiting up to ``block_ms`` for the first task) and check it."""
        entries = self._take(block_ms)
        if entries:
            self._count(len(entries), 0)
            try:
                self._check(entries)
            finally:
                self._count(-len(entries), len(entries))
        return len(entries)

    def _count(self, in_hand: int, done: int) -> None:
        with self._counting:
            self.in_hand += in_hand
            self.done += done
            self.registry.beat(done=self.done, in_hand=self.in_hand)

    def _take(self, block_ms: int) -> list[Entry]:
        """Up to ``max_batch`` tasks: its own unacknowledged ones after a restart, then
        reclaimed ones, then new ones stream by stream in ``streams`` order, then any
        (waiting up to ``block_ms``)."""
        if not self._groups_ready:
            for stream in self.streams:
                ensure_group(self.redis, stream, VERIFIERS)
            self._groups_ready = True
        entries: list[Entry] = []
        if self._recovering:  # restarted under the same name: its own unacknowledged tasks
            self._recovering = False
            entries += self._in_order(self.max_batch, start="0")
        for stream in self.streams:
            entries += self._reclaim(stream, self.max_batch - len(entries))
        entries += self._in_order(self.max_batch - len(entries))
        if not entries and self._wait(block_ms):
            entries += self._in_order(self.max_batch)
            if entries and self.settings.linger_s:
                time.sleep(self.settings.linger_s)  # let other jobs' tasks join the batch
                entries += self._in_order(self.max_batch - len(entries))
        return entries

    def _in_order(self, count: int, start: str = ">") -> list[Entry]:
        """Up to ``count`` tasks, stream by stream in priority order: new ones (``>``), or
        from ``0`` this worker's own unacknowledged ones."""
        entries: list[Entry] = []
        for stream in self.streams:
            entries += self._read({stream: start}, count - len(entries))
        return entries

    def _wait(self, block_ms: int) -> bool:
        """Wait up to ``block_ms`` for a new task on any stream, taking none. (A group read
        blocked on several streams takes up to its count from each, whatever their order.)"""
        reply = self.redis.xread({stream: "$" for stream in self.streams}, count=1, block=block_ms)
        return bool(reply)

    def _read(self, starts: dict[str, str], count: int, block_ms: int | None = None) -> list[Entry]:
        if count <= 0:
            return []
        reply = self.redis.xreadgroup(VERIFIERS, self.name, starts, count=count, block=block_ms)
        return [(stream, i, f) for stream, items in reply or [] for i, f in items if f]

    def _reclaim(self, stream: str, count: int) -> list[Entry]:
        """Tasks whose holder stopped refreshing its claim (it died or hangs)."""
        if count <= 0:
            return []
        idle_ms = int(self.settings.claim_idle_s * 1000)
        _, entries, *_ = self.redis.xautoclaim(
            stream, VERIFIERS, self.name, idle_ms, start_id="0-0", count=count
        )
        if entries:
            log.warning("%s reclaimed %d task(s) from a silent worker", self.name, len(entries))
        return [(stream, i, f) for i, f in entries if f]

    def _check(self, entries: list[Entry]) -> None:
        tasks: list[tuple[Held, Task]] = []
        given: list[tuple[Held, Task, Verdict]] = []
        parsed = self._parse(entries)
        finished = self._finished_jobs({task.job for _, task in parsed})
        for held, task in parsed:
            if task.job in finished:  # its search ended while the task waited
                self._drop(held)
                continue
            deliveries = self._deliveries(held)
            if deliveries > self.settings.max_deliveries:
                reason = f"the task was handed to {deliveries} verifier workers and none finished"
                given.append((held, task, Crashed(reason=reason, took_down=True)))
            else:
                tasks.append((held, task))
        with self._holding([held for held, _ in tasks]):
            verdicts = self.verifier.check([t.attempt for _, t in tasks]) if tasks else []
        done = [(h, t, v) for (h, t), v in zip(tasks, verdicts, strict=True)] + given
        self._deliver(done)

    def _parse(self, entries: list[Entry]) -> list[tuple[Held, Task]]:
        parsed = []
        for stream, entry_id, fields in entries:
            try:
                parsed.append(((stream, entry_id), Task.from_fields(fields)))
            except (KeyError, ValueError) as err:
                log.error("dropping malformed task %s: %s", entry_id, err)
                self._drop((stream, entry_id))
        return parsed

    def _finished_jobs(self, jobs: set[str]) -> set[str]:
        """Jobs among ``jobs`` that are final: their tasks need no verdict. (A synchronous
        check's job has no hash at all; its task is checked.)"""
        ids = sorted(jobs)
        statuses = JobQueue(self.redis, self.keys).statuses(ids)
        return {j for j, s in zip(ids, statuses, strict=True) if s in FINAL_STATUSES}

    def _drop(self, held: Held) -> None:
        stream, entry_id = held
        self.redis.xack(stream, VERIFIERS, entry_id)
        self.redis.xdel(stream, entry_id)

    def _deliveries(self, held: Held) -> int:
        stream, entry_id = held
        info = self.redis.xpending_range(stream, VERIFIERS, entry_id, entry_id, 1)
        return int(info[0]["times_delivered"]) if info else 1

    def _deliver(self, done: list[tuple[Held, Task, Verdict]]) -> None:
        """Verdicts to their jobs, and the tasks acknowledged, in one transaction."""
        with self.redis.pipeline() as pipe:
            for (stream, entry_id), task, verdict in done:
                results = self.keys.results(task.job)
                pipe.rpush(results, encode_result(task.id, verdict, self.name))
                pipe.expire(results, RESULTS_TTL_S)
                pipe.xack(stream, VERIFIERS, entry_id)
                pipe.xdel(stream, entry_id)
            pipe.execute()

    def _holding(self, held: list[Held]) -> AbstractContextManager[None]:
        """Refresh the claim on ``held`` while Lean works, so no one reclaims them."""
        by_stream: dict[str, list[str]] = {}
        for stream, entry_id in held:
            by_stream.setdefault(stream, []).append(entry_id)

        def refresh() -> None:
            for stream, ids in by_stream.items():
                self.redis.xclaim(stream, VERIFIERS, self.name, 0, ids, justid=True)

        if not held:
            return contextlib.nullcontext()
        return periodically(self.settings.claim_idle_s / 3, refresh)

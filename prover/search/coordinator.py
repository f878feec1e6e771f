"""Search coordinators: hold jobs from the job stream and advance their searches.

A coordinator holds a job (an unacknowledged entry of the ``coordinators`` group) from
start to end, refreshing its claim as it goes. One that dies stops refreshing; its jobs
are then claimed by another coordinator (XAUTOCLAIM), or by itself when restarted under
the same name, and go on from the state in Redis.
"""

from __future__ import annotations

import logging
import threading
import time

from prover.core.jobs import FINAL_STATUSES, JOBS_PER_COORDINATOR
from prover.feedback import RotatingJsonl, flush, record_job
from prover.generate.select import JobGenerators
from prover.queue.connect import Redis, ensure_group
from prover.queue.jobs import JobQueue
from prover.queue.keys import COORDINATORS, Keys
from prover.queue.workers import Registry, run_loop
from prover.search.advance import advance_jobs
from prover.search.redis_store import RedisStore
from prover.settings import GeneratorSettings, RedisSettings

log = logging.getLogger(__name__)


class Coordinator:
    """Advances up to ``max_jobs`` jobs at a time, interleaved, so that the verifier
    workers can batch tasks of many jobs together."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        settings: RedisSettings,
        generator_settings: GeneratorSettings,
        name: str,
        max_jobs: int = JOBS_PER_COORDINATOR,
        feedback: RotatingJsonl | None = None,
    ) -> None:
        self.redis, self.keys, self.settings, self.name = redis, keys, settings, name
        self.generator_settings, self.max_jobs = generator_settings, max_jobs
        self.feedback = feedback  # where finished jobs' records are flushed, if here
        self.store = RedisStore(redis, keys, name)
        self.queue = JobQueue(redis, keys)
        self.registry = Registry(redis, keys, name, "search")
        self.held: dict[str, str] = {}  # job id -> its entry in the job stream
        self._generators = JobGenerators(generator_settings)
        self._recovering = True
        self._last_refresh = 0.0
        self.finished = 0

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set; every write is a whole transaction, so stopping
        anywhere between steps leaves every job resumable."""
        ensure_group(self.redis, self.keys.job_queue, COORDINATORS)
        try:
            run_loop(self.name, stop, self.step, self.settings.poll_s, self._after_outage)
        finally:
            self.registry.leave()

    def _after_outage(self) -> None:
        """Read this coordinator's own pending jobs again (a restarted Redis may hold
        entries that were claimed before it went down; one restarted empty, no group)."""
        ensure_group(self.redis, self.keys.job_queue, COORDINATORS)
        self._recovering = True

    def step(self) -> bool:
        """Claim jobs, then advance each held job once; True when anything moved."""
        self._claim()
        jobs, generators = list(self.held), self._generators
        moved = advance_jobs(
            self.store, jobs, generators, admit=generators.admit, value=generators.value
        )
        for job_id in list(self.held):
            self._release_if_final(job_id)
        self._refresh()
        return moved

    def _claim(self) -> None:
        room = self.max_jobs - len(self.held)
        entries: list[tuple[str, dict[str, str]]] = []
        if self._recovering:
            entries += self._read("0", self.max_jobs)
            self._recovering = False
        if room > len(entries):
            idle_ms = int(self.settings.claim_idle_s * 1000)
            _, claimed, *_ = self.redis.xautoclaim(
                self.keys.job_queue, COORDINATORS, self.name, idle_ms, "0-0", room - len(entries)
            )
            if claimed:
                log.warning("%s took over %d silent job(s)", self.name, len(claimed))
            entries += claimed
        if room > len(entries):
            entries += self._read(">", room - len(entries))
        for entry_id, fields in entries:
            if fields and "job" in fields:
                self.held[fields["job"]] = entry_id
            else:
                self.redis.xack(self.keys.job_queue, COORDINATORS, entry_id)

    def _read(self, start: str, count: int) -> list[tuple[str, dict[str, str]]]:
        reply = self.redis.xreadgroup(
            COORDINATORS, self.name, {self.keys.job_queue: start}, count=count
        )
        return list(reply[0][1]) if reply else []

    def _release_if_final(self, job_id: str) -> None:
        status = self.redis.hget(self.keys.job(job_id), "status")
        if status is not None and status not in FINAL_STATUSES:
            return
        if status is not None:
            record_job(self.redis, self.keys, job_id)
        entry_id = self.held.pop(job_id)
        self.redis.xack(self.keys.job_queue, COORDINATORS, entry_id)
        self.finished += 1

    def _refresh(self) -> None:
        """Renew the claim on held jobs (and the heartbeat) well within ``claim_idle_s``."""
        now = time.monotonic()
        if now - self._last_refresh < self.settings.claim_idle_s / 3:
            return
        self._last_refresh = now
        if self.held:
            entries = list(self.held.values())
            self.redis.xclaim(self.keys.job_queue, COORDINATORS, self.name, 0, entries, justid=True)
        self.registry.beat(jobs=len(self.held), finished=self.finished)
        if self.settings.retention_days:
            self.queue.sweep(self.settings.retention_days * 86_400)
        if self.feedback is not None:
            flush(self.redis, self.keys, self.feedback, self.name)

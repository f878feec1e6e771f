"""One machine, one command: Redis (embedded unless configured), a coordinator and a
verifier worker in this process, run until the submitted jobs are final."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from prover.core.jobs import FINAL_STATUSES, JobInfo, JobSpec
from prover.core.verifier import Verifier
from prover.feedback import RotatingJsonl, flush
from prover.queue.connect import Redis, redis_for_run
from prover.queue.jobs import JobQueue
from prover.queue.keys import Keys
from prover.queue.verify_worker import VerifyWorker
from prover.queue.workers import worker_name
from prover.search.coordinator import Coordinator
from prover.settings import FeedbackSettings, GeneratorSettings, LeanSettings, RedisSettings
from prover.verifiers import make_verifier

Progress = Callable[[list[JobInfo], float], None]


@dataclass
class LocalSettings:
    lean: LeanSettings = field(default_factory=LeanSettings)
    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    # Searches advanced together (0: all). A job's time budget runs from its start, so
    # a bound keeps many jobs from sharing one budget's seconds of the machine.
    jobs_at_once: int = 0

    def __post_init__(self) -> None:
        if self.jobs_at_once < 0:
            raise ValueError("jobs_at_once must be 0 (all) or more")

    def together(self, jobs: int) -> int:
        """How many of ``jobs`` searches run at once (at least one)."""
        return min(self.jobs_at_once or jobs, jobs) or 1


@dataclass
class LocalRun:
    jobs: list[JobInfo]
    wall_s: float  # from submission to the last job finished, start-up excluded
    feedback_records: int
    startup_s: float = 0.0  # Lean REPLs loading their imports and warming up


def run_locally(
    specs: list[JobSpec],
    settings: LocalSettings,
    progress: Progress | None = None,
    every_s: float = 2.0,
    verifier: Verifier | None = None,
) -> LocalRun:
    """Submit ``specs``, work on them here, and return their final state (input order).
    A ``verifier`` given is used (and left open) instead of one started for this run."""
    with redis_for_run(settings.redis) as redis:
        keys = Keys(settings.redis.prefix)
        queue = JobQueue(redis, keys)
        workers = Workers(redis, keys, settings, len(specs), verifier)
        started = time.monotonic()
        workers.verifier.prewarm()
        startup_s = time.monotonic() - started
        ids = [queue.submit(spec, settings.lean.max_input_bytes) for spec in specs]
        begin = time.monotonic()
        with workers:
            jobs = _wait(queue, ids, workers, progress, every_s, begin)
        writer = RotatingJsonl(settings.feedback.dir, settings.feedback.rotate_bytes)
        flush(redis, keys, writer, worker_name("flush"))  # what the coordinator left
        records = sum(int(redis.hget(keys.job(i), "recorded") or 0) for i in ids)
        return LocalRun(jobs, time.monotonic() - begin, records, startup_s)


def _wait(
    queue: JobQueue,
    ids: list[str],
    workers: Workers,
    progress: Progress | None,
    every_s: float,
    begin: float,
) -> list[JobInfo]:
    while True:
        workers.raise_failure()
        jobs = [job for job in map(queue.get, ids) if job is not None]
        if progress:
            progress(jobs, time.monotonic() - begin)
        if all(job.status in FINAL_STATUSES for job in jobs):
            return jobs
        time.sleep(every_s)


class Workers:
    """A verifier worker and a coordinator on threads; a failure in either stops both.
    The coordinator flushes finished jobs' feedback records to files as it goes."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        settings: LocalSettings,
        jobs: int,
        verifier: Verifier | None = None,
    ) -> None:
        self.stop = threading.Event()
        self.failure: BaseException | None = None
        self.owned = verifier is None  # a caller's verifier outlives this run
        writer = RotatingJsonl(settings.feedback.dir, settings.feedback.rotate_bytes)
        search = Coordinator(
            redis,
            keys,
            settings.redis,
            settings.generator,
            worker_name("search"),
            settings.together(jobs),
            writer,
        )  # first: it reads the generator settings' files, and may refuse them
        self.verifier = verifier or make_verifier(settings.lean)
        verify = VerifyWorker(redis, keys, settings.redis, self.verifier, worker_name("verify"))
        self.threads = [
            threading.Thread(target=self._guard, args=(w.run,), daemon=True)
            for w in (verify, search)
        ]

    def _guard(self, run: Callable[[threading.Event], None]) -> None:
        try:
            run(self.stop)
        except BaseException as err:
            self.failure = err
            self.stop.set()

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def __enter__(self) -> Workers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)
        if self.owned:
            self.verifier.close()


def print_job(job: JobInfo, as_json: bool) -> None:
    """One line of JSON, or a line for people with the proof (or why not) below."""
    if as_json:
        row = {
            "name": job.name,
            "status": job.status,
            "proof": job.proof,
            "time_s": job.time_s,
            "verifier_calls": job.verifier_calls,
            "expansions": job.expansions,
            "reason": job.reason,
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)
        return
    head = f"{job.name}: {job.status} in {job.time_s or 0:.1f} s"
    stats = f"{job.expansions} expansions, {job.verifier_calls} verifier calls"
    if job.proof:
        print(f"{head} ({stats})\n{job.statement} := {job.proof}", flush=True)
    else:
        print(f"{head} ({stats}): {job.reason}", flush=True)


def progress_printer() -> Progress:
    """Prints a line when the search moved: one job's counters, or a set's tally."""
    last = [""]

    def show(jobs: list[JobInfo], elapsed: float) -> None:
        if len(jobs) == 1:
            (job,) = jobs
            line = (
                f"{job.name}: {job.status}, {job.expansions} expansions, {job.nodes} states, "
                f"{job.verifier_calls} verifier calls"
            )
        else:
            counts = Counter(job.status for job in jobs)
            calls = sum(job.verifier_calls for job in jobs)
            tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            line = f"{tally}; {calls} verifier calls"
        if line != last[0]:
            last[0] = line
            print(f"[{elapsed:5.0f} s] {line}", flush=True)

    return show

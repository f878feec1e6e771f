"""The Redis key scheme, in one place. Every key starts with ``{prefix}:v2:``; a change
of layout bumps the version so old and new workers never read each other's data."""

from __future__ import annotations

from dataclasses import dataclass

from prover.core.records import Priority

SCHEMA = "v2"  # v2: a third task stream, ``tasks:later``

# Consumer groups.
COORDINATORS = "coordinators"
VERIFIERS = "verifiers"
FLUSHERS = "flushers"


@dataclass(frozen=True)
class Keys:
    """Names of every key; ``prefix`` separates deployments (and test runs) on one Redis."""

    prefix: str = "prover"

    @property
    def base(self) -> str:
        return f"{self.prefix}:{SCHEMA}"

    # Shared.
    @property
    def job_queue(self) -> str:
        """Stream of submitted job ids; coordinators hold each until the job is final."""
        return f"{self.base}:jobs:queue"

    @property
    def job_index(self) -> str:
        """Sorted set: job id by submission time."""
        return f"{self.base}:jobs"

    @property
    def finished_index(self) -> str:
        """Sorted set: final job id by the time it ended (what retention sweeps)."""
        return f"{self.base}:jobs:finished"

    def status_set(self, status: str) -> str:
        return f"{self.base}:jobs:status:{status}"

    @property
    def tasks(self) -> str:
        """Stream of search steps, each expansion's first tactics (priority ``first``),
        read by the ``verifiers`` group."""
        return f"{self.base}:tasks"

    @property
    def urgent_tasks(self) -> str:
        """Stream of tasks someone waits on (a job's root and confirmations, synchronous
        checks): verifiers read it before ``tasks``."""
        return f"{self.base}:tasks:urgent"

    @property
    def later_tasks(self) -> str:
        """Stream of the other search steps: verifiers read it after ``tasks``."""
        return f"{self.base}:tasks:later"

    @property
    def task_streams(self) -> tuple[str, str, str]:
        """Every task stream, in the order verifiers read them."""
        return (self.urgent_tasks, self.tasks, self.later_tasks)

    def task_stream(self, priority: Priority) -> str:
        """The stream of a priority (:func:`prover.core.search.priority`)."""
        return dict(zip(("urgent", "first", "later"), self.task_streams, strict=True))[priority]

    @property
    def feedback(self) -> str:
        """Append-only stream of verdict records, flushed to files by ``flushers``."""
        return f"{self.base}:feedback"

    @property
    def workers(self) -> str:
        """Hash: worker name -> its last heartbeat (JSON)."""
        return f"{self.base}:workers"

    @property
    def channel(self) -> str:
        """Pub/sub channel of every job's events."""
        return f"{self.base}:events"

    def owned(self, owner: str) -> str:
        """Sorted set: the job ids one API tenant submitted, by submission time."""
        return f"{self.base}:jobs:owner:{owner}"

    # Per job.
    def job(self, job_id: str) -> str:
        """Hash: spec, status, counters, proof, proved prefixes waiting to be confirmed."""
        return f"{self.base}:job:{job_id}"

    def frontier(self, job_id: str) -> str:
        """Sorted set: open node id by negated priority (best first)."""
        return f"{self.base}:job:{job_id}:frontier"

    def nodes(self, job_id: str) -> str:
        """Hash: node id -> node (JSON)."""
        return f"{self.base}:job:{job_id}:nodes"

    def seen(self, job_id: str) -> str:
        """Hash: normalized goal text -> node id (identical states are one node)."""
        return f"{self.base}:job:{job_id}:seen"

    def edges(self, job_id: str) -> str:
        """List: one JSON record per verified tactic (parent, tactic, verdict, child)."""
        return f"{self.base}:job:{job_id}:edges"

    def pending(self, job_id: str) -> str:
        """Hash: task id -> what the search sent it for (JSON), until its verdict is used."""
        return f"{self.base}:job:{job_id}:pending"

    def results(self, job_id: str) -> str:
        """List: verdicts of pending tasks, pushed by verifiers, taken by the search."""
        return f"{self.base}:job:{job_id}:results"

    def search_keys(self, job_id: str) -> list[str]:
        """What only a running search needs: deleted when the job is final."""
        return [self.frontier(job_id), self.pending(job_id), self.results(job_id)]

    def events(self, job_id: str) -> str:
        """Stream: the job's events, replayable (the pub/sub channel is live only)."""
        return f"{self.base}:job:{job_id}:events"

    def job_keys(self, job_id: str) -> list[str]:
        return [
            self.job(job_id),
            self.frontier(job_id),
            self.nodes(job_id),
            self.seen(job_id),
            self.edges(job_id),
            self.pending(job_id),
            self.results(job_id),
            self.events(job_id),
        ]

"""Jobs' searches in memory: the same transitions as in Redis, for tests and for
anything that searches in one process without a queue."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from prover.core.jobs import FINAL_STATUSES, FinalStatus, JobSpec, parsed
from prover.core.records import Edge, Node, Step, normalize_state
from prover.core.search import JobView, Transition, best_first
from prover.core.theorem import Attempt
from prover.core.verdicts import Verdict


@dataclass
class MemoryJob:
    """One job's record, with its search."""

    spec: JobSpec
    status: str = "queued"
    started: float | None = None
    fields: dict[str, str] = field(default_factory=dict)  # proof, tactics, reason, generator
    expansions: int = 0
    verifier_calls: int = 0
    next_node: int = 0
    rev: int = 0
    candidates: list[Step] = field(default_factory=list)
    crashed: set[str] = field(default_factory=set)
    pending: dict[str, Step] = field(default_factory=dict)
    results: list[tuple[str, Verdict]] = field(default_factory=list)
    nodes: dict[int, Node] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    open: set[int] = field(default_factory=set)
    edges: list[Edge] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class MemoryStore:
    """A :class:`~prover.core.search.JobStore` in a dict; verification tasks wait in
    ``outbox`` until someone checks them and calls :meth:`deliver`."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.jobs: dict[str, MemoryJob] = {}
        self.outbox: list[tuple[str, str, Attempt]] = []  # (job, task, attempt)
        self.clock = clock

    def submit(self, job_id: str, spec: JobSpec) -> None:
        spec.theorem()  # raises InputError as submission through Redis does
        self.jobs[job_id] = MemoryJob(spec)

    def deliver(self, job_id: str, task: str, verdict: Verdict) -> None:
        job = self.jobs[job_id]
        if job.status not in FINAL_STATUSES:
            job.results.append((task, verdict))

    def cancel(self, job_id: str) -> None:
        self.end(job_id, "cancelled", "cancelled")

    def view(self, job_id: str) -> JobView | None:
        job = self.jobs.get(job_id)
        if job is None or job.status in FINAL_STATUSES:
            return None
        verdicts: dict[str, Verdict] = {}
        for task, verdict in job.results:
            verdicts.setdefault(task, verdict)
        best = best_first([job.nodes[i] for i in job.open])
        spec, theorem = parsed(job.spec.model_dump_json())
        view = JobView(
            job_id=job_id,
            status="running" if job.status == "running" else "queued",
            spec=spec,
            theorem=theorem,
            started=job.started,
            expansions=job.expansions,
            verifier_calls=job.verifier_calls,
            next_node=job.next_node,
            candidates=tuple(job.candidates),
            pending=tuple(job.pending.values()),
            verdicts=verdicts,
            consumed=len(job.results),
            seen={},
            best_open=tuple(best[: job.spec.budget.nodes_in_flight]),
            open_count=len(job.open),
            version=str(job.rev),
            crashed=frozenset(job.crashed),
        )
        seen = {k: job.seen[k] for k in view.reached() if k in job.seen}
        return replace(view, seen=seen)

    def end(self, job_id: str, status: FinalStatus, reason: str) -> bool:
        job = self.jobs.get(job_id)
        if job is None:
            return False
        if job.status not in FINAL_STATUSES:
            job.rev += 1
            self._finish(job_id, job, status, {"reason": reason})
        return True

    def commit(self, view: JobView, t: Transition) -> bool:
        job = self.jobs.get(view.job_id)
        if job is None or str(job.rev) != view.version:
            return False
        job.rev += 1
        if t.start:
            job.status, job.started = "running", self.clock()
            job.fields["generator"] = json.dumps(t.generator)
            job.events.append(("started", {}))
        for node in t.nodes:
            job.nodes[node.id] = node
            job.seen[normalize_state(node.state)] = node.id
            job.open.add(node.id)
            job.events.append(("node", {"node": node.id, "parent": node.parent}))
        job.edges += t.edges
        job.events += [("verdict", e.model_dump()) for e in t.edges]
        for task in t.done:
            job.pending.pop(task, None)
        del job.results[: t.consumed]
        job.open -= {n.id for n in t.expanded}
        job.nodes |= {n.id: n for n in t.visited}
        job.open |= t.reopened
        job.expansions += len(t.expanded)
        job.events += [("expanded", data) for data in t.expansions()]
        if not t.start:
            job.candidates, job.next_node = list(t.candidates), t.next_node
            job.crashed = set(t.crashed)
        if t.final is not None:
            self._finish(view.job_id, job, *t.final)
        else:
            self._send(view, job, t)
        return True

    def _finish(self, job_id: str, job: MemoryJob, status: str, fields: dict[str, str]) -> None:
        job.status = status
        job.fields.update(fields)
        job.pending.clear()
        job.results.clear()
        job.open.clear()
        job.events.append(("finished", {"status": status}))
        self.outbox = [entry for entry in self.outbox if entry[0] != job_id]

    def _send(self, view: JobView, job: MemoryJob, t: Transition) -> None:
        for k, (step, attempt) in enumerate(t.tasks):
            task = str(view.verifier_calls + k)
            job.pending[task] = Step.of(task, step.data())
            self.outbox.append((view.job_id, task, attempt))
        job.verifier_calls += len(t.tasks)

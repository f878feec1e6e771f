"""One pass over held jobs: read each job's view, decide, generate tactics for every
chosen node in one batch per generator (outside any store transaction), and commit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from prover.core.jobs import GeneratorChoice
from prover.core.search import JobStore, JobView, Transition, complete, decide
from prover.core.theorem import Theorem
from prover.generate.base import Generator

GeneratorFor = Callable[[GeneratorChoice, Theorem], tuple[Generator, dict[str, str]]]


def advance_jobs(
    store: JobStore, job_ids: Iterable[str], generator_for: GeneratorFor, now: float | None = None
) -> bool:
    """Advance each job once; True when anything moved (or a commit lost a race, so the
    caller comes back at once)."""
    now = time.time() if now is None else now
    planned: list[tuple[JobView, Transition]] = []
    for job_id in job_ids:
        view = store.view(job_id)
        if view is not None:
            planned.append((view, decide(view, now)))
    _generate(planned, generator_for)
    moved = False
    for view, transition in planned:
        if transition.moved():
            store.commit(view, transition)
            moved = True
    return moved


def _generate(planned: list[tuple[JobView, Transition]], generator_for: GeneratorFor) -> None:
    """Tactics for every node to expand: one ``propose_batch`` per generator across jobs."""
    groups: dict[int, tuple[Generator, list[tuple[JobView, Transition]]]] = {}
    for view, t in planned:
        if not (t.start or t.expanded):
            continue
        generator, info = generator_for(view.spec.generator, view.theorem)
        if t.start:
            t.generator = info
        groups.setdefault(id(generator), (generator, []))[1].append((view, t))
    for generator, items in groups.values():
        items = [(v, t) for v, t in items if t.expanded]
        states = [node.state for _, t in items for node in t.expanded]
        if not states:
            continue
        n = max(v.budget.proposals_per_node for v, _ in items)
        proposals = generator.propose_batch(states, n)
        k = 0
        for view, t in items:
            complete(view, t, proposals[k : k + len(t.expanded)])
            k += len(t.expanded)

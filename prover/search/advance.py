"""One pass over held jobs: read each job's view, decide, generate tactics for every
chosen node in one batch per generator (outside any store transaction), and commit.
Jobs whose generator's model is not admitted this pass wait, nodes open, for a later one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from prover.core.jobs import GeneratorChoice
from prover.core.search import JobStore, JobView, Transition, complete, decide
from prover.core.theorem import Theorem
from prover.generate.base import Generator

log = logging.getLogger(__name__)
GeneratorFor = Callable[[GeneratorChoice, Theorem], tuple[Generator, dict[str, str]]]
# Which jobs of a pass (by their generator choice) get proposals now.
Admit = Callable[[list[GeneratorChoice], float], list[bool]]
Planned = list[tuple[JobView, Transition]]


def advance_jobs(
    store: JobStore,
    job_ids: Iterable[str],
    generator_for: GeneratorFor,
    now: float | None = None,
    admit: Admit | None = None,
) -> bool:
    """Advance each job once; True when anything moved (or a commit lost a race, so the
    caller comes back at once). A job the search cannot work on (its stored spec does not
    parse, its generator cannot be made) ends as ``error`` with the reason; a generator
    that fails leaves its jobs' nodes open for the next pass, and so does one that
    ``admit`` (all, if not given) holds back: such a job that has not started yet waits
    to start."""
    now = time.time() if now is None else now
    planned: Planned = []
    moved = False
    for job_id in job_ids:
        try:
            view = store.view(job_id)
        except Exception as err:  # a stored job the search cannot read must not stop the rest
            moved |= store.end(job_id, "error", f"the job cannot be searched: {err}")
            continue
        if view is not None:
            planned.append((view, decide(view, now)))
    for view, transition in _generate(store, planned, generator_for, admit, now):
        if transition.moved():
            store.commit(view, transition)
            moved = True
    return moved


def _generate(
    store: JobStore, planned: Planned, generator_for: GeneratorFor, admit: Admit | None, now: float
) -> Planned:
    """Tactics for every node to expand: one ``propose_batch`` per generator across jobs.
    Returns the jobs still to commit."""
    groups: dict[int, tuple[Generator, Planned]] = {}
    kept: Planned = []
    wants = [t.start or bool(t.expanded) for _, t in planned]
    choices = [view.spec.generator for (view, _), w in zip(planned, wants, strict=True) if w]
    admitted = iter(admit(choices, now) if admit else [True] * len(choices))
    for (view, t), wanted in zip(planned, wants, strict=True):
        if wanted and not next(admitted):
            if t.start:
                continue  # it starts in a pass that admits its generator
            t.expanded = []  # its nodes stay open for a later pass
        if not (t.start or t.expanded):
            kept.append((view, t))
            continue
        try:
            generator, info = generator_for(view.spec.generator, view.theorem)
        except Exception as err:
            store.end(view.job_id, "error", f"no generator for this job: {err}")
            continue
        if t.start:
            t.generator = info
        groups.setdefault(id(generator), (generator, []))[1].append((view, t))
        kept.append((view, t))
    for generator, items in groups.values():
        _propose(generator, [(v, t) for v, t in items if t.expanded])
    return kept


def _propose(generator: Generator, items: Planned) -> None:
    states = [node.state for _, t in items for node in t.expanded]
    if not states:
        return
    n = max(v.budget.proposals_per_node for v, _ in items)
    try:
        proposals = generator.propose_batch(states, n)
    except Exception as err:
        log.warning("generator %s failed; its nodes stay open: %s", generator.name, err)
        for _, t in items:
            t.expanded = []
        return
    k = 0
    for view, t in items:
        complete(view, t, proposals[k : k + len(t.expanded)])
        k += len(t.expanded)

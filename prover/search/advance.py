"""One pass over held jobs: read each job's view, decide, generate tactics for every
chosen node in one batch per model and number of proposals wanted (outside any store
transaction), and commit.
Jobs whose generator's model is not admitted this pass wait, nodes open, for a later one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from prover.core.jobs import GeneratorChoice
from prover.core.records import Proposal
from prover.core.search import JobStore, JobView, Transition, Value, complete, decide, wanted
from prover.core.theorem import Theorem
from prover.generate.base import Generator
from prover.generate.select import model_of, propose_shared

log = logging.getLogger(__name__)
GeneratorFor = Callable[[GeneratorChoice, Theorem], tuple[Generator, dict[str, str]]]
# Which jobs of a pass (by their generator choice) get proposals now.
Admit = Callable[[list[GeneratorChoice], float], list[bool]]
Planned = list[tuple[JobView, Transition]]
Group = list[tuple[Generator, JobView, Transition]]


def advance_jobs(
    store: JobStore,
    job_ids: Iterable[str],
    generator_for: GeneratorFor,
    now: float | None = None,
    admit: Admit | None = None,
    value: Value | None = None,
) -> bool:
    """Advance each job once; True when anything moved (or a commit lost a race, so the
    caller comes back at once). A job the search cannot work on (its stored spec does not
    parse, its generator cannot be made) ends as ``error`` with the reason; a generator
    that fails leaves its jobs' nodes open for the next pass, and so does one that
    ``admit`` (all, if not given) holds back: such a job that has not started yet waits
    to start. ``value``, a value model, ranks the states the jobs reach."""
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
            planned.append((view, decide(view, now, value)))
    for view, transition in _generate(store, planned, generator_for, admit, now):
        if transition.moved():
            store.commit(view, transition)
            moved = True
    return moved


def _generate(
    store: JobStore, planned: Planned, generator_for: GeneratorFor, admit: Admit | None, now: float
) -> Planned:
    """Tactics for every node to expand: one ``propose_batch`` per model across jobs (a
    mixed generator's symbolic part proposes for its own job's preamble). Returns the
    jobs still to commit."""
    groups: dict[int, Group] = {}
    kept: Planned = []
    wants = [t.start or bool(t.expanded) for _, t in planned]
    choices = [view.spec.generator for (view, _), w in zip(planned, wants, strict=True) if w]
    admitted = iter(admit(choices, now) if admit else [True] * len(choices))
    for (view, t), asks in zip(planned, wants, strict=True):
        if asks and not next(admitted):
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
        groups.setdefault(id(model_of(generator)), []).append((generator, view, t))
        kept.append((view, t))
    for items in groups.values():
        _propose([(g, v, t) for g, v, t in items if t.expanded])
    return kept


def _propose(items: Group) -> None:
    """Proposals for the nodes of jobs whose generators share one model: one batch for
    each number of proposals wanted (a node on a later visit wants more)."""
    if not items:
        return
    wants = {
        (i, k): wanted(view, t, node)
        for i, (_, view, t) in enumerate(items)
        for k, node in enumerate(t.expanded)
    }
    got: dict[tuple[int, int], list[Proposal]] = {}
    try:
        for n in sorted(set(wants.values())):
            got |= _batch(items, [key for key, m in wants.items() if m == n], n)
    except Exception as err:
        name = model_of(items[0][0]).name
        log.warning("generator %s failed; its nodes stay open: %s", name, err)
        for _, _, t in items:
            t.expanded = []
        return
    for i, (_, view, t) in enumerate(items):
        complete(view, t, [got[i, k] for k in range(len(t.expanded))])


def _batch(
    items: Group, keys: list[tuple[int, int]], n: int
) -> dict[tuple[int, int], list[Proposal]]:
    """``n`` proposals for each node named by (job, node) in ``keys``: one model batch,
    each job's states together (a mixed generator ranks a job's states at once)."""
    jobs: dict[int, list[int]] = {}
    for i, k in keys:
        jobs.setdefault(i, []).append(k)
    parts = [(items[i][0], [items[i][2].expanded[k].state for k in ks]) for i, ks in jobs.items()]
    answers = propose_shared(parts, n)
    return {
        (i, k): proposed
        for (i, ks), per_job in zip(jobs.items(), answers, strict=True)
        for k, proposed in zip(ks, per_job, strict=True)
    }

"""Best-first search as a pure transition: what a job's search does next, given what it
knows now. No I/O here; a job store (Redis, or memory) reads a :class:`JobView`, the
caller generates tactics for the nodes :func:`decide` chose to expand, and
:func:`complete` turns it all into a :class:`Transition` the store writes at once.

The priority of a node is the sum of the scores (log-probabilities) of the tactics on
its path, minus a length penalty per step, minus an estimate of the work its state has
left (:func:`state_penalty`: goals beyond the first, and the targets' length), plus,
where the job's generator settings name a value model, ``VALUE_WEIGHT`` times its
estimate of the log-probability that the state is proved.
Expansion is continuous: whenever fewer than ``nodes_in_flight`` of a job's nodes have
tactics with the verifiers, the best open node is expanded (its proposals go to the
verifiers as tactic prefixes from the theorem's start), so no job waits for a whole
round of verdicts. An ``open`` verdict adds a child
unless its goals were seen before (identical states are one node, which also cuts
cycles); ``proved`` prefixes are checked again as whole proofs, best first, before the
job is reported proved.

A node is expanded again while its generator has tactics left for it: each expansion
sends the best ``proposals_per_node`` of its proposals that it has not sent before,
and puts the node back on the frontier with its priority lowered to what its best
untried tactic is worth (:func:`visit`). A node whose first tactics all failed is thus
not the end of its line, and one whose children do well waits behind them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from prover.core.goals import parse_goals
from prover.core.jobs import Budget, FinalStatus, JobSpec
from prover.core.records import Edge, Node, Priority, Proposal, Step, normalize_state
from prover.core.theorem import Attempt, Theorem
from prover.core.verdicts import Crashed, Open, Proved, Timeout, Verdict, describe

# Each goal beyond the first needs at least one more step: about one step's cost at the
# symbolic proposer's usual scores (a tactic of prior 0.3-0.6).
GOAL_PENALTY = 0.5
# Longer targets are further from closing: per character of all goals' targets.
SIZE_PENALTY = 0.002
# A node's best tactics go to the verifiers ahead of every job's later ones, so a job
# that its first tactics prove ends before other jobs' long tails are checked. (A node's
# later visits send only later ones.)
FIRST_TACTICS = 4
# A learned value's log-probability counts as much as a tactic's: on the curriculum's
# validation states, weights from 0.25 to 2 rank solved states above unsolved ones equally
# well, within about 0.01 AUC (docs/benchmarks.md, "A learned value").
VALUE_WEIGHT = 1.0
# The most proposals asked of a generator at once (the OpenAI-compatible API's limit).
MAX_PROPOSALS = 256
# A value model's estimate of the log-probability that a state is proved (<= 0).
Value = Callable[[str], float]


def priority(step: Step) -> Priority:
    """Which task stream a step goes to: roots and confirmations (someone waits on them)
    first of all, then each node's first ``FIRST_TACTICS`` tactics, then the rest."""
    if step.kind != "step":
        return "urgent"
    return "first" if step.rank < FIRST_TACTICS else "later"


def state_penalty(state: str) -> float:
    """What a state's goals cost its priority, beyond the path that reached it."""
    goals = parse_goals(state)
    extra = max(len(goals) - 1, 0)
    return GOAL_PENALTY * extra + SIZE_PENALTY * sum(len(g.target) for g in goals)


def path_score(node: Node) -> float:
    """The node's path score (log-probabilities less length penalties), without its
    state's penalty, value or visits: what its children's scores build on."""
    return node.score + node.lowered + state_penalty(node.state) - VALUE_WEIGHT * node.value


def visit(node: Node, proposed: Sequence[Proposal], sent: list[str], left: list[Proposal]) -> Node:
    """The node after an expansion that sent ``sent`` of ``proposed`` (all of its
    proposals, best first) and has ``left`` untried. With tactics left, its priority is
    lowered by how much worse the best of them scores than its best tactic: a tactic
    from here then ranks about as a child's would."""
    lowered = node.lowered
    if left:
        lowered = max(max(p.score for p in proposed) - max(p.score for p in left), 0.0)
    return replace(
        node,
        score=node.score + node.lowered - lowered,
        visits=node.visits + bool(sent),
        sent=(*node.sent, *sent),
        lowered=lowered,
    )


def wanted(view: JobView, t: Transition, node: Node) -> int:
    """How many proposals to ask for ``node``: the tactics it sent before (a generator
    gives its best again), this visit's, one to tell whether any are left, and as many
    as the job will not send again; at most ``MAX_PROPOSALS``."""
    n = len(node.sent) + view.budget.proposals_per_node + 1 + len(t.crashed)
    return min(n, MAX_PROPOSALS)


@dataclass(frozen=True)
class JobView:
    """What the search reads of one job that is not final, at one moment."""

    job_id: str
    status: Literal["queued", "running"]
    spec: JobSpec
    theorem: Theorem
    started: float | None
    expansions: int
    verifier_calls: int
    next_node: int
    candidates: tuple[Step, ...]  # proved prefixes waiting for their confirmation
    pending: tuple[Step, ...]  # tasks with the verifiers
    verdicts: Mapping[str, Verdict]  # verdicts that arrived, by task id
    consumed: int  # results read (the store drops this many once committed)
    seen: Mapping[str, int]  # stored node ids of the states the arrived verdicts reached
    best_open: tuple[Node, ...]  # stored open nodes, best first (at most nodes_in_flight)
    open_count: int  # stored open nodes in all
    version: str = ""  # the store's token for "nothing changed since this view"
    crashed: frozenset[str] = frozenset()  # tactics whose check took its Lean process down

    @property
    def budget(self) -> Budget:
        return self.spec.budget

    def reached(self) -> list[str]:
        """Normalized states the arrived ``open`` verdicts reached: what ``seen`` is read for."""
        return [normalize_state(v.pretty()) for v in self.verdicts.values() if isinstance(v, Open)]


@dataclass
class Transition:
    """Everything one advance of a job writes: applied by a store as a whole, or not at all."""

    job_id: str
    start: bool = False
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    expanded: list[Node] = field(default_factory=list)
    visited: list[Node] = field(default_factory=list)  # the expanded nodes, after it
    reopened: set[int] = field(default_factory=set)  # those back on the frontier
    candidates: list[Step] = field(default_factory=list)
    crashed: set[str] = field(default_factory=set)  # the view's, and this step's
    next_node: int = 0
    done: list[str] = field(default_factory=list)  # task ids whose verdicts were used
    consumed: int = 0
    tasks: list[tuple[Step, Attempt]] = field(default_factory=list)  # to send; ids not set yet
    final: tuple[FinalStatus, dict[str, str]] | None = None
    generator: dict[str, str] = field(default_factory=dict)  # at start: which one searches

    @property
    def merged(self) -> int:
        return sum(1 for e in self.edges if e.merged)

    def expansions(self) -> list[dict[str, Any]]:
        """The ``expanded`` events' data: each expanded node's visits, whether it is back
        on the frontier, and its (lowered) score."""
        return [
            {
                "node": n.id,
                "visits": n.visits,
                "open": n.id in self.reopened,
                "score": round(n.score, 4),
            }
            for n in self.visited
        ]

    def moved(self) -> bool:
        return bool(self.start or self.consumed or self.tasks or self.expanded or self.final)


def decide(view: JobView, now: float, value: Value | None = None) -> Transition:
    """Take in the verdicts that arrived and choose what to do next; the nodes to expand
    are in ``expanded`` and wait for tactics (see :func:`complete`). ``value`` estimates
    new states' chances (the job's value model, if it has one)."""
    if view.status == "queued":
        root = Step("", "root", None, (), 0.0)
        return Transition(view.job_id, start=True, tasks=[(root, Attempt.steps(view.theorem, []))])
    return _Decision(view, value).run(now)


def complete(view: JobView, t: Transition, proposals: Sequence[Sequence[Proposal]]) -> None:
    """Add the step tasks for ``t.expanded`` (``proposals[i]`` are the tactics proposed for
    ``t.expanded[i]``, best first, :func:`wanted` of them), within the job's verifier
    budget: the best ``proposals_per_node`` that the node has not sent before. The nodes
    as they are after it go to ``t.visited``, and those with tactics left back on the
    frontier."""
    budget = view.budget
    room = budget.max_verifier_calls - view.verifier_calls - len(t.tasks)
    for node, proposed in zip(t.expanded, proposals, strict=True):
        # A tactic that took a Lean process down in this job is likely to again, on its
        # other states, and each crash costs a process's start: tens of seconds of a core.
        skip = t.crashed | set(node.sent)
        fresh = [p for p in proposed if p.tactic not in skip]
        chosen = fresh[: min(budget.proposals_per_node, max(room, 0))]
        for k, p in enumerate(chosen):
            tactics = (*node.tactics, p.tactic)
            total = path_score(node) + p.score - budget.length_penalty
            # Ranked after the tactics of its earlier visits: see FIRST_TACTICS.
            step = Step("", "step", node.id, tactics, total, len(node.sent) + k)
            t.tasks.append((step, Attempt.steps(view.theorem, tactics)))
        room -= len(chosen)
        left = fresh[len(chosen) :]
        # A sampling model may propose new tactics on every visit: MAX_PROPOSALS in all.
        if len(node.sent) + len(chosen) >= MAX_PROPOSALS:
            left = []
        t.visited.append(visit(node, proposed, [p.tactic for p in chosen], left))
        if left:
            t.reopened.add(node.id)


class _Decision:
    def __init__(self, view: JobView, value: Value | None) -> None:
        self.view, self.budget, self.value = view, view.budget, value
        self.t = Transition(
            view.job_id,
            next_node=view.next_node,
            candidates=list(view.candidates),
            crashed=set(view.crashed),
        )
        self.known = dict(view.seen)  # normalized state -> node id, this step's nodes included

    def run(self, now: float) -> Transition:
        view, t = self.view, self.t
        arrived = [s for s in view.pending if s.task in view.verdicts]
        waiting = [s for s in view.pending if s.task not in view.verdicts]
        for step in arrived:
            verdict = view.verdicts[step.task]
            {"root": self._root, "step": self._step, "confirm": self._confirmed}[step.kind](
                step, verdict
            )
        t.done = [s.task for s in arrived]
        t.consumed = view.consumed
        if t.final is None:
            self._plan(waiting, now)
        return t

    # Verdicts that arrived.

    def _root(self, step: Step, verdict: Verdict) -> None:
        if isinstance(verdict, Open):
            self._add_node(step, verdict)
        else:
            reason = f"the statement does not elaborate: {describe(verdict)}"
            self.t.final = ("error", {"reason": reason})

    def _step(self, step: Step, verdict: Verdict) -> None:
        edge = Edge.of(step, verdict)
        if isinstance(verdict, Open):
            edge.child, edge.merged = self._add_node(step, verdict)
        elif isinstance(verdict, Proved):
            self.t.candidates.append(step)
        elif isinstance(verdict, Crashed | Timeout) and verdict.took_down:
            self.t.crashed.add(step.tactics[-1])
        self.t.edges.append(edge)

    def _add_node(self, step: Step, verdict: Open) -> tuple[int, bool]:
        """The node for the state ``verdict`` reached (an existing one if seen before)."""
        key = normalize_state(verdict.pretty())
        if key in self.known:
            return self.known[key], True
        state = verdict.pretty()
        value = min(self.value(state), 0.0) if self.value is not None else 0.0
        score = step.score - state_penalty(state) + VALUE_WEIGHT * value
        node = Node(self.t.next_node, step.node, step.tactics, state, score, value)
        self.t.nodes.append(node)
        self.known[key] = node.id
        self.t.next_node += 1
        return node.id, False

    def _confirmed(self, step: Step, verdict: Verdict) -> None:
        self.t.edges.append(Edge.of(step, verdict))
        if isinstance(verdict, Proved):
            proof = Attempt.steps(self.view.theorem, step.tactics).proof
            self.t.final = ("proved", {"proof": proof, "tactics": json.dumps(list(step.tactics))})

    # What to send next, or how the job ends.

    def _plan(self, waiting: list[Step], now: float) -> None:
        view, t, budget = self.view, self.t, self.budget
        if now - (view.started or now) >= budget.max_seconds:
            t.final = ("exhausted", {"reason": f"time budget ({budget.max_seconds:.0f} s) spent"})
            return
        if t.candidates and not any(s.kind == "confirm" for s in waiting):
            self._confirm_best()
        busy = {s.node for s in waiting if s.kind == "step"}
        spent = self._over_budget()
        if spent is None and not any(s.kind == "root" for s in waiting):
            self._expand(budget.nodes_in_flight - len(busy), busy)
        if waiting or t.tasks or t.candidates or t.expanded:
            return
        if view.open_count + len(t.nodes) == 0:
            # An empty frontier is a failure whatever the budget says: nothing was left.
            t.final = ("failed", {"reason": "no open state left to expand"})
        elif spent is not None:
            t.final = ("exhausted", {"reason": spent})

    def _confirm_best(self) -> None:
        """Send the best proved prefix to be checked again, alone, as a whole proof."""
        theorem = self.view.theorem
        self.t.candidates.sort(key=lambda s: -s.score)
        best = self.t.candidates.pop(0)
        whole = Attempt.whole(theorem, Attempt.steps(theorem, best.tactics).proof)
        self.t.tasks.append((Step("", "confirm", best.node, best.tactics, best.score), whole))

    def _over_budget(self) -> str | None:
        view, budget = self.view, self.budget
        if view.expansions >= budget.max_expansions:
            return f"expansion budget ({budget.max_expansions}) spent"
        if view.verifier_calls >= budget.max_verifier_calls:
            return f"verifier budget ({budget.max_verifier_calls}) spent"
        return None

    def _expand(self, room: int, busy: set[int | None]) -> None:
        """Choose the best ``room`` open nodes, within the expansion budget."""
        room = min(room, self.budget.max_expansions - self.view.expansions)
        if room <= 0:
            return
        # A node back on the frontier waits for its last expansion's verdicts.
        ready = [n for n in self.view.best_open if n.id not in busy]
        self.t.expanded = best_first([*ready, *self.t.nodes])[:room]


class JobStore(Protocol):
    """Where jobs' searches live: :class:`~prover.search.redis_store.RedisStore` for the
    service, :class:`~prover.search.memory.MemoryStore` for tests and one-off runs."""

    def view(self, job_id: str) -> JobView | None:
        """The job as the search sees it now; None when it is absent or final."""
        ...

    def commit(self, view: JobView, transition: Transition) -> bool:
        """Write the whole transition, or nothing when the job changed since ``view``
        (a cancel, another coordinator); True when written."""
        ...

    def end(self, job_id: str, status: FinalStatus, reason: str) -> bool:
        """End a job that is not final (one the search cannot work on: ``error``)."""
        ...


def best_first(nodes: Sequence[Node]) -> list[Node]:
    """Highest priority first; ties go to the older node. Stores give their best open
    nodes in this order too, so every store expands the same ones."""
    return sorted(nodes, key=lambda n: (-n.score, n.id))

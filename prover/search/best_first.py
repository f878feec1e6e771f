"""Best-first search over proof states, in process.

The priority of a node is the sum of the scores (log-probabilities) of the tactics on
its path, minus a length penalty per step. Each round expands the best few open nodes:
their proposals are verified together, as tactic prefixes from the theorem's start, in
one verifier call; an ``open`` verdict adds a child unless its goals were seen before
(identical states are expanded once, which also cuts cycles); the first ``proved``
prefix is re-verified as a whole proof before it is reported.
"""

from __future__ import annotations

import heapq
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from prover.generate.base import Generator
from prover.lean.theorem import Attempt, Theorem
from prover.lean.verdicts import Open, Proved, Verdict
from prover.lean.verifier import Verifier

Status = Literal["proved", "failed", "exhausted", "error"]


@dataclass(frozen=True)
class Budget:
    """Limits of one search; every one is per job."""

    max_expansions: int = 60
    max_verifier_calls: int = 1000
    max_seconds: float = 600.0
    proposals_per_node: int = 16
    nodes_per_round: int = 4
    length_penalty: float = 0.1


@dataclass(frozen=True)
class Node:
    id: int
    tactics: tuple[str, ...]
    state: str
    score: float
    parent: int | None


@dataclass
class SearchResult:
    status: Status
    proof: str | None = None
    tactics: tuple[str, ...] = ()
    reason: str = ""
    expansions: int = 0
    verifier_calls: int = 0
    nodes: int = 0
    time_s: float = 0.0
    tree: list[Node] = field(default_factory=list)


Event = Callable[[str, dict[str, object]], None]


def normalize_state(state: str) -> str:
    """Goal text with whitespace collapsed: the identity of a state."""
    return re.sub(r"\s+", " ", state).strip()


def best_first_search(
    theorem: Theorem,
    generator: Generator,
    verifier: Verifier,
    budget: Budget = Budget(),
    on_event: Event | None = None,
) -> SearchResult:
    """Search for a proof of ``theorem``; stops at the first proof Lean accepts whole."""
    return _Search(theorem, generator, verifier, budget, on_event or (lambda _k, _d: None)).run()


class _Search:
    def __init__(
        self,
        theorem: Theorem,
        generator: Generator,
        verifier: Verifier,
        budget: Budget,
        emit: Event,
    ) -> None:
        self.theorem, self.generator, self.verifier = theorem, generator, verifier
        self.budget, self.emit = budget, emit
        self.result = SearchResult(status="exhausted")
        self.frontier: list[tuple[float, int]] = []
        self.nodes: dict[int, Node] = {}
        self.seen: set[str] = set()
        self.ids = itertools.count()
        self.begin = time.monotonic()

    def run(self) -> SearchResult:
        root = self._verify([Attempt.steps(self.theorem, [])])[0]
        if not isinstance(root, Open):
            return self._finish("error", reason=f"the statement does not elaborate: {root}")
        self._add((), root.pretty(), 0.0, None)
        while self.frontier:
            if reason := self._over_budget():
                return self._finish("exhausted", reason=reason)
            batch = [self.nodes[heapq.heappop(self.frontier)[1]] for _ in self._round_size()]
            proved = self._expand(batch)
            if proved is not None:
                return proved
        return self._finish("failed", reason="no open state left to expand")

    def _round_size(self) -> range:
        return range(min(self.budget.nodes_per_round, len(self.frontier)))

    def _over_budget(self) -> str | None:
        if self.result.expansions >= self.budget.max_expansions:
            return f"expansion budget ({self.budget.max_expansions}) spent"
        if self.result.verifier_calls >= self.budget.max_verifier_calls:
            return f"verifier budget ({self.budget.max_verifier_calls}) spent"
        if time.monotonic() - self.begin >= self.budget.max_seconds:
            return f"time budget ({self.budget.max_seconds:.0f} s) spent"
        return None

    def _expand(self, nodes: list[Node]) -> SearchResult | None:
        steps: list[tuple[Node, str, float]] = []
        for node in nodes:
            self.result.expansions += 1
            proposals = self.generator.propose(node.state, self.budget.proposals_per_node)
            steps += [(node, p.tactic, p.score) for p in proposals]
            self.emit("expanded", {"node": node.id, "proposals": len(proposals)})
        attempts = [Attempt.steps(self.theorem, [*n.tactics, t]) for n, t, _ in steps]
        for (node, tactic, score), verdict in zip(steps, self._verify(attempts), strict=True):
            self.emit("verdict", {"node": node.id, "tactic": tactic, "status": verdict.status})
            if isinstance(verdict, Proved) and (found := self._confirm((*node.tactics, tactic))):
                return found
            if isinstance(verdict, Open):
                step_score = node.score + score - self.budget.length_penalty
                self._add((*node.tactics, tactic), verdict.pretty(), step_score, node.id)
        return None

    def _confirm(self, tactics: tuple[str, ...]) -> SearchResult | None:
        """The whole proof, checked again from scratch under the verifier's trust rules."""
        proof = Attempt.steps(self.theorem, tactics).proof
        (verdict,) = self._verify([Attempt.whole(self.theorem, proof)])
        if not isinstance(verdict, Proved):
            self.emit("unconfirmed", {"tactics": list(tactics), "status": verdict.status})
            return None
        return self._finish("proved", proof=proof, tactics=tactics)

    def _add(self, tactics: tuple[str, ...], state: str, score: float, parent: int | None) -> None:
        key = normalize_state(state)
        if key in self.seen:
            return
        self.seen.add(key)
        node = Node(next(self.ids), tactics, state, score, parent)
        self.nodes[node.id] = node
        heapq.heappush(self.frontier, (-score, node.id))
        self.emit("node", {"node": node.id, "parent": parent, "score": score})

    def _verify(self, attempts: list[Attempt]) -> list[Verdict]:
        self.result.verifier_calls += len(attempts)
        return self.verifier.check(attempts)

    def _finish(self, status: Status, **fields: object) -> SearchResult:
        result = self.result
        result.status = status
        for name, value in fields.items():
            setattr(result, name, value)
        result.nodes = len(self.nodes)
        result.time_s = time.monotonic() - self.begin
        result.tree = list(self.nodes.values())
        self.emit("finished", {"status": status})
        return result

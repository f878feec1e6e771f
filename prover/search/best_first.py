"""Best-first search over proof states, with each job's state in Redis.

The priority of a node is the sum of the scores (log-probabilities) of the tactics on
its path, minus a length penalty per step. Expansion is continuous: whenever fewer than
``nodes_in_flight`` of a job's nodes have tactics with the verifiers, the best open node
is expanded (its proposals go to the verifier workers as tactic prefixes from the
theorem's start), so no job waits for a whole round of verdicts. An ``open`` verdict adds
a child unless its goals were seen before (identical states are one node, which also
cuts cycles); ``proved`` prefixes are checked again as whole proofs, best first, before
the job is reported proved.

:meth:`JobSearch.advance` takes the verdicts that arrived, decides, and writes everything
it learnt in one Redis transaction, so a coordinator that dies at any point leaves a job
that another (or the same one, restarted) picks up where it stood.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from redis.client import Pipeline
from redis.exceptions import WatchError

from prover.core.jobs import FINAL_STATUSES, GeneratorChoice, JobSpec
from prover.core.theorem import Attempt, Theorem
from prover.core.verdicts import Open, Proved, Verdict, describe
from prover.generate.base import Generator
from prover.queue.connect import Redis
from prover.queue.events import emit
from prover.queue.jobs import set_status
from prover.queue.keys import Keys
from prover.queue.tasks import Task, decode_results

GeneratorFor = Callable[[GeneratorChoice, Theorem], tuple[Generator, dict[str, str]]]


def normalize_state(state: str) -> str:
    """Goal text with whitespace collapsed: the identity of a state."""
    return re.sub(r"\s+", " ", state).strip()


@dataclass(frozen=True)
class Node:
    id: int
    parent: int | None
    tactics: tuple[str, ...]
    state: str
    score: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Node:
        data = json.loads(text)
        return cls(data["id"], data["parent"], tuple(data["tactics"]), data["state"], data["score"])


@dataclass(frozen=True)
class Step:
    """A verification task in flight and what its verdict means to the search: ``root``
    (the statement alone), ``step`` (a tactic prefix from ``node``) or ``confirm`` (a
    proved prefix checked again as a whole proof)."""

    task: str
    kind: str
    node: int | None
    tactics: tuple[str, ...]
    score: float

    def data(self) -> dict[str, Any]:
        """What is stored of it (the task id is the key it is stored under, if any)."""
        return {
            "kind": self.kind,
            "node": self.node,
            "tactics": list(self.tactics),
            "score": self.score,
        }

    @classmethod
    def of(cls, task: str, data: dict[str, Any]) -> Step:
        return cls(task, data["kind"], data["node"], tuple(data["tactics"]), data["score"])


class JobSearch:
    """Advances jobs held by one coordinator."""

    def __init__(self, redis: Redis, keys: Keys, generator_for: GeneratorFor, owner: str) -> None:
        self.redis, self.keys, self.generator_for, self.owner = redis, keys, generator_for, owner

    def advance(self, job_id: str) -> bool:
        """Take the verdicts that arrived and expand while there is room; False when there
        was nothing to do. A write by someone else in between (a cancel, another
        coordinator) drops the step."""
        try:
            with self.redis.pipeline() as pipe:
                pipe.watch(self.keys.job(job_id))
                job = pipe.hgetall(self.keys.job(job_id))
                if not job or job["status"] in FINAL_STATUSES:
                    return False
                return _Advance(self, pipe, job_id, job).run()
        except WatchError:
            return True


class _Advance:
    """One transaction on one job: read, decide in memory, then write in MULTI."""

    def __init__(self, search: JobSearch, pipe: Pipeline, job_id: str, job: dict[str, str]):
        self.search, self.pipe, self.job_id, self.job = search, pipe, job_id, job
        self.keys = search.keys
        self.spec, self.theorem = _parsed(job["spec"])
        self.budget = self.spec.budget
        self.next_id = int(job.get("next_node", 0))
        self.known: dict[str, int] = {}  # states added in this transaction
        self.new: list[Node] = []
        self.edges: list[dict[str, Any]] = []
        # Proved prefixes waiting for their confirmation, best first when sent.
        self.candidates = [Step.of("", c) for c in json.loads(job.get("candidates") or "[]")]
        self.sent: list[tuple[Step, Attempt]] = []
        self.expanded: list[Node] = []
        self.final: tuple[str, dict[str, str]] | None = None

    def run(self) -> bool:
        if self.job["status"] == "queued":
            self._start()
            return True
        pending = self.pipe.hgetall(self.keys.pending(self.job_id))
        raw = self.pipe.lrange(self.keys.results(self.job_id), 0, -1)
        verdicts = decode_results(raw)
        steps = [Step.of(task, json.loads(text)) for task, text in pending.items()]
        arrived = [(s, verdicts[s.task]) for s in steps if s.task in verdicts]
        waiting = [s for s in steps if s.task not in verdicts]
        for step, verdict in arrived:
            {"root": self._root, "step": self._step, "confirm": self._confirmed}[step.kind](
                step, verdict
            )
        if self.final is None:
            self._plan(waiting)
        if not (raw or self.sent or self.expanded or self.final):
            return False
        self.pipe.multi()
        self._write([s.task for s, _ in arrived], len(raw))
        self.pipe.execute()
        return True

    # Starting and finishing.

    def _start(self) -> None:
        _, info = self.search.generator_for(self.spec.generator, self.theorem)
        self.pipe.multi()
        set_status(self.pipe, self.keys, self.job_id, "queued", "running")
        fields = {"started": repr(time.time()), "coordinator": self.search.owner}
        fields["generator"] = json.dumps(info)
        self.pipe.hset(self.keys.job(self.job_id), mapping=fields)
        emit(self.pipe, self.keys, self.job_id, "started", {"coordinator": self.search.owner})
        self.sent.append((Step("", "root", None, (), 0.0), Attempt.steps(self.theorem, [])))
        self._send()
        self.pipe.execute()

    def _finish(self, status: str, fields: dict[str, str]) -> None:
        """Queue the final write; the caller is inside MULTI."""
        pipe, key = self.pipe, self.keys.job(self.job_id)
        set_status(pipe, self.keys, self.job_id, self.job["status"], status)
        pipe.hset(key, mapping={**fields, "finished": repr(time.time())})
        pipe.delete(*self.keys.search_keys(self.job_id))
        data = {"status": status, "proof": fields.get("proof"), "reason": fields.get("reason", "")}
        emit(pipe, self.keys, self.job_id, "finished", data)

    # Verdicts that arrived.

    def _root(self, step: Step, verdict: Verdict) -> None:
        if isinstance(verdict, Open):
            self._add_node(step, verdict)
        else:
            reason = f"the statement does not elaborate: {describe(verdict)}"
            self.final = ("error", {"reason": reason})

    def _step(self, step: Step, verdict: Verdict) -> None:
        edge = _edge("step", step, verdict)
        if isinstance(verdict, Open):
            edge["child"], merged = self._add_node(step, verdict)
            if merged:
                edge["merged"] = True
        elif isinstance(verdict, Proved):
            self.candidates.append(step)
        self.edges.append(edge)

    def _add_node(self, step: Step, verdict: Open) -> tuple[int, bool]:
        """The node for the state ``verdict`` reached (an existing one if seen before)."""
        key = normalize_state(verdict.pretty())
        existing = self.known.get(key)
        if existing is None and (stored := self.pipe.hget(self.keys.seen(self.job_id), key)):
            existing = int(stored)
        if existing is not None:
            return existing, True
        node = Node(self.next_id, step.node, step.tactics, verdict.pretty(), step.score)
        self.new.append(node)
        self.known[key] = self.next_id
        self.next_id += 1
        return node.id, False

    def _confirmed(self, step: Step, verdict: Verdict) -> None:
        self.edges.append(_edge("confirm", step, verdict))
        if isinstance(verdict, Proved):
            proof = Attempt.steps(self.theorem, step.tactics).proof
            self.final = ("proved", {"proof": proof, "tactics": json.dumps(list(step.tactics))})

    # What to send next, or how the job ends.

    def _plan(self, waiting: list[Step]) -> None:
        if time.time() - float(self.job["started"]) >= self.budget.max_seconds:
            self.final = (
                "exhausted",
                {"reason": f"time budget ({self.budget.max_seconds:.0f} s) spent"},
            )
            return
        if self.candidates and not any(s.kind == "confirm" for s in waiting):
            self._confirm_best()
        busy = {s.node for s in waiting if s.kind == "step"}
        spent = self._over_budget()
        if spent is None and not any(s.kind == "root" for s in waiting):
            self._expand(self.budget.nodes_in_flight - len(busy))
        if waiting or self.sent or self.candidates:
            return
        frontier = int(self.pipe.zcard(self.keys.frontier(self.job_id)))
        if frontier + len(self.new) - len(self.expanded) == 0:
            # An empty frontier is a failure whatever the budget says: nothing was left.
            self.final = ("failed", {"reason": "no open state left to expand"})
        elif spent is not None:
            self.final = ("exhausted", {"reason": spent})

    def _confirm_best(self) -> None:
        """Send the best proved prefix to be checked again, alone, as a whole proof."""
        self.candidates.sort(key=lambda s: -s.score)
        best = self.candidates.pop(0)
        whole = Attempt.whole(self.theorem, Attempt.steps(self.theorem, best.tactics).proof)
        self.sent.append((Step("", "confirm", best.node, best.tactics, best.score), whole))

    def _over_budget(self) -> str | None:
        job, budget = self.job, self.budget
        if int(job.get("expansions", 0)) >= budget.max_expansions:
            return f"expansion budget ({budget.max_expansions}) spent"
        if int(job.get("verifier_calls", 0)) >= budget.max_verifier_calls:
            return f"verifier budget ({budget.max_verifier_calls}) spent"
        return None

    def _expand(self, room: int) -> None:
        """Expand the best ``room`` open nodes, within the expansion budget."""
        room = min(room, self.budget.max_expansions - int(self.job.get("expansions", 0)))
        if room <= 0:
            return
        stored = self.pipe.zrange(self.keys.frontier(self.job_id), 0, room - 1, withscores=True)
        ranked = [(-score, int(i)) for i, score in stored] + [(n.score, n.id) for n in self.new]
        best = [i for _, i in sorted(ranked, reverse=True)[:room]]
        by_id = {n.id: n for n in self.new}
        missing = [str(i) for i in best if i not in by_id]
        for text in self.pipe.hmget(self.keys.nodes(self.job_id), missing) if missing else []:
            node = Node.from_json(text)
            by_id[node.id] = node
        self.expanded = [by_id[i] for i in best]
        self._propose(self.expanded)

    def _propose(self, nodes: list[Node]) -> None:
        if not nodes:
            return
        generator, _ = self.search.generator_for(self.spec.generator, self.theorem)
        room = self.budget.max_verifier_calls - int(self.job.get("verifier_calls", 0))
        for node in nodes:
            for p in generator.propose(node.state, self.budget.proposals_per_node):
                if len(self.sent) >= room:
                    return
                tactics = (*node.tactics, p.tactic)
                score = node.score + p.score - self.budget.length_penalty
                step = Step("", "step", node.id, tactics, score)
                self.sent.append((step, Attempt.steps(self.theorem, tactics)))

    # Writing it all, inside MULTI.

    def _write(self, done: list[str], consumed: int) -> None:
        pipe, job_id, key = self.pipe, self.job_id, self.keys.job(self.job_id)
        self._add_nodes(self.new)
        self._record(self.edges)
        if done:
            pipe.hdel(self.keys.pending(job_id), *done)
        if consumed:
            pipe.ltrim(self.keys.results(job_id), consumed, -1)
        if self.expanded:
            pipe.zrem(self.keys.frontier(job_id), *(str(n.id) for n in self.expanded))
            pipe.hincrby(key, "expansions", len(self.expanded))
            for node in self.expanded:
                emit(pipe, self.keys, job_id, "expanded", {"node": node.id})
        merged = sum(1 for e in self.edges if e.get("merged"))
        queued = json.dumps([c.data() for c in self.candidates], ensure_ascii=False)
        fields = {"next_node": self.next_id, "candidates": queued}
        pipe.hset(key, mapping=fields)
        pipe.hincrby(key, "merged", merged)
        if self.final is not None:
            self._finish(*self.final)
        else:
            self._send()

    def _send(self) -> None:
        """Queue the planned verification tasks and note them as pending on the job."""
        calls = int(self.job.get("verifier_calls", 0))
        pending: dict[str, str] = {}
        for k, (step, attempt) in enumerate(self.sent):
            task = str(calls + k)
            stream = self.keys.tasks if step.kind == "step" else self.keys.urgent_tasks
            self.pipe.xadd(stream, Task(task, self.job_id, attempt).fields())
            pending[task] = json.dumps(step.data(), ensure_ascii=False)
        if pending:
            self.pipe.hset(self.keys.pending(self.job_id), mapping=pending)
            self.pipe.hincrby(self.keys.job(self.job_id), "verifier_calls", len(pending))

    def _add_nodes(self, nodes: list[Node]) -> None:
        if not nodes:
            return
        job_id, pipe = self.job_id, self.pipe
        pipe.hset(self.keys.nodes(job_id), mapping={str(n.id): n.to_json() for n in nodes})
        pipe.hset(self.keys.seen(job_id), mapping={normalize_state(n.state): n.id for n in nodes})
        pipe.zadd(self.keys.frontier(job_id), {str(n.id): -n.score for n in nodes})
        pipe.hincrby(self.keys.job(job_id), "nodes", len(nodes))
        for n in nodes:
            data = {"node": n.id, "parent": n.parent, "score": round(n.score, 4), "state": n.state}
            emit(pipe, self.keys, job_id, "node", {**data, "tactic": (n.tactics or ("",))[-1]})

    def _record(self, edges: list[dict[str, Any]]) -> None:
        if not edges:
            return
        self.pipe.rpush(self.keys.edges(self.job_id), *(json.dumps(e) for e in edges))
        for e in edges:
            emit(self.pipe, self.keys, self.job_id, "verdict", e)


@functools.lru_cache(maxsize=1024)
def _parsed(spec: str) -> tuple[JobSpec, Theorem]:
    """A job's spec and theorem, parsed once per coordinator, not at every poll: a job is
    looked at every ``poll_s`` and re-parsing and re-screening cost ~0.3 ms each time.
    (Validated at submission; the limit then was the submitter's.)"""
    job_spec = JobSpec.model_validate_json(spec)
    return job_spec, job_spec.theorem(limit=2**31)


def _edge(kind: str, step: Step, verdict: Verdict) -> dict[str, Any]:
    """One verified tactic: what the dashboard draws and the feedback records hold."""
    edge: dict[str, Any] = {
        "kind": kind,
        "parent": step.node,
        "tactic": step.tactics[-1] if step.tactics else "",
        "tactics": list(step.tactics),
        "score": round(step.score, 4),
        "status": verdict.status,
        "time_s": round(verdict.time_s, 4),
        "child": None,
    }
    if isinstance(verdict, Open):
        edge["state_after"] = verdict.pretty()
    elif not isinstance(verdict, Proved):
        edge["error"] = describe(verdict)
    return edge

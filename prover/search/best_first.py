"""Best-first search over proof states, one job at a time, with its state in Redis.

The priority of a node is the sum of the scores (log-probabilities) of the tactics on
its path, minus a length penalty per step. A round expands the job's best few open
nodes: their proposals go to the verifier workers as tactic prefixes from the theorem's
start; an ``open`` verdict adds a child unless its goals were seen before (identical
states are one node, which also cuts cycles); the best ``proved`` prefix is then checked
again as a whole proof before the job is reported proved.

:meth:`JobSearch.advance` moves a job one step and writes everything it learnt in one
Redis transaction, so a coordinator that dies at any point leaves a job that another
(or the same one, restarted) picks up where it stood.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from redis.client import Pipeline
from redis.exceptions import WatchError

from prover.generate.base import Generator
from prover.lean.theorem import Attempt, Theorem
from prover.lean.verdicts import Open, Proved, Verdict, describe
from prover.queue.connect import Redis
from prover.queue.events import emit
from prover.queue.jobs import GeneratorChoice, JobSpec, set_status
from prover.queue.keys import FINAL_STATUSES, Keys
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
    """One tactic sent for verification in a round."""

    task: str
    node: int | None
    tactics: tuple[str, ...]
    score: float


class JobSearch:
    """Advances jobs held by one coordinator."""

    def __init__(self, redis: Redis, keys: Keys, generator_for: GeneratorFor, owner: str) -> None:
        self.redis, self.keys, self.generator_for, self.owner = redis, keys, generator_for, owner

    def advance(self, job_id: str) -> bool:
        """One step of the job; False when there was nothing to do (waiting for verdicts).
        A write by someone else in between (a cancel, another coordinator) drops the step."""
        try:
            with self.redis.pipeline() as pipe:
                pipe.watch(self.keys.job(job_id))
                job = pipe.hgetall(self.keys.job(job_id))
                if not job or job["status"] in FINAL_STATUSES:
                    return False
                return _Step(self, pipe, job_id, job).run()
        except WatchError:
            return True


class _Step:
    """One transaction on one job: read, decide, then write in MULTI."""

    def __init__(self, search: JobSearch, pipe: Pipeline, job_id: str, job: dict[str, str]):
        self.search, self.pipe, self.job_id, self.job = search, pipe, job_id, job
        self.keys = search.keys
        self.spec = JobSpec.model_validate_json(job["spec"])
        self.budget = self.spec.budget
        # Validated at submission; the limit then was the submitter's.
        self.theorem = self.spec.theorem(limit=2**31)

    def run(self) -> bool:
        if self.job["status"] == "queued":
            self._start()
            return True
        round_ = json.loads(self.job.get("round") or "null")
        if round_ is None:
            self._next_round()
            return True
        steps = [
            Step(s["task"], s["node"], tuple(s["tactics"]), s["score"]) for s in round_["steps"]
        ]
        verdicts = decode_results(self.pipe.lrange(self.keys.results(self.job_id), 0, -1))
        if any(s.task not in verdicts for s in steps):
            return False
        results = [(s, verdicts[s.task]) for s in steps]
        {"root": self._apply_root, "step": self._apply_steps, "confirm": self._apply_confirm}[
            round_["kind"]
        ](results, round_)
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
        self._send("root", [(None, (), 0.0)], Attempt.steps(self.theorem, []))
        self.pipe.execute()

    def _finish(self, status: str, **fields: str) -> None:
        """Queue the final write; the caller is inside MULTI."""
        pipe, key = self.pipe, self.keys.job(self.job_id)
        set_status(pipe, self.keys, self.job_id, self.job["status"], status)
        pipe.hset(key, mapping={**fields, "round": "", "finished": repr(time.time())})
        pipe.delete(self.keys.frontier(self.job_id), self.keys.results(self.job_id))
        data = {"status": status, "proof": fields.get("proof"), "reason": fields.get("reason", "")}
        emit(pipe, self.keys, self.job_id, "finished", data)

    # Rounds.

    def _over_budget(self) -> str | None:
        job, budget = self.job, self.budget
        if int(job.get("expansions", 0)) >= budget.max_expansions:
            return f"expansion budget ({budget.max_expansions}) spent"
        if int(job.get("verifier_calls", 0)) >= budget.max_verifier_calls:
            return f"verifier budget ({budget.max_verifier_calls}) spent"
        if time.time() - float(job["started"]) >= budget.max_seconds:
            return f"time budget ({budget.max_seconds:.0f} s) spent"
        return None

    def _next_round(self) -> None:
        ids = self.pipe.zrange(self.keys.frontier(self.job_id), 0, self.budget.nodes_per_round - 1)
        # An empty frontier is a failure whatever the budget says: nothing was left to try.
        reason = self._over_budget() if ids else "no open state left to expand"
        if reason is not None:
            self.pipe.multi()
            self._finish("exhausted" if ids else "failed", reason=reason)
            self.pipe.execute()
            return
        nodes = [Node.from_json(t) for t in self.pipe.hmget(self.keys.nodes(self.job_id), ids)]
        generator, _ = self.search.generator_for(self.spec.generator, self.theorem)
        room = self.budget.max_verifier_calls - int(self.job.get("verifier_calls", 0))
        planned: list[tuple[int | None, tuple[str, ...], float]] = []
        for node in nodes:
            for p in generator.propose(node.state, self.budget.proposals_per_node):
                step_score = node.score + p.score - self.budget.length_penalty
                planned.append((node.id, (*node.tactics, p.tactic), step_score))
        self.pipe.multi()
        self.pipe.zrem(self.keys.frontier(self.job_id), *ids)
        self.pipe.hincrby(self.keys.job(self.job_id), "expansions", len(nodes))
        for node in nodes:
            emit(self.pipe, self.keys, self.job_id, "expanded", {"node": node.id})
        self._send("step", planned[:room], None)
        self.pipe.execute()

    def _send(
        self,
        kind: str,
        planned: list[tuple[int | None, tuple[str, ...], float]],
        whole: Attempt | None,
    ) -> None:
        """Queue the round's verification tasks and record the round on the job."""
        number = int(self.job.get("rounds", 0)) + 1
        steps = []
        for k, (node, tactics, score) in enumerate(planned):
            task = f"{number}.{k}"
            attempt = whole or Attempt.steps(self.theorem, tactics)
            self.pipe.xadd(self.keys.tasks, Task(task, self.job_id, attempt).fields())
            steps.append({"task": task, "node": node, "tactics": list(tactics), "score": score})
        round_ = json.dumps({"kind": kind, "steps": steps}, ensure_ascii=False)
        key = self.keys.job(self.job_id)
        self.pipe.hset(key, mapping={"round": round_, "rounds": number})
        self.pipe.hincrby(key, "verifier_calls", len(steps))
        self.pipe.delete(self.keys.results(self.job_id))

    def _apply_root(self, results: list[tuple[Step, Verdict]], _round: dict[str, Any]) -> None:
        (_, verdict), *_ = results
        self.pipe.multi()
        if isinstance(verdict, Open):
            self._add_nodes([Node(0, None, (), verdict.pretty(), 0.0)])
            self.pipe.hset(self.keys.job(self.job_id), mapping={"round": "", "next_node": 1})
        else:
            self._finish("error", reason=f"the statement does not elaborate: {describe(verdict)}")
        self.pipe.execute()

    def _apply_steps(self, results: list[tuple[Step, Verdict]], _round: dict[str, Any]) -> None:
        seen_key = self.keys.seen(self.job_id)
        next_id = int(self.job.get("next_node", 1))
        new: list[Node] = []
        edges: list[dict[str, Any]] = []
        known: dict[str, int] = {}
        proved: list[Step] = []
        for step, verdict in results:
            edge = _edge("step", step, verdict)
            if isinstance(verdict, Open):
                key = normalize_state(verdict.pretty())
                existing = known.get(key)
                if existing is None and (stored := self.pipe.hget(seen_key, key)) is not None:
                    existing = int(stored)
                if existing is None:
                    node = Node(next_id, step.node, step.tactics, verdict.pretty(), step.score)
                    new.append(node)
                    known[key] = existing = next_id
                    next_id += 1
                else:
                    edge["merged"] = True
                edge["child"] = existing
            elif isinstance(verdict, Proved):
                proved.append(step)
            edges.append(edge)
        self.pipe.multi()
        self._add_nodes(new)
        self._record(edges)
        fields = {"round": "", "next_node": next_id}
        self.pipe.hset(self.keys.job(self.job_id), mapping=fields)
        merged = sum(1 for e in edges if e.get("merged"))
        self.pipe.hincrby(self.keys.job(self.job_id), "merged", merged)
        if proved:
            self._confirm(sorted(proved, key=lambda s: -s.score))
        self.pipe.execute()

    def _confirm(self, candidates: list[Step]) -> None:
        """Send the best proved prefix to be checked again as a whole proof."""
        best, rest = candidates[0], candidates[1:]
        attempt = Attempt.whole(self.theorem, Attempt.steps(self.theorem, best.tactics).proof)
        self._send("confirm", [(best.node, best.tactics, best.score)], attempt)
        queued = [{"node": s.node, "tactics": list(s.tactics), "score": s.score} for s in rest]
        self.pipe.hset(self.keys.job(self.job_id), "candidates", json.dumps(queued))

    def _apply_confirm(self, results: list[tuple[Step, Verdict]], _round: dict[str, Any]) -> None:
        (step, verdict), *_ = results
        rest = [
            Step("", c["node"], tuple(c["tactics"]), c["score"])
            for c in json.loads(self.job.get("candidates") or "[]")
        ]
        self.pipe.multi()
        self._record([_edge("confirm", step, verdict)])
        if isinstance(verdict, Proved):
            proof = Attempt.steps(self.theorem, step.tactics).proof
            self._finish("proved", proof=proof, tactics=json.dumps(list(step.tactics)))
        elif rest:
            self._confirm(rest)
        else:
            self.pipe.hset(self.keys.job(self.job_id), mapping={"round": "", "candidates": "[]"})
        self.pipe.execute()

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

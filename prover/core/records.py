"""What a search records: proof states (nodes), verified tactics (edges), the tasks in
flight (steps), and the feedback record each edge becomes when its job ends.

One schema for the search, the feedback stream, the dataset export and the API; the
feedback record carries ``schema`` so readers can tell versions apart.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prover.core.verdicts import Open, Proved, Status, Verdict, describe

FEEDBACK_SCHEMA = 1


def normalize_state(state: str) -> str:
    """Goal text with whitespace collapsed: the identity of a state."""
    return re.sub(r"\s+", " ", state).strip()


@dataclass(frozen=True)
class Node:
    """A distinct proof state, reached by ``tactics`` from the theorem's start; ``score``
    is its priority (higher is expanded first); ``value`` is a value model's estimate of
    the log-probability that the state is proved (0 with none), already in ``score``.
    ``visits`` counts its expansions so far, ``sent`` the tactics they sent, and
    ``lowered`` is what its score lost for them (see :func:`prover.core.search.visit`)."""

    id: int
    parent: int | None
    tactics: tuple[str, ...]
    state: str
    score: float
    value: float = 0.0
    visits: int = 0
    sent: tuple[str, ...] = ()
    lowered: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Node:
        data = json.loads(text)
        return cls(
            data["id"],
            data["parent"],
            tuple(data["tactics"]),
            data["state"],
            data["score"],
            data.get("value", 0.0),
            data.get("visits", 0),
            tuple(data.get("sent", ())),
            data.get("lowered", 0.0),
        )


@dataclass(frozen=True, order=True)
class Proposal:
    """One tactic for a state, with its score: a log-probability (higher is better)."""

    score: float
    tactic: str


StepKind = Literal["root", "step", "confirm"]
Priority = Literal["urgent", "first", "later"]  # a task's stream, read in this order


@dataclass(frozen=True)
class Step:
    """A verification task in flight and what its verdict means to the search: ``root``
    (the statement alone), ``step`` (a tactic prefix from ``node``) or ``confirm`` (a
    proved prefix checked again as a whole proof)."""

    task: str
    kind: StepKind
    node: int | None
    tactics: tuple[str, ...]
    score: float
    rank: int = 0  # its place among its node's proposals, best 0 (not stored: see priority)

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


class Edge(BaseModel):
    """One verified tactic and Lean's verdict on it."""

    kind: Literal["step", "confirm"] = Field(
        description="`step`, or `confirm` (the whole proof re-checked)."
    )
    parent: int | None
    tactic: str
    tactics: list[str]
    score: float
    status: Status
    time_s: float
    child: int | None = Field(default=None, description="The node it leads to (`open` verdicts).")
    merged: bool = Field(default=False, description="It reached a state seen before.")
    state_after: str | None = None
    error: str | None = None

    @classmethod
    def of(cls, step: Step, verdict: Verdict) -> Edge:
        kind: Literal["step", "confirm"] = "confirm" if step.kind == "confirm" else "step"
        edge = cls(
            kind=kind,
            parent=step.node,
            tactic=step.tactics[-1] if step.tactics else "",
            tactics=list(step.tactics),
            score=round(step.score, 4),
            status=verdict.status,
            time_s=round(verdict.time_s, 4),
        )
        if isinstance(verdict, Open):
            edge.state_after = verdict.pretty()
        elif not isinstance(verdict, Proved):
            edge.error = describe(verdict)
        return edge


class FeedbackRecord(BaseModel):
    """One verifier verdict of a finished job, as written to the feedback files."""

    schema_version: int = Field(default=FEEDBACK_SCHEMA, alias="schema")
    id: str = Field(description="`<job>/<edge index>`: a record flushed twice keeps its id.")
    job: str
    label: str
    theorem: str
    statement: str
    preamble: str
    imports: list[str]
    kind: Literal["step", "confirm"]
    state_before: str | None
    tactic: str
    tactics: list[str]
    verdict: Status
    state_after: str | None
    error: str | None
    time_s: float
    generator: str
    model: str
    on_proof: bool = Field(description="The tactics are a prefix of the job's proof.")
    job_status: str
    recorded_at: float

    model_config = ConfigDict(populate_by_name=True)

"""Request and response bodies (jobs themselves are ``JobSpec`` and ``JobInfo``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prover.core.jobs import JobInfo, JobSpec
from prover.core.records import Edge
from prover.core.verdicts import Status as VerdictStatus

__all__ = [
    "BatchCreated",
    "BatchRequest",
    "CheckRequest",
    "ErrorBody",
    "Health",
    "JobCreated",
    "JobInfo",
    "JobList",
    "JobSpec",
    "Readiness",
    "Stats",
    "Tree",
    "VerdictOut",
]

MAX_BATCH = 1000


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable, e.g. `forbidden_construct`.")
    message: str
    # `construct` would shadow a BaseModel method; the JSON name is still `construct`.
    construct_name: str | None = Field(
        default=None, alias="construct", description="The forbidden construct named."
    )
    details: list[dict[str, Any]] | None = Field(default=None, description="Validation errors.")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer."""

    error: ErrorDetail


class JobCreated(BaseModel):
    id: str
    status: Literal["queued"] = "queued"


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jobs: list[JobSpec] = Field(min_length=1, max_length=MAX_BATCH)


class BatchCreated(BaseModel):
    jobs: list[JobCreated] = Field(description="In the order submitted.")


class JobList(BaseModel):
    jobs: list[JobInfo] = Field(description="Newest first.")


class TreeNode(BaseModel):
    """A distinct proof state reached by ``tactics`` from the theorem's start."""

    id: int
    parent: int | None
    tactics: list[str]
    state: str
    score: float = Field(description="Its priority: higher is expanded first.")
    value: float = Field(
        default=0.0,
        description="The value model's log-probability that the state is proved, which "
        "is part of ``score`` (0 without a value model).",
    )
    visits: int = Field(default=0, description="How many times it was expanded.")
    open: bool = Field(
        description="On the frontier: not expanded yet, or with tactics left for another "
        "expansion (a node is expanded again with its next tactics, its score lowered)."
    )


class Tree(BaseModel):
    nodes: list[TreeNode]
    edges: list[Edge] = Field(description="Every verified tactic, in the order verdicts came.")


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statement: str = Field(description="`theorem NAME (binders) : type`")
    proof: str = Field(description="The text after `:=`, e.g. `by omega`.")
    preamble: str = Field(default="", description="Definitions the statement uses.")
    imports: list[str] = Field(default_factory=list, max_length=32)


class GoalOut(BaseModel):
    hypotheses: list[str]
    target: str
    case: str | None = None


class PositionOut(BaseModel):
    line: int
    column: int


class VerdictOut(BaseModel):
    """Lean's verdict; which fields are present depends on ``status``."""

    status: VerdictStatus
    time_s: float
    axioms: list[str] | None = Field(default=None, description="proved: the axioms used.")
    goals: list[GoalOut] | None = Field(default=None, description="open: the goals left.")
    message: str | None = Field(default=None, description="failed: Lean's error.")
    position: PositionOut | None = Field(default=None, description="failed: where.")
    construct_name: str | None = Field(
        default=None, alias="construct", description="rejected: what was forbidden."
    )
    reason: str | None = Field(default=None, description="rejected, crashed: why.")
    limit_s: float | None = Field(default=None, description="timeout: the limit passed.")


class Stats(BaseModel):
    """Jobs by status, queue depths, and live workers."""

    queued: int
    running: int
    proved: int
    failed: int
    exhausted: int
    error: int
    cancelled: int
    tasks_waiting: int = Field(description="Verification tasks not yet taken by a worker.")
    jobs_waiting: int = Field(description="Jobs not yet taken by a coordinator.")
    verify_workers: int
    search_workers: int


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "unready"]
    redis: bool
    verify_workers: int
    reasons: list[str] = Field(default_factory=list)

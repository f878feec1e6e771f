"""What is submitted and what clients see of it: job specs, budgets, statuses."""

from __future__ import annotations

import functools
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from prover.core.screen import screen_attempt
from prover.core.theorem import MAX_INPUT_BYTES, Attempt, InputError, Theorem

JobStatus = Literal["queued", "running", "proved", "failed", "exhausted", "error", "cancelled"]
FinalStatus = Literal["proved", "failed", "exhausted", "error", "cancelled"]
JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
FINAL_STATUSES: frozenset[str] = frozenset(get_args(FinalStatus))
JOBS_PER_COORDINATOR = 64  # jobs one coordinator advances at a time, by default


class Forbidden(InputError):
    """The statement or preamble uses a construct the verifier refuses."""

    def __init__(self, construct: str, reason: str) -> None:
        super().__init__(f"{construct}: {reason}")
        self.construct = construct


class Budget(BaseModel):
    """Limits of one search; every one is per job."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_expansions: int = Field(default=60, ge=1, le=100_000)
    max_verifier_calls: int = Field(default=1000, ge=1, le=1_000_000)
    max_seconds: float = Field(default=600.0, gt=0, le=7 * 86400)
    proposals_per_node: int = Field(default=16, ge=1, le=256)
    nodes_in_flight: int = Field(
        default=4, ge=1, le=64, description="Nodes whose tactics may be with the verifiers at once."
    )
    length_penalty: float = Field(default=0.1, ge=0, description="Subtracted per step.")


class GeneratorChoice(BaseModel):
    """Overrides of the coordinator's generator settings for one job."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: Literal["symbolic", "transformers", "openai", "vllm", "mixed"] | None = None
    model: str | None = Field(default=None, max_length=500)


class JobSpec(BaseModel):
    """One theorem to prove."""

    model_config = ConfigDict(extra="forbid")

    statement: str = Field(description="`theorem NAME (binders) : type` (`:= by sorry` allowed)")
    preamble: str = Field(default="", description="Definitions the statement uses.")
    imports: list[str] = Field(default_factory=list, max_length=32)
    forbidden: list[str] = Field(
        default_factory=list, max_length=256, description="Constants a proof may not cite."
    )
    budget: Budget = Field(default_factory=Budget)
    generator: GeneratorChoice = Field(default_factory=GeneratorChoice)
    label: str = Field(default="", max_length=200, description="e.g. the theorem set's name")

    @classmethod
    def of(cls, theorem: Theorem, budget: Budget, label: str = "") -> JobSpec:
        """The job that proves a parsed theorem (from a theorem set, say)."""
        return cls(
            statement=theorem.statement,
            preamble=theorem.preamble,
            imports=list(theorem.imports),
            forbidden=list(theorem.forbidden),
            budget=budget,
            label=label,
        )

    def theorem(self, limit: int = MAX_INPUT_BYTES) -> Theorem:
        """The parsed theorem; raises ``InputError`` (``Forbidden``) for bad input."""
        theorem = Theorem.parse(
            self.statement,
            self.preamble,
            tuple(self.imports),
            limit=limit,
            forbidden=tuple(self.forbidden),
        )
        rejected = screen_attempt(Attempt.steps(theorem, []))
        if rejected:
            raise Forbidden(rejected.construct, rejected.reason)
        return theorem


class JobInfo(BaseModel):
    """A job as clients see it."""

    id: str
    status: JobStatus
    name: str
    statement: str
    label: str = ""
    proof: str | None = None
    tactics: list[str] = Field(default_factory=list)
    reason: str = ""
    created: float
    started: float | None = None
    finished: float | None = None
    time_s: float | None = None
    expansions: int = 0
    verifier_calls: int = 0
    nodes: int = 0
    merged: int = 0
    coordinator: str | None = None
    budget: Budget
    generator: dict[str, str] = Field(default_factory=dict)


@functools.lru_cache(maxsize=1024)
def parsed(spec: str) -> tuple[JobSpec, Theorem]:
    """A stored job's spec and theorem, parsed once per process, not at every look at the
    job (~0.3 ms each to parse and screen). Validated at submission, under the
    submitter's size limit, so none applies here."""
    job_spec = JobSpec.model_validate_json(spec)
    return job_spec, job_spec.theorem(limit=2**31)

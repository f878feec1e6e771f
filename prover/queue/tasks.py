"""Verification tasks and their results, as they travel through Redis."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from prover.core.theorem import Attempt, Theorem
from prover.core.verdicts import Verdict, verdict_from_dict, verdict_to_dict


@dataclass(frozen=True)
class Task:
    """One attempt to verify for one job; ``id`` is unique within the job."""

    id: str
    job: str
    attempt: Attempt

    def fields(self) -> dict[str, str]:
        """The stream entry."""
        attempt = json.dumps(_attempt_dict(self.attempt))
        return {"task": self.id, "job": self.job, "attempt": attempt}

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Task:
        """Raises ``ValueError`` or ``KeyError`` on a malformed entry."""
        return cls(fields["task"], fields["job"], _attempt_from(json.loads(fields["attempt"])))


def _attempt_dict(attempt: Attempt) -> dict[str, Any]:
    theorem = attempt.theorem
    return {
        "name": theorem.name,
        "signature": theorem.signature,
        "preamble": theorem.preamble,
        "imports": list(theorem.imports),
        "forbidden": list(theorem.forbidden),
        "proof": attempt.proof,
        "prefix": attempt.prefix,
        "tactics": list(attempt.tactics),
    }


def _attempt_from(data: dict[str, Any]) -> Attempt:
    theorem = Theorem(
        data["name"],
        data["signature"],
        data["preamble"],
        tuple(data["imports"]),
        tuple(data.get("forbidden", [])),
    )
    return Attempt(theorem, data["proof"], bool(data["prefix"]), tuple(data["tactics"]))


def encode_result(task_id: str, verdict: Verdict, worker: str) -> str:
    return json.dumps({"task": task_id, "verdict": verdict_to_dict(verdict), "worker": worker})


def decode_results(raw: list[str]) -> dict[str, Verdict]:
    """Verdicts by task id; a task verified twice (after a reclaim) keeps its first verdict."""
    out: dict[str, Verdict] = {}
    for item in raw:
        data = json.loads(item)
        out.setdefault(data["task"], verdict_from_dict(data["verdict"]))
    return out

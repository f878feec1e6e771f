"""The closed set of verdicts Lean can give on one attempt."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

Status = Literal["proved", "open", "failed", "rejected", "timeout", "crashed"]
STATUSES: frozenset[str] = frozenset(get_args(Status))


@dataclass(frozen=True)
class Goal:
    """One open goal as Lean prints it: hypotheses, then the target after ``⊢``."""

    hypotheses: tuple[str, ...]
    target: str
    case: str | None = None

    def pretty(self) -> str:
        lines = [f"case {self.case}"] if self.case else []
        return "\n".join([*lines, *self.hypotheses, f"⊢ {self.target}"])


@dataclass(frozen=True)
class Position:
    """A place in the submitted proof text: 1-based line, 0-based column."""

    line: int
    column: int


@dataclass(frozen=True)
class Proved:
    axioms: tuple[str, ...] = ()
    time_s: float = 0.0
    status: Status = field(default="proved", init=False)


@dataclass(frozen=True)
class Open:
    goals: tuple[Goal, ...]
    time_s: float = 0.0
    status: Status = field(default="open", init=False)

    def pretty(self) -> str:
        return "\n\n".join(g.pretty() for g in self.goals)


@dataclass(frozen=True)
class Failed:
    message: str
    position: Position | None = None
    time_s: float = 0.0
    status: Status = field(default="failed", init=False)


@dataclass(frozen=True)
class Rejected:
    construct: str
    reason: str
    time_s: float = 0.0
    status: Status = field(default="rejected", init=False)


@dataclass(frozen=True)
class Timeout:
    limit_s: float
    time_s: float = 0.0
    took_down: bool = False  # killed at the wall-clock deadline, its Lean process with it
    status: Status = field(default="timeout", init=False)


@dataclass(frozen=True)
class Crashed:
    reason: str
    time_s: float = 0.0
    took_down: bool = False  # the check itself took its Lean process (or worker) down
    status: Status = field(default="crashed", init=False)


Verdict = Proved | Open | Failed | Rejected | Timeout | Crashed


def verdict_to_dict(verdict: Verdict) -> dict[str, Any]:
    """A JSON-ready dict with ``status`` first."""
    data = asdict(verdict)
    return {"status": data.pop("status"), **data}


def describe(verdict: Verdict) -> str:
    """One human-readable paragraph."""
    head = f"{verdict.status} ({verdict.time_s:.2f} s)"
    match verdict:
        case Proved(axioms=axioms):
            return f"{head}; axioms: {', '.join(axioms) or 'none'}"
        case Open():
            return f"{head}\n{verdict.pretty()}"
        case Failed(message=message, position=pos):
            where = f" at line {pos.line}, column {pos.column}" if pos else ""
            return f"{head}{where}\n{message}"
        case Rejected(construct=construct, reason=reason):
            return f"{head}: {construct}: {reason}"
        case Timeout(limit_s=limit):
            return f"{head}: over the limit of {limit:.1f} s"
        case Crashed(reason=reason):
            return f"{head}: {reason}"


def verdict_from_dict(data: dict[str, Any]) -> Verdict:
    """The inverse of :func:`verdict_to_dict` (verdicts travel through Redis as JSON)."""
    fields = {k: v for k, v in data.items() if k != "status"}
    match data.get("status"):
        case "proved":
            return Proved(axioms=tuple(fields.get("axioms", ())), time_s=fields.get("time_s", 0.0))
        case "open":
            goals = tuple(
                Goal(tuple(g["hypotheses"]), g["target"], g.get("case")) for g in fields["goals"]
            )
            return Open(goals=goals, time_s=fields.get("time_s", 0.0))
        case "failed":
            pos = fields.get("position")
            return Failed(fields["message"], Position(**pos) if pos else None, fields["time_s"])
        case "rejected":
            return Rejected(**fields)
        case "timeout":
            return Timeout(**fields)
        case "crashed":
            return Crashed(**fields)
    raise ValueError(f"not a verdict: {data!r}")

"""LeanDojo Benchmark theorem records: validated, and turned into our theorems and rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from prover.core.prompt import render_prompt
from prover.core.screen import Part, screen
from prover.core.theorem import InputError, Theorem

SOURCE = "leandojo"
NO_GOALS = "no goals"
REQUIRED = ("full_name", "file_path", "url", "commit", "start", "end", "traced_tactics")
_MODIFIER = re.compile(r"^(protected|private|nonrec|noncomputable)\b\s*")
_HEAD = re.compile(r"^(theorem|lemma)\s+([^\s(\[{⦃:]+)(.*)$", re.DOTALL)


class BadRecord(ValueError):
    """A record (or its statement) that cannot be used; ``reason`` is the tally key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class TracedTactic:
    tactic: str
    state_before: str
    state_after: str
    annotated_tactic: Any = None  # [text with <a>premise</a> marks, provenances], kept as is

    def to_json(self) -> dict[str, Any]:
        annotated = self.annotated_tactic
        return {
            "tactic": self.tactic,
            "annotated_tactic": [self.tactic, []] if annotated is None else annotated,
            "state_before": self.state_before,
            "state_after": self.state_after,
        }


@dataclass(frozen=True)
class DojoTheorem:
    """One theorem of a LeanDojo Benchmark file, with its human proof's traced tactics.

    ``steps`` keeps the tactics that have a tactic and a state before; the raw list's
    other entries are counted in ``bad_steps``.
    """

    full_name: str
    file_path: str
    url: str
    commit: str
    start: tuple[int, int]
    end: tuple[int, int]
    theorem_statement: str | None
    steps: tuple[TracedTactic, ...]
    bad_steps: int = 0

    @classmethod
    def from_json(cls, obj: Any) -> DojoTheorem:
        """Raises :class:`BadRecord` naming the first problem."""
        if not isinstance(obj, dict):
            raise BadRecord("not a JSON object", type(obj).__name__)
        for key in REQUIRED:
            if key not in obj:
                raise BadRecord(f"missing `{key}`")
        for key in ("full_name", "file_path", "url", "commit"):
            if not isinstance(obj[key], str):
                raise BadRecord(f"`{key}` is not a string")
        if not obj["full_name"]:
            raise BadRecord("empty `full_name`")
        statement = obj.get("theorem_statement")
        if statement is not None and not isinstance(statement, str):
            raise BadRecord("`theorem_statement` is not a string")
        if not isinstance(obj["traced_tactics"], list):
            raise BadRecord("`traced_tactics` is not a list")
        steps = [_step(t) for t in obj["traced_tactics"]]
        good = tuple(s for s in steps if s is not None)
        return cls(
            full_name=obj["full_name"],
            file_path=obj["file_path"],
            url=obj["url"],
            commit=obj["commit"],
            start=_position(obj, "start"),
            end=_position(obj, "end"),
            theorem_statement=statement,
            steps=good,
            bad_steps=len(steps) - len(good),
        )

    def to_json(self) -> dict[str, Any]:
        """The LeanDojo Benchmark 4 shape (``theorem_statement`` only when known)."""
        data: dict[str, Any] = {
            "url": self.url,
            "commit": self.commit,
            "file_path": self.file_path,
            "full_name": self.full_name,
            "start": list(self.start),
            "end": list(self.end),
            "traced_tactics": [s.to_json() for s in self.steps],
        }
        if self.theorem_statement is not None:
            data["theorem_statement"] = self.theorem_statement
        return data

    def theorem(self) -> Theorem:
        """The statement as one of ours, named by its full name; raises :class:`BadRecord`
        when it cannot stand alone in a theorem set."""
        if self.theorem_statement is None:
            raise BadRecord("no `theorem_statement`")
        if any(p[:1] == "_" or p.isdigit() for p in self.full_name.split(".")):
            raise BadRecord("private or auxiliary name", self.full_name)
        head = _HEAD.match(_strip_modifiers(self.theorem_statement.strip()))
        if head is None:
            raise BadRecord("not a `theorem` or `lemma`", _first_line(self.theorem_statement))
        signature = re.sub(r"\s*:=\s*$", "", head.group(3)).strip()
        try:
            theorem = Theorem.parse(f"theorem {self.full_name} {_indent(signature)}")
        except InputError as err:
            raise BadRecord("statement does not parse", str(err)) from None
        finding = screen(theorem.signature, Part.STATEMENT)
        if finding:
            raise BadRecord("statement uses a forbidden construct", finding.construct)
        return theorem


def sft_row(theorem: DojoTheorem, k: int, statement: str, split: str) -> dict[str, Any]:
    """One (state, tactic) row with the keys of ``prover.data``'s ``sft`` view, plus
    ``split`` and ``source``. Every step of a human proof is on the proof."""
    step = theorem.steps[k]
    return {
        "state": step.state_before,
        "tactic": step.tactic,
        "prompt": render_prompt(step.state_before),
        "verdict": "proved" if step.state_after.strip() == NO_GOALS else "open",
        "on_proof": True,
        "model": "",
        "id": f"{SOURCE}:{theorem.full_name}:{k}",
        "theorem": theorem.full_name,
        "statement": statement,
        "label": theorem.file_path,
        "job": "",
        "split": split,
        "source": SOURCE,
    }


def _step(raw: Any) -> TracedTactic | None:
    if not isinstance(raw, dict):
        return None
    tactic, before, after = raw.get("tactic"), raw.get("state_before"), raw.get("state_after")
    if not isinstance(tactic, str) or not tactic.strip() or not isinstance(before, str):
        return None
    after = after if isinstance(after, str) else ""
    return TracedTactic(tactic, before, after, raw.get("annotated_tactic"))


def _position(obj: dict[str, Any], key: str) -> tuple[int, int]:
    value = obj[key]
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return value[0], value[1]
    raise BadRecord(f"`{key}` is not a [line, column] pair", repr(value)[:40])


def _strip_modifiers(text: str) -> str:
    """Attributes (``@[simp]``) and modifiers go: a theorem set states the bare theorem."""
    while True:
        if text.startswith("@["):
            text = text[_bracket_end(text) :].lstrip()
        elif match := _MODIFIER.match(text):
            text = text[match.end() :]
        else:
            return text


def _bracket_end(text: str) -> int:
    depth = 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if depth == 0 and ch == "]":
            return i + 1
    return len(text)


def _indent(signature: str) -> str:
    """Continuation lines indented, so no line of a statement reads as a new command."""
    lines = signature.split("\n")
    return "\n".join(
        [lines[0], *(line if line[:1].isspace() else "    " + line for line in lines[1:])]
    )


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:80]

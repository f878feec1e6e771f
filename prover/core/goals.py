"""Parsing of goals as Lean prints them; the one place goal text is taken apart."""

from __future__ import annotations

from prover.core.verdicts import Goal

UNSOLVED = "unsolved goals"


def parse_goals(text: str) -> tuple[Goal, ...]:
    """Goals from Lean's ``unsolved goals`` message (or a bare goal list)."""
    body = text.removeprefix(UNSOLVED).strip("\n")
    return tuple(goal for block in _blocks(body) if (goal := _parse_goal(block)))


def _blocks(body: str) -> list[list[str]]:
    """Goals are separated by blank lines; a blank line inside a target cannot occur."""
    blocks: list[list[str]] = [[]]
    for line in body.split("\n"):
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _parse_goal(lines: list[str]) -> Goal | None:
    case = None
    if lines[0].startswith("case "):
        case, lines = lines[0][5:].strip(), lines[1:]
    hyps: list[str] = []
    target: list[str] | None = None
    for line in lines:
        if target is not None:
            target.append(line)
        elif line.startswith("⊢"):
            target = [line[1:].strip()]
        elif line[:1].isspace() and hyps:
            hyps[-1] += "\n" + line
        else:
            hyps.append(line)
    if target is None:
        return None
    return Goal(hypotheses=tuple(hyps), target="\n".join(target), case=case)


def split_hypothesis(line: str) -> tuple[list[str], str]:
    """A hypothesis line's names and type (``x y : Nat``); no names when it has no ``:``."""
    names, sep, htype = line.partition(" : ")
    return (names.split(), htype.strip()) if sep else ([], line.strip())

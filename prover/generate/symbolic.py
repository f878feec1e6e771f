"""A generator with no model: tactics read off the proof state, with a fixed prior."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from prover.core.goals import parse_goals
from prover.core.records import Proposal
from prover.core.verdicts import Goal
from prover.generate.base import clean_tactics

# Prior weights: how often each kind of step is the right one (log-probabilities below).
CLOSING: dict[str, float] = {
    "omega": 0.30,
    "grind": 0.25,
    "simp": 0.20,
    "simp_all": 0.15,
    "decide": 0.10,
    "rfl": 0.08,
    "trivial": 0.05,
    "assumption": 0.05,
    "exact?": 0.04,
}
_INDUCTIVE_TYPE = re.compile(r"^(Nat|ℕ|List\b.*|Bool|Option\b.*)$")
_SPLITTABLE_HYP = re.compile(r"^(.*\s)?(∧|∨|↔)(\s.*)?$|^∃")
_FORALL = re.compile(r"^∀\s*\(?([^,:()]+?)\s*(:[^,]*)?\)?\s*,")
_WORD = re.compile(r"[\w'.]+")


_DEFINITION = re.compile(
    r"^\s*(?:@\[[^\]]*\]\s*)?(?:private\s+|protected\s+|noncomputable\s+)*(?:def|abbrev)\s+([^\s:(\[{]+)",
    re.M,
)


def definitions_in(preamble: str) -> tuple[str, ...]:
    """Names the preamble defines, for ``simp [f]`` and ``unfold f``."""
    return tuple(dict.fromkeys(_DEFINITION.findall(preamble)))


class SymbolicProposer:
    """Closing tactics, and tactics built from what the first goal contains."""

    name = "symbolic"

    def __init__(self, definitions: tuple[str, ...] = ()) -> None:
        self.definitions = definitions

    def propose(self, state: str, n: int) -> list[Proposal]:
        goals = parse_goals(state)
        if not goals:
            return []
        raw = [Proposal(math.log(w), t) for t, w in _weighted(goals[0], self.definitions)]
        return clean_tactics(raw, n)

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        return [self.propose(state, n) for state in states]


def _weighted(goal: Goal, definitions: tuple[str, ...]) -> Iterator[tuple[str, float]]:
    yield from CLOSING.items()
    hyps = [_split_hypothesis(h) for h in goal.hypotheses]
    used = {name for names, _ in hyps for name in names}
    yield from _intro(goal.target, used)
    for names, htype in hyps:
        for name in names:
            if "✝" in name:
                continue
            yield from _from_hypothesis(name, htype, goal.target)
    yield from _from_target(goal.target)
    mentioned = set(_WORD.findall(goal.pretty()))
    for definition in definitions:
        if definition in mentioned:
            yield f"simp [{definition}]", 0.12
            yield f"unfold {definition}", 0.06
            yield f"simp [{definition}] <;> omega", 0.06
            yield f"simp_all [{definition}]", 0.08


def _split_hypothesis(line: str) -> tuple[list[str], str]:
    names, sep, htype = line.partition(" : ")
    return (names.split(), htype.strip()) if sep else ([], line.strip())


def _fresh(base: str, used: set[str]) -> str:
    name, k = base, 1
    while name in used:
        name, k = f"{base}{k}", k + 1
    used.add(name)
    return name


def _intro(target: str, used: set[str]) -> Iterator[tuple[str, float]]:
    forall = _FORALL.match(target)
    if forall:
        names = [_fresh(v, used) for v in forall.group(1).split()]
        yield f"intro {' '.join(names)}", 0.20
    elif target.startswith("¬") or _top_level_arrow(target):
        yield f"intro {_fresh('h', used)}", 0.20


def _top_level_arrow(target: str) -> bool:
    depth = 0
    for i, ch in enumerate(target):
        if ch in "([{⟨":
            depth += 1
        elif ch in ")]}⟩":
            depth -= 1
        elif ch == "→" and depth == 0 and i > 0:
            return True
    return False


def _from_hypothesis(name: str, htype: str, target: str) -> Iterator[tuple[str, float]]:
    if htype == target:
        yield f"exact {name}", 0.5
    if htype.endswith(f"→ {target}"):
        yield f"apply {name}", 0.15
    if _INDUCTIVE_TYPE.match(htype):
        yield f"induction {name}", 0.10
        yield f"induction {name} <;> simp_all", 0.08
        yield f"cases {name}", 0.06
        yield f"cases {name} <;> simp_all", 0.05
    if _SPLITTABLE_HYP.match(htype):
        yield f"cases {name}", 0.08
        yield f"cases {name} <;> omega", 0.06
        yield f"cases {name} <;> simp_all", 0.06


def _from_target(target: str) -> Iterator[tuple[str, float]]:
    if re.search(r"(^|\s)(∧|↔)(\s|$)", target) and not _top_level_arrow(target):
        yield "constructor", 0.12
        yield "constructor <;> omega", 0.08
        yield "constructor <;> simp_all", 0.08
    if target.startswith("∀") or _top_level_arrow(target):
        yield "intros", 0.05

"""Views of the feedback records: what one row of each exported table is.

A view takes records one at a time and yields ``(split, row)`` pairs, the split chosen by
theorem so that no theorem is in two splits. ``sft`` and ``raw`` keep nothing but a
de-duplication digest per row; ``preferences``, ``value`` and ``leandojo`` group per job
and emit at the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from prover.core.prompt import DEFAULT_TEMPLATE, render_prompt
from prover.core.records import normalize_state
from prover.data.sources import ExportError, Record

SPLITS = ("train", "validation", "test")
Row = dict[str, Any]
Emitted = Iterator[tuple[str, Row]]

PROGRESS = frozenset({"open", "proved"})
NEGATIVE = frozenset({"failed", "timeout", "rejected"})


@dataclass(frozen=True)
class Splitter:
    """Assigns a theorem to a split by a seeded hash of its statement."""

    seed: int = 0
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)

    def __post_init__(self) -> None:
        if len(self.ratios) != 3 or min(self.ratios) < 0 or abs(sum(self.ratios) - 1) > 1e-6:
            raise ExportError(f"split ratios must be three shares summing to 1, not {self.ratios}")

    def split(self, statement: str) -> str:
        text = f"{self.seed}\0{normalize_state(statement)}"
        point = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64
        train, validation, _ = self.ratios
        if point < train:
            return "train"
        return "validation" if point < train + validation else "test"


def _digest(*parts: str) -> bytes:
    return hashlib.blake2b("\0".join(parts).encode(), digest_size=16).digest()


def _meta(record: Record) -> Row:
    return {
        "theorem": record.theorem,
        "statement": record.statement,
        "label": record.label,
        "job": record.job,
    }


def _state_before(record: Record) -> str | None:
    """The state a step record's tactic was tried on; None for a confirmation (or a step
    with no state)."""
    return record.state_before if record.kind == "step" else None


class View:
    """Turns records into rows; subclasses define :meth:`add` and maybe :meth:`finish`."""

    name: ClassVar[str]

    def __init__(self, splitter: Splitter, template: str = DEFAULT_TEMPLATE) -> None:
        self.splitter, self.template = splitter, template
        self._seen: set[bytes] = set()

    def add(self, record: Record) -> Emitted:
        raise NotImplementedError

    def finish(self) -> Emitted:
        return iter(())

    def _first(self, *key: str) -> bool:
        """True the first time a row key is met: identical rows are written once."""
        digest = _digest(*key)
        if digest in self._seen:
            return False
        self._seen.add(digest)
        return True


class SftView(View):
    """(state, tactic) from steps on found proofs; with ``progress``, every step that left
    the proof better off (verdict ``open`` or ``proved``)."""

    name = "sft"

    def __init__(
        self, splitter: Splitter, progress: bool = False, template: str = DEFAULT_TEMPLATE
    ) -> None:
        super().__init__(splitter, template)
        self.progress = progress

    def add(self, record: Record) -> Emitted:
        state, tactic = _state_before(record), record.tactic
        if state is None:
            return
        wanted = record.on_proof or (self.progress and record.verdict in PROGRESS)
        if not wanted or not self._first(normalize_state(state), tactic):
            return
        row = {
            "state": state,
            "tactic": tactic,
            "prompt": render_prompt(state, self.template),
            "verdict": record.verdict,
            "on_proof": record.on_proof,
            "model": record.model,
            "id": record.id,
            **_meta(record),
        }
        yield self.splitter.split(record.statement), row


class RawView(View):
    """Every record as it was recorded, in the feedback files' JSON shape (de-duplicated
    by ``id`` before it gets here)."""

    name = "raw"

    def add(self, record: Record) -> Emitted:
        yield self.splitter.split(record.statement), record.model_dump(by_alias=True, mode="json")


@dataclass
class _State:
    """The tactics tried on one state of one job, sorted into good and bad."""

    state: str
    meta: Row
    good: dict[str, tuple[int, str]] = field(default_factory=dict)  # tactic -> (rank, verdict)
    bad: dict[str, str] = field(default_factory=dict)  # tactic -> verdict


def _rank(record: Record) -> int | None:
    """How good a tactic was on its state (lower is better), or None if it was not."""
    if record.on_proof:
        return 0
    return {"proved": 1, "open": 2}.get(record.verdict)


class PreferencesView(View):
    """(state, chosen, rejected): siblings of one job, one tactic that proved or made
    progress and one that failed, timed out or was rejected. Each rejected tactic is paired
    with the best chosen one (on the proof, then proved, then open)."""

    name = "preferences"

    def __init__(self, splitter: Splitter, template: str = DEFAULT_TEMPLATE) -> None:
        super().__init__(splitter, template)
        self.states: dict[tuple[str, str], _State] = {}

    def add(self, record: Record) -> Emitted:
        state = _state_before(record)
        if state is None:
            return iter(())
        key = (record.job, normalize_state(state))
        group = self.states.get(key)
        if group is None:
            group = self.states[key] = _State(state, _meta(record))
        tactic, rank = record.tactic, _rank(record)
        if rank is not None:
            if tactic not in group.good or rank < group.good[tactic][0]:
                group.good[tactic] = (rank, record.verdict)
        elif record.verdict in NEGATIVE:
            group.bad.setdefault(tactic, record.verdict)
        return iter(())

    def finish(self) -> Emitted:
        for group in self.states.values():
            yield from self._pairs(group)
        self.states.clear()

    def _pairs(self, group: _State) -> Emitted:
        if not group.good:
            return
        chosen = min(group.good, key=lambda t: group.good[t][0])
        split = self.splitter.split(group.meta["statement"])
        for rejected, verdict in group.bad.items():
            if rejected in group.good:
                continue  # judged both ways (e.g. a timeout, then open): not a clean pair
            if not self._first(normalize_state(group.state), chosen, rejected):
                continue
            yield (
                split,
                {
                    "state": group.state,
                    "prompt": render_prompt(group.state, self.template),
                    "chosen": chosen,
                    "rejected": rejected,
                    "chosen_verdict": group.good[chosen][1],
                    "rejected_verdict": verdict,
                    **group.meta,
                },
            )


class ValueView(View):
    """(state, solved): each state a job tried tactics on, solved when one of them proved
    it or lies on the job's proof. What a value model learns from (:mod:`prover.value`);
    a state of a job that ended unproved counts as unsolved."""

    name = "value"

    def __init__(self, splitter: Splitter, template: str = DEFAULT_TEMPLATE) -> None:
        super().__init__(splitter, template)
        self.states: dict[tuple[str, str], tuple[str, bool, Row]] = {}

    def add(self, record: Record) -> Emitted:
        state = _state_before(record)
        if state is None:
            return iter(())
        key = (record.job, normalize_state(state))
        solved = record.on_proof or record.verdict == "proved"
        held = self.states.get(key)
        if held is None:
            self.states[key] = (state, solved, _meta(record))
        elif solved and not held[1]:
            self.states[key] = (held[0], True, held[2])
        return iter(())

    def finish(self) -> Emitted:
        # Not de-duplicated across jobs: how often a state was solved is what is learned.
        for state, solved, meta in self.states.values():
            row = {"state": state, "solved": solved, **meta}
            yield self.splitter.split(meta["statement"]), row
        self.states.clear()


class LeanDojoView(View):
    """One LeanDojo Benchmark 4 theorem object per proved theorem (the shortest proof when
    several jobs proved it), built from the steps on the proof."""

    name = "leandojo"

    def __init__(self, splitter: Splitter, template: str = DEFAULT_TEMPLATE) -> None:
        super().__init__(splitter, template)
        self.proofs: dict[str, dict[int, Record]] = {}  # job -> steps by prefix length

    def add(self, record: Record) -> Emitted:
        if record.job_status == "proved" and record.on_proof and _state_before(record) is not None:
            steps = self.proofs.setdefault(record.job, {})
            steps.setdefault(len(record.tactics), record)
        return iter(())

    def finish(self) -> Emitted:
        best: dict[str, list[Record]] = {}
        for steps in self.proofs.values():
            chain = _chain(steps)
            if chain is None:
                continue
            key = normalize_state(chain[0].statement)
            if key not in best or len(chain) < len(best[key]):
                best[key] = chain
        self.proofs.clear()
        for chain in best.values():
            yield self.splitter.split(chain[0].statement), _leandojo(chain)


def _chain(steps: dict[int, Record]) -> list[Record] | None:
    """The proof's steps in order, or None when one is missing or the last does not close."""
    chain = [steps.get(n) for n in range(1, len(steps) + 1)]
    if any(step is None for step in chain):
        return None
    complete = [step for step in chain if step is not None]
    return complete if complete and complete[-1].verdict == "proved" else None


def _leandojo(chain: list[Record]) -> Row:
    first = chain[0]
    traced = []
    for step in chain:
        tactic = step.tactic
        after = step.state_after if step.verdict == "open" else None
        traced.append(
            {
                "tactic": tactic,
                "annotated_tactic": [tactic, []],
                "state_before": step.state_before,
                "state_after": after or "no goals",
            }
        )
    return {
        "url": "",
        "commit": "",
        "file_path": first.label,
        "full_name": first.theorem,
        "theorem_statement": first.statement,
        "start": [0, 0],
        "end": [0, 0],
        "traced_tactics": traced,
    }


VIEWS: dict[str, type[View]] = {
    v.name: v for v in (SftView, PreferencesView, ValueView, RawView, LeanDojoView)
}


def make_view(
    name: str, splitter: Splitter, progress: bool, template: str = DEFAULT_TEMPLATE
) -> View:
    if name not in VIEWS:
        raise ExportError(f"unknown view {name!r}; one of {', '.join(VIEWS)}")
    if name == "sft":
        return SftView(splitter, progress, template)
    return VIEWS[name](splitter, template)


def emit_all(views: Iterable[View], records: Iterable[Record]) -> Iterator[tuple[str, str, Row]]:
    """``(view, split, row)`` for every row of every view, in one pass over the records."""
    views = list(views)
    for record in records:
        for view in views:
            for split, row in view.add(record):
                yield view.name, split, row
    for view in views:
        for split, row in view.finish():
            yield view.name, split, row

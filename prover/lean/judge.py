"""The verdict on one attempt from the REPL's answer: positive evidence or no ``proved``.

The REPL elaborated the statement alone, checked that the attempt parses as exactly one
theorem of that name, elaborated it from a fresh copy of the base state, and reported on
the resulting constant: its kind, whether its type is the statement's, every constant of
this file it reaches and every axiom. ``proved`` needs all of it. See docs/trust.md.
"""

from __future__ import annotations

import re
from typing import Any

from prover.core.goals import UNSOLVED, parse_goals
from prover.core.theorem import Attempt
from prover.core.verdicts import Crashed, Failed, Open, Position, Proved, Rejected, Timeout, Verdict
from prover.lean.repl import Answer

ALLOWED_AXIOMS = ("propext", "Classical.choice", "Quot.sound")
_AXIOM_REASONS = {
    "sorryAx": "the proof depends on sorry (an error or an unfinished proof)",
    "Lean.ofReduceBool": "the proof trusts compiled code (native_decide)",
    "Lean.ofReduceNat": "the proof trusts compiled code",
    "Lean.trustCompiler": "the proof trusts the compiler",
}
_REPORT = ("locals", "axioms", "local_axioms", "unknown", "cited")
# Declarations of the file are private on the embedded runtime (it elaborates a module).
_PRIVATE = re.compile(r"^_private\.[^ ]*?\.0\.")


def judge(attempt: Attempt, answer: Answer, timeout_s: float) -> Verdict:
    """The verdict the answer supports; anything malformed is ``crashed``, never proved."""
    time_s = float(answer.get("ms", 0)) / 1000
    match answer.get("stage"):
        case "preamble":
            errors = _errors(answer)
            text = errors[0]["text"] if errors else "the preamble does not elaborate"
            return Failed(message=f"in the preamble: {text}", time_s=time_s)
        case "statement":
            errors = _errors(answer)
            text = errors[0]["text"] if errors else "the statement does not elaborate"
            return Failed(message=f"in the statement: {text}", time_s=time_s)
        case "shape":
            reason = f"proof: {answer.get('reason', 'not exactly one theorem')}"
            return Rejected(str(answer.get("construct", "command")), reason, time_s)
        case "elab":
            errors = _errors(answer)
            if errors:
                return _from_errors(attempt, errors, timeout_s, time_s)
            return _from_report(answer, time_s)
    return Crashed(reason="the REPL's answer is not a verdict", time_s=time_s)


def judge_steps(attempt: Attempt, answer: Answer, done: int, timeout_s: float) -> Verdict | None:
    """The verdict on a step run from a kept state (``done`` tactics in), or None when its
    goals are all closed: only a whole check of the proof can then say ``proved``."""
    if answer.get("stage") != "steps":
        return judge(attempt, answer, timeout_s)  # the preamble or the statement failed
    time_s = float(answer.get("ms", 0)) / 1000
    if "failed" in answer:
        texts = [str(e.get("text", "")) for e in _errors(answer)] or ["the tactic failed"]
        if any("heartbeats" in t for t in texts):
            return Timeout(limit_s=timeout_s, time_s=time_s)
        # The proof is `by` and then one tactic a line.
        line = done + int(answer.get("failed", 0)) + 2
        return Failed(message=texts[0], position=Position(line=line, column=2), time_s=time_s)
    count, goals = answer.get("count"), answer.get("goals")
    if not isinstance(count, int) or not isinstance(goals, str):
        return Crashed(reason="the REPL's answer to a step is incomplete", time_s=time_s)
    if count == 0:
        return None
    parsed = parse_goals(goals)
    if not parsed:  # Lean could not print them: no state to search from
        return Crashed(reason="the REPL's goals after a step do not read back", time_s=time_s)
    return Open(goals=parsed, time_s=time_s)


def _errors(answer: Answer) -> list[dict[str, Any]]:
    messages = answer.get("messages")
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, dict) and m.get("severity") == "error"]


def _from_errors(
    attempt: Attempt, errors: list[dict[str, Any]], timeout_s: float, time_s: float
) -> Verdict:
    texts = [str(e.get("text", "")) for e in errors]
    if any("heartbeats" in t for t in texts):
        return Timeout(limit_s=timeout_s, time_s=time_s)
    # The REPL elaborates `<statement> :=\n<proof>`: the proof starts on this line.
    proof_line = attempt.theorem.statement.count("\n") + 2
    first = errors[0]
    if int(first.get("line", proof_line)) < proof_line:
        return Failed(message=f"in the statement: {texts[0]}", time_s=time_s)
    if attempt.prefix and all(t.startswith(UNSOLVED) for t in texts):
        goals = tuple(g for t in texts for g in parse_goals(t))
        return Open(goals=goals, time_s=time_s)
    position = Position(
        line=int(first.get("line", proof_line)) - proof_line + 1,
        column=int(first.get("column", 0)),
    )
    return Failed(message=texts[0], position=position, time_s=time_s)


def _from_report(answer: Answer, time_s: float) -> Verdict:
    if not all(isinstance(answer.get(k), list) for k in _REPORT):
        return Crashed(reason="the REPL's report is incomplete", time_s=time_s)
    if answer.get("kind") != "thm":
        return Rejected(
            "statement", f"Lean holds no theorem of that name ({answer.get('kind')})", time_s
        )
    if answer.get("same_type") is not True:
        return Rejected("statement", "the theorem proved is not the statement submitted", time_s)
    local_axioms = _names(answer, "local_axioms")
    if local_axioms:
        return Rejected("axiom", f"depends on the new axiom {local_axioms[0]}", time_s)
    unknown = _names(answer, "unknown")
    if unknown:
        return Rejected(unknown[0], "depends on a constant Lean cannot find", time_s)
    cited = _names(answer, "cited")
    if cited:
        return Rejected(cited[0], "the proof cites a constant forbidden for this theorem", time_s)
    axioms = tuple(sorted(set(_names(answer, "axioms"))))
    bad = [a for a in axioms if a not in ALLOWED_AXIOMS]
    if bad:
        return Rejected(bad[0], _AXIOM_REASONS.get(bad[0], "a forbidden axiom"), time_s)
    return Proved(axioms=axioms, time_s=time_s)


def _names(answer: Answer, key: str) -> list[str]:
    return [_PRIVATE.sub("", str(v)) for v in answer[key]]

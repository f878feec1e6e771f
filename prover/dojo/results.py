"""LeanDojo's result classes and exceptions, mapped to our verdicts.

``lean_dojo`` ships no type information, so it is loaded in one place and treated as
``Any``; every value that leaves this module is one of our own types.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from prover.core.goals import parse_goals
from prover.core.verdicts import Crashed, Failed, Open, Timeout, Verdict
from prover.lean.process import BackendUnavailable


@cache
def lean_dojo() -> Any:
    """The ``lean_dojo`` module; ``BackendUnavailable`` says why it cannot be imported."""
    try:
        return importlib.import_module("lean_dojo")
    except ModuleNotFoundError as err:
        if err.name is not None and err.name.split(".")[0] != "lean_dojo":
            raise BackendUnavailable(
                f"lean_dojo is installed but its dependency `{err.name}` is not: "
                "pip install 'prover[dojo]'"
            ) from None
        raise BackendUnavailable(
            "the dojo backend needs the lean_dojo package, which is not installed: "
            "pip install 'prover[dojo]'"
        ) from None
    except Exception as err:  # its import runs `git --version` and may assert
        raise BackendUnavailable(f"lean_dojo cannot be imported: {err!r}") from None


@dataclass(frozen=True)
class Finished:
    """LeanDojo saw no goals left: a candidate proof, not yet a verdict (the trust
    check decides)."""

    time_s: float = 0.0


def from_result(result: Any, time_s: float = 0.0) -> Verdict | Finished:
    """The verdict for one ``Dojo.run_tac`` result (``TacticResult``)."""
    dojo = lean_dojo()
    if isinstance(result, dojo.TacticState):
        goals = parse_goals(str(result.pp))
        if not goals:
            return Crashed(f"cannot read goals from LeanDojo's state: {result.pp!r}", time_s)
        return Open(goals=goals, time_s=time_s)
    if isinstance(result, dojo.ProofFinished):
        return Finished(time_s)
    if isinstance(result, dojo.LeanError):
        return Failed(message=str(result.error), time_s=time_s)
    if isinstance(result, dojo.ProofGivenUp):
        return Failed(message="the proof gave up (`sorry`)", time_s=time_s)
    return Crashed(f"unexpected LeanDojo result: {result!r}", time_s)


def from_error(err: BaseException, timeout_s: float, time_s: float = 0.0) -> Verdict:
    """The verdict for an exception LeanDojo raised while opening a Dojo or running a tactic."""
    dojo = lean_dojo()
    if isinstance(err, dojo.DojoTacticTimeoutError):
        return Timeout(limit_s=timeout_s, time_s=time_s)
    if isinstance(err, dojo.DojoCrashError):
        why = "out of memory" if err.is_out_of_memory else str(err) or type(err).__name__
        return Crashed(reason=f"the Dojo's Lean process died: {why}", time_s=time_s)
    if isinstance(err, dojo.DojoInitError):
        return Failed(message=f"LeanDojo cannot open the theorem: {err}", time_s=time_s)
    return Crashed(reason=f"LeanDojo raised {type(err).__name__}: {err}", time_s=time_s)

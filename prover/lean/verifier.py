"""The verifier: screens attempts, checks each in a persistent Lean REPL from a fresh copy
of its base state (imports and preamble), and returns one verdict per attempt in order."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from prover.core.screen import screen_attempt
from prover.core.theorem import Attempt, Theorem
from prover.core.verdicts import Crashed, Failed, Timeout, Verdict
from prover.lean.judge import judge, judge_steps
from prover.lean.pool import NO_IMPORTS, ReplPool
from prover.lean.process import make_backend
from prover.lean.repl import (
    Answer,
    ImportsFailed,
    Repl,
    ReplCrashed,
    ReplTimeout,
    ReplUnavailable,
)
from prover.settings import LeanSettings

_VARIABLE = re.compile(r"(^|\n)\s*variable\b")


class ReplVerifier:
    """Lean's verdict on attempts, through one backend and a pool of REPL processes."""

    def __init__(self, settings: LeanSettings | None = None) -> None:
        self.settings = settings or LeanSettings()
        self.backend = make_backend(self.settings)
        self.pool = ReplPool(self.backend, self.settings)
        self._executor = ThreadPoolExecutor(max_workers=self.settings.processes)
        self.checks = 0

    def __enter__(self) -> ReplVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.pool.close()

    def prewarm(self) -> None:
        """Start the REPLs for theorems without imports, and the spares."""
        self.pool.prewarm(NO_IMPORTS)

    @property
    def capacity(self) -> int:
        """Attempts checked at once."""
        return self.settings.processes

    def check(self, attempts: list[Attempt]) -> list[Verdict]:
        """One verdict per attempt, in order."""
        return list(self._executor.map(self.check_one, attempts))

    def check_one(self, attempt: Attempt) -> Verdict:
        rejected = screen_attempt(attempt)
        if rejected:
            return rejected
        self.checks += 1
        search_step = bool(attempt.prefix and attempt.tactics)  # a step's own tactic ran
        crash = ""
        for _ in range(2):  # a crash is tried again once, on another process
            try:
                return self._attempt(attempt)
            except ImportsFailed as err:
                return Failed(message=str(err))
            except ReplTimeout:  # the process was killed at the deadline
                return Timeout(limit_s=self.settings.attempt_timeout_s, took_down=search_step)
            except ReplUnavailable as err:
                crash = str(err)  # no process checked it
            except ReplCrashed as err:
                crash = str(err)
                if search_step:
                    # A search step's tactic took the process down: another try would
                    # cost another process (imports loaded again), and the search moves on.
                    return Crashed(reason=crash, took_down=True)
        return Crashed(reason=crash)

    def _attempt(self, attempt: Attempt) -> Verdict:
        theorem = attempt.theorem
        stepping = self._steppable(attempt)
        # As the whole check writes them: kept states are found by what Lean ran.
        tactics = tuple(t.strip() for t in attempt.tactics)
        prefer = None
        if stepping:

            def prefer(r: Repl) -> int:
                return len(r.kept(theorem.preamble, theorem.statement, tactics, touch=False)[0])

        repl = self.pool.acquire(theorem.imports, prefer)
        broken = True
        try:
            verdict = self._step(repl, attempt, tactics) if stepping else None
            if verdict is None:
                # After steps (each with its own heartbeats), the whole proof gets a whole
                # proof's; a prefix checked whole from the start gets a step's.
                heartbeats = self.settings.max_heartbeats if stepping else self._heartbeats(attempt)
                answer = self._whole(repl, attempt, heartbeats)
                verdict = judge(attempt, answer, self.settings.attempt_timeout_s)
            broken = False
        finally:
            self.pool.release(repl, broken=broken)
        return verdict

    def _steppable(self, attempt: Attempt) -> bool:
        """Whether a prefix can run from kept states: its tactics are exactly its proof (what
        was screened), and no `variable` of a preamble adds binders to the theorem."""
        theorem = attempt.theorem
        return (
            attempt.prefix
            and self.settings.step_states > 0
            and Attempt.steps(theorem, attempt.tactics).proof == attempt.proof
            and not _VARIABLE.search(theorem.preamble)
        )

    def _whole(self, repl: Repl, attempt: Attempt, heartbeats: int) -> Answer:
        """Lean's answer on the attempt elaborated whole, from the base state."""
        return repl.check(
            _lean_name(attempt.theorem),
            attempt.theorem.statement,
            attempt.proof,
            attempt.theorem.preamble,
            heartbeats,
            self.settings.attempt_timeout_s,
            self.settings.max_rss_mb,
            attempt.theorem.forbidden,
        )

    def _heartbeats(self, attempt: Attempt) -> int:
        """Lean's own limit: a search step's, or a whole proof's."""
        settings = self.settings
        return settings.step_heartbeats if attempt.prefix else settings.max_heartbeats

    def _step(self, repl: Repl, attempt: Attempt, tactics: tuple[str, ...]) -> Verdict | None:
        """A tactic prefix run from the longest prefix whose state ``repl`` keeps; None
        when it closes every goal (then the whole check decides)."""
        theorem, settings = attempt.theorem, self.settings
        for _ in range(2):  # a state the process no longer has: again from the theorem's goal
            done, handle = repl.kept(theorem.preamble, theorem.statement, tactics)
            answer = repl.steps(
                _lean_name(theorem),
                theorem.statement,
                theorem.preamble,
                (done, handle),
                tactics[len(done) :],
                settings.step_heartbeats,
                settings.attempt_timeout_s,
                settings.max_rss_mb,
            )
            repl.forget(settings.step_states)
            if "unknown_state" not in answer:
                # From the goal, the first state listed is the goal's own.
                before = len(done) - (1 if handle is None else 0)
                return judge_steps(attempt, answer, before, settings.attempt_timeout_s)
            repl.lose(theorem.preamble, theorem.statement)
        return Crashed(reason="the REPL lost a proof state it had just kept")


def _lean_name(theorem: Theorem) -> str:
    """The name's components NUL-separated (NUL is never part of a name), as the REPL reads it."""
    return "\x00".join(theorem.name_parts)

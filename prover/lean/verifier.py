"""The verifier: screens attempts, checks each in a persistent Lean REPL from a fresh copy
of its base state (imports and preamble), and returns one verdict per attempt in order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from prover.core.screen import screen_attempt
from prover.core.theorem import Attempt
from prover.core.verdicts import Crashed, Failed, Timeout, Verdict
from prover.lean.judge import judge
from prover.lean.pool import NO_IMPORTS, ReplPool
from prover.lean.process import make_backend
from prover.lean.repl import ImportsFailed, ReplCrashed, ReplTimeout
from prover.settings import LeanSettings


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
        crash = ""
        for _ in range(2):  # a crash is retried once, on another process
            try:
                return self._attempt(attempt)
            except ImportsFailed as err:
                return Failed(message=str(err))
            except ReplTimeout:
                return Timeout(limit_s=self.settings.attempt_timeout_s)
            except ReplCrashed as err:
                crash = str(err)
        return Crashed(reason=crash)

    def _attempt(self, attempt: Attempt) -> Verdict:
        repl = self.pool.acquire(attempt.theorem.imports)
        broken = True
        try:
            answer = repl.check(
                "\x00".join(attempt.theorem.name_parts),  # NUL: never part of a name
                attempt.theorem.statement,
                attempt.proof,
                attempt.theorem.preamble,
                self.settings.max_heartbeats,
                self.settings.attempt_timeout_s,
                self.settings.max_rss_mb,
                attempt.theorem.forbidden,
            )
            broken = False
        finally:
            self.pool.release(repl, broken=broken)
        return judge(attempt, answer, self.settings.attempt_timeout_s)

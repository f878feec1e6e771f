"""A verifier that checks tactic prefixes in LeanDojo's ``Dojo`` on a traced repository.

Each theorem gets one ``Dojo`` (a Lean process in the traced repository); a prefix is
run tactic by tactic with ``run_tac``, reusing the states of prefixes seen before. A
proof LeanDojo calls finished is reported ``proved`` only after the regular
:class:`~prover.lean.verifier.Verifier` accepted it whole (its axiom check included).
Everything this backend needs from the machine is checked in the constructor.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from prover.core.screen import screen_attempt
from prover.core.theorem import Attempt
from prover.core.verdicts import Failed, Open, Verdict
from prover.dojo.results import Finished, from_error, from_result, lean_dojo
from prover.dojo.settings import DojoSettings
from prover.lean.process import BackendUnavailable
from prover.lean.verifier import ReplVerifier
from prover.settings import LeanSettings

MAX_STATES_PER_THEOREM = 10_000


class Session(Protocol):
    """One theorem open in a Dojo: its first state, and tactics run on states."""

    initial: Any

    def run_tac(self, state: Any, tactic: str) -> Any: ...

    def close(self) -> None: ...


class DojoSession:
    """``lean_dojo.Dojo`` entered on one theorem of a traced repository."""

    def __init__(self, repo: Any, file_path: str, full_name: str, timeout_s: int) -> None:
        dojo = lean_dojo()
        theorem = dojo.Theorem(repo, Path(file_path), full_name)
        self._context = dojo.Dojo(theorem, timeout=timeout_s)
        self._dojo, self.initial = self._context.__enter__()

    def run_tac(self, state: Any, tactic: str) -> Any:
        return self._dojo.run_tac(state, tactic)

    def close(self) -> None:
        self._context.__exit__(None, None, None)


States = dict[tuple[str, ...], Any]  # LeanDojo's TacticState after each prefix run so far


class PrefixRunner:
    """Runs tactic prefixes, one open session per theorem (least recently used closed)."""

    def __init__(
        self, open_session: Callable[[str], Session], max_open: int, timeout_s: float
    ) -> None:
        self.open_session, self.max_open, self.timeout_s = open_session, max_open, timeout_s
        self._sessions: OrderedDict[str, tuple[Session, States]] = OrderedDict()

    def run(self, name: str, tactics: tuple[str, ...]) -> Verdict | Finished:
        """The verdict on ``tactics`` as a prefix of a proof of theorem ``name``."""
        begin = time.monotonic()
        try:
            session, states = self._session(name)
        except Exception as err:
            return from_error(err, self.timeout_s, time.monotonic() - begin)
        done = max(k for k in range(len(tactics) + 1) if tactics[:k] in states)
        state = states[tactics[:done]]
        for k in range(done, len(tactics)):
            try:
                result = session.run_tac(state, tactics[k])
            except Exception as err:
                # After a timeout or crash the REPL's state is unknown: start it afresh.
                self.drop(name)
                return from_error(err, self.timeout_s, time.monotonic() - begin)
            verdict = from_result(result, time.monotonic() - begin)
            if isinstance(verdict, Open):
                if len(states) >= MAX_STATES_PER_THEOREM:
                    states.clear()
                    states[()] = session.initial
                states[tactics[: k + 1]] = state = result
                continue
            return _at_step(verdict, k, tactics)
        return from_result(state, time.monotonic() - begin)

    def _session(self, name: str) -> tuple[Session, States]:
        if name in self._sessions:
            self._sessions.move_to_end(name)
            return self._sessions[name]
        while len(self._sessions) >= self.max_open:
            self.drop(next(iter(self._sessions)))
        session = self.open_session(name)
        self._sessions[name] = (session, {(): session.initial})
        return self._sessions[name]

    def drop(self, name: str) -> None:
        entry = self._sessions.pop(name, None)
        if entry is not None:
            # Closing a crashed Dojo may fail; it is gone either way.
            with contextlib.suppress(Exception):
                entry[0].close()

    def close(self) -> None:
        for name in list(self._sessions):
            self.drop(name)


def _at_step(verdict: Verdict | Finished, k: int, tactics: tuple[str, ...]) -> Verdict | Finished:
    """Name the step a failure happened at; a proof finished early is an error."""
    if isinstance(verdict, Finished):
        if k == len(tactics) - 1:
            return verdict
        return Failed(
            message=f"no goals left after step {k + 1}; step {k + 2} `{tactics[k + 1]}` "
            "has nothing to prove",
            time_s=verdict.time_s,
        )
    if isinstance(verdict, Failed):
        return Failed(f"step {k + 1} `{tactics[k]}`: {verdict.message}", None, verdict.time_s)
    return verdict


class DojoVerifier:
    """A :class:`~prover.core.verifier.Verifier` through LeanDojo: steps run in its
    ``Dojo``; a finished proof is ``proved`` only by the trust verifier's whole check."""

    def __init__(
        self,
        settings: DojoSettings | None = None,
        lean: LeanSettings | None = None,
        trust: ReplVerifier | None = None,
        *,
        open_session: Callable[[str], Session] | None = None,
    ) -> None:
        """Fails here, with what is missing, when LeanDojo cannot run on this machine.

        ``open_session`` replaces the real Dojo (and every machine check) for tests.
        """
        self.dojo_settings = settings or DojoSettings()
        self.files = _file_map(self.dojo_settings)
        lean = lean or LeanSettings()
        if open_session is None:
            open_session = self._start_lean_dojo()
        self._owns_trust = trust is None  # a verifier passed in is closed by its owner
        if trust is None and self.dojo_settings.trust_backend != "none":
            trust = ReplVerifier(
                lean.model_copy(update={"backend": self.dojo_settings.trust_backend})
            )
        self.trust = trust
        timeout = self.dojo_settings.timeout_s
        self.runner = PrefixRunner(open_session, self.dojo_settings.max_open, timeout)
        self._lock = threading.Lock()

    def _start_lean_dojo(self) -> Callable[[str], Session]:
        settings = self.dojo_settings
        if not settings.url or not settings.commit:
            raise BackendUnavailable(
                "the dojo backend needs PROVER_DOJO_URL and PROVER_DOJO_COMMIT (the traced repo)"
            )
        dojo = lean_dojo()
        _require_toolchain()
        repo = _resolve_repo(dojo, settings.url, settings.commit)
        try:
            dojo.get_traced_repo_path(repo)
        except Exception as err:
            raise BackendUnavailable(
                f"LeanDojo could not trace {settings.url}@{settings.commit} (or fetch its "
                f"trace): {type(err).__name__}: {err}{_network_hint(settings.url)}"
            ) from None

        def open_session(name: str) -> Session:
            return DojoSession(repo, self.files[name], name, settings.timeout_s)

        return open_session

    def __enter__(self) -> DojoVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def capacity(self) -> int:
        """Attempts worth handing over at once (the Dojo itself runs one at a time)."""
        return self.trust.capacity if self.trust else 1

    def prewarm(self) -> None:
        """Start the trust verifier's REPLs, if it runs any."""
        if self.trust:
            self.trust.prewarm()

    def close(self) -> None:
        with self._lock:
            self.runner.close()
        if self.trust and self._owns_trust:
            self.trust.close()

    def check(self, attempts: list[Attempt]) -> list[Verdict]:
        """One verdict per attempt, in order; finished proofs are re-checked whole."""
        verdicts: dict[int, Verdict] = {}
        whole: dict[int, Attempt] = {}
        with self._lock:
            for i, attempt in enumerate(attempts):
                outcome = self._step(attempt)
                if isinstance(outcome, Finished):
                    proof = Attempt.steps(attempt.theorem, attempt.tactics).proof
                    whole[i] = Attempt(attempt.theorem, proof)
                elif outcome is None:
                    whole[i] = attempt
                else:
                    verdicts[i] = outcome
        verdicts.update(self._trust_check(whole))
        return [verdicts[i] for i in range(len(attempts))]

    def _step(self, attempt: Attempt) -> Verdict | Finished | None:
        """A prefix's outcome in the Dojo; None for a whole proof (the trust check's)."""
        rejected = screen_attempt(attempt)
        if rejected:
            return rejected
        if not attempt.prefix:
            return None
        name = attempt.theorem.name
        if name not in self.files:
            return Failed(f"no file is known for `{name}`: set PROVER_DOJO_FILES(_JSON)")
        return self.runner.run(name, attempt.tactics)

    def _trust_check(self, whole: dict[int, Attempt]) -> dict[int, Verdict]:
        """Our own whole-proof verdict: the only way to ``proved`` on this backend."""
        if not whole:
            return {}
        if self.trust is None:
            why = (
                "LeanDojo reports no goals left, but no whole-proof verifier is configured "
                "(PROVER_DOJO_TRUST_BACKEND=none), so the proof is not reported proved"
            )
            return {i: Failed(why) for i in whole}
        checked = self.trust.check(list(whole.values()))
        return {i: _trusted(v) for i, v in zip(whole, checked, strict=True)}


def dojo_verifier(lean: LeanSettings) -> DojoVerifier:
    """The ``dojo`` backend (:mod:`prover.verifiers`), configured by ``PROVER_DOJO_*``."""
    return DojoVerifier(DojoSettings(), lean)


def _trusted(verdict: Verdict) -> Verdict:
    if isinstance(verdict, Failed):
        message = f"the whole-proof check did not accept it: {verdict.message}"
        return Failed(message, verdict.position, verdict.time_s)
    return verdict


def _file_map(settings: DojoSettings) -> dict[str, str]:
    try:
        return settings.file_map()
    except ValueError as err:
        raise BackendUnavailable(str(err)) from None


def _require_toolchain() -> None:
    """LeanDojo runs ``lake env lean`` for every Dojo and ``lake build`` to trace."""
    missing = [tool for tool in ("lake", "lean") if shutil.which(tool) is None]
    if missing:
        names = " and ".join(f"`{tool}`" for tool in missing)
        elan = "" if shutil.which("elan") else " (no `elan` either)"
        raise BackendUnavailable(
            f"the dojo backend needs a native Lean toolchain: {names} not on PATH{elan}; "
            "install elan and the repository's toolchain"
        )


def _resolve_repo(dojo: Any, url: str, commit: str) -> Any:
    """``LeanGitRepo`` asks GitHub (or git) about the repository: the network, for a URL."""
    try:
        return dojo.LeanGitRepo(url, commit)
    except Exception as err:
        raise BackendUnavailable(
            f"LeanDojo cannot resolve the repository {url}@{commit}: "
            f"{type(err).__name__}: {err}{_network_hint(url)}"
        ) from None


def _network_hint(url: str) -> str:
    host = urlparse(url).hostname
    if not host:
        return ""
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError as err:
        return f" (no network: cannot reach {host}: {err})"
    return ""

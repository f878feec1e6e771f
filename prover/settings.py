"""Settings for each component; every limit can be set by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.core.prompt import DEFAULT_TEMPLATE
from prover.core.theorem import MAX_INPUT_BYTES


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "prover"


class LeanSettings(BaseSettings):
    """How Lean is run. Environment variables: ``PROVER_LEAN_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PROVER_LEAN_")

    backend: Literal["wasm", "native", "dojo"] = "wasm"
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Where the embedded runtime (Node, lean.wasm, oleans) is installed.",
    )
    processes: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Lean REPL processes checking attempts at once.",
    )
    spares: int = Field(
        default=1, ge=0, description="REPL processes started ahead, to replace one at no wait."
    )
    max_imports: int = Field(
        default=4, ge=1, description="Distinct import lists with REPL processes kept open."
    )
    max_requests_per_process: int = Field(
        default=20_000, ge=1, description="A REPL process is replaced after this many attempts."
    )
    threads: int = Field(
        default=1, ge=1, description="Lean's worker threads per process (`lean -j`)."
    )
    max_rss_mb: int = Field(
        default=8192, ge=256, description="A Lean process above this resident memory is replaced."
    )
    attempt_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Wall-clock time allowed for one attempt; past it the REPL is killed. "
        "Above the time Lean's own heartbeat limits take, so that they end an attempt first.",
    )
    startup_timeout_s: float = Field(
        default=300.0,
        gt=0,
        description="Wall-clock time allowed for a REPL's start: imports, preamble, warm-up.",
    )
    step_states: int = Field(
        default=512,
        ge=0,
        le=1024,  # the REPL itself keeps at most 1024
        description="Proof states each REPL keeps for search steps, so that a step runs one "
        "tactic from its parent's state; 0 re-elaborates every step's whole tactic prefix.",
    )
    max_heartbeats: int = Field(
        default=200000, ge=1000, description="Lean's maxHeartbeats for every attempt."
    )
    step_heartbeats: int = Field(
        default=20000,
        ge=1000,
        description="Lean's maxHeartbeats for a search step (a tactic prefix). A step over it "
        "is a `timeout` Lean itself ends, and its REPL lives on.",
    )
    max_input_bytes: int = Field(
        default=MAX_INPUT_BYTES,
        ge=100,
        description="Largest statement, preamble or proof accepted.",
    )
    native_lean: str = Field(default="lean", description="The native `lean` executable.")
    native_project: Path | None = Field(
        default=None,
        description="A Lake project to run `lake env lean` in (e.g. one with Mathlib).",
    )


class GeneratorSettings(BaseSettings):
    """How tactics are proposed. Environment variables: ``PROVER_GEN_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PROVER_GEN_", protected_namespaces=())

    backend: Literal["symbolic", "transformers", "openai", "vllm", "mixed"] = "symbolic"
    model: str = Field(default="", description="Checkpoint path (or hub id) or served name.")
    url: str = Field(default="http://127.0.0.1:8000", description="OpenAI-compatible server.")
    api_key: str | None = Field(default=None, description="Bearer token for the server.")
    timeout_s: float = Field(default=30.0, gt=0, description="Per request to the server.")
    retries: int = Field(default=2, ge=0, description="Retries after a failed request.")
    backoff_s: float = Field(default=0.5, ge=0, description="First retry delay; doubles.")
    max_concurrency: int = Field(default=8, ge=1, description="Requests in flight at once.")
    temperature: float = Field(default=1.0, ge=0, description="0 means beam search.")
    max_tokens: int = Field(default=64, ge=1, description="Longest tactic, in tokens.")
    prompt_template: str = Field(
        default=DEFAULT_TEMPLATE,
        description="How a state becomes a prompt (`{state}`); a checkpoint trained here "
        "carries its own, which wins.",
    )
    device: str = Field(default="cpu", description="torch device for transformers.")
    symbolic_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="In `mixed`: the share of proposals that are symbolic's own first "
        "ones; a local model ranks the rest with this weight on the symbolic prior.",
    )
    mixed_model_backend: Literal["transformers", "openai", "vllm"] = Field(
        default="openai", description="In `mixed`: the model generator beside symbolic."
    )
    value_model: str = Field(
        default="",
        description="A value model (the value.json `prover train` writes beside a model, "
        "or that model's directory): "
        "the search expands first the states it finds likelier to be proved; empty: none.",
    )
    max_models: int = Field(
        default=2, ge=1, description="Models a coordinator keeps loaded at once."
    )
    model_switch_s: float = Field(
        default=30.0,
        ge=0,
        description="With jobs of more models than fit, a model whose jobs waited this long "
        "displaces a loaded one; at most one such switch this often.",
    )


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "prover"


class RedisSettings(BaseSettings):
    """Where the queue lives and how work is handed out. ``PROVER_REDIS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PROVER_REDIS_")

    url: str | None = Field(
        default=None,
        description="e.g. redis://host:6379/0; unset: the CLI starts an embedded redis-server.",
    )
    prefix: str = Field(default="prover", description="First part of every key.")
    claim_idle_s: float = Field(
        default=30.0,
        gt=0,
        description="A task or job untouched this long by its holder is claimed by another "
        "worker (holders refresh their claims while they work).",
    )
    max_deliveries: int = Field(
        default=3, ge=1, description="A task that took down this many workers is `crashed`."
    )
    linger_s: float = Field(
        default=0.0, ge=0, description="A verifier waits this long to gather a bigger batch."
    )
    poll_s: float = Field(default=0.05, gt=0, description="Idle coordinators poll this often.")
    retention_days: float = Field(
        default=7.0,
        ge=0,
        description="Finished jobs (tree, events) are deleted this long after they end; 0: kept.",
    )


class FeedbackSettings(BaseSettings):
    """Where verdict records are flushed. ``PROVER_FEEDBACK_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PROVER_FEEDBACK_")

    dir: Path = Field(
        default_factory=lambda: _default_data_dir() / "feedback",
        description="Directory of rotated JSONL files.",
    )
    rotate_bytes: int = Field(
        default=64 * 2**20, ge=1024, description="A file is closed past this size."
    )

"""Settings of the LeanDojo backend. Environment variables: ``PROVER_DOJO_<FIELD>``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DojoSettings(BaseSettings):
    """Which traced repository LeanDojo works in, and how long a tactic may take."""

    model_config = SettingsConfigDict(env_prefix="PROVER_DOJO_")

    url: str = Field(default="", description="The repository: a GitHub URL or a local git path.")
    commit: str = Field(default="", description="Its commit hash (or a tag LeanDojo resolves).")
    files: dict[str, str] = Field(
        default_factory=dict,
        description="Theorem full name -> its file in the repository (JSON in the env var).",
    )
    files_json: Path | None = Field(
        default=None,
        description="A JSON file of the same map, as `prover import leandojo` writes it.",
    )
    timeout_s: int = Field(default=60, ge=1, description="Seconds for one tactic in the Dojo.")
    max_open: int = Field(
        default=4, ge=1, description="Dojo processes kept open at once, one per theorem."
    )
    trust_backend: Literal["wasm", "native", "none"] = Field(
        default="native",
        description="The regular verifier that re-checks every finished proof whole; "
        "`none`: no proof is ever reported proved.",
    )

    def file_map(self) -> dict[str, str]:
        """``files_json`` overlaid with ``files``; a missing or bad file raises ``ValueError``."""
        merged: dict[str, str] = {}
        if self.files_json is not None:
            try:
                data = json.loads(self.files_json.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise ValueError(
                    f"cannot read PROVER_DOJO_FILES_JSON={self.files_json}: {err}"
                ) from None
            if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()
            ):
                raise ValueError(f"{self.files_json} must be a JSON object of name -> file path")
            merged.update(data)
        merged.update(self.files)
        return merged

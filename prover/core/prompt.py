"""The one prompt format for states and tactics, shared with the dataset export."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_TEMPLATE = "[GOAL]{state}[PROOFSTEP]"
STOP = ("\n", "[GOAL]", "[PROOFSTEP]", "<|endoftext|>")


def render_prompt(state: str, template: str = DEFAULT_TEMPLATE) -> str:
    """ReProver-style by default: ``[GOAL]<state as Lean prints it>[PROOFSTEP]``."""
    return template.replace("{state}", state.strip())


# Saved beside a checkpoint trained here: the template its training prompts used.
TEMPLATE_FILE = "prover_prompt.json"


def save_template(directory: Path, template: str) -> None:
    (directory / TEMPLATE_FILE).write_text(json.dumps({"template": template}) + "\n")


def template_for(model: str | Path, configured: str) -> str:
    """The template ``model`` was trained with, if it is a checkpoint that says so; else
    ``configured``: serving a model renders its prompts as its training did."""
    path = Path(model) / TEMPLATE_FILE
    try:
        saved = json.loads(path.read_text(encoding="utf-8")).get("template")
    except (OSError, ValueError, AttributeError):
        return configured
    return saved if isinstance(saved, str) and "{state}" in saved else configured


def first_tactic(text: str) -> str:
    """The generated text up to the first stop marker: one tactic at most."""
    for marker in STOP:
        text = text.split(marker, 1)[0]
    return text.strip()

"""The one prompt format for states and tactics, shared with the dataset export."""

from __future__ import annotations

DEFAULT_TEMPLATE = "[GOAL]{state}[PROOFSTEP]"
STOP = ("\n", "[GOAL]", "[PROOFSTEP]", "<|endoftext|>")


def render_prompt(state: str, template: str = DEFAULT_TEMPLATE) -> str:
    """ReProver-style by default: ``[GOAL]<state as Lean prints it>[PROOFSTEP]``."""
    return template.replace("{state}", state.strip())


def first_tactic(text: str) -> str:
    """The generated text up to the first stop marker: one tactic at most."""
    for marker in STOP:
        text = text.split(marker, 1)[0]
    return text.strip()

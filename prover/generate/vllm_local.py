"""vLLM in-process (`vllm.LLM`), where vllm is installed and a GPU is present."""

from __future__ import annotations

from typing import Any

from prover.core.prompt import STOP, first_tactic, render_prompt, template_for
from prover.core.records import Proposal
from prover.generate.base import clean_tactics
from prover.lean.process import BackendUnavailable
from prover.settings import GeneratorSettings


class VLLMGenerator:
    """Batched sampling with ``vllm.LLM``; scores are cumulative log-probabilities."""

    name = "vllm"

    def __init__(self, settings: GeneratorSettings) -> None:
        try:
            import vllm
        except ImportError:
            raise BackendUnavailable(
                "the vllm backend needs `pip install prover[vllm]` and a GPU; "
                "or run `vllm serve MODEL` and use the openai backend"
            ) from None
        self.vllm: Any = vllm
        self.settings = settings
        self.template = template_for(settings.model, settings.prompt_template)
        self.llm = vllm.LLM(model=settings.model)

    def propose(self, state: str, n: int) -> list[Proposal]:
        return self.propose_batch([state], n)[0]

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        params = self.vllm.SamplingParams(
            n=n,
            temperature=self.settings.temperature,
            max_tokens=self.settings.max_tokens,
            logprobs=0,
            stop=list(STOP),
        )
        prompts = [render_prompt(s, self.template) for s in states]
        outputs = self.llm.generate(prompts, params)
        return [
            clean_tactics(
                (Proposal(o.cumulative_logprob or 0.0, first_tactic(o.text)) for o in out.outputs),
                n,
            )
            for out in outputs
        ]

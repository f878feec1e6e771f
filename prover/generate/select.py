"""Choosing a generator by settings, and mixing a model with the symbolic proposer."""

from __future__ import annotations

from prover.generate.base import Generator, Proposal
from prover.generate.symbolic import SymbolicProposer
from prover.settings import GeneratorSettings


class MixedGenerator:
    """A share of proposals from each of two generators, de-duplicated."""

    name = "mixed"

    def __init__(self, model: Generator, symbolic: Generator, symbolic_share: float) -> None:
        self.model, self.symbolic, self.share = model, symbolic, symbolic_share

    def propose(self, state: str, n: int) -> list[Proposal]:
        from_symbolic = self.symbolic.propose(state, n)
        from_model = self.model.propose(state, n)
        k = round(n * self.share)
        first = from_symbolic[:k] + from_model[: n - k]
        rest = from_symbolic[k:] + from_model[n - k :]
        merged: dict[str, Proposal] = {}
        for proposal in first + rest:
            if len(merged) == n:
                break
            merged.setdefault(proposal.tactic, proposal)
        return list(merged.values())


def make_generator(settings: GeneratorSettings, definitions: tuple[str, ...] = ()) -> Generator:
    """The generator the settings name; model backends are imported only when chosen."""
    symbolic = SymbolicProposer(definitions)
    if settings.backend == "symbolic":
        return symbolic
    if settings.backend == "mixed":
        model = _model_generator(settings, settings.mixed_model_backend)
        return MixedGenerator(model, symbolic, settings.symbolic_share)
    return _model_generator(settings, settings.backend)


def _model_generator(settings: GeneratorSettings, kind: str) -> Generator:
    if kind == "transformers":
        from prover.generate.hf import TransformersGenerator

        return TransformersGenerator(
            settings.model,
            device=settings.device,
            template=settings.prompt_template,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
        )
    if kind == "vllm":
        from prover.generate.vllm_local import VLLMGenerator

        return VLLMGenerator(settings)
    from prover.generate.openai_client import OpenAICompletionsGenerator

    return OpenAICompletionsGenerator(settings)

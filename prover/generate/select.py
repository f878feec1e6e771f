"""Choosing a generator by settings, and mixing a model with the symbolic proposer."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from prover.core.records import Proposal
from prover.generate.base import Generator
from prover.generate.symbolic import SymbolicProposer
from prover.settings import GeneratorSettings


class MixedGenerator:
    """A share of proposals from each of two generators, de-duplicated."""

    name = "mixed"

    def __init__(self, model: Generator, symbolic: Generator, symbolic_share: float) -> None:
        self.model, self.symbolic, self.share = model, symbolic, symbolic_share

    def propose(self, state: str, n: int) -> list[Proposal]:
        return self.propose_batch([state], n)[0]

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        from_model = self.model.propose_batch(states, n)
        from_symbolic = self.symbolic.propose_batch(states, n)
        return [self._mix(s, m, n) for s, m in zip(from_symbolic, from_model, strict=True)]

    def _mix(
        self, from_symbolic: list[Proposal], from_model: list[Proposal], n: int
    ) -> list[Proposal]:
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
    return Generators().get(settings, definitions)


class Generators:
    """Generators by settings. A model is loaded once per model setting (whatever the
    backend that wraps it) and the ``max_models`` most recently used stay loaded. The
    symbolic proposer depends on a preamble's definitions; generators are kept per
    (settings, definitions), so jobs alike share one and search batches them together."""

    def __init__(self, max_models: int = 2, max_generators: int = 256) -> None:
        self.max_models, self.max_generators = max_models, max_generators
        self._models: OrderedDict[str, Generator] = OrderedDict()
        self._generators: OrderedDict[tuple[str, tuple[str, ...]], Generator] = OrderedDict()

    def get(self, settings: GeneratorSettings, definitions: tuple[str, ...] = ()) -> Generator:
        key = (settings.model_dump_json(), definitions)
        if key not in self._generators:
            self._generators[key] = self._build(settings, definitions)
        self._generators.move_to_end(key)
        _trim(self._generators, self.max_generators)
        return self._generators[key]

    def _build(self, settings: GeneratorSettings, definitions: tuple[str, ...]) -> Generator:
        symbolic = SymbolicProposer(definitions)
        if settings.backend == "symbolic":
            return symbolic
        if settings.backend == "mixed":
            model = self._model(settings, settings.mixed_model_backend)
            return MixedGenerator(model, symbolic, settings.symbolic_share)
        return self._model(settings, settings.backend)

    def _model(self, settings: GeneratorSettings, kind: str) -> Generator:
        key = kind + settings.model_copy(update={"backend": kind}).model_dump_json()
        if key not in self._models:
            self._models[key] = _model_generator(settings, kind)
        self._models.move_to_end(key)
        while len(self._models) > self.max_models:
            _, dropped = self._models.popitem(last=False)
            # Generators wrapping it go too, or they would keep it loaded.
            for k, g in list(self._generators.items()):
                if g is dropped or getattr(g, "model", None) is dropped:
                    del self._generators[k]
        return self._models[key]


def _trim(cache: OrderedDict[Any, Generator], size: int) -> None:
    while len(cache) > size:
        cache.popitem(last=False)


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

"""Choosing a generator by settings, mixing a model with the symbolic proposer, and
taking turns at a few loaded models."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from prover.core.jobs import GeneratorChoice
from prover.core.records import Proposal
from prover.core.search import Value
from prover.core.theorem import Theorem
from prover.generate.base import Generator
from prover.generate.symbolic import SymbolicProposer, definitions_in
from prover.settings import GeneratorSettings
from prover.value import ValueModel

Loader = Callable[[GeneratorSettings, str], Generator]  # (settings, model backend) -> model


@runtime_checkable
class Scorer(Protocol):
    """A model that can say how likely it finds given tactics (a local checkpoint)."""

    def score_batch(self, states: list[str], tactics: list[list[str]]) -> list[list[float]]: ...


RERANK_WIDTH = 4  # symbolic candidates a scoring model ranks, per proposal slot
MODEL_ONLY_PRIOR = math.log(0.02)  # the symbolic prior of a tactic only the model proposed
LEAST_LOGPROB = -100.0  # a mean token log-probability below any a model really gives


class MixedGenerator:
    """A model and the symbolic proposer together.

    A model that can score (:class:`Scorer`) ranks the union of both's candidates, the
    symbolic proposer's ``RERANK_WIDTH`` times wider list and the model's own: a
    candidate's score is ``share`` times its symbolic log-prior plus ``1 - share`` times
    the model's mean token log-probability, so what the model learned reorders the
    symbolic tactics as well as adding its own; the symbolic proposer's own best ``share``
    of the slots are sent whatever the model scores them. A model that cannot (one behind
    an API) gets ``1 - share`` of the slots, de-duplicated."""

    name = "mixed"

    def __init__(self, model: Generator, symbolic: Generator, symbolic_share: float) -> None:
        self.model, self.symbolic, self.share = model, symbolic, symbolic_share

    def propose(self, state: str, n: int) -> list[Proposal]:
        return self.propose_batch([state], n)[0]

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        return self.mix(states, self.model.propose_batch(states, n), n)

    def mix(
        self, states: list[str], from_model: list[list[Proposal]], n: int
    ) -> list[list[Proposal]]:
        """The model's proposals for ``states`` (asked elsewhere, maybe in one batch with
        other jobs' states) mixed with the symbolic proposer's."""
        if isinstance(self.model, Scorer):
            return self._rerank(self.model, states, from_model, n)
        from_symbolic = self.symbolic.propose_batch(states, n)
        return [self._share(s, m, n) for s, m in zip(from_symbolic, from_model, strict=True)]

    def _rerank(
        self, model: Scorer, states: list[str], from_model: list[list[Proposal]], n: int
    ) -> list[list[Proposal]]:
        wide = self.symbolic.propose_batch(states, RERANK_WIDTH * n)
        pools = []
        for symbolic, learned in zip(wide, from_model, strict=True):
            pool = {p.tactic: MODEL_ONLY_PRIOR for p in learned}
            pools.append(pool | {p.tactic: p.score for p in symbolic})
        scores = model.score_batch(states, [list(pool) for pool in pools])
        out = []
        for symbolic, pool, likely in zip(wide, pools, scores, strict=True):
            ranked = [
                Proposal(self.share * prior + (1 - self.share) * _bounded(lp), tactic)
                for (tactic, prior), lp in zip(pool.items(), likely, strict=True)
            ]
            out.append(self._keep_symbolic_best(symbolic, ranked, n))
        return out

    def _keep_symbolic_best(
        self, symbolic: list[Proposal], ranked: list[Proposal], n: int
    ) -> list[Proposal]:
        """The symbolic proposer's own first ``share`` of the ``n`` slots, then the best
        of the rest of ``ranked``: a model that ranks a state's one closing tactic low
        would otherwise never send it. The kept ones come first (a search sends a list's
        first tactics and keeps the rest for a later visit); scores are the mixed ones."""
        kept = {p.tactic for p in sorted(symbolic, reverse=True)[: round(n * self.share)]}
        ranked.sort(reverse=True)
        chosen = [p for p in ranked if p.tactic in kept]
        return chosen + [p for p in ranked if p.tactic not in kept][: n - len(chosen)]

    def _share(
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


def _bounded(logprob: float) -> float:
    """A model's log-probability kept finite (NaN or -inf from a masked token would
    break the ordering, and 0 x -inf at share 1 is NaN)."""
    return logprob if logprob > LEAST_LOGPROB else LEAST_LOGPROB


def model_of(generator: Generator) -> Generator:
    """What proposes for many jobs in one batch: a mixed generator's model (its symbolic
    part reads one preamble's definitions), else the generator itself."""
    return generator.model if isinstance(generator, MixedGenerator) else generator


def propose_shared(
    parts: Sequence[tuple[Generator, list[str]]], n: int
) -> list[list[list[Proposal]]]:
    """Proposals for each generator's states, the generators sharing one :func:`model_of`
    (mixed generators of different preambles, say): one ``propose_batch`` of the model
    for every state of every part, then each mixed generator adds its own symbolic
    proposals."""
    model = model_of(parts[0][0])
    if any(model_of(generator) is not model for generator, _ in parts):
        raise ValueError("propose_shared: the generators do not share a model")
    proposals = model.propose_batch([state for _, states in parts for state in states], n)
    out, k = [], 0
    for generator, states in parts:
        mine = proposals[k : k + len(states)]
        k += len(states)
        out.append(
            generator.mix(states, mine, n) if isinstance(generator, MixedGenerator) else mine
        )
    return out


def make_generator(settings: GeneratorSettings, definitions: tuple[str, ...] = ()) -> Generator:
    """The generator the settings name; model backends are imported only when chosen."""
    return Generators().get(settings, definitions)


class Generators:
    """Generators by settings. A model is loaded once per model setting (whatever the
    backend that wraps it); at most ``max_models`` stay loaded, the least recently used
    going first. The symbolic proposer depends on a preamble's definitions; generators
    are kept per (settings, definitions), and mixed ones of different preambles share
    their model, so search batches the model's part of all of them together
    (:func:`propose_shared`).

    A search pass asks :meth:`admit` first, so that jobs of more models than fit take
    turns rather than reloading a model every pass."""

    def __init__(
        self,
        max_models: int = 2,
        switch_s: float = 30.0,
        max_generators: int = 256,
        load: Loader | None = None,
    ) -> None:
        self.max_models, self.switch_s, self.max_generators = max_models, switch_s, max_generators
        self.load = load or load_model
        self._models: OrderedDict[str, Generator] = OrderedDict()  # least recently used first
        self._generators: OrderedDict[tuple[str, tuple[str, ...]], Generator] = OrderedDict()
        self._used: dict[str, float] = {}  # model key -> when a pass last had it
        self._waiting: dict[str, float] = {}  # model key -> since when jobs wait for it
        self._last_switch = -math.inf

    def get(self, settings: GeneratorSettings, definitions: tuple[str, ...] = ()) -> Generator:
        key = (settings.model_dump_json(), definitions)
        if key not in self._generators:
            self._generators[key] = self._build(settings, definitions)
        self._generators.move_to_end(key)
        _trim(self._generators, self.max_generators)
        return self._generators[key]

    def admit(self, wanted: Sequence[GeneratorSettings], now: float) -> list[bool]:
        """Which settings of one pass can be served now without holding more than
        ``max_models`` models (none is loaded here; :meth:`get` loads what is admitted).

        Loaded models are served, and a waiting model takes a free slot at once. When none
        is free it displaces the least recently used model, but only one that no pass has
        had for ``switch_s``, or else once it has itself waited ``switch_s`` and no other
        switch happened in that time: a model switch at most once per ``switch_s``."""
        keys = [model_key(s) for s in wanted]
        needed = dict.fromkeys(k for k in keys if k is not None)
        self._waiting = {k: self._waiting.get(k, now) for k in needed if k not in self._models}
        admitted = {k for k in needed if k in self._models}
        self._used = {k: t for k, t in self._used.items() if k in self._models}
        room = self.max_models - len(self._models)
        for key in sorted(self._waiting, key=self._waiting.__getitem__):
            if room <= 0 and not self._displace(key, now, admitted):
                continue
            room = max(room - 1, 0)
            admitted.add(key)
            del self._waiting[key]
        for key in list(self._models):  # relative order kept: among equals, older first
            if key in admitted:
                self._models.move_to_end(key)
        self._used |= dict.fromkeys(admitted, now)
        return [k is None or k in admitted for k in keys]

    def _displace(self, key: str, now: float, admitted: set[str]) -> bool:
        """Unload a model for ``key`` if one may go: the least recently used that this pass
        does not need, else the least recently used. Its jobs, if any, wait in turn."""
        loaded = list(self._models)  # the slots this pass admitted newly are not loaded yet
        victim = next((k for k in loaded if k not in admitted), loaded[0] if loaded else None)
        if victim is None:
            return False
        idle = now - self._used.get(victim, -math.inf) >= self.switch_s
        due = now - self._waiting[key] >= self.switch_s and now - self._last_switch >= self.switch_s
        if not (idle or due):
            return False
        self._evict(victim)
        self._last_switch = now
        if victim in admitted:
            admitted.discard(victim)
            self._waiting[victim] = now
        return True

    def _build(self, settings: GeneratorSettings, definitions: tuple[str, ...]) -> Generator:
        symbolic = SymbolicProposer(definitions)
        if settings.backend == "symbolic":
            return symbolic
        if settings.backend == "mixed":
            model = self._model(settings)
            return MixedGenerator(model, symbolic, settings.symbolic_share)
        return self._model(settings)

    def _model(self, settings: GeneratorSettings) -> Generator:
        key, kind = model_key(settings), _model_backend(settings)
        assert key is not None and kind is not None  # a model backend
        if key not in self._models:
            self._models[key] = self.load(settings, kind)
        self._models.move_to_end(key)
        while len(self._models) > self.max_models:
            self._evict(next(iter(self._models)))
        return self._models[key]

    def _evict(self, key: str) -> None:
        dropped = self._models.pop(key)
        self._used.pop(key, None)
        # Generators wrapping it go too, or they would keep it loaded.
        for k, g in list(self._generators.items()):
            if model_of(g) is dropped:
                del self._generators[k]


def _model_backend(settings: GeneratorSettings) -> str | None:
    if settings.backend == "symbolic":
        return None
    return settings.mixed_model_backend if settings.backend == "mixed" else settings.backend


def model_key(settings: GeneratorSettings) -> str | None:
    """Which loaded model the settings need (whatever backend wraps it); None for none."""
    kind = _model_backend(settings)
    if kind is None:
        return None
    return kind + settings.model_copy(update={"backend": kind}).model_dump_json()


class JobGenerators:
    """The generators of a coordinator's jobs: its settings with each job's overrides,
    from one :class:`Generators` (``max_models`` and ``model_switch_s`` from the
    settings)."""

    def __init__(self, settings: GeneratorSettings, load: Loader | None = None) -> None:
        self.settings = settings
        self.generators = Generators(settings.max_models, settings.model_switch_s, load=load)
        # Read now, so that a value model that cannot be read stops the start, not each job.
        # Every job of the coordinator has it: a job cannot choose another.
        self.value: Value | None = (
            ValueModel.load(settings.value_model) if settings.value_model else None
        )

    def settings_for(self, choice: GeneratorChoice) -> GeneratorSettings:
        overrides = {k: v for k, v in choice.model_dump().items() if v is not None}
        return self.settings.model_copy(update=overrides)

    def __call__(
        self, choice: GeneratorChoice, theorem: Theorem
    ) -> tuple[Generator, dict[str, str]]:
        """The job's generator and its description (``backend``, ``model``)."""
        settings = self.settings_for(choice)
        generator = self.generators.get(settings, definitions_in(theorem.preamble))
        return generator, {"backend": settings.backend, "model": settings.model}

    def admit(self, choices: Sequence[GeneratorChoice], now: float) -> list[bool]:
        """Which jobs of a pass get proposals now (:meth:`Generators.admit`)."""
        return self.generators.admit([self.settings_for(c) for c in choices], now)


def _trim(cache: OrderedDict[Any, Generator], size: int) -> None:
    while len(cache) > size:
        cache.popitem(last=False)


def load_model(settings: GeneratorSettings, kind: str) -> Generator:
    """The model generator of one backend (``kind``), imported only when chosen."""
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

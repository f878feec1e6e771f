"""`prover serve-generator`: the OpenAI completions protocol over a transformers model,
so the vLLM client is exercised end to end without a GPU."""

from __future__ import annotations

import threading

from fastapi import FastAPI

from prover.generate.hf import Completion, TransformersGenerator
from prover.generate.protocol import (
    CompletionChoice,
    CompletionRequest,
    CompletionResponse,
    LogProbs,
    ModelCard,
    ModelList,
    Usage,
)


def create_app(generator: TransformersGenerator, served_name: str | None = None) -> FastAPI:
    app = FastAPI(title="prover generator", description="OpenAI-compatible completions")
    name = served_name or generator.model_name
    # One generate() at a time: the model is shared and the CPU is the bottleneck anyway.
    busy = threading.Lock()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    def models() -> ModelList:
        return ModelList(data=[ModelCard(id=name)])

    @app.post("/v1/completions")
    def completions(request: CompletionRequest) -> CompletionResponse:
        temperature = 0.0 if request.use_beam_search else request.temperature
        with busy:
            results = generator.complete(
                request.prompts(), request.n, request.max_tokens, temperature
            )
        choices = [
            _choice(i * request.n + j, c, request)
            for i, completions in enumerate(results)
            for j, c in enumerate(completions)
        ]
        produced = sum(len(c.tokens) for group in results for c in group)
        return CompletionResponse(
            model=name,
            choices=choices,
            usage=Usage(completion_tokens=produced, total_tokens=produced),
        )

    return app


def _choice(index: int, completion: Completion, request: CompletionRequest) -> CompletionChoice:
    text, cut = completion.text, len(completion.tokens)
    for stop in request.stops():
        if stop in text:
            text = text.split(stop, 1)[0]
            cut = min(cut, _tokens_until(completion.tokens, stop))
    logprobs = None
    if request.logprobs is not None:
        logprobs = LogProbs(
            tokens=list(completion.tokens[:cut]),
            token_logprobs=list(completion.token_logprobs[:cut]),
        )
    finish = "stop" if len(completion.tokens) < request.max_tokens else "length"
    return CompletionChoice(index=index, text=text, logprobs=logprobs, finish_reason=finish)


def _tokens_until(tokens: tuple[str, ...], stop: str) -> int:
    """How many tokens it takes for ``stop`` to appear: the ones a cut text was scored on."""
    text = ""
    for k, token in enumerate(tokens, 1):
        text += token
        if stop in text:
            return k
    return len(tokens)

"""A client for an OpenAI-compatible completions server: `vllm serve MODEL`, or ours."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from pydantic import ValidationError

from prover.core.prompt import STOP, first_tactic, render_prompt, template_for
from prover.core.records import Proposal
from prover.generate.base import clean_tactics
from prover.generate.protocol import CompletionChoice, CompletionRequest, CompletionResponse
from prover.settings import GeneratorSettings

log = logging.getLogger(__name__)


class GeneratorUnavailable(RuntimeError):
    """The server could not be reached or did not answer in time."""


class OpenAICompletionsGenerator:
    """Proposals from ``/v1/completions``: ``n`` samples, scored by their log-probability.

    Failures never raise into the search: after the retries the error is logged, kept
    in ``last_error``, and the state gets no proposals.
    """

    name = "openai"

    def __init__(self, settings: GeneratorSettings) -> None:
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.client = httpx.Client(
            base_url=settings.url.rstrip("/"), headers=headers, timeout=settings.timeout_s
        )
        self._slots = threading.Semaphore(settings.max_concurrency)
        self.last_error: str | None = None
        self.template = template_for(settings.model, settings.prompt_template)

    def close(self) -> None:
        self.client.close()

    def propose(self, state: str, n: int) -> list[Proposal]:
        """Nothing (and ``last_error`` set) when the server cannot be reached."""
        try:
            return self._propose(state, n)
        except GeneratorUnavailable as err:
            self.last_error = str(err)
            log.warning("%s", err)
            return []

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        """Raises ``GeneratorUnavailable`` when the server cannot be reached, so a search
        keeps its nodes open rather than taking "no tactics" for an answer."""
        workers = min(self.settings.max_concurrency, max(len(states), 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda s: self._propose(s, n), states))

    def _propose(self, state: str, n: int) -> list[Proposal]:
        choices = self.request(render_prompt(state, self.template), n)
        proposals = [_proposal(c) for c in choices]
        return clean_tactics((p for p in proposals if p is not None), n)

    def request(self, prompt: str, n: int) -> list[CompletionChoice]:
        """POST one completion request, retrying transient failures with back-off."""
        body = CompletionRequest(
            model=self.settings.model,
            prompt=prompt,
            n=n,
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            logprobs=1,
            stop=list(STOP),
            use_beam_search=self.settings.temperature == 0,
        ).model_dump(exclude_none=True)
        problem = "no attempt made"
        for attempt in range(self.settings.retries + 1):
            if attempt:
                time.sleep(self.settings.backoff_s * 2 ** (attempt - 1))
            try:
                with self._slots:
                    response = self.client.post("/v1/completions", json=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self.settings.timeout_s:.1f} s"
                continue
            except httpx.TransportError as err:
                problem = f"unreachable ({type(err).__name__}: {err})"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            return self._choices(response)
        raise GeneratorUnavailable(f"generator server {self.settings.url}: {problem}")

    def _choices(self, response: httpx.Response) -> list[CompletionChoice]:
        if response.status_code >= 400:
            raise GeneratorUnavailable(
                f"generator server {self.settings.url}: HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
        try:
            return CompletionResponse.model_validate_json(response.content).choices
        except ValidationError as err:
            log.warning("malformed completion response skipped: %s", str(err)[:300])
            return []


def _proposal(choice: CompletionChoice) -> Proposal | None:
    tactic = first_tactic(choice.text)
    if not tactic:
        return None
    logprobs = choice.logprobs.token_logprobs if choice.logprobs else []
    return Proposal(sum(lp for lp in logprobs if lp is not None), tactic)

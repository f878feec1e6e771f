"""A transformers checkpoint (causal or seq2seq) on the CPU or a GPU."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prover.core.prompt import (
    DEFAULT_TEMPLATE,
    STOP,
    first_tactic,
    render_prompt,
    template_for,
)
from prover.core.records import Proposal
from prover.generate.base import clean_tactics


@dataclass(frozen=True)
class Completion:
    """One sampled continuation with the log-probability of each generated token."""

    text: str
    tokens: tuple[str, ...]
    token_logprobs: tuple[float, ...]

    @property
    def logprob(self) -> float:
        return sum(self.token_logprobs)


BATCH_STATES = 16  # states per model call (each with n sequences)
SCORE_BATCH = 32  # tactics scored per forward pass (its logits span the whole vocabulary)


class TransformersGenerator:
    """Samples (or beam-searches) ``n`` tactics per state, batched across states."""

    name = "transformers"

    def __init__(
        self,
        model: str | Path,
        *,
        device: str = "cpu",
        template: str = DEFAULT_TEMPLATE,
        max_tokens: int = 64,
        temperature: float = 1.0,
    ) -> None:
        import torch
        from transformers import (
            AutoConfig,
            AutoModelForCausalLM,
            AutoModelForSeq2SeqLM,
            AutoTokenizer,
        )

        self.torch = torch
        self.model_name = str(model)
        config = AutoConfig.from_pretrained(model)
        self.seq2seq = bool(getattr(config, "is_encoder_decoder", False))
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if not self.seq2seq:
            self.tokenizer.padding_side = "left"
        self.tokenizer.truncation_side = "left"  # a prompt ends with the goal
        loader: Any = AutoModelForSeq2SeqLM if self.seq2seq else AutoModelForCausalLM
        self.model: Any = loader.from_pretrained(model).to(device).eval()
        self.device, self.template = device, template_for(model, template)
        self.max_tokens, self.temperature = max_tokens, temperature

    def propose(self, state: str, n: int) -> list[Proposal]:
        return self.propose_batch([state], n)[0]

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        """In chunks of ``BATCH_STATES`` states: a coordinator pass can hand over hundreds."""
        out: list[list[Proposal]] = []
        for i in range(0, len(states), BATCH_STATES):
            out += self._batch(states[i : i + BATCH_STATES], n)
        return out

    def _batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        prompts = [render_prompt(s, self.template) for s in states]
        results = self.complete(prompts, n, self.max_tokens, self.temperature)
        return [
            clean_tactics((Proposal(c.logprob, first_tactic(c.text)) for c in completions), n)
            for completions in results
        ]

    def score_batch(self, states: list[str], tactics: list[list[str]]) -> list[list[float]]:
        """Each tactic's mean log-probability per token (its end-of-sequence token
        included) after its state's prompt: how likely the model finds it, comparable
        across tactics of different lengths."""
        return [
            self._score(state, options) if options else []
            for state, options in zip(states, tactics, strict=True)
        ]

    def _score(self, state: str, tactics: list[str]) -> list[float]:
        eos = self.tokenizer.eos_token_id
        prompt = list(self.tokenizer(render_prompt(state, self.template))["input_ids"])
        # A target keeps at most half the model's positions, so the prompt's end (the
        # goal) always fits beside it; a longer tactic is scored on its first tokens.
        cap = max(max_positions(self.model, 2048) // 2, 1)
        targets = [
            [*self.tokenizer(t, add_special_tokens=False)["input_ids"], eos][:cap] for t in tactics
        ]
        scores: list[float] = []
        for i in range(0, len(targets), SCORE_BATCH):
            scores += self._mean_logprobs(prompt, targets[i : i + SCORE_BATCH])
        return scores

    def _mean_logprobs(self, prompt: list[int], targets: list[list[int]]) -> list[float]:
        """Reduced on the model's device: only one number per target comes back."""
        torch = self.torch
        width = max(len(t) for t in targets)
        labels = torch.full((len(targets), width), -100, dtype=torch.long)
        for i, t in enumerate(targets):
            labels[i, : len(t)] = torch.tensor(t)
        with torch.no_grad():
            logits = self._target_logits(prompt, targets, width).float()
            means = mean_logprob(logits, labels.to(self.device))
        return [float(x) for x in means.cpu().tolist()]

    def _target_logits(self, prompt: list[int], targets: list[list[int]], width: int) -> Any:
        """The logits that predict each target token, ``[len(targets), width, vocab]``."""
        torch, k = self.torch, len(targets)
        if self.seq2seq:
            ids = torch.tensor([prompt] * k, device=self.device)
            decoder = torch.full((k, width), self.tokenizer.pad_token_id, dtype=torch.long)
            for i, t in enumerate(targets):
                decoder[i, : len(t)] = torch.tensor(t)
            return self.model(input_ids=ids, labels=decoder.to(self.device)).logits
        prompt = prompt[-(max_positions(self.model, 2048) - width) :]
        ids = torch.full((k, len(prompt) + width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, t in enumerate(targets):
            ids[i, : len(prompt) + len(t)] = torch.tensor(prompt + t)
            mask[i, : len(prompt) + len(t)] = 1
        logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device))
        return logits.logits[:, len(prompt) - 1 : len(prompt) - 1 + width]

    def complete(
        self, prompts: list[str], n: int, max_tokens: int, temperature: float
    ) -> list[list[Completion]]:
        """``n`` continuations per prompt; temperature 0 means beam search with ``n`` beams.
        A prompt longer than the model takes (beside the new tokens, for a causal model;
        at most half its positions) keeps its end, where the goal is."""
        limit = named_positions(self.model)
        if limit is not None and not self.seq2seq:
            max_tokens = min(max_tokens, limit // 2)  # the prompt's end, the goal, needs room
            limit -= max_tokens
        cut: dict[str, Any] = {} if limit is None else {"truncation": True, "max_length": limit}
        inputs = self.tokenizer(prompts, return_tensors="pt", padding=True, **cut)
        inputs = inputs.to(self.device)
        beam = temperature == 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_tokens,
            "num_return_sequences": n,
            "output_scores": True,
            "return_dict_in_generate": True,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if beam:
            kwargs.update(num_beams=max(n, 1), do_sample=False)
        else:
            kwargs.update(do_sample=True, temperature=temperature, top_k=0)
        with self.torch.no_grad():
            out = self.model.generate(**inputs, **kwargs)
            scores = self.model.compute_transition_scores(
                out.sequences, out.scores, getattr(out, "beam_indices", None), normalize_logits=True
            )
        start = 1 if self.seq2seq else inputs["input_ids"].shape[1]
        flat = [
            self._completion(seq[start:], row)
            for seq, row in zip(out.sequences, scores, strict=True)
        ]
        return [flat[i * n : (i + 1) * n] for i in range(len(prompts))]

    def _completion(self, ids: Any, logprobs: Any) -> Completion:
        """Tokens up to end-of-sequence or a stop marker, with their log-probabilities."""
        kept: list[int] = []
        values: list[float] = []
        text = ""
        for token_id, lp in zip(ids.tolist(), logprobs.tolist(), strict=False):
            if token_id in (self.tokenizer.eos_token_id, self.tokenizer.pad_token_id):
                break
            kept.append(token_id)
            values.append(float(lp))
            # Decoded as a whole: a character may span several byte-level tokens.
            text = str(self.tokenizer.decode(kept, skip_special_tokens=True))
            if any(marker in text for marker in STOP):
                break
        tokens = [str(self.tokenizer.decode([t])) for t in kept]
        return Completion(text=text, tokens=tuple(tokens), token_logprobs=tuple(values))


def named_positions(model: Any) -> int | None:
    """The longest sequence the model takes, where its config names one (GPT-2 and
    Llama-style configs name it apart; T5's relative positions have none)."""
    config = model.config
    known = getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None)
    return int(known) if known else None


def max_positions(model: Any, default: int) -> int:
    """:func:`named_positions`, or ``default`` where the config names none."""
    return named_positions(model) or default


def mean_logprob(logits: Any, labels: Any) -> Any:
    """Each row's mean log-probability of its labelled tokens (``-100`` is no label), from
    logits aligned with the labels (``logits[:, i]`` predicts ``labels[:, i]``)."""
    mask = labels != -100
    picked = logits.log_softmax(-1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    # where, not a product: a masked-out token's -inf times 0 would be NaN
    return picked.where(mask, 0.0).sum(-1) / mask.sum(-1).clamp(min=1)

"""Tiny transformers checkpoints, built and trained on the spot: for tests and benchmarks
on machines that cannot download a model. Saved and loaded exactly like a real one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prover.core.prompt import render_prompt

STATES = ["a b : Nat\n⊢ a + b = b + a", "n : Nat\n⊢ n + 0 = n", "x : Nat\nh : x > 2\n⊢ x ≠ 0"]
TACTIC = "omega"


def build_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = [render_prompt(s) + TACTIC for s in STATES] * 20
    tok.train_from_iterator(corpus, trainer)
    fast: Any = PreTrainedTokenizerFast  # untyped in transformers
    return fast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<pad>")


def build_model(kind: str, directory: Path, steps: int = 60) -> Path:
    """A random-initialized causal or seq2seq model, trained to answer ``omega``."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    model: Any
    config: Any
    if kind == "causal":
        config = GPT2Config(
            vocab_size=len(tokenizer), n_positions=128, n_embd=48, n_layer=2, n_head=2,
            bos_token_id=eos, eos_token_id=eos, pad_token_id=pad,
        )  # fmt: skip
        model = GPT2LMHeadModel(config)
    else:
        t5: dict[str, Any] = {"decoder_start_token_id": pad, "eos_token_id": eos}
        config = T5Config(
            vocab_size=len(tokenizer), d_model=48, d_kv=12, d_ff=96, num_layers=1,
            num_heads=2, pad_token_id=pad, **t5,
        )  # fmt: skip
        model = T5ForConditionalGeneration(config)
    _train(model, tokenizer, kind, steps)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def _train(model: Any, tokenizer: Any, kind: str, steps: int) -> None:
    import torch

    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    prompts = [render_prompt(s) for s in STATES]
    for _ in range(steps):
        if kind == "causal":
            batch = tokenizer(
                [p + TACTIC + tokenizer.eos_token for p in prompts],
                return_tensors="pt",
                padding=True,
            )
            labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
            loss = model(**batch, labels=labels).loss
        else:
            batch = tokenizer(prompts, return_tensors="pt", padding=True)
            target = tokenizer([TACTIC + tokenizer.eos_token] * len(prompts), return_tensors="pt")
            loss = model(**batch, labels=target["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()

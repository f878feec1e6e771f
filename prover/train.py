"""``prover train``: fine-tune a causal LM on an SFT export, in the generator's own format.

An example is the prompt exactly as :class:`TransformersGenerator` renders it
(``[GOAL]{state}[PROOFSTEP]``), then the tactic and the end-of-sequence token, where
generation stops; the loss covers the tactic and that token only. The result is a plain
transformers checkpoint (model and tokenizer), loaded by ``TransformersGenerator(path)``
and servable by vLLM. When the export has a ``value`` view, a value model
(:mod:`prover.value`) is fitted on it too and saved beside the checkpoint as
``value.json``. Evaluation goes through ``TransformersGenerator`` too, the serving
code path: beam search for ``k`` tactics per held-out state.
"""

from __future__ import annotations

import importlib
import json
import math
import random
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prover.core.prompt import DEFAULT_TEMPLATE, render_prompt, save_template
from prover.core.records import normalize_state
from prover.data.export import Manifest
from prover.data.sources import ExportError
from prover.data.writers import sha256
from prover.generate.hf import max_positions, mean_logprob
from prover.value import VALUE_FILE, FitReport, ValueModelError, fit

Row = dict[str, Any]
Log = Callable[[str], None]
OnStep = Callable[[int, float], None]
STATE_FILE = "trainer_state.pt"
REPORT = "train_report.json"
BASE = "base"  # where --from-scratch puts the untrained model


@dataclass
class TrainConfig:
    data: Path
    out: Path
    model: str | None = None
    tiny: bool = False
    tiny_layers: int = 3  # the tiny model's size (GPT-2 blocks and width)
    tiny_width: int = 128
    steps: int = 300
    batch_size: int = 16
    lr: float = 5e-5
    warmup: int = 20
    save_every: int = 100
    keep: int = 2
    resume: bool = False
    seed: int = 0
    max_length: int = 512
    preference_weight: float = 0.0
    preference_beta: float = 2.0
    preference_margin: float = 0.5
    eval_split: str = "validation"
    eval_k: int = 8
    eval_limit: int = 200
    eval_before: bool = False
    device: str = "cpu"
    bar: bool = True


@dataclass
class EvalResult:
    """Hit rates over distinct held-out states: the top-1 proposal, or any of the top k, is
    a tactic recorded for that state (``proof_*``: a tactic on a found proof)."""

    split: str
    k: int
    states: int
    top1: float
    topk: float
    proof_states: int
    proof_top1: float
    proof_topk: float
    seconds: float


@dataclass
class TrainReport:
    model: str
    start: str
    examples: int
    dropped: int
    pairs: int
    steps: int
    resumed_from: int
    seconds: float
    final_loss: float
    before: EvalResult | None = None
    after: EvalResult | None = None
    template: str = DEFAULT_TEMPLATE
    config: dict[str, Any] = field(default_factory=dict)
    value: FitReport | None = None  # the value model saved beside the checkpoint, if any


# Data.


def load_rows(data: Path, view: str, split: str) -> list[Row]:
    """One split of one view of an export, checked against the manifest's sha256."""
    manifest = Manifest.load(data)
    path = manifest.data_file(view, split)
    if path is None:
        return []
    expected = manifest.files.get(path.relative_to(data).as_posix(), {}).get("sha256")
    if expected != sha256(path):
        raise ExportError(f"{path} does not match its sha256 in the manifest")
    fmt = manifest.views[view]
    if fmt == "parquet":
        table = importlib.import_module("pyarrow.parquet").read_table(path)
        return list(table.to_pylist())
    text = path.read_text(encoding="utf-8")
    if fmt == "json":
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Encoded:
    ids: list[int]
    prompt_len: int


def encode(tokenizer: Any, state: str, tactic: str, template: str = DEFAULT_TEMPLATE) -> Encoded:
    """Prompt and tactic tokenized apart, so the prompt's tokens are exactly those the
    generator feeds the model (a joint tokenization could merge across the boundary)."""
    prompt = list(tokenizer(render_prompt(state, template))["input_ids"])
    target = list(tokenizer(tactic, add_special_tokens=False)["input_ids"])
    return Encoded(prompt + target + [tokenizer.eos_token_id], len(prompt))


def collate(examples: list[Encoded], pad_id: int, device: str) -> dict[str, Any]:
    """Right-padded ids, attention mask, and labels masked (-100) on prompt and padding."""
    import torch

    width = max(len(e.ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    labels = torch.full_like(ids, -100)
    for i, e in enumerate(examples):
        ids[i, : len(e.ids)] = torch.tensor(e.ids)
        mask[i, : len(e.ids)] = 1
        labels[i, e.prompt_len : len(e.ids)] = torch.tensor(e.ids[e.prompt_len :])
    return {
        "input_ids": ids.to(device),
        "attention_mask": mask.to(device),
        "labels": labels.to(device),
    }


class Sampler:
    """Batches as a function of the step (a seeded shuffle per epoch), so a resumed run
    sees exactly the batches an uninterrupted one would."""

    def __init__(self, size: int, batch_size: int, seed: int) -> None:
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self._epoch, self._order = -1, list(range(size))

    def batch(self, step: int) -> list[int]:
        start = step * self.batch_size
        return [self._at(p) for p in range(start, start + self.batch_size)]

    def _at(self, position: int) -> int:
        epoch = position // self.size
        if epoch != self._epoch:
            self._order = list(range(self.size))
            random.Random(f"{self.seed}:{epoch}").shuffle(self._order)
            self._epoch = epoch
        return self._order[position % self.size]


# Models.


def build_tiny(
    corpus: list[str], directory: Path, positions: int, seed: int, size: tuple[int, int] = (3, 128)
) -> Path:
    """A random-initialized small GPT-2 (``size``: layers, width) and a byte-level BPE
    tokenizer trained on ``corpus``: the recipe of :mod:`prover.generate.tiny`, sized for
    real states."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    tokenizer = _tiny_tokenizer(corpus)
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=positions,
        n_embd=size[1],
        n_layer=size[0],
        n_head=max(1, size[1] // 32),  # 32-wide heads: 4 at the default width
        bos_token_id=eos,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    tokenizer.model_max_length = positions
    GPT2LMHeadModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def _tiny_tokenizer(corpus: list[str], vocab_size: int = 1024) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|endoftext|>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(corpus, trainer)
    fast: Any = PreTrainedTokenizerFast  # untyped in transformers
    return fast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<pad>")


def _load(path: Path | str, device: str) -> tuple[Any, Any]:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    if getattr(AutoConfig.from_pretrained(path), "is_encoder_decoder", False):
        raise ExportError(f"{path}: prover train fine-tunes causal language models only")
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.eos_token_id is None:
        raise ExportError(f"{path}: the tokenizer has no end-of-sequence token")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    loader: Any = AutoModelForCausalLM  # its .to() is typed for a model argument only
    return loader.from_pretrained(path).to(device), tokenizer


# Checkpoints.


def checkpoints(out: Path) -> list[tuple[int, Path]]:
    found = []
    for path in out.glob("checkpoint-*"):
        suffix = path.name.removeprefix("checkpoint-")
        if suffix.isdigit() and (path / STATE_FILE).exists():
            found.append((int(suffix), path))
    return sorted(found)


def save_model(path: Path, model: Any, tokenizer: Any, template: str) -> None:
    """A servable checkpoint: weights, tokenizer, and the prompt template it was trained on."""
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    save_template(path, template)


def save_checkpoint(out: Path, step: int, trainer: _Trainer, keep: int) -> Path:
    """Model, tokenizer, template and optimizer/scheduler/RNG state; older checkpoints
    beyond ``keep`` are removed. The state file is written last: a checkpoint without it
    is ignored."""
    import torch

    path = out / f"checkpoint-{step}"
    save_model(path, trainer.model, trainer.tokenizer, trainer.data.template)
    state = trainer.state()
    torch.save({**state, "step": step}, path / STATE_FILE)
    for _, old in checkpoints(out)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return path


# Training.


def _starting_point(
    config: TrainConfig, rows: list[Row], log: Log, template: str
) -> tuple[Path | str, int]:
    """Where the weights come from (and the step to start at)."""
    if config.resume:
        found = checkpoints(config.out)
        if not found:
            raise ExportError(f"nothing to resume: no checkpoint-* in {config.out}")
        step, path = found[-1]
        log(f"resuming from {path} (step {step})")
        return path, step
    if config.tiny:
        corpus = [render_prompt(r["state"], template) + r["tactic"] for r in rows]
        longest = max(len(c.encode()) for c in corpus)
        # Room for the longest example even at one token a byte, plus a generated tactic.
        positions = 64 * math.ceil((longest + 64) / 64)
        base = config.out / BASE
        size = (config.tiny_layers, config.tiny_width)
        return build_tiny(corpus, base, min(positions, 1024), config.seed, size), 0
    if not config.model:
        raise ExportError("give --model PATH, --from-scratch --tiny, or --resume")
    return config.model, 0


def _examples(
    tokenizer: Any, pairs: list[tuple[str, str]], limit: int, template: str
) -> tuple[list[Encoded], int]:
    encoded = [encode(tokenizer, s, t, template) for s, t in pairs]
    kept = [e for e in encoded if len(e.ids) <= limit]
    return kept, len(encoded) - len(kept)


def _schedule(warmup: int, total: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


def _preference_loss(
    model: Any, chosen: dict[str, Any], rejected: dict[str, Any], config: TrainConfig
) -> Any:
    """A reference-free preference loss (SimPO): the mean token log-probability of the
    chosen tactic should beat the rejected one's by a margin."""
    import torch.nn.functional as F

    gap = _mean_logprob(model, chosen) - _mean_logprob(model, rejected)
    return -F.logsigmoid(config.preference_beta * gap - config.preference_margin).mean()


def _mean_logprob(model: Any, batch: dict[str, Any]) -> Any:
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    return mean_logprob(logits[:, :-1], batch["labels"][:, 1:])


class _Trainer:
    """The optimizer loop; everything a checkpoint must restore lives here."""

    def __init__(self, config: TrainConfig, model: Any, tokenizer: Any, data: _Data) -> None:
        import torch

        self.config, self.model, self.tokenizer, self.data = config, model, tokenizer, data
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, _schedule(config.warmup, config.steps)
        )
        self.sampler = Sampler(len(data.sft), config.batch_size, config.seed)
        self.pair_sampler = Sampler(max(1, len(data.chosen)), config.batch_size, config.seed + 1)
        self.losses: list[float] = []

    def state(self) -> dict[str, Any]:
        import torch

        return {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": torch.get_rng_state(),
            "losses": self.losses[-100:],
        }

    def restore(self, path: Path) -> None:
        import torch

        state = torch.load(path / STATE_FILE, weights_only=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        self.losses = list(state["losses"])

    def step(self, step: int) -> float:
        import torch

        self.model.train()
        pad, device = self.tokenizer.pad_token_id, self.config.device
        batch = collate([self.data.sft[i] for i in self.sampler.batch(step)], pad, device)
        loss = self.model(**batch).loss
        if self.config.preference_weight > 0 and self.data.chosen:
            picks = self.pair_sampler.batch(step)
            chosen = collate([self.data.chosen[i] for i in picks], pad, device)
            rejected = collate([self.data.rejected[i] for i in picks], pad, device)
            pref = _preference_loss(self.model, chosen, rejected, self.config)
            loss = loss + self.config.preference_weight * pref
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad()
        self.losses.append(float(loss.item()))
        return self.losses[-1]


@dataclass
class _Data:
    sft: list[Encoded]
    chosen: list[Encoded]
    rejected: list[Encoded]
    dropped: int
    template: str


def _encode_data(
    config: TrainConfig, tokenizer: Any, rows: list[Row], limit: int, template: str
) -> _Data:
    steps = [(r["state"], r["tactic"]) for r in rows]
    sft, dropped = _examples(tokenizer, steps, limit, template)
    if not sft:
        raise ExportError(f"no training example fits in {limit} tokens")
    chosen: list[Encoded] = []
    rejected: list[Encoded] = []
    if config.preference_weight > 0:
        pairs = load_rows(config.data, "preferences", "train")
        if not pairs:
            raise ExportError(f"{config.data} has no preferences (export --view preferences)")
        for pair in pairs:
            good = encode(tokenizer, pair["state"], pair["chosen"], template)
            bad = encode(tokenizer, pair["state"], pair["rejected"], template)
            if max(len(good.ids), len(bad.ids)) <= limit:
                chosen.append(good)
                rejected.append(bad)
    return _Data(sft, chosen, rejected, dropped, template)


def _bar(config: TrainConfig, start: int) -> Any:
    tqdm = importlib.import_module("tqdm.auto").tqdm  # untyped: imported by name
    return tqdm(total=config.steps, initial=start, disable=not config.bar, desc="train")


def train(config: TrainConfig, log: Log = print, on_step: OnStep | None = None) -> TrainReport:
    """Fine-tune (or, with ``tiny``, train from scratch); returns what happened, also saved
    as ``train_report.json`` beside the final model in ``config.out``. ``on_step(step,
    loss)`` is called after every step (progress for a caller; raising stops the run)."""
    import torch

    _check(config)
    rows = load_rows(config.data, "sft", "train")
    if not rows:
        raise ExportError(f"{config.data} has no sft train split")
    value_rows = load_rows(config.data, "value", "train")  # checked before the long part
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / VALUE_FILE).unlink(missing_ok=True)  # an older run's would pass for this one's
    template = Manifest.load(config.data).prompt_template  # the prompts the export rendered
    start, first = _starting_point(config, rows, log, template)
    torch.manual_seed(config.seed)
    model, tokenizer = _load(start, config.device)
    positions = min(config.max_length, max_positions(model, config.max_length))
    data = _encode_data(config, tokenizer, rows, positions, template)
    trainer = _Trainer(config, model, tokenizer, data)
    if first:
        trainer.restore(Path(start))
    heldout = load_rows(config.data, "sft", config.eval_split)
    before = _evaluate_if(config.eval_before and not first, start, heldout, config, log, "before")
    seconds = _loop(trainer, first, on_step)
    save_model(config.out, model, tokenizer, data.template)
    after = _evaluate_if(True, config.out, heldout, config, log, "after")
    value = fit_value(value_rows, config.out, config.seed, log)
    report = TrainReport(
        model=str(config.out),
        start=str(start),
        examples=len(data.sft),
        dropped=data.dropped,
        pairs=len(data.chosen),
        steps=config.steps,
        resumed_from=first,
        seconds=round(seconds, 2),
        final_loss=round(sum(trainer.losses[-10:]) / max(1, len(trainer.losses[-10:])), 4),
        before=before,
        after=after,
        template=data.template,
        config={k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
        value=value,
    )
    (config.out / REPORT).write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
    return report


def fit_value(rows: list[Row], out: Path, seed: int, log: Log = print) -> FitReport | None:
    """Fit a value model on an export's ``value`` rows and save it in ``out``; None (and
    nothing saved) when there is nothing to fit."""
    if not rows:
        return None
    try:
        model, report = fit(((r["state"], bool(r["solved"])) for r in rows), seed=seed)
    except ValueModelError as err:
        log(f"no value model: {err}")
        return None
    model.save(out / VALUE_FILE)
    log(
        f"value model: {report.rows} states, {report.solved} solved, "
        f"{report.features} features, {report.accuracy:.0%} right on them"
    )
    return report


def _loop(trainer: _Trainer, first: int, on_step: OnStep | None) -> float:
    """Steps ``first`` to the end, a checkpoint every ``save_every`` and at the end."""
    config = trainer.config
    began = time.monotonic()
    with _bar(config, first) as bar:
        for step in range(first, config.steps):
            loss = trainer.step(step)
            bar.set_postfix(loss=f"{loss:.3f}")
            bar.update()
            done = step + 1
            if done % config.save_every == 0 or done == config.steps:
                save_checkpoint(config.out, done, trainer, config.keep)
            if on_step is not None:
                on_step(done, loss)
    return time.monotonic() - began


def _check(config: TrainConfig) -> None:
    if config.steps < 1 or config.batch_size < 1 or config.save_every < 1 or config.keep < 1:
        raise ExportError("--steps, --batch-size, --save-every and --keep must be at least 1")
    if config.tiny and config.model:
        raise ExportError("--from-scratch --tiny builds its own model: leave out --model")
    last = max((s for s, _ in checkpoints(config.out)), default=0)
    if config.resume and last >= config.steps:
        raise ExportError(f"checkpoint-{last} is already at --steps {config.steps}")
    if not config.resume and last:
        # A fresh run would mix its checkpoints with these (and prune by step number).
        raise ExportError(f"{config.out} has checkpoints: --resume continues, or use a new --out")


def _evaluate_if(
    wanted: bool, model: Path | str, rows: list[Row], config: TrainConfig, log: Log, when: str
) -> EvalResult | None:
    if not wanted or config.eval_limit == 0:
        return None
    if not rows:
        log(f"no {config.eval_split} split to evaluate on")
        return None
    template = Manifest.load(config.data).prompt_template
    result = evaluate(
        model, rows, config.eval_k, config.eval_limit, config.device, config.eval_split, template
    )
    log(
        f"{when}: top-1 {result.top1:.3f}, top-{result.k} {result.topk:.3f} on {result.states} "
        f"{result.split} states ({result.seconds:.1f} s)"
    )
    return result


# Evaluation.


def _gold(
    rows: list[Row], limit: int
) -> tuple[dict[str, str], dict[str, set[str]], dict[str, set[str]]]:
    """Up to ``limit`` distinct states (normalized -> as recorded), each with every tactic
    recorded for it and those on a found proof."""
    states: dict[str, str] = {}
    gold: dict[str, set[str]] = {}
    proof: dict[str, set[str]] = {}
    for row in rows:
        key = normalize_state(row["state"])
        if key not in states and len(states) >= limit:
            continue
        states.setdefault(key, row["state"])
        gold.setdefault(key, set()).add(normalize_state(row["tactic"]))
        if row.get("on_proof"):
            proof.setdefault(key, set()).add(normalize_state(row["tactic"]))
    return states, gold, proof


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def evaluate(
    model: Path | str,
    rows: list[Row],
    k: int = 8,
    limit: int = 200,
    device: str = "cpu",
    split: str = "validation",
    template: str = DEFAULT_TEMPLATE,
) -> EvalResult:
    """Beam search for ``k`` tactics per distinct state through ``TransformersGenerator``
    (prompts as ``template`` renders them, unless the checkpoint carries its own)."""
    from prover.generate.hf import TransformersGenerator

    began = time.monotonic()
    states, gold, proof = _gold(rows, limit)
    generator = TransformersGenerator(
        model, device=device, template=template, temperature=0.0, max_tokens=48
    )
    top: dict[str, list[str]] = {}
    keys = list(states)
    for chunk in _chunks(keys, 8):
        proposals = generator.propose_batch([states[key] for key in chunk], k)
        for key, found in zip(chunk, proposals, strict=True):
            top[key] = [normalize_state(p.tactic) for p in found]
    top1, topk = _rates(top, gold)
    proof_top1, proof_topk = _rates(top, proof)
    return EvalResult(
        split=split,
        k=k,
        states=len(gold),
        top1=top1,
        topk=topk,
        proof_states=len(proof),
        proof_top1=proof_top1,
        proof_topk=proof_topk,
        seconds=round(time.monotonic() - began, 2),
    )


def _rates(top: dict[str, list[str]], gold: dict[str, set[str]]) -> tuple[float, float]:
    if not gold:
        return 0.0, 0.0
    first = sum(1 for key, tactics in gold.items() if top[key][:1] and top[key][0] in tactics)
    anywhere = sum(1 for key, tactics in gold.items() if tactics & set(top[key]))
    return round(first / len(gold), 4), round(anywhere / len(gold), 4)

"""``prover export`` and ``prover train``: feedback records to datasets, datasets to models.

Registered by :func:`add_commands` on the main parser's sub-commands; errors are
``ExportError`` (an ``InputError``), which the CLI prints and exits 2 on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from prover.data import (
    FORMATS,
    SPLITS,
    VIEWS,
    DirectorySource,
    ExportError,
    Filters,
    Manifest,
    RedisSource,
    Source,
    export,
    parse_time,
)
from prover.settings import FeedbackSettings, GeneratorSettings, RedisSettings


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _add_export(sub)
    _add_train(sub)


def _add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="feedback records as a dataset (JSONL, Parquet, LeanDojo)")
    p.add_argument("dest", type=Path, help="the dataset directory to create")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="DIR",
        help="feedback directory (PROVER_FEEDBACK_DIR)",
    )
    where.add_argument(
        "--redis",
        nargs="?",
        const="",
        metavar="URL",
        help="read the Redis feedback stream (default URL: PROVER_REDIS_URL)",
    )
    p.add_argument("--prefix", help="Redis key prefix (default: PROVER_REDIS_PREFIX)")
    views = ", ".join(VIEWS)
    p.add_argument("--view", action="append", help=f"{views}; repeatable (default sft)")
    p.add_argument("--format", choices=list(FORMATS), help="default jsonl (leandojo: json)")
    p.add_argument(
        "--progress", action="store_true", help="sft: add every step left open or proved"
    )
    p.add_argument("--since", help="recorded at or after (ISO date/time or epoch)")
    p.add_argument("--until", help="recorded before (ISO date/time or epoch)")
    for name in ("job", "label", "verdict", "model"):
        p.add_argument(f"--{name}", action="append", help=f"only this {name} (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split hash")
    p.add_argument("--ratios", default="0.8,0.1,0.1", help="train,validation,test shares")
    p.add_argument("--overwrite", action="store_true", help="replace an existing export")
    p.set_defaults(run=run_export)


def _add_train(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("train", help="fine-tune a causal LM on an sft export")
    p.add_argument("--data", type=Path, required=True, help="a `prover export` directory")
    p.add_argument("--out", type=Path, required=True, help="checkpoints and the final model")
    p.add_argument("--model", help="starting checkpoint (path or hub id)")
    p.add_argument("--from-scratch", action="store_true", help="random initialization")
    p.add_argument("--tiny", action="store_true", help="a tiny GPT-2 and byte-BPE tokenizer")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, help="default 3e-3 from scratch, 5e-5 fine-tuning")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--save-every", type=int, default=100, help="checkpoint every N steps")
    p.add_argument("--keep", type=int, default=2, help="checkpoints kept")
    p.add_argument("--max-length", type=int, default=512, help="longest example, in tokens")
    p.add_argument(
        "--preferences",
        type=float,
        default=0.0,
        metavar="WEIGHT",
        help="add a SimPO preference loss on the preferences view, this much",
    )
    p.add_argument("--eval-split", choices=SPLITS, default="validation")
    p.add_argument("--eval-k", type=int, default=8, help="proposals per held-out state")
    p.add_argument(
        "--eval-limit", type=int, default=200, help="held-out states evaluated (0: no evaluation)"
    )
    p.add_argument("--eval-before", action="store_true", help="evaluate the start model too")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-bar", action="store_true", help="no progress bar")
    p.set_defaults(run=run_train)


def _listed(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _ratios(text: str) -> tuple[float, float, float]:
    try:
        train, validation, test = (float(x) for x in text.split(","))
    except ValueError:
        raise ExportError(f"--ratios wants three numbers like 0.8,0.1,0.1, not {text!r}") from None
    return train, validation, test


def _source(args: argparse.Namespace) -> Source:
    if args.redis is None:
        return DirectorySource(args.source or FeedbackSettings().dir)
    settings = RedisSettings()
    url = args.redis or settings.url
    if not url:
        raise ExportError("no Redis URL: give --redis URL or set PROVER_REDIS_URL")
    return RedisSource(url, args.prefix or settings.prefix)


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(
        since=parse_time(args.since) if args.since else None,
        until=parse_time(args.until) if args.until else None,
        jobs=frozenset(_listed(args.job)),
        labels=frozenset(_listed(args.label)),
        verdicts=frozenset(_listed(args.verdict)),
        models=frozenset(_listed(args.model)),
    )


def run_export(args: argparse.Namespace) -> int:
    manifest = export(
        _source(args),
        args.dest,
        views=_listed(args.view) or ["sft"],
        fmt=args.format,
        filters=_filters(args),
        seed=args.seed,
        ratios=_ratios(args.ratios),
        progress=args.progress,
        overwrite=args.overwrite,
        template=GeneratorSettings().prompt_template,
    )
    print(_summary(manifest))
    return 0


def _summary(manifest: Manifest) -> str:
    rec = manifest.records
    lines = [
        f"{rec['selected']} records selected ({rec['read']} read, {rec['duplicates']} "
        f"duplicates, {rec['malformed']} unreadable) from {manifest.source}",
        "theorems: " + ", ".join(f"{s} {manifest.theorems.get(s, 0)}" for s in SPLITS),
    ]
    for view, fmt in manifest.views.items():
        counts = ", ".join(f"{s} {manifest.counts[view][s]}" for s in SPLITS)
        lines.append(f"{view} ({fmt}): {counts}")
    lines.append(f"written to {manifest.path}")
    return "\n".join(lines)


def run_train(args: argparse.Namespace) -> int:
    from prover.train import TrainConfig, train

    if args.from_scratch != args.tiny:
        raise ExportError("--from-scratch needs --tiny (the only model built here), and back")
    config = TrainConfig(
        data=args.data,
        out=args.out,
        model=args.model,
        tiny=args.tiny,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr if args.lr is not None else (3e-3 if args.tiny else 5e-5),
        warmup=args.warmup,
        save_every=args.save_every,
        keep=args.keep,
        resume=args.resume,
        seed=args.seed,
        max_length=args.max_length,
        preference_weight=args.preferences,
        eval_split=args.eval_split,
        eval_k=args.eval_k,
        eval_limit=args.eval_limit,
        eval_before=args.eval_before,
        device=args.device,
        bar=not args.no_bar,
    )
    report = train(config)
    print(
        f"trained {report.steps - report.resumed_from} steps on {report.examples} examples "
        f"({report.pairs} preference pairs) in {report.seconds:.1f} s, final loss "
        f"{report.final_loss:.3f}; model in {report.model} (TransformersGenerator-loadable)"
    )
    return 0

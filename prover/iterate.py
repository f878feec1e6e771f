"""``prover iterate``: expert iteration, rounds of search, export, training and evaluation.

Round 0 searches the validation split with the symbolic proposer alone. Round ``r``
searches the training split with the current generator (symbolic in round 1, then
``mixed``: symbolic plus the best checkpoint so far), exports ``sft`` (with progress
steps) and ``preferences`` from every training search so far, trains a model on it,
searches the validation split with ``mixed`` and that model, and keeps it if it proved
more than the best so far (ties: the older). Validation feedback is never trained on.
A state file in OUT makes a killed run continue at the round and phase it was in.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prover.cli_args import add_budget_arguments, add_jobs_at_once_argument, budget_from
from prover.core.jobs import FINAL_STATUSES, Budget, JobInfo, JobSpec
from prover.core.theorem import InputError, Theorem
from prover.core.verifier import Verifier
from prover.data import DirectorySource, export
from prover.data.sources import ExportError
from prover.lean.files import subset, theorems_from_file
from prover.settings import FeedbackSettings, GeneratorSettings, LeanSettings, RedisSettings
from prover.value import VALUE_FILE

STATE = "state.json"
PHASES = ("search", "export", "train", "valid", "decide")  # a round >= 1, in order
Log = Callable[[str], None]
OnPhase = Callable[[int, str], None]


class IterateError(InputError):
    """Bad options or a run directory that does not fit them (printed without traceback)."""


@dataclass
class IterateConfig:
    train: Path
    valid: Path
    out: Path
    rounds: int = 3
    limit_train: int = 0  # 0: every theorem
    limit_valid: int = 0
    seed: int = 0
    budget: Budget = field(default_factory=Budget)
    model: str | None = None  # a checkpoint to fine-tune; None: the tiny GPT-2
    layers: int = 3
    width: int = 128
    start: str = "scratch"  # each round trains from: scratch (tiny only) or the best so far
    steps: int = 300
    batch_size: int = 16
    lr: float | None = None
    preferences: float = 0.0
    symbolic_share: float = 0.5
    model_backend: str = "transformers"
    temperature: float = 0.0
    eval_k: int = 8
    use_value: bool = True  # the value model fitted beside a round's model ranks states
    jobs_at_once: int = 0  # searches run together (0: a split's all)
    device: str = "cpu"
    bar: bool = True

    def identity(self) -> dict[str, Any]:
        """What a resumed run must share with the one that wrote the state file."""
        return {
            "train": _digest(self.train),
            "valid": _digest(self.valid),
            "limit_train": self.limit_train,
            "limit_valid": self.limit_valid,
            "seed": self.seed,
            "budget": self.budget.model_dump(),
            "jobs_at_once": self.jobs_at_once,
        }


@dataclass
class Best:
    round: int = 0
    model: str | None = None  # None: the symbolic proposer alone
    proved: int = 0


@dataclass
class State:
    identity: dict[str, Any]
    round: int = 0
    phase: str = "valid"
    best: Best = field(default_factory=Best)
    rows: list[dict[str, Any]] = field(default_factory=list)
    last_model: str | None = None  # the newest model trained, kept or not

    @classmethod
    def load(cls, path: Path) -> State:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["best"] = Best(**data["best"])
        return cls(**data)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)  # a kill leaves the old state or the new, never half

    def row(self, r: int) -> dict[str, Any]:
        while len(self.rows) <= r:
            self.rows.append({"round": len(self.rows)})
        return self.rows[r]


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError as err:
        raise IterateError(f"cannot read {path}: {err.strerror}") from None


class Iteration:
    """One run directory: its state, and the phases that advance it."""

    def __init__(
        self,
        config: IterateConfig,
        lean: LeanSettings,
        log: Log = print,
        on_phase: OnPhase | None = None,
        verifier: Verifier | None = None,
    ) -> None:
        """``verifier``: one to search with (left open); by default one is started."""
        self.config, self.lean, self.log, self.on_phase = config, lean, log, on_phase
        _check(config)
        limit = lean.max_input_bytes
        self.train_set = subset(_theorems(config.train, limit), config.limit_train, config.seed)
        self.valid_set = subset(_theorems(config.valid, limit), config.limit_valid, config.seed)
        self.state = self._state()
        self._verifier, self._owned = verifier, verifier is None

    def _state(self) -> State:
        path = self.config.out / STATE
        identity = self.config.identity()
        if not path.exists():
            if self.config.out.exists() and any(self.config.out.iterdir()):
                raise IterateError(f"{self.config.out} is not empty and holds no {STATE}")
            self.config.out.mkdir(parents=True, exist_ok=True)
            state = State(identity)
            state.save(path)
            return state
        state = State.load(path)
        # A run from before --jobs-at-once ran each split's jobs all at once.
        state.identity = {"jobs_at_once": 0} | state.identity
        if state.identity != identity:
            changed = sorted(k for k in identity if state.identity.get(k) != identity[k])
            raise IterateError(
                f"{self.config.out} holds a run with other {', '.join(changed)}: "
                "use a new --out, or the same settings to continue it"
            )
        return state

    def run(self) -> State:
        """Advance phase by phase until ``rounds`` rounds are done. ``on_phase(round,
        phase)`` is called once a phase is done and saved (raising there stops the run)."""
        tqdm = importlib.import_module("tqdm.auto").tqdm  # untyped: imported by name
        state = self.state
        try:
            with tqdm(
                total=self.config.rounds + 1,
                initial=state.round,
                desc="rounds",
                disable=not self.config.bar,
            ) as bar:
                while state.round <= self.config.rounds:
                    r, phase = state.round, state.phase
                    self._advance()
                    if state.round > r:
                        bar.update()
                    if self.on_phase is not None:
                        self.on_phase(r, phase)
        finally:
            if self._verifier is not None and self._owned:
                self._verifier.close()
        return state

    def _advance(self) -> None:
        """Run the current phase, name the next one, and save the state."""
        state = self.state
        r, phase = state.round, state.phase
        self.log(f"round {r}: {phase}")
        began = time.monotonic()
        getattr(self, f"_{phase}")(r)
        row = state.row(r)
        row["wall_s"] = round(row.get("wall_s", 0.0) + time.monotonic() - began, 1)
        if r == 0 or phase == "decide":
            self._finish_round()
        else:
            state.phase = PHASES[PHASES.index(phase) + 1]
        state.save(self.config.out / STATE)

    def _finish_round(self) -> None:
        state = self.state
        write_table(self.config.out, state.rows)
        self.log(markdown(state.rows))
        state.round += 1
        state.phase = "search"

    def _dir(self, r: int) -> Path:
        return self.config.out / "rounds" / str(r)

    # Phases.

    def _search(self, r: int) -> None:
        """The training split, with the current generator; its feedback joins the pool."""
        generator, label = self._current(r)
        feedback = self._dir(r) / "feedback-train"
        run = self._search_set(self.train_set, generator, feedback, "train")
        row = self.state.row(r)
        row.update(_counts("train", run), train_generator=label)
        pool = self.config.out / "feedback"
        pool.mkdir(exist_ok=True)
        for path in sorted(feedback.glob("feedback-*.jsonl")):
            # Same name on a redo, so a rerun phase replaces rather than duplicates.
            shutil.copyfile(path, pool / f"feedback-r{r:03d}-{path.name.removeprefix('feedback-')}")

    def _export(self, r: int) -> None:
        data = self._dir(r) / "data"
        manifest = export(
            DirectorySource(self.config.out / "feedback"),
            data,
            views=["sft", "preferences", "value"],
            progress=True,
            ratios=(1.0, 0.0, 0.0),  # validation theorems never come from this pool
            seed=self.config.seed,
            overwrite=True,
            template=GeneratorSettings().prompt_template,
        )
        self.state.row(r).update(
            sft_rows=manifest.counts["sft"]["train"],
            preference_pairs=manifest.counts["preferences"]["train"],
        )

    def _train(self, r: int) -> None:
        from prover.train import TrainConfig, train

        out = self._dir(r) / "model"
        shutil.rmtree(out, ignore_errors=True)  # a killed training starts over
        start = self._start_from()
        tiny = start is None
        config = TrainConfig(
            data=self._dir(r) / "data",
            out=out,
            model=start,
            tiny=tiny,
            tiny_layers=self.config.layers,
            tiny_width=self.config.width,
            steps=self.config.steps,
            batch_size=self.config.batch_size,
            lr=self.config.lr or (3e-3 if tiny else 1e-3 if self.config.model is None else 5e-5),
            save_every=self.config.steps,
            keep=1,
            seed=self.config.seed + r,
            preference_weight=self.config.preferences,
            eval_limit=0,  # top-k is measured below, on validation states
            device=self.config.device,
            bar=self.config.bar,
        )
        report = train(config, log=self.log)
        self.state.last_model = str(out)
        self.state.row(r).update(
            model_from=start or f"tiny {self.config.layers}x{self.config.width}",
            train_s=report.seconds,
            loss=report.final_loss,
            value_states=report.value.rows if report.value else 0,
        )

    def _valid(self, r: int) -> None:
        """The validation split: symbolic in round 0, the round's model mixed in after."""
        model = None if r == 0 else self.state.last_model
        generator = self._generator(model)
        feedback = self._dir(r) / "feedback-valid"
        run = self._search_set(self.valid_set, generator, feedback, "valid")
        row = self.state.row(r)
        row.update(_counts("valid", run), valid_generator="symbolic" if r == 0 else "mixed")
        row["valid_value_model"] = bool(generator.value_model)
        if r == 0:
            self._export_valid(feedback)
            row["best_round"] = 0
            self.state.best = Best(0, None, row["valid_proved"])
        elif model is not None:
            row.update(self._topk(Path(model)))

    def _decide(self, r: int) -> None:
        row, best = self.state.row(r), self.state.best
        kept = row["valid_proved"] > best.proved
        if kept:
            self.state.best = Best(r, self.state.last_model, row["valid_proved"])
            link = self.config.out / "best"
            link.unlink(missing_ok=True)
            link.symlink_to(Path("rounds") / str(r) / "model")
        row.update(kept=kept, best_round=self.state.best.round)

    # Helpers.

    def _current(self, r: int) -> tuple[GeneratorSettings, str]:
        """Round 1: symbolic. Later: mixed with the best model, or, while symbolic alone is
        still best, the newest model (symbolic again would only repeat round 1)."""
        model = self.state.best.model or self.state.last_model
        if r <= 1 or model is None:
            return self._generator(None), "symbolic"
        return self._generator(model), f"mixed ({Path(model).parent.name})"

    def _start_from(self) -> str | None:
        """The checkpoint a round trains from; None: a tiny model from scratch."""
        best = self.state.best.model
        if self.config.start == "best" and best is not None:
            return best
        return self.config.model

    def _generator(self, model: str | None) -> GeneratorSettings:
        base = GeneratorSettings()
        if model is None:
            return base.model_copy(update={"backend": "symbolic", "value_model": ""})
        value = Path(model) / VALUE_FILE
        update = {
            "backend": "mixed",
            "model": model,
            "value_model": str(value) if value.exists() and self.config.use_value else "",
            "mixed_model_backend": self.config.model_backend,
            "symbolic_share": self.config.symbolic_share,
            "temperature": self.config.temperature,
            "device": self.config.device,
        }
        return base.model_copy(update=update)

    def _search_set(
        self, theorems: list[Theorem], generator: GeneratorSettings, feedback: Path, split: str
    ) -> Any:
        from prover.search.local import LocalSettings, run_locally

        shutil.rmtree(feedback, ignore_errors=True)  # a redo leaves no half of an earlier try
        redis = RedisSettings()
        redis = redis.model_copy(
            update={"prefix": f"{redis.prefix}-iterate-{uuid.uuid4().hex[:8]}"}
        )
        local = LocalSettings(
            lean=self.lean,
            generator=generator,
            redis=redis,
            feedback=FeedbackSettings(dir=feedback),
            jobs_at_once=self.config.jobs_at_once,
        )
        specs = [JobSpec.of(t, self.config.budget, f"iterate-{split}") for t in theorems]
        with _search_bar(len(specs), split, self.config.bar) as progress:
            return run_locally(specs, local, progress, 1.0, self._shared_verifier())

    def _shared_verifier(self) -> Verifier:
        """One verifier for every search of the run: its REPLs start once, not per phase."""
        if self._verifier is None:
            from prover.verifiers import make_verifier

            # No spares: a search that takes one would make the next phase's prewarm wait
            # for a replacement's start-up; between phases nothing needs hiding.
            self._verifier = make_verifier(self.lean.model_copy(update={"spares": 0}))
        return self._verifier

    def _export_valid(self, feedback: Path) -> None:
        """Round 0's validation steps, for the models' top-k (never trained on)."""
        if not any(feedback.glob("feedback-*.jsonl")):
            return
        try:
            export(
                DirectorySource(feedback),
                self.config.out / "valid-data",
                views=["sft"],
                progress=True,
                ratios=(0.0, 1.0, 0.0),
                overwrite=True,
                template=GeneratorSettings().prompt_template,
            )
        except ExportError as err:  # no step to score against: top-k is left out
            self.log(f"no validation states for top-k: {err}")

    def _topk(self, model: Path) -> dict[str, Any]:
        from prover.train import evaluate, load_rows

        data = self.config.out / "valid-data"
        if not (data / "manifest.json").exists():
            return {}
        rows = load_rows(data, "sft", "validation")
        if not rows:
            return {}
        k = self.config.eval_k
        result = evaluate(model, rows, k, 200, self.config.device, "validation")
        return {"top1": result.top1, "topk": result.topk, "k": k, "topk_states": result.states}


def _theorems(path: Path, limit: int) -> list[Theorem]:
    try:
        source = path.read_bytes()
    except OSError as err:
        raise IterateError(f"cannot read {path}: {err.strerror}") from None
    theorems = [a.theorem for a in theorems_from_file(source, limit)]
    if not theorems:
        raise IterateError(f"{path} holds no theorem")
    return theorems


def _check(config: IterateConfig) -> None:
    if config.rounds < 0:
        raise IterateError("--rounds must be at least 0")
    if config.start not in ("scratch", "best"):
        raise IterateError("--start is scratch or best")
    if config.layers < 1 or config.width < 32 or config.width % 32:
        raise IterateError("--size wants at least 1 layer and a width that is a multiple of 32")
    if config.steps < 1 or config.batch_size < 1:
        raise IterateError("--steps and --batch-size must be at least 1")
    if config.jobs_at_once < 0:
        raise IterateError("--jobs-at-once must be 0 (all) or more")


def _counts(split: str, run: Any) -> dict[str, Any]:
    jobs: list[JobInfo] = run.jobs
    calls = sum(j.verifier_calls for j in jobs)
    return {
        f"{split}_proved": sum(j.status == "proved" for j in jobs),
        f"{split}_total": len(jobs),
        f"{split}_tactics_per_s": round(calls / max(run.wall_s, 1e-9), 1),
        f"{split}_search_s": round(run.wall_s, 1),
        f"{split}_statuses": dict(Counter(j.status for j in jobs)),
        f"{split}_reasons": dict(Counter(j.reason for j in jobs if j.status != "proved")),
        f"{split}_proofs": {j.name: j.tactics for j in jobs if j.status == "proved"},
    }


@contextmanager
def _search_bar(total: int, split: str, enabled: bool) -> Iterator[Any]:
    tqdm = importlib.import_module("tqdm.auto").tqdm
    with tqdm(total=total, desc=f"search {split}", disable=not enabled) as bar:

        def progress(jobs: list[JobInfo], _elapsed: float) -> None:
            done = sum(j.status in FINAL_STATUSES for j in jobs)
            proved = sum(j.status == "proved" for j in jobs)
            bar.set_postfix(proved=proved)
            bar.update(done - bar.n)

        yield progress


# The table.

COLUMNS = [
    ("round", "round"),
    ("train_generator", "train searched with"),
    ("train_proved", "train proved"),
    ("train_tactics_per_s", "train tactics/s"),
    ("sft_rows", "sft rows"),
    ("preference_pairs", "pref. pairs"),
    ("train_s", "training s"),
    ("valid_generator", "validation searched with"),
    ("valid_proved", "validation proved"),
    ("valid_tactics_per_s", "valid. tactics/s"),
    ("top1", "top-1"),
    ("topk", "top-k (k)"),
    ("kept", "kept"),
    ("best_round", "best round"),
    ("wall_s", "round wall s"),
]


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if key == "topk" and value is not None:
        return f"{value} ({row.get('k')})"
    if value is None:
        return ""
    if key.endswith("_proved"):
        return f"{value}/{row[key.replace('proved', 'total')]}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def markdown(rows: list[dict[str, Any]]) -> str:
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    rule = "| " + " | ".join("---" for _ in COLUMNS) + " |"
    body = ["| " + " | ".join(_cell(row, key) for key, _ in COLUMNS) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def write_table(out: Path, rows: list[dict[str, Any]]) -> None:
    (out / "table.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    (out / "table.md").write_text(markdown(rows) + "\n", encoding="utf-8")


# Model sizes.


def measure_sizes(
    data: Path, sizes: list[tuple[int, int]], steps: int, batch_size: int, out: Path
) -> Iterator[dict[str, Any]]:
    """Train each tiny size for ``steps`` on an export; seconds a step and parameters (a
    row as each size is done)."""
    from transformers import AutoModelForCausalLM

    from prover.train import TrainConfig, train

    for layers, width in sizes:
        target = out / f"size-{layers}x{width}"
        shutil.rmtree(target, ignore_errors=True)
        config = TrainConfig(
            data=data, out=target, tiny=True, tiny_layers=layers, tiny_width=width,
            steps=steps, batch_size=batch_size, lr=3e-3, save_every=steps, keep=1,
            eval_limit=0, bar=False,
        )  # fmt: skip
        report = train(config, log=lambda _: None)
        model: Any = AutoModelForCausalLM.from_pretrained(target)
        params = sum(p.numel() for p in model.parameters())
        yield {
            "size": f"{layers}x{width}", "parameters": params, "steps": steps,
            "batch_size": batch_size, "seconds": report.seconds,
            "s_per_step": round(report.seconds / steps, 3), "final_loss": report.final_loss,
        }  # fmt: skip
        shutil.rmtree(target, ignore_errors=True)


# The command line.


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "iterate", help="expert iteration: search, export, train, evaluate, keep the better"
    )
    p.add_argument("--train", type=Path, required=True, help="theorem set searched for data")
    p.add_argument("--valid", type=Path, required=True, help="theorem set that judges models")
    p.add_argument("--out", type=Path, required=True, help="run directory (resumable)")
    p.add_argument("--rounds", type=int, default=3, help="rounds after round 0 (symbolic)")
    p.add_argument("--limit-train", type=int, default=0, help="seed-stable subset (0: all)")
    p.add_argument("--limit-valid", type=int, default=0, help="seed-stable subset (0: all)")
    p.add_argument("--seed", type=int, default=0)
    add_budget_arguments(p)
    add_jobs_at_once_argument(p)
    p.add_argument("--model", help="checkpoint to fine-tune (default: a tiny GPT-2)")
    p.add_argument("--size", default="3x128", help="tiny model: LAYERSxWIDTH")
    p.add_argument(
        "--start", choices=["scratch", "best"], default="scratch",
        help="each round trains from --model/scratch, or fine-tunes the best so far",
    )  # fmt: skip
    p.add_argument("--steps", type=int, default=300, help="training steps a round")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, help="default: 3e-3 tiny, 1e-3 tiny fine-tune, 5e-5")
    p.add_argument("--preferences", type=float, default=0.0, help="preference loss weight")
    p.add_argument(
        "--symbolic-share",
        type=float,
        default=0.5,
        help="symbolic's own share of slots; with transformers also its prior's weight",
    )
    p.add_argument(
        "--model-backend", choices=["transformers", "vllm", "openai"], default="transformers"
    )
    p.add_argument("--temperature", type=float, default=0.0, help="0: beam search")
    p.add_argument("--eval-k", type=int, default=8, help="top-k of the model")
    p.add_argument(
        "--no-value", action="store_true",
        help="search with the round's model alone, not its value model too",
    )  # fmt: skip
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-bar", action="store_true")
    p.add_argument(
        "--measure-sizes", metavar="SIZES",
        help="only time training of tiny sizes (e.g. 2x64,3x128,4x256) on OUT's newest export",
    )  # fmt: skip
    p.set_defaults(run=run_iterate)


def _size(text: str) -> tuple[int, int]:
    layers, sep, width = text.lower().partition("x")
    if not sep or not layers.isdigit() or not width.isdigit():
        raise IterateError(f"a size is LAYERSxWIDTH like 3x128, not {text!r}")
    return int(layers), int(width)


def config_from(args: argparse.Namespace) -> IterateConfig:
    budget = budget_from(args)
    layers, width = _size(args.size)
    return IterateConfig(
        train=args.train, valid=args.valid, out=args.out, rounds=args.rounds,
        limit_train=args.limit_train, limit_valid=args.limit_valid, seed=args.seed,
        budget=budget, model=args.model, layers=layers, width=width, start=args.start,
        steps=args.steps, batch_size=args.batch_size, lr=args.lr,
        preferences=args.preferences, symbolic_share=args.symbolic_share,
        model_backend=args.model_backend, temperature=args.temperature,
        eval_k=args.eval_k, use_value=not args.no_value, jobs_at_once=args.jobs_at_once,
        device=args.device, bar=not args.no_bar,
    )  # fmt: skip


def run_iterate(args: argparse.Namespace) -> int:
    lean = LeanSettings(**({"backend": args.backend} if getattr(args, "backend", None) else {}))
    if args.measure_sizes:
        return _run_measure(args)
    try:
        state = Iteration(config_from(args), lean).run()
    except ExportError as err:
        raise IterateError(str(err)) from None
    best = state.best
    print(
        f"best: round {best.round} ({best.model or 'symbolic alone'}), "
        f"{best.proved} validation theorems proved; table in {args.out / 'table.md'}"
    )
    return 0


def _run_measure(args: argparse.Namespace) -> int:
    exports = sorted(
        (args.out / "rounds").glob("*/data/manifest.json"), key=lambda p: int(p.parent.parent.name)
    )
    if not exports:
        raise IterateError(f"no export under {args.out}/rounds: run a round first")
    data = exports[-1].parent
    sizes = [_size(s) for s in args.measure_sizes.split(",") if s.strip()]
    print(f"training {args.steps} steps, batch {args.batch_size}, on {data}")
    print("size      parameters  s/step  final loss")
    for row in measure_sizes(data, sizes, args.steps, args.batch_size, args.out / "sizes"):
        print(
            f"{row['size']:8}  {row['parameters']:10}  {row['s_per_step']:6}  {row['final_loss']}",
            flush=True,
        )
    return 0

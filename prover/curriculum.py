"""A curriculum of library theorems: statements extracted from Lean's own library, each to
be re-proved without citing the original (see docs/curriculum.md).

Lean walks the library (``prover/lean/Curriculum.lean``), pretty-prints each candidate's
statement and elaborates it again to check that it means the same; Python filters
(size, instance-implicit binders, benchmarks, duplicates), checks that the verifier takes
every statement as a theorem to search, and writes a seed-stable train/validation split
as theorem sets whose ``-- forbidden:`` lines name the original lemma and its twins.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from prover.core.verifier import Verifier
from prover.lean import Attempt, InputError, Theorem
from prover.lean.files import theorems_from_file
from prover.lean.process import make_backend
from prover.settings import LeanSettings
from prover.verifiers import make_verifier

PREFIX = "curriculum"  # curriculum.Nat.add_comm: never a library name, never the original
NAMESPACES = ("Nat", "Int", "List", "Array", "Option", "Bool", "String", "Fin", "Char")
MODULES = ("Init", "Std")
# Name components that leave a theorem out: generated declarations (equation lemmas,
# recursors' lemmas, congruence lemmas) and internal namespaces (the arithmetic
# normalizers' `Nat.Linear`, `Int.Linear`, ...). Prefixes `match_`, `proof_`, `eq_<digit>`,
# `congr_eq_` and instances (`inst...`) are left out in Lean too.
SKIP = (
    "Linear", "Simproc", "ToInt", "SOM", "Cooper", "Internal", "Legacy", "MergeSort",
    "brecOn", "below", "binductionOn", "congr_simp", "induct_unfolding", "fun_cases",
    "fun_cases_unfolding", "eq_def", "eq_unfold", "induct", "mutual_induct", "inj",
    "injEq", "sizeOf_spec", "recOn", "casesOn", "noConfusion", "ibelow",
)  # fmt: skip
_PLAIN_NAME = re.compile(r"^[^\W\d][\w'!?₀-₉ₐ-ₜᵢ-ᵪ]*(?:\.[^\W\d][\w'!?₀-₉ₐ-ₜᵢ-ᵪ]*)*$")
_UNIVERSES = re.compile(r"^\.\{[^}]*\}")
_LEAN_NAME = re.compile(r"^[^\W\d][\w'!?]*(?:\.[^\W\d][\w'!?]*)*$")


class CurriculumError(InputError):
    """Bad options, or an extraction that could not run; the message says why (the CLI
    prints it, as any ``InputError``)."""


@dataclass(frozen=True)
class Config:
    """What is extracted and kept."""

    modules: tuple[str, ...] = MODULES
    namespaces: tuple[str, ...] = NAMESPACES
    skip: tuple[str, ...] = SKIP
    root: bool = True  # theorems of one component (`and_comm`, `Nat`-free logic)
    max_nodes: int = 120  # expression nodes of the statement
    max_chars: int = 200  # characters of the printed statement
    max_inst: int = 1  # instance-implicit binders
    seed: int = 0
    valid_fraction: float = 0.1
    timeout_s: float = 3600.0


@dataclass(frozen=True)
class Item:
    """One curriculum theorem."""

    original: str
    signature: str
    module: str
    levels: tuple[str, ...]
    forbidden: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{PREFIX}.{self.original}"

    def theorem(self, preamble: str = "") -> Theorem:
        return Theorem.parse(
            f"theorem {self.name} {self.signature}", preamble, forbidden=self.forbidden
        )


@dataclass
class Extraction:
    """Lean's answer: candidates, every theorem's key, instance field keys, benchmark keys."""

    candidates: list[dict[str, Any]] = field(default_factory=list)
    names_by_key: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    instances_by_key: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    bench_keys: dict[str, str] = field(default_factory=dict)  # benchmark theorem -> key
    lean_s: float = 0.0


@dataclass
class Report:
    """How many survive each filter, in order, and the time each stage took."""

    counts: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    timings: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"{k}: {v}" for k, v in self.counts.items()]
        out += [f"{k}: {v:.1f} s" for k, v in self.timings.items()]
        return out


# Lean.


def lean_source(config: Config, benchmarks: dict[str, bytes], tag: str) -> str:
    """The extractor file: imports, the benchmarks' statements (each set in a namespace of
    its own), the walk, its configuration and the ``#eval`` that runs it."""
    walk = resources.files("prover.lean").joinpath("Curriculum.lean").read_text(encoding="utf-8")
    imports = "".join(f"import {m}\n" for m in config.modules if m != "Init")
    blocks, keyed = [], []
    for k, (label, source) in enumerate(sorted(benchmarks.items())):
        block, names = _benchmark_block(k, label, source)
        blocks.append(block)
        keyed += names
    lean_list = ", ".join
    tail = (
        "\ndef ProverCurriculum.config : ProverCurriculum.Config :=\n"
        f"  {{ modules := [{lean_list('`' + m for m in config.modules)}],\n"
        f"    namespaces := [{lean_list('`' + n for n in config.namespaces)}],\n"
        f"    root := {'true' if config.root else 'false'}, maxNodes := {config.max_nodes},\n"
        f"    maxInst := {config.max_inst}, keyed := [{lean_list('`' + n for n in keyed)}],\n"
        f"    skip := [{lean_list(json.dumps(c) for c in config.skip)}],\n"
        f"    tag := {json.dumps(tag)} }}\n"
        "#eval ProverCurriculum.run ProverCurriculum.config\n"
    )
    setting = "set_option autoImplicit false\n"
    return imports + walk.replace(setting, "".join(blocks) + setting, 1) + tail


def _benchmark_block(k: int, label: str, source: bytes) -> tuple[str, list[str]]:
    """A theorem set's definitions and statements in namespace ``CurriculumBenchK``."""
    attempts = theorems_from_file(source, 1_000_000)
    if any(a.theorem.imports for a in attempts):
        raise CurriculumError(f"{label}: benchmark files with imports are not supported")
    preamble = max((a.theorem.preamble for a in attempts), key=len, default="")
    namespace = f"CurriculumBench{k}"
    lines = [f"namespace {namespace}", preamble]
    names = []
    for a in attempts:
        if not _LEAN_NAME.match(a.theorem.name):
            raise CurriculumError(f"{label}: `{a.theorem.name}` is not a plain Lean name")
        lines.append(f"theorem {a.theorem.name} {a.theorem.signature} := sorry")
        names.append(f"{namespace}.{a.theorem.name}")
    lines.append(f"end {namespace}\n")
    return "\n".join(lines), names


def run_lean(
    settings: LeanSettings, source: str, tag: str, timeout_s: float
) -> list[dict[str, Any]]:
    """Run the extractor file with the configured backend; its tagged lines, parsed."""
    backend = make_backend(settings)
    backend.work.mkdir(parents=True, exist_ok=True)
    path = backend.work / f"curriculum-{tag.strip('@ ')}.lean"
    path.write_text(source, encoding="utf-8")
    spec = backend.launch_repl(path)
    try:
        proc = subprocess.run(
            spec.argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=spec.env,
            cwd=spec.cwd,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        raise CurriculumError(f"the extraction took over {timeout_s:.0f} s") from None
    finally:
        path.unlink(missing_ok=True)
    records, errors = [], []
    for raw in proc.stdout.decode("utf-8", errors="replace").splitlines():
        if raw.startswith(tag):
            records.append(json.loads(raw[len(tag) :]))
        elif raw.startswith("{") and '"severity":"error"' in raw:
            errors.append(json.loads(raw).get("data", raw))
    if not records or not records[-1].get("done"):
        detail = errors[0] if errors else f"exit status {proc.returncode}, no answer"
        raise CurriculumError(f"the extraction failed: {detail}")
    return records[:-1]


def extract(
    settings: LeanSettings,
    config: Config,
    benchmarks: dict[str, bytes],
    dump: Path | None = None,
) -> Extraction:
    """Lean's walk of the library, read into an ``Extraction`` (and its lines to ``dump``)."""
    tag = f"@@{secrets.token_hex(6)} "
    begin = time.monotonic()
    records = run_lean(settings, lean_source(config, benchmarks, tag), tag, config.timeout_s)
    if dump is not None:
        dump.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    out = Extraction(lean_s=time.monotonic() - begin)
    for r in records:
        if "keyed" in r:
            if "key" in r:
                out.bench_keys[r["keyed"]] = r["key"]
        elif "instance" in r:
            for key in set(r["keys"]):
                out.instances_by_key[key].append(r["instance"])
        else:
            out.names_by_key[r["key"]].append(r["name"])
            if "module" in r:
                out.candidates.append(r)
    missing = set(_keyed_names(benchmarks)) - set(out.bench_keys)
    if missing:
        raise CurriculumError(f"benchmark statements did not elaborate: {sorted(missing)[:5]}")
    return out


def _keyed_names(benchmarks: dict[str, bytes]) -> list[str]:
    names = []
    for k, (_, source) in enumerate(sorted(benchmarks.items())):
        names += [
            f"CurriculumBench{k}.{a.theorem.name}" for a in theorems_from_file(source, 1 << 20)
        ]
    return names


# Filters.


def select(extraction: Extraction, config: Config, report: Report) -> list[Item]:
    """The filters, in order; each candidate that fails one is counted there."""
    bench = set(extraction.bench_keys.values())
    kept: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for c in extraction.candidates:
        reason = _drop_reason(c, config, bench)
        counts[reason or "kept"] += 1
        if reason:
            report.dropped[reason].append(c["name"])
        else:
            kept.append(c)
    report.counts["extracted (statements in the namespaces)"] = len(extraction.candidates)
    printed = Counter(c.get("printed") for c in kept)
    for how in ("signature", "plain", "type"):
        report.counts[f"kept, printed as {how}"] = printed[how]
    for reason in _REASONS:
        report.counts[f"dropped: {reason}"] = counts[reason]
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in kept:
        by_key[c["key"]].append(c)
    items = [_item(group, extraction) for group in by_key.values()]
    report.counts["dropped: duplicate statement"] = len(kept) - len(items)
    report.counts["distinct statements"] = len(items)
    return sorted(items, key=lambda i: i.original)


_REASONS = (
    "deprecated",
    "too large",
    "instance-implicit binders",
    "does not print back",
    "not a plain name",
    "in a benchmark",
)


def _drop_reason(c: dict[str, Any], config: Config, bench: set[str]) -> str | None:
    if c["deprecated"]:
        return "deprecated"
    if c["nodes"] > config.max_nodes:
        return "too large"
    if c["inst"] > config.max_inst:
        return "instance-implicit binders"
    if "signature" not in c:
        return "does not print back"
    if len(c["signature"]) - len(c["name"]) > config.max_chars:
        return "too large"
    if not _PLAIN_NAME.match(c["name"]) or signature_of(c) is None:
        return "not a plain name"
    if c["key"] in bench:
        return "in a benchmark"
    return None


def signature_of(c: dict[str, Any]) -> str | None:
    """The printed signature without its name and universe list; None if it does not start
    with the name as written."""
    printed: str = c["signature"]
    if not printed.startswith(c["name"]):
        return None
    return _UNIVERSES.sub("", printed[len(c["name"]) :]).strip()


def _item(group: list[dict[str, Any]], extraction: Extraction) -> Item:
    """The group's representative (the shortest name), forbidding every name of the same
    statement, their twins and the instances whose fields state it."""
    group = sorted(group, key=lambda c: (len(c["name"]), c["name"]))
    rep = group[0]
    key = rep["key"]
    others = [n for n in extraction.names_by_key[key] if n != rep["name"]]
    twins = [t for c in group for t in c["twins"]]
    instances = extraction.instances_by_key.get(key, [])
    forbidden = [rep["name"], *sorted(set(others + twins + instances) - {rep["name"]})]
    signature = signature_of(rep)
    assert signature is not None
    return Item(
        original=rep["name"],
        signature=signature,
        module=rep["module"],
        levels=tuple(rep["levels"]),
        forbidden=tuple(n for n in forbidden if _PLAIN_NAME.match(n)),
    )


# The verifier's view.


def universes_preamble(items: Iterable[Item]) -> str:
    """``universe u v ...``: every universe name the statements use."""
    names = sorted({lv for item in items for lv in item.levels})
    return f"universe {' '.join(names)}" if names else ""


def verify(
    verifier: Verifier,
    items: list[Item],
    report: Report,
    progress: Callable[[int, int], None] | None = None,
) -> list[Item]:
    """The items whose statement the verifier takes as a theorem to search: screened, and
    elaborated by Lean alone (an empty proof leaves its goal open)."""
    preamble = universes_preamble(items)
    begin = time.monotonic()
    good: list[Item] = []
    chunk = 256
    for start in range(0, len(items), chunk):
        batch = items[start : start + chunk]
        attempts = [_open_attempt(item, preamble) for item in batch]
        verdicts = iter(verifier.check([a for a in attempts if a is not None]))
        for item, attempt in zip(batch, attempts, strict=True):
            if attempt is not None and next(verdicts).status == "open":
                good.append(item)
            else:
                report.dropped["not taken by the verifier"].append(item.original)
        if progress:
            progress(min(start + chunk, len(items)), len(items))
    report.counts["dropped: not taken by the verifier"] = len(items) - len(good)
    report.counts["curriculum"] = len(good)
    report.timings["verifier check"] = time.monotonic() - begin
    return good


def _open_attempt(item: Item, preamble: str) -> Attempt | None:
    try:
        return Attempt.steps(item.theorem(preamble), [])
    except InputError:
        return None


# The split and the files.


def is_valid(name: str, seed: int, fraction: float) -> bool:
    """The validation split: a hash of the seed and the theorem's name, so a theorem's
    side depends on nothing else (adding or removing others moves no one)."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < fraction * 2**64


def split(items: list[Item], seed: int, fraction: float) -> tuple[list[Item], list[Item]]:
    valid = [i for i in items if is_valid(i.original, seed, fraction)]
    train = [i for i in items if not is_valid(i.original, seed, fraction)]
    return train, valid


def theorem_set(items: list[Item], title: str) -> str:
    """A theorem set the reader (``theorems_from_file``) understands: a universe line as
    the preamble, then each theorem under its ``-- forbidden:`` line, proof ``sorry``."""
    lines = [
        f"-- {title}",
        "-- Generated by `prover curriculum`; see docs/curriculum.md. Each theorem re-states a",
        "-- library theorem under `curriculum.`; a proof may not cite the constants above it.",
        "",
    ]
    preamble = universes_preamble(items)
    if preamble:
        lines += [preamble, ""]
    for item in items:
        lines.append(f"-- forbidden: {' '.join(item.forbidden)}")
        lines.append(f"theorem {item.name} {item.signature} := by sorry")
    return "\n".join(lines) + "\n"


def build(
    settings: LeanSettings,
    config: Config,
    benchmarks: dict[str, bytes],
    log: Callable[[str], None] = print,
    dump: Path | None = None,
) -> tuple[list[Item], list[Item], Report]:
    """Extract, filter, check with the verifier, split."""
    report = Report()
    extraction = extract(settings, config, benchmarks, dump)
    report.timings["Lean extraction"] = extraction.lean_s
    log(f"Lean: {len(extraction.candidates)} candidates in {extraction.lean_s:.1f} s")
    items = select(extraction, config, report)
    log(f"{len(items)} distinct statements; checking each with the verifier")
    with make_verifier(settings.model_copy(update={"spares": 0})) as verifier:
        items = verify(verifier, items, report, lambda n, t: log(f"  checked {n}/{t}"))
    train, valid = split(items, config.seed, config.valid_fraction)
    report.counts["train"], report.counts["valid"] = len(train), len(valid)
    return train, valid, report


# The command line: `prover curriculum core OUT.lean`.

_REPO = Path(__file__).resolve().parents[1]
DEFAULT_EXCLUDE = (
    _REPO / "lean" / "theorems" / "core_graded.lean",
    _REPO.parent / "shared" / "benchmarks" / "minif2f_core.lean",
)


def add_commands(sub: Any) -> None:
    """``prover curriculum core OUT.lean`` (``sub``: the CLI's subparsers)."""
    cmd = sub.add_parser(
        "curriculum", help="theorem sets re-stating Lean's own library theorems, to re-prove"
    )
    cmd.add_argument("source", choices=["core"], help="core: the theorems of Init and Std")
    cmd.add_argument("out", type=Path, help="OUT.lean: writes OUT_train.lean, OUT_valid.lean")
    defaults = Config()
    cmd.add_argument("--namespaces", default=",".join(defaults.namespaces))
    cmd.add_argument("--no-root", action="store_true", help="leave out one-component names")
    cmd.add_argument("--max-nodes", type=int, default=defaults.max_nodes)
    cmd.add_argument("--max-chars", type=int, default=defaults.max_chars)
    cmd.add_argument("--max-inst", type=int, default=defaults.max_inst)
    cmd.add_argument("--seed", type=int, default=defaults.seed, help="of the split")
    cmd.add_argument("--valid-fraction", type=float, default=defaults.valid_fraction)
    cmd.add_argument(
        "--exclude",
        type=Path,
        action="append",
        help="a theorem set whose statements are left out (repeatable; default: "
        "lean/theorems/core_graded.lean and ../shared/benchmarks/minif2f_core.lean)",
    )
    cmd.add_argument("--dump", type=Path, help="also write Lean's answer here (JSON lines)")
    cmd.set_defaults(run=_run_cli)


def _run_cli(args: Any) -> int:
    if not str(args.out).endswith(".lean"):
        raise CurriculumError(
            "OUT must end in .lean (OUT_train.lean and OUT_valid.lean are written)"
        )
    if not 0 <= args.valid_fraction <= 1 or min(args.max_nodes, args.max_chars) < 1:
        raise CurriculumError("--valid-fraction must be in [0, 1]; --max-nodes, --max-chars >= 1")
    config = Config(
        namespaces=tuple(n.strip() for n in args.namespaces.split(",") if n.strip()),
        root=not args.no_root,
        max_nodes=args.max_nodes,
        max_chars=args.max_chars,
        max_inst=args.max_inst,
        seed=args.seed,
        valid_fraction=args.valid_fraction,
    )
    for n in config.namespaces:
        if not _LEAN_NAME.match(n):
            raise CurriculumError(f"--namespaces: `{n}` is not a Lean name")
    benchmarks = {}
    for path in args.exclude or DEFAULT_EXCLUDE:
        try:
            benchmarks[str(path)] = path.read_bytes()
        except OSError as err:
            raise CurriculumError(
                f"cannot read the theorem set to exclude {path}: {err.strerror}"
            ) from None
    settings = LeanSettings(**({"backend": args.backend} if args.backend else {}))
    train, valid, report = build(settings, config, benchmarks, dump=args.dump)
    stem = str(args.out)[: -len(".lean")]
    for items, part in ((train, "train"), (valid, "valid")):
        path = Path(f"{stem}_{part}.lean")
        title = f"Curriculum ({part}, seed {config.seed}): {len(items)} theorems."
        path.write_text(theorem_set(items, title), encoding="utf-8")
        print(f"wrote {path}: {len(items)} theorems")
    for line in report.lines():
        print(line)
    return 0

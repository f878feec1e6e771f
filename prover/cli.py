"""The ``prover`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from prover.lean.files import attempt_from_json, attempts_from_file, theorems_from_file
from prover.lean.process import BackendUnavailable
from prover.lean.runtime import RuntimeSetupError, install
from prover.lean.theorem import Attempt, InputError, Theorem
from prover.lean.verdicts import Rejected, Verdict, describe, verdict_to_dict
from prover.lean.verifier import Verifier
from prover.search import SearchResult
from prover.settings import LeanSettings

DEMO_STATEMENT = "theorem add_comm' (a b : Nat) : a + b = b + a"
DEMO_PROOF = "by omega"


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except (CliError, InputError, BackendUnavailable, RuntimeSetupError) as err:
        print(f"prover: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prover", description=__doc__)
    parser.add_argument("--backend", choices=["wasm", "native"], help="Lean backend")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    setup = sub.add_parser("setup", help="install the embedded Lean runtime and prove a demo")
    setup.add_argument("--cache-dir", type=Path, help="where to install (PROVER_LEAN_CACHE_DIR)")
    setup.add_argument("--no-demo", action="store_true", help="skip the demo proof")
    setup.set_defaults(run=_setup)

    check = sub.add_parser("check", help="verify proofs with Lean")
    check.add_argument("file", nargs="?", type=Path, help="a .lean file of theorems with proofs")
    check.add_argument("--statement", help='e.g. "theorem t (a b : Nat) : a + b = b + a"')
    check.add_argument("--proof", help='the text after `:=`, e.g. "by omega"')
    check.add_argument("--preamble", default="", help="definitions the statement uses")
    check.add_argument("--batch", type=Path, help="JSONL: statement, proof, preamble? a line")
    check.add_argument("--json", action="store_true", help="one JSON verdict a line")
    check.set_defaults(run=_check)

    prove = sub.add_parser("prove", help="search for proofs (embedded Lean, symbolic proposer)")
    prove.add_argument("target", help='"theorem t ... := by sorry", or a .lean theorem set')
    prove.add_argument("--preamble", default="", help="definitions the statement uses")
    prove.add_argument("--max-expansions", type=int, default=60)
    prove.add_argument("--max-seconds", type=float, default=600.0)
    prove.add_argument("--json", action="store_true", help="one JSON result a theorem")
    prove.set_defaults(run=_prove)

    serve = sub.add_parser(
        "serve-generator", help="serve a transformers model over the OpenAI completions API"
    )
    serve.add_argument("--model", required=True, help="checkpoint directory (or hub id)")
    serve.add_argument("--served-name", help="model name clients ask for (default: --model)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--device", default="cpu")
    serve.set_defaults(run=_serve_generator)

    bench = sub.add_parser("bench", help="benchmarks that print numbers")
    bench_sub = bench.add_subparsers(required=True, metavar="WHAT")
    verifier = bench_sub.add_parser("verifier", help="attempts per second of the verifier")
    verifier.add_argument("--sizes", default="1,10,40", help="batch sizes, comma-separated")
    verifier.add_argument("--batches", type=int, default=4, help="batches per size in the stream")
    verifier.add_argument("--processes", type=int, help="Lean processes (default: settings)")
    verifier.set_defaults(run=_bench_verifier)
    generator = bench_sub.add_parser("generator", help="proposals per second per backend")
    generator.add_argument("--states", type=int, default=16, help="states per batch")
    generator.add_argument("-n", type=int, default=8, help="proposals asked per state")
    generator.add_argument(
        "--tiny", action="store_true", help="also build and time a tiny local model"
    )
    generator.set_defaults(run=_bench_generator)
    closing = bench_sub.add_parser(
        "closing", help="each closing tactic once on a theorem set: proof rate, attempts/s"
    )
    closing.add_argument("theorems", type=Path, help="a theorem set (.lean, proofs `sorry`)")
    closing.add_argument("--tactics", default="omega,simp,decide,grind,simp_all")
    closing.set_defaults(run=_bench_closing)
    return parser


def _settings(args: argparse.Namespace, **overrides: object) -> LeanSettings:
    if getattr(args, "backend", None):
        overrides["backend"] = args.backend
    return LeanSettings(**overrides)  # type: ignore[arg-type]


def _setup(args: argparse.Namespace) -> int:
    settings = _settings(args, **({"cache_dir": args.cache_dir} if args.cache_dir else {}))
    install(settings.cache_dir)
    if args.no_demo:
        return 0
    print(f"checking a demo proof: {DEMO_STATEMENT} := {DEMO_PROOF}")
    theorem = Theorem.parse(DEMO_STATEMENT)
    with Verifier(settings.model_copy(update={"processes": 1, "prewarm": False})) as verifier:
        verdict = verifier.check([Attempt.whole(theorem, DEMO_PROOF)])[0]
    print(describe(verdict))
    return 0 if verdict.status == "proved" else 1


def _check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    limit = settings.max_input_bytes
    modes = [args.file is not None, args.statement is not None, args.batch is not None]
    if sum(modes) != 1:
        raise CliError("give exactly one of FILE, --statement/--proof, or --batch")
    if args.batch is not None:
        return _check_batch(args, settings)
    if args.file is not None:
        attempts = attempts_from_file(_read(args.file), limit)
    else:
        if args.proof is None:
            raise CliError("--statement needs --proof (the text after `:=`)")
        theorem = Theorem.parse(args.statement, args.preamble, limit=limit)
        attempts = [Attempt.whole(theorem, args.proof, limit=limit)]
    with Verifier(settings.model_copy(update={"prewarm": False})) as verifier:
        verdicts = verifier.check(attempts)
    for attempt, verdict in zip(attempts, verdicts, strict=True):
        _print_verdict(attempt.theorem.name, verdict, args.json)
    return 0 if all(v.status == "proved" for v in verdicts) else 1


def _check_batch(args: argparse.Namespace, settings: LeanSettings) -> int:
    lines = [line for line in _read(args.batch).decode("utf-8", "replace").splitlines()]
    parsed: list[Attempt | Verdict] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            parsed.append(attempt_from_json(line, settings.max_input_bytes))
        except InputError as err:
            parsed.append(Rejected("input", f"line {n}: {err}"))
    attempts = [p for p in parsed if isinstance(p, Attempt)]
    with Verifier(settings.model_copy(update={"prewarm": False})) as verifier:
        results = iter(verifier.check(attempts) if attempts else [])
    verdicts = [p if not isinstance(p, Attempt) else next(results) for p in parsed]
    for k, verdict in enumerate(verdicts, 1):
        _print_verdict(f"line {k}", verdict, args.json)
    return 0 if all(v.status == "proved" for v in verdicts) else 1


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise CliError(f"cannot read {path}: {err.strerror}") from None


def _print_verdict(label: str, verdict: Verdict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(verdict_to_dict(verdict), ensure_ascii=False), flush=True)
    else:
        print(f"{label}: {describe(verdict)}", flush=True)


def _prove(args: argparse.Namespace) -> int:
    from prover.generate.select import make_generator
    from prover.generate.symbolic import definitions_in
    from prover.search import Budget, best_first_search
    from prover.settings import GeneratorSettings

    settings = _settings(args)
    if args.target.rstrip().endswith(".lean") and "\n" not in args.target:
        source = _read(Path(args.target))
        theorems = [a.theorem for a in theorems_from_file(source, settings.max_input_bytes)]
    else:
        theorems = [Theorem.parse(args.target, args.preamble, limit=settings.max_input_bytes)]
    budget = Budget(max_expansions=args.max_expansions, max_seconds=args.max_seconds)
    proved = 0
    with Verifier(settings) as verifier:
        for theorem in theorems:
            generator = make_generator(GeneratorSettings(), definitions_in(theorem.preamble))
            progress = None if args.json else _progress(theorem.name)
            result = best_first_search(theorem, generator, verifier, budget, progress)
            proved += result.status == "proved"
            _print_result(theorem, result, args.json)
    return 0 if proved == len(theorems) else 1


def _progress(name: str) -> Callable[[str, dict[str, object]], None]:
    def show(kind: str, data: dict[str, object]) -> None:
        if kind == "expanded":
            print(
                f"  {name}: expanding node {data['node']} ({data['proposals']} tactics)", flush=True
            )

    return show


def _print_result(theorem: Theorem, result: SearchResult, as_json: bool) -> None:
    if as_json:
        row = {
            "name": theorem.name,
            "status": result.status,
            "proof": result.proof,
            "time_s": round(result.time_s, 2),
            "verifier_calls": result.verifier_calls,
            "expansions": result.expansions,
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)
        return
    head = f"{theorem.name}: {result.status} in {result.time_s:.1f} s"
    stats = f"{result.expansions} expansions, {result.verifier_calls} verifier calls"
    if result.proof:
        print(f"{head} ({stats})\n{theorem.statement} := {result.proof}", flush=True)
    else:
        print(f"{head} ({stats}): {result.reason}", flush=True)


def _serve_generator(args: argparse.Namespace) -> int:
    import uvicorn

    from prover.generate.hf import TransformersGenerator
    from prover.generate.server import create_app

    if ("/" in args.model or args.model.startswith(".")) and not Path(args.model).exists():
        raise CliError(f"no model directory at {args.model}")
    try:
        generator = TransformersGenerator(args.model, device=args.device)
    except (OSError, ValueError) as err:
        raise CliError(f"cannot load the model {args.model}: {err}") from None
    uvicorn.run(create_app(generator, args.served_name), host=args.host, port=args.port)
    return 0


def _bench_verifier(args: argparse.Namespace) -> int:
    from prover.bench import bench_verifier

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    overrides = {"processes": args.processes} if args.processes else {}
    bench_verifier(_settings(args, **overrides), sizes, args.batches)
    return 0


def _bench_generator(args: argparse.Namespace) -> int:
    from prover.bench import bench_generator
    from prover.settings import GeneratorSettings

    bench_generator(GeneratorSettings(), args.states, args.n, args.tiny)
    return 0


def _bench_closing(args: argparse.Namespace) -> int:
    from prover.bench import bench_closing

    tactics = tuple(t.strip() for t in args.tactics.split(",") if t.strip())
    bench_closing(_settings(args), _read(args.theorems), tactics)
    return 0


if __name__ == "__main__":
    sys.exit(main())

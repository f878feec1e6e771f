"""The ``prover`` command line."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from prover.cli_args import (
    add_budget_arguments,
    add_jobs_at_once_argument,
    budget_from,
    jobs_at_once_from,
)
from prover.cli_data import add_commands as add_data_commands
from prover.core.jobs import JOBS_PER_COORDINATOR, JobSpec
from prover.core.theorem import Attempt, InputError, Theorem
from prover.core.verdicts import Rejected, Verdict, describe, verdict_to_dict
from prover.curriculum import add_commands as add_curriculum_commands
from prover.dojo.cli import add_commands as add_dojo_commands
from prover.iterate import add_commands as add_iterate_commands
from prover.lean.files import attempt_from_json, attempts_from_file, theorems_from_file
from prover.lean.process import BackendUnavailable
from prover.lean.runtime import RuntimeSetupError, install
from prover.queue.connect import Redis, RedisUnavailable
from prover.queue.jobs import JobQueue
from prover.queue.keys import Keys
from prover.queue.workers import stop_on_signals, worker_name
from prover.settings import FeedbackSettings, GeneratorSettings, LeanSettings, RedisSettings
from prover.verifiers import make_verifier

DEMO_STATEMENT = "theorem add_comm' (a b : Nat) : a + b = b + a"
DEMO_PROOF = "by omega"


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except (CliError, InputError, BackendUnavailable, RuntimeSetupError, RedisUnavailable) as err:
        print(f"prover: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prover", description=__doc__)
    parser.add_argument("--backend", choices=["wasm", "native", "dojo"], help="Lean backend")
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
    add_budget_arguments(prove)
    add_jobs_at_once_argument(prove)
    prove.add_argument("--json", action="store_true", help="one JSON result a theorem")
    prove.set_defaults(run=_prove)

    worker = sub.add_parser("worker", help="run a worker against PROVER_REDIS_URL")
    worker_sub = worker.add_subparsers(required=True, metavar="KIND")
    verify = worker_sub.add_parser("verify", help="verify tasks with a pool of Lean processes")
    verify.add_argument("--processes", type=int, help="Lean processes (PROVER_LEAN_PROCESSES)")
    verify.add_argument("--name", help="consumer name; a restart under it resumes its tasks")
    verify.set_defaults(run=_worker_verify)
    search = worker_sub.add_parser("search", help="coordinate best-first searches")
    search.add_argument(
        "--max-jobs", type=int, default=JOBS_PER_COORDINATOR, help="jobs advanced at a time"
    )
    search.add_argument("--name", help="consumer name; a restart under it resumes its jobs")
    search.add_argument(
        "--no-flush", action="store_true", help="leave feedback records in Redis (no files here)"
    )
    search.set_defaults(run=_worker_search)

    status = sub.add_parser("status", help="jobs by status, queue depths and live workers")
    status.add_argument("--json", action="store_true")
    status.add_argument("--quiet", action="store_true", help="only the exit status (0: Redis up)")
    status.set_defaults(run=_status)

    feedback = sub.add_parser("feedback", help="verdict records for retraining")
    feedback_sub = feedback.add_subparsers(required=True, metavar="ACTION")
    flush = feedback_sub.add_parser("flush", help="write records not yet on disk to JSONL files")
    flush.add_argument("--dir", type=Path, help="destination (PROVER_FEEDBACK_DIR)")
    flush.set_defaults(run=_feedback_flush)

    add_dojo_commands(sub)

    api = sub.add_parser("serve", help="the HTTP API and dashboard (with workers by default)")
    api.add_argument("--host", default="127.0.0.1", help="bind address (API keys on off-loopback)")
    api.add_argument("--port", type=int, default=8080)
    api.add_argument(
        "--no-workers", action="store_true", help="only the API: workers run elsewhere"
    )
    api.set_defaults(run=_serve_api)

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
    verifier = bench_sub.add_parser("verifier", help="start-up, latency and checks per second")
    verifier.add_argument("--attempts", type=int, default=5000, help="checks in the stream")
    verifier.add_argument("--single", type=int, default=200, help="checks one at a time")
    verifier.add_argument("--processes", type=int, help="Lean REPLs (default: settings)")
    verifier.set_defaults(run=_bench_verifier)
    serve_bench = bench_sub.add_parser(
        "serve", help="prover serve: time to ready, POST /v1/check latency, demo job latency"
    )
    serve_bench.add_argument("--checks", type=int, default=200, help="checks one at a time")
    serve_bench.add_argument("--jobs", type=int, default=10, help="demo jobs one at a time")
    serve_bench.add_argument("--port", type=int, default=8089)
    serve_bench.add_argument("--startup-timeout", type=float, default=600.0)
    serve_bench.set_defaults(run=_bench_serve)
    soak = bench_sub.add_parser(
        "soak", help="the service on loopback under load, Redis restarted, a worker killed"
    )
    soak.add_argument("--minutes", type=float, default=5.0, help="how long clients submit")
    soak.add_argument("--clients", type=int, default=8, help="concurrent clients")
    soak.add_argument("--drain", type=float, default=600.0, help="seconds to wait for jobs")
    soak.set_defaults(run=_bench_soak)
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
    dash = bench_sub.add_parser(
        "dashboard", help="frame times of the dashboard's search tree in Chromium"
    )
    dash.add_argument("--nodes", default="1000,5000", help="tree sizes, comma-separated")
    dash.add_argument("--frames", type=int, default=120, help="frames a scenario")
    dash.add_argument("--json", action="store_true", help="a JSON row a size")
    dash.set_defaults(run=_bench_dashboard)
    search_bench = bench_sub.add_parser(
        "search", help="best-first search on a theorem set: proved/total, time, verifier calls"
    )
    search_bench.add_argument("theorems", type=Path, help="a theorem set (.lean, proofs `sorry`)")
    add_budget_arguments(search_bench)
    add_jobs_at_once_argument(search_bench)
    search_bench.add_argument("--json", action="store_true", help="a JSON row a theorem")
    search_bench.add_argument(
        "--no-baseline", action="store_true", help="skip the closing-tactics baseline"
    )
    search_bench.add_argument(
        "--limit", type=int, default=0,
        help="a seed-stable subset of this many (0: all), as `prover iterate --limit-valid`",
    )  # fmt: skip
    search_bench.add_argument("--seed", type=int, default=0, help="the subset's seed")
    search_bench.set_defaults(run=_bench_search)
    add_data_commands(sub)
    add_curriculum_commands(sub)
    add_iterate_commands(sub)
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
    with make_verifier(settings.model_copy(update={"processes": 1, "spares": 0})) as verifier:
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
    with make_verifier(settings.model_copy(update={"spares": 0})) as verifier:
        verdicts = verifier.check(attempts)
    for attempt, verdict in zip(attempts, verdicts, strict=True):
        _print_verdict(attempt.theorem.name, verdict, args.json)
    return 0 if all(v.status == "proved" for v in verdicts) else 1


def _check_batch(args: argparse.Namespace, settings: LeanSettings) -> int:
    parsed: list[tuple[int, Attempt | Verdict]] = []
    for n, line in _batch_lines(args.batch):
        try:
            parsed.append((n, attempt_from_json(line, settings.max_input_bytes)))
        except InputError as err:
            parsed.append((n, Rejected("input", f"line {n}: {err}")))
    attempts = [p for _, p in parsed if isinstance(p, Attempt)]
    with make_verifier(settings.model_copy(update={"spares": 0})) as verifier:
        results = iter(verifier.check(attempts) if attempts else [])
    verdicts = [(n, p if not isinstance(p, Attempt) else next(results)) for n, p in parsed]
    for n, verdict in verdicts:
        _print_verdict(f"line {n}", verdict, args.json)
    return 0 if all(v.status == "proved" for _, v in verdicts) else 1


def _batch_lines(path: Path) -> list[tuple[int, str]]:
    """The non-blank lines of a JSONL file with their numbers; refuses what is not text."""
    try:
        text = _read(path).decode("utf-8")
    except UnicodeDecodeError as err:
        raise CliError(f"{path} is not valid UTF-8 (byte {err.start})") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise CliError(f"{path} holds no attempts (one JSON object a line)")
    return lines


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
    from prover.search.local import LocalSettings, print_job, progress_printer, run_locally

    settings = _settings(args)
    if args.target.rstrip().endswith(".lean") and "\n" not in args.target:
        source = _read(Path(args.target))
        theorems = [a.theorem for a in theorems_from_file(source, settings.max_input_bytes)]
    else:
        theorems = [Theorem.parse(args.target, args.preamble, limit=settings.max_input_bytes)]
    budget = budget_from(args)
    specs = [JobSpec.of(t, budget) for t in theorems]
    local = LocalSettings(lean=settings, jobs_at_once=jobs_at_once_from(args))
    run = run_locally(specs, local, None if args.json else progress_printer())
    for job in run.jobs:
        print_job(job, args.json)
    if not args.json:
        print(f"start-up (Lean REPLs) {run.startup_s:.1f} s, search {run.wall_s:.1f} s")
    return 0 if all(job.status == "proved" for job in run.jobs) else 1


def _shared_redis() -> tuple[Redis, Keys, RedisSettings]:
    from prover.queue.connect import connect

    settings = RedisSettings()
    if not settings.url:
        raise CliError("workers need a shared Redis: set PROVER_REDIS_URL=redis://HOST:6379/0")
    return connect(settings.url), Keys(settings.prefix), settings


def _worker_verify(args: argparse.Namespace) -> int:
    from prover.queue.verify_worker import VerifyWorker

    redis, keys, settings = _shared_redis()
    lean = _settings(args, **({"processes": args.processes} if args.processes else {}))
    stop = threading.Event()
    stop_on_signals(stop)
    with make_verifier(lean) as verifier:
        worker = VerifyWorker(redis, keys, settings, verifier, args.name or worker_name("verify"))
        print(f"{worker.name}: verifying tasks from {settings.url}", flush=True)
        worker.run(stop)
    print(f"{worker.name}: stopped after {worker.done} tasks", flush=True)
    return 0


def _worker_search(args: argparse.Namespace) -> int:
    from prover.feedback import RotatingJsonl
    from prover.search.coordinator import Coordinator

    redis, keys, settings = _shared_redis()
    stop = threading.Event()
    stop_on_signals(stop)
    name = args.name or worker_name("search")
    feedback = FeedbackSettings()
    writer = None if args.no_flush else RotatingJsonl(feedback.dir, feedback.rotate_bytes)
    coordinator = Coordinator(
        redis, keys, settings, GeneratorSettings(), name, args.max_jobs, writer
    )
    print(f"{name}: coordinating searches from {settings.url}", flush=True)
    coordinator.run(stop)
    print(f"{name}: stopped after {coordinator.finished} jobs", flush=True)
    return 0


def _status(args: argparse.Namespace) -> int:
    from prover.queue.workers import live_workers

    try:
        redis, keys, _ = _shared_redis()
    except RedisUnavailable:
        if args.quiet:
            return 1
        raise
    if args.quiet:
        return 0
    counts = JobQueue(redis, keys).counts()
    workers = live_workers(redis, keys)
    if args.json:
        print(json.dumps({"jobs": counts, "workers": workers}))
        return 0
    print("jobs: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for w in workers:
        extra = ", ".join(f"{k} {w[k]}" for k in ("done", "in_hand", "jobs", "finished") if k in w)
        print(f"{w['kind']:6s} {w['name']} (pid {w['pid']}): {extra}")
    return 0


def _feedback_flush(args: argparse.Namespace) -> int:
    from prover.feedback import RotatingJsonl, flush

    redis, keys, _ = _shared_redis()
    settings = FeedbackSettings(**({"dir": args.dir} if args.dir else {}))
    writer = RotatingJsonl(settings.dir, settings.rotate_bytes)
    count = flush(redis, keys, writer, worker_name("flush"))
    print(f"{count} records written under {settings.dir}")
    return 0


def _serve_api(args: argparse.Namespace) -> int:
    from api.serve import ServeError, serve

    try:
        serve(args.host, args.port, workers=not args.no_workers)
    except ServeError as err:
        raise CliError(str(err)) from None
    return 0


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

    if args.attempts < 1 or args.single < 1:
        raise CliError("--attempts and --single must be at least 1")
    overrides = {"processes": args.processes} if args.processes else {}
    bench_verifier(_settings(args, **overrides), args.attempts, args.single)
    return 0


def _bench_serve(args: argparse.Namespace) -> int:
    from prover.bench import BenchError, bench_serve

    if args.checks < 1 or args.jobs < 1:
        raise CliError("--checks and --jobs must be at least 1")
    try:
        bench_serve(args.checks, args.jobs, args.port, args.startup_timeout)
    except BenchError as err:
        raise CliError(str(err)) from None
    return 0


def _bench_dashboard(args: argparse.Namespace) -> int:
    from prover.bench import BenchError
    from prover.bench_dashboard import bench_dashboard

    try:
        sizes = [int(n) for n in args.nodes.split(",")]
    except ValueError:
        raise CliError(f"--nodes: comma-separated numbers, not {args.nodes!r}") from None
    if not sizes or min(sizes) < 1 or max(sizes) > 100_000 or args.frames < 1:
        raise CliError("--nodes: each from 1 to 100000; --frames: at least 1")
    try:
        bench_dashboard(sizes, args.frames, args.json)
    except BenchError as err:
        raise CliError(str(err)) from None
    return 0


def _bench_soak(args: argparse.Namespace) -> int:
    from prover.bench import BenchError
    from prover.soak import bench_soak

    if args.minutes <= 0 or args.clients < 1:
        raise CliError("--minutes must be positive and --clients at least 1")
    try:
        bench_soak(args.minutes, args.clients, args.drain)
    except BenchError as err:
        raise CliError(str(err)) from None
    return 0


def _bench_generator(args: argparse.Namespace) -> int:
    from prover.bench import bench_generator
    from prover.settings import GeneratorSettings

    bench_generator(GeneratorSettings(), args.states, args.n, args.tiny)
    return 0


def _bench_search(args: argparse.Namespace) -> int:
    from prover.bench import bench_search
    from prover.search.local import LocalSettings

    if args.limit < 0:
        raise InputError("--limit must be 0 (all) or more")
    local = LocalSettings(lean=_settings(args), jobs_at_once=jobs_at_once_from(args))
    budget = budget_from(args)
    source = _read(args.theorems)
    limit = (args.limit, args.seed)
    bench_search(local, source, args.theorems.stem, budget, args.json, not args.no_baseline, limit)
    return 0


def _bench_closing(args: argparse.Namespace) -> int:
    from prover.bench import bench_closing

    tactics = tuple(t.strip() for t in args.tactics.split(",") if t.strip())
    bench_closing(_settings(args), _read(args.theorems), tactics)
    return 0


if __name__ == "__main__":
    sys.exit(main())

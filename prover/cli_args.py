"""Command-line options shared by commands of several modules: here, since ``cli.py``
imports the modules that declare the other commands (``iterate.py``, ...)."""

from __future__ import annotations

import argparse

from pydantic import ValidationError

from prover.core.jobs import Budget
from prover.core.theorem import InputError


def add_budget_arguments(parser: argparse.ArgumentParser) -> None:
    """A job's search budget: ``--max-expansions``, ``--max-verifier-calls``,
    ``--max-seconds``, ``--proposals``, ``--nodes-in-flight``."""
    defaults = Budget()
    parser.add_argument("--max-expansions", type=int, default=defaults.max_expansions)
    parser.add_argument("--max-verifier-calls", type=int, default=defaults.max_verifier_calls)
    parser.add_argument("--max-seconds", type=float, default=defaults.max_seconds)
    parser.add_argument("--proposals", type=int, default=defaults.proposals_per_node)
    parser.add_argument("--nodes-in-flight", type=int, default=defaults.nodes_in_flight)


def add_jobs_at_once_argument(parser: argparse.ArgumentParser) -> None:
    """``--jobs-at-once``: how many of a set's searches run together on this machine."""
    parser.add_argument(
        "--jobs-at-once", type=int, default=0,
        help="searches run together; the rest wait, their clock not started (0: all)",
    )  # fmt: skip


def jobs_at_once_from(args: argparse.Namespace) -> int:
    """``--jobs-at-once``, or ``InputError`` when negative."""
    if args.jobs_at_once < 0:
        raise InputError("--jobs-at-once must be 0 (all) or more")
    return int(args.jobs_at_once)


def budget_from(args: argparse.Namespace) -> Budget:
    """The budget :func:`add_budget_arguments` declared; ``InputError`` when out of range."""
    try:
        return Budget(
            max_expansions=args.max_expansions,
            max_verifier_calls=args.max_verifier_calls,
            max_seconds=args.max_seconds,
            proposals_per_node=args.proposals,
            nodes_in_flight=args.nodes_in_flight,
        )
    except ValidationError as err:
        raise InputError(f"bad budget: {first_error(err)}") from None


def first_error(err: ValidationError) -> str:
    """The first problem pydantic found, as ``field: message``."""
    first = err.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"

"""``prover import leandojo PATH``: the command, registered by :func:`add_commands`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_commands(sub: Any) -> None:
    """Register ``import`` (with its ``leandojo`` source) on the top-level subparsers."""
    importer = sub.add_parser("import", help="bring outside data in")
    sources = importer.add_subparsers(required=True, metavar="SOURCE")
    leandojo = sources.add_parser(
        "leandojo",
        help="a LeanDojo Benchmark dataset -> theorem sets, SFT rows, dojo file map",
    )
    leandojo.add_argument(
        "path", type=Path, help="a JSON list, a JSONL file, or a dir with train/val/test"
    )
    leandojo.add_argument(
        "--out", type=Path, default=Path("leandojo-import"), help="output directory"
    )
    leandojo.add_argument("--split", help="split of a single file (default: its name, or train)")
    leandojo.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="an import for every theorem set, e.g. Mathlib (repeatable)",
    )
    leandojo.add_argument("--json", action="store_true", help="the report as JSON")
    leandojo.set_defaults(run=_import_leandojo)


def _import_leandojo(args: argparse.Namespace) -> int:
    """0 when anything was imported, 1 when nothing was; bad input raises InputError (2)."""
    from prover.dojo.importer import import_leandojo

    report = import_leandojo(args.path, args.out, split=args.split, imports=tuple(args.imports))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(report.describe())
    return 0 if report.rows or any(report.theorems.values()) else 1

"""Writing rows: one file per view and split, in JSONL, JSON (an array) or Parquet."""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path
from typing import Any, Protocol

from prover.data.sources import ExportError
from prover.data.views import SPLITS, Row

FORMATS = {"jsonl": "jsonl", "json": "json", "parquet": "parquet"}  # format -> file suffix
PARQUET_BATCH = 1000


def _text(*names: str) -> list[tuple[str, str]]:
    return [(n, "string") for n in names]


_META = _text("theorem", "statement", "label", "job")
# Column types for Parquet: fixed, so that a batch of all-null values still has a type.
SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "sft": [
        *_text("state", "tactic", "prompt", "verdict"),
        ("on_proof", "bool"),
        *_text("model", "id"),
        *_META,
    ],
    "preferences": [
        *_text("state", "prompt", "chosen", "rejected", "chosen_verdict", "rejected_verdict"),
        *_META,
    ],
    "value": [*_text("state"), ("solved", "bool"), *_META],
    "raw": [
        *_text("id", "job", "label", "theorem", "statement", "preamble"),
        ("imports", "list"),
        *_text("kind", "state_before", "tactic"),
        ("tactics", "list"),
        *_text("verdict", "state_after", "error"),
        ("time_s", "float"),
        *_text("generator", "model"),
        ("on_proof", "bool"),
        ("job_status", "string"),
        ("recorded_at", "float"),
    ],
}


def check_format(view: str, fmt: str) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if fmt == "parquet" and view not in SCHEMAS:
        # annotated_tactic is [tactic, []]: a list of mixed types, which Parquet cannot hold.
        raise ExportError(f"the {view} view cannot be written as parquet; use json or jsonl")


class SplitWriter(Protocol):
    rows: int

    def write(self, row: Row) -> None: ...

    def close(self) -> None: ...


class JsonlWriter:
    """One JSON object a line; the file is created with the first row."""

    def __init__(self, path: Path) -> None:
        self.path, self.rows = path, 0
        self._out: Any = None

    def write(self, row: Row) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("w", encoding="utf-8")
        self._out.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.rows += 1

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


class JsonArrayWriter(JsonlWriter):
    """A JSON array written one element at a time (LeanDojo's layout)."""

    def write(self, row: Row) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("w", encoding="utf-8")
            self._out.write("[\n")
        else:
            self._out.write(",\n")
        self._out.write(json.dumps(row, ensure_ascii=False))
        self.rows += 1

    def close(self) -> None:
        if self._out is not None:
            self._out.write("\n]\n")
        super().close()


def _arrow_schema(view: str) -> Any:
    pa = importlib.import_module("pyarrow")
    types = {
        "string": pa.string(),
        "bool": pa.bool_(),
        "float": pa.float64(),
        "list": pa.list_(pa.string()),
    }
    return pa.schema([(name, types[kind]) for name, kind in SCHEMAS[view]])


class ParquetWriter:
    """Rows buffered and written a row group at a time."""

    def __init__(self, path: Path, view: str) -> None:
        try:
            # Untyped libraries: imported by name so mypy sees Any, not a missing stub.
            self._pa = importlib.import_module("pyarrow")
            self._pq = importlib.import_module("pyarrow.parquet")
        except ImportError:
            raise ExportError("parquet needs pyarrow: pip install pyarrow") from None
        self.path, self.rows, self.schema = path, 0, _arrow_schema(view)
        self._buffer: list[Row] = []
        self._out: Any = None

    def write(self, row: Row) -> None:
        self._buffer.append(row)
        self.rows += 1
        if len(self._buffer) >= PARQUET_BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self._pq.ParquetWriter(self.path, self.schema)
        self._out.write_table(self._pa.Table.from_pylist(self._buffer, schema=self.schema))
        self._buffer = []

    def close(self) -> None:
        self._flush()
        if self._out is not None:
            self._out.close()


def open_writer(path: Path, view: str, fmt: str) -> SplitWriter:
    if fmt == "parquet":
        return ParquetWriter(path, view)
    return JsonArrayWriter(path) if fmt == "json" else JsonlWriter(path)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_card(
    files: dict[str, dict[str, str]], counts: dict[str, dict[str, int]], template: str
) -> str:
    """README.md with the YAML header the Hub (and ``load_dataset(dir)``) reads configs from.

    ``files`` maps view -> split -> relative path; the leandojo view is left out of the
    configs because its mixed-type ``annotated_tactic`` lists do not load as a table.
    """
    loadable = [v for v in files if v in SCHEMAS]
    lines = ["---", "configs:"] if loadable else ["---"]
    for i, view in enumerate(loadable):
        lines += [f"- config_name: {view}", "  data_files:"]
        for split, path in files[view].items():
            lines += [f"  - split: {split}", f"    path: {path}"]
        if i == 0:
            lines.append("  default: true")
    lines += ["tags:", "- lean4", "- theorem-proving", "---", ""]
    lines += ["# prover feedback export", ""]
    lines.append(
        "Verdicts of Lean 4 proof searches by `prover`, exported by `prover export`. "
        "Splits are by theorem (a seeded hash of the statement): no theorem is in two "
        f"splits. Prompts use `{template}` (`{{state}}`: the goals as Lean prints them); "
        "`manifest.json` lists counts and the sha256 of every file."
    )
    lines += ["", "| view | " + " | ".join(SPLITS) + " |", "| --- " * 4 + "|"]
    for view, per_split in counts.items():
        cells = " | ".join(str(per_split.get(s, 0)) for s in SPLITS)
        lines.append(f"| {view} | {cells} |")
    if "leandojo" in files:
        note = "`leandojo/` holds LeanDojo Benchmark 4 theorem files (not a config: "
        lines += ["", note + "`annotated_tactic` mixes types, which a table cannot hold)."]
    return "\n".join(lines) + "\n"

"""``prover import leandojo``: a LeanDojo Benchmark-style dataset to theorem sets, SFT rows
and the theorem -> file map the dojo backend reads.

Input: a JSON list of theorem records (or one record), a JSONL file of them, or a
directory with ``train``/``val``/``test`` ``.json``/``.jsonl``. JSON lists are streamed
with ``ijson`` when it is installed (the ``dojo`` extra); JSONL always line by line.
"""

from __future__ import annotations

import importlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from prover.core.theorem import InputError
from prover.dojo.records import BadRecord, DojoTheorem, sft_row

SPLIT_FILES = ("train", "val", "test")
# LeanDojo's `val` is `validation` in prover.data's exports, so rows of both can be mixed.
SPLIT_NAMES = {"val": "validation"}
EXAMPLES = 3
BIG_JSON_BYTES = 64 * 2**20
SFT_FILE = "sft.jsonl"
FILES_MAP = "dojo-files.json"
_MODULE = re.compile(r"^[A-Z][\w.]*$")  # what the theorem-set reader accepts


@dataclass
class Skips:
    """Skipped items: a count per reason and the first few examples of each."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, example: str) -> None:
        self.counts[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < EXAMPLES:
            shown.append(example)

    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {r: {"count": n, "examples": self.examples[r]} for r, n in self.counts.items()}


@dataclass
class ImportReport:
    records: int = 0
    rows: int = 0
    theorems: dict[str, int] = field(default_factory=dict)  # theorem set file -> theorems
    files: list[str] = field(default_factory=list)
    skipped_records: Skips = field(default_factory=Skips)
    not_in_sets: Skips = field(default_factory=Skips)
    skipped_steps: Skips = field(default_factory=Skips)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "rows": self.rows,
            "theorems": self.theorems,
            "files": self.files,
            "skipped_records": self.skipped_records.to_dict(),
            "not_in_theorem_sets": self.not_in_sets.to_dict(),
            "skipped_steps": self.skipped_steps.to_dict(),
            "notes": self.notes,
        }

    def describe(self) -> str:
        lines = [f"read {self.records} records; {self.rows} SFT rows"]
        lines += [f"  {path}: {n} theorem{'s' * (n != 1)}" for path, n in self.theorems.items()]
        for title, skips in (
            ("skipped records", self.skipped_records),
            ("not in a theorem set", self.not_in_sets),
            ("skipped steps", self.skipped_steps),
        ):
            if skips.total():
                lines.append(f"{title}: {skips.total()}")
                for reason, n in skips.counts.most_common():
                    lines.append(f"  {reason}: {n} (e.g. {'; '.join(skips.examples[reason])})")
        return "\n".join([*lines, *self.notes])


@dataclass(frozen=True)
class Item:
    """One raw record and where it came from."""

    split: str
    where: str
    data: Any


def sources(path: Path, split: str | None = None) -> list[tuple[Path, str]]:
    """The files to read and the split of each; raises ``InputError`` when there are none."""
    if path.is_dir():
        found = [(f, SPLIT_NAMES.get(s, s)) for s in SPLIT_FILES if (f := _split_file(path, s))]
        if not found:
            raise InputError(
                f"{path} has no train/val/test .json or .jsonl (for LeanDojo Benchmark 4, "
                "give its random/ or novel_premises/ directory)"
            )
        return found
    if not path.is_file():
        raise InputError(f"{path}: no such file or directory")
    return [(path, SPLIT_NAMES.get(split, split) if split else _split_of(path))]


def read_items(files: list[tuple[Path, str]], report: ImportReport) -> Iterator[Item]:
    """Every raw record of the files, streamed where the format allows."""
    for path, split in files:
        yield from _read_file(path, split, report)


def _split_file(directory: Path, split: str) -> Path | None:
    for suffix in (".json", ".jsonl"):
        if (directory / f"{split}{suffix}").is_file():
            return directory / f"{split}{suffix}"
    return None


def _split_of(path: Path) -> str:
    stem = path.stem.split(".")[0]
    return SPLIT_NAMES.get(stem, stem) if stem in (*SPLIT_FILES, "validation") else "train"


def _read_file(path: Path, split: str, report: ImportReport) -> Iterator[Item]:
    with path.open("rb") as handle:
        if path.suffix == ".jsonl":
            for n, line in enumerate(handle, 1):
                if line.strip():
                    yield _jsonl_item(line, split, f"{path.name}:{n}")
            return
        values = _json_values(handle, path, report)
        for n, value in enumerate(values):
            yield Item(split, f"{path.name}[{n}]", value)


def _jsonl_item(line: bytes, split: str, where: str) -> Item:
    try:
        return Item(split, where, json.loads(line))
    except ValueError as err:
        # A bad line is one bad record, not a bad file.
        return Item(split, where, _Unreadable(f"not JSON: {err}"))


@dataclass(frozen=True)
class _Unreadable:
    why: str


def _json_values(handle: IO[bytes], path: Path, report: ImportReport) -> Iterator[Any]:
    """The records of a JSON file: the items of a top-level list, or the one object."""
    first = _peek(handle)
    if first not in (b"[", b"{"):
        raise InputError(f"{path}: not a JSON list of theorems (starts with {first!r})")
    ijson = _ijson()
    if first == b"[" and ijson is not None:
        try:
            yield from ijson.items(handle, "item", use_float=True)
        except ijson.JSONError as err:
            raise InputError(f"{path}: invalid JSON: {err}") from None
        return
    size = path.stat().st_size
    if first == b"[" and size > BIG_JSON_BYTES:
        report.notes.append(
            f"note: {path.name} ({size / 2**20:.0f} MiB) was read into memory at once; "
            "`pip install ijson` (or prover[dojo]) streams it"
        )
    try:
        data = json.load(handle)
    except ValueError as err:
        raise InputError(f"{path}: invalid JSON: {err}") from None
    yield from data if isinstance(data, list) else [data]


def _peek(handle: IO[bytes]) -> bytes:
    """The first non-blank byte; the handle is left at the start."""
    head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    handle.seek(0)
    return head[:1]


def _ijson() -> Any:
    try:
        return importlib.import_module("ijson")
    except ImportError:
        return None


class Outputs:
    """Theorem sets (one file per repository, commit and split), SFT rows, the file map."""

    def __init__(self, out: Path, imports: tuple[str, ...], report: ImportReport) -> None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(f"cannot write to {out}: {err.strerror}") from None
        self.out, self.imports, self.report = out, imports, report
        self.sets: dict[tuple[str, str, str], IO[str]] = {}
        self.names: set[tuple[str, str, str]] = set()
        self.steps: set[tuple[str, str]] = set()
        self.files: dict[str, str] = {}
        self.sft = self._open(SFT_FILE)

    def _open(self, name: str) -> IO[str]:
        self.report.files.append(str(self.out / name))
        return (self.out / name).open("w", encoding="utf-8")

    def add(self, item: Item, theorem: DojoTheorem) -> None:
        key = (theorem.url, theorem.commit, theorem.full_name)
        if key in self.names:
            self.report.skipped_records.add("duplicate theorem", _example(item, theorem))
            return
        self.names.add(key)
        self.files[theorem.full_name] = theorem.file_path
        statement = self._add_theorem(item, theorem)
        self._add_rows(item, theorem, statement)

    def _add_theorem(self, item: Item, theorem: DojoTheorem) -> str:
        """The theorem-set line for the theorem; the statement its rows carry."""
        try:
            ours = theorem.theorem()
        except BadRecord as bad:
            self.report.not_in_sets.add(bad.reason, _example(item, theorem, bad.detail))
            return theorem.theorem_statement or ""
        handle = self._theorem_set(item.split, theorem)
        handle.write(f"{ours.statement} := by sorry\n\n")
        self.report.theorems[handle.name] += 1
        return ours.statement

    def _theorem_set(self, split: str, theorem: DojoTheorem) -> IO[str]:
        key = (theorem.url, theorem.commit, split)
        if key not in self.sets:
            repo = theorem.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "repo"
            handle = self._open(f"{split}-{repo}-{theorem.commit[:12] or 'unknown'}.lean")
            handle.write(_header(theorem, split, self.imports))
            self.report.theorems[handle.name] = 0
            self.sets[key] = handle
        return self.sets[key]

    def _add_rows(self, item: Item, theorem: DojoTheorem, statement: str) -> None:
        for _ in range(theorem.bad_steps):
            self.report.skipped_steps.add("step without tactic or state_before", item.where)
        if not theorem.steps:
            self.report.skipped_steps.add("theorem without traced tactics", item.where)
        for k, step in enumerate(theorem.steps):
            key = (" ".join(step.state_before.split()), step.tactic)
            if key in self.steps:
                self.report.skipped_steps.add("duplicate (state, tactic)", f"{item.where} #{k}")
                continue
            self.steps.add(key)
            row = sft_row(theorem, k, statement, item.split)
            self.sft.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.report.rows += 1

    def close(self) -> None:
        for handle in [self.sft, *self.sets.values()]:
            handle.close()
        path = self.out / FILES_MAP
        path.write_text(json.dumps(self.files, indent=1, ensure_ascii=False), encoding="utf-8")
        self.report.files.append(str(path))


def _header(theorem: DojoTheorem, split: str, imports: tuple[str, ...]) -> str:
    """Imports first (the theorem-set reader takes them only from the top), then a note."""
    where = f"{theorem.url} at commit {theorem.commit}" if theorem.url else "an unnamed repo"
    note = [
        f"-- LeanDojo theorems ({split}) from {where}.",
        "-- Statements are as written there: they elaborate only in that repository (e.g.",
        "-- PROVER_LEAN_BACKEND=native, PROVER_LEAN_NATIVE_PROJECT=<a checkout of it>) with",
        f"-- the imports and `open`s their files have. {FILES_MAP} maps each to its file.",
    ]
    head = [*(f"import {m}" for m in imports), ""] if imports else []
    return "\n".join([*head, *note, "", ""])


def _example(item: Item, theorem: DojoTheorem | None = None, detail: str = "") -> str:
    name = f" {theorem.full_name}" if theorem else ""
    return f"{item.where}{name}" + (f" ({detail[:80]})" if detail else "")


def import_leandojo(
    path: Path, out: Path, *, split: str | None = None, imports: tuple[str, ...] = ()
) -> ImportReport:
    """Read a LeanDojo dataset at ``path``; write theorem sets, SFT rows and the file map
    under ``out``. Bad records are skipped and tallied in the report."""
    bad = [m for m in imports if not _MODULE.match(m)]
    if bad:
        raise InputError(f"`{bad[0]}` is not a module name")
    report = ImportReport()
    files = sources(path, split)
    outputs = Outputs(out, imports, report)
    try:
        for item in read_items(files, report):
            report.records += 1
            theorem = _record(item, report)
            if theorem is not None:
                outputs.add(item, theorem)
    finally:
        outputs.close()
    return report


def _record(item: Item, report: ImportReport) -> DojoTheorem | None:
    if isinstance(item.data, _Unreadable):
        report.skipped_records.add("not JSON", f"{item.where} ({item.data.why[:80]})")
        return None
    try:
        return DojoTheorem.from_json(item.data)
    except BadRecord as bad:
        name = item.data.get("full_name") if isinstance(item.data, dict) else None
        where = f"{item.where} {name}" if isinstance(name, str) else item.where
        report.skipped_records.add(bad.reason, where + (f" ({bad.detail})" if bad.detail else ""))
        return None

"""``export``: feedback records to a dataset directory, written whole or not at all.

Rows are streamed to one file per view and split inside a temporary directory next to
the destination; only a complete export (files, dataset card, manifest) is renamed into
place, so a directory at the destination is never a partial one.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prover.core.prompt import DEFAULT_TEMPLATE
from prover.core.records import normalize_state
from prover.data.sources import ExportError, Filters, Record, Source, Tally, select
from prover.data.views import SPLITS, Row, Splitter, View, emit_all, make_view
from prover.data.writers import FORMATS, SplitWriter, check_format, dataset_card, open_writer
from prover.data.writers import sha256 as file_sha256

MANIFEST = "manifest.json"
CARD = "README.md"
EVERYTHING = Filters()  # no condition: the default of the functions below


@dataclass
class Manifest:
    """What an export holds; saved as ``manifest.json`` beside the data."""

    views: dict[str, str]  # view -> format
    seed: int
    ratios: tuple[float, float, float]
    progress: bool
    source: str
    filters: dict[str, Any]
    records: dict[str, int]
    counts: dict[str, dict[str, int]]  # view -> split -> rows
    theorems: dict[str, int]  # split -> theorems among the selected records
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> sha256, bytes
    prompt_template: str = DEFAULT_TEMPLATE
    created_at: float = field(default_factory=lambda: round(time.time(), 3))
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["path"]
        data["ratios"] = list(self.ratios)
        return data

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        try:
            data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            data["ratios"] = tuple(data["ratios"])
            return cls(**data, path=directory)
        except (OSError, ValueError, TypeError, KeyError) as err:
            raise ExportError(f"{directory} is not a prover export ({MANIFEST}: {err})") from None

    def data_file(self, view: str, split: str) -> Path | None:
        """The file holding one view's split, or None when that split is empty."""
        if self.path is None or view not in self.views:
            return None
        path = self.path / view / f"{split}.{FORMATS[self.views[view]]}"
        return path if path.exists() else None


def plan_formats(views: Sequence[str], fmt: str | None) -> dict[str, str]:
    """The format of each view: ``fmt``, else JSONL (LeanDojo's own JSON arrays for leandojo)."""
    if not views:
        raise ExportError("no view asked for")
    plan: dict[str, str] = {}
    for view in views:
        make_view(view, Splitter(), False)  # unknown names fail here, before any work
        plan[view] = fmt or ("json" if view == "leandojo" else "jsonl")
        check_format(view, plan[view])
    return plan


def stream_rows(
    source: Source,
    views: Sequence[str],
    filters: Filters = EVERYTHING,
    splitter: Splitter | None = None,
    progress: bool = False,
    tally: Tally | None = None,
    template: str = DEFAULT_TEMPLATE,
) -> Iterator[tuple[str, str, Row]]:
    """``(view, split, row)`` for the selected records, in one streaming pass; prompts are
    rendered with ``template``."""
    splitter = splitter or Splitter()
    built: list[View] = [make_view(v, splitter, progress, template) for v in views]
    return emit_all(built, select(source, filters, tally or Tally()))


def export(
    source: Source,
    dest: Path,
    views: Sequence[str] = ("sft",),
    fmt: str | None = None,
    filters: Filters = EVERYTHING,
    seed: int = 0,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    progress: bool = False,
    overwrite: bool = False,
    template: str = DEFAULT_TEMPLATE,
) -> Manifest:
    """Write the asked views of ``source`` to ``dest``; raises ``ExportError`` for bad input,
    an unwritable destination, or an empty selection (and then leaves nothing behind).
    Prompts are rendered with ``template``, which the manifest records for training."""
    if "{state}" not in template:
        raise ExportError(f"the prompt template {template!r} has no {{state}}")
    plan = plan_formats(views, fmt)
    splitter = Splitter(seed, ratios)
    dest = dest.expanduser().absolute()
    created = _prepare(dest, overwrite)
    tmp = _temp_dir(dest)
    try:
        manifest = Manifest(
            views=plan,
            seed=seed,
            ratios=ratios,
            progress=progress,
            source=source.describe(),
            filters=filters.to_dict(),
            records={},
            counts={v: dict.fromkeys(SPLITS, 0) for v in plan},
            theorems={},
            prompt_template=template,
        )
        _write(source, tmp, manifest, filters, splitter)
        _finish(tmp, manifest)
        _replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(dest.parent, created)
        raise
    manifest.path = dest
    return manifest


def _write(
    source: Source, tmp: Path, manifest: Manifest, filters: Filters, splitter: Splitter
) -> None:
    tally = Tally()
    theorems: dict[str, set[str]] = {s: set() for s in SPLITS}
    records = _noting_theorems(select(source, filters, tally), splitter, theorems)
    views = [
        make_view(v, splitter, manifest.progress, manifest.prompt_template) for v in manifest.views
    ]
    writers: dict[tuple[str, str], SplitWriter] = {}
    try:
        for view, split, row in emit_all(views, records):
            if (view, split) not in writers:
                path = tmp / view / f"{split}.{FORMATS[manifest.views[view]]}"
                writers[view, split] = open_writer(path, view, manifest.views[view])
            writers[view, split].write(row)
    finally:
        for writer in writers.values():
            writer.close()
    for (view, split), writer in writers.items():
        manifest.counts[view][split] = writer.rows
    manifest.records = asdict(tally)
    manifest.theorems = {s: len(names) for s, names in theorems.items()}
    _check_not_empty(manifest, tally)


def _noting_theorems(
    records: Iterable[Record], splitter: Splitter, theorems: dict[str, set[str]]
) -> Iterator[Record]:
    for record in records:
        theorems[splitter.split(record.statement)].add(normalize_state(record.statement))
        yield record


def _check_not_empty(manifest: Manifest, tally: Tally) -> None:
    if tally.selected == 0:
        raise ExportError(
            f"no feedback record matches (read {tally.read}, {tally.duplicates} duplicates, "
            f"{tally.malformed} unreadable) in {manifest.source}"
        )
    for view, per_split in manifest.counts.items():
        if sum(per_split.values()) == 0:
            hint = " (--progress adds steps that made progress)" if view == "sft" else ""
            raise ExportError(
                f"the {view} view is empty: none of the {tally.selected} records selected "
                f"gives a row{hint}"
            )


def _finish(tmp: Path, manifest: Manifest) -> None:
    """The dataset card, then the manifest with the sha256 of every other file."""
    suffixes = {v: FORMATS[f] for v, f in manifest.views.items()}
    files = {
        view: {
            split: f"{view}/{split}.{suffixes[view]}"
            for split in SPLITS
            if (tmp / view / f"{split}.{suffixes[view]}").exists()
        }
        for view in manifest.views
    }
    (tmp / CARD).write_text(
        dataset_card(files, manifest.counts, manifest.prompt_template), encoding="utf-8"
    )
    for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
        name = path.relative_to(tmp).as_posix()
        manifest.files[name] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    text = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False)
    (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")


def _prepare(dest: Path, overwrite: bool) -> Path | None:
    """Check the destination; create missing parents. Returns the first one created."""
    if dest.exists() and not dest.is_dir():
        raise ExportError(f"{dest} exists and is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not overwrite:
        raise ExportError(f"{dest} exists and is not empty (--overwrite replaces it)")
    missing = next((p for p in reversed(dest.parents) if not p.exists()), None)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"cannot write to {dest.parent}: {err.strerror or err}") from None
    return missing


def _temp_dir(dest: Path) -> Path:
    # Next to the destination, so the final rename stays on one file system.
    tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
    except OSError as err:
        raise ExportError(f"cannot write to {dest.parent}: {err.strerror or err}") from None
    return tmp


def _replace(tmp: Path, dest: Path) -> None:
    if not dest.exists():
        tmp.rename(dest)
        return
    old = dest.parent / f".{dest.name}.old-{uuid.uuid4().hex[:8]}"
    dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def _remove_empty(directory: Path, created: Path | None) -> None:
    """Remove the (empty) parents this export created, up to the first of them."""
    if created is None:
        return
    for path in [directory, *directory.parents]:
        try:
            path.rmdir()
        except OSError:
            return
        if path == created:
            return

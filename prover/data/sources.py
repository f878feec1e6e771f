"""Where feedback records come from (JSONL files or the Redis stream), and which are kept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from prover.core.records import FEEDBACK_SCHEMA, FeedbackRecord
from prover.core.theorem import InputError
from prover.core.verdicts import STATUSES
from prover.queue.keys import Keys

if TYPE_CHECKING:
    from redis import Redis

Record = FeedbackRecord


class ExportError(InputError):
    """A bad export or training request; the CLI prints it and exits with status 2."""


def parse_time(text: str) -> float:
    """Epoch seconds, or an ISO date or date-time (UTC unless it names a zone)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ExportError(f"not a time: {text!r} (ISO date like 2025-06-01, or epoch)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True)
class Filters:
    """Which records are exported; an empty set means no condition on that field."""

    since: float | None = None
    until: float | None = None
    jobs: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()
    verdicts: frozenset[str] = frozenset()
    models: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(self.verdicts - STATUSES)
        if unknown:
            raise ExportError(f"unknown verdict {unknown[0]!r}; one of {sorted(STATUSES)}")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ExportError("--since must be before --until")

    def keep(self, record: Record) -> bool:
        at = record.recorded_at
        if (self.since is not None and at < self.since) or (
            self.until is not None and at >= self.until
        ):
            return False
        checks = (
            (self.jobs, record.job),
            (self.labels, record.label),
            (self.verdicts, record.verdict),
            (self.models, record.model),
        )
        return all(not wanted or value in wanted for wanted, value in checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "jobs": sorted(self.jobs),
            "labels": sorted(self.labels),
            "verdicts": sorted(self.verdicts),
            "models": sorted(self.models),
        }


class Source(Protocol):
    """Yields records one at a time; counts what it could not read."""

    malformed: int

    def records(self) -> Iterator[Record]: ...

    def describe(self) -> str: ...


def parse_record(text: str) -> Record | None:
    """One record from its JSON text, or None when it is not one: a torn last line, a
    missing field or one of the wrong type (strictly: no string read as a number), or a
    ``schema`` newer than this reader's."""
    try:
        record = FeedbackRecord.model_validate_json(text, strict=True)
    except ValidationError:
        return None
    return record if record.schema_version <= FEEDBACK_SCHEMA else None


@dataclass
class DirectorySource:
    """The ``feedback-*.jsonl`` files of a directory, oldest name first."""

    directory: Path
    malformed: int = field(default=0, init=False)

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            raise ExportError(f"no feedback directory at {self.directory}")
        files = sorted(self.directory.glob("feedback-*.jsonl"))
        if not files:
            raise ExportError(f"no feedback-*.jsonl files in {self.directory}")
        return files

    def records(self) -> Iterator[Record]:
        for path in self.files():
            with path.open(encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    if not line.strip():
                        continue
                    record = parse_record(line)
                    if record is None:
                        self.malformed += 1
                    else:
                        yield record

    def describe(self) -> str:
        return str(self.directory)


@dataclass
class RedisSource:
    """The feedback stream itself, read with XRANGE a page at a time."""

    url: str
    prefix: str = "prover"
    page: int = 1000
    client: Redis | None = None  # an open connection (the API's), else one to ``url``
    malformed: int = field(default=0, init=False)

    def records(self) -> Iterator[Record]:
        from prover.queue.connect import connect  # redis only when read from

        redis, key = self.client or connect(self.url), Keys(self.prefix).feedback
        start = "-"
        while True:
            entries = redis.xrange(key, start, "+", count=self.page)
            for _, fields in entries:
                record = parse_record(fields.get("record", ""))
                if record is None:
                    self.malformed += 1
                else:
                    yield record
            if len(entries) < self.page:
                return
            start = "(" + entries[-1][0]  # exclusive: the next page starts after the last id

    def describe(self) -> str:
        return f"redis {Keys(self.prefix).feedback}"


@dataclass
class Tally:
    """What happened to the records read."""

    read: int = 0
    malformed: int = 0
    duplicates: int = 0
    selected: int = 0


def select(source: Source, filters: Filters, tally: Tally) -> Iterator[Record]:
    """Records that pass the filters, each ``id`` once (a crash may have written it twice)."""
    seen: set[str] = set()
    for record in source.records():
        tally.read += 1
        if record.id in seen:
            tally.duplicates += 1
            continue
        seen.add(record.id)
        if filters.keep(record):
            tally.selected += 1
            yield record
    tally.malformed = source.malformed

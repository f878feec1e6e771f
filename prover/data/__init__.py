"""Feedback records as training data: sources, filters, views, and the export itself."""

from prover.data.export import MANIFEST, Manifest, export, plan_formats, stream_rows
from prover.data.sources import (
    DirectorySource,
    ExportError,
    Filters,
    RedisSource,
    Source,
    Tally,
    parse_time,
)
from prover.data.views import SPLITS, VIEWS, Splitter
from prover.data.writers import FORMATS

__all__ = [
    "FORMATS",
    "MANIFEST",
    "SPLITS",
    "VIEWS",
    "DirectorySource",
    "ExportError",
    "Filters",
    "Manifest",
    "RedisSource",
    "Source",
    "Splitter",
    "Tally",
    "export",
    "parse_time",
    "plan_formats",
    "stream_rows",
]

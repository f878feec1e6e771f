"""Best-first proof search: per-job steps over Redis, coordinators, and a local runner."""

from prover.core.jobs import Budget
from prover.search.best_first import normalize_state

__all__ = ["Budget", "normalize_state"]

"""Proof search: best-first over proof states, coupling a generator and the verifier."""

from prover.search.best_first import Budget, SearchResult, best_first_search

__all__ = ["Budget", "SearchResult", "best_first_search"]

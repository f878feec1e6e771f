"""Best-first search with the symbolic proposer and the real embedded Lean."""

from __future__ import annotations

from pathlib import Path

import pytest

from prover.generate.symbolic import SymbolicProposer, definitions_in
from prover.lean.files import theorems_from_file
from prover.lean.theorem import Theorem
from prover.lean.verifier import Verifier
from prover.search import Budget, best_first_search
from prover.search.best_first import normalize_state

THEOREMS = Path(__file__).resolve().parent.parent / "lean" / "theorems" / "core_graded.lean"


def _theorem(name: str) -> Theorem:
    theorems = theorems_from_file(THEOREMS.read_bytes(), 100_000)
    return next(a.theorem for a in theorems if a.theorem.name == name)


def test_identical_states_are_one_state() -> None:
    assert normalize_state("n : Nat\n⊢  0 + n\n    = n") == normalize_state("n : Nat ⊢ 0 + n = n")


@pytest.mark.lean
def test_a_multi_step_proof_is_found_and_confirmed(verifier: Verifier) -> None:
    """Induction, then a simplification for each case: no single tactic proves it."""
    theorem = _theorem("l4_rev_length")
    generator = SymbolicProposer(definitions_in(theorem.preamble))
    events: list[str] = []
    result = best_first_search(
        theorem, generator, verifier, Budget(max_expansions=20), lambda k, _: events.append(k)
    )
    assert result.status == "proved", result.reason
    assert len(result.tactics) >= 2 and result.tactics[0].startswith("induction")
    assert result.proof is not None and result.proof.startswith("by\n")
    assert events[-1] == "finished" and "unconfirmed" not in events
    keys = [normalize_state(n.state) for n in result.tree]
    assert len(keys) == len(set(keys))  # each state expanded at most once


@pytest.mark.lean
def test_budget_stops_a_hopeless_search(verifier: Verifier) -> None:
    theorem = _theorem("l4_sumTo_formula")
    result = best_first_search(theorem, SymbolicProposer(), verifier, Budget(max_expansions=1))
    assert result.status == "exhausted"
    assert "expansion budget (1) spent" in result.reason
    assert result.expansions == 1 and result.verifier_calls > 1


@pytest.mark.lean
def test_a_statement_that_does_not_elaborate_is_an_error(verifier: Verifier) -> None:
    theorem = Theorem.parse("theorem bad : no_such_thing = 1")
    result = best_first_search(theorem, SymbolicProposer(), verifier, Budget(max_expansions=1))
    assert result.status == "error" and "does not elaborate" in result.reason

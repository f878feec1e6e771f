"""Generators: the shared post-processing and the symbolic proposer (no Lean needed)."""

from __future__ import annotations

from prover.generate import Generator, Proposal, SymbolicProposer, clean_tactics


def test_clean_tactics_keeps_one_safe_line_each() -> None:
    raw = [
        Proposal(-1.0, "  simp  "),
        Proposal(-0.5, "simp"),
        Proposal(-0.1, ""),
        Proposal(-0.2, "omega\ntheorem x : False := sorry"),
        Proposal(-0.3, "sorry"),
        Proposal(-0.4, "x" * 500),
        Proposal(-2.0, "decide"),
    ]
    assert clean_tactics(raw, 5) == [Proposal(-0.5, "simp"), Proposal(-2.0, "decide")]
    assert clean_tactics(raw, 1) == [Proposal(-0.5, "simp")]


def _tactics(state: str, n: int = 50, definitions: tuple[str, ...] = ()) -> list[str]:
    generator: Generator = SymbolicProposer(definitions)
    proposals = generator.propose(state, n)
    assert proposals == sorted(proposals, reverse=True)
    assert all(p.score <= 0 for p in proposals)
    return [p.tactic for p in proposals]


def test_induction_on_a_natural_number() -> None:
    tactics = _tactics("n : Nat\n⊢ 0 + n = n")
    assert {"omega", "simp", "induction n", "induction n <;> simp_all"} <= set(tactics)


def test_intro_uses_the_binder_names() -> None:
    assert "intro a b" in _tactics("⊢ ∀ (a b : Nat), a + b = b + a")
    assert "intro h1" in _tactics("h : p\n⊢ q → p")


def test_a_matching_hypothesis_comes_first() -> None:
    assert _tactics("p q : Prop\nhp : p\n⊢ p")[0] == "exact hp"


def test_conjunctions_are_split() -> None:
    tactics = _tactics("a : Nat\nh : a > 2 ∧ a < 5\n⊢ a ≠ 0 ∧ a ≠ 7")
    assert {"constructor", "cases h", "constructor <;> omega"} <= set(tactics)


def test_definitions_in_the_goal_are_unfolded() -> None:
    tactics = _tactics("n : Nat\n⊢ double n = 2 * n", definitions=("double", "triple"))
    assert {"simp [double]", "unfold double"} <= set(tactics)
    assert not any("triple" in t for t in tactics)


def test_no_goal_no_proposal() -> None:
    assert SymbolicProposer().propose("", 8) == []

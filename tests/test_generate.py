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


def test_decide_is_not_proposed_for_a_goal_with_free_variables() -> None:
    assert "decide" not in _tactics("n : Nat\n⊢ n + 0 = n")
    assert "decide" in _tactics("⊢ 100 % 7 = 2")


def test_a_modulus_in_the_goal_gives_a_residue_case_split() -> None:
    tactics = _tactics("n : Nat\n⊢ n * n % 3 = 0 ∨ n * n % 3 = 1")
    split = "rcases (by omega : n % 3 = 0 ∨ n % 3 = 1 ∨ n % 3 = 2) with hr | hr | hr"
    assert split in tactics
    assert any(t.startswith(f"{split} <;> simp [") and "Nat.mul_mod" in t for t in tactics)
    ints = _tactics("x : Int\n⊢ 4 ∣ x ^ 2 ∨ x ^ 2 % 4 = 1")
    assert any("x % 4 = 3" in t and "Int.mul_emod" in t for t in ints)


def test_slow_searches_are_kept_for_states_they_can_close() -> None:
    assert "exact?" in _tactics("n : Nat\nh : n * n = 49\n⊢ n = 7")
    assert "exact?" not in _tactics("n✝ : Nat\na✝ : n✝ + 1 ≤ 2 ^ n✝\n⊢ n✝ + 2 ≤ 2 ^ (n✝ + 1)")
    two = "case succ\nn : Nat\n⊢ (n + 1) * (n + 1) % 3 = 1\n\ncase zero\n⊢ 0 % 3 = 0"
    assert "exact?" not in _tactics(two)
    assert not any(t.startswith("rcases (by omega") for t in _tactics(two))
    alone = _tactics(two.split("\n\n")[0])
    assert "exact?" in alone and any(t.startswith("rcases (by omega") for t in alone)


def test_a_squared_variable_is_bounded_then_enumerated() -> None:
    bound = _tactics("n : Nat\nh : n * n = 49\n⊢ n = 7")
    assert any(t.startswith("have hn : n ≤ 7 := ") and "Nat.mul_le_mul" in t for t in bound)
    cubes = _tactics("n : Nat\nh : n ^ 3 < 30\n⊢ n ≤ 3")
    assert any(t.startswith("have hn : n ≤ 3 := ") and "Nat.pow_le_pow_left" in t for t in cubes)
    assert "have ha : a ≤ 10 := by omega" in _tactics("a b : Nat\nh : a + b = 10\n⊢ a * b ≤ 25")
    assert not any(t.startswith("have") for t in _tactics("a b : Nat\nh : a + b = 99\n⊢ a ≤ b"))
    for hypothesis in ("a - b = 9", "a + b = 9 ∧ b = 1", "min a b + 1 = 5", "↑a + b = 5"):
        assert not any(
            t.startswith("have") for t in _tactics(f"a b : Nat\nh : {hypothesis}\n⊢ a ≤ b")
        )
    product = "have ha : a ≤ 7 := Nat.le_of_dvd (by decide) (h ▸ Nat.dvd_mul_right a b)"
    assert product in _tactics("a b : Nat\nh : a * b = 7\n⊢ a = 7")
    cases = _tactics("n : Nat\nhn : n ≤ 2\nh : n * n = 4\n⊢ n = 2")
    assert "rcases n with _ | _ | _ | n <;> first | omega | simp_all | decide" in cases


def test_products_are_compared_with_mul_le_mul() -> None:
    tactics = _tactics("a b : Nat\nh : a ≤ b\n⊢ a * a ≤ b * b")
    assert {
        "exact Nat.mul_le_mul (by omega) (by omega)",
        "have := Nat.mul_le_mul h h; omega",
    } <= set(tactics)
    assert "have := Nat.mul_le_mul_right n h; omega" in _tactics(
        "n : Nat\nh : 3 ≤ n\n⊢ 2 * n + 1 < n * n"
    )


def test_induction_generalizes_the_other_variables() -> None:
    tactics = _tactics("n m : Nat\nh : m ≤ n\n⊢ m + n ≤ 2 * n")
    assert "induction n generalizing m" in tactics


def test_a_power_of_a_numeral_is_followed_through_its_cycle() -> None:
    tactics = _tactics("n : Nat\nh : 13 ∣ 3 ^ n - 1\n⊢ 3 ∣ n")
    claim = (
        "(k % 3 = 0 → 3 ^ k % 13 = 1) ∧ (k % 3 = 1 → 3 ^ k % 13 = 3) ∧ (k % 3 = 2 → 3 ^ k % 13 = 9)"
    )
    assert any(t.startswith(f"have hc := (show ∀ k : Nat, {claim} by") for t in tactics)
    assert "generalize 3 ^ n = t at *; omega" in tactics  # the step after the `have` alone
    ones = _tactics("n : Nat\n⊢ 8 ∣ 9 ^ n - 1")
    assert any(
        "9 ^ k % 8 = 1 by" in t and t.endswith("generalize 9 ^ n = t at *; omega") for t in ones
    )
    # A modulus with no cycle is passed over for one that has one.
    mixed = _tactics("n : Nat\nh : n % 2 = 0\n⊢ ¬7 ∣ 4 ^ n + 1")
    assert any(t.startswith("have hc") and "4 ^ k % 7 = 2" in t for t in mixed)
    for state in (
        "n : Nat\n⊢ 4 ∣ 2 ^ n + 4",  # not prime to the modulus: no cycle through 1
        "n : Nat\n⊢ 23 ∣ 5 ^ n + 1",  # a cycle too long to state
        "n : Nat\n⊢ 7 ∣ 2 ^ n ^ 2 + 1",  # `2 ^ (n ^ 2)`, not `2 ^ n`
        "n : Nat\nx : Int\n⊢ 7 ∣ 2 ^ n + x",  # `2 ^ n` may be an integer
    ):
        assert not any(t.startswith(("have hc", "generalize")) for t in _tactics(state)), state


def test_given_residues_reduce_the_target() -> None:
    ints = _tactics("x y : Int\nhx : x % 19 = 4\nhy : y % 19 = 7\n⊢ (x + y ^ 2) % 19 = 15")
    assert (
        "simp [Int.dvd_iff_emod_eq_zero, Int.add_emod, Int.mul_emod, Int.pow_succ, hx, hy]" in ints
    )
    nats = _tactics("a : Nat\nha : a % 11 = 3\n⊢ 11 ∣ a ^ 2 + 2")
    assert "simp [Nat.dvd_iff_mod_eq_zero, Nat.add_mod, Nat.mul_mod, Nat.pow_mod, ha]" in nats
    for state in (
        "x : Int\nhx : x % 19 = 4\n⊢ x % 7 = 1",
        "a : Nat\nx : Int\nha : a % 5 = 1\n⊢ (↑a + x) % 5 = 1",
    ):
        assert not any(t.startswith("simp [") for t in _tactics(state)), state


def test_conjuncts_are_named_and_two_bounded_variables_enumerated_together() -> None:
    state = "a b : Nat\nh₀ : 1 ≤ a ∧ a ≤ 2 ∧ b < 2\nh : (10 * a + b) ^ 2 = 441\n⊢ a + b = 3"
    assert "obtain ⟨h1, h2, h3⟩ := h₀" in _tactics(state)
    witness = "a b : Nat\nh : a = 1 ∧ ∃ x, x = a ∧ x = b\n⊢ a = b"
    assert "obtain ⟨h1, h2⟩ := h" in _tactics(witness)
    for hypothesis in ("p ∧ q ∨ r", "¬(p ∧ q)", "p ∧ q → r", "∃ x : Nat, p ∧ x = 1"):
        tactics = _tactics(f"p q r : Prop\nh : {hypothesis}\n⊢ r")
        assert not any(t.startswith("obtain") for t in tactics), hypothesis
    named = "a b : Nat\nh1 : 1 ≤ a\nh2 : a ≤ 2\nh3 : b < 2\nh : (10 * a + b) ^ 2 = 441\n⊢ a + b = 3"
    both = "rcases a with _ | _ | _ | a <;> rcases b with _ | _ | b"
    assert f"{both} <;> first | omega | simp_all | decide" in _tactics(named)
    inaccessible = "a : Nat\na✝ : a ≤ 2\nh : a * a = 4\n⊢ a = 2"
    assert "rcases a with _ | _ | _ | a <;> first | omega | simp_all | decide" in _tactics(
        inaccessible
    )
    wide = "a b : Nat\nha : a ≤ 12\nhb : b ≤ 12\nh : a * b = 30\n⊢ a + b ≤ 13"
    assert not any(t.count("rcases") == 2 for t in _tactics(wide))  # 196 cases: too many

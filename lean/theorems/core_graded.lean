-- A public theorem set for `prover bench search`: core Lean only (no Mathlib), in
-- graded difficulty. Level 1: one closing tactic. Level 2: intro/constructor/cases,
-- then close. Level 3: induction, then simplification. Level 4: definitions of the
-- preamble, several steps. Proofs are `sorry`; the bench proves them.

noncomputable section
def double (n : Nat) : Nat := n + n
def sumTo : Nat → Nat
  | 0 => 0
  | n + 1 => sumTo n + (n + 1)
def rev : List Nat → List Nat
  | [] => []
  | x :: xs => rev xs ++ [x]
def count (p : Nat → Bool) : List Nat → Nat
  | [] => 0
  | x :: xs => (if p x then 1 else 0) + count p xs
def evenB : Nat → Bool
  | 0 => true
  | 1 => false
  | n + 2 => evenB n
end

-- Level 1
theorem l1_add_comm (a b : Nat) : a + b = b + a := by sorry
theorem l1_add_zero (n : Nat) : n + 0 = n := by sorry
theorem l1_mul_one (n : Nat) : n * 1 = n := by sorry
theorem l1_lt_succ (n : Nat) : n < n + 1 := by sorry
theorem l1_arith : 12 * 12 = 144 := by sorry
theorem l1_dvd : (6 : Nat) ∣ 42 := by sorry
theorem l1_mod : 100 % 7 = 2 := by sorry
theorem l1_le_trans (a b c : Nat) (h₁ : a ≤ b) (h₂ : b ≤ c) : a ≤ c := by sorry
theorem l1_sub_self (n : Nat) : n - n = 0 := by sorry
theorem l1_int_neg (x : Int) : x + -x = 0 := by sorry
theorem l1_and_self (p : Prop) (hp : p) : p ∧ p := by sorry
theorem l1_list_length (xs : List Nat) : (xs ++ []).length = xs.length := by sorry
theorem l1_two_mul (n : Nat) : 2 * n = n + n := by sorry
theorem l1_max (a b : Nat) : a ≤ max a b := by sorry
theorem l1_linear (x : Nat) (h : 3 * x + 2 = 11) : x = 3 := by sorry

-- Level 2
theorem l2_imp_refl (p : Prop) : p → p := by sorry
theorem l2_and_swap (p q : Prop) : p ∧ q → q ∧ p := by sorry
theorem l2_or_swap (p q : Prop) : p ∨ q → q ∨ p := by sorry
theorem l2_forall_add (m : Nat) : ∀ n : Nat, n + m = m + n := by sorry
theorem l2_exists_succ (n : Nat) : ∃ m, m = n + 1 := by sorry
theorem l2_iff_comm (p q : Prop) : (p ∧ q) ↔ (q ∧ p) := by sorry
theorem l2_bounds (x : Nat) (h : x > 2 ∧ x < 5) : x ≠ 0 ∧ x ≠ 7 := by sorry
theorem l2_cases_or (x : Nat) (h : x = 1 ∨ x = 2) : x < 3 := by sorry
theorem l2_not_lt (n : Nat) : ¬ (n < n) := by sorry
theorem l2_mod_two (n : Nat) : n % 2 = 0 ∨ n % 2 = 1 := by sorry
theorem l2_nat_cases (n : Nat) (h : n ≠ 0) : ∃ k, n = k + 1 := by sorry
theorem l2_int_abs (x : Int) (h : 0 ≤ x) : (x.natAbs : Int) = x := by sorry
theorem l2_imp_trans (p q r : Prop) (hpq : p → q) (hqr : q → r) : p → r := by sorry
theorem l2_bool (b : Bool) : (b && true) = b := by sorry
theorem l2_min_le (a b : Nat) : min a b ≤ a ∧ min a b ≤ b := by sorry

-- Level 3
theorem l3_zero_add (n : Nat) : 0 + n = n := by sorry
theorem l3_succ_add (a b : Nat) : (a + 1) + b = (a + b) + 1 := by sorry
theorem l3_length_append (xs ys : List Nat) : (xs ++ ys).length = xs.length + ys.length := by sorry
theorem l3_map_id (xs : List Nat) : xs.map (fun x => x) = xs := by sorry
theorem l3_append_nil (xs : List Nat) : xs ++ [] = xs := by sorry
theorem l3_append_assoc (xs ys zs : List Nat) : (xs ++ ys) ++ zs = xs ++ (ys ++ zs) := by sorry
theorem l3_pow_pos (n : Nat) : 0 < 2 ^ n := by sorry
theorem l3_mul_comm (a b : Nat) : a * b = b * a := by sorry
theorem l3_length_map (xs : List Nat) (f : Nat → Nat) : (xs.map f).length = xs.length := by sorry
theorem l3_reverse_length (xs : List Nat) : xs.reverse.length = xs.length := by sorry

-- Level 4
theorem l4_double_two : double 2 = 4 := by sorry
theorem l4_double_eq (n : Nat) : double n = 2 * n := by sorry
theorem l4_double_even (n : Nat) : double n % 2 = 0 := by sorry
theorem l4_sumTo_three : sumTo 3 = 6 := by sorry
theorem l4_sumTo_ge (n : Nat) : n ≤ sumTo n := by sorry
theorem l4_sumTo_formula (n : Nat) : 2 * sumTo n = n * (n + 1) := by sorry
theorem l4_rev_nil : rev [] = [] := by sorry
theorem l4_rev_single (x : Nat) : rev [x] = [x] := by sorry
theorem l4_rev_length (xs : List Nat) : (rev xs).length = xs.length := by sorry
theorem l4_count_le (p : Nat → Bool) (xs : List Nat) : count p xs ≤ xs.length := by sorry
theorem l4_count_append (p : Nat → Bool) (xs ys : List Nat) :
    count p (xs ++ ys) = count p xs + count p ys := by sorry
theorem l4_evenB_four : evenB 4 = true := by sorry
theorem l4_evenB_double (n : Nat) : evenB (double n) = true := by sorry
theorem l4_rev_append (xs ys : List Nat) : rev (xs ++ ys) = rev ys ++ rev xs := by sorry

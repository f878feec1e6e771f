-- A development set for the search heuristics: competition-style algebra and number
-- theory in core Lean (no Mathlib), written for this project (not taken from miniF2F):
-- residues, divisibility, small nonlinear (in)equalities, finite enumeration,
-- recurrences. Every statement was checked true by a proof in Lean (in
-- lean/competition_dev_proofs.lean); proofs here are `sorry`, the bench proves them.
-- The last five (from dev_pow_period_11) were added with the proposer families they
-- exercise (power cycles, given residues, two digits enumerated), written after reading
-- which miniF2F problems stayed unsolved: they share those problems' shapes.

def fib : Nat → Nat
  | 0 => 0
  | 1 => 1
  | n + 2 => fib n + fib (n + 1)
def seqA : Nat → Nat
  | 0 => 1
  | n + 1 => 2 * seqA n + 1
def sumOdd : Nat → Nat
  | 0 => 0
  | n + 1 => sumOdd n + (2 * n + 1)
def tri : Nat → Nat
  | 0 => 0
  | n + 1 => tri n + (n + 1)

theorem dev_sq_mod3 (n : Nat) : n * n % 3 = 0 ∨ n * n % 3 = 1 := by sorry
theorem dev_sq_mod4 (n : Nat) : n ^ 2 % 4 ≠ 2 := by sorry
theorem dev_cube_mod9 (n : Nat) : n ^ 3 % 9 = 0 ∨ n ^ 3 % 9 = 1 ∨ n ^ 3 % 9 = 8 := by sorry
theorem dev_consec_even (n : Nat) : 2 ∣ n * (n + 1) := by sorry
theorem dev_three_consec (n : Nat) : 6 ∣ n * (n + 1) * (n + 2) := by sorry
theorem dev_sum_sq_mod3 (a b : Nat) (h : 3 ∣ a ^ 2 + b ^ 2) : 3 ∣ a := by sorry
theorem dev_int_sq_mod4 (x : Int) : x ^ 2 % 4 = 0 ∨ x ^ 2 % 4 = 1 := by sorry
theorem dev_fifth_mod5 (n : Nat) : n ^ 5 % 5 = n % 5 := by sorry
theorem dev_pow8_mod7 (n : Nat) : 2 ^ (3 * n) % 7 = 1 := by sorry
theorem dev_dvd_five_pow (n : Nat) : 4 ∣ 5 ^ n + 3 := by sorry
theorem dev_lin_sys (x y : Int) (h₁ : 2 * x + 3 * y = 12) (h₂ : x - y = 1) : x = 3 ∧ y = 2 := by sorry
theorem dev_no_sol (x y : Nat) : 6 * x + 9 * y ≠ 20 := by sorry
theorem dev_digits (a b : Nat) (ha : a < 10) (hb : b < 10) (h : 10 * a + b = 3 * (a + b) + 14) :
    (a = 2 ∧ b = 0) ∨ (a = 4 ∧ b = 7) := by sorry
theorem dev_sq_mono (a b : Nat) (h : a ≤ b) : a * a ≤ b * b := by sorry
theorem dev_amgm (a b : Nat) : 2 * a * b ≤ a * a + b * b := by sorry
theorem dev_sq_49 (n : Nat) (h : n * n = 49) : n = 7 := by sorry
theorem dev_cube_lt (n : Nat) (h : n ^ 3 < 30) : n ≤ 3 := by sorry
theorem dev_prime_seven (a b : Nat) (h : a * b = 7) (ha : 1 < a) : a = 7 := by sorry
theorem dev_lin_lt_sq (n : Nat) (h : 3 ≤ n) : 2 * n + 1 < n * n := by sorry
theorem dev_pow_ge_succ (n : Nat) : n + 1 ≤ 2 ^ n := by sorry
theorem dev_count_mult7 : ((List.range 100).filter (fun n => n % 7 = 0)).length = 15 := by sorry
theorem dev_sum_range : (List.range 11).foldl (· + ·) 0 = 55 := by sorry
theorem dev_exists_pair : ∃ x y : Nat, x * y = 12 ∧ x + y = 7 := by sorry
theorem dev_sq_mod5_bounded : ∀ n < 20, n * n % 5 ≠ 2 := by sorry
theorem dev_crt (n : Nat) (h₁ : n % 3 = 2) (h₂ : n % 5 = 3) : n % 15 = 8 := by sorry
theorem dev_fib_ten : fib 10 = 55 := by sorry
theorem dev_seqA_closed (n : Nat) : seqA n + 1 = 2 ^ (n + 1) := by sorry
theorem dev_fib_pos (n : Nat) (h : 0 < n) : 0 < fib n := by sorry
theorem dev_fib_even3 (n : Nat) : fib (3 * n) % 2 = 0 := by sorry
theorem dev_sumOdd (n : Nat) : sumOdd n = n * n := by sorry
theorem dev_tri_double (n : Nat) : 2 * tri n = n * (n + 1) := by sorry
theorem dev_dvd_weaken (a : Nat) (h : 6 ∣ a) : 3 ∣ a := by sorry
theorem dev_dvd_shift (n : Nat) (h : 7 ∣ 2 * n + 3) : 7 ∣ n + 5 := by sorry
theorem dev_gcd : Nat.gcd 84 120 = 12 := by sorry
theorem dev_natAbs (x : Int) (h : Int.natAbs (x - 3) < 2) : 1 < x := by sorry
theorem dev_parity (m n : Nat) (h : (m + n) % 2 = 1) : m * n % 2 = 0 := by sorry
theorem dev_bool_eq (a b : Bool) : ((a && b) || (!a && !b)) = (a == b) := by sorry
theorem dev_sq_add_one_mod3 (n : Nat) : (n * n + 1) % 3 ≠ 0 := by sorry
theorem dev_int_roots (x y : Int) (h₁ : x + y = 10) (h₂ : x * y = 21) (hx : x < y) : x = 3 := by sorry
theorem dev_odd_sq_mod8 (n : Nat) (h : n % 2 = 1) : n * n % 8 = 1 := by sorry
theorem dev_max_prod (a b : Nat) (h : a + b = 10) : a * b ≤ 25 := by sorry
theorem dev_mod_sum_pow (n : Nat) : (3 ^ n + 1) % 2 = 0 := by sorry
theorem dev_pow_period_11 (n : Nat) (h : 11 ∣ 3 ^ n - 1) : 5 ∣ n := by sorry
theorem dev_pow_cycle_13 (n : Nat) (h : n % 3 = 0) : 13 ∣ 3 ^ n - 1 := by sorry
theorem dev_pow_not_dvd (n : Nat) : ¬5 ∣ 4 ^ n + 2 := by sorry
theorem dev_known_residues (a b : Nat) (ha : a % 11 = 3) (hb : b % 11 = 5) :
    (a * b + a ^ 2) % 11 = 2 := by sorry
theorem dev_two_digit_square (a b : Nat) (h₀ : 1 ≤ a ∧ a ≤ 9 ∧ b ≤ 9)
    (h : (10 * a + b) ^ 2 = 2809) : a = 5 := by sorry

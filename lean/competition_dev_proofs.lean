-- Proofs of lean/theorems/competition_dev.lean, checked with `prover check` (every one
-- `proved`): each statement there is true.

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

theorem dev_sq_mod3 (n : Nat) : n * n % 3 = 0 ∨ n * n % 3 = 1 := by
  have h : n % 3 = 0 ∨ n % 3 = 1 ∨ n % 3 = 2 := by omega
  rcases h with h | h | h <;> simp [Nat.mul_mod, h]
theorem dev_sq_mod4 (n : Nat) : n ^ 2 % 4 ≠ 2 := by
  have h : n % 4 = 0 ∨ n % 4 = 1 ∨ n % 4 = 2 ∨ n % 4 = 3 := by omega
  rcases h with h | h | h | h <;> simp [Nat.pow_mod, h]
theorem dev_cube_mod9 (n : Nat) : n ^ 3 % 9 = 0 ∨ n ^ 3 % 9 = 1 ∨ n ^ 3 % 9 = 8 := by
  have h : n % 9 < 9 := Nat.mod_lt _ (by omega)
  have key : ∀ r < 9, r ^ 3 % 9 = 0 ∨ r ^ 3 % 9 = 1 ∨ r ^ 3 % 9 = 8 := by decide
  rw [Nat.pow_mod]; exact key _ h
theorem dev_consec_even (n : Nat) : 2 ∣ n * (n + 1) := by
  have h : n % 2 = 0 ∨ n % 2 = 1 := by omega
  rcases h with h | h <;> simp [Nat.dvd_iff_mod_eq_zero, Nat.mul_mod, Nat.add_mod, h]
theorem dev_three_consec (n : Nat) : 6 ∣ n * (n + 1) * (n + 2) := by
  rcases (by omega : n % 6 = 0 ∨ n % 6 = 1 ∨ n % 6 = 2 ∨ n % 6 = 3 ∨ n % 6 = 4 ∨ n % 6 = 5) with hr | hr | hr | hr | hr | hr <;> simp [Nat.dvd_iff_mod_eq_zero, Nat.add_mod, Nat.mul_mod, Nat.pow_mod, hr]
theorem dev_sum_sq_mod3 (a b : Nat) (h : 3 ∣ a ^ 2 + b ^ 2) : 3 ∣ a := by
  have ha : a % 3 = 0 ∨ a % 3 = 1 ∨ a % 3 = 2 := by omega
  have hb : b % 3 = 0 ∨ b % 3 = 1 ∨ b % 3 = 2 := by omega
  rw [Nat.dvd_iff_mod_eq_zero] at *
  rw [Nat.add_mod, Nat.pow_mod, Nat.pow_mod b] at h
  rcases ha with ha | ha | ha <;> rcases hb with hb | hb | hb <;> simp_all
theorem dev_int_sq_mod4 (x : Int) : x ^ 2 % 4 = 0 ∨ x ^ 2 % 4 = 1 := by
  have h : x % 4 = 0 ∨ x % 4 = 1 ∨ x % 4 = 2 ∨ x % 4 = 3 := by omega
  rcases h with h | h | h | h <;> simp [Int.pow_succ, Int.mul_emod, h]
theorem dev_fifth_mod5 (n : Nat) : n ^ 5 % 5 = n % 5 := by
  have h : n % 5 < 5 := Nat.mod_lt _ (by omega)
  have key : ∀ r < 5, r ^ 5 % 5 = r := by decide
  rw [Nat.pow_mod]; exact key _ h
theorem dev_pow8_mod7 (n : Nat) : 2 ^ (3 * n) % 7 = 1 := by
  induction n with
  | zero => rfl
  | succ k ih => rw [Nat.mul_succ, Nat.pow_add, Nat.mul_mod, ih]
theorem dev_dvd_five_pow (n : Nat) : 4 ∣ 5 ^ n + 3 := by
  induction n with
  | zero => decide
  | succ k ih => rw [Nat.pow_succ]; omega
theorem dev_lin_sys (x y : Int) (h₁ : 2 * x + 3 * y = 12) (h₂ : x - y = 1) : x = 3 ∧ y = 2 := by
  omega
theorem dev_no_sol (x y : Nat) : 6 * x + 9 * y ≠ 20 := by omega
theorem dev_digits (a b : Nat) (ha : a < 10) (hb : b < 10) (h : 10 * a + b = 3 * (a + b) + 14) :
    (a = 2 ∧ b = 0) ∨ (a = 4 ∧ b = 7) := by omega
theorem dev_sq_mono (a b : Nat) (h : a ≤ b) : a * a ≤ b * b := Nat.mul_le_mul h h
theorem dev_amgm (a b : Nat) : 2 * a * b ≤ a * a + b * b := by
  rcases Nat.le_total a b with h | h
  · obtain ⟨d, rfl⟩ := Nat.exists_eq_add_of_le h
    simp only [Nat.mul_add, Nat.add_mul, Nat.mul_comm d a, Nat.mul_assoc]; omega
  · obtain ⟨d, rfl⟩ := Nat.exists_eq_add_of_le h
    simp only [Nat.mul_add, Nat.add_mul, Nat.mul_comm d b, Nat.mul_assoc]; omega
theorem dev_sq_49 (n : Nat) (h : n * n = 49) : n = 7 := by
  have hb : n < 8 := by
    apply Nat.lt_of_not_le; intro hn
    have := Nat.mul_le_mul hn hn; omega
  have key : ∀ m < 8, m * m = 49 → m = 7 := by decide
  exact key n hb h
theorem dev_cube_lt (n : Nat) (h : n ^ 3 < 30) : n ≤ 3 := by
  apply Nat.le_of_not_lt; intro hn
  have : 4 ^ 3 ≤ n ^ 3 := Nat.pow_le_pow_left hn 3
  omega
theorem dev_prime_seven (a b : Nat) (h : a * b = 7) (ha : 1 < a) : a = 7 := by
  have hb : a ≤ 7 := by
    have : a ∣ 7 := ⟨b, h.symm⟩
    exact Nat.le_of_dvd (by omega) this
  have key : ∀ x ≤ 7, ∀ y ≤ 7, x * y = 7 → 1 < x → x = 7 := by decide
  have hb' : b ≤ 7 := Nat.le_of_dvd (by omega) ⟨a, by rw [Nat.mul_comm]; exact h.symm⟩
  exact key a hb b hb' h ha
theorem dev_lin_lt_sq (n : Nat) (h : 3 ≤ n) : 2 * n + 1 < n * n := by
  have := Nat.mul_le_mul_right n h; omega
theorem dev_pow_ge_succ (n : Nat) : n + 1 ≤ 2 ^ n := by
  induction n with
  | zero => decide
  | succ k ih => rw [Nat.pow_succ]; omega
theorem dev_count_mult7 : ((List.range 100).filter (fun n => n % 7 = 0)).length = 15 := by decide
theorem dev_sum_range : (List.range 11).foldl (· + ·) 0 = 55 := by decide
theorem dev_exists_pair : ∃ x y : Nat, x * y = 12 ∧ x + y = 7 := ⟨3, 4, by decide, by decide⟩
theorem dev_sq_mod5_bounded : ∀ n < 20, n * n % 5 ≠ 2 := by decide
theorem dev_crt (n : Nat) (h₁ : n % 3 = 2) (h₂ : n % 5 = 3) : n % 15 = 8 := by omega
theorem dev_fib_ten : fib 10 = 55 := by decide
theorem dev_seqA_closed (n : Nat) : seqA n + 1 = 2 ^ (n + 1) := by
  induction n with
  | zero => rfl
  | succ k ih => simp only [seqA, Nat.pow_succ] at *; omega
theorem dev_fib_pos (n : Nat) (h : 0 < n) : 0 < fib n := by
  induction n using Nat.strongRecOn with
  | ind n ih =>
    match n, h with
    | 1, _ => decide
    | 2, _ => decide
    | k + 3, _ =>
      have := ih (k + 2) (by omega) (by omega)
      show 0 < fib (k + 1) + fib (k + 2)
      omega
theorem dev_fib_even3 (n : Nat) : fib (3 * n) % 2 = 0 := by
  induction n with
  | zero => rfl
  | succ k ih =>
    have : 3 * (k + 1) = 3 * k + 1 + 2 := by omega
    rw [this]; simp only [fib]; omega
theorem dev_sumOdd (n : Nat) : sumOdd n = n * n := by
  induction n with
  | zero => rfl
  | succ k ih => simp only [sumOdd, ih, Nat.succ_mul, Nat.mul_succ]; omega
theorem dev_tri_double (n : Nat) : 2 * tri n = n * (n + 1) := by
  induction n with
  | zero => rfl
  | succ k ih => simp only [tri]; grind
theorem dev_dvd_weaken (a : Nat) (h : 6 ∣ a) : 3 ∣ a := by omega
theorem dev_dvd_shift (n : Nat) (h : 7 ∣ 2 * n + 3) : 7 ∣ n + 5 := by omega
theorem dev_gcd : Nat.gcd 84 120 = 12 := by decide
theorem dev_natAbs (x : Int) (h : Int.natAbs (x - 3) < 2) : 1 < x := by omega
theorem dev_parity (m n : Nat) (h : (m + n) % 2 = 1) : m * n % 2 = 0 := by
  have hm : m % 2 = 0 ∨ m % 2 = 1 := by omega
  rcases hm with hm | hm <;> simp [Nat.mul_mod, hm] <;> omega
theorem dev_bool_eq (a b : Bool) : ((a && b) || (!a && !b)) = (a == b) := by
  cases a <;> cases b <;> decide
theorem dev_sq_add_one_mod3 (n : Nat) : (n * n + 1) % 3 ≠ 0 := by
  have h : n % 3 = 0 ∨ n % 3 = 1 ∨ n % 3 = 2 := by omega
  rcases h with h | h | h <;> simp [Nat.add_mod, Nat.mul_mod, h]
theorem dev_int_roots (x y : Int) (h₁ : x + y = 10) (h₂ : x * y = 21) (hx : x < y) : x = 3 := by
  have hy : y = 10 - x := by omega
  subst hy
  have : (x - 3) * (x - 7) = 0 := by grind
  rcases Int.mul_eq_zero.mp this with h | h <;> omega
theorem dev_odd_sq_mod8 (n : Nat) (h : n % 2 = 1) : n * n % 8 = 1 := by
  have h8 : n % 8 = 1 ∨ n % 8 = 3 ∨ n % 8 = 5 ∨ n % 8 = 7 := by omega
  rcases h8 with h8 | h8 | h8 | h8 <;> simp [Nat.mul_mod, h8]
theorem dev_max_prod (a b : Nat) (h : a + b = 10) : a * b ≤ 25 := by
  have ha : a ≤ 10 := by omega
  have key : ∀ x ≤ 10, x * (10 - x) ≤ 25 := by decide
  have hb : b = 10 - a := by omega
  subst hb; exact key a ha
theorem dev_mod_sum_pow (n : Nat) : (3 ^ n + 1) % 2 = 0 := by
  induction n with
  | zero => decide
  | succ k ih => rw [Nat.pow_succ]; omega
theorem dev_pow_period_11 (n : Nat) (h : 11 ∣ 3 ^ n - 1) : 5 ∣ n := by
  have hc : ∀ k : Nat, (k % 5 = 0 → 3 ^ k % 11 = 1) ∧ (k % 5 = 1 → 3 ^ k % 11 = 3) ∧
      (k % 5 = 2 → 3 ^ k % 11 = 9) ∧ (k % 5 = 3 → 3 ^ k % 11 = 5) ∧
      (k % 5 = 4 → 3 ^ k % 11 = 4) := by
    intro k
    induction k with
    | zero => decide
    | succ k ih => rw [Nat.pow_succ]; omega
  have := hc n
  generalize 3 ^ n = t at *
  omega
theorem dev_pow_cycle_13 (n : Nat) (h : n % 3 = 0) : 13 ∣ 3 ^ n - 1 := by
  have hc : ∀ k : Nat, k % 3 = 0 → 3 ^ k % 13 = 1 := by
    intro k hk
    rw [← Nat.div_add_mod k 3, hk, Nat.add_zero, Nat.pow_mul]
    simp [Nat.pow_mod]
  have := hc n h
  generalize 3 ^ n = t at *
  omega
theorem dev_pow_not_dvd (n : Nat) : ¬5 ∣ 4 ^ n + 2 := by
  have hc : ∀ k : Nat, 4 ^ k % 5 = 1 ∨ 4 ^ k % 5 = 4 := by
    intro k
    induction k with
    | zero => decide
    | succ k ih => rw [Nat.pow_succ]; omega
  have := hc n
  generalize 4 ^ n = t at *
  omega
theorem dev_known_residues (a b : Nat) (ha : a % 11 = 3) (hb : b % 11 = 5) :
    (a * b + a ^ 2) % 11 = 2 := by
  rw [Nat.add_mod, Nat.mul_mod, Nat.pow_mod, ha, hb]
theorem dev_two_digit_square (a b : Nat) (h₀ : 1 ≤ a ∧ a ≤ 9 ∧ b ≤ 9)
    (h : (10 * a + b) ^ 2 = 2809) : a = 5 := by
  obtain ⟨h1, h2, h3⟩ := h₀
  rcases a with _ | _ | _ | _ | _ | _ | _ | _ | _ | _ | a <;>
    rcases b with _ | _ | _ | _ | _ | _ | _ | _ | _ | _ | b <;> omega

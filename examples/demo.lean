noncomputable section
def double (n : Nat) : Nat := n + n
end

theorem double_two : double 2 = 4 := by decide

theorem double_eq (n : Nat) : double n = 2 * n := by
  unfold double
  omega

theorem zero_add' (n : Nat) : 0 + n = n := by
  induction n with
  | zero => rfl
  | succ k ih => rw [Nat.add_succ, ih]

theorem em' (p : Prop) : p ∨ ¬p := Classical.em p

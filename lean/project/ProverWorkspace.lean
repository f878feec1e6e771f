/-!
# ProverWorkspace

A trivial module so that `lake build` has a target. The verifier runs
`lake env lean --stdin` in this project, so attempts see the project's
dependencies (Mathlib when the image is built with `MATHLIB=true`).
-/

namespace ProverWorkspace

/-- Checked at image build time: the toolchain elaborates and runs `decide`. -/
theorem sanity : 2 + 2 = 4 := by decide

end ProverWorkspace

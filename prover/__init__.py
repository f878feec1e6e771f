"""prover: a generate-and-verify theorem proving service for Lean 4."""

__version__ = "0.1.0"

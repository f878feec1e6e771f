"""Proof-step generators: propose tactics for a proof state."""

from prover.generate.base import Generator, Proposal, clean_tactics
from prover.generate.symbolic import SymbolicProposer

__all__ = ["Generator", "Proposal", "SymbolicProposer", "clean_tactics"]

"""Proof-step generators: propose tactics for a proof state."""

from prover.core.records import Proposal
from prover.generate.base import Generator, clean_tactics
from prover.generate.symbolic import SymbolicProposer

__all__ = ["Generator", "Proposal", "SymbolicProposer", "clean_tactics"]

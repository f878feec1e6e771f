"""The HTTP API and the live dashboard of the prover service."""

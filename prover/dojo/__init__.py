"""LeanDojo integration (the optional ``dojo`` extra): a verifier backend that drives
``lean_dojo.Dojo`` on a traced repository, and an importer for LeanDojo Benchmark data.

Nothing here imports ``lean_dojo`` at module level: it is slow to import and optional.
"""

"""Best-first proof search: the job stores (Redis, memory), the pass that advances held
jobs, coordinators, and a local runner. The search itself is :mod:`prover.core.search`."""

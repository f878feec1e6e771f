"""``python -m prover``: the same as the ``prover`` command."""

from prover.cli import main

raise SystemExit(main())

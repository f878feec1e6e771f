#!/usr/bin/env bash
# The test suite, with lint and type checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check .
ruff format --check .
mypy
# The LeanDojo tests against the real lean-dojo package, in the environment that has it.
if [ -x .venv-dojo/bin/python ]; then
  .venv-dojo/bin/python -m pytest -q -p no:cacheprovider tests/test_dojo.py -m "not lean"
fi
python3 -m pytest -q "$@"

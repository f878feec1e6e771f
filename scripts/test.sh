#!/usr/bin/env bash
# The test suite, with lint and type checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check .
ruff format --check .
mypy
python3 -m pytest -q "$@"

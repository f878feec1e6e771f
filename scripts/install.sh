#!/usr/bin/env bash
# Install prover and its dependencies, the embedded Lean runtime, and prove a demo theorem.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'
prover setup

#!/usr/bin/env bash
# Install prover and its dependencies, the embedded Lean runtime, and prove a demo theorem.
set -euo pipefail
cd "$(dirname "$0")/.."
# The CPU build of PyTorch (on these machines the wheel is already on disk).
python3 -m pip install --quiet --disable-pip-version-check torch==2.13.0
python3 -m pip install --quiet --disable-pip-version-check -e '.[dev,model]'
prover setup

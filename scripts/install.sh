#!/usr/bin/env bash
# Install prover and its dependencies, the embedded Lean runtime, and prove a demo theorem.
set -euo pipefail
cd "$(dirname "$0")/.."
# The CPU build of PyTorch (on these machines the wheel is already on disk).
python3 -m pip install --quiet --disable-pip-version-check torch==2.13.0
python3 -m pip install --quiet --disable-pip-version-check -e '.[dev,model,data]'
# LeanDojo (the `dojo` extra) pulls in ray and newer pins: its own environment on top of
# this one, so tests/test_dojo.py runs against the real package.
python3 -m venv --system-site-packages .venv-dojo
.venv-dojo/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dojo]'
# Headless Chromium for the dashboard tests (Debian's package, driven by Playwright).
if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
python3 -m pip install --quiet --disable-pip-version-check playwright
prover setup
# The main job on the embedded defaults: a proof search (private redis-server, embedded Lean).
prover prove "theorem demo (p q : Prop) (hp : p) (hq : q) : q ∧ p"

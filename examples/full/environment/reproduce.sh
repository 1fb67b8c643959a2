#!/bin/sh
# Rebuild the environment of this run: a fresh virtual environment, then the locked packages.
set -eu
cd "$(dirname "$0")/.."
python3.11 -m venv .venv
.venv/bin/python -m pip install --no-deps --require-hashes -r environment/requirements.lock
echo "now run: .venv/bin/python code/prep.py && .venv/bin/python code/train.py"

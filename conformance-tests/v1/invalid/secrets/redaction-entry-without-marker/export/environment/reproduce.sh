#!/bin/sh
# Rebuild the environment in a fixed order.
set -eu
python -m venv .venv
.venv/bin/pip install --require-hashes -r environment/requirements.lock

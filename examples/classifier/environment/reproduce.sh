#!/bin/sh
# Rebuild this export's environment; run from the export's root:
#   sh environment/reproduce.sh
# Steps, in order: 1. a fresh environment  2. the locked packages  3. a check.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"  # the interpreter to build with; recorded with Python 3.11.7
"$PYTHON" -m venv .rex-venv
. .rex-venv/bin/activate
python -m pip install -r code/requirements.lock
python -m pip check
echo 'environment ready: . .rex-venv/bin/activate'

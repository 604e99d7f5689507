#!/usr/bin/env bash
# Set up and run the bot on its embedded defaults (embedded PostgreSQL, mock mode, offline model).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt 2>&1 \
  | grep -v "is ignored" || true
exec .venv/bin/python run.py

#!/usr/bin/env bash
# Set up and run the bot on its embedded defaults (embedded PostgreSQL, mock mode, the model-free
# booking flow). A failed or interrupted install stops here: the bot never starts on a
# half-installed .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
trap 'echo; echo "interrupted: the bot was not started" >&2; exit 130' INT
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  # None yet, or one a first run left without pip when it was interrupted: made from scratch.
  "$PYTHON" -m venv --clear .venv
fi
status=0
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt \
  >.venv/pip.log 2>&1 || status=$?
# Notes pip prints on every run that change nothing (an index path it skips; jusText's
# lxml[html_clean] extra, which lxml spells html-clean).
grep -v -e "is ignored" -e "does not provide the extra" .venv/pip.log >&2 || true
if [ "$status" -ne 0 ]; then
  echo "Error: installing requirements.txt failed (above); fix it and run ./scripts/run.sh again" >&2
  exit "$status"
fi
trap - INT
exec .venv/bin/python run.py

#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run every test.
#   ./scripts/test.sh            all tests (Python suite, lint, admin console build and browser tests)
#   SKIP_CONSOLE=1 ./scripts/test.sh   only the Python side
#   ./scripts/test.sh -k booking extra arguments go to pytest
#   TEST_PROCESSES=1 ./scripts/test.sh  pytest in one process (default: one per core, at most 4)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 \
  | grep -v "is ignored" || true

echo "== lint"
.venv/bin/ruff check app tests benchmarks *.py
.venv/bin/ruff format --check app tests benchmarks *.py

echo "== python tests"
# Test processes side by side (pytest-xdist), each on its own databases (tests/conftest.py).
procs=${TEST_PROCESSES:-$(nproc)}
[ "$procs" -le 4 ] || procs=4
if [ "$procs" -gt 1 ]; then
  .venv/bin/python -m pytest -q -n "$procs" "$@"
else
  .venv/bin/python -m pytest -q "$@"
fi

if [ -d admin-console ] && [ -z "${SKIP_CONSOLE:-}" ]; then
  echo "== admin console"
  if ! [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    # Browser tests drive Debian's Chromium, never a downloaded browser.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
    else
      echo "Chromium is missing: sudo apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
      exit 1
    fi
  fi
  ./admin-console/scripts/ci.sh
fi

#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run every test.
#   ./scripts/test.sh            all tests (Python suite, lint, admin console build and browser tests)
#   SKIP_CONSOLE=1 ./scripts/test.sh   only the Python side
#   ./scripts/test.sh -k booking extra arguments go to pytest
#   TEST_PROCESSES=1 ./scripts/test.sh  pytest in one process (default: one per core, at most 4)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  # None yet, or one a first run left without pip when it was interrupted: made from scratch.
  "$PYTHON" -m venv --clear .venv
fi
status=0
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt \
  >.venv/pip.log 2>&1 || status=$?
# Notes pip prints on every run that change nothing (see scripts/run.sh).
grep -v -e "is ignored" -e "does not provide the extra" .venv/pip.log || true
if [ "$status" -ne 0 ]; then
  echo "Error: installing requirements-dev.txt failed (above); fix it and run ./scripts/test.sh again" >&2
  exit "$status"
fi

echo "== lint"
.venv/bin/ruff check app tests benchmarks *.py
.venv/bin/ruff format --check app tests benchmarks *.py

console_pid="" console_log=""
if [ -d admin-console ] && [ -z "${SKIP_CONSOLE:-}" ]; then
  if ! [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    # Browser tests drive Debian's Chromium, never a downloaded browser.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "== installing Chromium"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
    else
      echo "Chromium is missing: sudo apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
      exit 1
    fi
  fi
  # The console's checks run beside the Python tests, on a database and ports of their own (its
  # session, so an interrupted run stops it too); its output follows the Python tests'.
  console_log=$(mktemp -t console-ci.XXXXXX)
  setsid -w ./admin-console/scripts/ci.sh >"$console_log" 2>&1 &
  console_pid=$!
  trap '[ -z "$console_pid" ] || kill -TERM -- "-$console_pid" 2>/dev/null || true' EXIT
  trap 'exit 130' INT TERM
fi

echo "== python tests"
# Test processes side by side (pytest-xdist), each on its own databases (tests/conftest.py).
procs=${TEST_PROCESSES:-$(nproc)}
[ "$procs" -le 4 ] || procs=4
python_status=0
if [ "$procs" -gt 1 ]; then
  .venv/bin/python -m pytest -q -n "$procs" "$@" || python_status=$?
else
  .venv/bin/python -m pytest -q "$@" || python_status=$?
fi

console_status=0
if [ -n "$console_pid" ]; then
  wait "$console_pid" || console_status=$?
  console_pid=""
  echo "== admin console"
  cat "$console_log"
  rm -f "$console_log"
fi
if [ "$python_status" -ne 0 ] || [ "$console_status" -ne 0 ]; then
  echo "FAILED: python tests exit $python_status, admin console exit $console_status" >&2
  exit 1
fi

#!/usr/bin/env bash
# Admin console CI: install exactly the locked dependencies, lint, type check, build, then drive
# the built console in the system Chromium against the real Flask app on a fresh PostgreSQL
# database. Screenshots land in admin-console/artifacts/. Cleans up even when a step fails.
#
#   ./admin-console/scripts/ci.sh          (from the repository root; scripts/test.sh calls it)
#   CONSOLE_E2E_ONLY=1 ./admin-console/scripts/ci.sh -g "conversation"   (browser tests only)
#
# Settings: TEST_DATABASE_URL / DATABASE_URL (a server to create the throwaway database on,
# default postgresql://postgres@127.0.0.1:5432/postgres), CHROMIUM_PATH (default /usr/bin/chromium).
set -euo pipefail

CONSOLE_DIR=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$CONSOLE_DIR/.." && pwd)
PY="$ROOT/.venv/bin/python"
cd "$CONSOLE_DIR"
export NEXT_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
started=$(date +%s)
step() { echo "== console: $* ($(( $(date +%s) - started ))s)"; }

if [ -z "${CONSOLE_E2E_ONLY:-}" ]; then # CONSOLE_E2E_ONLY=1 reuses the last build (local iteration)
step "install"
# Exactly the committed lockfile (complete for every platform); npm ci fails loudly if
# package.json and the lockfile disagree, so a registry change cannot alter the build.
npm ci --no-audit --no-fund --loglevel=error

step "lint"
npm run --silent lint
step "segments"
node scripts/check-segments.mjs
step "type check"
node_modules/.bin/tsc --noEmit
step "unit tests"
node --test unit/*.test.mjs
step "build"
node_modules/.bin/next build
fi

step "backend"
[ -x "$PY" ] || { echo "no $PY: run ./scripts/test.sh (it creates the venv)" >&2; exit 1; }
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM: apt-get install -y chromium" >&2; exit 1; }
PG_SERVER=${TEST_DATABASE_URL:-${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}}
DB_NAME="console_e2e_$(date +%s)_$RANDOM"
# Screenshots and both servers' logs are kept (gitignored) for whoever reads the run.
rm -rf artifacts test-results
mkdir -p artifacts
LOGS="$CONSOLE_DIR/artifacts"
BACKEND_PID="" CONSOLE_PID="" SITE_PID=""

db() { # db create|drop: the throwaway database, through the backend's own driver
  "$PY" - "$1" "$PG_SERVER" "$DB_NAME" <<'PYEOF'
import sys
import psycopg
from psycopg import sql
action, url, name = sys.argv[1:]
with psycopg.connect(url, autocommit=True) as conn:
    if action == "create":
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
PYEOF
}

cleanup() {
  status=$?
  for pid in $CONSOLE_PID $BACKEND_PID $SITE_PID; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $CONSOLE_PID $BACKEND_PID $SITE_PID; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  db drop || echo "could not drop database $DB_NAME" >&2
  if [ "$status" -ne 0 ]; then
    echo "--- backend log (tail; all of it in $LOGS/backend.log)"; tail -n 40 "$LOGS/backend.log" 2>/dev/null || true
    echo "--- console log (tail)"; tail -n 40 "$LOGS/console.log" 2>/dev/null || true
  fi
  step "done, exit $status"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { # wait_http URL NAME PID
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "$2 exited during startup" >&2; return 1; }
    sleep 0.2
  done
  echo "$2 did not answer $1 within 120 s" >&2
  return 1
}

db create
API_PORT=$(free_port)
CONSOLE_PORT=$(free_port)
SITE_PORT=$(free_port)
ADMIN_PASSWORD="e2e-$(date +%s)-$RANDOM"
E2E_DATABASE_URL="$("$PY" -c 'import sys; from urllib.parse import urlsplit; u = urlsplit(sys.argv[1]); print(u._replace(path="/" + sys.argv[2]).geturl())' "$PG_SERVER" "$DB_NAME")"
# The salon's website for "Import from website" (a local address, so the API must allow it).
"$PY" -m http.server "$SITE_PORT" --bind 127.0.0.1 --directory "$CONSOLE_DIR/e2e/site" >"$LOGS/site.log" 2>&1 &
SITE_PID=$!
(
  # Mock mode: nothing reaches WhatsApp; no OpenAI key: the embedded offline model answers.
  cd "$ROOT"
  export DATABASE_URL="$E2E_DATABASE_URL" WEBSITE_IMPORT_ALLOWED_HOSTS="127.0.0.1:$SITE_PORT"
  export MOCK_MODE=true OPENAI_API_KEY= APP_SECRET= LANGFUSE_PUBLIC_KEY= LANGFUSE_SECRET_KEY= LANGFUSE_TRACING_ENABLED=false
  # The console is the one proxy in front of the API: the last X-Forwarded-For entry is its word.
  export ADMIN_PASSWORD ADMIN_TRUSTED_PROXY_HOPS=1 HOST=127.0.0.1 PORT="$API_PORT" SERVER_URL="http://127.0.0.1:$API_PORT"
  "$PY" -m flask --app app migrate >/dev/null
  "$PY" -m flask --app app seed-demo >/dev/null
  "$PY" -m flask --app app create-admin admin@example.com >/dev/null
  exec "$PY" run.py
) >"$LOGS/backend.log" 2>&1 &
BACKEND_PID=$!
wait_http "http://127.0.0.1:$API_PORT/api/admin/openapi.json" backend "$BACKEND_PID"
wait_http "http://127.0.0.1:$SITE_PORT/robots.txt" website "$SITE_PID"

step "console on :$CONSOLE_PORT, API on :$API_PORT"
# Browsers reach it directly (no proxy in front): their connection is their address.
ADMIN_API_URL="http://127.0.0.1:$API_PORT" TRUSTED_PROXY_HOPS=0 node_modules/.bin/next start -H 127.0.0.1 -p "$CONSOLE_PORT" \
  >"$LOGS/console.log" 2>&1 &
CONSOLE_PID=$!
wait_http "http://127.0.0.1:$CONSOLE_PORT/login" console "$CONSOLE_PID"

step "browser tests"
CONSOLE_URL="http://127.0.0.1:$CONSOLE_PORT" ADMIN_API_URL="http://127.0.0.1:$API_PORT" \
  E2E_ADMIN_EMAIL=admin@example.com E2E_ADMIN_PASSWORD="$ADMIN_PASSWORD" CHROMIUM_PATH="$CHROMIUM" \
  E2E_SITE_URL="http://127.0.0.1:$SITE_PORT/" E2E_DATABASE_URL="$E2E_DATABASE_URL" E2E_PYTHON="$PY" \
  node_modules/.bin/playwright test "$@"
echo "screenshots: $(ls artifacts/*.png | wc -l) files in $CONSOLE_DIR/artifacts"

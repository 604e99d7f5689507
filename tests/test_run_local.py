"""The README's first command: run.py on embedded defaults, then replay_fixture.py talks to it."""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
SCRUBBED = (
    "DATABASE_URL",
    "OPENAI_API_KEY",
    "APP_SECRET",
    "MOCK_MODE",
    "VERIFY_TOKEN",
    "SECRET_KEY",
    "TEST_DATABASE_URL",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def local_bot(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(
        PORT=str(port), EMBEDDED_PG_DIR=str(tmp_path / "pg"), SERVER_URL=f"http://127.0.0.1:{port}"
    )
    proc = subprocess.Popen(
        [sys.executable, "run.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("run.py exited: " + proc.stderr.read()[-3000:])
        try:
            if requests.get(url + "/ready", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.2)  # waiting for another process to come up
    else:
        raise AssertionError("run.py did not become ready")
    yield env
    proc.terminate()
    proc.wait(timeout=30)
    stop_postgres(tmp_path / "pg")


def stop_postgres(pgdata: Path) -> None:
    """Stop the embedded PostgreSQL run.py left running (it outlives run.py by design)."""
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return
    os.kill(int(pidfile.read_text().split()[0]), signal.SIGINT)  # fast shutdown
    deadline = time.monotonic() + 30
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for another process to exit
    assert not pidfile.exists(), "the embedded PostgreSQL did not stop"


def replay(env, *args, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "replay_fixture.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def next_tuesday() -> str:
    day = datetime.now(ZoneInfo("Europe/Madrid")).date() + timedelta(days=2)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return day.isoformat()


@pytest.mark.slow
def test_run_py_on_embedded_defaults_books_through_chat(local_bot):
    day = next_tuesday()
    out = replay(
        local_bot,
        "--chat",
        stdin=f"hi\nbook a haircut on {day} at 10:00\nwhat are my appointments?\n",
    )
    assert "Welcome to Demo Salon" in out
    assert "Booked ✅" in out and "at 10:00 (booking #1)" in out
    assert "#1 Haircut on" in out
    fixtures = ROOT / "fixtures"
    out = replay(
        local_bot, str(fixtures / "text_services_prices.json"), str(fixtures / "reaction.json")
    )
    assert "Haircut: 30 min, 25.00 EUR" in out
    assert "(no reply: nothing to answer)" in out

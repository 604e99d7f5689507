"""The README's first command: run.py on embedded defaults, then replay_fixture.py talks to it."""

import os
import re
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


def start_bot(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "run.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def bot_env(tmp_path) -> dict:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(PORT=str(port), EMBEDDED_PG_DIR=str(tmp_path / "pg"))
    env.pop("SERVER_URL", None)  # replay_fixture.py follows PORT
    return env


@pytest.fixture
def local_bot(tmp_path):
    env = bot_env(tmp_path)
    proc = start_bot(env)
    deadline = time.monotonic() + 90
    url = f"http://127.0.0.1:{env['PORT']}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("run.py exited: " + proc.stderr.read()[-3000:])
        try:
            if requests.get(url + "/ready", timeout=1).status_code == 200:
                break
        except requests.RequestException:  # not listening, or bound but still migrating
            pass
        time.sleep(0.2)  # waiting for another process to come up
    else:
        raise AssertionError("run.py did not become ready")
    env["_PROC"] = proc
    yield env
    if proc.poll() is None:
        proc.terminate()
        proc.communicate(timeout=60)
    force_stop_postgres(tmp_path / "pg")


def postgres_pid(pgdata: Path) -> int | None:
    pidfile = pgdata / "postmaster.pid"
    return int(pidfile.read_text().split()[0]) if pidfile.exists() else None


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def force_stop_postgres(pgdata: Path) -> None:
    """Clean-up after a failed test only: stop an embedded PostgreSQL still running."""
    pid = postgres_pid(pgdata)
    if pid and running(pid):
        os.kill(pid, signal.SIGINT)  # fast shutdown


def replay(env, *args, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "replay_fixture.py", *args],
        cwd=ROOT,
        env={k: v for k, v in env.items() if not k.startswith("_")},
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


@pytest.mark.slow
def test_fixtures_have_their_own_customers_and_statuses_apply_to_the_printed_reply(local_bot):
    fixtures = ROOT / "fixtures"
    chat = replay(local_bot, "--chat", stdin="what services do you have?\n")
    assert "Haircut: 30 min, 25.00 EUR" in chat
    out = replay(
        local_bot,
        str(fixtures / "text_greeting.json"),
        str(fixtures / "status_delivered.json"),
        str(fixtures / "two_customers_one_post.json"),
    )
    assert "Welcome to Demo Salon" in out
    assert re.search(r"✓ reply mock\.\d+ to \+34600200001 is now delivered", out), out
    # One POST with two customers: each reply is labelled with its customer.
    assert "← Alex (+34600200011) Hi Alex! Welcome to Demo Salon" in out
    assert "← Sam (+34600200012) Our services:" in out
    out = replay(
        local_bot, str(fixtures / "text_services_prices.json"), str(fixtures / "status_failed.json")
    )
    assert re.search(r"to \+34600200002 is now failed \(error 131047\)", out), out
    # The chat customer's history holds only the chat: the fixtures wrote as others.
    history = requests.get(
        f"http://127.0.0.1:{local_bot['PORT']}/dev/messages",
        params={"account_id": "123456123", "address": "34600111222", "after_id": 0},
        timeout=10,
    ).json()["messages"]
    assert [m["body"] for m in history if m["direction"] == "in"] == ["what services do you have?"]


@pytest.mark.slow
def test_flask_command_works_beside_the_running_bot_and_ctrl_c_stops_everything(
    local_bot, tmp_path
):
    env = {k: v for k, v in local_bot.items() if not k.startswith("_")}
    env["ADMIN_PASSWORD"] = "plum-orbit-kettle-42"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "flask"),
            "--app",
            "app",
            "create-admin",
            "you@example.com",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "created superadmin you@example.com" in done.stdout
    pgdata = tmp_path / "pg"
    pg = postgres_pid(pgdata)
    assert pg and running(pg), "the bot's database stopped when the flask command ended"
    assert requests.get(f"http://127.0.0.1:{env['PORT']}/ready", timeout=5).status_code == 200

    proc = local_bot["_PROC"]
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert f"Booking bot running on http://localhost:{env['PORT']}" in out
    assert "stopping: web app, worker, embedded PostgreSQL" in out
    assert "port=5432" not in out + err and "initdb" not in out + err
    deadline = time.monotonic() + 30
    while running(pg) and time.monotonic() < deadline:
        time.sleep(0.1)  # waiting for another process to exit
    assert not running(pg), "the embedded PostgreSQL outlived run.py"
    assert not (pgdata / "postmaster.pid").exists()


@pytest.mark.slow
def test_closing_the_terminal_stops_everything_too(local_bot, tmp_path):
    """SIGHUP (the terminal closed) stops the bot as Ctrl-C does, embedded PostgreSQL included."""
    pg = postgres_pid(tmp_path / "pg")
    assert pg and running(pg)
    proc = local_bot["_PROC"]
    proc.send_signal(signal.SIGHUP)
    out, err = proc.communicate(timeout=60)
    assert "stopping: web app, worker, embedded PostgreSQL" in out, err[-2000:]
    deadline = time.monotonic() + 30
    while running(pg) and time.monotonic() < deadline:
        time.sleep(0.1)  # waiting for another process to exit
    assert not running(pg), "the embedded PostgreSQL outlived run.py"


@pytest.mark.slow
def test_a_busy_port_is_the_first_error_and_names_port(tmp_path):
    env = bot_env(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(env["PORT"])))
        taken.listen()
        proc = start_bot(env)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert f"Error: PORT={env['PORT']} is already in use on 127.0.0.1" in err
    assert "Traceback" not in err
    assert not (tmp_path / "pg").exists(), "the database was started before the port was checked"


def test_a_configuration_error_is_one_line_from_the_flask_command():
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(DATABASE_URL="postgresql://postgres@127.0.0.1:1/none", MOCK_MODE="false")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "app", "create-admin", "a@b.example"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "Error: missing required setting(s): APP_SECRET, VERIFY_TOKEN, SECRET_KEY (set them in the"
        " environment or .env; or set MOCK_MODE=true for local development)"
    )

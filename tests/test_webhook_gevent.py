"""The webhook served by gunicorn's gevent worker, as the README's webhook processes run it
(Deployment): a real gunicorn with the project's gunicorn.conf.py, on this test's database."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests

from app.jobs.queue import TURN_TASK
from tests import envelopes
from tests.conftest import APP_SECRET, PHONE_NUMBER_ID

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn(db_url: str, *extra: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "APP_SECRET": APP_SECRET,
        "VERIFY_TOKEN": "verify",
        "SECRET_KEY": "secret",
        "MOCK_MODE": "false",
        "PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "RETENTION_PURGE": "false",
        "GOOGLE_SYNC_INTERVAL": "0",
    }
    cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gevent"]
    cmd += ["--worker-connections", "100", "-b", f"127.0.0.1:{port}", *extra, "app:create_app()"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return proc, port


def _until_listening(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited at startup: {proc.communicate()[1][-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)  # the worker is still loading the app
    pytest.fail("gunicorn did not listen within 60 s")


def _stop(proc: subprocess.Popen) -> str:
    """SIGTERM, as a deployment stops it; its stderr."""
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    return err


def _signed(body: bytes, secret: str = APP_SECRET) -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


@pytest.fixture
def business(db_url):
    from app.storage import businesses, db

    db.open_pool(db_url)
    try:
        business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
    finally:
        db.close_pool()
    return business_id


def test_gevent_webhook_stores_each_delivery_once_and_queues_a_turn_per_customer(db_url, business):
    proc, port = _gunicorn(db_url)
    try:
        _until_listening(proc, port)
        bodies = [
            json.dumps(envelopes.text(f"hola {i}", wa_id=f"3460000{i % 10:04d}")).encode()
            for i in range(60)
        ]
        # Each delivery twice, at once (Meta redelivers), from 20 connections.
        with ThreadPoolExecutor(20) as pool, requests.Session() as http:
            url = f"http://127.0.0.1:{port}/webhook"
            answers = list(
                pool.map(
                    lambda b: http.post(url, data=b, headers=_signed(b), timeout=30),
                    bodies + bodies,
                )
            )
            forged = http.post(url, data=bodies[0], headers=_signed(bodies[0], "wrong"), timeout=30)
        assert [a.status_code for a in answers] == [200] * 120
        assert forged.status_code == 403
    finally:
        err = _stop(proc)
    assert proc.returncode == 0, err[-3000:]
    # Its exit is clean: no error printed while gevent is torn down (gunicorn.conf.py).
    assert "Traceback" not in err and "Exception ignored" not in err, err[-3000:]
    with psycopg.connect(db_url) as conn:
        messages, customers = conn.execute(
            "SELECT count(*), count(DISTINCT customer_id) FROM messages"
            " WHERE direction = 'in' AND business_id = %s",
            (business,),
        ).fetchone()
        turns = conn.execute(
            "SELECT count(*), count(DISTINCT lock) FROM procrastinate_jobs"
            " WHERE task_name = %s AND status = 'todo'",
            (TURN_TASK,),
        ).fetchone()
    assert (messages, customers) == (60, 10)
    assert turns == (10, 10)


def test_gevent_worker_refuses_to_serve_when_psycopg_would_block_it(db_url, business):
    """With --preload the app (and psycopg) loads in the master, before gevent patches the
    worker: psycopg would then wait in C and block every request of the process. The worker
    refuses to boot, saying why."""
    proc, port = _gunicorn(db_url, "--preload")
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0
    assert "psycopg was imported before gevent patched the standard library" in err

"""The webhook served by gunicorn's gevent worker, as the README's webhook processes run it
(Deployment): a real gunicorn with the project's gunicorn.conf.py, on this test's database."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from app.jobs.queue import TURN_TASK
from tests import envelopes
from tests.conftest import PHONE_NUMBER_ID
from tests.gunicorn_server import Gunicorn, signed


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
    server = Gunicorn(db_url)
    try:
        server.until_listening()
        bodies = [
            json.dumps(envelopes.text(f"hola {i}", wa_id=f"3460000{i % 10:04d}")).encode()
            for i in range(60)
        ]
        # Each delivery twice, at once (Meta redelivers), from 20 connections.
        with ThreadPoolExecutor(20) as pool, requests.Session() as http:
            url = f"{server.url}/webhook"
            # (Status codes only: a response kept holds its connection open, and the server's
            # graceful stop would wait out --keep-alive for it.)
            codes = list(
                pool.map(
                    lambda b: http.post(url, data=b, headers=signed(b), timeout=30).status_code,
                    bodies + bodies,
                )
            )
            wrong = signed(bodies[0], "wrong")
            forged = http.post(url, data=bodies[0], headers=wrong, timeout=30).status_code
        assert codes == [200] * 120
        assert forged == 403
    finally:
        err = server.stop()
    assert server.proc.returncode == 0, err[-3000:]
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
    server = Gunicorn(db_url, "--preload")
    err = server.stop(by_itself=True)
    assert server.proc.returncode != 0
    assert "psycopg was imported before gevent patched the standard library" in err

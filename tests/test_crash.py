"""A worker process killed in the middle of a turn loses nothing and answers exactly once."""

import signal
import time
from pathlib import Path

import pytest

from app.storage import db
from tests import envelopes
from tests.test_faults_workers import start_worker

ROOT = Path(__file__).resolve().parents[1]


def wait_until(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)  # polling the database: there is no event to wait on across processes
    raise AssertionError(f"timed out waiting for {what}")


def jobs_left() -> int:
    return db.fetch_one(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
    )["n"]


@pytest.mark.slow
def test_worker_killed_mid_turn_answers_exactly_once(
    app_config, post_webhook, fake_llm, fake_graph
):
    post_webhook(envelopes.text("hello"))
    fake_llm.hold.clear()
    first = start_worker(app_config)
    try:
        assert fake_llm.wait_for_requests(1, timeout=60), "the first worker never reached the LLM"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        fake_llm.hold.set()
    assert fake_graph.messages_sent() == []
    second = start_worker(app_config)
    try:
        fake_graph.wait_for_sends(1, timeout=60)
        wait_until(lambda: jobs_left() == 0, what="the queue to empty")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == ["You said: hello"]
    assert (
        db.fetch_one("SELECT status FROM messages WHERE direction = 'in'")["status"] == "processed"
    )
    assert db.fetch_one("SELECT count(*) AS n FROM messages WHERE direction = 'out'")["n"] == 1

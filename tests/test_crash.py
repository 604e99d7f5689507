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
        # Reminders, the next purge and the next calendar read-back wait for their time: they
        # are not work left over.
        " AND NOT (task_name IN ('send_reminder', 'purge_old_messages', 'read_google_changes')"
        " AND scheduled_at > now())"
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


@pytest.mark.slow
def test_worker_killed_before_the_provider_call_sends_exactly_once(app, app_config, fake_graph):
    """The send task has taken its send slot and waits for it when its process dies: the
    message was never handed to Meta, so the restarted task sends it, once."""
    from tests.test_outbox import add_customer, demo_id, queue

    customer = add_customer(demo_id(), "34600700001")
    queue(app, demo_id(), customer, ["Your appointment is confirmed."], "notice")
    # The number's next send slot is a minute away: the task takes it and sleeps until then.
    slot = db.fetch_one(
        "UPDATE send_pacing SET next_at = now() + interval '60 s' RETURNING next_at"
    )["next_at"]
    first = start_worker(app_config, OUTBOX_PACE_WAIT=120)
    try:
        wait_until(
            lambda: db.fetch_one("SELECT next_at FROM send_pacing")["next_at"] > slot,
            what="the send task to take its slot",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert fake_graph.requests == []
    assert db.fetch_one("SELECT status FROM messages WHERE direction = 'out'")["status"] == "queued"
    db.execute("UPDATE send_pacing SET next_at = now()")  # the minute has passed, as it were
    second = start_worker(app_config)
    try:
        fake_graph.wait_for_sends(1, timeout=60)
        wait_until(lambda: jobs_left() == 0, what="the queue to empty")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == [
        "Your appointment is confirmed."
    ]
    assert len(fake_graph.requests) == 1
    row = db.fetch_one("SELECT status, external_id FROM messages WHERE direction = 'out'")
    assert row["status"] == "sent" and row["external_id"].startswith("wamid.FAKE")

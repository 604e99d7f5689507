"""The queue's order (app/jobs/queue.py): a reply goes out as soon as it is written, before the
turns still queued (SEND_PRIORITY); a reminder waits behind everything until its time, then
takes its place in the queue's order (REMINDER_PRIORITY, promote_due_reminders).

With one job slot and three customers' turns queued, each customer's reply must reach the
channel before the next customer's turn asks the model. Taken in queue order alone, the worker
ran every queued turn first and sent the replies after all of them: under a backlog the first
customer waited for the whole backlog.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from app import jobs
from app.storage import businesses, db
from tests import envelopes
from tests.conftest import PHONE_NUMBER_ID
from tests.fake_llm import last_user_text, text_reply
from tests.test_crash import wait_until
from tests.test_faults_llm import sent_to
from tests.test_queue_speed import store

CUSTOMERS = ["34605100001", "34605100002", "34605100003"]
DEADLINE = 30.0


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WORKER_CONCURRENCY": 1}


def test_each_reply_is_sent_before_the_next_queued_turn_runs(
    post_webhook, worker, fake_llm, fake_graph
):
    # What the channel had accepted when each model call was answered, by the asking customer.
    replies_sent_before: dict[str, list[str]] = {}

    def answer(body: dict) -> dict:
        text = last_user_text(body)
        replies_sent_before[text] = [wa_id for wa_id in CUSTOMERS if sent_to(fake_graph, wa_id)]
        return text_reply(f"Hello {text}")

    fake_llm.default = answer
    fake_llm.hold.clear()  # the first turn waits in its model call while the others queue
    try:
        assert post_webhook(envelopes.text("first", wa_id=CUSTOMERS[0])).status_code == 200
        assert fake_llm.wait_for_requests(1, timeout=DEADLINE)
        for text, wa_id in (("second", CUSTOMERS[1]), ("third", CUSTOMERS[2])):
            assert post_webhook(envelopes.text(text, wa_id=wa_id)).status_code == 200
        queued = db.fetch_one(
            "SELECT count(*) AS n FROM procrastinate_jobs"
            " WHERE task_name = 'handle_turn' AND status = 'todo'"
        )
        assert queued["n"] == 2  # both later turns wait behind the one in the model call
    finally:
        fake_llm.hold.set()
    wait_until(
        lambda: all(sent_to(fake_graph, wa_id) for wa_id in CUSTOMERS), DEADLINE, "every reply"
    )
    # One slot, so the order is the worker's: each turn found the replies before it sent.
    assert replies_sent_before == {
        "first": [],
        "second": [CUSTOMERS[0]],
        "third": CUSTOMERS[:2],
    }
    assert [sent_to(fake_graph, wa_id) for wa_id in CUSTOMERS] == [
        ["Hello first"],
        ["Hello second"],
        ["Hello third"],
    ]


def fetch(conn) -> str | None:
    """The task of the job a worker's fetch takes now (left taken)."""
    row = conn.execute(
        "SELECT task_name FROM procrastinate_fetch_job_v2(ARRAY['default']::varchar[], NULL)"
    ).fetchone()
    return row[0]


def test_a_reminder_whose_time_has_come_goes_before_the_turns_queued_after_it(app, pool):
    """A reminder waits behind every other job until its time (REMINDER_PRIORITY), and would
    then wait for every turn due, however long a backlog lasts; once due, a worker puts it
    back in the queue's order (promote_due_reminders)."""
    business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
    now = datetime.now(UTC)
    with app.app_context(), db.transaction() as conn:
        jobs.schedule_reminder(1, 60, now + timedelta(days=1))
        jobs.schedule_reminder(2, 60, now - timedelta(minutes=1))  # due already: no wait
        # A day later, as the queue sees it.
        conn.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() - interval '1 second'"
            " WHERE args->>'appointment_id' = '1'"
        )
        for i in range(3):
            store(conn, business_id, i, customers=3)
    priorities = db.fetch_all(
        "SELECT args->>'appointment_id' AS appointment, priority FROM procrastinate_jobs"
        " WHERE task_name = 'send_reminder' ORDER BY id"
    )
    assert [(r["appointment"], r["priority"]) for r in priorities] == [("1", -1), ("2", 0)]
    with psycopg.connect(db.pool().conninfo, autocommit=True) as conn:
        assert fetch(conn) == "send_reminder"  # the one queued when due: appointment 2
        assert fetch(conn) == "handle_turn"  # the waiting one waits behind the turns
        assert jobs.promote_due_reminders() == 1
        assert fetch(conn) == "send_reminder"  # now in the queue's order: before the turns
        assert [fetch(conn) for _ in range(3)] == ["handle_turn", "handle_turn", None]

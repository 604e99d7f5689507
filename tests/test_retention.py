"""Retention: messages older than a business's retention period are purged in bounded batches
that never make a turn wait (its latency during a purge: benchmarks/retention.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from app import retention
from app.jobs.queue import PURGE_MINUTE, PURGE_TASK
from app.jobs.tasks import purge_old_messages, schedule_purge
from app.storage import db
from tests import envelopes

OLD, NEW = 100_000, 50


@pytest.fixture
def demo(app):
    return db.fetch_one("SELECT id FROM businesses ORDER BY id LIMIT 1")["id"]


def add_messages(business_id: int, customer_id: int, count: int, age_days: float) -> None:
    db.execute(
        "INSERT INTO messages (business_id, customer_id, direction, body, status, external_id,"
        " created_at)"
        " SELECT %(b)s, %(c)s, CASE WHEN g %% 2 = 0 THEN 'in' ELSE 'out' END, 'old text ' || g,"
        " CASE WHEN g %% 2 = 0 THEN 'processed' ELSE 'read' END,"
        " 'wamid.R' || %(age)s || '.' || g, now() - make_interval(days => %(age)s)"
        " - make_interval(secs => g) FROM generate_series(1, %(n)s) AS g",
        {"b": business_id, "c": customer_id, "n": count, "age": age_days},
    )


def customer(business_id: int, address: str = "34600777000") -> int:
    return db.fetch_one(
        "INSERT INTO customers (business_id, address, last_inbound_at) VALUES (%s, %s, now())"
        " RETURNING id",
        (business_id, address),
    )["id"]


def counts(business_id: int) -> dict:
    return db.fetch_one(
        "SELECT count(*) FILTER (WHERE created_at < now() - interval '365 days') AS old,"
        " count(*) FILTER (WHERE created_at >= now() - interval '365 days') AS new"
        " FROM messages WHERE business_id = %s",
        (business_id,),
    )


def test_purge_of_100k_old_messages_in_bounded_batches(demo):
    me = customer(demo)
    add_messages(demo, me, OLD, 400)
    add_messages(demo, me, NEW, 30)
    batches = retention.purge(batch=1000)[demo]
    assert max(batches) <= 1000 and sum(batches) == OLD and len(batches) == OLD // 1000
    assert counts(demo) == {"old": 0, "new": NEW}


def test_each_business_keeps_its_own_period(demo):
    me = customer(demo)
    db.execute("UPDATE businesses SET message_retention_days = 7 WHERE id = %s", (demo,))
    add_messages(demo, me, 20, 10)
    add_messages(demo, me, 5, 3)
    retention.purge(batch=6)
    left = db.fetch_one("SELECT count(*) AS n FROM messages WHERE business_id = %s", (demo,))
    assert left["n"] == 5


def test_a_purge_skips_what_a_turn_holds_and_takes_it_next_time(demo):
    me = customer(demo)
    add_messages(demo, me, 30, 400)
    held = db.fetch_one("SELECT min(id) AS id FROM messages")["id"]
    with db.pool().connection() as turn:
        with turn.transaction():
            turn.execute("SELECT id FROM messages WHERE id = %s FOR UPDATE", (held,))
            assert retention.purge(batch=10)[demo] == [10, 10, 9]  # no wait for the lock
    assert retention.purge(batch=10)[demo] == [1]
    assert counts(demo)["old"] == 0


def test_a_turn_runs_while_a_purge_batch_is_open(app, demo, post_webhook, drain, fake_graph):
    """A purge batch left uncommitted (deleting this very customer's old messages) does not
    stop the customer's turn from reading their history, storing the reply and sending it."""
    me = customer(
        demo, envelopes.text("x")["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    )
    add_messages(demo, me, 2000, 400)
    finished = threading.Event()
    with db.pool().connection() as purge:
        with purge.transaction():
            deleted = purge.execute(
                "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE business_id = %s"
                " AND created_at < now() - interval '365 days' ORDER BY created_at LIMIT 1000"
                " FOR UPDATE SKIP LOCKED)",
                (demo,),
            ).rowcount
            assert deleted == 1000

            def turn() -> None:
                assert post_webhook(envelopes.text("hello during the purge")).status_code == 200
                drain()
                finished.set()

            with app.app_context():
                runner = threading.Thread(target=turn)
                runner.start()
                assert finished.wait(timeout=60), "the turn waited on the open purge batch"
                runner.join()
    reply = fake_graph.messages_sent()[-1]
    assert reply["text"]["body"] == "You said: hello during the purge"


def test_the_purge_job_purges_and_queues_the_next_hours(app, demo, drain):
    me = customer(demo)
    add_messages(demo, me, 1500, 400)
    purge_old_messages.defer()
    drain()
    assert counts(demo)["old"] == 0
    [waiting] = db.fetch_all(
        "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'",
        (PURGE_TASK,),
    )
    assert waiting["scheduled_at"].minute == PURGE_MINUTE
    assert timedelta(0) < waiting["scheduled_at"] - datetime.now(UTC) <= timedelta(hours=1)


def test_one_purge_waits_at_a_time(app):
    at = datetime(2026, 6, 1, 10, 17, tzinfo=UTC)
    with app.app_context():
        assert schedule_purge(at) is True
        assert schedule_purge(at + timedelta(minutes=5)) is False
    [row] = db.fetch_all(
        "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = %s", (PURGE_TASK,)
    )
    assert row["scheduled_at"] == at + timedelta(hours=1)  # :17 itself has come: the next one


def test_retention_deletes_replies_pointing_at_old_messages_cleanly(demo):
    me = customer(demo)
    add_messages(demo, me, 3, 400)
    old = db.fetch_one("SELECT min(id) AS id FROM messages")["id"]
    db.execute(
        "INSERT INTO messages (business_id, customer_id, direction, body, status, in_reply_to)"
        " VALUES (%s, %s, 'out', 'a recent reply', 'sent', %s)",
        (demo, me, old),
    )
    retention.purge(now=datetime.now(UTC) + timedelta(seconds=1))
    kept = db.fetch_one("SELECT body, in_reply_to FROM messages")
    assert kept == {"body": "a recent reply", "in_reply_to": None}


def test_turns_tool_calls_go_with_the_messages_they_quote(app, post_webhook, drain, fake_llm):
    """A handoff's summary is in its turn's tool calls too: past the period, it goes there as
    from the customer's row."""
    from tests.fake_llm import text_reply, tool_call
    from tests.test_privacy_erasure import tables_holding

    said = "my dog Bartolo bit your stylist on Tuesday"
    fake_llm.script += [
        tool_call("handoff_to_human", {"reason": "complaint", "summary": said}),
        text_reply("(replaced by the notice)"),
    ]
    assert post_webhook(envelopes.text(said, wa_id="34600000912")).status_code == 200
    drain()
    assert "turns" in tables_holding("Bartolo")
    retention.purge(now=datetime.now(UTC) + timedelta(days=400))  # past the default 365 days
    assert db.fetch_one("SELECT count(*) AS n FROM messages")["n"] == 0
    assert tables_holding("Bartolo") == []


def test_the_front_desk_s_request_keys_are_forgotten_after_a_week(demo):
    """A retry comes within seconds; kept for ever, the keys would only grow."""
    for key, age in (("old", 8), ("recent", 6)):
        db.execute(
            "INSERT INTO appointment_requests (business_id, key, fingerprint, created_at)"
            " VALUES (%s, %s, 'f', now() - make_interval(days => %s))",
            (demo, key, age),
        )
    retention.purge()
    assert [r["key"] for r in db.fetch_all("SELECT key FROM appointment_requests")] == ["recent"]


def test_a_message_still_waiting_to_be_sent_is_not_purged(demo):
    me = customer(demo)
    db.execute("UPDATE businesses SET message_retention_days = 1 WHERE id = %s", (demo,))
    # A reminder queued 30 hours ago for an appointment two days out (offset 2880 min), still
    # waiting for its next retry: it is useful until the appointment starts.
    queued = db.fetch_one(
        "INSERT INTO messages (business_id, customer_id, direction, body, status, purpose,"
        " created_at, expires_at, not_before, attempts)"
        " VALUES (%s, %s, 'out', 'Reminder: haircut tomorrow', 'queued', 'reminder',"
        " now() - interval '30 hours', now() + interval '18 hours', now() + interval '1 hour', 7)"
        " RETURNING id",
        (demo, me),
    )["id"]
    received = db.fetch_one(
        "INSERT INTO messages (business_id, customer_id, direction, body, status, created_at)"
        " VALUES (%s, %s, 'in', 'old question', 'processed', now() - interval '30 hours')"
        " RETURNING id",
        (demo, me),
    )["id"]
    retention.purge()
    left = {
        r["id"] for r in db.fetch_all("SELECT id FROM messages WHERE business_id = %s", (demo,))
    }
    assert received not in left  # old, done: purged as it should be
    assert queued in left, "the queued, unexpired message was deleted before it could be sent"


def test_parked_statuses_are_forgotten_after_seven_days_by_the_purge(demo):
    db.execute(
        "INSERT INTO status_backlog (business_id, channel, external_id, status, received_at)"
        " VALUES (%s, 'whatsapp', 'wamid.HBgLMzQ2OTk4ODc3NjYVAgARGBI', 'read',"
        " now() - interval '30 days')",
        (demo,),
    )
    retention.purge()  # the hourly privacy job
    left = db.fetch_one("SELECT count(*) AS n FROM status_backlog")["n"]
    assert left == 0


def test_a_handoff_s_reason_goes_with_its_summary(demo):
    """The model words the reason from what the customer said ("her scalp burned after the
    dye"): it is forgotten with the summary and the messages, not kept for good."""
    me = customer(demo)
    db.execute(
        "UPDATE customers SET handoff_reason = 'her scalp burned after the dye',"
        " handoff_summary = 'the dye burned', handoff_at = now() - interval '400 days'"
        " WHERE id = %s",
        (me,),
    )
    retention.purge()
    row = db.fetch_one("SELECT handoff_reason, handoff_summary FROM customers WHERE id = %s", (me,))
    assert (row["handoff_reason"], row["handoff_summary"]) == (None, None)

"""The send task reads each message just before sending it, and a wait is not a failure.

- A reminder withdrawn (its appointment cancelled) while the customer's earlier message is on
  its way to Meta is not sent; nor are the messages of a customer erased meanwhile.
- Waits the outbox asks for (throughput pauses, backoffs, send slots) are not retries of the
  running send task, so however many there were, a failure afterwards (the database
  restarting) still has its retries, and the message is sent; and a short wait is not held up
  behind the customer's next send task due later.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import psycopg

from app import erasure, jobs, outbox, reminders
from app.booking import service as booking
from app.storage import businesses, db
from tests.reminder_helpers import book, customer, open_business, reminder_messages
from tests.test_reminder_sends import soon


def _after_first_send(monkeypatch, then) -> None:
    """Run `then` once, right after the first message is recorded sent."""
    real, calls = outbox._record_sent, []

    def record(*args, **kwargs):
        real(*args, **kwargs)
        if not calls:
            calls.append(1)
            then()

    monkeypatch.setattr(outbox, "_record_sent", record)


def test_a_reminder_withdrawn_while_the_message_before_it_sends_is_not_sent(
    app, fake_graph, monkeypatch
):
    business_id = open_business(whatsapp_number_id="num-withdrawn-1", reminder_template=None)
    kim = customer(business_id, 1)
    start = soon()
    appointment_id = book(app, business_id, kim["id"], start, now=datetime.now(UTC))
    business = businesses.get_row(business_id)
    with app.app_context(), db.transaction() as conn:
        outbox.queue(conn, business, kim, ["Here are our opening hours."])
    with app.app_context():
        assert reminders.fire(appointment_id, 1440, now=start - timedelta(hours=24)) == "queued"
    # Staff cancel the appointment while the reply queued first is on its way.
    _after_first_send(
        monkeypatch, lambda: booking.cancel(business_id, kim["id"], appointment_id).ok or 1 / 0
    )
    with app.app_context():
        outbox.send_pending(business_id, kim["id"])
    [reminder] = reminder_messages(kim["id"])
    assert reminder["send_error"] == "withdrawn"
    sent = [s for s in fake_graph.messages_sent() if s.get("to") == kim["address"]]
    assert [s["type"] for s in sent] == ["text"]  # the reply, not the reminder


def test_messages_of_a_customer_erased_while_their_send_runs_are_not_sent(
    app, fake_graph, monkeypatch
):
    business_id = open_business(whatsapp_number_id="num-withdrawn-2")
    kim = customer(business_id, 1)
    business = businesses.get_row(business_id)
    with app.app_context(), db.transaction() as conn:
        outbox.queue(conn, business, kim, ["first part", "second part", "third part"])
    _after_first_send(
        monkeypatch, lambda: erasure.erase(business_id, kim["id"], by="staff")["erased"] or 1 / 0
    )
    with app.app_context():
        outbox.send_pending(business_id, kim["id"])
    left = db.fetch_one("SELECT count(*) AS n FROM messages WHERE customer_id = %s", (kim["id"],))
    assert left["n"] == 0
    sent = [s["text"]["body"] for s in fake_graph.messages_sent() if s.get("to") == kim["address"]]
    assert sent == ["first part"]


def test_a_failure_after_many_waits_still_has_its_retries(app, drain, fake_graph, monkeypatch):
    business_id = open_business(whatsapp_number_id="num-many-waits")
    kim = customer(business_id, 1)
    business = businesses.get_row(business_id)
    # Meta answers 130429 (throughput reached) 55 times in a row: each pauses the number
    # (OUTBOX_RATE_PAUSE) and the send runs again later, failing nothing.
    fake_graph.fail_next(130429, times=55)
    with app.app_context(), db.transaction() as conn:
        [message_id] = outbox.queue(conn, business, kim, ["Your booking is confirmed."])
    real, runs = outbox.store.next_queued, []

    def next_queued(customer_id, after=0):
        if after == 0:
            runs.append(1)
            if len(runs) == 56:  # the run after those waits: the database restarts meanwhile
                raise psycopg.OperationalError("server closed the connection unexpectedly")
        return real(customer_id, after)

    monkeypatch.setattr(outbox.store, "next_queued", next_queued)
    drain()
    assert len(runs) == 57
    row = db.fetch_one("SELECT status FROM messages WHERE id = %s", (message_id,))
    assert row["status"] == "sent"


def test_a_short_wait_is_not_held_up_by_a_send_due_later(app, fake_graph, monkeypatch):
    """A reply meets Meta's throughput error (a pause of OUTBOX_RATE_PAUSE, 0.05 s here) while
    the customer's next message is lined up a minute away behind the account's backlog: the
    reply goes after the pause, not after the minute."""
    business_id = open_business(whatsapp_number_id="num-short-wait")
    kim = customer(business_id, 1)
    business = businesses.get_row(business_id)
    with app.app_context(), db.transaction() as conn:
        [first] = outbox.queue(conn, business, kim, ["Your booking is confirmed."])
    later = datetime.now(UTC) + timedelta(minutes=1)
    monkeypatch.setattr(outbox, "_line_up", lambda *a, **k: later)
    with app.app_context(), db.transaction() as conn:
        outbox.queue(conn, business, kim, ["See you then!"])
    fake_graph.fail_next(130429, times=1)

    def run_due_jobs() -> None:
        asyncio.run(jobs.run_worker_async(app, install_signal_handlers=False, wait=False))

    run_due_jobs()
    assert db.fetch_one("SELECT status FROM messages WHERE id = %s", (first,))["status"] == "queued"
    deadline = time.monotonic() + 30
    while db.fetch_one("SELECT status FROM messages WHERE id = %s", (first,))["status"] == "queued":
        assert time.monotonic() < deadline, "the reply waited for the send due a minute later"
        time.sleep(0.05)
        run_due_jobs()
    assert db.fetch_one("SELECT status FROM messages WHERE id = %s", (first,))["status"] == "sent"

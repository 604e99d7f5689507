"""A reminder firing while its appointment is cancelled or moved, or its reminders are turned off:
either it is queued first and the change withdraws it, or the change commits first and the
reminder goes by it. The locks a firing reminder takes never deadlock with an erasure of its
customer.

The overlaps are made deterministic with the database alone: the test holds a row that one
transaction needs midway (the number's `send_pacing` row, which `fire` waits for when it queues
the message, holding the reminder's row; a reminder's job, which a cancel or move deletes once
it holds the reminders' rows), starts the other transaction, waits until PostgreSQL shows it
waiting for a lock (or it has finished), then lets go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from app import erasure, reminders
from app.booking import service as booking
from app.storage import db
from tests.reminder_helpers import (
    book,
    customer,
    local,
    open_business,
    reminder_messages,
    reminder_rows,
    waiting_jobs,
)
from tests.test_agent_conversations import at, upcoming

DAY = timedelta(hours=24)
NUMBER = "123456123"  # the fixture business's WhatsApp number
DEADLINE = 30.0  # seconds: generous, the waits below end as soon as PostgreSQL shows the lock


class Run(threading.Thread):
    """`work` in a thread of its own, inside an app context; its result or its exception."""

    def __init__(self, app, work: Callable[[], object]):
        super().__init__(daemon=True)
        self.app, self.work = app, work
        self.result: object = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            with self.app.app_context():
                self.result = self.work()
        except BaseException as exc:  # re-raised in the test's thread by outcome()
            self.error = exc

    def outcome(self) -> object:
        self.join(DEADLINE)
        assert not self.is_alive(), "still running after the deadline"
        if self.error is not None:
            raise self.error
        return self.result


@contextmanager
def holding(db_url: str, locking_sql: str, params: tuple) -> Iterator[None]:
    """Hold the rows `locking_sql` locks, on a connection of the test's own, for the block."""
    conn = psycopg.connect(db_url)
    try:
        assert conn.execute(locking_sql, params).fetchall(), "nothing to hold"
        yield
    finally:
        conn.rollback()
        conn.close()


def lock_waits(pattern: str = "%") -> int:
    """Statements of this test's database waiting for a lock, whose text matches `pattern`."""
    return db.fetch_one(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query ILIKE %s",
        (pattern,),
    )["n"]


def wait_until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"waited {DEADLINE:.0f} s for {what}"
        time.sleep(0.01)


@contextmanager
def firing_held_at_the_pacing(app, db_url: str, appointment_id: int, due: datetime):
    """A reminder firing (the Run, yielded) stopped while it queues its message: it has read
    the appointment and holds the reminder's row. It goes on when the block ends."""
    db.execute(
        "INSERT INTO send_pacing (channel, account_id) VALUES ('whatsapp', %s)"
        " ON CONFLICT DO NOTHING",
        (NUMBER,),
    )
    pacing = "SELECT 1 FROM send_pacing WHERE channel = 'whatsapp' AND account_id = %s FOR UPDATE"
    with holding(db_url, pacing, (NUMBER,)):
        firing = Run(app, lambda: reminders.fire(appointment_id, 1440, due, now=due))
        wait_until(lambda: lock_waits("%send_pacing%"), "the reminder to wait for the pacing")
        yield firing


def reminders_sent(fake_graph) -> list[str]:
    return [
        s["interactive"]["body"]["text"]
        for s in fake_graph.messages_sent()
        if s.get("type") == "interactive" and "Reminder" in s["interactive"]["body"]["text"]
    ]


CHANGES = ["cancel", "move", "appointment off", "customer off", "business off", "stop reminders"]


@pytest.mark.parametrize("change", CHANGES)
def test_a_reminder_firing_while_its_appointment_changes_is_withdrawn(
    app, api, world, db_url, drain, fake_graph, change
):
    """The reminder has read the appointment and is queueing its message when the appointment
    is cancelled or moved, or staff, the owner or the customer turn reminders off: the change
    waits for it, then withdraws the message. Nothing reaches the customer."""
    result = booking.book(world.business_id, world.customer_id, "Haircut", at(upcoming(3), "12:00"))
    assert result.ok, result
    appointment = result.appointment
    due = appointment.starts_at - DAY
    later = appointment.starts_at + DAY
    base = f"/businesses/{world.business_id}"

    def make_change():
        now = datetime.now(UTC)
        ids = (world.business_id, world.customer_id, appointment.id)
        if change == "cancel":
            return booking.cancel(*ids, now).ok
        if change == "move":
            return booking.reschedule(*ids, later, now).ok
        if change == "stop reminders":
            reminders.opt_out(world.business_id, world.customer_id)
            return True
        if change == "business off":
            resp = api("PATCH", base, "owner", json={"reminders_enabled": False})
        elif change == "appointment off":
            path = f"{base}/appointments/{appointment.id}/reminders"
            resp = api("PUT", path, "staff", json={"enabled": False})
        else:
            path = f"{base}/customers/{world.customer_id}/reminders"
            resp = api("PUT", path, "staff", json={"enabled": False})
        return resp.status_code == 200

    with firing_held_at_the_pacing(app, db_url, appointment.id, due) as firing:
        changing = Run(app, make_change)
        wait_until(
            lambda: lock_waits("%appointment_reminders%") or not changing.is_alive(),
            "the change to wait for the reminder's row",
        )
    assert firing.outcome() == "queued"
    assert changing.outcome() is True

    drain()
    [message] = reminder_messages(world.customer_id)
    assert (message["status"], message["send_error"]) == ("failed", "withdrawn"), (
        f"{change}: the reminder was {message['status']}: {reminders_sent(fake_graph)}"
    )
    assert reminders_sent(fake_graph) == []
    if change == "move":  # planned again for the new time
        assert reminder_rows(appointment.id)[1440]["state"] == "pending"
        assert waiting_jobs(appointment.id)[1440] == [later - DAY]


@pytest.mark.parametrize("change", ["cancel", "move"])
def test_a_reminder_firing_while_a_change_commits_goes_by_the_change(app, db_url, change):
    """The cancel or move holds the appointment's reminders (it is replacing their jobs) when
    the 2-hour reminder fires: the reminder waits for it, then reads the appointment as the
    change left it. A move from 09:30 to 10:00 keeps its due time (both are in quiet hours, so
    20:59 the evening before): the reminder names 10:00, the time the customer now has."""
    business_id = open_business()
    kim = customer(business_id)
    now = local("Europe/Madrid", "2026-06-01 10:00")
    start = local("Europe/Madrid", "2026-06-03 09:30")
    moved_to = local("Europe/Madrid", "2026-06-03 10:00")
    appointment_id = book(app, business_id, kim["id"], start, now)
    due = local("Europe/Madrid", "2026-06-02 20:59")
    assert reminder_rows(appointment_id)[120]["due_at"] == due
    [job] = db.fetch_all(
        "SELECT id FROM procrastinate_jobs WHERE status = 'todo' AND queueing_lock = %s",
        (f"rem:{appointment_id}:120",),
    )

    def make_change():
        if change == "cancel":
            return booking.cancel(business_id, kim["id"], appointment_id, now)
        return booking.reschedule(business_id, kim["id"], appointment_id, moved_to, now)

    job_row = "SELECT 1 FROM procrastinate_jobs WHERE id = %s FOR UPDATE"
    with holding(db_url, job_row, (job["id"],)):
        changing = Run(app, make_change)
        wait_until(lambda: lock_waits("%cancel_job%"), "the change to reach the reminder's job")
        firing = Run(app, lambda: reminders.fire(appointment_id, 120, due, now=due))
        wait_until(lambda: lock_waits("%appointment_reminders%"), "the reminder to wait")
    assert changing.outcome().ok
    if change == "cancel":
        assert firing.outcome() == "cancelled"
        assert reminder_messages(kim["id"]) == []
        return
    assert firing.outcome() == "queued"
    [message] = reminder_messages(kim["id"])
    assert "at 10:00" in message["body"] and "09:30" not in message["body"], message["body"]
    assert message["expires_at"] == moved_to


def test_erasing_a_customer_while_their_reminder_fires_does_not_deadlock(
    app, world, db_url, drain, fake_graph
):
    """The erasure locks the customer's row, then cancels their appointments (their reminders'
    rows); the firing reminder holds its row and stores its message, which needs a share of the
    customer's row. It takes that share first, so the erasure waits for it and then withdraws
    and erases the reminder."""
    result = booking.book(world.business_id, world.customer_id, "Haircut", at(upcoming(3), "12:00"))
    assert result.ok, result
    appointment = result.appointment
    due = appointment.starts_at - DAY
    with firing_held_at_the_pacing(app, db_url, appointment.id, due) as firing:
        erasing = Run(app, lambda: erasure.erase(world.business_id, world.customer_id, "staff"))
        wait_until(lambda: lock_waits() >= 2 or not erasing.is_alive(), "the erasure to wait")
    assert firing.outcome() == "queued"
    assert erasing.outcome()["erased"] is True
    status = db.fetch_one("SELECT status FROM appointments WHERE id = %s", (appointment.id,))
    assert status["status"] == "cancelled"
    drain()
    assert reminders_sent(fake_graph) == []
    assert {r["state"] for r in reminder_rows(appointment.id).values()} <= {"queued", "cancelled"}

"""No-shows and confirmations: under the booking lock, so a move or cancel in progress is waited
for and the mark goes by what it left; a confirmation counts only for the time it names."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest

from app.booking import book
from app.booking.attendance import mark_no_show
from app.booking.service import confirm_attendance
from app.storage import bookings
from app.storage.db import fetch_one
from tests.fixtures_booking import NOW, appointments, madrid, make_business, make_customer

TUE_9 = madrid("2026-06-02 09:00")
LATER = timedelta(hours=3)
DEADLINE = 30.0  # seconds: generous, the wait ends as soon as PostgreSQL shows the lock wait


def _until_blocked_or_done(work, holder: psycopg.Connection) -> None:
    """Until `work` waits for a lock `holder` has, or has finished without waiting."""
    deadline = time.monotonic() + DEADLINE
    while not work.done():
        row = fetch_one(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            (holder.info.backend_pid,),
        )
        if row["n"]:
            return
        assert time.monotonic() < deadline, "the marking neither waited nor finished"
        time.sleep(0.01)  # polling another session's state; the deadline is generous


def _move(conn, appointment) -> None:
    was = (appointment.starts_at, appointment.ends_at)
    to = (appointment.starts_at + LATER, appointment.ends_at + LATER)
    bookings.move(conn, appointment.id, was, to, "moved", None)


def _cancel(conn, appointment) -> None:
    bookings.mark_cancelled(conn, appointment.id)


@pytest.mark.parametrize(
    "change, code, status",
    [(_move, "not_started", "booked"), (_cancel, "already_cancelled", "cancelled")],
)
def test_a_no_show_marked_during_a_change_goes_by_the_change(pool, db_url, change, code, status):
    """Marked five minutes into the appointment while a change of the business holds the
    booking lock: the change moves it three hours on (it has not started) or cancels it."""
    salon = make_business()
    customer = make_customer(salon)
    appointment = book(salon, customer, "Haircut", TUE_9, now=NOW).appointment
    started = TUE_9 + timedelta(minutes=5)
    with psycopg.connect(db_url) as other, ThreadPoolExecutor(1) as thread:
        bookings.lock_business(other, salon, customer)
        marking = thread.submit(mark_no_show, salon, customer, appointment.id, now=started)
        _until_blocked_or_done(marking, other)
        change(other, appointment)
        other.commit()
        result = marking.result(DEADLINE)
    assert (result.ok, result.code) == (False, code)
    assert [r["status"] for r in appointments(salon)] == [status]


def test_a_confirmation_made_during_a_move_is_not_counted_for_the_new_time(pool, db_url):
    """The customer taps a reminder's Confirm of 09:00 while staff move the appointment to
    12:00: the confirmation waits for the move and is refused with the appointment as moved."""
    salon = make_business()
    customer = make_customer(salon)
    appointment = book(salon, customer, "Haircut", TUE_9, now=NOW).appointment
    with psycopg.connect(db_url) as other, ThreadPoolExecutor(1) as thread:
        bookings.lock_business(other, salon, customer)
        confirming = thread.submit(confirm_attendance, salon, customer, appointment.id, NOW, TUE_9)
        _until_blocked_or_done(confirming, other)
        _move(other, appointment)
        other.commit()
        result = confirming.result(DEADLINE)
    assert (result.ok, result.code) == (False, "moved_since")
    assert result.appointment.starts_at == TUE_9 + LATER
    row = fetch_one("SELECT confirmed_at FROM appointments WHERE id = %s", (appointment.id,))
    assert row["confirmed_at"] is None


def test_a_confirmation_of_the_time_the_appointment_has_counts(pool):
    salon = make_business()
    customer = make_customer(salon)
    appointment = book(salon, customer, "Haircut", TUE_9, now=NOW).appointment
    result = confirm_attendance(salon, customer, appointment.id, NOW, TUE_9)
    assert (result.ok, result.code) == (True, "confirmed")
    row = fetch_one("SELECT confirmed_at FROM appointments WHERE id = %s", (appointment.id,))
    assert row["confirmed_at"] is not None

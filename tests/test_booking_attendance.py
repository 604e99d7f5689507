"""No-shows and confirmations: under the booking lock, so a move or cancel in progress is waited
for and the mark goes by what it left; a confirmation counts only for the time it names, and so
does a cancellation that names one (a reminder's Cancel)."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest

from app.booking import book, find_slots
from app.booking.attendance import mark_no_show
from app.booking.service import cancel, confirm_attendance, reschedule
from app.storage import bookings
from app.storage.db import fetch_one
from tests.fixtures_booking import NOW, appointments, madrid, make_business, make_customer

TUE_9 = madrid("2026-06-02 09:00")
THU_11 = madrid("2026-06-04 11:00")
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


def test_a_cancellation_made_during_a_move_does_not_cancel_the_new_time(pool, db_url):
    """The customer taps a reminder's Cancel of 09:00 while staff move the appointment to
    12:00: the cancellation waits for the move and is refused with the appointment as moved,
    which stays booked (the customer is asked about 12:00 instead)."""
    salon = make_business()
    customer = make_customer(salon)
    appointment = book(salon, customer, "Haircut", TUE_9, now=NOW).appointment
    with psycopg.connect(db_url) as other, ThreadPoolExecutor(1) as thread:
        bookings.lock_business(other, salon, customer)
        cancelling = thread.submit(cancel, salon, customer, appointment.id, NOW, starts_at=TUE_9)
        _until_blocked_or_done(cancelling, other)
        _move(other, appointment)
        other.commit()
        result = cancelling.result(DEADLINE)
    assert (result.ok, result.code) == (False, "moved_since")
    assert result.appointment.starts_at == TUE_9 + LATER
    assert [(r["status"], r["starts_at"]) for r in appointments(salon)] == [
        ("booked", TUE_9 + LATER)
    ]


def test_a_cancellation_of_a_time_the_appointment_left_cancels_nothing(pool):
    """Moved (committed) before the cancellation of its old time came: refused, kept booked."""
    salon = make_business()
    customer = make_customer(salon)
    appointment = book(salon, customer, "Haircut", TUE_9, now=NOW).appointment
    moved = reschedule(salon, customer, appointment.id, TUE_9 + LATER, now=NOW, by_staff=True)
    assert moved.ok, moved
    result = cancel(salon, customer, appointment.id, NOW, starts_at=TUE_9)
    assert (result.ok, result.code) == (False, "moved_since")
    assert result.appointment.starts_at == TUE_9 + LATER
    assert [r["status"] for r in appointments(salon)] == ["booked"]
    # The time it has now is cancelled as asked.
    assert cancel(salon, customer, appointment.id, NOW, starts_at=TUE_9 + LATER).code == (
        "cancelled"
    )


def _no_show_of_a_coloring(salon: int):
    """A 90-minute coloring at Thursday 11:00 (to 12:30) marked a no-show ten minutes in; when."""
    kim = make_customer(salon)
    coloring = book(salon, kim, "Hair coloring", THU_11, now=NOW).appointment
    during = THU_11 + timedelta(minutes=10)
    assert mark_no_show(salon, kim, coloring.id, now=during).code == "no_show"
    return during


def test_a_no_show_keeps_its_seat_until_it_ends(pool):
    """SPEC §5 counts every appointment not cancelled: the staff's calendar keeps its time."""
    salon = make_business(max_concurrent=1, min_notice_minutes=0)
    during = _no_show_of_a_coloring(salon)
    ana = make_customer(salon)
    assert book(salon, ana, "Haircut", THU_11 + timedelta(minutes=30), now=during).code == "full"
    assert book(salon, ana, "Haircut", THU_11 + timedelta(minutes=90), now=during).code == "booked"


def test_free_times_leave_out_a_no_shows_time(pool):
    salon = make_business(max_concurrent=1, min_notice_minutes=0)
    during = _no_show_of_a_coloring(salon)
    found = find_slots(salon, "Haircut", THU_11.date(), THU_11.date(), now=during)
    assert found.slots[0] == THU_11 + timedelta(minutes=90)

"""The booking service over PostgreSQL: book, rebook, reschedule, cancel, list, ownership."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.booking import book, cancel, find_slots, list_for_customer, reschedule
from app.booking.models import Appointment, BookingResult, refusal
from app.storage.db import fetch_all
from tests.fixtures_booking import (
    MADRID,
    NOW,
    appointments,
    booked,
    madrid,
    make_business,
    make_customer,
    service_id,
)

TUE_9 = madrid("2026-06-02 09:00")
TUE_11 = madrid("2026-06-02 11:00")


@pytest.fixture
def salon(pool):
    return make_business()


@pytest.fixture
def alice(salon):
    return make_customer(salon)


@pytest.fixture
def haircut(salon):
    return service_id(salon, "Haircut")


def test_book_creates_an_appointment(salon, alice, haircut):
    result = book(salon, alice, haircut, TUE_9, now=NOW)
    assert (result.ok, result.code, result.created) == (True, "booked", True)
    appt = result.appointment
    assert (appt.customer_id, appt.service_name, appt.status) == (alice, "Haircut", "booked")
    assert (appt.starts_at, appt.ends_at) == (TUE_9, TUE_9 + timedelta(minutes=30))
    assert [row["id"] for row in booked(salon)] == [appt.id]


def test_rebooking_returns_the_existing_appointment(salon, alice, haircut):
    first = book(salon, alice, haircut, TUE_9, now=NOW)
    again = book(salon, alice, "  haircut ", TUE_9.astimezone(MADRID), now=NOW)
    assert (again.ok, again.code, again.created) == (True, "exists", False)
    assert again.appointment == first.appointment
    assert len(appointments(salon)) == 1


def test_full_slot_is_refused_with_nearby_alternatives(salon, haircut):
    for _ in range(2):
        assert book(salon, make_customer(salon), haircut, TUE_9, now=NOW).ok
    result = book(salon, make_customer(salon), haircut, TUE_9, now=NOW)
    assert (result.ok, result.code, result.appointment) == (False, "full", None)
    expected = ("09:30", "09:45", "10:00")
    assert result.alternatives == tuple(madrid(f"2026-06-02 {t}") for t in expected)
    assert len(appointments(salon)) == 2


@pytest.mark.parametrize(
    "service, starts_at, code",
    [
        ("Haircut", madrid("2026-05-31 10:00"), "past"),
        ("Haircut", madrid("2026-06-01 08:30"), "too_soon"),
        ("Haircut", madrid("2026-06-02 02:00"), "outside_hours"),
        ("Haircut", madrid("2026-06-02 12:45"), "outside_hours"),
        ("Haircut", madrid("2044-06-02 10:00"), "beyond_horizon"),
        ("Haircut", madrid("2026-06-07 10:00"), "closed_day"),
        ("Haircut", madrid("2026-06-02 09:07"), "not_on_step"),
        ("Massage", TUE_9, "unknown_service"),
        (None, TUE_9, "unknown_service"),
        (True, TUE_9, "unknown_service"),
        ("Haircut", datetime(2026, 6, 2, 9, 0), "invalid"),
        ("Haircut", "2026-06-02T09:00:00+02:00", "invalid"),
    ],
)
def test_bad_requests_store_nothing(salon, alice, service, starts_at, code):
    result = book(salon, alice, service, starts_at, now=NOW)
    assert (result.ok, result.code, result.appointment) == (False, code, None)
    assert appointments(salon) == []


@pytest.mark.parametrize(
    ("starts_at", "closes_at", "message"),
    [
        (
            madrid("2026-06-02 12:45"),
            madrid("2026-06-02 13:00"),
            "That time is outside opening hours: Haircut takes 30 minutes and would run past"
            " 13:00, when we close.",
        ),
        (madrid("2026-06-02 02:00"), None, "That time is outside opening hours."),
    ],
)
def test_a_time_the_service_would_run_past_a_close_from_names_it(
    salon, alice, haircut, starts_at, closes_at, message
):
    result = book(salon, alice, haircut, starts_at, now=NOW)
    assert (result.code, result.closes_at, result.message) == ("outside_hours", closes_at, message)
    assert result.alternatives and appointments(salon) == []


@pytest.mark.parametrize("customer", ["other-business", "nonexistent", "not-an-id", "negative"])
def test_booking_for_a_foreign_or_bad_customer_is_invalid(salon, haircut, customer):
    other = make_business()
    ids = {"other-business": make_customer(other), "nonexistent": 999_999}
    ids |= {"not-an-id": "1", "negative": -1}
    result = book(salon, ids[customer], haircut, TUE_9, now=NOW)
    assert (result.ok, result.code) == (False, "invalid")
    assert appointments(salon) == []


def moves(appointment_id: int) -> list[tuple]:
    """The recorded moves of an appointment: (from start, to start), oldest first."""
    rows = fetch_all(
        "SELECT from_starts_at, to_starts_at FROM appointment_moves WHERE appointment_id = %s"
        " ORDER BY id",
        (appointment_id,),
    )
    return [(r["from_starts_at"], r["to_starts_at"]) for r in rows]


def test_reschedule_moves_the_appointment_keeping_its_id(salon, alice, haircut):
    old = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    result = reschedule(salon, alice, old.id, TUE_11, now=NOW)
    assert (result.ok, result.code, result.message) == (
        True,
        "rescheduled",
        "The appointment has been moved.",
    )
    moved = result.appointment
    assert (moved.id, moved.status, moved.rescheduled_from) == (old.id, "booked", None)
    assert (moved.starts_at, moved.ends_at) == (TUE_11, TUE_11 + timedelta(minutes=30))
    assert [(r["id"], r["status"], r["starts_at"]) for r in appointments(salon)] == [
        (old.id, "booked", TUE_11)
    ]
    assert moves(old.id) == [(TUE_9, TUE_11)]
    assert list_for_customer(salon, alice, now=NOW) == [moved]


def test_moving_frees_the_old_time(salon, alice, haircut):
    old = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    book(salon, make_customer(salon), haircut, TUE_9, now=NOW)  # capacity 2: 09:00 is full
    tue = date(2026, 6, 2)
    assert TUE_9 not in find_slots(salon, haircut, tue, tue, now=NOW).slots
    assert reschedule(salon, alice, old.id, TUE_11, now=NOW).ok
    assert TUE_9 in find_slots(salon, haircut, tue, tue, now=NOW).slots
    third = book(salon, make_customer(salon), haircut, TUE_9, now=NOW)
    assert (third.ok, third.code) == (True, "booked")


def test_retried_reschedule_answers_with_its_result(salon, alice, haircut):
    old = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    first = reschedule(salon, alice, old.id, TUE_11, now=NOW)
    again = reschedule(salon, alice, old.id, TUE_11, now=NOW)
    assert (again.ok, again.code, again.message) == (
        True,
        "rescheduled",
        "The appointment has been moved.",
    )
    assert again.appointment == first.appointment
    assert moves(old.id) == [(TUE_9, TUE_11)]


def test_an_appointment_can_move_again_and_keeps_every_move(salon, alice, haircut):
    old = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    reschedule(salon, alice, old.id, TUE_11, now=NOW)
    noon = TUE_11 + timedelta(hours=1)
    again = reschedule(salon, alice, old.id, noon, now=NOW)
    assert (again.ok, again.code, again.appointment.id) == (True, "rescheduled", old.id)
    assert moves(old.id) == [(TUE_9, TUE_11), (TUE_11, noon)]
    assert [(r["id"], r["starts_at"]) for r in booked(salon)] == [(old.id, noon)]


def test_moving_to_its_own_time_is_not_a_move(salon, alice, haircut):
    old = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    result = reschedule(salon, alice, old.id, TUE_9, now=NOW)
    assert (result.ok, result.code, result.message) == (
        True,
        "rescheduled",
        "It is already at that time.",
    )
    assert moves(old.id) == []


def test_a_cancelled_appointment_cannot_be_moved(salon, alice, haircut):
    old = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    cancel(salon, alice, old.id, now=NOW)
    result = reschedule(salon, alice, old.id, TUE_11, now=NOW)
    assert (result.ok, result.code) == (False, "already_cancelled")
    assert [(r["status"], r["starts_at"]) for r in appointments(salon)] == [("cancelled", TUE_9)]
    assert moves(old.id) == []


def test_moved_appointment_does_not_count_against_its_new_slot(salon, alice, haircut):
    old = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    book(salon, make_customer(salon), haircut, TUE_9, now=NOW)
    # 09:15-09:45 overlaps both 09:00 bookings; only the other customer's may count.
    result = reschedule(salon, alice, old.id, madrid("2026-06-02 09:15"), now=NOW)
    assert (result.ok, result.code) == (True, "rescheduled")


def test_refused_reschedule_changes_nothing(salon, alice, haircut):
    old = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    for _ in range(2):
        book(salon, make_customer(salon), haircut, TUE_11, now=NOW)
    before = appointments(salon)
    result = reschedule(salon, alice, old.id, TUE_11, now=NOW)
    assert (result.ok, result.code, result.appointment) == (False, "full", None)
    assert len(result.alternatives) == 3
    assert appointments(salon) == before
    assert moves(old.id) == []


@pytest.mark.parametrize(
    "new_start, code",
    [
        (madrid("2026-06-02 13:15"), "outside_hours"),
        (madrid("2026-05-31 10:00"), "past"),
        (datetime(2026, 6, 2, 11, 0), "invalid"),
    ],
)
def test_reschedule_to_a_bad_time_changes_nothing(salon, alice, haircut, new_start, code):
    old = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    result = reschedule(salon, alice, old.id, new_start, now=NOW)
    assert (result.ok, result.code) == (False, code)
    assert [(r["status"], r["starts_at"]) for r in appointments(salon)] == [("booked", TUE_9)]
    assert moves(old.id) == []


def test_cancel_then_rebook(salon, alice, haircut):
    appt = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    result = cancel(salon, alice, appt.id, now=NOW)
    assert (result.ok, result.code, result.appointment.status) == (True, "cancelled", "cancelled")
    assert cancel(salon, alice, appt.id, now=NOW).code == "already_cancelled"
    again = book(salon, alice, haircut, TUE_9, now=NOW)
    assert (again.code, again.created) == ("booked", True)
    assert again.appointment.id != appt.id


def test_past_appointments_cannot_be_cancelled(salon, alice, haircut):
    appt = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    result = cancel(salon, alice, appt.id, now=TUE_9 + timedelta(minutes=5))
    assert (result.ok, result.code) == (False, "past")
    assert booked(salon)[0]["id"] == appt.id


def test_list_for_customer(salon, alice, haircut):
    mine = [book(salon, alice, haircut, t, now=NOW).appointment for t in (TUE_11, TUE_9)]
    book(salon, make_customer(salon), haircut, TUE_9, now=NOW)
    cancel(salon, alice, mine[0].id, now=NOW)
    assert list_for_customer(salon, alice, now=NOW) == [mine[1]]
    later = TUE_9 + timedelta(hours=1)
    assert list_for_customer(salon, alice, now=later) == []
    assert list_for_customer(salon, alice, include_past=True, now=later) == [mine[1]]


def _foreign_appointment(kind: str, salon: int, haircut: int) -> int:
    """An appointment id the customer must not be able to see."""
    if kind == "nonexistent":
        return 999_999
    if kind == "other-customer":
        return book(salon, make_customer(salon), haircut, TUE_11, now=NOW).appointment.id
    other = make_business()
    stranger = make_customer(other)
    return book(other, stranger, service_id(other, "Haircut"), TUE_11, now=NOW).appointment.id


@pytest.mark.parametrize("kind", ["nonexistent", "other-customer", "other-business"])
@pytest.mark.parametrize("action", ["cancel", "reschedule"])
def test_foreign_appointments_look_nonexistent(salon, alice, haircut, kind, action):
    appointment_id = _foreign_appointment(kind, salon, haircut)
    before = appointments(salon)
    if action == "cancel":
        result = cancel(salon, alice, appointment_id, now=NOW)
    else:
        result = reschedule(salon, alice, appointment_id, TUE_9, now=NOW)
    assert result == refusal("not_found")
    assert result == BookingResult(False, "not_found", "No such appointment.")
    assert appointments(salon) == before


def test_find_slots_leaves_out_full_slots(salon, haircut):
    day = date(2026, 6, 2)
    free = find_slots(salon, "haircut", day, day, now=NOW)
    assert (free.ok, free.code) == (True, "available")
    assert len(free.slots) == 15 + 15  # 09:00-12:30 and 14:00-17:30, every 15 minutes
    for _ in range(2):
        book(salon, make_customer(salon), haircut, TUE_9, now=NOW)
    after = find_slots(salon, haircut, day, day, now=NOW)
    assert set(free.slots) - set(after.slots) == {TUE_9, TUE_9 + timedelta(minutes=15)}


@pytest.mark.parametrize(
    "service, day_from, day_to, code",
    [
        ("Massage", date(2026, 6, 2), date(2026, 6, 2), "unknown_service"),
        ("Haircut", date(2026, 6, 3), date(2026, 6, 2), "invalid"),
        ("Haircut", date(2026, 6, 2), date(2026, 8, 2), "invalid"),
        ("Haircut", "2026-06-02", date(2026, 6, 2), "invalid"),
        ("Haircut", date(2026, 5, 30), date(2026, 5, 31), "past"),
        ("Haircut", date(2026, 8, 1), date(2026, 8, 3), "beyond_horizon"),
    ],
)
def test_find_slots_refuses_bad_queries_with_a_code(salon, service, day_from, day_to, code):
    result = find_slots(salon, service, day_from, day_to, now=NOW)
    assert (result.ok, result.code, result.slots) == (False, code, ())


@pytest.mark.parametrize(
    "after, before, message",
    [
        ("17:00", None, "after must be a time of day"),
        (None, 17, "before must be a time of day"),
        (time(12), time(10), "before must not be earlier than after"),
    ],
)
def test_find_slots_names_a_bad_bound(salon, after, before, message):
    day = date(2026, 6, 2)
    result = find_slots(salon, "Haircut", day, day, now=NOW, after=after, before=before)
    assert (result.ok, result.code, result.message) == (False, "invalid", message)


def test_find_slots_between_after_and_before(salon):
    day = date(2026, 6, 2)
    result = find_slots(salon, "Haircut", day, day, now=NOW, after=time(17), before=time(17, 30))
    assert (result.ok, result.code, result.after, result.before) == (
        True,
        "available",
        time(17),
        time(17, 30),
    )
    assert result.slots == tuple(madrid(f"2026-06-02 {t}") for t in ("17:00", "17:15", "17:30"))
    assert result.alternatives == ()


@pytest.mark.parametrize(
    "day, after, before, expected",
    [
        # Saturday after 14:00 (closed then; Sunday closed): Monday's first times.
        (
            date(2026, 6, 6),
            time(14),
            None,
            ("2026-06-08 09:00", "2026-06-08 09:15", "2026-06-08 09:30"),
        ),
        # Tuesday before 08:00: the same day's first times.
        (
            date(2026, 6, 2),
            None,
            time(8),
            ("2026-06-02 09:00", "2026-06-02 09:15", "2026-06-02 09:30"),
        ),
    ],
)
def test_find_slots_with_none_free_offers_the_next_times(salon, day, after, before, expected):
    result = find_slots(salon, "Haircut", day, day, now=NOW, after=after, before=before)
    assert (result.ok, result.code, result.slots) == (True, "none_free", ())
    assert result.alternatives == tuple(madrid(t) for t in expected)


def test_appointments_are_utc_whatever_the_session_timezone():
    local = TUE_9.astimezone(MADRID)
    row = {"id": 1, "business_id": 1, "customer_id": 1, "service_id": 1, "service_name": "x"}
    row |= {"starts_at": local, "ends_at": local + timedelta(minutes=30), "status": "booked"}
    row |= {"calendar_event_id": None, "rescheduled_from": None}
    appt = Appointment.from_row(row)
    assert (appt.starts_at, appt.starts_at.tzinfo) == (TUE_9, UTC)


LATE = {"open": "18:00", "close": "24:00", "breaks": []}
ALL_DAY = {"open": "00:00", "close": "24:00", "breaks": []}
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.mark.parametrize("after_midnight", ["a blocked next day", "a booking at 00:00"])
def test_a_day_closing_at_24_offers_its_last_time_exactly_when_it_can_be_booked(
    pool, after_midnight
):
    """With a buffer, the last service of a day closing at 24:00 runs past midnight: what is
    busy then counts for the times listed as it does for the booking."""
    from app.storage import front_desk
    from app.storage.db import transaction

    hours = LATE if after_midnight == "a blocked next day" else ALL_DAY
    bar = make_business(
        opening_hours=dict.fromkeys(WEEK, hours), max_concurrent=1, buffer_minutes=15
    )
    if after_midnight == "a blocked next day":
        with transaction() as conn:
            front_desk.add_block(
                conn, bar, madrid("2026-06-03 00:00"), madrid("2026-06-04 00:00"), "holiday", None
            )
    else:
        assert book(bar, make_customer(bar), "Haircut", madrid("2026-06-03 00:00"), now=NOW).ok
    tue = date(2026, 6, 2)
    offered = find_slots(bar, "Haircut", tue, tue, now=NOW).slots
    last = madrid("2026-06-02 23:30")
    result = book(bar, make_customer(bar), "Haircut", last, now=NOW)
    assert last not in offered
    assert (result.ok, result.code) == (False, "full")

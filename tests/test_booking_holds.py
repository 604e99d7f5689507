"""Holds: a tapped time counts toward capacity until it expires; Confirm books it, re-checked."""

from datetime import timedelta

import pytest

from app.booking import (
    book,
    cancel,
    confirm_hold,
    find_slots,
    hold,
    list_for_customer,
    release_hold,
    reschedule,
)
from app.storage.db import fetch_all
from tests.fixtures_booking import (
    NOW,
    appointments,
    booked,
    madrid,
    make_business,
    make_customer,
    service_id,
)
from tests.test_calendar_local import FakeRemote

TUE = madrid("2026-06-02 09:00").date()
TUE_9 = madrid("2026-06-02 09:00")
TUE_10 = madrid("2026-06-02 10:00")
LIFETIME = timedelta(seconds=300)
AFTER_EXPIRY = NOW + LIFETIME + timedelta(seconds=1)
# What a full 09:00 offers instead (capacity 2, 30-minute haircuts): the closest free times.
NEARBY = tuple(madrid(f"2026-06-02 {t}") for t in ("09:30", "09:45", "10:00"))


@pytest.fixture
def salon(pool):
    return make_business()


@pytest.fixture
def haircut(salon):
    return service_id(salon, "Haircut")


def customers(salon: int, n: int) -> list[int]:
    return [make_customer(salon) for _ in range(n)]


def holds(business_id: int) -> list[tuple]:
    """(customer, start, expiry) of every held row."""
    rows = fetch_all(
        "SELECT customer_id, starts_at, hold_expires_at FROM appointments"
        " WHERE business_id = %s AND status = 'held' ORDER BY id",
        (business_id,),
    )
    return [(r["customer_id"], r["starts_at"], r["hold_expires_at"]) for r in rows]


def test_a_hold_lasts_its_lifetime_and_is_not_a_booking(salon, haircut):
    [alice] = customers(salon, 1)
    result = hold(salon, alice, haircut, TUE_9, now=NOW)
    assert (result.ok, result.code, result.created) == (True, "held", True)
    appt = result.appointment
    assert (appt.status, appt.starts_at, appt.hold_expires_at) == ("held", TUE_9, NOW + LIFETIME)
    assert holds(salon) == [(alice, TUE_9, NOW + LIFETIME)]
    assert booked(salon) == []
    assert list_for_customer(salon, alice, now=NOW) == []


def test_hold_lifetime_can_be_given(salon, haircut):
    [alice] = customers(salon, 1)
    result = hold(salon, alice, haircut, TUE_9, now=NOW, seconds=30)
    assert result.appointment.hold_expires_at == NOW + timedelta(seconds=30)


def test_a_hold_takes_a_seat_from_everyone_else(salon, haircut):
    alice, bob, carol = customers(salon, 3)
    assert hold(salon, alice, haircut, TUE_9, now=NOW).ok
    assert book(salon, bob, haircut, TUE_9, now=NOW).code == "booked"
    refused = book(salon, carol, haircut, TUE_9, now=NOW)
    assert (refused.ok, refused.code, refused.alternatives) == (False, "full", NEARBY)
    assert TUE_9 not in find_slots(salon, haircut, TUE, TUE, now=NOW).slots


def test_a_full_time_cannot_be_held(salon, haircut):
    alice, bob, carol = customers(salon, 3)
    for customer in (alice, bob):
        assert book(salon, customer, haircut, TUE_9, now=NOW).ok
    result = hold(salon, carol, haircut, TUE_9, now=NOW)
    assert (result.ok, result.code) == (False, "taken")
    assert result.message == "Sorry, that time was just taken."
    assert result.alternatives == NEARBY
    assert holds(salon) == []


def test_other_refusals_keep_their_codes(salon, haircut):
    [alice] = customers(salon, 1)
    sunday = madrid("2026-06-07 11:00")
    assert hold(salon, alice, haircut, sunday, now=NOW).code == "closed_day"
    assert hold(salon, alice, "Massage", TUE_9, now=NOW).code == "unknown_service"
    assert hold(salon, alice, haircut, TUE_9.replace(tzinfo=None), now=NOW).code == "invalid"


def test_an_expired_hold_stops_counting_without_clean_up(salon, haircut):
    alice, bob, carol = customers(salon, 3)
    assert hold(salon, alice, haircut, TUE_9, now=NOW).ok
    assert book(salon, bob, haircut, TUE_9, now=NOW).ok
    assert TUE_9 in find_slots(salon, haircut, TUE, TUE, now=AFTER_EXPIRY).slots
    assert book(salon, carol, haircut, TUE_9, now=AFTER_EXPIRY).code == "booked"
    assert len(holds(salon)) == 1  # the row is still there; it just no longer counts


def test_confirm_books_the_held_time_under_the_same_id(salon, haircut):
    [alice] = customers(salon, 1)
    held = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    result = confirm_hold(salon, alice, held.id, now=NOW + timedelta(seconds=60))
    assert (result.ok, result.code, result.created) == (True, "booked", True)
    appt = result.appointment
    assert (appt.id, appt.status, appt.starts_at, appt.hold_expires_at) == (
        held.id,
        "booked",
        TUE_9,
        None,
    )
    assert holds(salon) == []
    assert [r["id"] for r in booked(salon)] == [held.id]
    assert list_for_customer(salon, alice, now=NOW) == [appt]


def test_confirming_twice_answers_exists(salon, haircut):
    [alice] = customers(salon, 1)
    held = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    first = confirm_hold(salon, alice, held.id, now=NOW)
    again = confirm_hold(salon, alice, held.id, now=NOW)
    assert (again.ok, again.code, again.appointment) == (True, "exists", first.appointment)
    assert len(booked(salon)) == 1


def test_confirm_without_an_id_takes_the_customers_hold(salon, haircut):
    [alice] = customers(salon, 1)
    held = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    assert confirm_hold(salon, alice, now=NOW).appointment.id == held.id


def test_confirm_after_expiry_books_a_time_still_free(salon, haircut):
    [alice] = customers(salon, 1)
    held = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    result = confirm_hold(salon, alice, held.id, now=AFTER_EXPIRY)
    assert (result.code, result.appointment.id) == ("booked", held.id)


def test_confirm_after_expiry_when_the_time_is_gone_offers_others(salon, haircut):
    alice, bob, carol = customers(salon, 3)
    held = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    for customer in (bob, carol):
        assert book(salon, customer, haircut, TUE_9, now=AFTER_EXPIRY).code == "booked"
    result = confirm_hold(salon, alice, held.id, now=AFTER_EXPIRY)
    assert (result.ok, result.code, result.alternatives) == (False, "taken", NEARBY)
    assert holds(salon) == []  # let go: its time is gone
    assert confirm_hold(salon, alice, held.id, now=AFTER_EXPIRY).code == "not_found"
    assert len(booked(salon)) == 2


def test_confirm_rechecks_the_rules(salon, haircut):
    [alice] = customers(salon, 1)
    held = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    # Confirmed 20 minutes before the start: the 60-minute notice is no longer met.
    result = confirm_hold(salon, alice, held.id, now=TUE_9 - timedelta(minutes=20))
    assert (result.ok, result.code) == (False, "too_soon")
    assert holds(salon) == [] and booked(salon) == []


def test_a_new_hold_replaces_the_old_one(salon, haircut):
    alice, bob, carol = customers(salon, 3)
    first = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    second = hold(salon, alice, haircut, TUE_10, now=NOW).appointment
    assert holds(salon) == [(alice, TUE_10, NOW + LIFETIME)]
    for customer in (bob, carol):  # 09:00 is free again
        assert book(salon, customer, haircut, TUE_9, now=NOW).code == "booked"
    assert confirm_hold(salon, alice, first.id, now=NOW).code == "not_found"
    assert confirm_hold(salon, alice, second.id, now=NOW).code == "booked"


def test_holding_the_same_time_again_renews_it(salon, haircut):
    [alice] = customers(salon, 1)
    first = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    later = NOW + timedelta(seconds=200)
    again = hold(salon, alice, haircut, TUE_9, now=later).appointment
    assert (again.id, again.hold_expires_at) == (first.id, later + LIFETIME)


def test_a_customers_own_hold_does_not_block_their_new_one(salon, haircut):
    alice, bob = customers(salon, 2)
    assert book(salon, bob, haircut, TUE_9, now=NOW).ok
    assert hold(salon, alice, haircut, TUE_9, now=NOW).ok  # 2 of 2 seats: bob and alice
    beard = service_id(salon, "Beard trim")
    assert hold(salon, alice, beard, TUE_9, now=NOW).code == "held"  # replaces, not adds


def test_booking_replaces_the_customers_hold(salon, haircut):
    alice, bob = customers(salon, 2)
    assert book(salon, bob, haircut, TUE_9, now=NOW).ok
    assert hold(salon, alice, haircut, TUE_9, now=NOW).ok
    assert book(salon, alice, haircut, TUE_9, now=NOW).code == "booked"
    assert holds(salon) == []
    assert len(booked(salon)) == 2


def test_moving_onto_the_customers_own_hold_replaces_it(salon, haircut):
    alice, bob, carol = customers(salon, 3)
    appt = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    assert book(salon, bob, haircut, TUE_10, now=NOW).ok
    assert hold(salon, alice, haircut, TUE_10, now=NOW).ok  # 2 of 2 seats: bob and alice
    result = reschedule(salon, alice, appt.id, TUE_10, now=NOW)
    assert (result.ok, result.code) == (True, "rescheduled")
    assert (result.appointment.id, result.appointment.starts_at) == (appt.id, TUE_10)
    assert holds(salon) == []  # the move took the held seat, as a booking does
    assert book(salon, carol, haircut, TUE_10, now=NOW).code == "full"


@pytest.mark.parametrize("by_staff", [False, True], ids=["her move", "a move by staff"])
def test_a_move_never_takes_a_hold_of_another_booking_in_the_making(pool, by_staff):
    """Capacity 1: Alice holds a 90-minute coloring at 10:00 and is about to confirm it. Moving
    her haircut to 11:00, inside it, is refused, and her hold stays (it was taken, and her
    Confirm then found nothing); so does a move by staff onto the very time and service she
    holds, which she did not choose."""
    salon = make_business(max_concurrent=1)
    haircut, coloring = service_id(salon, "Haircut"), service_id(salon, "Hair coloring")
    alice = make_customer(salon)
    appt = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    held = hold(salon, alice, coloring, TUE_10, now=NOW)
    assert held.ok
    moved = reschedule(salon, alice, appt.id, madrid("2026-06-02 11:00"), NOW, by_staff=by_staff)
    assert (moved.ok, moved.code) == (False, "full")
    assert confirm_hold(salon, alice, held.appointment.id, now=NOW).ok
    if by_staff:  # and onto a hold of this service and time: still hers to confirm or let go
        other = hold(salon, alice, haircut, madrid("2026-06-03 10:00"), now=NOW)
        assert other.ok
        moved = reschedule(salon, alice, appt.id, madrid("2026-06-03 10:00"), NOW, by_staff=True)
        assert (moved.ok, moved.code) == (False, "full")
        assert [h[1] for h in holds(salon)] == [madrid("2026-06-03 10:00")]


@pytest.mark.parametrize("change", ["book", "reschedule", "hold"])
def test_a_refusal_offers_the_customers_own_held_time(pool, change):
    """Capacity 1: alice may not book, hold, or move her 09:00 to 09:30 (bob's); among the
    times offered instead is 10:00, which she holds (a new booking, hold or move replaces it)."""
    salon = make_business(max_concurrent=1)
    haircut = service_id(salon, "Haircut")
    alice, bob = customers(salon, 2)
    appt = book(salon, alice, haircut, TUE_9, now=NOW).appointment
    assert book(salon, bob, haircut, madrid("2026-06-02 09:30"), now=NOW).ok
    assert hold(salon, alice, haircut, TUE_10, now=NOW).ok
    at_bobs = madrid("2026-06-02 09:30")
    if change == "book":
        result = book(salon, alice, haircut, at_bobs, now=NOW)
    elif change == "hold":
        result = hold(salon, alice, haircut, at_bobs, now=NOW)
    else:
        result = reschedule(salon, alice, appt.id, at_bobs, now=NOW)
    assert (result.ok, result.code in ("full", "taken")) == (False, True)
    assert TUE_10 in result.alternatives


def test_release_frees_the_seat_at_once(salon, haircut):
    alice, bob, carol = customers(salon, 3)
    held = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    result = release_hold(salon, alice, held.id)
    assert (result.ok, result.code, result.appointment.id) == (True, "released", held.id)
    for customer in (bob, carol):
        assert book(salon, customer, haircut, TUE_9, now=NOW).code == "booked"
    assert release_hold(salon, alice, held.id).code == "not_found"


def test_a_hold_is_its_customers_alone(salon, haircut):
    alice, bob = customers(salon, 2)
    held = hold(salon, alice, haircut, TUE_9, now=NOW).appointment
    assert confirm_hold(salon, bob, held.id, now=NOW).code == "not_found"
    assert release_hold(salon, bob, held.id).code == "not_found"
    assert cancel(salon, alice, held.id, now=NOW).code == "not_found"  # not a booking yet
    assert holds(salon) == [(alice, TUE_9, NOW + LIFETIME)]


@pytest.mark.parametrize("hold_id", [0, -1, True, "7", 2**63])
def test_bad_hold_ids_are_invalid(salon, hold_id):
    [alice] = customers(salon, 1)
    assert confirm_hold(salon, alice, hold_id, now=NOW).code == "invalid"
    assert release_hold(salon, alice, hold_id).code == "invalid"


@pytest.fixture
def remote(pool, db_url, monkeypatch):
    from app import calendars

    fake = FakeRemote(db_url)
    monkeypatch.setitem(calendars._BACKENDS, "google", lambda business: fake)
    return fake


def test_only_the_confirmed_booking_reaches_the_remote_calendar(remote):
    salon = make_business(calendar_backend="google")
    alice = make_customer(salon)
    held = hold(salon, alice, "Haircut", TUE_9, now=NOW).appointment
    assert remote.synced == []
    confirm_hold(salon, alice, held.id, now=NOW)
    # Told inside the confirming transaction: another connection still sees the hold.
    assert remote.synced == [("booked", held.id, ("held", TUE_9))]
    assert [(r["id"], r["status"]) for r in appointments(salon)] == [(held.id, "booked")]


def test_remote_busy_time_blocks_a_hold(remote):
    salon = make_business(calendar_backend="google")
    result = hold(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:30"), now=NOW)
    assert (result.ok, result.code) == (False, "taken")


def test_the_lifetime_is_slot_hold_seconds(salon, haircut):
    from flask import Flask

    app = Flask(__name__)
    app.config["SLOT_HOLD_SECONDS"] = 45
    with app.app_context():
        result = hold(salon, make_customer(salon), haircut, TUE_9, now=NOW)
    assert result.appointment.hold_expires_at == NOW + timedelta(seconds=45)

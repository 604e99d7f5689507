"""Many customers tapping one time at once: holds never let the business exceed capacity."""

from collections import Counter
from datetime import timedelta

import pytest

from app.booking import book, confirm_hold, hold
from app.storage.db import fetch_one
from tests.fixtures_booking import NOW, booked, madrid, make_business, make_customer, service_id
from tests.test_booking_concurrency import THREADS, run_together

TUE_9 = madrid("2026-06-02 09:00")
AFTER_EXPIRY = NOW + timedelta(seconds=301)
NEARBY = tuple(madrid(f"2026-06-02 {t}") for t in ("09:30", "09:45", "10:00"))


@pytest.fixture
def salon(pool):
    return make_business()  # capacity 2


@pytest.fixture
def haircut(salon):
    return service_id(salon, "Haircut")


def seats_taken(business_id: int, now) -> int:
    """The most bookings plus holds unexpired at `now` covering any single instant."""
    row = fetch_one(
        "WITH taking AS (SELECT id, starts_at, ends_at FROM appointments WHERE business_id = %(b)s"
        "   AND (status = 'booked' OR (status = 'held' AND hold_expires_at > %(now)s)))"
        " SELECT coalesce(max(n), 0) AS peak FROM (SELECT count(*) AS n FROM taking a"
        "   JOIN taking b ON b.starts_at <= a.starts_at AND b.ends_at > a.starts_at"
        "   GROUP BY a.id) per_start",
        {"b": business_id, "now": now},
    )
    return row["peak"]


def codes(results: list) -> Counter:
    return Counter(getattr(r, "code", repr(r)) for r in results)


def test_fifty_taps_on_one_time_give_two_holds(salon, haircut):
    tappers = [make_customer(salon) for _ in range(THREADS)]
    results = run_together([lambda c=c: hold(salon, c, haircut, TUE_9, now=NOW) for c in tappers])
    assert codes(results) == {"held": 2, "taken": THREADS - 2}
    taken = [r for r in results if r.code == "taken"]
    assert {(r.ok, r.message, r.alternatives) for r in taken} == {
        (False, "Sorry, that time was just taken.", NEARBY)
    }
    assert seats_taken(salon, NOW) == 2
    # The holds expire: the time is free again with nothing cleaned up, and the two who held
    # it and confirm too late are told it is gone.
    late = [make_customer(salon) for _ in range(2)]
    assert [book(salon, c, haircut, TUE_9, now=AFTER_EXPIRY).code for c in late] == ["booked"] * 2
    holders = [r.appointment.customer_id for r in results if r.code == "held"]
    confirms = [confirm_hold(salon, c, now=AFTER_EXPIRY) for c in holders]
    assert [(r.code, r.alternatives) for r in confirms] == [("taken", NEARBY)] * 2
    assert len(booked(salon)) == 2


def test_holds_racing_bookings_never_exceed_capacity(salon, haircut):
    people = [make_customer(salon) for _ in range(THREADS)]
    tasks = [
        (lambda c=c: hold(salon, c, haircut, TUE_9, now=NOW))
        if i % 2
        else (lambda c=c: book(salon, c, haircut, TUE_9, now=NOW))
        for i, c in enumerate(people)
    ]
    results = codes(run_together(tasks))
    assert results["held"] + results["booked"] == 2
    assert results["taken"] + results["full"] == THREADS - 2
    assert seats_taken(salon, NOW) == 2


def test_unexpired_holds_confirm_while_bookings_race_them(salon, haircut):
    holders = [make_customer(salon) for _ in range(2)]
    for customer in holders:
        assert hold(salon, customer, haircut, TUE_9, now=NOW).code == "held"
    later = NOW + timedelta(seconds=60)
    others = [make_customer(salon) for _ in range(THREADS - 2)]
    tasks = [lambda c=c: confirm_hold(salon, c, now=later) for c in holders]
    tasks += [lambda c=c: book(salon, c, haircut, TUE_9, now=later) for c in others]
    results = run_together(tasks)
    assert [r.code for r in results[:2]] == ["booked", "booked"]
    assert codes(results[2:]) == {"full": THREADS - 2}
    assert sorted(r["customer_id"] for r in booked(salon)) == sorted(holders)


def test_expired_holds_confirm_or_lose_to_racing_bookings(salon, haircut):
    holders = [make_customer(salon) for _ in range(2)]
    for customer in holders:
        assert hold(salon, customer, haircut, TUE_9, now=NOW).code == "held"
    others = [make_customer(salon) for _ in range(THREADS - 2)]
    tasks = [lambda c=c: confirm_hold(salon, c, now=AFTER_EXPIRY) for c in holders]
    tasks += [lambda c=c: book(salon, c, haircut, TUE_9, now=AFTER_EXPIRY) for c in others]
    results = codes(run_together(tasks))
    assert results["booked"] == 2
    assert results["taken"] + results["full"] == THREADS - 2
    assert len(booked(salon)) == 2 and seats_taken(salon, AFTER_EXPIRY) == 2

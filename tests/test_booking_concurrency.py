"""Many threads booking at once never exceed capacity, lose an appointment or double-book."""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from app.booking import book, cancel, reschedule
from app.storage.db import fetch_one
from tests.fixtures_booking import NOW, booked, madrid, make_business, make_customer, service_id

THREADS = 50
TUE_9 = madrid("2026-06-02 09:00")


def run_together(tasks: list[Callable[[], object]]) -> list[object]:
    """Run each task on its own thread, released at the same instant; return their results."""
    barrier = threading.Barrier(len(tasks))
    results: list[object] = [None] * len(tasks)

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = tasks[index]()
        except Exception as exc:  # Surface it in the assertion instead of a silent thread death.
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def peak_overlap(business_id: int, buffer_minutes: int = 0) -> int:
    """The most booked appointments (stretched by the buffer) covering any single instant."""
    # The load is highest at some appointment's start, so counting at every start is enough.
    row = fetch_one(
        "SELECT coalesce(max(n), 0) AS peak FROM ("
        " SELECT count(*) AS n FROM appointments a JOIN appointments b"
        "   ON b.business_id = a.business_id AND b.status = 'booked'"
        "  AND b.starts_at <= a.starts_at"
        "  AND b.ends_at + make_interval(mins => %s) > a.starts_at"
        " WHERE a.business_id = %s AND a.status = 'booked' GROUP BY a.id) per_start",
        (buffer_minutes, business_id),
    )
    return row["peak"]


def move_count(appointment_id: int) -> int:
    """How many moves of the appointment were recorded."""
    row = fetch_one(
        "SELECT count(*) AS n FROM appointment_moves WHERE appointment_id = %s", (appointment_id,)
    )
    return row["n"]


@pytest.fixture
def salon(pool):
    return make_business()


def test_same_slot_capacity_two(salon):
    haircut = service_id(salon, "Haircut")
    customers = [make_customer(salon) for _ in range(THREADS)]
    results = run_together([lambda c=c: book(salon, c, haircut, TUE_9, now=NOW) for c in customers])
    assert Counter(getattr(r, "code", repr(r)) for r in results) == {"booked": 2, "full": 48}
    assert len(booked(salon)) == 2


def test_overlapping_intervals_of_different_lengths(pool):
    salon = make_business(buffer_minutes=5)
    services = [service_id(salon, n) for n in ("Haircut", "Beard trim", "Hair coloring")]
    rng = random.Random(20260602)
    starts = [TUE_9 + timedelta(minutes=15 * k) for k in range(12)]  # 09:00 .. 11:45
    requests = [(make_customer(salon), rng.choice(services), rng.choice(starts)) for _ in range(50)]
    results = run_together([lambda r=r: book(salon, *r, now=NOW) for r in requests])
    codes = Counter(getattr(r, "code", repr(r)) for r in results)
    assert set(codes) == {"booked", "full"}, codes
    assert codes["booked"] == len(booked(salon)) >= 2
    assert peak_overlap(salon, buffer_minutes=5) <= 2


def test_cancel_and_rebook_race(salon):
    haircut = service_id(salon, "Haircut")
    holders = [make_customer(salon) for _ in range(2)]
    for customer in holders:
        assert book(salon, customer, haircut, TUE_9, now=NOW).ok

    def churn(customer: int) -> list[str]:
        codes = []
        for _ in range(10):
            mine = [a for a in booked(salon) if a["customer_id"] == customer]
            if mine:
                codes.append(cancel(salon, customer, mine[0]["id"], now=NOW).code)
            codes.append(book(salon, customer, haircut, TUE_9, now=NOW).code)
        return codes

    grabbers = [make_customer(salon) for _ in range(20)]
    tasks = [lambda c=c: churn(c) for c in holders]
    tasks += [lambda c=c: book(salon, c, haircut, TUE_9, now=NOW).code for c in grabbers]
    results = run_together(tasks)
    assert not [r for r in results if isinstance(r, Exception)]
    # Every cancel is followed by its holder's rebook, which fails only when the slot is full.
    assert len(booked(salon)) == 2
    assert peak_overlap(salon) == 2


@pytest.mark.parametrize("round_, rival_count", enumerate([0, 1, 1, 2, 3, 10]))
def test_reschedule_racing_bookings_never_loses_the_appointment(salon, round_, rival_count):
    haircut = service_id(salon, "Haircut")
    mover = make_customer(salon)
    original = book(salon, mover, haircut, TUE_9, now=NOW).appointment
    target = madrid("2026-06-02 11:00") + timedelta(minutes=15 * round_)
    book(salon, make_customer(salon), haircut, target, now=NOW)  # one seat left there
    rivals = [make_customer(salon) for _ in range(rival_count)]
    # Random start delays let the mover win some races and lose others.
    delays = random.Random(round_).choices([0, 0.002, 0.004, 0.008], k=rival_count + 1)
    tasks = [lambda: reschedule(salon, mover, original.id, target, now=NOW)]
    tasks += [lambda c=c: book(salon, c, haircut, target, now=NOW) for c in rivals]
    tasks = [lambda t=t, d=d: time.sleep(d) or t() for t, d in zip(tasks, delays, strict=True)]
    moved, *bookings = run_together(tasks)

    mine = [a for a in booked(salon) if a["customer_id"] == mover]
    assert [(a["id"], a["starts_at"]) for a in mine] == [
        (original.id, target if moved.ok else TUE_9)
    ]
    assert moved.code in {"rescheduled", "full"}
    assert move_count(original.id) == (1 if moved.ok else 0)
    assert sum(b.ok for b in bookings) == (0 if moved.ok else 1)
    assert peak_overlap(salon) <= 2


def test_many_moves_into_one_slot_respect_capacity(salon):
    haircut = service_id(salon, "Haircut")
    target = madrid("2026-06-02 16:00")
    movers = [make_customer(salon) for _ in range(12)]
    # The movers hold every seat from 09:00 to 12:00, two per half hour.
    held = [
        book(salon, c, haircut, TUE_9 + timedelta(minutes=30 * (i // 2)), now=NOW).appointment
        for i, c in enumerate(movers)
    ]
    tasks = [
        lambda c=c, a=a: reschedule(salon, c, a.id, target, now=NOW)
        for c, a in zip(movers, held, strict=True)
    ]
    results = run_together(tasks)
    assert Counter(getattr(r, "code", repr(r)) for r in results) == {"rescheduled": 2, "full": 10}
    rows = {a["id"]: a["starts_at"] for a in booked(salon)}
    assert set(rows) == {a.id for a in held}  # every appointment kept its id; none was lost
    for appointment, result in zip(held, results, strict=True):
        assert rows[appointment.id] == (target if result.ok else appointment.starts_at)
        assert move_count(appointment.id) == (1 if result.ok else 0)
    assert peak_overlap(salon) == 2

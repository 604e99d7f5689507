"""With the Google backend too, 50 threads racing for a slot of capacity 2 get exactly 2."""

from collections import Counter

import pytest

from app.booking import book
from app.calendars import event_id
from tests.fake_gcal.accounts import CAL, google_salon
from tests.fixtures_booking import NOW, booked, make_customer, service_id
from tests.test_booking_concurrency import THREADS, TUE_9, peak_overlap, run_together

pytest_plugins = ["tests.fake_gcal.fixtures"]


def book_in(app, salon: int, customer: int, haircut: int):
    """Book on a thread of its own, which needs the app's context (the Google backend's state)."""
    with app.app_context():
        return book(salon, customer, haircut, TUE_9, now=NOW)


@pytest.mark.parametrize("staff_events, winners", [(0, 2), (1, 1)])
def test_same_slot_capacity_two_with_google(app, gcal, drain_all, staff_events, winners):
    salon = google_salon(gcal)
    for _ in range(staff_events):  # a staff event takes one of the two seats
        gcal.add_event(
            CAL,
            start={"dateTime": "2026-06-02T08:45:00+02:00"},
            end={"dateTime": "2026-06-02T09:45:00+02:00"},
        )
    haircut = service_id(salon, "Haircut")
    customers = [make_customer(salon) for _ in range(THREADS)]
    results = run_together([lambda c=c: book_in(app, salon, c, haircut) for c in customers])
    codes = Counter(getattr(r, "code", repr(r)) for r in results)
    assert codes == {"booked": winners, "full": THREADS - winners}
    assert len(booked(salon)) == winners and peak_overlap(salon) == winners
    drain_all()
    mine = {eid for eid in gcal.live_events(CAL) if eid.startswith("appt")}
    assert mine == {event_id(a["id"]) for a in booked(salon)}

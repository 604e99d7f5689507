"""The Calendar port: backend choice, the local backend, and how the booking service uses it."""

import re
from datetime import date, timedelta

import psycopg
import pytest

from app import calendars
from app.booking import book, cancel, find_slots, reschedule
from app.calendars import (
    Calendar,
    CalendarUnavailable,
    LocalCalendar,
    blocking,
    event_id,
    get_calendar,
)
from tests.fixtures_booking import NOW, appointments, madrid, make_business, make_customer

TUE = date(2026, 6, 2)
TUE_9 = madrid("2026-06-02 09:00")


class FakeRemote:
    """A remote calendar with one blocked morning; records what it is told, and when."""

    name = "fake"

    def __init__(self, db_url: str, fail: bool = False):
        self.db_url, self.fail, self.synced = db_url, fail, []

    def busy(self, business, start, end):
        return [blocking(business, madrid("2026-06-02 10:00"), madrid("2026-06-02 12:00"))]

    def sync(self, appointment, action):
        # Another connection sees the change only once the booking transaction has committed.
        with psycopg.connect(self.db_url) as conn:
            row = conn.execute(
                "SELECT status, starts_at FROM appointments WHERE id = %s", (appointment.id,)
            ).fetchone()
        self.synced.append((action, appointment.id, tuple(row) if row else None))
        if self.fail:
            raise RuntimeError("remote calendar is down")


@pytest.fixture
def remote(pool, db_url, monkeypatch):
    fake = FakeRemote(db_url)
    monkeypatch.setitem(calendars._BACKENDS, "google", lambda business: fake)
    return fake


def test_local_backend_is_the_default():
    backend = get_calendar({"calendar_backend": "local"})
    assert isinstance(backend, LocalCalendar) and isinstance(backend, Calendar)
    assert get_calendar({}).name == "local"
    assert backend.busy({}, NOW, NOW + timedelta(days=1)) == []
    assert backend.sync(None, "booked") is None


@pytest.mark.parametrize("name", ["google", "outlook"])
def test_unavailable_backends_fail_loudly(name):
    with pytest.raises(CalendarUnavailable, match=name):
        get_calendar({"calendar_backend": name})


def test_booking_with_an_unavailable_backend_stores_nothing(pool):
    salon = make_business(calendar_backend="google")
    result = book(salon, make_customer(salon), "Haircut", TUE_9, now=NOW)
    assert (result.ok, result.code) == (False, "calendar_unavailable")
    assert appointments(salon) == []


def test_event_ids_are_deterministic_and_google_safe():
    assert event_id(42) == event_id(42) != event_id(43)
    assert re.fullmatch(r"[a-v0-9]{5,1024}", event_id(42))


def test_remote_busy_time_blocks_every_seat(remote):
    salon = make_business(calendar_backend="google")
    result = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:30"), now=NOW)
    assert (result.ok, result.code) == (False, "full")
    expected = ("09:00", "09:15", "09:30")  # 12:00 ties with 09:00; earlier wins
    assert result.alternatives == tuple(madrid(f"2026-06-02 {t}") for t in expected)
    free = find_slots(salon, "Haircut", TUE, TUE, now=NOW).slots
    assert not [s for s in free if madrid("2026-06-02 09:31") < s < madrid("2026-06-02 12:00")]


def test_sync_is_queued_inside_each_change_s_transaction(remote):
    salon = make_business(calendar_backend="google")
    alice = make_customer(salon)
    first = book(salon, alice, "Haircut", TUE_9, now=NOW).appointment
    two_pm = madrid("2026-06-02 14:00")
    moved = reschedule(salon, alice, first.id, two_pm, now=NOW).appointment
    cancel(salon, alice, moved.id, now=NOW)
    # Told before commit: the new row is not visible yet, the moved one still at its old time,
    # the cancelled one still booked.
    assert remote.synced == [
        ("booked", first.id, None),
        ("rescheduled", first.id, ("booked", TUE_9)),
        ("cancelled", first.id, ("booked", two_pm)),
    ]
    assert [(r["id"], r["status"]) for r in appointments(salon)] == [(first.id, "cancelled")]


def test_failing_to_queue_the_sync_stores_nothing(remote):
    remote.fail = True
    salon = make_business(calendar_backend="google")
    with pytest.raises(RuntimeError):
        book(salon, make_customer(salon), "Haircut", TUE_9, now=NOW)
    assert appointments(salon) == []

"""Google failing: retries, a whole outage, a revoked token; no booking lost, none doubled."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.booking import book, cancel
from app.calendars import event_id
from app.calendars.google_state import state
from app.storage import db
from app.storage.businesses import business_id_for_account
from tests import envelopes
from tests.conftest import PHONE_NUMBER_ID
from tests.fake_gcal.accounts import CAL, OWNER, connect_user, google_salon
from tests.fake_llm import text_reply, tool_call
from tests.fixtures_booking import NOW, madrid, make_customer

pytest_plugins = ["tests.fake_gcal.fixtures"]


def sync_state(appointment_id: int) -> str:
    row = db.fetch_one("SELECT calendar_sync FROM appointments WHERE id = %s", (appointment_id,))
    return row["calendar_sync"]


def sync_jobs() -> list[dict]:
    return db.fetch_all(
        "SELECT status, attempts FROM procrastinate_jobs WHERE task_name = 'calendar_sync'"
    )


def retry_now() -> None:
    """Make the scheduled retries due (instead of waiting for their backoff)."""
    db.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")


def relay_tool_result(body: dict) -> dict:
    """The model's second step: say what the last tool answered, as a real model would."""
    result = json.loads(body["messages"][-1]["content"])
    if result.get("ok"):
        return text_reply(f"Done: your {result['appointment']['service']} is booked.")
    return text_reply(f"Sorry! {result['message']}")


def next_weekday() -> str:
    """A Tuesday at least two days ahead in Madrid, as the customer would name it."""
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Madrid")).date() + timedelta(days=2)
    return (today + timedelta(days=(1 - today.weekday()) % 7)).isoformat()


@pytest.fixture
def salon(app, gcal):
    return google_salon(gcal)


@pytest.fixture
def demo(app, gcal):
    """The demo business (the webhook's number) connected to the fake Google."""
    business_id = business_id_for_account("whatsapp_number_id", PHONE_NUMBER_ID)
    return business_id, connect_user(gcal, business_id)


def test_500_and_429_are_retried_and_the_event_is_written_once(salon, gcal, drain):
    gcal.fail(500, method="POST", path="/events")
    gcal.fail(429, method="POST", path="/events")
    result = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:00"), now=NOW)
    drain()
    assert [r.status for r in gcal.calls("POST", "/events")] == [500, 429, 200]
    assert len(gcal.sleeps) == 2 and all(0 < s <= state().policy.max_backoff for s in gcal.sleeps)
    assert list(gcal.live_events(CAL)) == [event_id(result.appointment.id)]
    assert sync_state(result.appointment.id) == "synced"


def test_lost_answers_then_a_job_retry_never_make_a_second_event(salon, gcal, drain):
    # Google stores the event but every answer is lost: the job fails and is rescheduled.
    gcal.fail(503, method="POST", path="/events", apply=True, times=4)
    result = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:00"), now=NOW)
    drain()
    assert sync_state(result.appointment.id) == "pending"
    assert sync_jobs() == [{"status": "todo", "attempts": 1}]
    retry_now()
    drain()
    assert len(gcal.calendars[CAL].events) == 1
    assert [r.status for r in gcal.calls("POST", "/events")] == [503] * 4 + [409]
    assert [r.status for r in gcal.calls("PATCH", "/events")] == [200]
    assert sync_state(result.appointment.id) == "synced"


def test_google_down_the_booking_is_confirmed_and_synced_later(
    demo, gcal, post_webhook, drain, fake_llm, fake_graph
):
    business_id, _token = demo
    gcal.down = True
    day = next_weekday()
    fake_llm.script += [
        tool_call("book_appointment", {"service": "Haircut", "date": day, "time": "10:00"}),
        relay_tool_result,
    ]
    post_webhook(envelopes.text(f"haircut on {day} at 10:00 please"))
    drain()  # the turn: books, and queues the calendar job
    drain()  # the calendar job: Google is down, so it is rescheduled
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == [
        "Done: your Haircut is booked."
    ]
    (row,) = db.fetch_all("SELECT id, status, calendar_sync FROM appointments")
    assert (row["status"], row["calendar_sync"]) == ("booked", "pending")
    assert sync_jobs() == [{"status": "todo", "attempts": 1}]  # queued for a later retry
    assert gcal.calendars[CAL].events == {}
    gcal.down = False  # Google is back
    retry_now()
    drain()
    assert list(gcal.live_events(CAL)) == [event_id(row["id"])]
    assert sync_state(row["id"]) == "synced"
    assert db.fetch_one("SELECT calendar_error FROM businesses WHERE id = %s", (business_id,)) == {
        "calendar_error": None
    }


def test_revoked_token_gives_a_polite_reply_and_an_error_for_the_admin(
    demo, gcal, post_webhook, drain, fake_llm, fake_graph
):
    business_id, token = demo
    gcal.revoke(token)
    day = next_weekday()
    fake_llm.script += [
        tool_call("book_appointment", {"service": "Haircut", "date": day, "time": "10:00"}),
        relay_tool_result,
    ]
    post_webhook(envelopes.text(f"haircut on {day} at 10:00"))
    drain()
    (sent,) = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert sent.startswith("Sorry! The booking calendar cannot be checked right now")
    turn = db.fetch_one("SELECT status, tool_calls FROM turns")
    assert turn["status"] == "answered"
    assert turn["tool_calls"][0]["result"]["error"] == "calendar_unavailable"
    assert db.fetch_all("SELECT id FROM appointments") == []
    business = db.fetch_one(
        "SELECT calendar_error, calendar_error_at FROM businesses WHERE id = %s", (business_id,)
    )
    assert "invalid_grant" in business["calendar_error"] and business["calendar_error_at"]
    assert "setup_calendar_auth.py" in business["calendar_error"]
    assert token not in business["calendar_error"]


def test_token_revoked_after_booking_fails_the_sync_until_reconnected(salon, gcal, drain):
    customer = make_customer(salon)
    appointment = book(salon, customer, "Haircut", madrid("2026-06-02 10:00"), now=NOW).appointment
    drain()
    gcal.revoke(next(iter(gcal.refresh_tokens)))  # the salon's only token
    cancel(salon, customer, appointment.id, now=NOW)  # needs no calendar read
    drain()
    # The API answered 401, the refresh got invalid_grant: recorded, not retried.
    assert [r.status for r in gcal.calls("DELETE", "/events")] == [401]
    assert sync_state(appointment.id) == "failed"
    assert sync_jobs() == []
    error = db.fetch_one("SELECT calendar_error FROM businesses WHERE id = %s", (salon,))
    assert "invalid_grant" in error["calendar_error"]
    assert gcal.live_events(CAL)  # still there until access is back
    # An admin reconnects (as setup_calendar_auth.py does): the backlog is synced, error cleared.
    connect_user(gcal, salon)
    from app.calendars.google_sync import requeue_unsynced
    from app.jobs import queue_calendar_sync

    assert requeue_unsynced(salon, queue_calendar_sync) == 1
    drain()
    assert gcal.live_events(CAL) == {}
    assert sync_state(appointment.id) == "synced"
    error = db.fetch_one("SELECT calendar_error FROM businesses WHERE id = %s", (salon,))
    assert error["calendar_error"] is None


def test_a_booking_whose_sync_gave_up_reaches_google_once_the_read_back_gets_through(
    salon, gcal, drain
):
    """The sync job's last retry fell in a long outage: when the periodic read-back next reaches
    Google, the booking is queued again, though no other booking of the business is made."""
    from app import calendar_changes
    from app.calendars import google_sync
    from app.calendars.google_client import Transient
    from app.jobs import queue_calendar_sync

    gcal.down = True
    made = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:00"), now=NOW)
    assert made.code == "booked"
    db.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'calendar_sync'")
    with pytest.raises(Transient):  # its last retry, Google still down
        google_sync.run_job(salon, made.appointment.id, queue_calendar_sync, last_try=True)
    row = db.fetch_one(
        "SELECT calendar_sync FROM appointments WHERE id = %s", (made.appointment.id,)
    )
    assert row["calendar_sync"] == "failed"
    gcal.down = False
    assert salon in calendar_changes.read_all()
    drain()
    assert event_id(made.appointment.id) in gcal.live_events(CAL)


def test_an_answer_cut_short_is_retried_like_an_outage(salon, gcal, drain):
    """A connection dropped halfway through Google's answer (http.client.IncompleteRead) is a
    network failure: the read is retried, and the booking still sees the staff's event."""
    gcal.add_event(
        CAL,
        summary="Dentist",
        start={"dateTime": "2026-06-02T10:00:00+02:00"},
        end={"dateTime": "2026-06-02T11:00:00+02:00"},
    )
    gcal.add_event(
        CAL,
        summary="Training",
        start={"dateTime": "2026-06-02T10:00:00+02:00"},
        end={"dateTime": "2026-06-02T11:00:00+02:00"},
    )
    gcal.fail(200, method="GET", path="/events", cut=True)
    refused = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:00"), now=NOW)
    assert refused.code == "full"  # both seats taken by staff events, read on the retry
    assert len(gcal.sleeps) == 1
    gcal.fail(200, method="POST", path="/events", cut=True)
    made = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 12:00"), now=NOW)
    drain()
    assert list(gcal.live_events(CAL))[-1] == event_id(made.appointment.id)
    assert sync_state(made.appointment.id) == "synced"


def test_a_cancel_while_the_calendar_is_unshared_is_not_taken_for_an_event_already_gone(
    salon, gcal, drain
):
    """Google answers 404 both for an event that is gone and for a calendar the account can no
    longer reach: the latter must fail the sync (and tell the admin), not count as deleted."""
    customer = make_customer(salon)
    appointment = book(salon, customer, "Haircut", madrid("2026-06-02 10:00"), now=NOW).appointment
    drain()
    eid = event_id(appointment.id)
    role = gcal.calendars[CAL].acl.pop(OWNER)  # the calendar is no longer shared
    cancel(salon, customer, appointment.id, now=NOW)
    drain()
    assert [r.status for r in gcal.calls("DELETE", "/events")] == [404]
    assert sync_state(appointment.id) == "failed"
    error = db.fetch_one("SELECT calendar_error FROM businesses WHERE id = %s", (salon,))
    assert "not shared" in error["calendar_error"]
    assert eid in gcal.live_events(CAL)  # the staff still see it
    # Shared again: the backlog deletes it.
    gcal.share(CAL, OWNER, role)
    from app.calendars.google_sync import requeue_unsynced
    from app.jobs import queue_calendar_sync

    assert requeue_unsynced(salon, queue_calendar_sync) == 1
    drain()
    assert gcal.live_events(CAL) == {}
    assert sync_state(appointment.id) == "synced"


def test_a_calendar_shared_read_only_keeps_its_error_while_bookings_cannot_be_written(
    salon, gcal, drain
):
    """Reads succeed on a calendar shared "See all event details", every write is refused
    (403): a successful read must not clear the error while bookings wait to be written."""
    from app import calendar_changes

    gcal.share(CAL, OWNER, "reader")
    customer = make_customer(salon)
    made = book(salon, customer, "Haircut", madrid("2026-06-02 10:00"), now=NOW).appointment
    drain()
    assert [r.status for r in gcal.calls("POST", "/events")] == [403]
    assert sync_state(made.id) == "failed"

    def error() -> str | None:
        row = db.fetch_one("SELECT calendar_error FROM businesses WHERE id = %s", (salon,))
        return row["calendar_error"]

    assert "refused access" in error()
    # Another customer's booking reads the calendar fine; the read-back reads it too.
    assert book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 12:00"), now=NOW).ok
    assert "refused access" in error()
    calendar_changes.read_business(salon)
    assert "refused access" in error()
    # Shared for writing: the read-back queues the backlog, which is written; the error goes.
    gcal.share(CAL, OWNER, "owner")
    calendar_changes.read_business(salon)
    drain()
    assert sync_state(made.id) == "synced"
    assert error() is None

"""Google Calendar at its edges: one booking's retry holds back no other, a calendar shared by
two businesses, reconnecting to another calendar, no-shows, erasure and the token endpoint
failing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from google.auth import exceptions as auth_exceptions

from app import erasure, jobs
from app.booking import book, reschedule
from app.booking.attendance import mark_no_show
from app.calendars import event_id
from app.calendars.google import busy_from, own_appointment_id
from app.calendars.google_client import AccessDenied, Transient, classify
from app.calendars.google_sync import requeue_unsynced
from app.jobs import queue_calendar_sync
from app.storage import appointments, db
from tests.fake_gcal.accounts import CAL, OWNER, connect_user, google_salon
from tests.fake_gcal.api import google_error
from tests.fixtures_booking import NOW, madrid, make_customer

pytest_plugins = ["tests.fake_gcal.fixtures"]
NEW_CAL = "new-salon@group.calendar.google.com"


def sync_row(appointment_id: int) -> dict:
    return db.fetch_one(
        "SELECT calendar_sync, calendar_event_id, calendar_event_updated FROM appointments"
        " WHERE id = %s",
        (appointment_id,),
    )


def calendar_error(business_id: int) -> str | None:
    row = db.fetch_one("SELECT calendar_error FROM businesses WHERE id = %s", (business_id,))
    return row["calendar_error"]


def worker_passes(app, times: int = 3) -> None:
    """Run the worker over the jobs due now, a few passes (never waiting for a retry: `drain`
    would wait for a job held back by its lock until its deadline)."""
    for _ in range(times):
        asyncio.run(jobs.run_worker_async(app, install_signal_handlers=False, wait=False))


def retry_now() -> None:
    """Make the scheduled retries due (instead of waiting for their backoff)."""
    db.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")


def upcoming(clock: str) -> tuple[datetime, datetime]:
    """(now, a start at `clock` on a weekday at least two days ahead in Madrid), on the real
    clock: what the database's now() counts as upcoming."""
    now = datetime.now(UTC)
    day = now.astimezone(ZoneInfo("Europe/Madrid")).date() + timedelta(days=2)
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday
    return now, madrid(f"{day.isoformat()} {clock}")


# --- sync jobs: locked per event, not per business ---


def test_a_booking_waiting_for_its_retry_does_not_hold_back_the_others(app, gcal, drain):
    salon = google_salon(gcal)
    gcal.down = True
    first = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:00"), now=NOW)
    drain()  # its job fails and waits for its retry, a few seconds on
    assert sync_row(first.appointment.id)["calendar_sync"] == "pending"
    gcal.down = False
    second = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 11:00"), now=NOW)
    worker_passes(app)
    assert event_id(second.appointment.id) in gcal.live_events(CAL)
    assert sync_row(second.appointment.id)["calendar_sync"] == "synced"
    waiting = db.fetch_all(
        "SELECT args->>'appointment_id' AS appointment FROM procrastinate_jobs"
        " WHERE task_name = 'calendar_sync' AND status = 'todo'"
    )
    assert waiting == [{"appointment": str(first.appointment.id)}]  # still waits its turn
    retry_now()
    drain()
    assert event_id(first.appointment.id) in gcal.live_events(CAL)


def test_the_rows_of_a_booking_moved_before_0009_share_their_events_lock(app, gcal):
    salon = google_salon(gcal)
    customer = make_customer(salon)
    old = book(salon, customer, "Haircut", madrid("2026-06-02 10:00"), now=NOW).appointment
    new = book(salon, customer, "Haircut", madrid("2026-06-02 12:00"), now=NOW).appointment
    other = book(salon, customer, "Haircut", madrid("2026-06-03 12:00"), now=NOW).appointment
    db.execute("DELETE FROM procrastinate_jobs")
    # A move made before migration 0009: a new row pointing at the one it replaced.
    db.execute("UPDATE appointments SET status = 'cancelled' WHERE id = %s", (old.id,))
    db.execute("UPDATE appointments SET rescheduled_from = %s WHERE id = %s", (old.id, new.id))
    for appointment_id in (old.id, new.id, other.id):
        with db.transaction():
            assert queue_calendar_sync(salon, appointment_id)
    with db.transaction():  # one waiting job per appointment
        assert not queue_calendar_sync(salon, new.id)
    locks = db.fetch_all(
        "SELECT lock, queueing_lock FROM procrastinate_jobs WHERE task_name = 'calendar_sync'"
        " ORDER BY id"
    )
    # The two rows write one event, event_id(old.id), so their jobs never run at once.
    assert [r["lock"] for r in locks] == [f"gcal:event:{old.id}"] * 2 + [f"gcal:event:{other.id}"]
    assert len({r["queueing_lock"] for r in locks}) == 3


# --- a refusal's alternatives when the calendar can no longer be read ---


def test_access_lost_while_reading_for_alternatives_still_answers_the_refusal(app, gcal):
    salon = google_salon(gcal, max_concurrent=1)
    start = madrid("2026-06-02 10:00")
    assert book(salon, make_customer(salon), "Haircut", start, now=NOW).ok
    original, reads = gcal._dispatch, []

    def refuse_after_the_first_read(method, raw_path, headers, raw):
        if method == "GET" and "/events" in raw_path:
            reads.append(raw_path)
            if len(reads) >= 2:  # the access is gone from the second read on
                return 403, google_error(403)
        return original(method, raw_path, headers, raw)

    gcal._dispatch = refuse_after_the_first_read
    result = book(salon, make_customer(salon), "Haircut", start, now=NOW)
    assert (result.ok, result.code, result.alternatives) == (False, "full", ())
    assert len(reads) == 2
    assert "setup_calendar_auth.py" in calendar_error(salon)  # the admin is told
    # The next turn's read is refused at once: the calendar cannot be checked.
    again = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 11:00"), now=NOW)
    assert again.code == "calendar_unavailable"


# --- two businesses sharing one Google calendar ---


def test_another_business_bookings_in_a_shared_calendar_are_busy(app, gcal, drain):
    first = google_salon(gcal, max_concurrent=2)
    second = google_salon(gcal, max_concurrent=1)  # the same calendar
    start = madrid("2026-06-02 10:00")
    made = book(first, make_customer(first), "Haircut", start, now=NOW)
    drain()
    assert list(gcal.live_events(CAL)) == [event_id(made.appointment.id)]
    refused = book(second, make_customer(second), "Haircut", start, now=NOW)
    assert refused.code == "full"
    # The first business's own event is counted once, from Postgres: its second seat is free.
    assert book(first, make_customer(first), "Haircut", start, now=NOW).code == "booked"
    later = madrid("2026-06-02 11:00")
    assert book(second, make_customer(second), "Haircut", later, now=NOW).code == "booked"


def test_only_the_business_named_in_a_bot_event_skips_it():
    business = {"id": 7, "timezone": "Europe/Madrid", "max_concurrent": 2}
    timed = {
        "start": {"dateTime": "2026-06-04T11:00:00+02:00"},
        "end": {"dateTime": "2026-06-04T12:00:00+02:00"},
    }

    def bot_event(eid: str, business_id: str | None) -> dict:
        private = {"wa_booking_bot": "1", "appointment_id": eid[4:].lstrip("0")}
        if business_id is not None:
            private["business_id"] = business_id
        return {**timed, "id": eid, "extendedProperties": {"private": private}}

    mine, theirs = bot_event("appt00000001", "7"), bot_event("appt00000002", "8")
    unnamed = bot_event("appt00000003", None)
    hour = (madrid("2026-06-04 11:00"), madrid("2026-06-04 12:00"), 1)
    assert busy_from(business, [mine, theirs, unnamed]) == [hour, hour]
    assert own_appointment_id(mine, 7) == 1 and own_appointment_id(theirs, 7) is None
    assert own_appointment_id(theirs) == 2  # the read-back finds it, then checks its business


# --- reconnecting a business to another calendar ---


def test_reconnecting_to_another_calendar_writes_the_upcoming_bookings_there(app, gcal, drain):
    salon = google_salon(gcal)
    now, start = upcoming("10:00")
    made = book(salon, make_customer(salon), "Haircut", start, now=now).appointment
    past = book(salon, make_customer(salon), "Haircut", start + timedelta(hours=1), now=now)
    drain()
    db.execute(
        "UPDATE appointments SET starts_at = now() - interval '3 days',"
        " ends_at = now() - interval '3 days' + interval '30 minutes' WHERE id = %s",
        (past.appointment.id,),
    )
    assert set(gcal.live_events(CAL)) == {event_id(made.id), event_id(past.appointment.id)}
    gcal.add_calendar(NEW_CAL, OWNER, "New salon calendar")
    connect_user(gcal, salon, NEW_CAL)  # what setup_calendar_auth.py does: save, then requeue
    assert sync_row(made.id) == {
        "calendar_sync": "pending",
        "calendar_event_id": None,
        "calendar_event_updated": None,
    }
    assert sync_row(past.appointment.id)["calendar_sync"] == "synced"  # stays where it was
    assert requeue_unsynced(salon, queue_calendar_sync) == 1
    drain()
    assert list(gcal.live_events(NEW_CAL)) == [event_id(made.id)]
    assert sync_row(made.id)["calendar_sync"] == "synced"
    # Reconnecting to the same calendar (new credentials) rewrites nothing.
    connect_user(gcal, salon, NEW_CAL)
    assert sync_row(made.id)["calendar_sync"] == "synced"
    assert requeue_unsynced(salon, queue_calendar_sync) == 0


def test_a_sync_that_wrote_the_calendar_left_behind_leaves_its_booking_pending(app, gcal, drain):
    salon = google_salon(gcal)
    now, start = upcoming("10:00")
    made = book(salon, make_customer(salon), "Haircut", start, now=now).appointment
    read = appointments.sync_chain(made.id)[-1]  # what a job read before calling Google
    gcal.add_calendar(NEW_CAL, OWNER, "New salon calendar")
    connect_user(gcal, salon, NEW_CAL)  # reconnected while that job wrote the old calendar
    assert appointments.mark_synced([made.id], event_id(made.id), read, None, CAL) == 0
    assert sync_row(made.id)["calendar_sync"] == "pending"
    requeue_unsynced(salon, queue_calendar_sync)
    drain()
    assert list(gcal.live_events(NEW_CAL)) == [event_id(made.id)]


# --- no-shows keep their event; erasure rewrites it ---


def test_a_no_show_whose_sync_was_pending_keeps_its_event(app, gcal, drain):
    salon = google_salon(gcal)
    customer = make_customer(salon)
    made = book(salon, customer, "Haircut", madrid("2026-06-02 10:00"), now=NOW).appointment
    drain()
    gcal.down = True  # the move's sync waits for Google
    assert reschedule(salon, customer, made.id, madrid("2026-06-02 12:00"), now=NOW).ok
    drain()
    assert sync_row(made.id)["calendar_sync"] == "pending"
    assert mark_no_show(salon, customer, made.id, now=madrid("2026-06-02 12:20")).ok
    gcal.down = False
    retry_now()
    drain()
    event = gcal.live_events(CAL)[event_id(made.id)]  # still on the staff's calendar, moved
    assert event["start"]["dateTime"] == "2026-06-02T12:00:00+02:00"
    assert sync_row(made.id)["calendar_sync"] == "synced"


def test_erasure_takes_the_name_off_a_no_shows_event(app, gcal, drain):
    salon = google_salon(gcal)
    customer = make_customer(salon)
    db.execute(
        "UPDATE customers SET profile_name = 'Zoe Private', address = '34600111222' WHERE id = %s",
        (customer,),
    )
    start = madrid("2026-06-02 10:00")
    made = book(salon, customer, "Haircut", start, now=NOW).appointment
    drain()
    assert mark_no_show(salon, customer, made.id, now=start + timedelta(minutes=20)).ok
    assert "Zoe Private" in gcal.live_events(CAL)[event_id(made.id)]["summary"]
    done = erasure.erase(salon, customer, by="staff", now=start + timedelta(days=1))
    assert done["kept_appointments"] == 1
    drain()
    event = gcal.live_events(CAL)[event_id(made.id)]  # kept, without the customer
    text = event["summary"] + event["description"] + str(event["extendedProperties"])
    assert "Zoe Private" not in text and "34600111222" not in text


# --- the token endpoint failing ---


def test_a_502_from_the_token_endpoint_is_an_outage_not_a_revoked_token(app, gcal):
    salon = google_salon(gcal)
    gcal.fail(502, path="/token", times=2)  # both reads of the turn
    result = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:00"), now=NOW)
    assert result.code == "booked"  # on Postgres alone, as in any outage
    assert calendar_error(salon) is None


def test_a_502_from_the_token_endpoint_during_a_sync_is_retried(app, gcal, drain):
    salon = google_salon(gcal)
    made = book(salon, make_customer(salon), "Haircut", madrid("2026-06-02 10:00"), now=NOW)
    gcal.access_tokens.clear()  # the access token expired: the next call refreshes it
    gcal.fail(502, path="/token", times=10)
    drain()
    assert sync_row(made.appointment.id)["calendar_sync"] == "pending"
    assert calendar_error(salon) is None
    retry_now()  # the token endpoint answers again
    gcal.faults.clear()
    drain()
    assert sync_row(made.appointment.id)["calendar_sync"] == "synced"
    assert event_id(made.appointment.id) in gcal.live_events(CAL)


@pytest.mark.parametrize(
    "code",
    [
        "invalid_grant",
        "invalid_client",
        "unauthorized_client",
        "invalid_scope",
        "unsupported_grant_type",
        "invalid_request",
        "admin_policy_enforced",
    ],
)
def test_refused_credentials_are_access_denied_without_the_raw_answer(code):
    answer = {"error": code, "error_description": "Token has been expired or revoked.", "x": "y"}
    error = classify(auth_exceptions.RefreshError(f"{code}: raw", answer, retryable=False))
    assert isinstance(error, AccessDenied)
    assert str(error) == (
        f"Google refused the stored credentials ({code}: Token has been expired or revoked.)"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("<html><body>502 Bad Gateway: upstream 10.1.2.3</body></html>",),  # not JSON
        ("{...}: None", {"error": {"code": 502, "message": "upstream 10.1.2.3"}}),
        ("server_error: upstream 10.1.2.3", {"error": "server_error"}),
        ("temporarily_unavailable: upstream 10.1.2.3", {"error": "temporarily_unavailable"}),
    ],
)
def test_other_refresh_failures_are_transient_without_the_raw_answer(args):
    error = classify(auth_exceptions.RefreshError(*args, retryable=False))
    assert isinstance(error, Transient)
    assert "10.1.2.3" not in str(error) and "html" not in str(error)
    assert str(error).startswith("token refresh failed (")


def test_a_refusal_google_auth_may_retry_is_transient():
    answer = {"error": "invalid_grant"}
    assert isinstance(
        classify(auth_exceptions.RefreshError("invalid_grant", answer, retryable=True)), Transient
    )

"""Changes the business makes to our events in its own Google Calendar: read back through
Google's incremental sync and applied (cancel or move) with one notice to the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import calendar_changes
from app.booking import service as booking
from app.calendars import event_id
from app.jobs import queue_calendar_sync
from app.jobs.tasks import schedule_google_read
from app.storage import db
from tests.fake_gcal.accounts import CAL, google_salon
from tests.reminder_helpers import EVERY_DAY, book, customer, local, waiting_jobs

pytest_plugins = ["tests.fake_gcal.fixtures"]
TZ = "Europe/Madrid"


@pytest.fixture
def salon(app, gcal):
    """A Google-backed salon open 08:00-20:00 every day, bookable a year ahead."""
    return google_salon(
        gcal, opening_hours=EVERY_DAY, min_notice_minutes=0, horizon_days=365, timezone=TZ
    )


# Today in Madrid, read once: a test that asks `day` for the same time twice (at booking, and
# when checking where the appointment is) gets the same instant even if midnight passes between.
TODAY = datetime.now(ZoneInfo(TZ)).date()


def day(days: int, hhmm: str) -> datetime:
    """The instant of `hhmm` Madrid time `days` days from today."""
    return local(TZ, f"{TODAY + timedelta(days=days)} {hhmm}")


@pytest.fixture
def booked(app, salon, gcal, drain):
    """A haircut three days from now at 11:00, its event written to Google, the calendar read
    once (the first read is a full one and finds only our own write)."""
    kim = customer(salon)
    appointment_id = book(app, salon, kim["id"], day(3, "11:00"), now=datetime.now(UTC))
    drain()
    assert event_id(appointment_id) in gcal.live_events(CAL)
    assert calendar_changes.read_business(salon) == ["ours"]
    return appointment_id, kim["id"]


def appointment(appointment_id: int) -> dict:
    return db.fetch_one(
        "SELECT status, starts_at, ends_at FROM appointments WHERE id = %s", (appointment_id,)
    )


def notices(customer_id: int) -> list[str]:
    rows = db.fetch_all(
        "SELECT body FROM messages WHERE customer_id = %s AND purpose = 'notice' ORDER BY id",
        (customer_id,),
    )
    return [r["body"] for r in rows]


def audit_rows(appointment_id: int) -> list[dict]:
    return db.fetch_all(
        "SELECT action, user_id, after FROM audit_log WHERE entity = 'appointment'"
        " AND entity_id = %s ORDER BY id",
        (str(appointment_id),),
    )


def list_calls(gcal) -> list[dict]:
    return [r.query for r in gcal.calls("GET", "/events") if "singleEvents" not in r.query]


def test_an_event_deleted_in_google_cancels_the_appointment_and_tells_the_customer_once(
    salon, gcal, booked, drain
):
    appointment_id, kim = booked
    assert waiting_jobs(appointment_id)  # its reminders
    gcal.delete_event(CAL, event_id(appointment_id))
    assert calendar_changes.read_business(salon) == ["cancelled"]
    assert appointment(appointment_id)["status"] == "cancelled"
    assert waiting_jobs(appointment_id) == {}  # reminders dropped
    [text] = notices(kim)
    assert "Haircut" in text and "11:00" in text and "has been cancelled by Test Salon" in text
    [row] = audit_rows(appointment_id)
    assert row["action"] == "cancel" and row["user_id"] is None
    assert row["after"] == {"status": "cancelled", "notified": True, "by": "google_calendar"}
    # The calendar job deletes an event already deleted (fine); reading again changes nothing.
    drain()
    assert calendar_changes.read_business(salon) == []
    assert len(notices(kim)) == 1
    # The second read was incremental, from the token the first one saved.
    first, second, third = list_calls(gcal)
    assert "timeMin" in first and first["showDeleted"] == "true" and "syncToken" not in first
    assert second["syncToken"] and "timeMin" not in second and second["showDeleted"] == "true"
    assert third["syncToken"] != second["syncToken"]


@pytest.mark.parametrize(
    "fields",
    [("kind", "id", "status", "updated", "etag"), ("id", "status")],
    ids=["updated", "bare"],
)
def test_a_deletion_listed_with_its_id_alone_still_cancels_the_appointment(
    salon, gcal, booked, fields
):
    """Google guarantees only a deleted event's id: ours by its id, found by the event id the
    sync recorded; a deletion without `updated` is the business's (we delete only cancelled
    bookings' events)."""
    appointment_id, kim = booked
    gcal.deleted_fields = fields
    gcal.delete_event(CAL, event_id(appointment_id))
    assert calendar_changes.read_business(salon) == ["cancelled"]
    assert appointment(appointment_id)["status"] == "cancelled"
    assert len(notices(kim)) == 1


def test_a_bare_deletion_of_another_business_event_changes_nothing_here(salon, gcal, booked):
    """A shared calendar: an `appt…` id this business never synced is not its appointment."""
    appointment_id, kim = booked
    gcal.deleted_fields = ("id", "status")
    other = gcal.add_event(CAL, id=event_id(appointment_id + 1000), **_staff_times(day(3, "15:00")))
    gcal.delete_event(CAL, other["id"])
    assert calendar_changes.read_business(salon) == []
    assert appointment(appointment_id)["status"] == "booked"


def test_a_bare_deletion_of_a_booking_moved_before_0009_cancels_its_last_row(
    app, salon, gcal, drain
):
    """Such a booking is a chain of rows with the event of its first: the booked row is the
    one found by that event id."""
    kim, now = customer(salon)["id"], datetime.now(UTC)
    first = book(app, salon, kim, day(3, "11:00"), now=now)
    last = book(app, salon, kim, day(3, "15:00"), now=now)
    db.execute("UPDATE appointments SET status = 'cancelled' WHERE id = %s", (first,))
    db.execute("UPDATE appointments SET rescheduled_from = %s WHERE id = %s", (first, last))
    # One sync of the chain (the jobs queued by the bookings predate it).
    db.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'calendar_sync'")
    with db.transaction():
        assert queue_calendar_sync(salon, last)
    drain()
    assert list(gcal.live_events(CAL)) == [event_id(first)]
    assert calendar_changes.read_business(salon) == ["ours"]
    gcal.deleted_fields = ("id", "status")
    gcal.delete_event(CAL, event_id(first))
    assert calendar_changes.read_business(salon) == ["cancelled"]
    assert appointment(last)["status"] == "cancelled"


def _staff_times(start: datetime) -> dict:
    end = start + timedelta(hours=1)
    return {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}}


def test_an_event_moved_in_google_moves_the_appointment_and_its_reminders(
    salon, gcal, booked, drain
):
    appointment_id, kim = booked
    new = day(3, "15:00")
    gcal.move_event(
        CAL, event_id(appointment_id), new.isoformat(), (new + timedelta(minutes=30)).isoformat()
    )
    assert calendar_changes.read_business(salon) == ["moved"]
    moved = appointment(appointment_id)
    assert (moved["status"], moved["starts_at"], moved["ends_at"]) == (
        "booked",
        new,
        new + timedelta(minutes=30),
    )
    assert waiting_jobs(appointment_id) == {
        1440: [new - timedelta(hours=24)],
        120: [new - timedelta(hours=2)],
    }
    [text] = notices(kim)
    assert "moved by Test Salon to" in text and "15:00" in text
    assert audit_rows(appointment_id)[-1]["after"] == {
        "starts_at": new.isoformat(),
        "notified": True,
        "by": "google_calendar",
    }
    # Our calendar job rewrites the event (same times): that write is ours, not a change.
    drain()
    assert calendar_changes.read_business(salon) == ["ours"]
    assert calendar_changes.read_business(salon) == []
    assert len(notices(kim)) == 1


def test_our_own_writes_never_come_back_as_notices(app, salon, gcal, booked, drain):
    appointment_id, kim = booked
    with app.app_context():
        moved = booking.reschedule(salon, kim, appointment_id, day(4, "12:00"))
    assert moved.ok
    # Before our write reaches Google the event still has the old time: not the business's.
    assert calendar_changes.read_business(salon) == []
    drain()
    assert calendar_changes.read_business(salon) == ["ours"]
    with app.app_context():
        assert booking.cancel(salon, kim, appointment_id).ok
    drain()
    assert calendar_changes.read_business(salon) == ["not booked"]
    assert notices(kim) == []
    assert appointment(appointment_id)["starts_at"] == day(4, "12:00")


def test_a_stale_read_of_an_event_we_rewrote_since_is_not_taken_for_a_change(
    app, salon, gcal, booked, drain
):
    """Google listed the event before our move reached it; we process it after: its `updated`
    is older than our write's, so the appointment stays where we put it."""
    appointment_id, kim = booked
    stale = dict(gcal.calendars[CAL].events[event_id(appointment_id)])
    with app.app_context():
        assert booking.reschedule(salon, kim, appointment_id, day(4, "12:00")).ok
    drain()
    business = db.fetch_one("SELECT * FROM businesses WHERE id = %s", (salon,))
    assert calendar_changes.apply(business, appointment_id, stale, datetime.now(UTC)) == "ours"
    assert appointment(appointment_id)["starts_at"] == day(4, "12:00")
    assert notices(kim) == []


def test_an_expired_sync_token_reads_everything_again_without_telling_anyone_twice(
    salon, gcal, booked, drain
):
    appointment_id, kim = booked
    gcal.delete_event(CAL, event_id(appointment_id))
    assert calendar_changes.read_business(salon) == ["cancelled"]
    drain()
    gcal.expire_sync_tokens(CAL)
    assert calendar_changes.read_business(salon) == ["not booked"]
    calls = list_calls(gcal)
    assert [c.get("syncToken") is not None for c in calls[-2:]] == [True, False]
    assert gcal.calls("GET", "/events")[-2].status == 410
    assert calendar_changes.read_business(salon) == []  # a fresh token works again
    assert len(notices(kim)) == 1


def test_a_move_to_a_closed_time_is_kept_and_audited(salon, gcal, booked):
    appointment_id, kim = booked
    late = day(3, "22:00")  # the salon closes at 20:00
    gcal.move_event(
        CAL, event_id(appointment_id), late.isoformat(), (late + timedelta(minutes=30)).isoformat()
    )
    assert calendar_changes.read_business(salon) == ["moved"]
    assert appointment(appointment_id)["starts_at"] == late
    after = audit_rows(appointment_id)[-1]["after"]
    assert after["outside_rules"] == "outside_hours" and after["by"] == "google_calendar"
    assert len(notices(kim)) == 1


def test_a_move_into_the_past_is_not_applied_and_the_event_goes_back(salon, gcal, booked, drain):
    """Not applied, and the event goes back to the booked time instead of staying where the
    staff calendar no longer shows the real appointment."""
    appointment_id, kim = booked
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    gcal.move_event(
        CAL, event_id(appointment_id), past.isoformat(), (past + timedelta(minutes=30)).isoformat()
    )
    assert calendar_changes.read_business(salon) == ["past"]
    assert appointment(appointment_id)["starts_at"] == day(3, "11:00")
    assert audit_rows(appointment_id)[-1]["action"] == "move_ignored"
    assert notices(kim) == []
    drain()
    event = gcal.live_events(CAL)[event_id(appointment_id)]
    assert datetime.fromisoformat(event["start"]["dateTime"]) == day(3, "11:00")
    assert calendar_changes.read_business(salon) in ([], ["ours"])  # our own write, not a move


def test_an_end_changed_in_google_goes_back_to_the_booked_length(salon, gcal, booked, drain):
    """Only a move or a deletion is read back: a longer event left in place would show staff a
    busy time that Postgres, and so the bot's bookings, do not count."""
    appointment_id, kim = booked
    start = day(3, "11:00")
    gcal.move_event(  # the end dragged from 11:30 to 12:30, the start left alone
        CAL, event_id(appointment_id), start.isoformat(), day(3, "12:30").isoformat()
    )
    assert calendar_changes.read_business(salon) == ["restored"]
    assert appointment(appointment_id)["ends_at"] == day(3, "11:30")
    assert notices(kim) == []
    drain()
    event = gcal.live_events(CAL)[event_id(appointment_id)]
    assert datetime.fromisoformat(event["end"]["dateTime"]) == day(3, "11:30")
    assert calendar_changes.read_business(salon) in ([], ["ours"])  # our own write, not a change


def test_other_peoples_events_are_ignored(salon, gcal, booked):
    appointment_id, kim = booked
    start = day(3, "12:00")
    staff = gcal.add_event(
        CAL,
        summary="Dentist",
        start={"dateTime": start.isoformat()},
        end={"dateTime": (start + timedelta(hours=1)).isoformat()},
    )
    gcal.delete_event(CAL, staff["id"])
    assert calendar_changes.read_business(salon) == []
    assert appointment(appointment_id)["status"] == "booked"


def test_the_read_back_is_a_job_that_queues_its_next_run(app, salon, gcal, booked, drain):
    appointment_id, kim = booked
    with app.app_context():
        assert schedule_google_read(300.0)
        assert not schedule_google_read(300.0)  # one waiting run at a time
        assert not schedule_google_read(0)  # 0: off
    [job] = db.fetch_all(
        "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = 'read_google_changes'"
    )
    assert timedelta(seconds=290) < job["scheduled_at"] - datetime.now(UTC) < timedelta(seconds=310)
    gcal.delete_event(CAL, event_id(appointment_id))
    db.execute(
        "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE task_name = 'read_google_changes'"
    )
    drain()  # the run is due: it reads back, then (interval 0 in tests) queues no next run
    assert appointment(appointment_id)["status"] == "cancelled"
    assert len(notices(kim)) == 1
    left = db.fetch_one(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE task_name = 'read_google_changes'"
        " AND status = 'todo'"
    )
    assert left["n"] == 0


def test_an_event_made_all_day_in_google_goes_back_to_its_time(salon, gcal, booked, drain):
    """Google's patch merges `start`: the `date` of an all-day event stays beside the
    `dateTime` written back unless the patch clears it, and Google refuses an event with both."""
    appointment_id, kim = booked
    gcal.make_all_day(CAL, event_id(appointment_id), str(TODAY + timedelta(days=3)))
    assert calendar_changes.read_business(salon) == ["restored"]
    drain()
    assert [r.status for r in gcal.calls("PATCH", "/events")] == [200]
    event = gcal.live_events(CAL)[event_id(appointment_id)]
    assert "date" not in event["start"] and "date" not in event["end"]
    assert datetime.fromisoformat(event["start"]["dateTime"]) == day(3, "11:00")
    assert datetime.fromisoformat(event["end"]["dateTime"]) == day(3, "11:30")
    assert appointment(appointment_id)["status"] == "booked" and notices(kim) == []
    assert db.fetch_one("SELECT calendar_error FROM businesses WHERE id = %s", (salon,)) == {
        "calendar_error": None
    }


def test_a_read_over_several_pages_keeps_the_token_of_the_last_one(salon, gcal, booked):
    """Google sends nextSyncToken only with the last page: every page is read first."""
    appointment_id, kim = booked
    start = day(4, "09:00")
    for n in range(260):  # more than one page of 250
        at = start + timedelta(minutes=n)
        gcal.add_event(
            CAL,
            summary=f"Staff {n}",
            start={"dateTime": at.isoformat()},
            end={"dateTime": (at + timedelta(minutes=1)).isoformat()},
        )
    gcal.delete_event(CAL, event_id(appointment_id))
    gcal.expire_sync_tokens(CAL)  # a full read: the deletion and every staff event, 2 pages
    assert calendar_changes.read_business(salon) == ["cancelled"]
    full = list_calls(gcal)[-3:]
    assert "syncToken" in full[0] and "pageToken" not in full[1] and full[2]["pageToken"]
    assert calendar_changes.read_business(salon) == []  # from the token of the last page
    assert list_calls(gcal)[-1]["syncToken"] and len(notices(kim)) == 1

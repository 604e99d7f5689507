"""Reminders are planned with the booking, moved and dropped with it, fire at their instant
(24 real hours before, across DST changes), respect quiet hours and survive worker downtime."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from psycopg.types.json import Jsonb

from app import reminders
from app.booking import reminders as plans
from app.booking import service as booking
from app.booking import store
from app.storage import businesses, db
from tests.fixtures_booking import service_id
from tests.reminder_helpers import (
    book,
    customer,
    local,
    open_business,
    reminder_messages,
    reminder_rows,
    waiting_jobs,
)

DAY, TWO_HOURS = timedelta(hours=24), timedelta(hours=2)


def test_how_late_a_reminder_ran_is_measured_once_it_is_acted_on(app):
    """`reminder_delay_seconds` shows reminders waiting behind a backlog (docs/OPERATIONS.md);
    a job put off (too early) is not counted until it runs again."""
    from prometheus_client import REGISTRY

    def observed() -> tuple[float, float]:
        count = REGISTRY.get_sample_value("reminder_delay_seconds_count") or 0.0
        return count, REGISTRY.get_sample_value("reminder_delay_seconds_sum") or 0.0

    business_id = open_business("Europe/Madrid")
    kim = customer(business_id)
    starts_at = local("Europe/Madrid", "2026-06-10 11:00")
    appointment_id = book(app, business_id, kim["id"], starts_at, now=starts_at - 3 * DAY)
    due = starts_at - TWO_HOURS
    count, total = observed()
    with app.app_context():
        with pytest.raises(reminders.FireLater):
            reminders.fire(appointment_id, 120, due, now=due - TWO_HOURS)
        assert observed() == (count, total)
        late = timedelta(seconds=42)
        assert reminders.fire(appointment_id, 120, due, now=due + late) == "queued"
    assert observed() == (count + 1, total + 42)


@pytest.mark.parametrize(
    "timezone, start, wall_24h_before",
    [
        # The morning after the clocks go forward: 24 real hours before is an hour earlier.
        ("Europe/Madrid", "2026-03-29 11:00", "2026-03-28 10:00"),
        ("America/New_York", "2026-03-08 11:00", "2026-03-07 10:00"),
        # The morning after they go back: an hour later.
        ("Europe/Madrid", "2026-10-25 11:00", "2026-10-24 12:00"),
        ("America/New_York", "2026-11-01 11:00", "2026-10-31 12:00"),
    ],
)
def test_reminders_fire_24_real_hours_and_2_hours_before_across_dst(
    app, timezone, start, wall_24h_before
):
    business_id = open_business(timezone)
    kim = customer(business_id)
    starts_at = local(timezone, start)
    appointment_id = book(app, business_id, kim["id"], starts_at, now=starts_at - 3 * DAY)

    rows = reminder_rows(appointment_id)
    assert {o: r["due_at"] for o, r in rows.items()} == {
        1440: starts_at - DAY,
        120: starts_at - TWO_HOURS,
    }
    assert rows[1440]["due_at"] == local(timezone, wall_24h_before)
    # The queued job is scheduled for exactly that instant, one per offset.
    assert waiting_jobs(appointment_id) == {1440: [starts_at - DAY], 120: [starts_at - TWO_HOURS]}

    with app.app_context():
        with pytest.raises(reminders.FireLater) as early:
            reminders.fire(appointment_id, 1440, starts_at - DAY, now=starts_at - DAY - TWO_HOURS)
        assert early.value.wait == 2 * 3600
        assert reminder_messages(kim["id"]) == []
        assert reminders.fire(appointment_id, 1440, starts_at - DAY, now=starts_at - DAY) == (
            "queued"
        )
        # A second run of the same job (a retry after a crash) sends nothing more.
        assert reminders.fire(appointment_id, 1440, starts_at - DAY, now=starts_at - DAY) == (
            "queued"
        )
    [message] = reminder_messages(kim["id"])
    assert message["expires_at"] == starts_at  # never delivered after the appointment began


@pytest.mark.parametrize(
    "start, offset, due",
    [
        ("2026-06-03 09:30", 120, "2026-06-02 20:59"),  # 07:30 is quiet: the evening before
        ("2026-06-03 10:00", 1440, "2026-06-02 10:00"),  # not quiet: unchanged
        ("2026-06-03 11:00", 120, "2026-06-03 09:00"),  # quiet hours end at 09:00
        ("2026-06-03 19:30", 1440, "2026-06-02 19:30"),
    ],
)
def test_a_reminder_due_in_quiet_hours_goes_at_the_last_minute_before_them(start, offset, due):
    business = {"timezone": "Europe/Madrid", "reminder_quiet_hours": plans.DEFAULT_QUIET}
    starts_at = local("Europe/Madrid", start)
    assert plans.due_at(business, starts_at, offset) == local("Europe/Madrid", due)


@pytest.mark.parametrize(
    "booked_at, start, planned",
    [
        # Moved back to 20:59, already past: at the end of quiet hours instead, before 10:00.
        ("2026-06-02 22:00", "2026-06-03 10:00", {1440: None, 120: "2026-06-03 09:00"}),
        ("2026-06-02 22:00", "2026-06-03 09:00", {1440: None, 120: None}),  # no time before it
        ("2026-06-03 08:30", "2026-06-03 10:00", {1440: None, 120: None}),  # 08:00 passed anyway
        ("2026-06-02 20:00", "2026-06-03 10:00", {1440: None, 120: "2026-06-02 20:59"}),
    ],
)
def test_a_reminder_quiet_hours_would_move_into_the_past_goes_when_they_end(
    booked_at, start, planned
):
    business = {"timezone": "Europe/Madrid", "reminder_quiet_hours": plans.DEFAULT_QUIET}
    now, starts_at = local("Europe/Madrid", booked_at), local("Europe/Madrid", start)
    expected = {o: t and local("Europe/Madrid", t) for o, t in planned.items()}
    assert dict(plans.plan(business, starts_at, now)) == expected


@pytest.mark.parametrize(
    "timezone, quiet, start, offset, due",
    [
        # Madrid and New York skip 02:00-03:00: quiet hours from 02:30 begin at 03:00.
        ("Europe/Madrid", ("02:30", "07:00"), "2026-03-29 09:00", 300, "2026-03-29 01:59"),
        ("America/New_York", ("02:30", "07:00"), "2026-03-08 09:00", 300, "2026-03-08 01:59"),
        # Santiago skips 00:00-01:00 on 6 September: from 00:30 they begin at 01:00.
        ("America/Santiago", ("00:30", "08:00"), "2026-09-06 09:00", 240, "2026-09-05 23:59"),
    ],
)
def test_quiet_hours_starting_at_a_time_the_clocks_skip_begin_when_the_clock_passes_it(
    timezone, quiet, start, offset, due
):
    """The reminder goes the minute before the clock reaches their start, not inside them."""
    business = {
        "timezone": timezone,
        "reminder_quiet_hours": dict(zip(("start", "end"), quiet, strict=True)),
    }
    moved = plans.due_at(business, local(timezone, start), offset)
    assert moved == local(timezone, due)
    assert not plans.in_quiet_hours(business, moved)


@pytest.mark.parametrize(
    "timezone, quiet, moment, ends",
    [
        # An end the clocks skip: quiet hours end when the clock jumps past it.
        ("Europe/Madrid", ("20:00", "02:30"), "2026-03-28 22:00", "2026-03-29 01:00"),
        ("Europe/London", ("23:30", "01:30"), "2026-03-28 23:45", "2026-03-29 01:00"),
        # An end in the hour the clocks repeat, from the second time through it (01:00 EST):
        # at 01:30 EST, not at 01:30 the next night.
        ("America/New_York", ("23:30", "01:30"), "2026-11-01 06:00", "2026-11-01 06:30"),
        ("Europe/Madrid", ("22:00", "02:30"), "2026-10-25 01:10", "2026-10-25 01:30"),
        # The usual night across a change ends at its wall time in the new offset.
        ("Europe/Madrid", ("21:00", "09:00"), "2026-03-28 23:00", "2026-03-29 07:00"),
        ("America/New_York", ("21:00", "08:00"), "2026-11-01 05:00", "2026-11-01 13:00"),
    ],
)
def test_quiet_hours_end_the_first_time_the_clock_reaches_their_end(timezone, quiet, moment, ends):
    """`moment` and `ends` in UTC: a late reminder waits until then, and no longer."""
    business = {
        "timezone": timezone,
        "reminder_quiet_hours": dict(zip(("start", "end"), quiet, strict=True)),
    }
    now = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    assert plans.in_quiet_hours(business, now)
    assert plans.quiet_ends(business, now) == datetime.fromisoformat(ends).replace(tzinfo=UTC)


def test_quiet_hours_can_be_switched_off_and_a_reminder_already_past_is_skipped(app):
    business_id = open_business()
    db.execute("UPDATE businesses SET reminder_quiet_hours = NULL WHERE id = %s", (business_id,))
    kim = customer(business_id)
    starts_at = local("Europe/Madrid", "2026-06-03 08:30")
    # Booked 90 minutes ahead: the 2-hour reminder's time has passed, the 24-hour one too.
    appointment_id = book(
        app, business_id, kim["id"], starts_at, now=starts_at - 1.5 * TWO_HOURS / 2
    )
    assert {o: r["state"] for o, r in reminder_rows(appointment_id).items()} == {
        1440: "skipped",
        120: "skipped",
    }
    assert waiting_jobs(appointment_id) == {}
    business = businesses.get_row(business_id)
    assert plans.due_at(business, starts_at, 120) == starts_at - TWO_HOURS  # 06:30, not moved


def test_a_reschedule_moves_the_reminders_and_a_cancel_drops_them(app):
    business_id = open_business()
    kim = customer(business_id)
    now = local("Europe/Madrid", "2026-06-01 10:00")
    first = local("Europe/Madrid", "2026-06-05 12:00")
    appointment_id = book(app, business_id, kim["id"], first, now)
    later = local("Europe/Madrid", "2026-06-06 16:00")
    with app.app_context():
        moved = booking.reschedule(business_id, kim["id"], appointment_id, later, now=now)
    assert moved.ok
    assert waiting_jobs(appointment_id) == {1440: [later - DAY], 120: [later - TWO_HOURS]}
    assert {o: r["due_at"] for o, r in reminder_rows(appointment_id).items()} == {
        1440: later - DAY,
        120: later - TWO_HOURS,
    }
    with app.app_context():
        assert booking.cancel(business_id, kim["id"], appointment_id, now=now).ok
    assert waiting_jobs(appointment_id) == {}
    assert {r["state"] for r in reminder_rows(appointment_id).values()} == {"cancelled"}


@pytest.mark.parametrize("run", range(3))
def test_100_concurrent_reschedules_leave_exactly_one_pending_reminder_per_offset(app, run):
    business_id = open_business(max_concurrent=100)
    kim = customer(business_id)
    now = local("Europe/Madrid", "2026-06-01 10:00")
    appointment_id = book(
        app, business_id, kim["id"], local("Europe/Madrid", "2026-06-10 12:00"), now
    )
    times = [
        local("Europe/Madrid", f"2026-06-{day:02d} {hour:02d}:{minute:02d}")
        for day in range(11, 16)
        for hour in range(9, 19)
        for minute in (0, 30)
    ]
    random.Random(run).shuffle(times)

    def move(start: datetime) -> bool:
        with app.app_context():
            return booking.reschedule(business_id, kim["id"], appointment_id, start, now=now).ok

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(pool.map(move, times[:100]))
    final = db.fetch_one("SELECT starts_at FROM appointments WHERE id = %s", (appointment_id,))
    starts_at = final["starts_at"].astimezone(UTC)
    expected = {1440: plans.due_at(businesses.get_row(business_id), starts_at, 1440),
                120: plans.due_at(businesses.get_row(business_id), starts_at, 120)}  # fmt: skip
    assert waiting_jobs(appointment_id) == {o: [d] for o, d in expected.items()}
    rows = reminder_rows(appointment_id)
    assert {o: (r["due_at"], r["state"]) for o, r in rows.items()} == {
        o: (d, "pending") for o, d in expected.items()
    }


def test_a_reminder_whose_appointment_was_cancelled_after_it_was_queued_sends_nothing(app):
    business_id = open_business()
    kim = customer(business_id)
    now = local("Europe/Madrid", "2026-06-01 10:00")
    starts_at = local("Europe/Madrid", "2026-06-05 12:00")
    appointment_id = book(app, business_id, kim["id"], starts_at, now)
    # Cancelled while its job was already running (the job then re-reads the appointment).
    with db.transaction() as conn:
        store.mark_cancelled(conn, appointment_id)
    with app.app_context():
        assert reminders.fire(
            appointment_id, 120, starts_at - TWO_HOURS, starts_at - TWO_HOURS
        ) == ("cancelled")
    assert reminder_messages(kim["id"]) == []


def test_a_job_left_from_before_a_move_sends_nothing(app):
    business_id = open_business()
    kim = customer(business_id)
    now = local("Europe/Madrid", "2026-06-01 10:00")
    first = local("Europe/Madrid", "2026-06-05 12:00")
    appointment_id = book(app, business_id, kim["id"], first, now)
    later = local("Europe/Madrid", "2026-06-07 12:00")
    with app.app_context():
        assert booking.reschedule(business_id, kim["id"], appointment_id, later, now=now).ok
        assert reminders.fire(appointment_id, 120, first - TWO_HOURS, first - TWO_HOURS) == "moved"
    assert reminder_messages(kim["id"]) == []


def test_after_two_hours_of_downtime_missed_reminders_go_once_unless_the_appointment_began(
    app, drain, fake_graph
):
    """The workers were stopped from 3 hours ago until now; they start again (drain)."""
    business_id = open_business()
    db.execute("UPDATE businesses SET reminder_quiet_hours = NULL WHERE id = %s", (business_id,))
    business = businesses.get_row(business_id)
    kim, ana = customer(business_id), customer(business_id)
    real_now = datetime.now(UTC).replace(microsecond=0)
    booked_at = real_now - timedelta(hours=3)
    upcoming = _appointment(app, business, kim["id"], real_now + timedelta(hours=1), booked_at)
    started = _appointment(app, business, ana["id"], real_now - timedelta(minutes=30), booked_at)
    # Both 2-hour reminders came due while the workers were stopped.
    assert reminder_rows(upcoming)[120]["due_at"] < real_now
    assert reminder_rows(started)[120]["due_at"] < real_now

    drain()
    drain()  # a second restart finds nothing left to do

    assert [m["status"] for m in reminder_messages(kim["id"])] == ["sent"]
    assert reminder_messages(ana["id"]) == []
    assert reminder_rows(started)[120]["state"] == "missed"
    sent = [s for s in fake_graph.messages_sent() if s.get("type") == "interactive"]
    assert [s["to"] for s in sent] == [kim["address"]]


def test_a_reminder_whose_job_fails_every_attempt_is_recorded_failed_after_the_last(app, drain):
    """The database refuses the reminder's message each time (here a constraint it breaks). Each
    failed run before the last leaves the reminder `pending`, for the retry to send; the last
    records `failed`, which the console shows: not a reminder pending for ever that nothing
    will send."""
    from app.jobs.tasks import REMINDER_RETRY
    from app.storage import reminders as reminder_store

    kim, appointment_id = _reminder_due_an_hour_ago(app)
    assert reminder_rows(appointment_id)[120]["state"] == "pending"
    db.execute(
        "ALTER TABLE messages ADD CONSTRAINT no_reminders CHECK (purpose <> 'reminder') NOT VALID"
    )

    def job() -> dict:
        return _reminder_job(appointment_id, 120)

    retries = REMINDER_RETRY.max_attempts
    for attempt in range(1, retries + 1):
        drain()
        assert (job()["status"], job()["attempts"]) == ("todo", attempt)  # retried later
        assert reminder_rows(appointment_id)[120]["state"] == "pending"
        db.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %s", (job()["id"],)
        )
    drain()  # the last attempt
    assert job()["status"] == "failed"
    assert reminder_rows(appointment_id)[120]["state"] == "failed"
    assert reminder_messages(kim["id"]) == []
    [shown] = [r for r in reminder_store.statuses(appointment_id) if r["offset_minutes"] == 120]
    assert (shown["status"], shown["error_code"], shown["send_error"]) == ("failed", None, None)


def test_a_reminder_put_off_by_quiet_hours_again_and_again_keeps_its_retries_for_a_failure(
    app, drain
):
    """A late reminder's job lands in quiet hours each time it runs (here: quiet hours around
    the real clock's now, ending before the appointment), more times than a failing job is
    retried. Being put off is not failing: nothing is given up, and once quiet hours are
    over a failure (the database refusing the message) is retried as a first one, not
    recorded `failed`; the reminder goes once the failure passes."""
    from app.jobs.tasks import REMINDER_RETRY

    kim, appointment_id = _reminder_due_an_hour_ago(app)
    business_id = kim["business_id"]
    wall = datetime.now(ZoneInfo("Europe/Madrid"))
    quiet = {
        "start": (wall - timedelta(hours=1)).strftime("%H:%M"),
        "end": (wall + timedelta(minutes=30)).strftime("%H:%M"),  # before the 1-hour start
    }
    db.execute(
        "UPDATE businesses SET reminder_quiet_hours = %s WHERE id = %s",
        (Jsonb(quiet), business_id),
    )

    def run_now() -> None:
        job = _reminder_job(appointment_id, 120)
        db.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %s", (job["id"],))
        drain()

    for _ in range(REMINDER_RETRY.max_attempts + 1):
        run_now()  # put off until quiet hours end
        assert _reminder_job(appointment_id, 120)["status"] == "todo"
        assert reminder_rows(appointment_id)[120]["state"] == "pending"
    db.execute("UPDATE businesses SET reminder_quiet_hours = NULL WHERE id = %s", (business_id,))
    db.execute(
        "ALTER TABLE messages ADD CONSTRAINT no_reminders CHECK (purpose <> 'reminder') NOT VALID"
    )
    run_now()  # fails: retried later, not given up
    assert reminder_rows(appointment_id)[120]["state"] == "pending"
    job = _reminder_job(appointment_id, 120)
    assert (job["status"], job["attempts"]) == ("todo", 1)
    db.execute("ALTER TABLE messages DROP CONSTRAINT no_reminders")
    run_now()
    assert reminder_rows(appointment_id)[120]["state"] == "queued"
    assert len(reminder_messages(kim["id"])) == 1


def test_a_reminder_planned_again_while_its_last_attempt_failed_is_left_to_the_new_plan(app):
    """A move plans the reminder again (here for the same due time, as quiet hours can) while
    the old job runs its last attempt: the old job's giving up leaves the new plan `pending`,
    for its own job to send. Without a new plan it records `failed`."""
    from app import reminders
    from app.jobs import tasks

    _, appointment_id = _reminder_due_an_hour_ago(app)
    due = reminder_rows(appointment_id)[120]["due_at"]
    old = _reminder_job(appointment_id, 120)["id"]
    db.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %s", (old,))
    with app.app_context():
        with db.transaction():  # the move: the row planned again, a job of its own queued
            tasks.schedule_reminder(appointment_id, 120, due)
        reminders.give_up(
            appointment_id, 120, due, lambda: tasks.reminder_planned_again(appointment_id, 120, old)
        )
        assert reminder_rows(appointment_id)[120]["state"] == "pending"

        db.execute(  # no new plan: the old job's giving up records it
            "DELETE FROM procrastinate_jobs WHERE task_name = 'send_reminder' AND id <> %s", (old,)
        )
        reminders.give_up(
            appointment_id, 120, due, lambda: tasks.reminder_planned_again(appointment_id, 120, old)
        )
        assert reminder_rows(appointment_id)[120]["state"] == "failed"


def _reminder_due_an_hour_ago(app) -> tuple[dict, int]:
    """Kim's appointment an hour from now, booked three hours ago: its 2-hour reminder came due
    an hour ago on the real clock (quiet hours off, or at night they would move it). Kim, and
    the appointment's id."""
    business_id = open_business()
    db.execute("UPDATE businesses SET reminder_quiet_hours = NULL WHERE id = %s", (business_id,))
    kim = customer(business_id)
    now = datetime.now(UTC).replace(microsecond=0)
    business = businesses.get_row(business_id)
    start, booked_at = now + timedelta(hours=1), now - timedelta(hours=3)
    return kim, _appointment(app, business, kim["id"], start, booked_at)


def _reminder_job(appointment_id: int, offset: int) -> dict | None:
    """The reminder's job (the first queued for it): its id, status and attempts."""
    return db.fetch_one(
        "SELECT id, status, attempts FROM procrastinate_jobs WHERE task_name = 'send_reminder'"
        " AND (args->>'appointment_id')::bigint = %s AND (args->>'offset_minutes')::int = %s"
        " ORDER BY id LIMIT 1",
        (appointment_id, offset),
    )


def _appointment(app, business: dict, customer_id: int, start: datetime, now: datetime) -> int:
    """An appointment inserted as the booking service does, its reminders planned at `now`
    (bypassing opening hours, which the time of day the test runs at would decide)."""
    with app.app_context(), db.transaction() as conn:
        svc = {"id": service_id(business["id"], "Haircut"), "duration_minutes": 30}
        appointment = store.insert(
            conn,
            business_id=business["id"],
            customer_id=customer_id,
            service=svc,
            starts_at=start,
            key=f"downtime:{customer_id}",
            turn_id=None,
        )
        plans.schedule(conn, business, appointment, now)
    return appointment.id


def test_a_confirmation_is_for_the_time_confirmed_a_move_asks_again(app):
    business_id = open_business()
    kim = customer(business_id)
    now = local("Europe/Madrid", "2026-06-01 10:00")
    appointment_id = book(
        app, business_id, kim["id"], local("Europe/Madrid", "2026-06-05 12:00"), now
    )
    assert booking.confirm_attendance(business_id, kim["id"], appointment_id, now=now).ok
    later = local("Europe/Madrid", "2026-06-06 12:00")
    with app.app_context():
        assert booking.reschedule(business_id, kim["id"], appointment_id, later, now=now).ok
    row = db.fetch_one("SELECT confirmed_at FROM appointments WHERE id = %s", (appointment_id,))
    assert row["confirmed_at"] is None


def test_a_customer_on_no_messaging_channel_gets_no_reminder_and_no_error(app):
    business_id = open_business()
    walk_in = customer(business_id, None, channel="phone", address="+34600123456")
    now = local("Europe/Madrid", "2026-06-01 10:00")
    starts_at = local("Europe/Madrid", "2026-06-05 12:00")
    appointment_id = book(app, business_id, walk_in["id"], starts_at, now)
    with app.app_context():
        assert reminders.fire(
            appointment_id, 120, starts_at - TWO_HOURS, starts_at - TWO_HOURS
        ) == ("skipped")
    assert reminder_messages(walk_in["id"]) == []


@pytest.mark.parametrize(
    "offsets, start, expected",
    [
        # 06:30 and 07:30 are both quiet: both would go at 20:59 the evening before.
        ([180, 120], "2026-06-03 09:30", {180: "2026-06-02 20:59", 120: None}),
        ([1440, 180, 120], "2026-06-03 09:30",
         {1440: "2026-06-02 09:30", 180: "2026-06-02 20:59", 120: None}),
        ([20, 16], "2026-06-03 12:00", {20: "2026-06-03 11:40", 16: None}),  # 4 minutes apart
        ([20, 15], "2026-06-03 12:00", {20: "2026-06-03 11:40", 15: "2026-06-03 11:45"}),
    ],
)  # fmt: skip
def test_reminders_due_within_minutes_of_one_another_are_planned_once(offsets, start, expected):
    business = {
        "timezone": "Europe/Madrid",
        "reminder_quiet_hours": plans.DEFAULT_QUIET,
        "reminder_offsets_minutes": offsets,
    }
    now = local("Europe/Madrid", "2026-06-01 10:00")
    planned = plans.plan(business, local("Europe/Madrid", start), now)
    assert dict(planned) == {
        o: local("Europe/Madrid", due) if due else None for o, due in expected.items()
    }


def test_two_offsets_moved_to_the_same_minute_by_quiet_hours_send_one_reminder(app):
    """3 hours and 2 hours before a 09:30 start are both in quiet hours: the 3-hour reminder goes
    at 20:59 the evening before and the 2-hour one, which would go in the same minute, is
    skipped. A move that sets them apart plans both again."""
    business_id = open_business(reminder_offsets_minutes=[180, 120])
    kim = customer(business_id)
    now = local("Europe/Madrid", "2026-06-01 10:00")
    start = local("Europe/Madrid", "2026-06-03 09:30")
    appointment_id = book(app, business_id, kim["id"], start, now)

    evening = local("Europe/Madrid", "2026-06-02 20:59")
    rows = reminder_rows(appointment_id)
    assert {o: r["state"] for o, r in rows.items()} == {180: "pending", 120: "skipped"}
    assert rows[180]["due_at"] == evening
    assert waiting_jobs(appointment_id) == {180: [evening]}
    with app.app_context():
        fired = [reminders.fire(appointment_id, o, evening, now=evening) for o in (180, 120)]
    assert fired == ["queued", "skipped"]
    assert len(reminder_messages(kim["id"])) == 1

    later = local("Europe/Madrid", "2026-06-04 12:00")  # 09:00 and 10:00: out of quiet hours
    with app.app_context():
        assert booking.reschedule(business_id, kim["id"], appointment_id, later, now=now).ok
    assert waiting_jobs(appointment_id) == {
        180: [local("Europe/Madrid", "2026-06-04 09:00")],
        120: [local("Europe/Madrid", "2026-06-04 10:00")],
    }


def test_bookings_made_while_reminders_are_off_get_them_once_they_are_on_again(app):
    """The owner turns reminders off for a few days, then on again: an appointment booked in
    between is planned like any other; a reminder firing while they are off records `off`, one
    firing after they are back on goes."""
    business_id = open_business()
    kim = customer(business_id)
    now = local("Europe/Madrid", "2026-06-01 10:00")
    db.execute("UPDATE businesses SET reminders_enabled = false WHERE id = %s", (business_id,))
    start = local("Europe/Madrid", "2026-06-02 15:00")
    appointment_id = book(app, business_id, kim["id"], start, now)
    assert waiting_jobs(appointment_id) == {1440: [start - DAY], 120: [start - TWO_HOURS]}

    with app.app_context():
        assert reminders.fire(appointment_id, 1440, start - DAY, now=start - DAY) == "off"
    db.execute("UPDATE businesses SET reminders_enabled = true WHERE id = %s", (business_id,))
    with app.app_context():
        due = start - TWO_HOURS
        assert reminders.fire(appointment_id, 120, due, now=due) == "queued"
    assert len(reminder_messages(kim["id"])) == 1

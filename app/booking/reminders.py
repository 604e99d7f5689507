"""When an appointment's reminders are due, and keeping them in step with the booking.

"24 hours before" is 24 real hours (86,400 s) before the start, whatever the clocks do in
between: the day after a DST change the reminder comes at a different wall time than the
appointment. A time due in the business's quiet hours moves to the last minute before they
begin; one that would then fall before `now` goes when they end instead, if that is before the
appointment, and is skipped otherwise; so is one that would go within
`SAME_MOMENT` of another of the appointment's reminders (the customer would get the same message
twice). Rows are written in the booking's own transaction and each row's job is queued (or
dropped) there too, by the function the job queue hands down (`init_app`), so a reminder exists
exactly when its booking does. They are planned whether or not the business has reminders on
at the time: whether one goes is decided when it fires (`app.reminders`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from app.booking import store as booking_store
from app.booking.hours import clock_reaches
from app.storage import reminders as store

EXTENSION = "reminder_jobs"
DEFAULT_OFFSETS = (1440, 120)
DEFAULT_QUIET = {"start": "21:00", "end": "09:00"}
QUIET_MARGIN = timedelta(minutes=1)  # "before quiet hours" = one minute before they begin
# Two reminders this close are one: the one planned second (the smaller offset) is skipped.
# Quiet hours move every offset due in them to the same minute (3 h and 2 h before a 09:30
# start would both go at 20:59).
SAME_MOMENT = timedelta(minutes=5)
TURNED_OFF = "not sent: reminders turned off"  # a withdrawn reminder's title (`withdraw`)


@dataclass(frozen=True)
class ReminderJobs:
    """The job queue's side: queue a reminder's job for its due time, or drop its job."""

    schedule: Callable[[int, int, datetime], None]  # (appointment id, offset, due at)
    drop: Callable[[int, int], None]  # (appointment id, offset)


def init_app(app, schedule, drop) -> None:
    """Give the booking service the job queue's reminder functions (it sits above us)."""
    app.extensions[EXTENSION] = ReminderJobs(schedule, drop)


def offsets(business: Mapping[str, Any]) -> list[int]:
    """The business's reminder offsets in minutes, earliest reminder first.

    Also while its reminders are off: the rows and jobs are there when they are turned on
    again, and a reminder that fires while they are off records `off` and sends nothing.
    """
    return sorted(set(business.get("reminder_offsets_minutes") or DEFAULT_OFFSETS), reverse=True)


def in_quiet_hours(business: Mapping[str, Any], moment: datetime) -> bool:
    """Whether `moment` falls in the business's quiet hours (their start included)."""
    quiet = business.get("reminder_quiet_hours", DEFAULT_QUIET)
    if not quiet:
        return False
    start, end = time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
    local = moment.astimezone(ZoneInfo(business["timezone"])).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def quiet_ends(business: Mapping[str, Any], moment: datetime) -> datetime:
    """The first instant after `moment` (in quiet hours) at which the clock reaches their end.

    An end the clocks skip is passed when they jump; one in the hour they repeat is reached
    twice, so from the second time through that hour it is the second time it reads the end.
    """
    quiet = business.get("reminder_quiet_hours") or DEFAULT_QUIET
    tz = ZoneInfo(business["timezone"])
    end = time.fromisoformat(quiet["end"])
    day = moment.astimezone(tz).date()
    for _ in range(3):
        first = clock_reaches(tz, day, end.hour * 60 + end.minute)
        # fold=1 is the repeated reading; of a skipped wall time, an instant before `first`.
        again = datetime.combine(day, end, tzinfo=tz).replace(fold=1).astimezone(UTC)
        for candidate in (first, again):
            if candidate > moment:
                return candidate
        day += timedelta(days=1)
    return moment


def due_at(business: Mapping[str, Any], starts_at: datetime, offset_minutes: int) -> datetime:
    """When a reminder `offset_minutes` real minutes before `starts_at` goes, quiet hours aside.

    Due in quiet hours, it moves back to one minute before they began (never after the
    appointment, never into the night).
    """
    due = starts_at.astimezone(UTC) - timedelta(minutes=offset_minutes)
    if not in_quiet_hours(business, due):
        return due
    quiet = business.get("reminder_quiet_hours") or DEFAULT_QUIET
    tz = ZoneInfo(business["timezone"])
    start = time.fromisoformat(quiet["start"])
    local = due.astimezone(tz)
    day = local.date() if local.time() >= start else local.date() - timedelta(days=1)
    # A start the clocks skip (02:30 the night they go forward) begins when they jump past it.
    return clock_reaches(tz, day, start.hour * 60 + start.minute) - QUIET_MARGIN


def _after_quiet_hours(
    business: Mapping[str, Any], starts_at: datetime, offset_minutes: int, now: datetime
) -> datetime | None:
    """When a reminder still ahead but due in quiet hours that began before `now` (so moving
    it back put it in the past) goes instead: at their end, if that is before the appointment
    (a booking made at 22:00 for 10:00 is reminded at 09:00, as a late job would be)."""
    due = starts_at.astimezone(UTC) - timedelta(minutes=offset_minutes)
    if due <= now or not in_quiet_hours(business, due):
        return None
    later = quiet_ends(business, due)
    return later if now < later < starts_at else None


def plan(
    business: Mapping[str, Any], starts_at: datetime, now: datetime
) -> list[tuple[int, datetime | None]]:
    """(offset, due time) of each reminder of an appointment at `starts_at`; None: skipped,
    because its time has passed or because an earlier offset's reminder goes within
    `SAME_MOMENT` of it (after the quiet-hours move)."""
    planned: list[tuple[int, datetime | None]] = []
    for offset in offsets(business):
        due = due_at(business, starts_at, offset)
        if due <= now:
            due = _after_quiet_hours(business, starts_at, offset, now) or due
        taken = any(abs(due - other) < SAME_MOMENT for _, other in planned if other is not None)
        planned.append((offset, due if due > now and not taken else None))
    return planned


def schedule(conn, business: Mapping[str, Any], appointment, now: datetime) -> None:
    """(Re)plan a booked appointment's reminders, in the booking's transaction.

    A move replaces each offset's row and job: one pending reminder per offset, however many
    moves run at once (the booking lock orders them; the queue's lock keeps one job).
    """
    jobs = _jobs()
    kept = set()
    for offset, due in plan(business, appointment.starts_at, now):
        kept.add(offset)
        if due is None:
            store.put(conn, appointment.id, offset, appointment.starts_at, "skipped")
            if jobs:
                jobs.drop(appointment.id, offset)
            continue
        store.put(conn, appointment.id, offset, due, "pending")
        if jobs:
            jobs.schedule(appointment.id, offset, due)
    for offset in store.pending_offsets(conn, appointment.id):
        if offset not in kept:  # planned under offsets the business no longer uses
            store.set_state(conn, appointment.id, offset, "cancelled")
            if jobs:
                jobs.drop(appointment.id, offset)


def withdraw(conn, appointment_id: int, why: str) -> None:
    """Keep the appointment's reminders already in the outbox but not yet sent from going:
    they name a time it no longer has, or an appointment it no longer is. In the change's
    transaction, after it wrote the appointment's row and before `schedule` replaces the rows.

    A reminder firing meanwhile is waited for and withdrawn; one firing after it waits for
    the change to commit and sends nothing (`store.withdraw_queued`).
    """
    store.withdraw_queued(conn, appointment_id, why)


def stop_business(conn, business_id: int) -> int:
    """Keep the business's reminders waiting in the outbox from going, in the transaction that
    turns its reminders off, before it writes the business's row; how many.

    Under the business's booking lock, taken first as by every booking change: an erasure
    cancels a customer's appointments under it one by one, so their reminders would be locked
    in another order than ours. Before the business's row: a firing reminder holds its row
    while its message takes a key-share lock on the business's, which a change of one of the
    business's keys (its WhatsApp number) in the same request would block.
    """
    booking_store.lock_business(conn, business_id)
    return store.withdraw_business_queued(conn, business_id, TURNED_OFF)


def drop(conn, appointment_id: int) -> None:
    """Cancel an appointment's pending reminders and their jobs, and keep those already queued
    from going (it was cancelled)."""
    withdraw(conn, appointment_id, "not sent: the appointment was cancelled")
    jobs = _jobs()
    for offset in store.pending_offsets(conn, appointment_id):
        store.set_state(conn, appointment_id, offset, "cancelled")
        if jobs:
            jobs.drop(appointment_id, offset)


def _jobs() -> ReminderJobs | None:
    # Without an app (scripts, the booking's own unit tests) rows are kept and no job queued.
    return current_app.extensions.get(EXTENSION) if has_app_context() else None

"""Free slots over Postgres and the calendar backend, and refusals that suggest some."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.booking import store
from app.booking.availability import (
    OUTSIDE_HOURS,
    Busy,
    list_slots,
    rules_for,
    runs_past,
    utc_window,
)
from app.booking.hours import closing_clock, wall_to_utc
from app.booking.models import (
    AVAILABLE,
    MESSAGES,
    NONE_FREE,
    SUGGEST_ALTERNATIVES,
    BookingResult,
    refusal,
    runs_past_message,
)
from app.calendars import Calendar, CalendarUnavailable, get_calendar
from app.storage.db import connection

ALTERNATIVES = 3
# How far past an empty window the next free times are looked for.
LOOK_AHEAD_DAYS = 7


def free_slots(
    business: dict,
    minutes: int,
    day_from: date,
    day_to: date,
    now: datetime,
    exclude_id: int | None = None,
    holder: int | None = None,
) -> list[datetime]:
    """`list_slots` over the bookings, unexpired holds (but `holder`'s) and calendar busy time of
    those days."""
    start, end = utc_window(business, day_from, day_to)
    buffer = timedelta(minutes=business["buffer_minutes"])
    # A last service and its buffer may run past the window's end (a day closing at 24:00):
    # what is busy then counts, as it does when the time is booked (`check`).
    end += buffer
    with connection() as conn:
        busy = store.busy(
            conn,
            business["id"],
            start,
            end,
            buffer,
            now,
            exclude_id,
            holder,
            capacity=business["max_concurrent"],
        )
    busy += get_calendar(business).busy(business, start, end)
    return list_slots(business, minutes, day_from, day_to, now, busy)


def in_window(
    business: dict,
    service: dict,
    day_from: date,
    day_to: date,
    now: datetime,
    after: time | None,
    before: time | None,
    exclude_id: int | None = None,
    holder: int | None = None,
) -> BookingResult:
    """Free starts on day_from..day_to between the local times `after` and `before` (inclusive);
    when there are none, the first few free times after the window as alternatives.
    `exclude_id`: an appointment whose seat does not count (the one being moved); `holder`: a
    customer whose hold does not count (theirs to replace)."""
    tz = rules_for(business).tz
    minutes = service["duration_minutes"]
    free = free_slots(business, minutes, day_from, day_to, now, exclude_id, holder)
    found = tuple(s for s in free if _between(s.astimezone(tz).time(), after, before))
    if found:
        return BookingResult(
            True, AVAILABLE, MESSAGES[AVAILABLE], slots=found, after=after, before=before
        )
    if before is None:
        window_end = wall_to_utc(tz, day_to + timedelta(days=1), 0)
    else:
        window_end = wall_to_utc(tz, day_to, before.hour * 60 + before.minute)
    later_to = day_to + timedelta(days=LOOK_AHEAD_DAYS)
    later = free_slots(business, minutes, day_to, later_to, now, exclude_id, holder)
    alternatives = tuple([s for s in later if s > window_end][:ALTERNATIVES])
    return BookingResult(
        True,
        NONE_FREE,
        MESSAGES[NONE_FREE],
        alternatives=alternatives,
        after=after,
        before=before,
    )


def _between(moment: time, after: time | None, before: time | None) -> bool:
    return (after is None or moment >= after) and (before is None or moment <= before)


def refuse_slot(
    reason: str,
    business: dict,
    service: dict,
    start: datetime,
    now: datetime,
    exclude_id: int | None = None,
    holder: int | None = None,
) -> BookingResult:
    """A refusal for `reason`, with nearby free slots when they help. A time within opening
    hours that the service would run past a close from says which close (`closes_at`).
    `exclude_id` and `holder` leave out what the refused change did not count (as `free_slots`).

    The slots need the calendar read again: when it can no longer be (access lost meanwhile),
    the refusal comes without them."""
    result = refusal(reason)
    if reason not in SUGGEST_ALTERNATIVES:
        return result
    tz = rules_for(business).tz
    day = start.astimezone(tz).date()
    minutes = service["duration_minutes"]
    closes = runs_past(business, minutes, start) if reason == OUTSIDE_HOURS else None
    if closes is not None:
        local = closing_clock(closes, tz)
        result = refusal(reason, runs_past_message(service["name"], minutes, local))
    try:
        slots = free_slots(business, minutes, day, day + timedelta(days=6), now, exclude_id, holder)
    except CalendarUnavailable:
        # The calendar was read for the refused time, so the refusal stands; only the
        # alternatives need this second read, and none can be offered without it.
        return BookingResult(False, reason, result.message, closes_at=closes)
    # The same day's closest first (earlier on a tie), then the following days in order.
    nearest = sorted(slots, key=lambda s: (s.astimezone(tz).date() != day, abs(s - start), s))
    picked = tuple(sorted(nearest[:ALTERNATIVES]))
    return BookingResult(False, reason, result.message, alternatives=picked, closes_at=closes)


def external_busy(calendar: Calendar, business: dict, start: datetime) -> list[Busy]:
    """Calendar busy time that could overlap a booking starting at `start`, read from the
    start of its local day: an out-of-office event earlier that day closes the whole day, as
    the free times `find_slots` lists show it."""
    # A service fits inside one local day (at most 25 hours), so two days plus the buffer
    # cover it whichever service is being booked or moved.
    tz = rules_for(business).tz
    begin = wall_to_utc(tz, start.astimezone(tz).date(), 0)
    end = start + timedelta(days=2, minutes=business["buffer_minutes"])
    return calendar.busy(business, begin, end)

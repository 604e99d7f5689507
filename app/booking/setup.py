"""What every change of an appointment's time shares: checked input, the business, the calendar.

`book`, `reschedule`, `hold` and `confirm_hold` all start with `prepare` (outside the lock) and
decide with `check` (under it), so one set of rules holds for each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.booking import slots, store, validate
from app.booking.availability import Busy, check_slot, for_staff
from app.booking.models import (
    ALREADY_THERE,
    BOOKED,
    EXISTS,
    MESSAGES,
    RESCHEDULED,
    UNKNOWN_SERVICE,
    Appointment,
    BookingResult,
    refusal,
)
from app.calendars import Calendar, CalendarUnavailable, get_calendar
from app.storage.businesses import get_business
from app.storage.db import connection

# A calendar backend that cannot be read (e.g. a revoked Google token) refuses, politely.
CALENDAR_UNAVAILABLE = "calendar_unavailable"
CALENDAR_MESSAGE = (
    "The booking calendar cannot be checked right now, so nothing was booked or changed."
    " The business has been told; please try again later or contact them directly."
)
# `prepare`'s default: the change names no service (a move or a confirmation keeps its own).
NO_SERVICE = object()


@dataclass(frozen=True)
class Setup:
    """A change's business, start (UTC), clock, calendar and the calendar's busy time near it,
    and its service when the caller named one."""

    business: dict
    start: datetime
    now: datetime
    calendar: Calendar
    external: list[Busy]
    service: dict | None = None


def prepare(
    business_id: int,
    ids: tuple[int, ...],
    starts_at: datetime,
    now: datetime | None,
    turn_id: int | None,
    no_business: BookingResult,
    service: object = NO_SERVICE,
    by_staff: bool = False,
) -> Setup | BookingResult:
    """Check the input and gather what the lock-holding part needs, or the refusal to return.

    `ids` are the caller's ids besides the business's (customer, appointment); `no_business` is
    the refusal for an unknown or inactive business; `service` (id or name), when given, must be
    one of its active services. `by_staff`: the change is made by staff, so the business's
    rules are those of `availability.for_staff` (no minimum notice) for it and its alternatives.
    """
    now = validate.utc_now(now)
    bad = (
        validate.bad_ids(business_id, *ids)
        or validate.bad_start(starts_at)
        or validate.bad_turn(turn_id)
    )
    if bad:
        return bad
    business = active_business(business_id)
    if business is None:
        return no_business
    if by_staff:
        business = for_staff(business)
    svc = None if service is NO_SERVICE else validate.service_of(business, service)
    if service is not NO_SERVICE and svc is None:
        return refusal(UNKNOWN_SERVICE)
    start = starts_at.astimezone(UTC)
    calendar, external = outside_busy(business, start)
    if calendar is None:
        # A retry of a change that was made answers as it did, not "nothing was booked".
        return _done_already(business_id, ids, svc, start) or refusal(
            CALENDAR_UNAVAILABLE, CALENDAR_MESSAGE
        )
    return Setup(business, start, now, calendar, external, svc)


def idempotency_key(customer_id: int, service_id: int, starts_at: datetime) -> str:
    """The key that makes one customer's same service at the same start a single booking."""
    return f"c{customer_id}:s{service_id}:{starts_at.astimezone(UTC).isoformat()}"


def _done_already(
    business_id: int, ids: tuple[int, ...], service: dict | None, start: datetime
) -> BookingResult | None:
    """The answer of a booking (customer, service) or move (customer, appointment) already
    made at `start`; None when it was not."""
    with connection() as conn:
        if len(ids) == 1 and service is not None:
            found = store.by_key(conn, business_id, idempotency_key(ids[0], service["id"], start))
            return found and BookingResult(True, EXISTS, MESSAGES[EXISTS], found)
        if len(ids) == 2:
            found = store.owned(conn, business_id, *ids)
            if found is not None and found.status == BOOKED and found.starts_at == start:
                return at_its_time(conn, found)
    return None


def at_its_time(conn, appointment: Appointment) -> BookingResult:
    """The answer to a move of `appointment` to the time it has: a retried move finds its
    work done and answers as the move did; otherwise nothing moved (ALREADY_THERE)."""
    done = store.last_move_to(conn, appointment.id) == appointment.starts_at
    message = MESSAGES[RESCHEDULED] if done else ALREADY_THERE
    return BookingResult(True, RESCHEDULED, message, appointment)


def check(
    conn,
    setup: Setup,
    service: dict,
    exclude_id: int | None = None,
    holder: int | None = None,
) -> str | None:
    """Why `service` cannot take `setup.start` now (None when it can); call under the lock.

    Bookings and unexpired holds count, except the appointment `exclude_id` (being moved or
    confirmed) and the holds of `holder` (the customer replacing their own).
    """
    business = setup.business
    buffer = timedelta(minutes=business["buffer_minutes"])
    end = setup.start + timedelta(minutes=service["duration_minutes"]) + buffer
    busy = store.busy(
        conn,
        business["id"],
        setup.start,
        end,
        buffer,
        setup.now,
        exclude_id,
        holder,
        capacity=business["max_concurrent"],
    )
    return check_slot(
        business, service["duration_minutes"], setup.start, setup.now, busy + setup.external
    )


def outside_busy(business: dict, start: datetime) -> tuple[Calendar | None, list[Busy]]:
    """The business's calendar and its busy time around `start`; (None, []) if unreachable.

    Asked before the booking lock, so a slow remote calendar never holds it.
    """
    try:
        calendar = get_calendar(business)
        return calendar, slots.external_busy(calendar, business, start)
    except CalendarUnavailable:
        return None, []


def active_business(business_id: int) -> dict | None:
    """The business if it exists and is active (without its reference document: no rule
    reads it, and it may be long)."""
    business = get_business(business_id, document=False)
    return business if business and business["active"] else None

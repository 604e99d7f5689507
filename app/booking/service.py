"""The booking service over PostgreSQL: the single source of truth for appointments.

Every change runs in one transaction under a per-business advisory lock: load what overlaps,
check with `availability.check_slot`, write. The calendar backend is asked for busy time before
the lock (so a slow remote calendar never holds it) and told about the change inside the same
transaction (a remote backend only queues a job there, so the job exists exactly when the change
does and runs after commit).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from app.booking import slots, store, validate
from app.booking.availability import PAST, check_slot
from app.booking.models import (
    ALREADY_CANCELLED,
    BOOKED,
    CANCELLED,
    EXISTS,
    INVALID,
    MESSAGES,
    NOT_FOUND,
    RESCHEDULED,
    UNKNOWN_SERVICE,
    Appointment,
    BookingError,
    BookingResult,
    refusal,
)
from app.calendars import Calendar, CalendarUnavailable, get_calendar
from app.storage.businesses import get_business
from app.storage.db import connection, transaction

log = logging.getLogger(__name__)
MAX_RANGE_DAYS = 31
# A calendar backend that cannot be read (e.g. a revoked Google token) refuses, politely.
CALENDAR_UNAVAILABLE = "calendar_unavailable"
CALENDAR_MESSAGE = (
    "The booking calendar cannot be checked right now, so nothing was booked or changed."
    " The business has been told; please try again later or contact them directly."
)


def idempotency_key(customer_id: int, service_id: int, starts_at: datetime) -> str:
    """The key that makes one customer's same service at the same start a single booking."""
    return f"c{customer_id}:s{service_id}:{starts_at.astimezone(UTC).isoformat()}"


def find_slots(
    business_id: int,
    service: int | str,
    day_from: date,
    day_to: date,
    now: datetime | None = None,
) -> list[datetime]:
    """Free slot starts (UTC) for a service on local dates day_from..day_to; BookingError if bad."""
    now = validate.utc_now(now)
    if not (isinstance(day_from, date) and isinstance(day_to, date)) or day_to < day_from:
        raise BookingError(INVALID, "day_from and day_to must be dates, in order")
    if (day_to - day_from).days >= MAX_RANGE_DAYS:
        raise BookingError(INVALID, f"ask for at most {MAX_RANGE_DAYS} days at a time")
    business = _business(business_id)
    if business is None:
        raise BookingError(INVALID, "unknown business")
    svc = validate.service_of(business, service)
    if svc is None:
        raise BookingError(UNKNOWN_SERVICE)
    try:
        return slots.free_slots(business, svc["duration_minutes"], day_from, day_to, now)
    except CalendarUnavailable:
        raise BookingError(CALENDAR_UNAVAILABLE, CALENDAR_MESSAGE) from None


def book(
    business_id: int,
    customer_id: int,
    service_id: int | str,
    starts_at: datetime,
    now: datetime | None = None,
    turn_id: int | None = None,
) -> BookingResult:
    """Book a service at `starts_at` for a customer, or say why not."""
    now = validate.utc_now(now)
    bad = (
        validate.bad_ids(business_id, customer_id)
        or validate.bad_start(starts_at)
        or validate.bad_turn(turn_id)
    )
    if bad:
        return bad
    business = _business(business_id)
    if business is None:
        return refusal(INVALID, "unknown business")
    service = validate.service_of(business, service_id)
    if service is None:
        return refusal(UNKNOWN_SERVICE)
    start = starts_at.astimezone(UTC)
    calendar, external = _outside_busy(business, start)
    if calendar is None:
        return refusal(CALENDAR_UNAVAILABLE, CALENDAR_MESSAGE)
    with transaction() as conn:
        store.lock_business(conn, business_id)
        if not store.customer_exists(conn, business_id, customer_id):
            return refusal(INVALID, "unknown customer")
        key = idempotency_key(customer_id, service["id"], start)
        existing = store.by_key(conn, business_id, key)
        if existing is not None:
            return BookingResult(True, EXISTS, MESSAGES[EXISTS], existing)
        reason = _check(conn, business, service, start, now, external)
        if reason is None:
            appointment = store.insert(
                conn,
                business_id=business_id,
                customer_id=customer_id,
                service=service,
                starts_at=start,
                key=key,
                turn_id=turn_id,
            )
            # Queued in this transaction: the calendar job exists exactly when the booking does.
            calendar.sync(appointment, BOOKED)
    if reason is not None:
        return slots.refuse_slot(reason, business, service, start, now)
    return BookingResult(True, BOOKED, MESSAGES[BOOKED], appointment, created=True)


def reschedule(
    business_id: int,
    customer_id: int,
    appointment_id: int,
    new_starts_at: datetime,
    now: datetime | None = None,
    turn_id: int | None = None,
) -> BookingResult:
    """Move an appointment to a new start, keeping its id, if the new slot is accepted."""
    now = validate.utc_now(now)
    bad = (
        validate.bad_ids(business_id, customer_id, appointment_id)
        or validate.bad_start(new_starts_at)
        or validate.bad_turn(turn_id)
    )
    if bad:
        return bad
    business = _business(business_id)
    if business is None:
        return refusal(NOT_FOUND)
    start = new_starts_at.astimezone(UTC)
    calendar, external = _outside_busy(business, start)
    if calendar is None:
        return refusal(CALENDAR_UNAVAILABLE, CALENDAR_MESSAGE)
    with transaction() as conn:
        store.lock_business(conn, business_id)
        current = store.owned(conn, business_id, customer_id, appointment_id)
        if current is None:
            return refusal(NOT_FOUND)
        if current.status != BOOKED:
            return refusal(ALREADY_CANCELLED, appointment=current)
        if current.starts_at == start:
            # A retried move finds its work done: answer as the move did.
            done = store.last_move_to(conn, current.id) == start
            message = MESSAGES[RESCHEDULED] if done else "It is already at that time."
            return BookingResult(True, RESCHEDULED, message, current)
        if current.starts_at < now:
            return refusal(PAST, "That appointment has already started.", current)
        service = store.service(conn, business_id, current.service_id)
        key = idempotency_key(customer_id, service["id"], start)
        if store.by_key(conn, business_id, key) is not None:
            return refusal(INVALID, "You already have this service booked at that time.")
        # The appointment's own seat is free for its new time: it leaves the old one.
        reason = _check(conn, business, service, start, now, external, exclude_id=current.id)
        if reason is None:
            moved = store.move(
                conn, current, service["duration_minutes"], start, key, turn_id=turn_id
            )
            calendar.sync(moved, RESCHEDULED)
    if reason is not None:
        return slots.refuse_slot(reason, business, service, start, now, exclude_id=current.id)
    return BookingResult(True, RESCHEDULED, MESSAGES[RESCHEDULED], moved)


def cancel(
    business_id: int, customer_id: int, appointment_id: int, now: datetime | None = None
) -> BookingResult:
    """Cancel one of the customer's own upcoming appointments."""
    now = validate.utc_now(now)
    bad = validate.bad_ids(business_id, customer_id, appointment_id)
    if bad:
        return bad
    business = _business(business_id)
    if business is None:
        return refusal(NOT_FOUND)
    try:
        calendar = get_calendar(business)
    except CalendarUnavailable:
        calendar = None  # never connected, so no event to remove; the cancellation still counts
    with transaction() as conn:
        store.lock_business(conn, business_id)
        appointment = store.owned(conn, business_id, customer_id, appointment_id)
        if appointment is None:
            return refusal(NOT_FOUND)
        if appointment.status != BOOKED:
            return refusal(ALREADY_CANCELLED, appointment=appointment)
        if appointment.starts_at < now:
            return refusal(PAST, "That appointment has already started.", appointment)
        appointment = store.mark_cancelled(conn, appointment.id)
        if calendar is not None:
            calendar.sync(appointment, CANCELLED)
    return BookingResult(True, CANCELLED, MESSAGES[CANCELLED], appointment)


def list_for_customer(
    business_id: int, customer_id: int, include_past: bool = False, now: datetime | None = None
) -> list[Appointment]:
    """The customer's booked appointments, oldest first; past ones only when asked for."""
    now = validate.utc_now(now)
    if validate.bad_ids(business_id, customer_id):
        return []
    with connection() as conn:
        return store.for_customer(conn, business_id, customer_id, None if include_past else now)


def _check(conn, business, service, start, now, external, exclude_id=None) -> str | None:
    """Run the shared availability check against what overlaps the requested interval."""
    buffer = timedelta(minutes=business["buffer_minutes"])
    end = start + timedelta(minutes=service["duration_minutes"]) + buffer
    busy = store.busy(conn, business["id"], start, end, buffer, exclude_id) + external
    return check_slot(business, service["duration_minutes"], start, now, busy)


def _outside_busy(business: dict, start: datetime) -> tuple[Calendar | None, list]:
    """The business's calendar and its busy time around `start`; (None, []) if unreachable.

    Asked before the booking lock, so a slow remote calendar never holds it.
    """
    try:
        calendar = get_calendar(business)
        return calendar, slots.external_busy(calendar, business, start)
    except CalendarUnavailable:
        return None, []


def _business(business_id: int) -> dict | None:
    business = get_business(business_id)
    return business if business and business["active"] else None

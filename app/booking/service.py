"""The booking service over PostgreSQL: the single source of truth for appointments.

Every change runs in one transaction under a per-business advisory lock: load what overlaps
(bookings and unexpired holds), check with `availability.check_slot`, write (`setup` has the
part every change shares). The calendar backend is asked for busy time before
the lock (so a slow remote calendar never holds it) and told about the change inside the same
transaction (a remote backend only queues a job there, so the job exists exactly when the change
does and runs after commit).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time

from app.booking import reminders, slots, store, validate
from app.booking.availability import BEYOND_HORIZON, PAST, for_staff, rules_for
from app.booking.models import (
    ALREADY_CANCELLED,
    ALREADY_HAS_IT,
    BOOKED,
    CANCELLED,
    CONFIRMED,
    EXISTS,
    INVALID,
    MESSAGES,
    MOVED_SINCE,
    NOT_FOUND,
    RESCHEDULED,
    UNKNOWN_SERVICE,
    Appointment,
    BookingResult,
    refusal,
)
from app.booking.setup import (
    CALENDAR_MESSAGE,
    CALENDAR_UNAVAILABLE,
    Setup,
    active_business,
    at_its_time,
    check,
    idempotency_key,
    prepare,
)
from app.calendars import CalendarUnavailable, get_calendar
from app.storage.businesses import get_business
from app.storage.db import connection, transaction

log = logging.getLogger(__name__)
MAX_RANGE_DAYS = 31


def find_slots(
    business_id: int,
    service: int | str,
    day_from: date,
    day_to: date,
    now: datetime | None = None,
    after: time | None = None,
    before: time | None = None,
    by_staff: bool = False,
    exclude_id: int | None = None,
    holder: int | None = None,
) -> BookingResult:
    """Free starts (UTC) of a service on local dates day_from..day_to, or why none can be given.

    `after` and `before` bound the local time of day (both inclusive); `by_staff` asks for the
    times staff may book (`availability.for_staff`: no minimum notice); `exclude_id`, the
    appointment being moved, leaves its own seat out, as `reschedule` does; `holder`, the
    customer asking, leaves their own hold out (a new one replaces it, as `book` and `hold`
    count it). The result's code is `available` (with `slots`) or `none_free` (with the next
    free times as `alternatives`); a refusal for a bad query, an unknown service, a past or too
    distant window.
    """
    now = validate.utc_now(now)
    bad = _bad_query(day_from, day_to, after, before)
    if bad:
        return bad
    business = active_business(business_id)
    if business is None:
        return refusal(INVALID, "unknown business")
    if by_staff:
        business = for_staff(business)
    svc = validate.service_of(business, service)
    if svc is None:
        return refusal(UNKNOWN_SERVICE)
    rules = rules_for(business)
    if day_to < rules.today(now):
        return refusal(PAST)
    if day_from > rules.last_day(now):
        return refusal(BEYOND_HORIZON)
    try:
        return slots.in_window(
            business, svc, day_from, day_to, now, after, before, exclude_id, holder
        )
    except CalendarUnavailable:
        return refusal(CALENDAR_UNAVAILABLE, CALENDAR_MESSAGE)


def _bad_query(day_from, day_to, after, before) -> BookingResult | None:
    """An `invalid` refusal naming the first bad part of a free-slots query."""
    if not (isinstance(day_from, date) and isinstance(day_to, date)) or day_to < day_from:
        return refusal(INVALID, "day_from and day_to must be dates, in order")
    if (day_to - day_from).days >= MAX_RANGE_DAYS:
        return refusal(INVALID, f"ask for at most {MAX_RANGE_DAYS} days at a time")
    for name, value in (("after", after), ("before", before)):
        if value is not None and not isinstance(value, time):
            return refusal(INVALID, f"{name} must be a time of day")
    if after is not None and before is not None and before < after:
        return refusal(INVALID, "before must not be earlier than after")
    return None


def book(
    business_id: int,
    customer_id: int,
    service_id: int | str,
    starts_at: datetime,
    now: datetime | None = None,
    turn_id: int | None = None,
    staff_user: int | None = None,
) -> BookingResult:
    """Book a service at `starts_at` for a customer, or say why not.

    The customer's own hold does not stand in their way, and a booking replaces it.
    `staff_user` is the member of staff booking from the console (None: the bot); a staff
    booking skips the minimum notice (`availability.for_staff`).
    """
    unknown = refusal(INVALID, "unknown business")
    setup = prepare(
        business_id,
        (customer_id,),
        starts_at,
        now,
        turn_id,
        unknown,
        service_id,
        by_staff=staff_user is not None,
    )
    if isinstance(setup, BookingResult):
        return setup
    service = setup.service
    with transaction() as conn:
        store.lock_business(conn, business_id, customer_id)
        if not store.customer_exists(conn, business_id, customer_id):
            return refusal(INVALID, "unknown customer")
        key = idempotency_key(customer_id, service["id"], setup.start)
        existing = store.by_key(conn, business_id, key)
        if existing is not None:
            return BookingResult(True, EXISTS, MESSAGES[EXISTS], existing)
        reason = check(conn, setup, service, holder=customer_id)
        if reason is None:
            # `check` left the customer's hold out (`holder`): kept, it would count beside the
            # booking that takes its place.
            held = store.hold_of(conn, business_id, customer_id)
            if held is not None:
                store.delete_hold(conn, held.id)
            appointment = store.insert(
                conn,
                business_id=business_id,
                customer_id=customer_id,
                service=service,
                starts_at=setup.start,
                key=key,
                turn_id=turn_id,
                staff_user=staff_user,
            )
            # Queued in this transaction: the calendar job exists exactly when the booking does.
            setup.calendar.sync(appointment, BOOKED)
            reminders.schedule(conn, setup.business, appointment, setup.now)
    if reason is not None:
        return _refuse(reason, setup, service, holder=customer_id)
    return BookingResult(True, BOOKED, MESSAGES[BOOKED], appointment, created=True)


def reschedule(
    business_id: int,
    customer_id: int,
    appointment_id: int,
    new_starts_at: datetime,
    now: datetime | None = None,
    turn_id: int | None = None,
    by_staff: bool = False,
) -> BookingResult:
    """Move an appointment to a new start, keeping its id, if the new slot is accepted.

    The customer's own hold of this service at this time does not stand in the way of their
    move: the move takes its seat, as their booking would.
    A move `by_staff` skips the minimum notice (`availability.for_staff`).
    """
    setup = prepare(
        business_id,
        (customer_id, appointment_id),
        new_starts_at,
        now,
        turn_id,
        refusal(NOT_FOUND),
        by_staff=by_staff,
    )
    if isinstance(setup, BookingResult):
        return setup
    start = setup.start
    with transaction() as conn:
        store.lock_business(conn, business_id, customer_id)
        current = _booking_of(conn, business_id, customer_id, appointment_id)
        if isinstance(current, BookingResult):
            return current
        if current.starts_at == start:
            return at_its_time(conn, current)
        if current.starts_at < setup.now:
            return refusal(PAST, "That appointment has already started.", current)
        service = store.service(conn, business_id, current.service_id)
        key = idempotency_key(customer_id, service["id"], start)
        if store.by_key(conn, business_id, key) is not None:
            return refusal(INVALID, ALREADY_HAS_IT)
        # The appointment's own seat is free for its new time: it leaves the old one.
        reason = check(conn, setup, service, exclude_id=current.id)
        held = None if reason is None or by_staff else store.hold_of(conn, business_id, customer_id)
        if (
            held is not None
            and (held.service_id, held.starts_at) == (service["id"], start)
            and check(conn, setup, service, current.id, customer_id) is None
        ):
            # Only the customer's own hold of this very service and time stands in the way: their
            # move gives them what they held, so it takes its seat. A hold of anything else is
            # for a booking still being made, and a move by staff is not the customer choosing.
            store.delete_hold(conn, held.id)
            reason = None
        if reason is None:
            moved = store.move(
                conn, current, service["duration_minutes"], start, key, turn_id=turn_id
            )
            setup.calendar.sync(moved, RESCHEDULED)
            reminders.withdraw(conn, moved.id, "not sent: the appointment was moved")
            reminders.schedule(conn, setup.business, moved, setup.now)
    if reason is not None:
        return _refuse(reason, setup, service, exclude_id=current.id, holder=customer_id)
    return BookingResult(True, RESCHEDULED, MESSAGES[RESCHEDULED], moved)


def lock_bookings(conn, business_id: int) -> None:
    """Hold the business's booking lock for the caller's transaction: no booking change of the
    business runs meanwhile (an erasure takes it before it lists what to cancel, so no turn
    books for the customer it is erasing)."""
    store.lock_business(conn, business_id)


def follow_calendar_move(
    business_id: int,
    customer_id: int,
    appointment_id: int,
    new_starts_at: datetime,
    now: datetime | None = None,
) -> tuple[BookingResult, str | None]:
    """Move an appointment where the business moved its event in its own calendar.

    The business decided, so a time the rules would refuse (closed, full, off the step, too
    soon or too far; judged on Postgres alone, without reading the calendar again) is kept: the
    result is the move, and the overridden rule's code comes second (None when the rules allow
    it). A past time, or a cancelled or started appointment, is refused as `reschedule` would.
    """
    now = validate.utc_now(now)
    bad = validate.bad_ids(business_id, customer_id, appointment_id) or validate.bad_start(
        new_starts_at
    )
    if bad:
        return bad, None
    business = active_business(business_id)
    if business is None:
        return refusal(NOT_FOUND), None
    start = new_starts_at.astimezone(UTC)
    if start < now:
        return refusal(PAST, "That time has passed."), None
    calendar = get_calendar(business)
    with transaction() as conn:
        store.lock_business(conn, business_id, customer_id)
        current = _booking_of(conn, business_id, customer_id, appointment_id)
        if isinstance(current, BookingResult):
            return current, None
        if current.starts_at < now:
            return refusal(PAST, "That appointment has already started.", current), None
        if current.starts_at == start:
            return BookingResult(True, RESCHEDULED, MESSAGES[RESCHEDULED], current), None
        service = store.service(conn, business_id, current.service_id)
        key = idempotency_key(customer_id, service["id"], start)
        if store.by_key(conn, business_id, key) is not None:
            return refusal(INVALID, "The customer already has this service at that time."), None
        setup = Setup(business, start, now, calendar, [])
        overridden = check(conn, setup, service, exclude_id=current.id)
        moved = store.move(conn, current, service["duration_minutes"], start, key, turn_id=None)
        calendar.sync(moved, RESCHEDULED)
        reminders.withdraw(conn, moved.id, "not sent: the appointment was moved")
        reminders.schedule(conn, business, moved, now)
    return BookingResult(True, RESCHEDULED, MESSAGES[RESCHEDULED], moved), overridden


def _refuse(
    reason: str,
    setup: Setup,
    service: dict,
    exclude_id: int | None = None,
    holder: int | None = None,
) -> BookingResult:
    """The refusal, its alternatives counted as the refused change was (`check`'s arguments)."""
    return slots.refuse_slot(
        reason, setup.business, service, setup.start, setup.now, exclude_id, holder
    )


def _booking_of(conn, business_id, customer_id, appointment_id) -> Appointment | BookingResult:
    """The customer's booked appointment, or the refusal: a hold is not a booking yet."""
    appointment = store.owned(conn, business_id, customer_id, appointment_id)
    if appointment is None or appointment.status not in (BOOKED, CANCELLED):
        return refusal(NOT_FOUND)
    if appointment.status != BOOKED:
        return refusal(ALREADY_CANCELLED, appointment=appointment)
    return appointment


def cancel(
    business_id: int,
    customer_id: int,
    appointment_id: int,
    now: datetime | None = None,
    erasing: bool = False,
    starts_at: datetime | None = None,
) -> BookingResult:
    """Cancel one of the customer's own upcoming appointments. `erasing`: for the customer's
    erasure, which cancels them in a deactivated business too (its reminders must not fire
    for an erased customer should it be active again, nor its calendar keep the time).

    `starts_at` is the time the customer is cancelling (a reminder's Cancel names it): under
    the booking lock, as `confirm_attendance` checks it, an appointment moved from it meanwhile
    is refused (`moved_since`, with the appointment as it is now), so a Cancel tapped while a
    move commits never cancels the new time the customer did not see.
    """
    now = validate.utc_now(now)
    bad = validate.bad_ids(business_id, customer_id, appointment_id)
    if bad:
        return bad
    business = get_business(business_id, document=False) if erasing else None
    business = business or active_business(business_id)
    if business is None:
        return refusal(NOT_FOUND)
    try:
        calendar = get_calendar(business)
    except CalendarUnavailable:
        calendar = None  # never connected, so no event to remove; the cancellation still counts
    with transaction() as conn:
        store.lock_business(conn, business_id, customer_id)
        appointment = _booking_of(conn, business_id, customer_id, appointment_id)
        if isinstance(appointment, BookingResult):
            return appointment
        if appointment.starts_at < now:
            return refusal(PAST, "That appointment has already started.", appointment)
        if starts_at is not None and appointment.starts_at != starts_at:
            return refusal(MOVED_SINCE, appointment=appointment)
        appointment = store.mark_cancelled(conn, appointment.id)
        if calendar is not None:
            calendar.sync(appointment, CANCELLED)
        reminders.drop(conn, appointment.id)
    return BookingResult(True, CANCELLED, MESSAGES[CANCELLED], appointment)


def confirm_attendance(
    business_id: int,
    customer_id: int,
    appointment_id: int,
    now: datetime | None = None,
    starts_at: datetime | None = None,
) -> BookingResult:
    """Mark one of the customer's upcoming appointments confirmed (they will come).

    `starts_at` is the time the customer is confirming: under the booking lock, an appointment
    moved from it meanwhile is refused (`moved_since`, with the appointment as it is now), so a
    confirmation is never counted for a time the customer did not see.
    """
    now = validate.utc_now(now)
    bad = validate.bad_ids(business_id, customer_id, appointment_id)
    if bad:
        return bad
    with transaction() as conn:
        store.lock_business(conn, business_id, customer_id)
        appointment = _booking_of(conn, business_id, customer_id, appointment_id)
        if isinstance(appointment, BookingResult):
            return appointment
        if appointment.starts_at < now:
            return refusal(PAST, "That appointment has already started.", appointment)
        if starts_at is not None and appointment.starts_at != starts_at:
            return refusal(MOVED_SINCE, appointment=appointment)
        store.confirm_attendance(conn, appointment.id)
    return BookingResult(True, CONFIRMED, MESSAGES[CONFIRMED], appointment)


def list_for_customer(
    business_id: int, customer_id: int, include_past: bool = False, now: datetime | None = None
) -> list[Appointment]:
    """The customer's booked appointments, oldest first; past ones only when asked for."""
    now = validate.utc_now(now)
    if validate.bad_ids(business_id, customer_id):
        return []
    with connection() as conn:
        return store.for_customer(conn, business_id, customer_id, None if include_past else now)

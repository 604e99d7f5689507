"""Holds: a tapped time kept for one customer while they confirm it.

A hold takes a seat like a booking until `hold_expires_at`; every capacity check compares that
with its own clock, so an expired hold stops counting with no clean-up job. A customer has at
most one hold (a new one replaces the old, a booking replaces it too). Confirming turns the
hold's row into the booking under the same lock and rules, re-checking the time: after expiry it
may have gone, and the customer is offered others. Holds are never sent to a remote calendar;
the booking they become is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, has_app_context

from app.booking import reminders, slots, store, validate
from app.booking.availability import FULL
from app.booking.models import (
    BOOKED,
    EXISTS,
    HELD,
    INVALID,
    MESSAGES,
    NOT_FOUND,
    RELEASED,
    TAKEN,
    Appointment,
    BookingResult,
    refusal,
)
from app.booking.service import idempotency_key
from app.booking.setup import Setup, active_business, check, prepare
from app.storage.db import connection, transaction

DEFAULT_HOLD_SECONDS = 300
NO_HOLD = "There is no held time to confirm; please pick a time again."


def hold(
    business_id: int,
    customer_id: int,
    service: int | str,
    starts_at: datetime,
    now: datetime | None = None,
    turn_id: int | None = None,
    seconds: int | None = None,
) -> BookingResult:
    """Hold `starts_at` for the customer (`held`), or say why not (`taken`, with alternatives).

    The hold lasts `seconds` (SLOT_HOLD_SECONDS by default); holding the same time again
    renews it.
    """
    unknown = refusal(INVALID, "unknown business")
    setup = prepare(business_id, (customer_id,), starts_at, now, turn_id, unknown, service)
    if isinstance(setup, BookingResult):
        return setup
    svc = setup.service
    expires = setup.now + timedelta(seconds=hold_seconds(seconds))
    with transaction() as conn:
        store.lock_business(conn, business_id, customer_id)
        if not store.customer_exists(conn, business_id, customer_id):
            return refusal(INVALID, "unknown customer")
        key = idempotency_key(customer_id, svc["id"], setup.start)
        existing = store.by_key(conn, business_id, key)
        if existing is not None:
            return BookingResult(True, EXISTS, MESSAGES[EXISTS], existing)
        # The customer's own hold never stands in the way of the one replacing it.
        reason = check(conn, setup, svc, holder=customer_id)
        if reason is None:
            held = _replace_hold(conn, setup, customer_id, svc, key, turn_id, expires)
    if reason is not None:
        return _refuse(reason, setup, svc, holder=customer_id)
    return BookingResult(True, HELD, MESSAGES[HELD], held, created=True)


def _replace_hold(conn, setup: Setup, customer_id, svc, key, turn_id, expires) -> Appointment:
    """Renew the customer's hold of this very time, or put a new hold in place of theirs."""
    business_id = setup.business["id"]
    current = store.hold_of(conn, business_id, customer_id)
    if current and (current.starts_at, current.service_id) == (setup.start, svc["id"]):
        store.extend_hold(conn, current.id, expires, turn_id)
        return store.get(conn, current.id)
    if current is not None:
        store.delete_hold(conn, current.id)
    return store.insert(
        conn,
        business_id=business_id,
        customer_id=customer_id,
        service=svc,
        starts_at=setup.start,
        key=key,
        turn_id=turn_id,
        hold_expires_at=expires,
    )


def confirm_hold(
    business_id: int,
    customer_id: int,
    hold_id: int | None = None,
    now: datetime | None = None,
    turn_id: int | None = None,
) -> BookingResult:
    """Book the customer's held time (`hold_id`, or their current hold), keeping its id.

    Re-checked under the booking lock like any booking: an expired hold is booked if its time
    is still free; otherwise the hold is let go and the result is `taken` with other times.
    A confirm repeated after it succeeded answers `exists`.
    """
    bad = validate.bad_ids(business_id, customer_id) or (
        validate.bad_ids(hold_id) if hold_id is not None else None
    )
    if bad:
        return bad
    if active_business(business_id) is None:
        return refusal(NOT_FOUND)
    with connection() as conn:
        # Its start, for the calendar's busy time (asked before the lock, as for a booking).
        found = _hold(conn, business_id, customer_id, hold_id)
    if isinstance(found, BookingResult):
        return found
    setup = prepare(business_id, (customer_id,), found.starts_at, now, turn_id, refusal(NOT_FOUND))
    if isinstance(setup, BookingResult):
        return setup
    with transaction() as conn:
        store.lock_business(conn, business_id, customer_id)
        current = _hold(conn, business_id, customer_id, found.id)
        if isinstance(current, BookingResult):
            return current
        service = store.service(conn, business_id, current.service_id)
        key = idempotency_key(customer_id, service["id"], current.starts_at)
        existing = store.by_key(conn, business_id, key)
        if existing is not None:
            store.delete_hold(conn, current.id)
            return BookingResult(True, EXISTS, MESSAGES[EXISTS], existing)
        # Its own seat does not count against it, expired or not.
        reason = check(conn, setup, service, exclude_id=current.id)
        if reason is None:
            booked = store.confirm(conn, current, key, turn_id)
            # Only real bookings reach the calendar; queued in this transaction, as in `book`.
            setup.calendar.sync(booked, BOOKED)
            reminders.schedule(conn, setup.business, booked, setup.now)
        else:
            store.delete_hold(conn, current.id)
    if reason is not None:
        return _refuse(reason, setup, service)
    return BookingResult(True, BOOKED, MESSAGES[BOOKED], booked, created=True)


def release_hold(business_id: int, customer_id: int, hold_id: int | None = None) -> BookingResult:
    """Let the customer's hold go (`released`), freeing its seat at once."""
    bad = validate.bad_ids(business_id, customer_id) or (
        validate.bad_ids(hold_id) if hold_id is not None else None
    )
    if bad:
        return bad
    with transaction() as conn:
        store.lock_business(conn, business_id, customer_id)
        current = _hold(conn, business_id, customer_id, hold_id)
        if isinstance(current, BookingResult):
            return current
        store.delete_hold(conn, current.id)
    return BookingResult(True, RELEASED, MESSAGES[RELEASED], current)


def held(business_id: int, customer_id: int, hold_id: int) -> Appointment | None:
    """The customer's hold `hold_id` while it is one (expired or not: confirming checks the
    seat again), else None (booked, let go or replaced since)."""
    if validate.bad_ids(business_id, customer_id, hold_id):
        return None
    with connection() as conn:
        current = store.hold_of(conn, business_id, customer_id)
    return current if current is not None and current.id == hold_id else None


def hold_seconds(seconds: int | None = None) -> int:
    """How long a hold lasts: `seconds`, else SLOT_HOLD_SECONDS, else 300."""
    if seconds is None and has_app_context():
        seconds = current_app.config.get("SLOT_HOLD_SECONDS")
    return DEFAULT_HOLD_SECONDS if seconds is None else int(seconds)


def _hold(conn, business_id, customer_id, hold_id) -> Appointment | BookingResult:
    """The customer's hold (the one with `hold_id` when given), or the answer when there is none.

    A hold already confirmed is answered `exists`, so a repeated Confirm is harmless.
    """
    current = store.hold_of(conn, business_id, customer_id)
    if current is not None and hold_id in (None, current.id):
        return current
    if hold_id is not None:
        done = store.owned(conn, business_id, customer_id, hold_id)
        if done is not None and done.status == BOOKED:
            return BookingResult(True, EXISTS, MESSAGES[EXISTS], done)
    return refusal(NOT_FOUND, NO_HOLD)


def _refuse(reason: str, setup: Setup, service: dict, holder: int | None = None) -> BookingResult:
    """A refusal with nearby free times (leaving `holder`'s hold out, as the check did); a full
    time is `taken` (someone else got there first)."""
    code = TAKEN if reason == FULL else reason
    return slots.refuse_slot(code, setup.business, service, setup.start, setup.now, None, holder)

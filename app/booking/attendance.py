"""Attendance: whether the customer of a booked appointment came."""

from __future__ import annotations

from datetime import datetime

from app.booking import store, validate
from app.booking.models import (
    ALREADY_CANCELLED,
    BOOKED,
    CANCELLED,
    MESSAGES,
    NO_SHOW,
    NOT_FOUND,
    NOT_STARTED,
    BookingResult,
    refusal,
)
from app.storage.db import transaction


def mark_no_show(
    business_id: int, customer_id: int, appointment_id: int, now: datetime | None = None
) -> BookingResult:
    """Record that the customer did not come to a booked appointment that has started.

    Under the booking lock, like every change of an appointment: one cancelled or moved
    meanwhile is refused (`already_cancelled`, `not_started`) as it would be afterwards.
    """
    now = validate.utc_now(now)
    bad = validate.bad_ids(business_id, customer_id, appointment_id)
    if bad:
        return bad
    with transaction() as conn:
        # The lock every booking change takes: a move or cancel of this appointment in
        # progress ends first, and the appointment is read as it left it (a mark read before
        # a move would land on the new, not yet started, time).
        store.lock_business(conn, business_id, customer_id)
        appointment = store.owned(conn, business_id, customer_id, appointment_id)
        if appointment is None or appointment.status not in (BOOKED, CANCELLED, NO_SHOW):
            return refusal(NOT_FOUND)
        if appointment.status == NO_SHOW:
            return BookingResult(True, NO_SHOW, MESSAGES[NO_SHOW], appointment)
        if appointment.status == CANCELLED:
            return refusal(ALREADY_CANCELLED, appointment=appointment)
        if appointment.starts_at > now:
            return refusal(NOT_STARTED, appointment=appointment)
        appointment = store.mark_no_show(conn, appointment.id)
    return BookingResult(True, NO_SHOW, MESSAGES[NO_SHOW], appointment)

"""Availability and booking rules over Postgres: the single source of truth for appointments."""

from app.booking.holds import confirm_hold, hold, release_hold
from app.booking.models import Appointment, BookingResult
from app.booking.service import (
    book,
    cancel,
    find_slots,
    idempotency_key,
    list_for_customer,
    lock_bookings,
    reschedule,
)

__all__ = [
    "Appointment",
    "BookingResult",
    "book",
    "cancel",
    "confirm_hold",
    "find_slots",
    "hold",
    "idempotency_key",
    "list_for_customer",
    "lock_bookings",
    "release_hold",
    "reschedule",
]

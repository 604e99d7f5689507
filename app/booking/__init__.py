"""Availability and booking rules over Postgres: the single source of truth for appointments."""

from app.booking.models import Appointment, BookingError, BookingResult
from app.booking.service import (
    book,
    cancel,
    find_slots,
    idempotency_key,
    list_for_customer,
    reschedule,
)

__all__ = [
    "Appointment",
    "BookingError",
    "BookingResult",
    "book",
    "cancel",
    "find_slots",
    "idempotency_key",
    "list_for_customer",
    "reschedule",
]

"""The booking service's reads and writes as `Appointment`s (the SQL is in storage.bookings)."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from app.booking.availability import Busy
from app.booking.models import Appointment
from app.storage import bookings
from app.storage.bookings import (
    confirm_attendance,
    customer_exists,
    delete_hold,
    extend_hold,
    last_move_to,
    lock_business,
    service,
)

__all__ = [
    "busy",
    "by_key",
    "confirm",
    "confirm_attendance",
    "customer_exists",
    "delete_hold",
    "extend_hold",
    "for_customer",
    "get",
    "hold_of",
    "insert",
    "last_move_to",
    "lock_business",
    "mark_cancelled",
    "mark_no_show",
    "move",
    "owned",
    "service",
]


def owned(
    conn: psycopg.Connection, business_id: int, customer_id: int, appointment_id: int
) -> Appointment | None:
    """The appointment if it belongs to this customer of this business, else None."""
    return _appointment(bookings.owned(conn, business_id, customer_id, appointment_id))


def by_key(conn: psycopg.Connection, business_id: int, key: str) -> Appointment | None:
    """The booked appointment with this idempotency key, if any."""
    return _appointment(bookings.by_key(conn, business_id, key))


def busy(
    conn: psycopg.Connection,
    business_id: int,
    start: datetime,
    end: datetime,
    buffer: timedelta,
    now: datetime,
    exclude_id: int | None = None,
    holder: int | None = None,
    *,
    capacity: int,
) -> list[Busy]:
    """Bookings and unexpired holds (but `holder`'s), stretched by the buffer, in [start, end);
    and blocked times, each weighing the whole `capacity` (nobody can be booked there)."""
    rows = bookings.occupying(conn, business_id, start - buffer, end, now, exclude_id, holder)
    blocks = bookings.blocked(conn, business_id, start, end)
    return [(r["starts_at"], r["ends_at"] + buffer, 1) for r in rows] + [
        (r["starts_at"], r["ends_at"], capacity) for r in blocks
    ]


def insert(
    conn: psycopg.Connection,
    *,
    business_id: int,
    customer_id: int,
    service: dict,
    starts_at: datetime,
    key: str,
    turn_id: int | None,
    hold_expires_at: datetime | None = None,
    staff_user: int | None = None,
) -> Appointment:
    """Insert a booked appointment (a hold, when given an expiry) and return it."""
    appointment_id = bookings.insert(
        conn,
        business_id=business_id,
        customer_id=customer_id,
        service_id=service["id"],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=service["duration_minutes"]),
        key=key,
        turn_id=turn_id,
        hold_expires_at=hold_expires_at,
        staff_user=staff_user,
    )
    return get(conn, appointment_id)


def hold_of(conn: psycopg.Connection, business_id: int, customer_id: int) -> Appointment | None:
    """The customer's hold (expired or not), if any."""
    return _appointment(bookings.hold_of(conn, business_id, customer_id))


def confirm(
    conn: psycopg.Connection, hold: Appointment, key: str, turn_id: int | None
) -> Appointment:
    """Turn a hold into a booking (same row, same id) and return it."""
    bookings.confirm_hold(conn, hold.id, key, turn_id)
    return get(conn, hold.id)


def move(
    conn: psycopg.Connection,
    appointment: Appointment,
    minutes: int,
    starts_at: datetime,
    key: str,
    turn_id: int | None,
) -> Appointment:
    """Move a booked appointment (same row, same id) to `starts_at` and record the move."""
    was = (appointment.starts_at, appointment.ends_at)
    to = (starts_at, starts_at + timedelta(minutes=minutes))
    bookings.move(conn, appointment.id, was, to, key, turn_id)
    return get(conn, appointment.id)


def get(conn: psycopg.Connection, appointment_id: int) -> Appointment:
    """An appointment by id (it must exist)."""
    return Appointment.from_row(bookings.get(conn, appointment_id))


def mark_cancelled(conn: psycopg.Connection, appointment_id: int) -> Appointment:
    """Cancel a booked appointment and return it."""
    bookings.mark_cancelled(conn, appointment_id)
    return get(conn, appointment_id)


def mark_no_show(conn: psycopg.Connection, appointment_id: int) -> Appointment:
    """Mark a booked appointment as a no-show and return it."""
    bookings.mark_no_show(conn, appointment_id)
    return get(conn, appointment_id)


def for_customer(
    conn: psycopg.Connection, business_id: int, customer_id: int, ending_after: datetime | None
) -> list[Appointment]:
    """Booked appointments of a customer, oldest first, optionally only those not yet over."""
    rows = bookings.for_customer(conn, business_id, customer_id, ending_after)
    return [Appointment.from_row(r) for r in rows]


def _appointment(row: dict | None) -> Appointment | None:
    return Appointment.from_row(row) if row else None

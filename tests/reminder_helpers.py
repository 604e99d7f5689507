"""Helpers for reminder tests: a business open every day in a given timezone, bookings made at
a chosen instant, and reads of reminder rows and their queued jobs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.booking import service as booking
from app.storage import db
from tests.fixtures_booking import make_business, service_id

EVERY_DAY = {
    day: {"open": "08:00", "close": "20:00", "breaks": []}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def open_business(timezone: str = "Europe/Madrid", **overrides) -> int:
    """A business open 08:00–20:00 every day, no notice needed, a year ahead bookable."""
    fields = {
        "timezone": timezone,
        "opening_hours": EVERY_DAY,
        "min_notice_minutes": 0,
        "horizon_days": 365,
    }
    return make_business(**(fields | overrides))


def customer(business_id: int, hours_since_last_message: float | None = 1, **extra) -> dict:
    """A WhatsApp customer "Kim" whose last message came that many hours ago."""
    return db.fetch_one(
        "INSERT INTO customers (business_id, channel, address, profile_name, last_inbound_at)"
        " VALUES (%s, %s, %s, 'Kim', now() - %s * interval '1 hour') RETURNING *",
        (
            business_id,
            extra.get("channel", "whatsapp"),
            extra.get("address", "34" + uuid.uuid4().hex[:9]),
            hours_since_last_message,
        ),
    )


def local(timezone: str, text: str) -> datetime:
    """The UTC instant of wall time "YYYY-MM-DD HH:MM" in `timezone`."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def book(app, business_id: int, customer_id: int, start: datetime, now: datetime) -> int:
    """Book a haircut at `start` as if at `now`; the appointment's id."""
    with app.app_context():
        result = booking.book(
            business_id, customer_id, service_id(business_id, "Haircut"), start, now=now
        )
    assert result.ok, result
    return result.appointment.id


def reminder_rows(appointment_id: int) -> dict[int, dict]:
    """The appointment's reminder rows by offset."""
    rows = db.fetch_all(
        "SELECT offset_minutes, due_at, state, message_id FROM appointment_reminders"
        " WHERE appointment_id = %s",
        (appointment_id,),
    )
    return {r["offset_minutes"]: r for r in rows}


def waiting_jobs(appointment_id: int) -> dict[int, list[datetime]]:
    """Scheduled times of the reminder jobs waiting for the appointment, by offset."""
    rows = db.fetch_all(
        "SELECT (args->>'offset_minutes')::int AS offset_minutes, scheduled_at"
        " FROM procrastinate_jobs WHERE task_name = 'send_reminder' AND status = 'todo'"
        " AND (args->>'appointment_id')::bigint = %s ORDER BY id",
        (appointment_id,),
    )
    found: dict[int, list[datetime]] = {}
    for r in rows:
        found.setdefault(r["offset_minutes"], []).append(r["scheduled_at"])
    return found


def reminder_messages(customer_id: int) -> list[dict]:
    """The customer's reminder messages in the outbox, oldest first."""
    return db.fetch_all(
        "SELECT id, body, payload, status, sent_as, send_error, expires_at FROM messages"
        " WHERE customer_id = %s AND purpose = 'reminder' ORDER BY id",
        (customer_id,),
    )

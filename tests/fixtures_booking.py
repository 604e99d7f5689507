"""Helpers for booking tests: a salon in Madrid, its customers and a fixed clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.storage.businesses import create_business
from app.storage.db import fetch_all, fetch_one

MADRID = ZoneInfo("Europe/Madrid")
# Monday 2026-06-01 08:00 in Madrid; every booking test runs at this instant.
NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
WEEKDAY = {"open": "09:00", "close": "18:00", "breaks": [["13:00", "14:00"]]}
HOURS = {day: WEEKDAY for day in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": {"open": "10:00", "close": "14:00", "breaks": []},
    "sun": None,
}
SERVICES = [
    {"name": "Haircut", "duration_minutes": 30},
    {"name": "Beard trim", "duration_minutes": 15},
    {"name": "Hair coloring", "duration_minutes": 90},
]


def make_business(**overrides) -> int:
    """Create a salon (capacity 2, 15-minute step, 60-minute notice) and return its id."""
    fields = {
        "name": "Test Salon",
        "whatsapp_number_id": uuid.uuid4().hex,
        "timezone": "Europe/Madrid",
        "opening_hours": HOURS,
        "max_concurrent": 2,
        "slot_step_minutes": 15,
        "buffer_minutes": 0,
        "min_notice_minutes": 60,
        "horizon_days": 60,
    } | overrides
    return create_business(fields, SERVICES)


def make_customer(business_id: int) -> int:
    """Create a customer of the business and return its id."""
    row = fetch_one(
        "INSERT INTO customers (business_id, address) VALUES (%s, %s) RETURNING id",
        (business_id, uuid.uuid4().hex[:12]),
    )
    return row["id"]


def service_id(business_id: int, name: str) -> int:
    """The id of the business's service called `name`."""
    row = fetch_one(
        "SELECT id FROM services WHERE business_id = %s AND name = %s", (business_id, name)
    )
    return row["id"]


def madrid(text: str) -> datetime:
    """The UTC instant of Madrid wall time "YYYY-MM-DD HH:MM"."""
    return datetime.fromisoformat(text).replace(tzinfo=MADRID).astimezone(UTC)


def appointments(business_id: int) -> list[dict]:
    """Every appointment row of the business, oldest id first."""
    return fetch_all(
        "SELECT id, customer_id, service_id, starts_at, ends_at, status, rescheduled_from"
        " FROM appointments WHERE business_id = %s ORDER BY id",
        (business_id,),
    )


def booked(business_id: int) -> list[dict]:
    """The booked (not cancelled) appointment rows of the business."""
    return [row for row in appointments(business_id) if row["status"] == "booked"]

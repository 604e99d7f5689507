"""What the front desk writes and reads: customers booked by staff, their request keys,
blocked times, one appointment's history."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.storage.db import connection, fetch_all, fetch_one

# Customers staff book without a messaging address (a walk-in who left no phone number).
WALK_IN = "walk_in"


def staff_customer(conn, business_id: int, channel: str, address: str | None, name: str) -> int:
    """The id of the customer `address` on `channel` (created when new; a walk-in without an
    address is always new); an empty profile name takes `name`."""
    row = conn.execute(
        "INSERT INTO customers (business_id, channel, address, profile_name)"
        " VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (business_id, channel, address) DO UPDATE SET profile_name ="
        "   CASE WHEN customers.profile_name = '' THEN EXCLUDED.profile_name"
        "        ELSE customers.profile_name END"
        " RETURNING id",
        (business_id, channel, address or f"walk-in-{uuid.uuid4().hex}", name),
    ).fetchone()
    return row["id"]


def claim_request(conn, business_id: int, key: str, fingerprint: str) -> dict | None:
    """Claim the business's request key `key` for this request: None when it is now ours, else
    the earlier request's row (`fingerprint`, `appointment_id`). A request with the same key
    still running is waited for (its claim is a row of the primary key); if it fails, the
    claim is ours."""
    claimed = conn.execute(
        "INSERT INTO appointment_requests (business_id, key, fingerprint) VALUES (%s, %s, %s)"
        " ON CONFLICT (business_id, key) DO NOTHING RETURNING key",
        (business_id, key, fingerprint),
    ).fetchone()
    if claimed is not None:
        return None
    return conn.execute(
        "SELECT fingerprint, appointment_id FROM appointment_requests"
        " WHERE business_id = %s AND key = %s",
        (business_id, key),
    ).fetchone()


def settle_request(conn, business_id: int, key: str, appointment_id: int) -> None:
    """Record the appointment the request with `key` booked (or found already booked)."""
    conn.execute(
        "UPDATE appointment_requests SET appointment_id = %s WHERE business_id = %s AND key = %s",
        (appointment_id, business_id, key),
    )


def forget_request_keys(before: datetime) -> int:
    """Forget the request keys of bookings made before `before` (a retry comes within seconds:
    older keys answer nothing); how many."""
    with connection() as conn:
        return conn.execute(
            "DELETE FROM appointment_requests WHERE created_at < %s", (before,)
        ).rowcount


def add_block(
    conn, business_id: int, starts_at: datetime, ends_at: datetime, reason: str, user_id: int
) -> dict:
    """Insert a blocked time and return it."""
    return conn.execute(
        "INSERT INTO blocked_times (business_id, starts_at, ends_at, reason, created_by_user)"
        " VALUES (%s, %s, %s, %s, %s)"
        " RETURNING id, starts_at, ends_at, reason, created_by_user, created_at",
        (business_id, starts_at, ends_at, reason, user_id),
    ).fetchone()


def delete_block(conn, business_id: int, block_id: int) -> dict | None:
    """Delete a blocked time of the business; the deleted row, or None when there was none."""
    return conn.execute(
        "DELETE FROM blocked_times WHERE id = %s AND business_id = %s"
        " RETURNING id, starts_at, ends_at, reason, created_by_user, created_at",
        (block_id, business_id),
    ).fetchone()


def blocks(business_id: int, start: datetime | None, end: datetime | None) -> list[dict]:
    """Blocked times of the business overlapping [start, end), soonest first."""
    return fetch_all(
        "SELECT id, starts_at, ends_at, reason, created_by_user, created_at"
        " FROM blocked_times WHERE business_id = %(b)s"
        " AND (%(end)s::timestamptz IS NULL OR starts_at < %(end)s)"
        " AND (%(start)s::timestamptz IS NULL OR ends_at > %(start)s)"
        " ORDER BY starts_at, id LIMIT 500",
        {"b": business_id, "start": start, "end": end},
    )


def booked_between(conn, business_id: int, start: datetime, end: datetime) -> int:
    """How many booked appointments of the business overlap [start, end)."""
    return conn.execute(
        "SELECT count(*) AS n FROM appointments WHERE business_id = %s AND status = 'booked'"
        " AND starts_at < %s AND ends_at > %s",
        (business_id, end, start),
    ).fetchone()["n"]


def appointment(business_id: int, appointment_id: int) -> dict | None:
    """One appointment of the business with its customer, or None."""
    return fetch_one(
        "SELECT a.id, a.starts_at, a.ends_at, a.status, a.service_id, s.name AS service_name,"
        " a.customer_id, c.profile_name AS customer_name, c.channel AS customer_channel,"
        " c.address AS customer_address, c.opted_out AS customer_opted_out,"
        " c.sandbox AS customer_sandbox, a.created_by, u.email AS created_by_email,"
        " a.calendar_sync, a.created_at, a.cancelled_at, a.no_show_at, a.confirmed_at,"
        " c.channel, a.reminders_off, c.reminders_off AS customer_reminders_off"
        " FROM appointments a JOIN services s ON s.id = a.service_id"
        " JOIN customers c ON c.id = a.customer_id"
        " LEFT JOIN users u ON u.id = a.created_by_user"
        " WHERE a.id = %s AND a.business_id = %s AND a.status <> 'held'",
        (appointment_id, business_id),
    )


def appointment_history(business_id: int, appointment_id: int) -> list[dict]:
    """The audit rows about one appointment, oldest first (who did what from the console)."""
    return fetch_all(
        "SELECT a.action, a.before, a.after, a.created_at, u.email AS user_email"
        " FROM audit_log a LEFT JOIN users u ON u.id = a.user_id"
        " WHERE a.business_id = %s AND a.entity = 'appointment' AND a.entity_id = %s"
        " ORDER BY a.id",
        (business_id, str(appointment_id)),
    )

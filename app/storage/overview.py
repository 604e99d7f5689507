"""The overview's numbers: bookings, cancellations, no-shows and conversations per period."""

from __future__ import annotations

from datetime import datetime

from app.storage.db import fetch_all, fetch_one


def bookings_by(business_id: int, start: datetime, end: datetime) -> list[dict]:
    """Bookings made in [start, end) (holds are not bookings), by channel and by who made them."""
    return fetch_all(
        "SELECT c.channel, a.created_by, count(*) AS n"
        " FROM appointments a JOIN customers c ON c.id = a.customer_id"
        " WHERE a.business_id = %s AND a.status <> 'held' AND NOT c.sandbox"
        " AND a.created_at >= %s AND a.created_at < %s"
        " GROUP BY 1, 2 ORDER BY 1, 2",
        (business_id, start, end),
    )


def outcomes(business_id: int, start: datetime, end: datetime) -> dict:
    """Cancellations made in [start, end) and no-shows of appointments starting in it."""
    return fetch_one(
        "SELECT count(*) FILTER (WHERE a.status = 'cancelled' AND a.cancelled_at >= %(s)s"
        "                        AND a.cancelled_at < %(e)s) AS cancellations,"
        " count(*) FILTER (WHERE a.status = 'no_show' AND a.starts_at >= %(s)s"
        "                  AND a.starts_at < %(e)s) AS no_shows"
        " FROM appointments a JOIN customers c ON c.id = a.customer_id"
        " WHERE a.business_id = %(b)s AND NOT c.sandbox"
        " AND (a.cancelled_at >= %(s)s OR a.starts_at >= %(s)s)",
        {"b": business_id, "s": start, "e": end},
    )


def conversations(business_id: int, start: datetime, end: datetime) -> dict:
    """Customers who wrote in [start, end), and how many of them no person answered then."""
    return fetch_one(
        "SELECT count(*) AS total, count(*) FILTER (WHERE NOT staff) AS without_staff FROM ("
        "  SELECT m.customer_id, bool_or(m.purpose = 'staff') OR bool_or(c.bot_paused) AS staff"
        "    FROM messages m JOIN customers c ON c.id = m.customer_id"
        "   WHERE m.business_id = %s AND NOT c.sandbox AND m.created_at >= %s AND m.created_at < %s"
        "   GROUP BY m.customer_id HAVING bool_or(m.direction = 'in')) per_customer",
        (business_id, start, end),
    )

"""Appointments: their calendar sync state and the chains older reschedules made."""

from __future__ import annotations

from datetime import datetime

from app.storage.db import connection, execute, fetch_all, fetch_one

# A move keeps the appointment's row, so its chain is that one row. Before migration 0009 a
# reschedule made a new row pointing at the one it replaced (`rescheduled_from`): walk back to
# the first row, then forward to the last, at most 1,000 moves each way.
_BACK = """back AS (
    SELECT id, rescheduled_from, 0 AS depth FROM appointments WHERE id = %(id)s
    UNION ALL
    SELECT a.id, a.rescheduled_from, b.depth + 1
      FROM appointments a JOIN back b ON a.id = b.rescheduled_from WHERE b.depth < 1000
)"""
CHAIN_SQL = f"""
WITH RECURSIVE {_BACK}, root AS (
    SELECT id FROM back ORDER BY depth DESC LIMIT 1
), fwd AS (
    SELECT id, 0 AS step FROM root
    UNION ALL
    SELECT a.id, f.step + 1
      FROM appointments a JOIN fwd f ON a.rescheduled_from = f.id WHERE f.step < 1000
)
SELECT a.id, a.business_id, a.starts_at, a.ends_at, a.status, a.calendar_sync,
       a.calendar_event_id, s.name AS service_name, c.profile_name AS customer_name, c.channel,
       CASE WHEN c.erased_at IS NULL THEN c.address ELSE '' END AS address
  FROM fwd JOIN appointments a ON a.id = fwd.id
  JOIN services s ON s.id = a.service_id JOIN customers c ON c.id = a.customer_id
 ORDER BY fwd.step
"""  # noqa: S608 - a constant CTE
# The first row alone (its id names the booking's event), walked back as in CHAIN_SQL.
FIRST_SQL = f"WITH RECURSIVE {_BACK} SELECT id FROM back ORDER BY depth DESC LIMIT 1"  # noqa: S608
UNSYNCED_SQL = """
SELECT id FROM appointments
 WHERE business_id = %s
   AND (calendar_sync IN ('pending', 'failed')
        OR (calendar_sync = 'none' AND status = 'booked' AND ends_at > now()
            AND created_at < now() - interval '2 minutes'))
 ORDER BY id LIMIT %s
"""


def sync_chain(appointment_id: int) -> list[dict]:
    """Every row of the appointment's booking, first to last, with service and customer."""
    return fetch_all(CHAIN_SQL, {"id": appointment_id})


def first_of_chain(appointment_id: int) -> int:
    """The id of the first row of the appointment's booking, which names its calendar event
    (the appointment's own id unless it was moved before migration 0009)."""
    row = fetch_one(FIRST_SQL, {"id": appointment_id})
    return row["id"] if row else appointment_id


def unsynced(business_id: int, limit: int) -> list[int]:
    """Ids of appointments pending, failed, or booked a while ago and never synced."""
    return [r["id"] for r in fetch_all(UNSYNCED_SQL, (business_id, limit))]


def has_failed_sync(business_id: int) -> bool:
    """Whether any of the business's appointments failed to reach its calendar."""
    row = fetch_one(
        "SELECT EXISTS (SELECT 1 FROM appointments WHERE business_id = %s"
        " AND calendar_sync = 'failed') AS failed",
        (business_id,),
    )
    return bool(row and row["failed"])


def mark_sync_pending(appointment_id: int) -> None:
    """Set the appointment's calendar sync to pending (in the caller's transaction, if any);
    its `updated_at` tells how long it has been waiting."""
    with connection() as conn:
        conn.execute(
            "UPDATE appointments SET calendar_sync = 'pending', updated_at = now() WHERE id = %s",
            (appointment_id,),
        )


def mark_synced(
    ids: list[int],
    event_id: str,
    head: dict,
    updated: datetime | None = None,
    calendar_id: str | None = None,
) -> int:
    """Mark the chain synced, unless its head (status or times) changed since it was read, or
    its business now uses another calendar than `calendar_id`, the one written (it was
    reconnected meanwhile: the booking stays pending for that calendar's write);
    `updated`: Google's time of the write (an event's last change we made ourselves)."""
    return execute(
        "UPDATE appointments SET calendar_sync = 'synced', calendar_event_id = %(eid)s,"
        " calendar_event_updated = coalesce(%(updated)s, calendar_event_updated)"
        " WHERE id = ANY(%(ids)s)"
        " AND (SELECT status = %(status)s AND starts_at = %(starts)s AND ends_at = %(ends)s"
        "      FROM appointments WHERE id = %(head)s)"
        " AND NOT EXISTS (SELECT 1 FROM appointments n WHERE n.rescheduled_from = %(head)s)"
        " AND (%(cal)s::text IS NULL OR (SELECT b.calendar_settings->>'calendar_id'"
        "      FROM businesses b WHERE b.id = appointments.business_id) = %(cal)s::text)",
        {
            "eid": event_id,
            "updated": updated,
            "ids": ids,
            "head": head["id"],
            "status": head["status"],
            "starts": head["starts_at"],
            "ends": head["ends_at"],
            "cal": calendar_id,
        },
    )


def set_sync_state(ids: list[int], state: str, only_pending: bool) -> None:
    """Set the calendar sync state of these rows (only of pending ones, if asked)."""
    execute(
        "UPDATE appointments SET calendar_sync = %s WHERE id = ANY(%s)"
        " AND (NOT %s OR calendar_sync = 'pending')",
        (state, ids, only_pending),
    )


def google_businesses() -> list[int]:
    """Ids of the active businesses whose calendar is Google's."""
    rows = fetch_all(
        "SELECT id FROM businesses WHERE calendar_backend = 'google' AND active ORDER BY id"
    )
    return [r["id"] for r in rows]


def sync_token(business_id: int, calendar_id: str) -> str | None:
    """The business's Google sync token for this calendar (None: read it all first)."""
    row = fetch_one(
        "SELECT sync_token FROM google_event_sync WHERE business_id = %s AND calendar_id = %s",
        (business_id, calendar_id),
    )
    return row["sync_token"] if row else None


def save_sync_token(business_id: int, calendar_id: str, token: str | None) -> None:
    """Remember where the next read of the business's calendar starts."""
    execute(
        "INSERT INTO google_event_sync (business_id, calendar_id, sync_token)"
        " VALUES (%(b)s, %(c)s, %(t)s) ON CONFLICT (business_id) DO UPDATE"
        " SET calendar_id = %(c)s, sync_token = %(t)s, synced_at = now()",
        {"b": business_id, "c": calendar_id, "t": token},
    )


def booked_with_event(business_id: int, event_id: str) -> int | None:
    """The business's booked appointment whose calendar event is `event_id`, if any (the rows
    of a booking moved before migration 0009 all name its event; only the last is booked)."""
    row = fetch_one(
        "SELECT id FROM appointments WHERE business_id = %s AND status = 'booked'"
        " AND calendar_event_id = %s ORDER BY id DESC LIMIT 1",
        (business_id, event_id),
    )
    return row["id"] if row else None


def for_event(conn, business_id: int, appointment_id: int) -> dict | None:
    """The business's appointment an event stands for, locked, with what a notice needs."""
    return conn.execute(
        "SELECT a.id, a.customer_id, a.status, a.starts_at, a.ends_at, a.calendar_sync,"
        " a.calendar_event_id, a.calendar_event_updated, s.name AS service_name,"
        " c.opted_out, c.channel, c.sandbox FROM appointments a"
        " JOIN services s ON s.id = a.service_id JOIN customers c ON c.id = a.customer_id"
        " WHERE a.id = %s AND a.business_id = %s FOR UPDATE OF a",
        (appointment_id, business_id),
    ).fetchone()


def customer_of(conn, business_id: int, appointment_id: int) -> int | None:
    """The customer of one of the business's appointments (None: no such appointment)."""
    row = conn.execute(
        "SELECT customer_id FROM appointments WHERE id = %s AND business_id = %s",
        (appointment_id, business_id),
    ).fetchone()
    return row["customer_id"] if row else None

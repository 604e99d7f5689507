"""Appointments: their calendar sync state and the chains older reschedules made."""

from __future__ import annotations

from app.storage.db import connection, execute, fetch_all

# A move keeps the appointment's row, so its chain is that one row. Before migration 0009 a
# reschedule made a new row pointing at the one it replaced (`rescheduled_from`): walk back to
# the first row, then forward to the last, at most 1,000 moves each way.
CHAIN_SQL = """
WITH RECURSIVE back AS (
    SELECT id, rescheduled_from, 0 AS depth FROM appointments WHERE id = %(id)s
    UNION ALL
    SELECT a.id, a.rescheduled_from, b.depth + 1
      FROM appointments a JOIN back b ON a.id = b.rescheduled_from WHERE b.depth < 1000
), root AS (
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
"""
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


def unsynced(business_id: int, limit: int) -> list[int]:
    """Ids of appointments pending, failed, or booked a while ago and never synced."""
    return [r["id"] for r in fetch_all(UNSYNCED_SQL, (business_id, limit))]


def mark_sync_pending(appointment_id: int) -> None:
    """Set the appointment's calendar sync to pending (in the caller's transaction, if any)."""
    with connection() as conn:
        conn.execute(
            "UPDATE appointments SET calendar_sync = 'pending' WHERE id = %s", (appointment_id,)
        )


def mark_synced(ids: list[int], event_id: str, head: dict) -> int:
    """Mark the chain synced, unless its head (status or times) changed since it was read."""
    return execute(
        "UPDATE appointments SET calendar_sync = 'synced', calendar_event_id = %(eid)s"
        " WHERE id = ANY(%(ids)s)"
        " AND (SELECT status = %(status)s AND starts_at = %(starts)s AND ends_at = %(ends)s"
        "      FROM appointments WHERE id = %(head)s)"
        " AND NOT EXISTS (SELECT 1 FROM appointments n WHERE n.rescheduled_from = %(head)s)",
        {
            "eid": event_id,
            "ids": ids,
            "head": head["id"],
            "status": head["status"],
            "starts": head["starts_at"],
            "ends": head["ends_at"],
        },
    )


def set_sync_state(ids: list[int], state: str, only_pending: bool) -> None:
    """Set the calendar sync state of these rows (only of pending ones, if asked)."""
    execute(
        "UPDATE appointments SET calendar_sync = %s WHERE id = ANY(%s)"
        " AND (NOT %s OR calendar_sync = 'pending')",
        (state, ids, only_pending),
    )

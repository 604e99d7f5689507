"""The `calendar_sync` job: make a booking's Google event match Postgres, retried until it does.

A rescheduled appointment is a new row pointing at the one it replaced (`rescheduled_from`), so
one booking is a chain of rows. The chain has one event, `event_id(<first row's id>)`: a move
patches it to the last row's times, a cancel of the last row deletes it. The job re-reads the
chain, so retried, duplicated, late or out-of-order jobs all converge on what Postgres says.
The Google libraries load inside the job, so importing this module (from `app.jobs`) stays cheap.
"""

from __future__ import annotations

import logging

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued

from app.calendars.base import CalendarUnavailable, event_id
from app.jobs import queue
from app.storage.db import execute, fetch_all, transaction

log = logging.getLogger(__name__)
TASK = "calendar_sync"
# Waits of 5 s + 2^n s: about 2.3 hours of retrying before the booking is marked "failed".
MAX_RETRIES = 12
REQUEUE_BATCH = 50

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
       s.name AS service_name, c.profile_name AS customer_name, c.wa_id
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


@queue.task(
    name=TASK,
    pass_context=True,
    retry=procrastinate.RetryStrategy(max_attempts=MAX_RETRIES, wait=5, exponential_wait=2),
)
def calendar_sync(context, business_id: int, appointment_id: int) -> None:
    """Write, move or delete the Google event of an appointment so it matches Postgres."""
    from app.calendars.google_client import Transient

    try:
        sync_now(appointment_id)
    except Transient as exc:
        if context.job.attempts >= MAX_RETRIES:
            _set_state([appointment_id], "failed", only_pending=True)
            _record(business_id, f"Google Calendar kept failing ({exc}); the booking is saved")
        raise


def queue_sync(business_id: int, appointment_id: int) -> None:
    """Mark an appointment pending and queue its job, in one transaction."""
    with transaction() as conn:
        conn.execute(
            "UPDATE appointments SET calendar_sync = 'pending' WHERE id = %s", (appointment_id,)
        )
        _defer(business_id, appointment_id)


def requeue_unsynced(business_id: int, limit: int = REQUEUE_BATCH) -> int:
    """Queue jobs for appointments left pending, failed or never synced; how many were queued."""
    ids = [r["id"] for r in fetch_all(UNSYNCED_SQL, (business_id, limit))]
    queued = 0
    for appointment_id in ids:
        with transaction():
            queued += _defer(business_id, appointment_id)
    return queued


def sync_now(appointment_id: int) -> str:
    """Bring the event of the appointment's chain in line with Postgres; say what happened."""
    from app.calendars import google
    from app.calendars.google_client import AccessDenied, Rejected
    from app.calendars.google_settings import clear_error, client_for
    from app.storage.businesses import get_business

    chain = fetch_all(CHAIN_SQL, {"id": appointment_id})
    if not chain:
        return "missing"  # never committed, or deleted since
    head, ids = chain[-1], [r["id"] for r in chain]
    business = get_business(head["business_id"])
    if business is None or business["calendar_backend"] != "google":
        _set_state(ids, "none", only_pending=True)
        return "skipped"
    eid = event_id(chain[0]["id"])
    try:
        client = client_for(business)
        if head["status"] == "booked":
            moved = len(chain) > 1 or head["calendar_sync"] == "synced"
            google.put_event(client, eid, google.event_body(head, business), patch_first=moved)
        else:
            google.remove_event(client, eid)
    except (AccessDenied, Rejected) as exc:
        _record(business["id"], google.access_message(exc))
        _set_state(ids, "failed", only_pending=False)
        return "failed"
    except CalendarUnavailable as exc:  # not configured, or unusable stored credentials
        _record(business["id"], str(exc))
        _set_state(ids, "failed", only_pending=False)
        return "failed"
    _mark_synced(ids, eid, head)
    clear_error(business)
    requeue_unsynced(business["id"])  # Google answers again: catch up on anything left behind
    return "synced"


def _defer(business_id: int, appointment_id: int) -> bool:
    """Queue the job unless one for this appointment is already waiting (savepoint-safe)."""
    job = calendar_sync.configure(
        lock=f"gcal:{business_id}", queueing_lock=f"gcal:appt:{appointment_id}"
    )
    try:
        with transaction():
            job.defer(business_id=business_id, appointment_id=appointment_id)
    except (AlreadyEnqueued, psycopg.errors.UniqueViolation):
        return False
    return True


def _mark_synced(ids: list[int], eid: str, head: dict) -> None:
    """Synced, unless the head changed while Google was being called (its own job follows)."""
    execute(
        "UPDATE appointments SET calendar_sync = 'synced', calendar_event_id = %(eid)s"
        " WHERE id = ANY(%(ids)s)"
        " AND (SELECT status FROM appointments WHERE id = %(head)s) = %(status)s"
        " AND NOT EXISTS (SELECT 1 FROM appointments n WHERE n.rescheduled_from = %(head)s)",
        {"eid": eid, "ids": ids, "head": head["id"], "status": head["status"]},
    )


def _set_state(ids: list[int], state: str, only_pending: bool) -> None:
    execute(
        "UPDATE appointments SET calendar_sync = %s WHERE id = ANY(%s)"
        " AND (NOT %s OR calendar_sync = 'pending')",
        (state, ids, only_pending),
    )


def _record(business_id: int, message: str) -> None:
    from app.calendars.google_settings import record_error

    record_error(business_id, message)

"""Calendar sync: make a booking's Google event match Postgres, retried until it does.

A moved appointment keeps its row and id, so its event `event_id(<id>)` is patched to the new
times; a cancel deletes it, a no-show keeps it. Bookings moved before migration 0009 are chains
of rows linked by `rescheduled_from`; such a chain has one event, `event_id(<first row's id>)`,
following its last row. `sync_now` re-reads the appointment (or chain), so retried, duplicated,
late or out-of-order jobs all converge on what Postgres says.
The `calendar_sync` job that runs it belongs to `app.jobs`; this module is handed the function
that queues one (`QueueSync`). The Google libraries load inside `sync_now`, so importing this
module stays cheap.
"""

from __future__ import annotations

import logging

from app.calendars.base import CalendarUnavailable, event_id
from app.calendars.google_state import QueueSync
from app.storage import appointments
from app.storage.db import transaction

log = logging.getLogger(__name__)
REQUEUE_BATCH = 50
# Statuses whose event stays in the calendar: a no-show still happened at its time, on the
# staff's calendar. Any other (cancelled) has its event deleted.
WRITTEN = frozenset({"booked", "no_show"})


def requeue_unsynced(business_id: int, queue: QueueSync, limit: int = REQUEUE_BATCH) -> int:
    """Queue jobs for appointments left pending, failed or never synced; how many were queued."""
    queued = 0
    for appointment_id in appointments.unsynced(business_id, limit):
        with transaction():
            queued += queue(business_id, appointment_id)
    return queued


def run_job(business_id: int, appointment_id: int, queue: QueueSync, last_try: bool) -> str:
    """One run of the sync job; Google still down on the last try marks the booking failed.

    Raises `Transient` while Google is down, so the job is retried.
    """
    from app.calendars.google_client import Transient

    try:
        return sync_now(appointment_id, queue)
    except Transient as exc:
        if last_try:
            appointments.set_sync_state([appointment_id], "failed", only_pending=True)
            _record(business_id, f"Google Calendar kept failing ({exc}); the booking is saved")
        raise


def sync_now(appointment_id: int, queue: QueueSync) -> str:
    """Bring the event of the appointment's chain in line with Postgres; say what happened."""
    from app.calendars import google
    from app.calendars.google_client import AccessDenied, Rejected
    from app.calendars.google_settings import clear_error, client_for
    from app.storage.businesses import get_business

    chain = appointments.sync_chain(appointment_id)
    if not chain:
        return "missing"  # never committed, or deleted since
    head, ids = chain[-1], [r["id"] for r in chain]
    business = get_business(head["business_id"])
    if business is None or business["calendar_backend"] != "google":
        appointments.set_sync_state(ids, "none", only_pending=True)
        return "skipped"
    eid = event_id(chain[0]["id"])
    try:
        client = client_for(business)
        if head["status"] in WRITTEN:
            # An event written before (e.g. of an appointment since moved) is patched first.
            written = head["calendar_sync"] == "synced" or head["calendar_event_id"] is not None
            moved = len(chain) > 1 or written
            written_event = google.put_event(
                client, eid, google.event_body(head, business), patch_first=moved
            )
            updated = google.event_updated(written_event)
        else:
            google.remove_event(client, eid)
            updated = None
    except (AccessDenied, Rejected) as exc:
        _record(business["id"], google.access_message(exc))
        appointments.set_sync_state(ids, "failed", only_pending=False)
        return "failed"
    except CalendarUnavailable as exc:  # not configured, or unusable stored credentials
        _record(business["id"], str(exc))
        appointments.set_sync_state(ids, "failed", only_pending=False)
        return "failed"
    # Synced, unless the head changed while Google was being called (its own job follows).
    appointments.mark_synced(ids, eid, head, updated, client.calendar_id)
    clear_error(business)
    requeue_unsynced(business["id"], queue)  # Google answers again: catch up on the rest
    return "synced"


def _record(business_id: int, message: str) -> None:
    from app.calendars.google_settings import record_error

    record_error(business_id, message)

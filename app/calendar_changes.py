"""Changes the business made to our events in its own Google Calendar, read back and applied.

Each run reads what changed in every Google-backed business's calendar since the last run
(Google's incremental sync: the token it returned last time; none yet, or one Google no longer
accepts, reads every event from a day ago on). For each event the bot wrote (`google.is_own`;
a deleted one Google lists with its id alone is ours by that id, `_appointment_of`):

- deleted in Google: the appointment is cancelled under the usual rules (its seat freed, its
  reminders dropped) and the customer gets the console's cancellation notice;
- moved in Google: the appointment moves there (same id, reminders rescheduled) and the customer
  gets the console's move notice. The business decided it in its own calendar, so a time the
  booking rules would refuse (closed, full, off the step) is kept; the log and the audit row
  name the rule it overrides. A move into the past, or of an appointment that has started, is
  not applied (audited as ignored);
- its end changed in Google (or the event made all-day), its start not: the event is written
  back as booked (an appointment's length is the bot's: the booking rules counted it).

Our own writes never come back as changes: an event is the business's change only when Google
changed it after our last write of it (`calendar_event_updated`; a deletion listed without
Google's time is the business's, as we delete only cancelled bookings' events) and our copy of the
appointment is in the calendar already (`calendar_sync` is "synced"; a change of ours still on
its way overwrites the event, as the event's description says). Everything is compared with the
appointment's current state under the booking lock, so reading an event twice, or all of them
again after a 410, changes and tells nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from app import outbox
from app.booking import service as booking
from app.booking import store as booking_store
from app.calendars import CalendarUnavailable
from app.channels import REGISTRY
from app.flow.notices import notice
from app.storage import appointments, audit, businesses
from app.storage.db import transaction

log = logging.getLogger(__name__)
# A full read covers events ending after this long ago (older ones cannot change a booking).
LOOKBACK = timedelta(days=1)
SOURCE = "google_calendar"


def read_all(now: datetime | None = None) -> dict[int, list[str]]:
    """Read back every Google-backed business's calendar; what happened per business.

    One business's calendar being away or refusing does not stop the others (it is logged and,
    when an admin must act, recorded on the business as the sync job records it).
    """
    from app.calendars.google import access_message
    from app.calendars.google_client import AccessDenied, Rejected, Transient
    from app.calendars.google_settings import record_error

    done: dict[int, list[str]] = {}
    for business_id in appointments.google_businesses():
        try:
            done[business_id] = read_business(business_id, now)
        except Transient as exc:
            log.warning("google calendar of business %s unreachable (%s)", business_id, exc)
        except (AccessDenied, Rejected) as exc:
            record_error(business_id, access_message(exc))
        except CalendarUnavailable as exc:
            record_error(business_id, str(exc))
    return done


def read_business(business_id: int, now: datetime | None = None) -> list[str]:
    """Apply what changed in one business's calendar since the last read; one word per event
    of ours read ("cancelled", "moved", "ours", ...)."""
    from app.calendars import google
    from app.calendars.google_settings import clear_error, client_for

    now = now or datetime.now(UTC)
    business = businesses.get_business(business_id, document=False)
    if business is None or business["calendar_backend"] != "google":
        return []
    client = client_for(business)
    token = appointments.sync_token(business_id, client.calendar_id)
    events, following, full = google.read_changes(client, token, now - LOOKBACK)
    outcomes = []
    for event in events:
        appointment_id = _appointment_of(business_id, event)
        if appointment_id is not None:
            outcomes.append(apply(business, appointment_id, event, now))
    # Saved after the changes are applied: a run that stops halfway reads them again next
    # time, and applying one twice does nothing the second time.
    appointments.save_sync_token(business_id, client.calendar_id, following)
    clear_error(business, read_only=True)
    # Google answers: bookings whose sync gave up during an outage are written now, even when
    # no other booking of this business is made or moved to queue them.
    from app.calendars import google_sync
    from app.calendars.google_state import state

    if state().queue_sync is not None:
        google_sync.requeue_unsynced(business_id, state().queue_sync)
    if full:
        log.info("read all of business %s's calendar again (%d events)", business_id, len(events))
    return outcomes


def _appointment_of(business_id: int, event: Mapping) -> int | None:
    """The appointment one of our events stands for. A deleted event may come back as its id
    alone (Google guarantees no more, also when the event moved to another organizer): then
    the booking is the one the sync recorded that event for in this business."""
    from app.calendars import google

    found = google.own_appointment_id(event)
    if found is None and google.is_bare_own(event):
        found = appointments.booked_with_event(business_id, event["id"])
    return found


def apply(business: Mapping[str, Any], appointment_id: int, event: Mapping, now: datetime) -> str:
    """Bring one appointment in line with the business's change to its event, telling the
    customer; what was done."""
    from app.calendars import google

    with transaction() as conn:
        # The customer's row before the booking lock, as every change that may tell them does
        # (booking_store.lock_business); an appointment's customer never changes.
        customer_id = appointments.customer_of(conn, business["id"], appointment_id)
        booking_store.lock_business(conn, business["id"], customer_id)
        found = appointments.for_event(conn, business["id"], appointment_id)
        if found is None or found["status"] != "booked":
            return "not booked"
        if found["calendar_event_id"] not in (None, event.get("id")):
            return "another event"  # an older booking's event, not this appointment's
        if found["calendar_sync"] != "synced":
            return "ours on its way"
        if _ours(found, event):
            return "ours"
        if found["starts_at"] <= now:
            _restore(business, found)
            return "started"
        if event.get("status") == "cancelled":
            return _cancel(conn, business, found, now)
        start = google.event_start(event)
        if start is not None and start != found["starts_at"]:
            return _move(conn, business, found, start, now)
        if start is None or google.event_end(event) != found["ends_at"]:
            # Only a move or a deletion is read back: a changed end (or an event made all-day)
            # is written back as booked, so the staff's calendar shows the time Postgres counts.
            _restore(business, found)
            return "restored"
        return "unchanged"


def _ours(found: Mapping[str, Any], event: Mapping) -> bool:
    """Whether the event is as our last write left it: Google changed it no later than that.

    A deletion listed without `updated` (Google guarantees only a deleted event's id) is the
    business's: we delete only the events of cancelled bookings, and this one is booked."""
    from app.calendars import google

    ours, changed = found["calendar_event_updated"], google.event_updated(event)
    if ours is None:
        return False
    if changed is None:
        return event.get("status") != "cancelled"
    return changed <= ours


def _cancel(conn, business: Mapping[str, Any], found: Mapping[str, Any], now: datetime) -> str:
    result = booking.cancel(business["id"], found["customer_id"], found["id"], now)
    if not result.ok:
        _restore(business, found)
        return result.code
    notify = _tell(conn, business, found, "cancelled", found["starts_at"], now)
    _audit(
        conn,
        business,
        found,
        "cancel",
        {"status": found["status"], "starts_at": found["starts_at"]},
        {"status": result.appointment.status, "notified": notify},
    )
    log.info("appointment %s cancelled in Google Calendar by its business", found["id"])
    return "cancelled"


def _move(
    conn, business: Mapping[str, Any], found: Mapping[str, Any], start: datetime, now: datetime
) -> str:
    before = {"starts_at": found["starts_at"]}
    result, overridden = booking.follow_calendar_move(
        business["id"], found["customer_id"], found["id"], start, now
    )
    if not result.ok:
        after = {"starts_at": start, "why": result.code}
        _audit(conn, business, found, "move_ignored", before, after)
        _restore(business, found)
        return result.code
    notify = _tell(conn, business, found, "moved", result.appointment.starts_at, now)
    after = {"starts_at": result.appointment.starts_at, "notified": notify}
    if overridden:
        # Kept: the business chose this time in its own calendar.
        after["outside_rules"] = overridden
        log.warning(
            "appointment %s moved in Google Calendar to a time the rules refuse (%s); kept",
            found["id"],
            overridden,
        )
    _audit(conn, business, found, "move", before, after)
    return "moved"


def _restore(business: Mapping[str, Any], found: Mapping[str, Any]) -> None:
    """A change not applied: queue the sync that writes the event back as Postgres has it, in
    the caller's transaction, so the staff's calendar does not show a time that is not booked."""
    from app.calendars.google_state import state

    queue = state().queue_sync
    if queue is not None:
        appointments.mark_sync_pending(found["id"])
        queue(business["id"], found["id"])


def _tell(conn, business, found, kind: str, starts_at: datetime, now: datetime) -> bool:
    """Queue the console's notice of `kind` for the customer, in the caller's transaction;
    whether they could be told (on a messaging channel and not opted out)."""
    if found["channel"] not in REGISTRY or found["opted_out"]:
        return False
    text = notice(business, kind, found["customer_id"], found["service_name"], starts_at, now)
    customer = {
        "id": found["customer_id"],
        "channel": found["channel"],
        "sandbox": found["sandbox"],
    }
    outbox.queue(conn, business, customer, [text], "notice")
    return True


def _audit(conn, business, found, action: str, before: dict, after: dict) -> None:
    audit.record(
        conn,
        user_id=None,
        business_id=business["id"],
        action=action,
        entity="appointment",
        entity_id=found["id"],
        before=before,
        after={**after, "by": SOURCE},
    )

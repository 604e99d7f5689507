"""The Google Calendar backend: busy time from the business's calendar, bookings mirrored to it.

Busy time is read with events.list (singleEvents=true, so recurring instances come expanded).
Events the bot wrote for this business are skipped (their appointments are counted from
Postgres): they carry the id from `event_id`, `extendedProperties.private.wa_booking_bot` and
the business's id there; another business's bookings in a shared calendar are busy. A revoked
token or an unshared calendar raises `CalendarAccessError` (the booking tools then answer
"calendar_unavailable"); an outage only logs, and availability falls back to Postgres alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from app.calendars.base import CalendarUnavailable, SyncAction, blocking
from app.calendars.google_client import AccessDenied, Client, Rejected, Transient
from app.calendars.google_settings import CalendarAccessError, client_for, record_error
from app.calendars.google_settings import clear_error as clear_business_error
from app.calendars.google_state import GoogleState
from app.storage import appointments
from app.storage.db import transaction

if TYPE_CHECKING:  # The booking service imports this package; keep the cycle type-only.
    from app.booking.availability import Busy
    from app.booking.models import Appointment

log = logging.getLogger(__name__)
BOT_MARK = "wa_booking_bot"
OWN_EVENT_ID = re.compile(r"^appt\d{8,}$")
LIST_FIELDS = (
    "nextPageToken,items(id,status,start,end,transparency,eventType,"
    "extendedProperties/private,attendees(self,responseStatus))"
)


class GoogleCalendar:
    """The `Calendar` port over one business's Google calendar."""

    name = "google"

    def __init__(self, business: Mapping, state: GoogleState | None):
        settings = business.get("calendar_settings") or {}
        if not settings.get("credentials") or not settings.get("calendar_id"):
            raise CalendarAccessError(
                f"google calendar is not configured for business {business.get('id')}:"
                " run setup_calendar_auth.py"
            )
        if state is None or state.queue_sync is None:
            raise CalendarUnavailable(
                "google calendar: not set up in this process (calendars.init_app with a queue)"
            )
        self.business, self.state = business, state

    def busy(self, business: Mapping, start: datetime, end: datetime) -> list[Busy]:
        """Staff events overlapping [start, end); raises CalendarAccessError if access is gone."""
        try:
            client = client_for(business, self.state)
            events = list_events(client, start, end, self.state.policy.read_attempts)
        except Transient as exc:
            # Postgres alone still prevents double-booking between the bot's own appointments.
            log.warning("google calendar of business %s unreachable (%s)", business["id"], exc)
            return []
        except (AccessDenied, Rejected) as exc:
            message = access_message(exc)
            record_error(business["id"], message)
            raise CalendarAccessError(message) from None
        clear_business_error(business, read_only=True)
        return busy_from(business, events)

    def sync(self, appointment: Appointment, action: SyncAction) -> None:
        """Mark the appointment pending and queue the retried `calendar_sync` job, together."""
        with transaction():
            appointments.mark_sync_pending(appointment.id)
            self.state.queue_sync(appointment.business_id, appointment.id)


def access_message(exc: Exception) -> str:
    """What an admin reads when Google refuses the business's credentials or calendar."""
    if isinstance(exc, Rejected) and exc.status == 404:
        return (
            "Google Calendar: the calendar was not found or is not shared with the connected"
            " account. Share it (Make changes to events) or run setup_calendar_auth.py again."
        )
    return (
        f"Google Calendar refused access ({exc}). The token may have been revoked or expired:"
        " run setup_calendar_auth.py for this business again."
    )


def list_events(client: Client, start: datetime, end: datetime, attempts: int | None = None):
    """Every event instance overlapping [start, end), following pages."""
    params = {"timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "singleEvents": True}
    events, _ = _pages(client, attempts, showDeleted=False, fields=LIST_FIELDS, **params)
    return events


def _pages(client: Client, attempts: int | None, **params) -> tuple[list[dict], str | None]:
    """Every page of an events.list, and the nextSyncToken Google sends with the last one."""
    events: list[dict] = []
    token = None
    while True:
        page = client.call(
            lambda s, t=token: s.events().list(
                calendarId=client.calendar_id, maxResults=250, pageToken=t, **params
            ),
            attempts,
        )
        events.extend(page.get("items") or [])
        token = page.get("nextPageToken")
        if not token:
            return events, page.get("nextSyncToken")


CHANGE_FIELDS = (
    "nextPageToken,nextSyncToken,items(id,status,start,end,updated,extendedProperties/private)"
)


def read_changes(
    client: Client, token: str | None, since: datetime
) -> tuple[list[dict], str | None, bool]:
    """The calendar's events changed since `token` (deleted ones included, status "cancelled"),
    the token to read from next time, and whether everything was read again.

    Without a token, or with one Google no longer accepts (410: a full sync is required),
    every event ending after `since` is read instead.
    """
    if token is not None:
        try:
            events, following = _changes(client, {"syncToken": token})
            return events, following, False
        except Rejected as exc:
            if exc.status != 410:
                raise
            log.info(
                "google sync token of %s expired: reading the calendar again", client.calendar_id
            )
    events, following = _changes(client, {"timeMin": _rfc3339(since)})
    return events, following, True


def _changes(client: Client, query: dict) -> tuple[list[dict], str | None]:
    """An events.list for sync: deleted events included, every page."""
    return _pages(client, None, showDeleted=True, fields=CHANGE_FIELDS, **query)


def own_appointment_id(event: Mapping, business_id: int | None = None) -> int | None:
    """The appointment one of the bot's events stands for (None for anyone else's event and,
    given `business_id`, for another business's)."""
    mine = is_bot_event(event) if business_id is None else is_own(event, business_id)
    if not mine:
        return None
    private = (event.get("extendedProperties") or {}).get("private") or {}
    raw = private.get("appointment_id") or ""
    return int(raw) if raw.isdigit() else None


def is_bare_own(event: Mapping) -> bool:
    """Whether an event has the id of one of the bot's but not its appointment: Google may list
    a deleted event with its id alone ("only guaranteed to have the id field populated")."""
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return bool(OWN_EVENT_ID.match(event.get("id") or "")) and "appointment_id" not in private


def event_start(event: Mapping) -> datetime | None:
    """When a timed event starts (None for an all-day one)."""
    start = (event.get("start") or {}).get("dateTime")
    return _instant(start) if start else None


def event_end(event: Mapping) -> datetime | None:
    """When a timed event ends (None for an all-day one)."""
    end = (event.get("end") or {}).get("dateTime")
    return _instant(end) if end else None


def event_updated(event: Mapping) -> datetime | None:
    """When Google last saw the event change."""
    updated = event.get("updated")
    return _instant(updated) if updated else None


def is_bot_event(event: Mapping) -> bool:
    """Whether the bot wrote this event, for whichever business."""
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return bool(OWN_EVENT_ID.match(event.get("id") or "")) or BOT_MARK in private


def is_own(event: Mapping, business_id: int | None) -> bool:
    """Whether the bot wrote this event for the business `business_id` (so Postgres already
    counts its appointment).

    Businesses may share one Google calendar: another business's bookings there are busy time
    like a staff event, since Postgres counts only this business's. Every event the bot writes
    names its business (`event_body`); a bot-looking event that names none is counted too.
    """
    private = (event.get("extendedProperties") or {}).get("private") or {}
    named = private.get("business_id")
    return is_bot_event(event) and named is not None and named == str(business_id)


def busy_from(business: Mapping, events: list[Mapping]) -> list[Busy]:
    """Busy intervals from staff events: all-day and out-of-office ones fill every seat."""
    tz = ZoneInfo(business.get("timezone") or "UTC")
    busy: list[Busy] = []
    for event in events:
        if _ignored(event, business.get("id")):
            continue
        start, end = event.get("start") or {}, event.get("end") or {}
        # All-day: whole local days, end date exclusive; even if "free", which Google makes
        # every all-day event unless told otherwise (a closed day entered the usual way).
        if "date" in start:
            day_from = date.fromisoformat(start["date"])
            day_to = date.fromisoformat(end.get("date") or start["date"])
            busy.append(blocking(business, _midnight(tz, day_from), _midnight(tz, day_to)))
            continue
        if "dateTime" not in start or "dateTime" not in end:
            continue
        begin, finish = _instant(start["dateTime"]), _instant(end["dateTime"])
        if event.get("eventType") == "outOfOffice":
            first, last = begin.astimezone(tz).date(), (finish - _TICK).astimezone(tz).date()
            busy.append(blocking(business, _midnight(tz, first), _midnight(tz, last + _DAY)))
        elif event.get("transparency") != "transparent":
            busy.append((begin, finish, 1))
    return busy


# Event types Google makes up, which say nothing of who is at work: a contact's birthday
# (listed, all-day, when events.list names no `eventTypes`) and where someone works from.
NOT_BUSY_TYPES = frozenset({"birthday", "workingLocation"})


def _ignored(event: Mapping, business_id: int | None) -> bool:
    if event.get("status") == "cancelled" or is_own(event, business_id):
        return True
    if event.get("eventType") in NOT_BUSY_TYPES:
        return True
    declined = [a for a in event.get("attendees") or () if a.get("self")]
    return bool(declined) and declined[0].get("responseStatus") == "declined"


CHANNEL_LABELS = {"whatsapp": "WhatsApp", "messenger": "Messenger"}


def event_body(row: Mapping, business: Mapping) -> dict:
    """The Google event of a booked appointment row (see storage.appointments.CHAIN_SQL)."""
    tz = business.get("timezone") or "UTC"
    service, address = row["service_name"], row["address"] or ""
    channel = row["channel"] or "whatsapp"
    label = CHANNEL_LABELS.get(channel, channel.title())
    name = row["customer_name"] or f"{label} customer"
    # WhatsApp addresses are phone numbers; other channels' are opaque ids.
    shown = f"+{address}" if address.isdigit() and channel == "whatsapp" else address
    minutes = int((row["ends_at"] - row["starts_at"]).total_seconds() // 60)
    contact = f"{label}: {shown}\n" if shown else ""  # none once the customer erased it
    description = (
        f"Service: {service} ({minutes} min)\nCustomer: {name}\n{contact}\n"
        f"Booking #{row['id']}, made through the booking assistant. Moving or deleting this"
        " event moves or cancels the booking and tells the customer; other edits made here are"
        " overwritten."
    )
    zone = ZoneInfo(tz)
    return {
        "summary": f"{service} - {name}",
        "description": description,
        "start": {"dateTime": row["starts_at"].astimezone(zone).isoformat(), "timeZone": tz},
        "end": {"dateTime": row["ends_at"].astimezone(zone).isoformat(), "timeZone": tz},
        "status": "confirmed",
        "transparency": "opaque",
        "extendedProperties": {
            "private": {
                BOT_MARK: "1",
                "appointment_id": str(row["id"]),
                "business_id": str(row["business_id"]),
                "customer_name": name,
                "customer_channel": channel,
                "customer_address": address,
                "service": service,
            }
        },
    }


def put_event(client: Client, eid: str, body: dict, patch_first: bool = False) -> dict:
    """Create or update the event `eid`; a retry never makes a second one (the id is fixed)."""
    cal = client.calendar_id

    def insert(s):
        return s.events().insert(calendarId=cal, body={**body, "id": eid}, sendUpdates="none")

    # A patch merges `start` and `end` into the event's: one made all-day in Google would keep
    # its `date` beside our `dateTime`, which Google refuses, unless the patch clears it.
    timed = {edge: {**body[edge], "date": None} for edge in ("start", "end") if edge in body}

    def patch(s):
        return s.events().patch(
            calendarId=cal, eventId=eid, body={**body, **timed}, sendUpdates="none"
        )

    first, second, means_other = (patch, insert, 404) if patch_first else (insert, patch, 409)
    try:
        return client.call(first)
    except Rejected as exc:
        if exc.status != means_other:  # 409: it exists (maybe deleted): patch restores it
            raise
    return client.call(second)


def remove_event(client: Client, eid: str) -> None:
    """Delete the event `eid`; one already gone (404, 410) is fine, a calendar gone is not."""
    cal = client.calendar_id
    try:
        client.call(lambda s: s.events().delete(calendarId=cal, eventId=eid, sendUpdates="none"))
    except Rejected as exc:
        if exc.status not in (404, 410):
            raise
        if exc.status == 404:
            # Google also answers 404 for a calendar the account can no longer reach (unshared
            # or deleted): then the event is still there for the staff, and the sync must fail.
            client.call(lambda s: s.events().list(calendarId=cal, maxResults=1, fields="kind"))


_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


def _midnight(tz: ZoneInfo, day: date) -> datetime:
    return datetime.combine(day, time()).replace(tzinfo=tz).astimezone(UTC)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

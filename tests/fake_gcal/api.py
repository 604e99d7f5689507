"""The Calendar API half of the fake: calendarList, events and freeBusy over in-memory calendars."""

from __future__ import annotations

import base64
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
REASONS = {
    400: ("invalid", "Invalid Value"),
    401: ("authError", "Invalid Credentials"),
    403: ("forbidden", "Forbidden"),
    404: ("notFound", "Not Found"),
    409: ("duplicate", "The requested identifier already exists."),
    410: ("deleted", "Resource has been deleted"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    503: ("backendError", "Service Unavailable"),
}
WRITE = {"writer", "owner"}
# events.list parameters Google refuses together with a syncToken.
SYNC_RESTRICTIONS = frozenset(
    {"iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin",
     "timeMax", "updatedMin"}
)  # fmt: skip
SYNC_GONE = "Sync token is no longer valid, a full sync is required."


def google_error(status: int, reason: str | None = None, message: str | None = None) -> dict:
    """An error body shaped like the Calendar API's."""
    default_reason, default_message = REASONS.get(status, ("error", "Error"))
    reason, message = reason or default_reason, message or default_message
    errors = [{"domain": "global", "reason": reason, "message": message}]
    return {"error": {"errors": errors, "code": status, "message": message}}


@dataclass
class Calendar:
    """One calendar: its time zone, who may use it and its events by id."""

    id: str
    summary: str
    tz: str = "Europe/Madrid"
    acl: dict[str, str] = field(default_factory=dict)
    events: dict[str, dict] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)  # event id -> its last change's number
    # Sync tokens of an earlier generation are no longer valid (410 fullSyncRequired).
    token_generation: int = 0


class CalendarApi:
    """Calendar v3 handlers; `calendars`, `_seq` and `_lock` come from the server."""

    calendars: dict[str, Calendar]
    # Set to field names: deleted events are listed with those alone, as Google may list them
    # ("Deleted events are only guaranteed to have the id field populated").
    deleted_fields: tuple[str, ...] | None = None

    def _api(self, method: str, parts: list[str], query: dict, body: Any, who: str):
        if parts == ["users", "me", "calendarList"] and method == "GET":
            items = [self._entry(c, who) for c in self.calendars.values() if who in c.acl]
            return 200, {"kind": "calendar#calendarList", "etag": '"1"', "items": items}
        if parts == ["freeBusy"] and method == "POST":
            return 200, self._freebusy(body, who)
        if len(parts) < 3 or parts[0] != "calendars" or parts[2] != "events":
            return 404, google_error(404)
        cal = self.calendars.get(parts[1])
        role = cal.acl.get(who) if cal else None
        if role is None:
            return 404, google_error(404)
        if method != "GET" and role not in WRITE:
            return 403, google_error(403, "requiredAccessLevel", "You need to have writer access")
        if len(parts) == 3:
            if method == "GET":
                return self._list(cal, query)
            if method == "POST":
                if not EVENT_ID.match(body.get("id", "x" * 5)):
                    return 400, google_error(400, "invalid", "Invalid resource id value.")
                if body.get("id") in cal.events:
                    return 409, google_error(409)
                return 200, self._store(cal, dict(body))
        event = cal.events.get(parts[3])
        if event is None:
            return 404, google_error(404)
        if method == "GET":
            return 200, event
        if method == "DELETE":
            if event["status"] == "cancelled":
                return 410, google_error(410)
            self._store(cal, {**event, "status": "cancelled"})
            return 204, None
        if method in ("PATCH", "PUT"):
            merged = _merge(event, body) if method == "PATCH" else {**body, "id": event["id"]}
            if not _valid_times(merged):
                return 400, google_error(400, "invalid", "Invalid start time.")
            return 200, self._store(cal, merged)
        return 405, google_error(400)

    def _store(self, cal: Calendar, event: dict) -> dict:
        event.setdefault("id", f"auto{next(self._seq):06d}")
        event.setdefault("status", "confirmed")
        event.setdefault("eventType", "default")
        event.setdefault("htmlLink", f"https://www.google.com/calendar/event?eid={event['id']}")
        with self._lock:
            change = next(self._seq)
            event.update(kind="calendar#event", etag=f'"{change}"', updated=_now())
            cal.events[event["id"]] = event
            cal.changed[event["id"]] = change
        return event

    def _entry(self, cal: Calendar, who: str) -> dict:
        entry = {"kind": "calendar#calendarListEntry", "id": cal.id, "summary": cal.summary}
        entry.update(timeZone=cal.tz, accessRole=cal.acl[who])
        return entry | ({"primary": True} if cal.id == who else {})

    def _list(self, cal: Calendar, query: dict) -> tuple[int, dict]:
        """events.list: a time range (a full sync when asked for deleted events too), or the
        changes since a sync token; the last page carries nextSyncToken."""
        token = query.get("syncToken")
        if token is not None:
            restricted = SYNC_RESTRICTIONS.intersection(query)
            if restricted:
                message = "Sync token cannot be used with other request restrictions."
                return 400, google_error(400, "syncTokenWithRequestRestrictions", message)
            generation, since = _sync_point(token)
            if generation != cal.token_generation:
                return 410, google_error(410, "fullSyncRequired", SYNC_GONE)
            with self._lock:
                found = [cal.events[k] for k, n in cal.changed.items() if n > since]
            found.sort(key=lambda e: cal.changed[e["id"]])
        else:
            found = self._in_range(cal, query)
        size = int(query.get("maxResults", 250))
        offset = int(query.get("pageToken", 0))
        page = {"kind": "calendar#events", "summary": cal.summary, "timeZone": cal.tz}
        page["items"] = [self._listed(e) for e in found[offset : offset + size]]
        if offset + size < len(found):
            page["nextPageToken"] = str(offset + size)
        else:
            with self._lock:
                latest = max(cal.changed.values(), default=0)
            page["nextSyncToken"] = _sync_token(cal.token_generation, latest)
        return 200, page

    def _listed(self, event: dict) -> dict:
        if event["status"] != "cancelled" or self.deleted_fields is None:
            return event
        return {k: v for k, v in event.items() if k in self.deleted_fields}

    def _in_range(self, cal: Calendar, query: dict) -> list[dict]:
        lo, hi = _instant(query.get("timeMin")), _instant(query.get("timeMax"))
        single = query.get("singleEvents") == "true"
        found = []
        for event in list(cal.events.values()):
            if event["status"] == "cancelled" and query.get("showDeleted") != "true":
                continue
            for item in _expand(event, cal.tz) if single else [event]:
                start, end = _span(item, cal.tz)
                if (lo is None or end > lo) and (hi is None or start < hi):
                    found.append(item)
        found.sort(key=lambda e: _span(e, cal.tz)[0])
        return found

    def _freebusy(self, body: dict, who: str) -> dict:
        out = {}
        query = {"timeMin": body["timeMin"], "timeMax": body["timeMax"], "singleEvents": "true"}
        for item in body.get("items", []):
            cal = self.calendars.get(item["id"])
            if cal is None or who not in cal.acl:
                out[item["id"]] = {"errors": [{"domain": "global", "reason": "notFound"}]}
                continue
            busy = [_span(e, cal.tz) for e in self._in_range(cal, query)]
            out[item["id"]] = {"busy": [{"start": _z(s), "end": _z(e)} for s, e in busy]}
        return {"kind": "calendar#freeBusy", **query, "calendars": out}


def _sync_token(generation: int, change: int) -> str:
    """An opaque token: the calendar's token generation and the last change it has seen."""
    return base64.urlsafe_b64encode(f"sync:{generation}:{change}".encode()).decode()


def _sync_point(token: str) -> tuple[int, int]:
    """(generation, change) of a token; (-1, 0) for one this fake never issued."""
    try:
        kind, generation, change = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        return (int(generation), int(change)) if kind == "sync" else (-1, 0)
    except (ValueError, UnicodeDecodeError):
        return -1, 0


def _merge(base: dict, patch: dict) -> dict:
    """Google's patch: nested objects merge, a null clears the field."""
    out = dict(base)
    for key, value in patch.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out[key], value) if both else value
    return out


def _valid_times(event: dict) -> bool:
    """Start and end each hold a date (all-day) or a dateTime, never both."""
    return all(
        ("date" in event.get(edge, {})) != ("dateTime" in event.get(edge, {}))
        for edge in ("start", "end")
    )


def _now() -> str:
    """Google's `updated`: RFC 3339 in UTC with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _span(event: dict, tz: str) -> tuple[datetime, datetime]:
    """UTC start and end; all-day dates are midnights in the calendar's time zone."""

    def point(value: dict) -> datetime:
        if "date" in value:
            midnight = datetime.min.time().replace(tzinfo=ZoneInfo(tz))
            return datetime.combine(date.fromisoformat(value["date"]), midnight)
        return _instant(value["dateTime"])

    return point(event["start"]), point(event["end"])


def _expand(event: dict, tz: str) -> list[dict]:
    """The instances of a recurring event (RRULE lines), as singleEvents=true returns them."""
    rules = [r for r in event.get("recurrence", []) if r.startswith("RRULE")]
    if not rules:
        return [event]
    start, end = _span(event, tz)
    all_day = "date" in event["start"]
    zone = ZoneInfo(event["start"].get("timeZone") or tz)
    local = start.astimezone(zone).replace(tzinfo=None) if all_day else start.astimezone(zone)
    out = []
    for when in itertools.islice(rrulestr(rules[0], dtstart=local), 500):
        item = {k: v for k, v in event.items() if k != "recurrence"}
        if all_day:
            stamp = f"{when:%Y%m%d}"
            item["start"] = {"date": f"{when:%Y-%m-%d}"}
            item["end"] = {"date": f"{when + (end - start):%Y-%m-%d}"}
        else:
            stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            item["start"] = {"dateTime": when.isoformat(), "timeZone": zone.key}
            item["end"] = {"dateTime": (when + (end - start)).isoformat(), "timeZone": zone.key}
        item.update(id=f"{event['id']}_{stamp}", recurringEventId=event["id"])
        item["originalStartTime"] = dict(item["start"])
        out.append(item)
    return out

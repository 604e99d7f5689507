"""The ids the flow puts on its buttons, list rows and quick replies, and reading them back.

A tap comes back with the id we sent (WhatsApp `list_reply.id` / `button_reply.id`, Messenger
`quick_reply.payload` / `postback.payload`), so an id carries everything its tap needs:

    slot:<service id>:<start, UTC ISO>   this time for this service (held, then confirmed)
    to:<appointment id>:<start, UTC ISO> this time for this appointment (a move list's rows)
    hold:confirm|change|cancel:<id>      the held time: book it, pick another, let it go
    appt:move|cancel:<id>                one of the customer's appointments
    rem:confirm|change|cancel:<id>       a reminder's buttons (and its template's quick replies);
    rem:confirm|cancel:<id>:<start, UTC ISO>  its Confirm and Cancel name the time they are about
                                           (older ones don't)
    svc:<service id>                     this service (for the request being made)
    more:<service id>:<date>:<HH:MM>     later free times of that day
    more:…:<HH:MM>:<appointment id>      the same, of a move's list (to move that appointment)
    menu:book|mine|prices|hours          what the flow can do
    handoff:request                      a person, please (reserved for the handoff flow)

An id is never trusted beyond its shape: the booking service checks every time, service and
appointment against the customer asking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

HANDOFF = "handoff:request"
HOLD_ACTIONS = ("confirm", "change", "cancel")
APPOINTMENT_ACTIONS = ("move", "cancel")
REMINDER_ACTIONS = ("confirm", "change", "cancel")
TIMED_REMINDER_ACTIONS = ("confirm", "cancel")  # those whose id names the time they are about
MENU = ("book", "mine", "prices", "hours")
MAX_ID = 200  # under WhatsApp's 256 and Messenger's 1,000

_PATTERNS = {
    "slot": re.compile(r"^slot:(\d{1,18}):(\d{4}-\d\d-\d\dT\d\d:\d\dZ)$"),
    "to": re.compile(r"^to:(\d{1,18}):(\d{4}-\d\d-\d\dT\d\d:\d\dZ)$"),
    "hold": re.compile(r"^hold:(confirm|change|cancel):(\d{1,18})$"),
    "appt": re.compile(r"^appt:(move|cancel):(\d{1,18})$"),
    "rem": re.compile(
        r"^rem:(confirm|change|cancel):(\d{1,18})"
        r"(?::(\d{4}-\d\d-\d\dT\d\d:\d\dZ))?$"
    ),
    "svc": re.compile(r"^svc:(\d{1,18})$"),
    "more": re.compile(r"^more:(\d{1,18}):(\d{4}-\d\d-\d\d):(\d\d:\d\d)(?::(\d{1,18}))?$"),
    "menu": re.compile(r"^menu:(book|mine|prices|hours)$"),
}


@dataclass(frozen=True)
class Tap:
    """What a tapped id asks for (only the fields its kind uses are set)."""

    kind: str  # slot, to, hold, appt, rem, svc, more, menu, handoff
    action: str = ""
    service_id: int | None = None
    appointment_id: int | None = None
    start: datetime | None = None  # UTC
    day: date | None = None
    after: time | None = None


def minute(moment: datetime) -> str:
    """A moment as ids write it: UTC, to the minute."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def slot(service_id: int, start: datetime) -> str:
    return f"slot:{service_id}:{minute(start)}"


def move_to(appointment_id: int, start: datetime) -> str:
    """A move list's row: it moves that appointment, whatever the flow remembers by then (a
    slot id tapped after the move was forgotten would book a second one)."""
    return f"to:{appointment_id}:{minute(start)}"


def is_time(option_id: str) -> bool:
    """Whether an offered id is a listed time (to book or to move to)."""
    return option_id.startswith(("slot:", "to:"))


def is_service(option_id: str) -> bool:
    """Whether an offered id is a service to choose (the flow asked which)."""
    return option_id.startswith("svc:")


def hold(action: str, appointment_id: int) -> str:
    assert action in HOLD_ACTIONS, action
    return f"hold:{action}:{appointment_id}"


def appointment(action: str, appointment_id: int) -> str:
    assert action in APPOINTMENT_ACTIONS, action
    return f"appt:{action}:{appointment_id}"


def reminder(action: str, appointment_id: int, start: datetime | None = None) -> str:
    """A reminder's button; a Confirm or Cancel given the appointment's start acts only on that
    time (a tap after the appointment moved is asked about the new one, not done to it)."""
    assert action in REMINDER_ACTIONS, action
    if action in TIMED_REMINDER_ACTIONS and start is not None:
        return f"rem:{action}:{appointment_id}:{minute(start)}"
    return f"rem:{action}:{appointment_id}"


def service(service_id: int) -> str:
    return f"svc:{service_id}"


def more(service_id: int, day: date, after: time, moving: int | None = None) -> str:
    """A list's "Later times"; a move's list names its appointment, as its rows do."""
    tail = f":{moving}" if moving else ""
    return f"more:{service_id}:{day.isoformat()}:{after:%H:%M}{tail}"


def menu(what: str) -> str:
    assert what in MENU, what
    return f"menu:{what}"


def parse(payload: str) -> Tap | None:
    """The tap an id of ours stands for; None for anything else (typed text, foreign ids)."""
    payload = (payload or "").strip()
    if payload == HANDOFF:
        return Tap("handoff")
    if len(payload) > MAX_ID:
        return None
    kind = payload.split(":", 1)[0]
    pattern = _PATTERNS.get(kind)
    m = pattern.match(payload) if pattern else None
    if m is None:
        return None
    try:
        return _tap(kind, m)
    except ValueError:  # a well-shaped id naming no real moment ("2026-02-30")
        return None


def _tap(kind: str, m: re.Match) -> Tap:
    if kind == "slot":
        start = datetime.fromisoformat(m[2]).replace(tzinfo=UTC)
        return Tap(kind, service_id=int(m[1]), start=start)
    if kind == "to":
        start = datetime.fromisoformat(m[2]).replace(tzinfo=UTC)
        return Tap(kind, appointment_id=int(m[1]), start=start)
    if kind == "rem" and m[3]:
        if m[1] not in TIMED_REMINDER_ACTIONS:
            raise ValueError("a reminder's Change names no time")
        start = datetime.fromisoformat(m[3]).replace(tzinfo=UTC)
        return Tap(kind, action=m[1], appointment_id=int(m[2]), start=start)
    if kind in ("hold", "appt", "rem"):
        return Tap(kind, action=m[1], appointment_id=int(m[2]))
    if kind == "svc":
        return Tap(kind, service_id=int(m[1]))
    if kind == "more":
        day, after = date.fromisoformat(m[2]), time.fromisoformat(m[3])
        moving = int(m[4]) if m[4] else None
        return Tap(kind, service_id=int(m[1]), appointment_id=moving, day=day, after=after)
    return Tap(kind, action=m[1])

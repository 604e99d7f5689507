"""The flow's calls to the booking service, each recorded like an agent's tool call.

A record has the shape `agent.loop` gives tool calls (name, args, result, ok, latency_ms), so
the console shows a model-free turn's actions as it shows a model's, and metrics count them.
Calls the agent also has keep the agent tool's name; the flow's own (holds) declare in `CLAIMS`
which word their success lets a reply say.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from app.booking import service as bookings
from app.booking.holds import confirm_hold, held, hold, hold_seconds, release_hold
from app.booking.models import Appointment, BookingResult
from app.flow import words

# The flow's own actions that claim something when they succeed (the agent's tools declare
# theirs in `app.agent.tools`).
CLAIMS = {"confirm_hold": "booked"}
# The flow's own actions (the others keep the agent tool's name), so metrics can tell the names
# a record may hold from a name a model made up.
OWN_ACTIONS = frozenset({"hold_time", "confirm_hold", "release_hold", "confirm_attendance"})


@dataclass
class Turn:
    """Whom the flow acts for: one business, one customer, one clock, and what it did."""

    business: dict
    customer: dict
    now: datetime
    turn_id: int | None = None
    records: list[dict] = field(default_factory=list)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.business["timezone"])

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    @property
    def ids(self) -> tuple[int, int]:
        return self.business["id"], self.customer["id"]

    def service(self, service_id: int | None) -> dict | None:
        return next((s for s in self.business["services"] if s["id"] == service_id), None)

    def record(self, name: str, args: dict, result: dict, started: float) -> None:
        self.records.append(
            {
                "name": name,
                "args": args,
                "result": result,
                "ok": bool(result.get("ok")),
                "latency_ms": round((clock.perf_counter() - started) * 1000, 2),
            }
        )


def find_slots(
    turn: Turn,
    svc: dict,
    first: date,
    last: date,
    after: time | None,
    before: time | None,
    moving: int | None = None,
) -> BookingResult:
    """Free times of `svc`; `moving`: the appointment they are for, whose own seat is free."""
    started = clock.perf_counter()
    result = bookings.find_slots(
        turn.business["id"],
        svc["id"],
        first,
        last,
        now=turn.now,
        after=after,
        before=before,
        exclude_id=moving,
        holder=turn.customer["id"],
    )
    args = {"service": svc["name"], "date": first.isoformat()}
    if last != first:
        args["until"] = last.isoformat()
    if after:
        args["after"] = f"{after:%H:%M}"
    if before:
        args["before"] = f"{before:%H:%M}"
    if moving is not None:
        args["appointment_id"] = moving
    shown = [s.astimezone(turn.tz) for s in result.slots]
    view = _view(result, turn) | {"slots": [f"{s:%Y-%m-%d %H:%M}" for s in shown]}
    turn.record("find_available_slots", args, view, started)
    return result


def book(turn: Turn, svc: dict, start: datetime) -> BookingResult:
    started = clock.perf_counter()
    result = bookings.book(*turn.ids, svc["id"], start, now=turn.now, turn_id=turn.turn_id)
    turn.record("book_appointment", _when(svc, start, turn), _view(result, turn), started)
    return result


def hold_time(turn: Turn, svc: dict, start: datetime) -> BookingResult:
    started = clock.perf_counter()
    result = hold(*turn.ids, svc["id"], start, now=turn.now, turn_id=turn.turn_id)
    turn.record("hold_time", _when(svc, start, turn), _view(result, turn), started)
    return result


def confirm(turn: Turn, hold_id: int | None) -> BookingResult:
    started = clock.perf_counter()
    result = confirm_hold(*turn.ids, hold_id, now=turn.now, turn_id=turn.turn_id)
    turn.record("confirm_hold", {"hold_id": hold_id}, _view(result, turn), started)
    return result


def release(turn: Turn, hold_id: int | None) -> BookingResult:
    started = clock.perf_counter()
    result = release_hold(*turn.ids, hold_id)
    turn.record("release_hold", {"hold_id": hold_id}, _view(result, turn), started)
    return result


def reschedule(turn: Turn, appointment: Appointment, start: datetime) -> BookingResult:
    started = clock.perf_counter()
    result = bookings.reschedule(
        *turn.ids, appointment.id, start, now=turn.now, turn_id=turn.turn_id
    )
    local = start.astimezone(turn.tz)
    args = {
        "appointment_id": appointment.id,
        "date": local.date().isoformat(),
        "time": f"{local:%H:%M}",
    }
    turn.record("reschedule_appointment", args, _view(result, turn), started)
    return result


def cancel(turn: Turn, appointment_id: int, starts_at: datetime | None = None) -> BookingResult:
    """Cancel the appointment; of `starts_at` only, when given (moved since: `moved_since`)."""
    started = clock.perf_counter()
    result = bookings.cancel(*turn.ids, appointment_id, turn.now, starts_at=starts_at)
    turn.record(
        "cancel_appointment", {"appointment_id": appointment_id}, _view(result, turn), started
    )
    return result


def confirm_attendance(turn: Turn, appointment_id: int, starts_at: datetime) -> BookingResult:
    started = clock.perf_counter()
    result = bookings.confirm_attendance(*turn.ids, appointment_id, turn.now, starts_at)
    turn.record(
        "confirm_attendance", {"appointment_id": appointment_id}, _view(result, turn), started
    )
    return result


def upcoming(turn: Turn) -> list[Appointment]:
    started = clock.perf_counter()
    items = bookings.list_for_customer(*turn.ids, now=turn.now)
    result = {"ok": True, "appointments": [_appointment(a, turn) for a in items]}
    turn.record("list_my_appointments", {}, result, started)
    return items


def held_time(turn: Turn, hold_id: int) -> Appointment | None:
    """The customer's held time `hold_id`, while it is still a hold."""
    return held(*turn.ids, hold_id)


def minutes_held() -> int:
    """How long a hold lasts, in whole minutes, as the customer is told."""
    return max(1, round(hold_seconds() / 60))


def _when(svc: dict, start: datetime, turn: Turn) -> dict:
    local = start.astimezone(turn.tz)
    return {"service": svc["name"], "date": local.date().isoformat(), "time": f"{local:%H:%M}"}


def _view(result: BookingResult, turn: Turn) -> dict:
    """A booking result as the console shows it and metrics count it (status or error)."""
    view: dict = {"ok": result.ok, "message": result.message}
    view["status" if result.ok else "error"] = result.code
    if result.appointment is not None:
        view["appointment"] = _appointment(result.appointment, turn)
    if result.alternatives:
        view["alternatives"] = [words.when(a, turn.tz, "en") for a in result.alternatives]
    return view


def _appointment(appointment: Appointment, turn: Turn) -> dict:
    return {
        "id": appointment.id,
        "service": appointment.service_name,
        "starts": words.when(appointment.starts_at, turn.tz, "en"),
        "starts_at": appointment.starts_at.isoformat(),
        "status": appointment.status,
    }

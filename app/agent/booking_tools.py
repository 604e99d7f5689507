"""Booking tools for the agent: validate the words, call the booking service, report its result."""

from __future__ import annotations

import re
from datetime import timedelta

from langchain_core.tools import StructuredTool

from app.agent import dates
from app.agent.tools import (
    ToolContext,
    _dump,
    _error,
    as_tool,
    find_service,
    fmt_local,
    resolve_start,
)
from app.booking import service as booking
from app.booking.availability import BEYOND_HORIZON, PAST
from app.booking.models import MESSAGES, BookingError

# What a reply may not claim unless the matching tool succeeded in the same turn.
CLAIMS = {
    "book_appointment": re.compile(
        r"\b(booked|confirmed|reserved|scheduled|you'?re all set|see you on)\b", re.I
    ),
    "reschedule_appointment": re.compile(r"\b(moved|rescheduled)\b", re.I),
    "cancel_appointment": re.compile(r"\b(cancelled|canceled)\b", re.I),
}
PAST_TENSE = {
    "book_appointment": "booked",
    "reschedule_appointment": "moved",
    "cancel_appointment": "cancelled",
}
# Words just before a claim word that make it a statement of what is NOT done ("not booked
# yet", "haven't cancelled it") or of a slot's state ("fully booked"), not a claim of an action.
NOT_A_CLAIM = re.compile(r"(\b(not|never|no|nothing)|n't)\s+(\w+\s+)?$|\bfully\s+$", re.I)
# Tools whose results list existing bookings, which a reply may then call "booked".
READ_BACK = frozenset({"list_my_appointments", "reschedule_appointment"})
# Free times listed at once; the rest are counted, with the words that list them.
SLOTS_LISTED = 12


def check_grounded(reply: str, records: list[dict]) -> str | None:
    """A correction for the model when its reply claims an action no tool performed, else None."""
    done = {r["name"] for r in records if r.get("ok")}
    # A cancel refused as "already cancelled" confirms that state in this turn.
    done |= {
        r["name"] for r in records if (r.get("result") or {}).get("error") == "already_cancelled"
    }
    for tool_name, pattern in CLAIMS.items():
        if tool_name in done or not _claims(pattern, reply):
            continue
        if tool_name == "book_appointment" and done & READ_BACK:
            continue  # reading back existing (or just moved) bookings says "booked"
        return (
            f"SYSTEM CHECK: your reply says an appointment was {PAST_TENSE[tool_name]}, but no "
            f"{tool_name} call succeeded in this turn. "
            "Call the tool first, or tell the customer it has not been done yet."
        )
    return None


def _claims(pattern: re.Pattern, reply: str) -> bool:
    return any(not NOT_A_CLAIM.search(reply[: m.start()]) for m in pattern.finditer(reply))


def appointment_view(appointment, ctx: ToolContext) -> dict:
    """An appointment as the model should read it back (local time, in full)."""
    return {
        "id": appointment.id,
        "service": appointment.service_name,
        "starts": fmt_local(appointment.starts_at, ctx.tz),
        "starts_at": appointment.starts_at.isoformat(),
        "status": appointment.status,
    }


def _result_json(result, ctx: ToolContext, **extra) -> str:
    if not result.ok:
        return _error(
            result.code,
            result.message,
            alternatives=[fmt_local(a, ctx.tz) for a in result.alternatives],
        )
    body = {
        "ok": True,
        "status": result.code,
        "appointment": appointment_view(result.appointment, ctx),
    }
    body.update(extra)
    return _dump(body)


def make_booking_tools(ctx: ToolContext) -> list[StructuredTool]:
    """The booking tools bound to one business, customer and turn."""
    b, c = ctx.business, ctx.customer

    def find_available_slots(service: str, date: str, after: str = "", before: str = "") -> str:
        """Find free start times for a service on a day.

        The day may be "2026-11-24", "tomorrow" or "next tuesday"; `after` and `before` are
        optional times like "17:00". At most 12 times are listed: `more` counts the rest, which
        a call with after=`next_after` lists; tell the customer they exist.
        """
        svc = find_service(b, service)
        if svc is None:
            return _unknown_service(service, b)
        day = dates.parse_date(date, ctx.today)
        if day is None:
            return _error("invalid_date", f"I could not understand the date {date!r}.")
        if day < ctx.today:
            return _error(PAST, MESSAGES[PAST])
        if (day - ctx.today).days > b["horizon_days"]:
            return _error(BEYOND_HORIZON, MESSAGES[BEYOND_HORIZON])
        lo = dates.parse_time(after) if after else None
        hi = dates.parse_time(before) if before else None
        try:
            slots = booking.find_slots(b["id"], svc["id"], day, day, now=ctx.now)
        except BookingError as exc:
            return _error(exc.code, str(exc))
        local = [s.astimezone(ctx.tz) for s in slots]
        shown = [
            s for s in local if (lo is None or s.time() >= lo) and (hi is None or s.time() <= hi)
        ]
        body = {
            "ok": True,
            "service": svc["name"],
            "date": f"{day:%A} {day.day} {day:%B %Y}",
            "slots": [f"{s:%H:%M}" for s in shown[:SLOTS_LISTED]],
        }
        if len(shown) > SLOTS_LISTED:
            body.update(_more_slots(shown, day, ctx))
        if not shown:
            later = booking.find_slots(
                b["id"], svc["id"], day, day + timedelta(days=7), now=ctx.now
            )
            later = [s for s in later if s.astimezone(ctx.tz) > (local[-1] if local else ctx.now)]
            body["next_available"] = [fmt_local(s, ctx.tz) for s in later[:3]]
        return _dump(body)

    def book_appointment(service: str, date: str, time: str) -> str:
        """Book a service for this customer on a date ("2026-11-24", "tomorrow") at a time."""
        svc = find_service(b, service)
        if svc is None:
            return _unknown_service(service, b)
        start, err = resolve_start(ctx, date, time)
        if err:
            return err
        result = booking.book(b["id"], c["id"], svc["id"], start, now=ctx.now, turn_id=ctx.turn_id)
        return _result_json(result, ctx, existing=result.ok and not result.created)

    def list_my_appointments() -> str:
        """List this customer's upcoming appointments with their ids."""
        items = booking.list_for_customer(b["id"], c["id"], now=ctx.now)
        return _dump({"ok": True, "appointments": [appointment_view(a, ctx) for a in items]})

    def reschedule_appointment(appointment_id: int, date: str, time: str) -> str:
        """Move one of this customer's appointments (by id) to a new date and time."""
        start, err = resolve_start(ctx, date, time)
        if err:
            return err
        result = booking.reschedule(
            b["id"], c["id"], int(appointment_id), start, now=ctx.now, turn_id=ctx.turn_id
        )
        return _result_json(result, ctx)

    def cancel_appointment(appointment_id: int) -> str:
        """Cancel one of this customer's appointments by its id."""
        result = booking.cancel(b["id"], c["id"], int(appointment_id), now=ctx.now)
        return _result_json(result, ctx)

    funcs = (
        find_available_slots,
        book_appointment,
        list_my_appointments,
        reschedule_appointment,
        cancel_appointment,
    )
    return [as_tool(f) for f in funcs]


def _more_slots(shown: list, day, ctx: ToolContext) -> dict:
    """How many free times were not listed, and how the customer can ask for them."""
    first = f"{shown[SLOTS_LISTED]:%H:%M}"
    return {
        "more": len(shown) - SLOTS_LISTED,
        "next_after": first,
        "last": f"{shown[-1]:%H:%M}",
        "ask_for_more": f"{dates.day_words(day, ctx.today)} after {first}",
    }


def _unknown_service(name: str, business: dict) -> str:
    offered = ", ".join(s["name"] for s in business["services"])
    return _error("unknown_service", f"We don't offer {name!r}. Services: {offered}.")

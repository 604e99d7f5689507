"""Booking tools: read the customer's words, call the booking service, report its result."""

from __future__ import annotations

from datetime import date as Date

from app.agent.tools.base import (
    ToolContext,
    dump,
    error,
    find_service,
    fmt_local,
    resolve_start,
    tool,
    unknown_service,
)
from app.agent.tools.grounding import BOOKED, CANCELLED, MOVED
from app.booking import service as bookings
from app.booking.models import ALREADY_CANCELLED, MESSAGES, NOT_FOUND, BookingResult
from app.flow import dates

# Free times listed at once; the rest are counted, with the words that list them.
SLOTS_LISTED = 12


@tool()
def find_available_slots(
    ctx: ToolContext,
    service: str,
    date: str,
    after: str = "",
    before: str = "",
    appointment_id: int = 0,
) -> str:
    """Find free start times for a service on a day.

    The day may be "2026-11-24", "tomorrow" or "next tuesday"; `after` and `before` are
    optional times like "17:00". When the times are for moving one of this customer's
    appointments, give its id as `appointment_id`: its own seat then counts as free, as it does
    when it is moved. At most 12 times are listed: `more` counts the rest, which a call with
    after=`next_after` lists; tell the customer they exist.
    """
    b = ctx.business
    svc = find_service(b, service)
    if svc is None:
        return unknown_service(service, b)
    day = dates.parse_date(date, ctx.today)
    if day is None:
        return error("invalid_date", f"I could not understand the date {date!r}.")
    moving = int(appointment_id) or None
    if moving is not None and not _owned(ctx, moving):
        return error(NOT_FOUND, MESSAGES[NOT_FOUND])
    lo = dates.parse_time(after) if after else None
    hi = dates.parse_time(before) if before else None
    if (after and lo is None) or (before and hi is None):
        # Listed anyway, the whole day would read as the times asked for.
        unread = after if after and lo is None else before
        return error("invalid_time", f"I could not understand the time {unread!r}.")
    result = bookings.find_slots(
        b["id"],
        svc["id"],
        day,
        day,
        now=ctx.now,
        after=lo,
        before=hi,
        exclude_id=moving,
        holder=ctx.customer["id"],
    )
    if not result.ok:
        return error(result.code, result.message)
    shown = [s.astimezone(ctx.tz) for s in result.slots]
    body = {
        "ok": True,
        "service": svc["name"],
        "date": f"{day:%A} {day.day} {day:%B %Y}",
        "slots": [f"{s:%H:%M}" for s in shown[:SLOTS_LISTED]],
    }
    if len(shown) > SLOTS_LISTED:
        body.update(_more_slots(shown, day, ctx))
    if not shown:
        body["next_available"] = [fmt_local(s, ctx.tz) for s in result.alternatives]
    return dump(body)


@tool(claim=BOOKED)
def book_appointment(ctx: ToolContext, service: str, date: str, time: str) -> str:
    """Book a service for this customer on a date ("2026-11-24", "tomorrow") at a time."""
    b, c = ctx.business, ctx.customer
    svc = find_service(b, service)
    if svc is None:
        return unknown_service(service, b)
    start, err = resolve_start(ctx, date, time)
    if err:
        return err
    result = bookings.book(b["id"], c["id"], svc["id"], start, now=ctx.now, turn_id=ctx.turn_id)
    return _result_json(result, ctx, existing=result.ok and not result.created)


@tool(reads_back=True)
def list_my_appointments(ctx: ToolContext) -> str:
    """List this customer's upcoming appointments with their ids."""
    items = bookings.list_for_customer(ctx.business["id"], ctx.customer["id"], now=ctx.now)
    return dump({"ok": True, "appointments": [appointment_view(a, ctx) for a in items]})


@tool(claim=MOVED, also_permits=(BOOKED, CANCELLED))
def reschedule_appointment(ctx: ToolContext, appointment_id: int, date: str, time: str) -> str:
    """Move one of this customer's appointments (by id) to a new date and time."""
    start, err = resolve_start(ctx, date, time)
    if err:
        return err
    result = bookings.reschedule(
        ctx.business["id"],
        ctx.customer["id"],
        int(appointment_id),
        start,
        now=ctx.now,
        turn_id=ctx.turn_id,
    )
    return _result_json(result, ctx)


@tool(claim=CANCELLED, confirmed_by=(ALREADY_CANCELLED,))
def cancel_appointment(ctx: ToolContext, appointment_id: int) -> str:
    """Cancel one of this customer's appointments by its id."""
    result = bookings.cancel(ctx.business["id"], ctx.customer["id"], int(appointment_id), ctx.now)
    return _result_json(result, ctx)


TOOLS = (
    find_available_slots,
    book_appointment,
    list_my_appointments,
    reschedule_appointment,
    cancel_appointment,
)


def _owned(ctx: ToolContext, appointment_id: int) -> bool:
    """Whether `appointment_id` is one of this customer's upcoming appointments."""
    items = bookings.list_for_customer(ctx.business["id"], ctx.customer["id"], now=ctx.now)
    return any(a.id == appointment_id for a in items)


def appointment_view(appointment, ctx: ToolContext) -> dict:
    """An appointment as the model should read it back (local time, in full)."""
    return {
        "id": appointment.id,
        "service": appointment.service_name,
        "starts": fmt_local(appointment.starts_at, ctx.tz),
        "starts_at": appointment.starts_at.isoformat(),
        "status": appointment.status,
    }


def _result_json(result: BookingResult, ctx: ToolContext, **extra) -> str:
    if not result.ok:
        return error(
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
    return dump(body)


def _more_slots(shown: list, day: Date, ctx: ToolContext) -> dict:
    """How many free times were not listed, and how the customer can ask for them."""
    first = f"{shown[SLOTS_LISTED]:%H:%M}"
    return {
        "more": len(shown) - SLOTS_LISTED,
        "next_after": first,
        "last": f"{shown[-1]:%H:%M}",
        "ask_for_more": f"{dates.day_words(day, ctx.today)} after {first}",
    }

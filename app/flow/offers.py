"""What the flow's replies are built from: the words for what the booking service did or
refused, times to tap, the question for a service, and what it remembers each reply offered."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.booking import service as bookings
from app.booking.hours import closing_clock
from app.booking.models import Appointment, BookingResult
from app.flow import ids, words
from app.flow.actions import Turn
from app.flow.render import Reply
from app.flow.state import Option, State

SLOTS_SHOWN = 9  # and "Later times" makes WhatsApp's 10 list rows


def done(turn: Turn, st: State, result: BookingResult, svc: dict | None) -> Reply:
    """The words for a booking, a move or a cancellation that happened, or why it did not."""
    if not result.ok:
        return refused(turn, st, result, svc)
    appointment = result.appointment
    st.appointment_id, st.moving = appointment.id, None
    text = words.done(
        st.lang,
        result.code,
        appointment.service_name,
        appointment.starts_at,
        turn.tz,
        appointment.id,
    )
    return offer(st, Reply(text, lang=st.lang))


def refused(turn: Turn, st: State, result: BookingResult, svc: dict | None) -> Reply:
    """A refusal in the customer's words, with nearby free times to tap when there are some."""
    closes = closing_clock(result.closes_at, turn.tz) if result.closes_at else None
    text = words.refusal(st.lang, result.code, result.message, svc, closes)
    if not result.alternatives or svc is None:
        return offer(st, Reply(text, lang=st.lang))
    text += "\n" + words.say(st.lang, "alternatives")
    moving = moving_for(turn, st, svc)
    options = slot_options(turn, st, svc, result.alternatives, st.day_date, moving)
    prompt = words.say(st.lang, "slots_prompt")
    return offer(st, Reply(text, options, prompt, st.lang, list_button=times_label(st)))


def ask_service(turn: Turn, st: State) -> Reply:
    items = turn.business["services"]
    if not items:
        return offer(st, Reply(words.say(st.lang, "no_services"), lang=st.lang))
    options = tuple(
        Option(
            ids.service(s["id"]),
            s["name"],
            f"{s['duration_minutes']} min, {s['price']:.2f} {s['currency']}",
        )
        for s in items  # all of them: more than a list holds go as numbered text (`render`)
    )
    reply = Reply(words.say(st.lang, "which_service"), options, lang=st.lang, details=True)
    return offer(st, reply)


def past(st: State, day: date) -> Reply:
    st.day = None
    text = words.say(st.lang, "past_day", day=words.day_long(day, st.lang))
    return offer(st, Reply(text[0].upper() + text[1:], lang=st.lang))


def slot_options(
    turn: Turn, st: State, svc: dict, starts, asked: date | None = None, moving: int | None = None
) -> tuple[Option, ...]:
    """Times to tap, in sections per day. A title is the bare time only when every time is on
    `asked`, the day the customer is talking about; otherwise it names the day too, since reply
    buttons have no section headers to carry it. `moving`: the appointment they would move
    (`moving_for`), else they book."""
    days = {s.astimezone(turn.tz).date() for s in starts}
    bare = days == {asked}
    detail = f"{svc['name']} · {svc['duration_minutes']} min"
    options = []
    for start in starts:
        local = start.astimezone(turn.tz)
        title = f"{local:%H:%M}" if bare else words.moment_short(start, turn.tz, st.lang)
        section = words.day_short(local.date(), st.lang)
        row = ids.move_to(moving, start) if moving else ids.slot(svc["id"], start)
        options.append(Option(row, title, detail, section))
    return tuple(options)


def moving_for(turn: Turn, st: State, svc: dict) -> int | None:
    """The appointment a list of `svc`'s times is for, when it is a move's list."""
    return None if st.moving is None else own_appointment(turn, st.moving, svc)


def own_appointment(turn: Turn, appointment_id: int, svc: dict) -> int | None:
    """`appointment_id` if it is one of the customer's upcoming appointments of `svc`."""
    # Read, not recorded: listing times is not the customer asking for their appointments.
    found = find(bookings.list_for_customer(*turn.ids, now=turn.now), appointment_id)
    return found.id if found is not None and found.service_id == svc["id"] else None


def offer(st: State, reply: Reply) -> Reply:
    """Remember what this reply offers: "2" or "the first one" pick from it next."""
    st.offer = list(reply.options)
    return reply


def start_at(turn: Turn, day: date | None, clock: time) -> datetime:
    """The moment of `clock` on `day`; with no day, its next occurrence from now."""
    if day is None:
        day = turn.today
        if datetime.combine(day, clock, tzinfo=turn.tz) <= turn.now:
            day += timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=turn.tz)


def only_service(turn: Turn) -> dict | None:
    items = turn.business["services"]
    return items[0] if len(items) == 1 else None


def find(items: list[Appointment], appointment_id: int | None) -> Appointment | None:
    return next((a for a in items if a.id == appointment_id), None)


def times_label(st: State) -> str:
    return "Ver horas" if st.lang == "es" else "See times"


def hhmm(value: time | None) -> str | None:
    return f"{value:%H:%M}" if value is not None else None

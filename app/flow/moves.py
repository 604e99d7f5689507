"""The customer's appointments: listing them, and moving or cancelling the one meant ("it",
"#12", the only one) or asking which."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from app.booking.models import ALREADY_THERE, EXISTS, NOT_FOUND, Appointment, BookingResult
from app.flow import actions, dates, ids, words
from app.flow.actions import Turn
from app.flow.offers import SLOTS_SHOWN, done, find, hhmm, offer, past, refused, start_at
from app.flow.render import Reply
from app.flow.state import Option, State
from app.flow.times import (
    asked_times,
    booking_request,
    hold_options,
    let_hold_go,
    rehold,
    release,
)
from app.flow.understand import Request, mentioned


def appointments(turn: Turn, st: State) -> Reply:
    """The customer's upcoming appointments; and a time they hold, not booked yet, asked about
    again (its Confirm, Change time and Cancel), so that it is not taken for booked, nor
    forgotten because the list does not show it."""
    items = actions.upcoming(turn)
    if len(items) == 1:
        st.appointment_id = items[0].id
    lines = listing(turn, st, items) if items else [words.say(st.lang, "none_booked")]
    held = actions.held_time(turn, st.hold_id) if st.hold_id else None
    if held is None:
        return offer(st, Reply("\n".join(lines), lang=st.lang))
    when = words.when(held.starts_at, turn.tz, st.lang)
    lines.append(words.say(st.lang, "still_held", service=held.service_name, when=when))
    return offer(st, Reply("\n".join(lines), hold_options(held.id, st.lang), lang=st.lang))


def listing(turn: Turn, st: State, items: list[Appointment]) -> list[str]:
    """The lines that list the customer's upcoming appointments."""
    return [words.say(st.lang, "list")] + [
        words.say(
            st.lang,
            "list_item",
            id=a.id,
            service=a.service_name,
            when=words.when(a.starts_at, turn.tz, st.lang),
        )
        for a in items
    ]


def none_named(
    turn: Turn,
    st: State,
    req: Request,
    items: list[Appointment],
    by_day: bool,
    service: dict | None = None,
) -> Reply:
    """None of the customer's appointments is the one named ("cancel my haircut" with only a
    beard trim booked, "cancel my 3pm" with one at 10:00): say so, and list what they have.
    Nothing changes."""
    shown = req.day if by_day else req.of_day  # "move Friday's to 12": Friday, not 12
    day = words.day_long(shown, st.lang) if shown else None
    at = hhmm(req.time) if by_day else None
    if day and at:
        day, at = words.say(st.lang, "day_at", day=day, time=at), None
    service = (service or req.service or {}).get("name")
    if day and by_day and req.week and req.day == turn.today:  # "cancel my appointment this week"
        key = "none_of_service_this_week" if service else "none_this_week_booked"
        text = words.say(st.lang, key, service=service)
    elif day and by_day and req.week:  # "cancel my appointment next week": none in that week
        key = "none_of_service_in_week" if service else "none_in_week"
        text = words.say(st.lang, key, service=service, day=day)
    elif service and day:
        text = words.say(st.lang, "none_of_service_on_day", service=service, day=day)
    elif service and at:
        text = words.say(st.lang, "none_of_service_at", service=service, time=at)
    elif service:
        text = words.say(st.lang, "none_of_service", service=service)
    elif day:
        text = words.say(st.lang, "none_on_day", day=day)
    else:
        text = words.say(st.lang, "none_at", time=at)
    return offer(st, Reply("\n".join([text, *listing(turn, st, items)]), lang=st.lang))


def cancel_request(turn: Turn, st: State, req: Request) -> Reply:
    """Cancel the appointment meant, or ask which. A cancel about the time held lets it go
    instead (`about_hold`); one that cancels a booked appointment, or asks which of them to
    cancel, lets it go too, as a tap on the appointment's Cancel does (`engine.on_tap`): the
    customer moved on from it, so a later "ok thanks" must not book it."""
    if about_hold(turn, st, req):  # "no, cancel that" to "Shall I book it?": the held time goes
        return release(turn, st, st.hold_id, offer_again=False)
    items = actions.upcoming(turn)
    if not items and st.hold_id:
        return release(turn, st, st.hold_id, offer_again=False)
    found = meant(turn, st, req, items, True, "cancel")
    if isinstance(found, Reply):
        return found
    # "cancel my haircut" (or "cancel my appointment", asking which) with a beard trim held:
    # moved on from it. The ones to ask among are booked, never the held time (`upcoming`).
    let_hold_go(turn, st)
    if isinstance(found, list):
        return which(turn, st, found, "cancel")
    return cancel(turn, st, found)


def meant(
    turn: Turn, st: State, req: Request, items: list[Appointment], by_day: bool, action: str
) -> Appointment | Reply | list[Appointment]:
    """The appointment a cancel, move or "can't make it" means; or the reply that says none is
    so named (or asks which of two services named); or, when it cannot tell, the appointments
    to ask among."""
    # The services named in full; a number ("#12") says which whatever the words.
    said = mentioned(turn.business["services"], req.text) if req.reference is None else []
    chosen = named(turn, items, req, said, by_day)
    if items and not chosen:
        return none_named(turn, st, req, items, by_day)
    if len(said) > 1:  # "cancel the beard trim, not the haircut": nothing acted on by guess
        booked = {a.service_id for a in items}
        missing = next((s for s in said if s["id"] not in booked), None)
        if missing is not None:
            return none_named(turn, st, req, items, by_day, service=missing)
        return which(turn, st, chosen, action)
    found = target(chosen, req, st)
    return chosen if found is None else found


def cancel(turn: Turn, st: State, appointment: Appointment) -> Reply:
    return cancelled(turn, st, actions.cancel(turn, appointment.id))


def cancelled(turn: Turn, st: State, result: BookingResult) -> Reply:
    """What the customer is told of a cancellation's `result`: done, or why not."""
    if result.ok:
        st.appointment_id = st.moving = None
        cancelled = result.appointment
        text = words.done(
            st.lang, result.code, cancelled.service_name, cancelled.starts_at, turn.tz, cancelled.id
        )
        return offer(st, Reply(text, lang=st.lang))
    return refused(turn, st, result, None)


def move_request(turn: Turn, st: State, req: Request) -> Reply:
    """Move the appointment meant to the time asked for, or ask which one or to when. A move
    about the time held gives it a new time or lists its day again; one that moves a booked
    appointment, or asks which of them to move, lets it go, as a tap on the appointment's Move
    does (`engine.on_tap`): the customer moved on from it, so a later "ok thanks" must not book
    it."""
    if _holding(st, req) and req.reference is None:
        return rehold(turn, st, st.hold_id, req)  # the held time is the one talked about
    if about_hold(turn, st, req) and req.shift is None and not req.same_day:
        return release(turn, st, st.hold_id, offer_again=True)  # "can I change the time?"
    items = actions.upcoming(turn)
    if st.hold_id and not items and req.intent == "move":
        return release(turn, st, st.hold_id, offer_again=True)
    found = meant(turn, st, req, items, False, "move")
    if isinstance(found, Reply):
        return found
    # "move my haircut to Friday" (or "move my appointment", asking which) with a beard trim
    # held: moved on from it. The ones to ask among are booked, never the held time.
    let_hold_go(turn, st)
    if isinstance(found, list):
        day = req.day
        if day is None and req.of_day is not None:  # "move Friday's to 12", two on Friday:
            days = {a.starts_at.astimezone(turn.tz).date() for a in found}  # 12 on that day
            day = days.pop() if len(days) == 1 else None
        st.day, st.time = (day.isoformat() if day else None), hhmm(req.time)
        st.pending = "move"
        return which(turn, st, found, "move")
    # Read before this becomes the move under way: a day listed for anything else (times to
    # book) is not where a time alone puts it.
    start = new_start(turn, st, req, found)
    st.moving = st.appointment_id = found.id
    if start is not None:
        if start.astimezone(turn.tz).date() < turn.today:
            return past(st, start.astimezone(turn.tz).date())
        return move_to(turn, st, found, start)
    # "same day", or "move Friday's to the afternoon": the times of its own day
    own = req.same_day or (req.of_day is not None and (req.after or req.before))
    day = req.day or (found.starts_at.astimezone(turn.tz).date() if own else None)
    svc = turn.service(found.service_id)
    if day is not None and svc is not None:
        if day < turn.today:
            return past(st, day)
        return asked_times(turn, st, svc, day, req)
    return ask_new_time(turn, st, found)


def cant_make(turn: Turn, st: State, req: Request) -> Reply:
    """ "I can't make it": offer to move or cancel the appointment meant (nothing changes yet),
    or ask which one, as for a move."""
    found = meant(turn, st, req, actions.upcoming(turn), True, "move")  # "... on Tuesday"
    if isinstance(found, Reply):
        return found
    if isinstance(found, list):
        return which(turn, st, found, "move")
    st.appointment_id = found.id
    text = words.say(
        st.lang,
        "cant_make",
        service=found.service_name,
        when=words.when(found.starts_at, turn.tz, st.lang),
    )
    options = tuple(
        Option(ids.appointment(action, found.id), words.say(st.lang, key))
        for action, key in (("move", "move_it"), ("cancel", "cancel_it"))
    )
    return offer(st, Reply(text, options, lang=st.lang))


def instead(turn: Turn, st: State, req: Request) -> Reply:
    """ "Make it 15:00", "14:30 instead": the time held, else the list just offered, else the
    appointment just booked or moved, takes the time asked for; else it is a booking request."""
    if st.moving is not None or req.of_day is not None:  # a move under way, or of a day's
        return move_request(turn, st, req)  # appointment ("Friday's at 12 instead"): its time
    if len(mentioned(turn.business["services"], req.text)) > 1:  # "a haircut instead of ..."
        return booking_request(turn, st, req)
    if _holding(st, req):
        return rehold(turn, st, st.hold_id, req)
    if st.lists_times:  # picking again from a list
        return booking_request(turn, st, req)
    items = actions.upcoming(turn)
    if (just := _just(st, req, items)) is not None:
        return _move_just(turn, st, req, just)
    if items and find(items, st.appointment_id) is None:  # nothing just talked about: a move
        return move_request(turn, st, req)
    return booking_request(turn, st, req)


def time_alone(turn: Turn, st: State, req: Request) -> Reply | None:
    """A time alone ("15:00 please": no day, one service or none, no list open, nothing held)
    right after a booking moves the appointment just booked, moved or listed, rather than
    booking the same service again that day. None when the message is not that."""
    if req.time is None or req.day is not None or st.hold_id or st.appointment_id is None:
        return None
    if st.lists_times or len(mentioned(turn.business["services"], req.text)) > 1:
        return None
    just = _just(st, req, actions.upcoming(turn))
    return None if just is None else _move_just(turn, st, req, just)


def _just(st: State, req: Request, items: list[Appointment]) -> Appointment | None:
    """The appointment just booked, moved or listed, unless the request names another service."""
    just = find(items, st.appointment_id)
    if just is None or (req.service is not None and req.service["id"] != just.service_id):
        return None
    return just


def _move_just(turn: Turn, st: State, req: Request, just: Appointment) -> Reply:
    """Move the appointment just talked about to the time asked for (or ask when)."""
    st.moving = just.id
    start = new_start(turn, st, req, just)
    if start is None and req.day is not None:  # "could we do Thursday instead?": its times
        svc = turn.service(just.service_id)
        if req.day < turn.today:
            return past(st, req.day)
        if svc is not None:
            return asked_times(turn, st, svc, req.day, req)
    if start is None:
        return ask_new_time(turn, st, just)
    if start.astimezone(turn.tz).date() < turn.today:
        return past(st, start.astimezone(turn.tz).date())
    return move_to(turn, st, just, start)


# "my appointment", "mi cita": a booked one, not a time held and waiting for Confirm.
_MY_BOOKING = re.compile(
    r"\b(my|mi|mis)\s+(appointments?|bookings?|reservations?|citas?|reservas?)\b"
)


def about_hold(turn: Turn, st: State, req: Request) -> bool:
    """Whether a cancel or move that names nothing else ("cancel that", "can I change the
    time?") is about the time held and waiting for Confirm: no appointment's number, day or
    time, no "my appointment", and no service but the held one's. (A hold that expired
    meanwhile is still what "cancel that" means: letting it go changes nothing booked.)"""
    services = turn.business["services"]
    return (
        bool(st.hold_id)
        and st.moving is None
        and not _MY_BOOKING.search(req.text)
        and req.reference is None
        and req.day is None
        and req.of_day is None
        and req.time is None
        and (req.service is None or req.service["id"] == st.service_id)
        and all(s["id"] == st.service_id for s in mentioned(services, req.text))
    )


def _holding(st: State, req: Request) -> bool:
    """Whether the request gives the time held (of its service) a new time."""
    same = req.service is None or req.service["id"] == st.service_id
    booked = req.of_day is not None  # "move Friday's to 12": a booked one, by its day
    return bool(st.hold_id) and req.time is not None and same and st.moving is None and not booked


def move_to(turn: Turn, st: State, appointment: Appointment, start: datetime) -> Reply:
    if appointment.starts_at == start:  # already at that time: nothing moves, and none is said
        result = BookingResult(True, EXISTS, ALREADY_THERE, appointment)
        return done(turn, st, result, turn.service(appointment.service_id))
    result = actions.reschedule(turn, appointment, start)
    svc = turn.service(appointment.service_id)
    if not result.ok:
        st.moving = appointment.id
    return done(turn, st, result, svc)


def ask_new_time(turn: Turn, st: State, appointment: Appointment) -> Reply:
    st.moving = st.appointment_id = appointment.id
    if st.pending == "move" and st.day and st.time:  # asked before saying which appointment
        start = start_at(turn, st.day_date, time.fromisoformat(st.time))
        st.time = st.pending = None
        return move_to(turn, st, appointment, start)
    text = words.say(
        st.lang,
        "move_to",
        service=appointment.service_name,
        when=words.when(appointment.starts_at, turn.tz, st.lang),
    )
    return offer(st, Reply(text, lang=st.lang))


def named(
    turn: Turn, items: list[Appointment], req: Request, said: list[dict], by_day: bool
) -> list[Appointment]:
    """The appointments of `items` the request names: of the services `said` ("cancel the beard
    trim") and, `by_day`, on its day and at its time ("cancel my appointment on Tuesday", "the
    5pm one"; a move's day and time are where it goes, not which one); of a move, on the day
    it names as which ("move Friday's to 12", "la del viernes": `Request.of_day`). All of them
    when it names none of these, or a number ("#12")."""
    if req.reference is not None:
        return items
    services = {s["id"] for s in said}
    if req.service is not None:
        services = services or {req.service["id"]}  # named by a word of it ("the colour")
    return [
        a
        for a in items
        if (not services or a.service_id in services)
        and (not by_day or req.day is None or _on_day(a.starts_at.astimezone(turn.tz), req))
        and (not by_day or req.time is None or a.starts_at.astimezone(turn.tz).time() == req.time)
        and (by_day or req.of_day is None or _of_day(a.starts_at.astimezone(turn.tz), req))
    ]


def _of_day(local: datetime, req: Request) -> bool:
    """Whether a local start is on the day a move names as which appointment: on that weekday
    for a weekday alone ("my Tuesday appointment": the one on a Tuesday, this week's or a later
    one), else on that date ("tomorrow's", "next Friday's")."""
    if req.of_weekday:
        return local.weekday() == req.of_day.weekday()
    return local.date() == req.of_day


def _on_day(local: datetime, req: Request) -> bool:
    """Whether a local start is on the request's day; for a week ("this week", "next week":
    `req.day` today or its Monday), on any day from it to that week's Sunday."""
    if req.week:
        return req.day <= local.date() <= dates.week_end(req.day)
    return local.date() == req.day


def target(items: list[Appointment], req: Request, st: State) -> Appointment | Reply | None:
    """The appointment a request means: by its number, the only one, or the one in context."""
    if not items:
        return Reply(words.say(st.lang, "none_booked"), lang=st.lang)
    if req.reference is not None:
        found = find(items, req.reference)
        if found is None:
            return Reply(words.refusal(st.lang, NOT_FOUND, "No such appointment."), lang=st.lang)
        return found
    if len(items) == 1:
        return items[0]
    if st.moving is not None and not req.intent == "move":  # the move being made goes on
        return find(items, st.moving)
    return find(items, st.appointment_id) if req.pronoun else None


def which(turn: Turn, st: State, items: list[Appointment], action: str) -> Reply:
    shown = items[: SLOTS_SHOWN + 1]
    moments = [words.moment_short(a.starts_at, turn.tz, st.lang) for a in shown]
    # Buttons and quick replies show only the title (and WhatsApp wants titles unique): two
    # appointments at one time are told apart by their service.
    same = {m for m in moments if moments.count(m) > 1}
    options = tuple(
        Option(
            ids.appointment(action, a.id),
            f"{moment} {a.service_name}" if moment in same else moment,
            f"#{a.id} {a.service_name}",
        )
        for a, moment in zip(shown, moments, strict=True)
    )
    key = "which_cancel" if action == "cancel" else "which_move"
    reply = Reply(words.say(st.lang, key), options, lang=st.lang, details=True)
    return offer(st, reply)


def new_start(turn: Turn, st: State, req: Request, target: Appointment) -> datetime | None:
    local = target.starts_at.astimezone(turn.tz)
    if req.shift is not None:
        return target.starts_at + timedelta(minutes=req.shift)
    if req.time is not None:
        # Of a move under way, a time alone is on the day it listed ("move my haircut to
        # Friday", then "make it 11:00"); else on the appointment's own day.
        listed = st.day_date if st.moving == target.id and st.lists_times else None
        return start_at(turn, req.day or listed or local.date(), req.time)
    if req.day is not None and req.same_time:
        return start_at(turn, req.day, local.time())
    return None


def moving(turn: Turn, st: State, svc: dict) -> Appointment | None:
    """The appointment being moved, when a tapped time of its service is its new time."""
    if st.moving is None:
        return None
    found = find(actions.upcoming(turn), st.moving)
    return found if found is not None and found.service_id == svc["id"] else None

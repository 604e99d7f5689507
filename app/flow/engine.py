"""The booking flow: one tap or one text in, one reply out, acting through the booking service.

Taps are our own ids (`ids`): a time is held and offered for confirmation, an appointment is
moved or cancelled, a service or menu entry continues the request. Text is read by
`understand` and resolved against what the flow remembers (`state`): "2pm works" books on the
day just listed, "the first one" picks from the last offer, "move it" and "cancel it" mean the
one appointment there is (or the one just talked about). A typed request for a day and a time
books at once; a pick from a list is held and confirmed, like a tap.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.booking.models import (
    BOOKED,
    EXISTS,
    NOT_FOUND,
    RESCHEDULED,
    Appointment,
    BookingResult,
)
from app.flow import actions, ids, lookup, words
from app.flow.actions import Turn
from app.flow.handoff import dont_know
from app.flow.opening import day_hours, week_hours
from app.flow.render import Reply
from app.flow.state import Option, State
from app.flow.understand import Request, read

SLOTS_SHOWN = 9  # and "Later times" makes WhatsApp's 10 list rows
SEARCH_DAYS = 7  # how far "a haircut" with no day looks for the first free day
_BOOKING_INTENTS = ("book", "slots", "unknown", "greeting", "confirm", "thanks", "decline")


def on_tap(turn: Turn, st: State, tap: ids.Tap) -> Reply:
    """Answer a tap on one of our buttons, list rows or quick replies."""
    if tap.kind == "slot":
        svc = turn.service(tap.service_id)
        if svc is None:
            return fallback(st)
        moving = _moving(turn, st, svc)
        if moving is not None:
            return move_to(turn, st, moving, tap.start)
        return hold(turn, st, svc, tap.start)
    if tap.kind == "hold":
        if tap.action == "confirm":
            return confirm(turn, st, tap.appointment_id)
        return release(turn, st, tap.appointment_id, offer_again=tap.action == "change")
    if tap.kind == "appt":
        found = _find(actions.upcoming(turn), tap.appointment_id)
        if found is None:
            return Reply(words.refusal(st.lang, NOT_FOUND, "No such appointment."), lang=st.lang)
        if tap.action == "cancel":
            return cancel(turn, st, found)
        return ask_new_time(turn, st, found)
    if tap.kind == "svc":
        svc = turn.service(tap.service_id)
        return continue_with(turn, st, svc) if svc else fallback(st)
    if tap.kind == "more":
        svc = turn.service(tap.service_id)
        if svc is None:
            return fallback(st)
        return slots(turn, st, svc, tap.day, tap.after, st.bounds()[1])
    if tap.kind == "menu":
        return menu(turn, st, tap.action)
    return Reply(words.say(st.lang, "handoff"), lang=st.lang)


def on_text(turn: Turn, st: State, text: str) -> Reply:
    """Answer what the customer wrote."""
    req = read(text, turn.business, turn.today)
    st.lang = req.lang or st.lang
    if req.number is not None and not (req.day or req.time or req.service):
        return pick(turn, st, req.number)
    intent = req.intent
    details = bool(req.service or req.day or req.time or req.after or req.before)
    if intent == "handoff":
        return Reply(words.say(st.lang, "handoff"), lang=st.lang)
    if intent == "cancel":
        return cancel_request(turn, st, req)
    moving_on = st.moving is not None and intent in ("unknown", "book") and not req.service
    if intent == "move" or req.shift is not None or (moving_on and (details or req.same_day)):
        return move_request(turn, st, req)
    if intent == "list":
        return appointments(turn, st)
    if intent == "more":
        return more(turn, st)
    if intent == "hours":
        return hours(turn, st, req.day)
    if intent == "info":
        return info(turn, st, text)
    if intent == "services":
        return services(turn, st)
    if intent in _BOOKING_INTENTS and (details or intent in ("book", "slots")):
        return booking_request(turn, st, req)
    if intent == "confirm":
        return confirm(turn, st, st.hold_id) if st.hold_id else ok(st)
    if intent == "decline":
        return release(turn, st, st.hold_id, offer_again=False) if st.hold_id else ok(st)
    name = turn.customer.get("profile_name") or ""
    if intent == "greeting":
        business = turn.business["name"]
        text = words.say(st.lang, "greeting", name=f" {name}" if name else "", business=business)
        return Reply(text, lang=st.lang)
    if intent == "thanks":
        return Reply(words.say(st.lang, "thanks", name=f" {name}" if name else ""), lang=st.lang)
    if req.question:
        return info(turn, st, text)
    return fallback(st)


# Picking from an offer


def pick(turn: Turn, st: State, number: int) -> Reply:
    """The option `number` (1-based; -1 the last) of the last offer, as if it was tapped."""
    if not st.offer:
        return Reply(words.say(st.lang, "nothing_to_pick"), lang=st.lang)
    index = len(st.offer) - 1 if number == -1 else number - 1
    if not 0 <= index < len(st.offer):
        return Reply(words.say(st.lang, "pick_range", count=len(st.offer)), lang=st.lang)
    tap = ids.parse(st.offer[index].id)
    return on_tap(turn, st, tap) if tap else fallback(st)


# Booking


def booking_request(turn: Turn, st: State, req: Request) -> Reply:
    """Book the day and time asked for, or list free times, or ask what is missing."""
    svc = req.service or turn.service(st.service_id) or _only_service(turn)
    day = req.day or st.day_date
    if day is not None and day < turn.today:
        return past(st, day)
    if svc is None:
        st.day = day.isoformat() if day else None
        st.after, st.before = _hhmm(req.after), _hhmm(req.before)
        st.time, st.pending = _hhmm(req.time), "book"
        return ask_service(turn, st)
    st.time = st.pending = st.moving = None  # a new booking, not the move asked about before
    if req.time is not None:
        return book(turn, st, svc, _start(turn, day, req.time))
    if day is None:
        return first_free(turn, st, svc, req.after, req.before)
    return slots(turn, st, svc, day, req.after, req.before)


def continue_with(turn: Turn, st: State, svc: dict) -> Reply:
    """The request waiting for its service, now that the customer chose it."""
    day, wanted = st.day_date, st.time
    after, before = st.bounds()
    st.time = st.pending = None
    if day is not None and day < turn.today:
        day = None
    if wanted:
        return book(turn, st, svc, _start(turn, day, time.fromisoformat(wanted)))
    if day is None:
        return first_free(turn, st, svc, after, before)
    return slots(turn, st, svc, day, after, before)


def book(turn: Turn, st: State, svc: dict, start: datetime) -> Reply:
    st.service_id, st.day = svc["id"], start.astimezone(turn.tz).date().isoformat()
    result = actions.book(turn, svc, start)
    return done(turn, st, result, svc)


def hold(turn: Turn, st: State, svc: dict, start: datetime) -> Reply:
    st.service_id, st.day = svc["id"], start.astimezone(turn.tz).date().isoformat()
    result = actions.hold_time(turn, svc, start)
    if not result.ok or result.code == EXISTS:
        return done(turn, st, result, svc)
    held = result.appointment
    st.hold_id = held.id
    text = words.say(
        st.lang,
        "held",
        service=held.service_name,
        when=words.when(held.starts_at, turn.tz, st.lang),
        minutes=actions.minutes_held(),
    )
    options = tuple(
        Option(ids.hold(action, held.id), words.say(st.lang, key))
        for action, key in (("confirm", "confirm"), ("change", "change"), ("cancel", "cancel"))
    )
    return _offer(st, Reply(text, options, lang=st.lang))


def confirm(turn: Turn, st: State, hold_id: int | None) -> Reply:
    result = actions.confirm(turn, hold_id)
    st.hold_id = None
    if result.code == NOT_FOUND:
        return Reply(words.say(st.lang, "no_hold"), lang=st.lang)
    svc = turn.service(result.appointment.service_id) if result.appointment else None
    return done(turn, st, result, svc)


def release(turn: Turn, st: State, hold_id: int | None, offer_again: bool) -> Reply:
    result = actions.release(turn, hold_id)
    st.hold_id = None
    held = result.appointment
    svc = turn.service(held.service_id) if held else None
    if offer_again and svc is not None:
        day = held.starts_at.astimezone(turn.tz).date()
        return slots(turn, st, svc, max(day, turn.today), None, None)
    if result.code == NOT_FOUND:
        return Reply(words.say(st.lang, "no_hold"), lang=st.lang)
    return Reply(words.say(st.lang, "released"), lang=st.lang)


def done(turn: Turn, st: State, result: BookingResult, svc: dict | None) -> Reply:
    """The words for a booking, a move or a cancellation that happened, or why it did not."""
    if not result.ok:
        return refused(turn, st, result, svc)
    appointment = result.appointment
    st.appointment_id, st.moving = appointment.id, None
    key = {BOOKED: "booked", EXISTS: "exists", RESCHEDULED: "moved"}[result.code]
    text = words.say(
        st.lang,
        key,
        service=appointment.service_name,
        when=words.when(appointment.starts_at, turn.tz, st.lang),
        id=appointment.id,
    )
    return _offer(st, Reply(text, lang=st.lang))


def refused(turn: Turn, st: State, result: BookingResult, svc: dict | None) -> Reply:
    """A refusal in the customer's words, with nearby free times to tap when there are some."""
    text = words.refusal(st.lang, result.code, result.message)
    if not result.alternatives or svc is None:
        return _offer(st, Reply(text, lang=st.lang))
    text += "\n" + words.say(st.lang, "alternatives")
    options = _slot_options(turn, st, svc, result.alternatives)
    prompt = words.say(st.lang, "slots_prompt")
    return _offer(st, Reply(text, options, prompt, st.lang, list_button=_times_label(st)))


# Free times


def slots(
    turn: Turn, st: State, svc: dict, day: date, after: time | None, before: time | None
) -> Reply:
    """The free times of `day` (within the bounds), up to SLOTS_SHOWN and a "later" row."""
    st.service_id, st.day, st.after, st.before = (
        svc["id"],
        day.isoformat(),
        _hhmm(after),
        _hhmm(before),
    )
    result = actions.find_slots(turn, svc, day, day, after, before)
    if not result.ok:
        return refused(turn, st, result, svc)
    if result.slots:
        return _slot_list(turn, st, svc, day, list(result.slots))
    text = words.say(st.lang, "none_free", service=svc["name"], day=words.day_long(day, st.lang))
    if not result.alternatives:
        return _offer(st, Reply(text, lang=st.lang))
    text += "\n" + words.say(st.lang, "next_free")
    options = _slot_options(turn, st, svc, result.alternatives)
    prompt = words.say(st.lang, "slots_prompt")
    return _offer(st, Reply(text, options, prompt, st.lang, list_button=_times_label(st)))


def first_free(turn: Turn, st: State, svc: dict, after: time | None, before: time | None) -> Reply:
    """The free times of the first day that has some, within the next SEARCH_DAYS."""
    last = turn.today + timedelta(days=SEARCH_DAYS - 1)
    result = actions.find_slots(turn, svc, turn.today, last, after, before)
    if not result.ok:
        return refused(turn, st, result, svc)
    if not result.slots:
        st.service_id = svc["id"]
        text = words.say(st.lang, "nothing_soon", service=svc["name"])
        return _offer(st, Reply(text, lang=st.lang))
    day = result.slots[0].astimezone(turn.tz).date()
    st.service_id, st.day, st.after, st.before = (
        svc["id"],
        day.isoformat(),
        _hhmm(after),
        _hhmm(before),
    )
    same_day = [s for s in result.slots if s.astimezone(turn.tz).date() == day]
    return _slot_list(turn, st, svc, day, same_day)


def more(turn: Turn, st: State) -> Reply:
    """The "later times" of the last list, as if its last row was tapped."""
    later = next((o for o in st.offer if o.id.startswith("more:")), None)
    if later is not None:
        return on_tap(turn, st, ids.parse(later.id))
    svc = turn.service(st.service_id)
    if svc is None or st.day_date is None:
        return ask_service(turn, st)
    return slots(turn, st, svc, st.day_date, *st.bounds())


def _slot_list(turn: Turn, st: State, svc: dict, day: date, free: list[datetime]) -> Reply:
    shown = free[:SLOTS_SHOWN]
    options = list(_slot_options(turn, st, svc, shown))
    if len(free) > SLOTS_SHOWN:
        nxt = free[SLOTS_SHOWN].astimezone(turn.tz)
        last = free[-1].astimezone(turn.tz)
        detail = words.say(
            st.lang, "later_detail", count=len(free) - SLOTS_SHOWN, last=f"{last:%H:%M}"
        )
        section = options[-1].section
        later = Option(
            ids.more(svc["id"], day, nxt.time()), words.say(st.lang, "later"), detail, section
        )
        options.append(later)
    text = words.say(st.lang, "slots", service=svc["name"], day=words.day_long(day, st.lang))
    prompt = words.say(st.lang, "slots_prompt")
    return _offer(st, Reply(text, tuple(options), prompt, st.lang, list_button=_times_label(st)))


def _slot_options(turn: Turn, st: State, svc: dict, starts) -> tuple[Option, ...]:
    """Times to tap, in sections per day (titled with the day too when the days differ)."""
    days = {s.astimezone(turn.tz).date() for s in starts}
    detail = f"{svc['name']} · {svc['duration_minutes']} min"
    options = []
    for start in starts:
        local = start.astimezone(turn.tz)
        title = f"{local:%H:%M}" if len(days) == 1 else words.moment_short(start, turn.tz, st.lang)
        section = words.day_short(local.date(), st.lang)
        options.append(Option(ids.slot(svc["id"], start), title, detail, section))
    return tuple(options)


# Appointments


def appointments(turn: Turn, st: State) -> Reply:
    items = actions.upcoming(turn)
    if not items:
        return _offer(st, Reply(words.say(st.lang, "none_booked"), lang=st.lang))
    if len(items) == 1:
        st.appointment_id = items[0].id
    lines = [words.say(st.lang, "list")] + [
        words.say(
            st.lang,
            "list_item",
            id=a.id,
            service=a.service_name,
            when=words.when(a.starts_at, turn.tz, st.lang),
        )
        for a in items
    ]
    return _offer(st, Reply("\n".join(lines), lang=st.lang))


def cancel_request(turn: Turn, st: State, req: Request) -> Reply:
    items = actions.upcoming(turn)
    if not items and st.hold_id:
        return release(turn, st, st.hold_id, offer_again=False)
    target = _target(items, req, st)
    if isinstance(target, Reply):
        return target
    if target is None:
        return _which(turn, st, items, "cancel")
    return cancel(turn, st, target)


def cancel(turn: Turn, st: State, appointment: Appointment) -> Reply:
    result = actions.cancel(turn, appointment.id)
    if result.ok:
        st.appointment_id = st.moving = None
        text = words.say(
            st.lang,
            "cancelled",
            service=result.appointment.service_name,
            when=words.when(result.appointment.starts_at, turn.tz, st.lang),
            id=result.appointment.id,
        )
        return _offer(st, Reply(text, lang=st.lang))
    return refused(turn, st, result, None)


def move_request(turn: Turn, st: State, req: Request) -> Reply:
    """Move the appointment meant to the time asked for, or ask which one or to when."""
    items = actions.upcoming(turn)
    if st.hold_id and not items and req.intent == "move":
        return release(turn, st, st.hold_id, offer_again=True)
    target = _target(items, req, st)
    if isinstance(target, Reply):
        return target
    if target is None:
        st.day, st.time = (req.day.isoformat() if req.day else None), _hhmm(req.time)
        return _which(turn, st, items, "move")
    st.moving = st.appointment_id = target.id
    start = _new_start(turn, st, req, target)
    if start is not None:
        if start.astimezone(turn.tz).date() < turn.today:
            return past(st, start.astimezone(turn.tz).date())
        return move_to(turn, st, target, start)
    day = req.day or (target.starts_at.astimezone(turn.tz).date() if req.same_day else None)
    svc = turn.service(target.service_id)
    if day is not None and svc is not None:
        if day < turn.today:
            return past(st, day)
        return slots(turn, st, svc, day, req.after, req.before)
    return ask_new_time(turn, st, target)


def move_to(turn: Turn, st: State, appointment: Appointment, start: datetime) -> Reply:
    result = actions.reschedule(turn, appointment, start)
    svc = turn.service(appointment.service_id)
    if not result.ok:
        st.moving = appointment.id
    return done(turn, st, result, svc)


def ask_new_time(turn: Turn, st: State, appointment: Appointment) -> Reply:
    st.moving = st.appointment_id = appointment.id
    if st.day and st.time:  # asked with the request, before saying which appointment
        start = _start(turn, st.day_date, time.fromisoformat(st.time))
        st.time = None
        return move_to(turn, st, appointment, start)
    text = words.say(
        st.lang,
        "move_to",
        service=appointment.service_name,
        when=words.when(appointment.starts_at, turn.tz, st.lang),
    )
    return _offer(st, Reply(text, lang=st.lang))


def _target(items: list[Appointment], req: Request, st: State) -> Appointment | Reply | None:
    """The appointment a request means: by its number, the only one, or the one in context."""
    if not items:
        return Reply(words.say(st.lang, "none_booked"), lang=st.lang)
    if req.reference is not None:
        found = _find(items, req.reference)
        if found is None:
            return Reply(words.refusal(st.lang, NOT_FOUND, "No such appointment."), lang=st.lang)
        return found
    if len(items) == 1:
        return items[0]
    if st.moving is not None and not req.intent == "move":  # the move being made goes on
        return _find(items, st.moving)
    return _find(items, st.appointment_id) if req.pronoun else None


def _which(turn: Turn, st: State, items: list[Appointment], action: str) -> Reply:
    options = tuple(
        Option(
            ids.appointment(action, a.id),
            words.moment_short(a.starts_at, turn.tz, st.lang),
            f"#{a.id} {a.service_name}",
        )
        for a in items[: SLOTS_SHOWN + 1]
    )
    key = "which_cancel" if action == "cancel" else "which_move"
    reply = Reply(words.say(st.lang, key), options, lang=st.lang, details=True)
    return _offer(st, reply)


def _new_start(turn: Turn, st: State, req: Request, target: Appointment) -> datetime | None:
    local = target.starts_at.astimezone(turn.tz)
    if req.shift is not None:
        return target.starts_at + timedelta(minutes=req.shift)
    if req.time is not None:
        return _start(turn, req.day or local.date(), req.time)
    if req.day is not None and req.same_time:
        return _start(turn, req.day, local.time())
    return None


def _moving(turn: Turn, st: State, svc: dict) -> Appointment | None:
    """The appointment being moved, when a tapped time of its service is its new time."""
    if st.moving is None:
        return None
    found = _find(actions.upcoming(turn), st.moving)
    return found if found is not None and found.service_id == svc["id"] else None


# Information


def services(turn: Turn, st: State) -> Reply:
    items = turn.business["services"]
    if not items:
        return _offer(st, Reply(words.say(st.lang, "no_services"), lang=st.lang))
    lines = [words.say(st.lang, "services")] + [
        f"• {s['name']}: {s['duration_minutes']} min, {s['price']:.2f} {s['currency']}"
        for s in items
    ]
    return _offer(st, Reply("\n".join(lines), lang=st.lang))


def ask_service(turn: Turn, st: State) -> Reply:
    items = turn.business["services"]
    if not items:
        return _offer(st, Reply(words.say(st.lang, "no_services"), lang=st.lang))
    options = tuple(
        Option(
            ids.service(s["id"]),
            s["name"],
            f"{s['duration_minutes']} min, {s['price']:.2f} {s['currency']}",
        )
        for s in items[: SLOTS_SHOWN + 1]
    )
    reply = Reply(words.say(st.lang, "which_service"), options, lang=st.lang, details=True)
    return _offer(st, reply)


def hours(turn: Turn, st: State, day: date | None) -> Reply:
    if day is None:
        return _offer(st, Reply(week_hours(turn.business, st.lang), lang=st.lang))
    return _offer(st, Reply(day_hours(turn.business, day, turn.today, st.lang), lang=st.lang))


def info(turn: Turn, st: State, question: str) -> Reply:
    """Lines of the business's own texts that answer the question, else "I don't know"."""
    sources = [
        turn.business.get("instructions") or "",
        turn.business.get("reference_document") or "",
    ]
    lines = lookup.answer(question, sources)
    if not lines:
        return _offer(st, Reply(dont_know(st.lang), lang=st.lang))
    text = words.say(st.lang, "found") + "\n" + "\n".join(f"• {line}" for line in lines)
    return _offer(st, Reply(text, lang=st.lang))


def menu(turn: Turn, st: State, what: str) -> Reply:
    if what == "book":
        st.day = st.time = st.after = st.before = None
        st.pending = "book"
        return ask_service(turn, st)
    if what == "mine":
        return appointments(turn, st)
    if what == "hours":
        return hours(turn, st, None)
    prices = services(turn, st)
    week = hours(turn, st, None)
    return Reply(prices.text + "\n\n" + week.text, lang=st.lang)


def past(st: State, day: date) -> Reply:
    st.day = None
    text = words.say(st.lang, "past_day", day=words.day_long(day, st.lang))
    return _offer(st, Reply(text[0].upper() + text[1:], lang=st.lang))


def ok(st: State) -> Reply:
    return _offer(st, Reply(words.say(st.lang, "ok"), lang=st.lang))


def fallback(st: State) -> Reply:
    """What the flow can do, as three buttons rather than a wall of text."""
    options = tuple(
        Option(ids.menu(what), words.say(st.lang, key))
        for what, key in (
            ("book", "book_a_time"),
            ("mine", "my_appointments"),
            ("prices", "prices_hours"),
        )
    )
    prompt = words.say(st.lang, "fallback_prompt")
    return _offer(st, Reply(words.say(st.lang, "fallback"), options, prompt, st.lang))


# Helpers


def _offer(st: State, reply: Reply) -> Reply:
    """Remember what this reply offers: "2" or "the first one" pick from it next."""
    st.offer = list(reply.options)
    return reply


def _start(turn: Turn, day: date | None, clock: time) -> datetime:
    """The moment of `clock` on `day`; with no day, its next occurrence from now."""
    if day is None:
        day = turn.today
        if datetime.combine(day, clock, tzinfo=turn.tz) <= turn.now:
            day += timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=turn.tz)


def _only_service(turn: Turn) -> dict | None:
    items = turn.business["services"]
    return items[0] if len(items) == 1 else None


def _find(items: list[Appointment], appointment_id: int | None) -> Appointment | None:
    return next((a for a in items if a.id == appointment_id), None)


def _times_label(st: State) -> str:
    return "Ver horas" if st.lang == "es" else "See times"


def _hhmm(value: time | None) -> str | None:
    return f"{value:%H:%M}" if value is not None else None

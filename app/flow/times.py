"""Free times and bookings: listing a day's times, booking a typed day and time, holding a
tapped time and confirming or letting it go."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from app.booking.availability import PAST
from app.booking.models import EXISTS, NOT_FOUND, RELEASED, Appointment, BookingResult
from app.flow import actions, dates, ids, words
from app.flow.actions import Turn
from app.flow.offers import (
    SLOTS_SHOWN,
    ask_service,
    done,
    hhmm,
    moving_for,
    offer,
    only_service,
    past,
    refused,
    slot_options,
    start_at,
    times_label,
)
from app.flow.render import Reply
from app.flow.state import Option, State
from app.flow.understand import Request, mentioned
from app.storage import flow_state

SEARCH_DAYS = 7  # how far "a haircut" with no day looks for the first free day


def booking_request(turn: Turn, st: State, req: Request) -> Reply:
    """Book the day and time asked for (hold it and ask, when the customer only asks whether
    it is free), or list free times, or ask what is missing. Two services named ("a haircut
    and a beard trim") ask which first: one booking at a time."""
    let_hold_go(turn, st)  # "actually a beard trim", "no wait, Friday"
    several = len(mentioned(turn.business["services"], req.text)) > 1
    svc = None if several else req.service or turn.service(st.service_id) or only_service(turn)
    talked_about = st.day_date if st.day_date and st.day_date >= turn.today else None
    day = req.day or talked_about  # a day that went by since is no context: it is not asked
    if day is not None and day < turn.today:
        return past(st, day)
    if svc is None:
        st.day = day.isoformat() if day else None
        st.week = st.day if req.week and day == req.day else None  # its week, once asked which
        st.after, st.before = hhmm(req.after), hhmm(req.before)
        st.time, st.pending = hhmm(req.time), "book"
        asked = ask_service(turn, st)
        # "a haircut and a beard trim on Friday at 10": the one not chosen is not forgotten
        # in silence.
        return replace(asked, prompt=words.say(st.lang, "one_booking")) if several else asked
    said = req.day or req.time or req.after or req.before
    if req.service and st.pending == "book" and st.asked_service and not several and not said:
        # "barba", "a haircut please": the answer to "Which service?", whose request said
        # the day and time ("tomorrow at 5"), as tapping the service is
        return continue_with(turn, st, svc)
    st.time = st.pending = st.moving = None  # a new booking, not the move asked about before
    if req.time is not None:
        start = start_at(turn, day, req.time)
        if req.intent == "slots":  # "is 5pm tomorrow free?", "¿tenéis hueco a las 11?"
            return hold(turn, st, svc, start)
        return book(turn, st, svc, start)
    if day is None:
        return first_free(turn, st, svc, req.after, req.before)
    return asked_times(turn, st, svc, day, req)


def asked_times(turn: Turn, st: State, svc: dict, day: date, req: Request) -> Reply:
    """The free times the request asks for on `day`; for a week ("this week", "next week": `day`
    today or its Monday), those of the week's first day that has some."""
    if req.week and day == req.day:
        return first_free(turn, st, svc, req.after, req.before, start=day, week=True)
    return slots(turn, st, svc, day, req.after, req.before)


def let_hold_go(turn: Turn, st: State) -> None:
    """Let the held time go, as the customer moves on from it (another service or day typed;
    a booked appointment cancelled or moved in words, or asked which to, `moves`; any tap that
    does not keep it, `engine.on_tap`; a reminder answered): a later "yes" must not book what
    they moved away from."""
    if st.hold_id:
        actions.release(turn, st.hold_id)
        st.hold_id = None


def continue_with(turn: Turn, st: State, svc: dict) -> Reply:
    """The request waiting for its service, now that the customer chose it (a tap, which let a
    held time go: `engine.on_tap`): a booking (only a booking asks for a service), so a move
    asked about before ends here."""
    day, wanted, week = st.day_date, st.time, st.week is not None and st.week == st.day
    after, before = st.bounds()
    st.time = st.pending = st.moving = st.week = None
    if day is not None and day < turn.today:
        day = None
    if wanted:
        return book(turn, st, svc, start_at(turn, day, time.fromisoformat(wanted)))
    if day is None or week:  # "next week": its first day with free times
        return first_free(turn, st, svc, after, before, start=day, week=week)
    return slots(turn, st, svc, day, after, before)


def book(turn: Turn, st: State, svc: dict, start: datetime) -> Reply:
    st.service_id, st.day = svc["id"], start.astimezone(turn.tz).date().isoformat()
    result = actions.book(turn, svc, start)
    if result.code == PAST and start.astimezone(turn.tz).date() == turn.today:
        return gone_by(turn, st, svc, result)
    return done(turn, st, result, svc)


def gone_by(turn: Turn, st: State, svc: dict, result: BookingResult) -> Reply:
    """ "Today at 11" said at 11:30: refused as past, with the free times still to come (today's,
    else the next day's), not a dead end."""
    listed = first_free(turn, st, svc, None, None)
    said = words.refusal(st.lang, result.code, result.message, svc)
    return replace(listed, text=f"{said}\n{listed.text}")


def hold(turn: Turn, st: State, svc: dict, start: datetime) -> Reply:
    st.service_id, st.day = svc["id"], start.astimezone(turn.tz).date().isoformat()
    result = actions.hold_time(turn, svc, start)
    if result.code == PAST and start.astimezone(turn.tz).date() == turn.today:
        return gone_by(turn, st, svc, result)
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
    return offer(st, Reply(text, hold_options(held.id, st.lang), lang=st.lang))


def hold_options(hold_id: int, lang: str | None) -> tuple[Option, ...]:
    """The held time's three choices: Confirm, Change time, Cancel."""
    return tuple(
        Option(ids.hold(action, hold_id), words.say(lang, key))
        for action, key in (("confirm", "confirm"), ("change", "change"), ("cancel", "cancel"))
    )


def asked_about_hold(turn: Turn, st: State) -> None:
    """When our last message to the customer asked "Shall I book it?" about a time they still
    hold (expired or not) and the flow has forgotten the talk, it is what this message answers:
    the question is taken up again ("yes", "1", "no, cancel the haircut")."""
    held = flow_state.offered_hold(turn.business["id"], turn.customer["id"])
    if held is not None:
        st.hold_id, st.service_id = held["id"], held["service_id"]
        st.day = held["starts_at"].astimezone(turn.tz).date().isoformat()
        st.offer = list(hold_options(held["id"], st.lang))


def confirm(turn: Turn, st: State, hold_id: int | None) -> Reply:
    result = actions.confirm(turn, hold_id)
    st.hold_id = None
    if result.code == NOT_FOUND:
        return Reply(words.say(st.lang, "no_hold"), lang=st.lang)
    svc = turn.service(result.appointment.service_id) if result.appointment else None
    return done(turn, st, result, svc)


def release(turn: Turn, st: State, hold_id: int | None, offer_again: bool) -> Reply:
    """Let the held time go (`offer_again`: and list its day's times again)."""
    result = actions.release(turn, hold_id)
    st.hold_id = None
    held = result.appointment
    if result.code == EXISTS:  # confirmed since (an older message's button): a booking now
        return _booked_already(turn, st, held, offer_again)
    if result.code != RELEASED:
        return Reply(words.say(st.lang, "no_hold"), lang=st.lang)
    svc = turn.service(held.service_id)
    if offer_again and svc is not None:
        day = held.starts_at.astimezone(turn.tz).date()
        return slots(turn, st, svc, max(day, turn.today), None, None)
    return Reply(words.say(st.lang, "released"), lang=st.lang)


def _booked_already(turn: Turn, st: State, booked: Appointment, change: bool) -> Reply:
    """Change time or Cancel tapped on a held time that has been booked since: a change lists
    times to move the booking to (never a second booking); a cancel asks first, as letting a
    held time go changed nothing booked."""
    st.appointment_id = booked.id
    svc = turn.service(booked.service_id)
    when = words.when(booked.starts_at, turn.tz, st.lang)
    if change:
        st.moving = booked.id
        if svc is not None:
            day = booked.starts_at.astimezone(turn.tz).date()
            return slots(turn, st, svc, max(day, turn.today), None, None)
        text = words.say(st.lang, "move_to", service=booked.service_name, when=when)
        return offer(st, Reply(text, lang=st.lang))
    text = words.say(
        st.lang, "booked_already", service=booked.service_name, when=when, id=booked.id
    )
    options = tuple(
        Option(ids.appointment(action, booked.id), words.say(st.lang, key))
        for action, key in (("cancel", "cancel_it"), ("move", "move_it"))
    )
    return offer(st, Reply(text, options, lang=st.lang))


def rehold(turn: Turn, st: State, hold_id: int, req: Request) -> Reply:
    """ "Make it 15:00 instead" while a time is held: let it go and hold the time asked for, on
    the held day unless another is said."""
    result = actions.release(turn, hold_id)
    st.hold_id = None
    held = result.appointment
    if result.code == EXISTS:  # booked since: its times to move to, not a second booking
        return _booked_already(turn, st, held, change=True)
    svc = turn.service(held.service_id) if held else None
    if svc is None:  # gone meanwhile (expired): the request as it stands
        return booking_request(turn, st, req)
    day = req.day or held.starts_at.astimezone(turn.tz).date()
    return hold(turn, st, svc, start_at(turn, day, req.time))


def slots(
    turn: Turn, st: State, svc: dict, day: date, after: time | None, before: time | None
) -> Reply:
    """The free times of `day` (within the bounds), up to SLOTS_SHOWN and a "later" row; for a
    move, those its appointment could move to (its own seat counts as free, as it does there)."""
    st.service_id, st.day, st.after, st.before = (
        svc["id"],
        day.isoformat(),
        hhmm(after),
        hhmm(before),
    )
    result = actions.find_slots(turn, svc, day, day, after, before, st.moving)
    if not result.ok:
        return refused(turn, st, result, svc)
    if result.slots:
        return slot_list(turn, st, svc, day, list(result.slots))
    text = words.say(st.lang, "none_free", service=svc["name"], day=words.day_long(day, st.lang))
    if not result.alternatives:
        return offer(st, Reply(text, lang=st.lang))
    text += "\n" + words.say(st.lang, "next_free")
    options = slot_options(turn, st, svc, result.alternatives, day, moving_for(turn, st, svc))
    prompt = words.say(st.lang, "slots_prompt")
    return offer(st, Reply(text, options, prompt, st.lang, list_button=times_label(st)))


def first_free(
    turn: Turn,
    st: State,
    svc: dict,
    after: time | None,
    before: time | None,
    start: date | None = None,
    week: bool = False,
) -> Reply:
    """The free times of the first day that has some, within SEARCH_DAYS from `start` (today
    when not given), or, for a `week`, from `start` to that week's Sunday; for a move under
    way, those its appointment could move to."""
    first = start or turn.today
    last = dates.week_end(first) if week else first + timedelta(days=SEARCH_DAYS - 1)
    result = actions.find_slots(turn, svc, first, last, after, before, moving_for(turn, st, svc))
    if not result.ok:
        return refused(turn, st, result, svc)
    if not result.slots and week:  # a week full (or closed): said so, with the next free times
        listed = first_free(turn, st, svc, after, before, start=last + timedelta(days=1))
        return replace(listed, text=f"{week_full(turn, st, svc, first)}\n{listed.text}")
    if not result.slots:
        st.service_id = svc["id"]
        text = words.say(st.lang, "nothing_soon", service=svc["name"])
        return offer(st, Reply(text, lang=st.lang))
    day = result.slots[0].astimezone(turn.tz).date()
    st.service_id, st.day, st.after, st.before = (
        svc["id"],
        day.isoformat(),
        hhmm(after),
        hhmm(before),
    )
    same_day = [s for s in result.slots if s.astimezone(turn.tz).date() == day]
    return slot_list(turn, st, svc, day, same_day)


def week_full(turn: Turn, st: State, svc: dict, first: date) -> str:
    """That a week asked for has no free times: "this week" (from today), else "the week of"
    its Monday."""
    if first == turn.today:
        return words.say(st.lang, "none_this_week", service=svc["name"])
    day = words.day_long(first, st.lang)
    return words.say(st.lang, "none_free_in_week", service=svc["name"], day=day)


def more(turn: Turn, st: State) -> Reply:
    """The "later times" of the last list, as if its last row was tapped."""
    later = next((ids.parse(o.id) for o in st.offer if o.id.startswith("more:")), None)
    svc = turn.service(later.service_id if later else st.service_id)
    if svc is None or (later is None and st.day_date is None):
        return ask_service(turn, st)
    if later is not None:
        return later_times(turn, st, svc, later.day, later.after)
    return slots(turn, st, svc, st.day_date, *st.bounds())


def later_times(turn: Turn, st: State, svc: dict, day: date, after: time) -> Reply:
    """A list's "Later times" (its id's service, day and first later time): within the bound
    asked for with it only while it is the list being talked about, since an older list's tap
    must not take another request's "before 11"; another service or day lets a held time go."""
    if (st.service_id, st.day_date) != (svc["id"], day):
        let_hold_go(turn, st)
        return slots(turn, st, svc, day, after, None)
    before = st.bounds()[1]
    return slots(turn, st, svc, day, after, before if before and before > after else None)


def slot_list(turn: Turn, st: State, svc: dict, day: date, free: list[datetime]) -> Reply:
    shown = free[:SLOTS_SHOWN]
    moving = moving_for(turn, st, svc)  # a move's rows and its "Later times" name it
    options = list(slot_options(turn, st, svc, shown, day, moving))
    if len(free) > SLOTS_SHOWN:
        nxt = free[SLOTS_SHOWN].astimezone(turn.tz)
        last = free[-1].astimezone(turn.tz)
        detail = words.say(
            st.lang, "later_detail", count=len(free) - SLOTS_SHOWN, last=f"{last:%H:%M}"
        )
        section = options[-1].section
        later_id = ids.more(svc["id"], day, nxt.time(), moving)
        later = Option(later_id, words.say(st.lang, "later"), detail, section)
        options.append(later)
    text = words.say(st.lang, "slots", service=svc["name"], day=words.day_long(day, st.lang))
    prompt = words.say(st.lang, "slots_prompt")
    return offer(st, Reply(text, tuple(options), prompt, st.lang, list_button=times_label(st)))

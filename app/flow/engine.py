"""The booking flow: one tap or one text in, one reply out, acting through the booking service.

Taps are our own ids (`ids`): a time is held and offered for confirmation, an appointment is
moved or cancelled, a service or menu entry continues the request. Text is read by
`understand` and resolved against what the flow remembers (`state`): "2pm works" books on the
day just listed, "the first one" picks from the last offer, "move it" and "cancel it" mean the
one appointment there is (or the one just talked about). A typed request for a day and a time
books at once; a pick from a list is held and confirmed, like a tap.
"""

from __future__ import annotations

import time as clock
from dataclasses import replace
from datetime import date

from app.booking.models import NOT_FOUND
from app.flow import actions, handoff, ids, lookup, moves, reminders, several, times, words
from app.flow.actions import Turn
from app.flow.offers import ask_service, find, offer, own_appointment
from app.flow.opening import day_hours, week_hours
from app.flow.render import Reply
from app.flow.state import Option, State
from app.flow.understand import mentioned, read

_BOOKING_INTENTS = ("book", "slots", "unknown", "greeting", "confirm", "thanks", "decline")


def on_tap(turn: Turn, st: State, tap: ids.Tap) -> Reply:
    """Answer a tap on one of our buttons, list rows or quick replies.

    A time held before is let go unless the tap is about it, only asks a question or asks for
    a person (`about_hold`): the customer has moved on (cancelling or moving an appointment,
    answering a reminder, a new request), so a later "ok thanks" must not book the time they
    left behind, and its seat is another customer's at once rather than when the hold expires.
    An appointment's tap lets it go only once it finds the appointment (`appointment_tap`)."""
    if tap.kind in ("to", "appt"):
        return appointment_tap(turn, st, tap)
    if not about_hold(st, tap):
        times.let_hold_go(turn, st)
    if tap.kind == "slot":
        svc = turn.service(tap.service_id)
        if svc is None:
            return fallback(st)
        moving = moves.moving(turn, st, svc)
        if moving is not None:
            return moves.move_to(turn, st, moving, tap.start)
        return times.hold(turn, st, svc, tap.start)
    if tap.kind == "hold":
        if tap.action == "confirm":
            return times.confirm(turn, st, tap.appointment_id)
        return times.release(turn, st, tap.appointment_id, offer_again=tap.action == "change")
    if tap.kind == "rem":
        return reminders.on_tap(turn, st, tap)
    if tap.kind == "svc":
        svc = turn.service(tap.service_id)
        return times.continue_with(turn, st, svc) if svc else fallback(st)
    if tap.kind == "more":
        svc = turn.service(tap.service_id)
        if svc is None:
            return fallback(st)
        if tap.appointment_id is not None and st.moving is None:
            # A move's list, tapped after the flow forgot the move: its later times move it too.
            st.moving = own_appointment(turn, tap.appointment_id, svc)
        return times.later_times(turn, st, svc, tap.day, tap.after)
    if tap.kind == "menu":
        return menu(turn, st, tap.action)
    return hand_off(turn, st, handoff.ASKED)


def appointment_tap(turn: Turn, st: State, tap: ids.Tap) -> Reply:
    """An appointment's Cancel or Move, or a time of its move list. A button on one cancelled
    or past since finds nothing and changes nothing, so a time held stays held; once the
    appointment is found the customer has moved on, and the held time goes before the move is
    tried (a move onto the held time itself needs its seat)."""
    found = find(actions.upcoming(turn), tap.appointment_id)
    if found is None:
        return Reply(words.refusal(st.lang, NOT_FOUND, "No such appointment."), lang=st.lang)
    times.let_hold_go(turn, st)
    if tap.kind == "to":
        return moves.move_to(turn, st, found, tap.start)
    if tap.action == "cancel":
        return moves.cancel(turn, st, found)
    return moves.ask_new_time(turn, st, found)


def about_hold(st: State, tap: ids.Tap) -> bool:
    """Whether a tap keeps the time held: one of its own buttons (Confirm, Change time,
    Cancel), a listed time to hold in its place (a new hold replaces it, the same time renews
    it), "Later times" of the list it was picked from, to choose another, a menu entry that
    only asks (prices and hours, opening hours, "My appointments": no new request, as the same
    questions typed keep it, so a customer who checks the price can still say "ok"), or "Talk
    to a person" (as asked in words: staff can book the time for them meanwhile; it expires on
    its own otherwise). Anything else is not: a reminder's buttons, a service, "Book a time",
    and an older message's hold buttons (they name another hold, gone or booked since); an
    appointment's taps let it go once they find it (`appointment_tap`)."""
    if tap.kind == "handoff":
        return True
    if tap.kind == "menu":
        return tap.action != "book"  # "Book a time" is a new request
    if tap.kind == "hold":
        return tap.appointment_id == st.hold_id
    if tap.kind == "slot":
        return st.moving is None  # while a move is under way, a listed time may move it
    if tap.kind == "more":  # a booking's list (a move's names its appointment)
        its_list = (tap.service_id, tap.day) == (st.service_id, st.day_date)
        return tap.appointment_id is None and its_list
    return False


def on_text(turn: Turn, st: State, text: str) -> Reply:
    """Answer what the customer wrote: its first request, when it holds several ("a haircut
    Tuesday at 10 and a beard trim Thursday at 11"), saying which part is not done yet; and
    that an appointment is one person's when the request is for several."""
    first, rest = several.split(text, turn.business, turn.today, st.lang)
    reply = answer(turn, st, first)
    notes = ()
    if several.for_several(first):  # "for me and my son": an appointment is one person's
        notes += (words.say(st.lang, "one_person"),)
    if rest:
        notes += (words.say(st.lang, "one_request", rest=rest),)
    return replace(reply, notes=(*reply.notes, *notes)) if notes else reply


def answer(turn: Turn, st: State, text: str) -> Reply:
    """Answer one request the customer wrote."""
    req = read(text, turn.business, turn.today, turn.now.astimezone(turn.tz).time())
    st.lang = req.lang or st.lang
    if req.number is not None and req.intent in ("cancel", "move", "cant_make") and not st.offer:
        # "cancel the second one" with no list open: the second of their appointments, in the
        # order "my appointments" lists them.
        items = actions.upcoming(turn)
        index = len(items) - 1 if req.number == -1 else req.number - 1
        if 0 <= index < len(items) and req.reference is None and not (req.day or req.time):
            req = replace(req, reference=items[index].id, number=None)
    if req.number is not None and not (req.day or req.time or req.service):
        return pick(turn, st, req.number)
    intent = req.intent
    details = bool(req.service or req.day or req.time or req.after or req.before)
    if intent == "handoff":
        return hand_off(turn, st, handoff.ASKED)
    if intent == "cancel":
        return moves.cancel_request(turn, st, req)
    moving_on = st.moving is not None and intent in ("unknown", "book") and not req.service
    # "an hour later" moves; "book ... at 5pm? If not, an hour later is fine" is a booking.
    shifting = req.shift is not None and intent not in ("book", "slots")
    if intent == "move" or shifting or (moving_on and (details or req.same_day)):
        return moves.move_request(turn, st, req)
    if intent == "instead":
        return moves.instead(turn, st, req)
    if intent == "unknown" and (moved := moves.time_alone(turn, st, req)) is not None:
        return moved  # "15:00 please" right after a booking moves it
    if intent == "book" and st.hold_id and not details:
        return times.confirm(turn, st, st.hold_id)  # "book it" while a time is held
    if intent == "cant_make":
        return moves.cant_make(turn, st, req)
    if intent == "list":
        return moves.appointments(turn, st)
    if intent == "more":
        return times.more(turn, st)
    if intent == "hours":
        return hours(turn, st, req.day)
    if intent == "info":
        return info(turn, st, text)
    if intent == "services":
        one = req.service and len(mentioned(turn.business["services"], req.text)) <= 1
        if not req.service and req.pronoun and st.service_id:  # "how much is it?"
            return services(turn, st, turn.service(st.service_id))
        return services(turn, st, req.service if one else None)
    if intent in _BOOKING_INTENTS and (details or intent in ("book", "slots")):
        return times.booking_request(turn, st, req)
    if intent == "confirm":
        if st.hold_id:
            return times.confirm(turn, st, st.hold_id)
        # "yes I'll be there" to a reminder: its Confirm.
        attending = next((o for o in st.offer if o.id.startswith("rem:confirm:")), None)
        return on_tap(turn, st, ids.parse(attending.id)) if attending else ok(st)
    if intent == "decline":
        return times.release(turn, st, st.hold_id, offer_again=False) if st.hold_id else ok(st)
    name = turn.customer.get("profile_name") or ""
    if intent == "greeting":
        business = turn.business["name"]
        text = words.say(st.lang, "greeting", name=f" {name}" if name else "", business=business)
        return Reply(text, lang=st.lang)
    if intent == "thanks":
        return Reply(words.say(st.lang, "thanks", name=f", {name}" if name else ""), lang=st.lang)
    if req.question:
        return info(turn, st, text)
    return fallback(st)


def pick(turn: Turn, st: State, number: int) -> Reply:
    """The option `number` (1-based; -1 the last) of the last offer, as if it was tapped."""
    if not st.offer:
        return Reply(words.say(st.lang, "nothing_to_pick"), lang=st.lang)
    # "The last one" of a list of times is its last time, not the "Later times" row after it.
    choices = [o for o in st.offer if not o.id.startswith("more:")] or st.offer
    index = st.offer.index(choices[-1]) if number == -1 else number - 1
    if not 0 <= index < len(st.offer):
        # Past the last option, a number may be a listed time's hour ("11" for 11:00, "8" for
        # 20:00).
        listed = [o.title for o in st.offer if ids.is_time(o.id)]
        hours = (f"{number:02d}:00", f"{number + 12:02d}:00") if 0 < number < 24 else ()
        hour = next((h for h in hours if h in listed), None)
        if hour is None:
            return Reply(words.say(st.lang, "pick_range", count=len(st.offer)), lang=st.lang)
        index = [o.title for o in st.offer].index(hour)
    tap = ids.parse(st.offer[index].id)
    return on_tap(turn, st, tap) if tap else fallback(st)


def services(turn: Turn, st: State, named: dict | None = None) -> Reply:
    """Every service with its length and price; the one asked about ("how much is a beard
    trim?"), which is then the service being talked about ("can I get one tomorrow?")."""
    if named is not None:
        st.service_id = named["id"]
        text = words.say(
            st.lang,
            "service_price",
            service=named["name"],
            minutes=named["duration_minutes"],
            price=f"{named['price']:.2f} {named['currency']}",
        )
        return offer(st, Reply(text, lang=st.lang))
    items = turn.business["services"]
    if not items:
        return offer(st, Reply(words.say(st.lang, "no_services"), lang=st.lang))
    lines = [words.say(st.lang, "services")] + [
        f"• {s['name']}: {s['duration_minutes']} min, {s['price']:.2f} {s['currency']}"
        for s in items
    ]
    return offer(st, Reply("\n".join(lines), lang=st.lang))


def hours(turn: Turn, st: State, day: date | None) -> Reply:
    if day is None:
        return offer(st, Reply(week_hours(turn.business, st.lang), lang=st.lang))
    return offer(st, Reply(day_hours(turn.business, day, turn.today, st.lang), lang=st.lang))


def info(turn: Turn, st: State, question: str) -> Reply:
    """Lines of the business's own texts that answer the question, else "I don't know"."""
    sources = [
        turn.business.get("instructions") or "",
        turn.business.get("reference_document") or "",
    ]
    lines = lookup.answer(question, sources)
    if not lines:
        person = Option(ids.HANDOFF, handoff.TALK_TO_A_PERSON[lang_code(st)])
        return offer(st, Reply(handoff.dont_know(st.lang), (person,), lang=st.lang))
    text = words.say(st.lang, "found") + "\n" + "\n".join(f"• {line}" for line in lines)
    return offer(st, Reply(text, lang=st.lang))


def menu(turn: Turn, st: State, what: str) -> Reply:
    if what == "book":
        # A new booking: a move asked about before ends here, so its times book, not move (a
        # time held was let go by `on_tap`, so a later "yes" cannot book it).
        st.day = st.time = st.after = st.before = st.moving = None
        st.pending = "book"
        return ask_service(turn, st)
    if what == "mine":
        return moves.appointments(turn, st)
    if what == "hours":
        return hours(turn, st, None)
    prices = services(turn, st)
    week = hours(turn, st, None)
    return Reply(prices.text + "\n\n" + week.text, lang=st.lang)


def ok(st: State) -> Reply:
    return offer(st, Reply(words.say(st.lang, "ok"), lang=st.lang))


def fallback(st: State) -> Reply:
    """What the flow can do (and a person), as options rather than a wall of text."""
    st.misses += 1
    options = tuple(
        Option(ids.menu(what), words.say(st.lang, key))
        for what, key in (
            ("book", "book_a_time"),
            ("mine", "my_appointments"),
            ("prices", "prices_hours"),
        )
    ) + (Option(ids.HANDOFF, handoff.TALK_TO_A_PERSON[lang_code(st)]),)
    prompt = words.say(st.lang, "fallback_prompt")
    return offer(st, Reply(words.say(st.lang, "fallback"), options, prompt, st.lang))


def hand_off(turn: Turn, st: State, reason: str) -> Reply:
    """Ask for a person (recorded as the `handoff_to_human` call the turn acts on)."""
    started = clock.perf_counter()
    result = handoff.request(turn.business, turn.customer, turn.now, reason, "", st.lang)
    turn.record(handoff.TOOL, {"reason": reason}, result, started)
    st.misses = 0
    st.offer = []
    st.lang = result["language"]
    return Reply(result["notice"], lang=st.lang)


def lang_code(st: State) -> str:
    return "es" if st.lang == "es" else "en"

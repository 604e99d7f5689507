"""Conversations with the model-free flow (no OPENAI_API_KEY), through the signed webhook and the
worker, in English and Spanish, with typing slips, relative and absolute dates and context
carried from one message to the next. Mock mode: options come as numbered text, picked by
number or by their words (taps on WhatsApp lists and buttons: tests/test_flow_channels.py).

After every reply the database is checked against it: what the reply says was booked, moved or
cancelled is so, with that service at that time; a reply that claims nothing changed nothing.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from app.flow import dates, ids, words
from app.flow.dates import MONTHS_ES
from app.storage import businesses, db
from tests import envelopes
from tests.test_agent_conversations import MADRID, WA_ID, at, in_order, upcoming

OPEN_DAILY = {d: {"open": "09:00", "close": "20:00", "breaks": []} for d in businesses.DEMO_HOURS}
CLAIMS = re.compile(
    r"(?:Booked ✅|You already have|Reservado ✅|Ya tienes) \*(?P<service>.+?)\* (?:on|el) "
    r"(?P<when>.+?) \((?:booking|reserva) #(?P<id>\d+)\)"
    r"|(?:Moved ✅ Your|Cambiada ✅ Tu cita de) \*(?P<moved>.+?)\* (?:is now on|es ahora el) "
    r"(?P<moved_when>.+?) \((?:booking|reserva) #(?P<moved_id>\d+)\)"
    r"|(?:Cancelled|Cancelada): \*(?P<cancelled>.+?)\* (?:on|el) (?P<cancelled_when>.+?) "
    r"\((?:booking|reserva) #(?P<cancelled_id>\d+)\)"
)


@pytest.fixture
def app(app_config):
    """No API key: every turn runs through the model-free flow; mock mode records replies."""
    from app import create_app

    flask_app = create_app({**app_config, "OPENAI_API_KEY": "", "MOCK_MODE": True})
    businesses.seed_demo(envelopes.PHONE_NUMBER_ID)
    yield flask_app
    db.close_pool()


@pytest.fixture
def open_daily(app):
    """The demo salon open 09:00-20:00 every day, so "tomorrow at 5pm" is always bookable."""
    db.execute(
        "UPDATE businesses SET opening_hours = %s::jsonb, updated_at = clock_timestamp()",
        (json.dumps(OPEN_DAILY),),
    )


def hold_beard_trim(post_webhook, drain, day: date) -> tuple[int, int]:
    """Alex taps a beard trim at 10:00 on `day`, which is held for him; the business's id and
    the service's."""
    business_id = businesses.business_id_for_account(
        "whatsapp_number_id", envelopes.PHONE_NUMBER_ID
    )
    beard_trim = db.fetch_one("SELECT id FROM services WHERE name = 'Beard trim'")["id"]
    held = tap(post_webhook, drain, ids.slot(beard_trim, at(day, "10:00")), "10:00")
    assert held.startswith(f"I'm holding *Beard trim* on {when(day, '10:00')}")
    return business_id, beard_trim


def tap(post_webhook, drain, choice_id: str, title: str, kind: str = "list_reply") -> str:
    """Alex taps the row or button `choice_id` of one of our messages; the one reply."""
    before = len(recorded())
    assert post_webhook(envelopes.tap(choice_id, title, kind, wa_id=WA_ID)).status_code == 200
    drain()
    [reply] = recorded()[before:]
    return reply


def another_customer_books(app, business_id: int, service_id: int, start: datetime):
    """Another customer books `service_id` at `start`: the booking service's result."""
    from app.booking import service as booking

    other = db.fetch_one(
        "INSERT INTO customers (business_id, address) VALUES (%s, '34600999888') RETURNING id",
        (business_id,),
    )
    with app.app_context():
        return booking.book(business_id, other["id"], service_id, start, now=datetime.now(UTC))


def assert_seat_free(app, business_id: int, service_id: int, start: datetime) -> None:
    """Another customer can book `service_id` at `start` at once: no hold keeps its seat."""
    taken = another_customer_books(app, business_id, service_id, start)
    assert taken.ok, taken


def assert_seat_held(app, business_id: int, service_id: int, start: datetime) -> None:
    """Another customer cannot book `service_id` at `start` (the last seat): a hold keeps it."""
    taken = another_customer_books(app, business_id, service_id, start)
    assert not taken.ok, taken


def appointments() -> dict[int, dict]:
    rows = db.fetch_all(
        "SELECT a.id, s.name AS service, a.starts_at, a.status FROM appointments a"
        " JOIN services s ON s.id = a.service_id ORDER BY a.id"
    )
    return {r["id"]: r for r in rows}


def booked() -> dict[int, tuple]:
    return {
        i: (r["service"], r["starts_at"])
        for i, r in appointments().items()
        if r["status"] == "booked"
    }


@pytest.fixture
def chat(post_webhook, drain, fake_graph, fake_llm):
    """The customer writes `text`; returns the one reply, checked against the database."""

    def run(text: str) -> str:
        before, was = len(recorded()), booked()
        assert post_webhook(envelopes.text(text, wa_id=WA_ID)).status_code == 200
        drain()
        replies = recorded()[before:]
        assert len(replies) == 1, replies
        check(replies[0], was)
        assert fake_llm.requests == [] and fake_graph.messages_sent() == []
        return replies[0]

    return run


def recorded() -> list[str]:
    """The replies mock mode recorded as sent, oldest first."""
    rows = db.fetch_all(
        "SELECT body FROM messages WHERE direction = 'out' AND status = 'sent' ORDER BY id"
    )
    return [r["body"] for r in rows]


def check(reply: str, was: dict[int, tuple]) -> None:
    """What the reply claims is in the database; without a claim, no booking changed."""
    now = appointments()
    claim = CLAIMS.search(reply)
    if claim is None:
        assert booked() == was, reply
        return
    lang = "es" if re.search(r"Reservado|Ya tienes|Cambiada|Cancelada", reply) else "en"
    number = int(claim["id"] or claim["moved_id"] or claim["cancelled_id"])
    row = now[number]
    service = claim["service"] or claim["moved"] or claim["cancelled"]
    spoken = claim["when"] or claim["moved_when"] or claim["cancelled_when"]
    status = "cancelled" if claim["cancelled"] else "booked"
    assert (row["service"], row["status"]) == (service, status), reply
    assert words.when(row["starts_at"], MADRID, lang) == spoken, reply


def when(day: date, hhmm: str, lang: str = "en") -> str:
    return words.when(at(day, hhmm), MADRID, lang)


def long(day: date, lang: str = "en") -> str:
    return words.day_long(day, lang)


def named(day: date) -> str:
    return f"{day.day} {day:%B}"


def today() -> date:
    return datetime.now(MADRID).date()


def hold_reply(day: date, hhmm: str) -> str:
    return (
        f"I'm holding *Haircut* on {when(day, hhmm)} for you for 5 minutes. Shall I book it?\n"
        "1. Confirm\n2. Change time\n3. Cancel\nReply with 1–3."
    )


def statuses() -> list[tuple]:
    return [(r["status"], r["starts_at"]) for r in appointments().values()]


# Context: what was listed is what "2pm", "14:00" and "the first one" mean.


@pytest.mark.parametrize(
    "choice",
    ["great, 2pm works, put me down for that", "14:00 please", "ok 14:00", "what about 2?"],
)
def test_a_time_after_a_list_books_it_that_day(chat, choice):
    day = upcoming(2)
    listed = chat(f"any free time for a haircut on {named(day)}?")
    assert listed.startswith(f"Free times for *Haircut* on {long(day)}:\n1. 09:00\n2. 09:15\n")
    assert (
        chat(choice) == f"Booked ✅ *Haircut* on {when(day, '14:00')} (booking #1). See you then!"
    )
    assert statuses() == [("booked", at(day, "14:00"))]


def test_a_number_holds_the_time_and_yes_books_it(chat):
    day = upcoming(2)
    chat(f"haircut {named(day)}")
    assert chat("3") == hold_reply(day, "09:30")
    assert statuses() == [("held", at(day, "09:30"))]
    assert chat("yes") == (
        f"Booked ✅ *Haircut* on {when(day, '09:30')} (booking #1). See you then!"
    )
    assert statuses() == [("booked", at(day, "09:30"))]  # the hold became the booking


def test_the_last_one_of_a_list_of_times_is_its_last_time(chat):
    day = upcoming(2)
    assert "\n9. 11:00\n10. Later times" in chat(f"haircut {named(day)}")
    assert chat("the last one") == hold_reply(day, "11:00")


def test_a_number_past_the_last_option_is_a_listed_time_s_hour(chat):
    day = upcoming(2)
    listed = chat(f"haircut {named(day)}")
    assert "\n9. 11:00\n10. Later times" in listed
    assert chat("11") == hold_reply(day, "11:00")
    assert chat("2") == listed  # "Change time": the hold goes, the day is listed again
    assert chat("12") == "Please reply with a number from 1 to 10."  # 12:00 is not listed
    assert statuses() == []


def test_a_number_past_a_short_list_may_be_an_afternoon_hour(open_daily, chat):
    day = upcoming(2)
    assert chat(f"haircut {named(day)} after 7pm").startswith(
        f"Free times for *Haircut* on {long(day)}:\n1. 19:00\n2. 19:15\n3. 19:30\n"
    )
    assert chat("7") == hold_reply(day, "19:00")


def test_the_first_one_then_the_confirm_button_typed(chat):
    day = upcoming(3)
    chat(f"free times for a haircut on {named(day)} after 4pm")
    assert chat("the first one") == hold_reply(day, "16:00")
    assert chat("Confirm") == (
        f"Booked ✅ *Haircut* on {when(day, '16:00')} (booking #1). See you then!"
    )


def test_change_time_lets_the_hold_go_and_lists_again(chat):
    day = upcoming(1)
    chat(f"haircut on {named(day)} after 17:00")
    assert chat("2") == hold_reply(day, "17:15")
    again = chat("2")  # Change time
    assert again.startswith(f"Free times for *Haircut* on {long(day)}:\n1. 09:00\n")
    assert statuses() == []
    assert chat("cancel") == "You have no upcoming appointments."


def test_the_price_of_one_service_and_then_one_of_those(open_daily, chat):
    tomorrow = today() + timedelta(days=1)
    assert chat("how much is a beard trim?") == "*Beard trim* takes 15 min and costs 12.00 EUR."
    reply = chat("can I get one tomorrow morning?")  # "one": the beard trim just asked about
    assert reply.startswith(f"Free times for *Beard trim* on {long(tomorrow)}:\n1. 09:00\n")
    assert chat("¿cuánto cuesta el tinte?") == "*Hair coloring* dura 90 min y cuesta 60.00 EUR."
    assert chat("how long does a haircut take?") == "*Haircut* takes 30 min and costs 25.00 EUR."
    assert chat("how much are a haircut and a beard trim?") == (
        "Our services:\n• Haircut: 30 min, 25.00 EUR\n• Beard trim: 15 min, 12.00 EUR\n"
        "• Hair coloring: 90 min, 60.00 EUR"
    )


def test_a_new_service_keeps_the_day_being_talked_about(chat):
    day = upcoming(2)
    chat(f"haircut on {named(day)}")
    assert chat("what about a beard trim?").startswith(
        f"Free times for *Beard trim* on {long(day)}:\n1. 09:00\n"
    )
    assert chat("11:15 please") == (
        f"Booked ✅ *Beard trim* on {when(day, '11:15')} (booking #1). See you then!"
    )


# One booking: "move it", "cancel it", "same day", "30 minutes later".


def test_with_one_booking_it_means_that_one(chat):
    day = upcoming(2)
    chat(f"book a haircut on {named(day)} at 10:00")
    assert chat("move it to 14:30 same day") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '14:30')} (booking #1)."
    )
    assert chat("can you move my appointment 30 minutes later") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '15:00')} (booking #1)."
    )
    assert chat("push that back half an hour") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '15:30')} (booking #1)."
    )
    assert chat("what have I got booked") == (
        f"Your upcoming appointments:\n• #1 Haircut on {when(day, '15:30')}"
    )
    assert chat("cancel it") == f"Cancelled: *Haircut* on {when(day, '15:30')} (booking #1)."
    assert statuses() == [("cancelled", at(day, "15:30"))]


def test_a_bare_hour_after_to_is_the_time_it_moves_to(chat):
    day = upcoming(2)
    chat(f"book a haircut on {named(day)} at 10:00")
    assert chat("move it to 12") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '12:00')} (booking #1)."
    )
    assert chat("can you change it to 3 please") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '15:00')} (booking #1)."
    )


def test_with_two_bookings_the_flow_asks_which(chat):
    first, second, target = in_order(1, 3, 4)
    chat(f"book a haircut on {named(first)} at 10:00")
    chat(f"book a beard trim on {named(second)} at 11:00")
    asked = chat(f"move my appointment to {named(target)} at 12:00")
    assert asked.startswith("Which one should I move?\n1. ")
    assert asked.endswith("\nReply with 1–2.")
    moved = f"Moved ✅ Your *Beard trim* is now on {when(target, '12:00')} (booking #2)."
    assert chat(option(asked, "#2 Beard trim")) == moved
    which = chat("cancel my appointment")
    assert which.startswith("Which one should I cancel?\n1. ")
    cancelled = f"Cancelled: *Haircut* on {when(first, '10:00')} (booking #1)."
    assert chat(option(which, "#1 Haircut")) == cancelled
    assert chat("cancel #2") == f"Cancelled: *Beard trim* on {when(target, '12:00')} (booking #2)."


def test_the_service_or_the_day_named_says_which_appointment(chat):
    first, second, third = in_order(1, 3, 4)
    chat(f"book a haircut on {named(first)} at 10:00")
    chat(f"book a beard trim on {named(second)} at 11:00")
    chat(f"book a haircut on {named(third)} at 16:00")
    assert chat("move the beard trim to 12") == (
        f"Moved ✅ Your *Beard trim* is now on {when(second, '12:00')} (booking #2)."
    )
    asked = chat("cancel my haircut")  # two haircuts: it asks which of those two
    assert asked.startswith("Which one should I cancel?\n1. ")
    assert asked.endswith("\nReply with 1–2.") and "Beard trim" not in asked
    # A cancel's day says which; a move's day is where it goes, so it still asks.
    assert chat(f"cancel my appointment on {named(third)}") == (
        f"Cancelled: *Haircut* on {when(third, '16:00')} (booking #3)."
    )
    assert chat(f"move my appointment to {named(third)} at 10:00").startswith(
        "Which one should I move?\n1. "
    )
    assert chat("cancel beard trim #1") == (  # a number names it, whatever the words say
        f"Cancelled: *Haircut* on {when(first, '10:00')} (booking #1)."
    )


def test_an_appointment_named_that_is_not_booked_changes_nothing(chat):
    day, other = upcoming(3), upcoming(1)
    chat(f"book a beard trim on {named(day)} at 11:00")
    mine = f"Your upcoming appointments:\n• #1 Beard trim on {when(day, '11:00')}"
    assert chat("cancel my haircut") == f"You have no *Haircut* booked.\n{mine}"
    assert chat(f"move my haircut to {named(day)} at 12:00") == (
        f"You have no *Haircut* booked.\n{mine}"
    )
    assert chat(f"cancel my appointment on {named(other)}") == (
        f"You have nothing booked on {long(other)}.\n{mine}"
    )
    assert chat(f"cancela mi corte del {other.day} de {MONTHS_ES[other.month - 1]}") == (
        f"No tienes ninguna cita de *Haircut* el {long(other, 'es')}.\n"
        f"Tus próximas citas:\n• #1 Beard trim el {when(day, '11:00', 'es')}"
    )
    assert statuses() == [("booked", at(day, "11:00"))]


def test_two_services_in_one_request_ask_which_first(chat):
    day = upcoming(3)
    asked = chat(f"I need a haircut and a beard trim on {named(day)} at 10")
    assert asked.startswith("Which service would you like?\n1. Haircut")
    assert asked.endswith(  # the other is not forgotten in silence
        "\nOne service per message: choose the first, then send me the other one. Reply with 1–3."
    )
    assert statuses() == []
    assert chat("1") == (f"Booked ✅ *Haircut* on {when(day, '10:00')} (booking #1). See you then!")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_two_bookings_in_one_message_book_the_first_and_give_the_other_back(chat, lang):
    first, second = upcoming(1), upcoming(3)
    if lang == "en":
        rest = f"a beard trim on {named(second)} at 11"
        asked = f"haircut on {named(first)} at 10 and {rest}"
        note = "One request per message, please: I have answered only the first. Please send "
        note += f'this part again in a new message: "{rest}".'
        done = f"Booked ✅ *Haircut* on {when(first, '10:00')} (booking #1). See you then!"
    else:
        rest = f"una barba el {second.day} de {MONTHS_ES[second.month - 1]} a las 11"
        asked = f"un corte el {first.day} de {MONTHS_ES[first.month - 1]} a las 10 y {rest}"
        note = "Una petición por mensaje, por favor: solo he atendido la primera. Envíame esta "
        note += f'parte en otro mensaje: "{rest}".'
        done = (
            f"Reservado ✅ *Haircut* el {when(first, '10:00', 'es')} (reserva #1). ¡Hasta pronto!"
        )
    assert chat(asked) == f"{note}\n\n{done}"
    assert booked() == {1: ("Haircut", at(first, "10:00"))}  # the beard trim is not on its day
    assert chat(rest).startswith(("Booked ✅ *Beard trim*", "Reservado ✅ *Beard trim*"))
    assert booked() == {1: ("Haircut", at(first, "10:00")), 2: ("Beard trim", at(second, "11:00"))}


@pytest.mark.parametrize(
    ("text", "again", "note", "done"),
    [
        (
            "cancel Friday at 10 and Saturday at 11",
            "cancel Saturday at 11",
            "One request per message, please: I have answered only the first. Please send this"
            ' part again in a new message: "{again}".',
            "Cancelled: **{service}** on {when}",
        ),
        (
            "cancela el viernes a las 10 y el sábado a las 11",
            "cancela el sábado a las 11",
            "Una petición por mensaje, por favor: solo he atendido la primera. Envíame esta"
            ' parte en otro mensaje: "{again}".',
            "Cancelada: **{service}** el {when_es}",
        ),
    ],
)
def test_a_second_cancel_without_its_verb_is_given_back_with_it(
    app, open_daily, text, again, note, done
):
    wednesday = upcoming(2)
    friday, saturday = wednesday + timedelta(days=2), wednesday + timedelta(days=3)
    said_at(app, at(wednesday, "09:00"), f"a haircut on {named(friday)} at 10")
    said_at(app, at(wednesday, "09:01"), f"a beard trim on {named(saturday)} at 11")
    reply = said_at(app, at(wednesday, "09:05"), text)
    first = done.format(
        service="Haircut", when=when(friday, "10:00"), when_es=when(friday, "10:00", "es")
    )
    assert reply.startswith(f"{note.format(again=again)}\n\n{first}"), reply
    assert booked() == {2: ("Beard trim", at(saturday, "11:00"))}
    reply = said_at(app, at(wednesday, "09:06"), again)  # sent again as asked: a cancel too
    second = done.format(
        service="Beard trim", when=when(saturday, "11:00"), when_es=when(saturday, "11:00", "es")
    )
    assert reply.startswith(second), reply
    assert booked() == {}


@pytest.mark.parametrize(
    ("text", "again"),
    [
        ("move Friday's to 12 and Saturday's to 12", "move Saturday's to 12"),
        ("I can't make it Friday at 10 and Saturday at 11", "I can't make it Saturday at 11"),
        (
            "cancel Friday at 10 and book a beard trim Sunday at 11",
            "book a beard trim Sunday at 11",
        ),
    ],
)
def test_a_part_after_a_move_or_cancel_is_given_back_with_the_verb_it_shares(
    app, open_daily, text, again
):
    wednesday = upcoming(2)
    friday, saturday = wednesday + timedelta(days=2), wednesday + timedelta(days=3)
    said_at(app, at(wednesday, "09:00"), f"a haircut on {named(friday)} at 10")
    said_at(app, at(wednesday, "09:01"), f"a beard trim on {named(saturday)} at 11")
    reply = said_at(app, at(wednesday, "09:05"), text)
    assert f'Please send this part again in a new message: "{again}".\n\n' in reply, reply


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_booking_for_several_people_books_one_and_says_so(chat, lang):
    day = upcoming(2)
    if lang == "en":
        asked = f"can I book a haircut for me and my son on {named(day)} at 10?"
        note = "Each appointment is for one person: to book for anyone else too, send me their"
        note += " service and time in a new message."
        done = f"Booked ✅ *Haircut* on {when(day, '10:00')} (booking #1). See you then!"
    else:
        asked = f"un corte para mí y mi hija el {day.day} de {MONTHS_ES[day.month - 1]} a las 10"
        note = "Cada cita es para una persona: para reservar también para alguien más, envíame"
        note += " su servicio y hora en otro mensaje."
        done = f"Reservado ✅ *Haircut* el {when(day, '10:00', 'es')} (reserva #1). ¡Hasta pronto!"
    assert chat(asked) == f"{note}\n\n{done}"
    assert booked() == {1: ("Haircut", at(day, "10:00"))}


@pytest.mark.parametrize(
    "text",
    [
        "I have a haircut on {first} at 10 and I'd like to move it to {second} at 11",
        "tengo cita el {first} a las 10 y quiero cambiarla al {second} a las 11",
    ],
)
def test_a_booking_named_then_moved_in_one_message_is_moved(open_daily, chat, text):
    first, second = upcoming(1), upcoming(3)
    chat(f"a haircut on {named(first)} at 10")
    moved = chat(text.format(first=named(first), second=named(second)))
    assert moved.startswith(("Moved ✅", "Cambiada ✅")), moved
    assert "\n\n" not in moved  # nothing given back to send again
    assert booked() == {1: ("Haircut", at(second, "11:00"))}


def test_a_time_said_as_para_las_dos_is_not_a_booking_for_two(open_daily, chat):
    day = upcoming(2)
    reply = chat(f"un corte el {day.day} de {MONTHS_ES[day.month - 1]} para las dos")
    assert reply == (
        f"Reservado ✅ *Haircut* el {when(day, '14:00', 'es')} (reserva #1). ¡Hasta pronto!"
    )


def test_a_move_to_a_time_alone_keeps_its_day_beside_a_list_of_another_day(chat):
    """Times listed for another booking (another day) are not where a move to a time alone
    goes: the appointment keeps its day, at that time. (A day listed for the move itself is,
    "move my haircut to Friday", then "make it 11:00".)"""
    day, other = in_order(2, 4)
    chat(f"book a haircut on {named(day)} at 10:00")
    listed = chat(f"haircut for me and my son on {named(other)}")
    assert f"Free times for *Haircut* on {long(other)}:" in listed
    assert chat(f"move {day:%A}'s to 11") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '11:00')} (booking #1)."
    )
    chat(f"any free time for a haircut on {named(other)}?")
    assert chat("move my haircut to 12:00") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '12:00')} (booking #1)."
    )
    assert statuses() == [("booked", at(day, "12:00"))]
    chat(f"move my haircut to {named(other)}")
    assert chat("make it 11:00") == (
        f"Moved ✅ Your *Haircut* is now on {when(other, '11:00')} (booking #1)."
    )


def test_cant_make_it_offers_to_move_or_cancel_and_changes_nothing_yet(chat):
    day = upcoming(2)
    chat(f"book a haircut on {named(day)} at 10:00")
    offered = (
        f"No problem. Shall I move your *Haircut* on {when(day, '10:00')} to another time, or"
        " cancel it?\n1. Move it\n2. Cancel it\nReply with 1–2."
    )
    assert chat("I cant make it anymore") == offered
    assert statuses() == [("booked", at(day, "10:00"))]
    assert chat("1").startswith("When would you like your *Haircut*")
    assert chat("sorry, I can't make it") == offered
    assert chat("2") == f"Cancelled: *Haircut* on {when(day, '10:00')} (booking #1)."


def test_a_range_of_times_lists_those(chat):
    day = upcoming(2)
    listed = chat(f"any free time for a haircut on {named(day)} from 10 to 11?")
    times = "10:00 10:15 10:30 10:45 11:00".split()
    assert listed.startswith(
        f"Free times for *Haircut* on {long(day)}:\n"
        + "\n".join(f"{n}. {t}" for n, t in enumerate(times, 1))
        + "\nWhich one"
    )


@pytest.mark.parametrize(
    "asked",
    [
        "a haircut on {day} between 3 and 5",
        "can I get a haircut on {day} between three and five?",
        "un corte el {dia} entre las 3 y las 5",
        "un corte el {dia} de 3 a 5",
    ],
)
def test_between_two_times_lists_those(open_daily, chat, asked):
    day = upcoming(2)
    dia = f"{day.day} de {MONTHS_ES[day.month - 1]}"
    listed = chat(asked.format(day=named(day), dia=dia))
    times = "15:00 15:15 15:30 15:45 16:00 16:15 16:30 16:45 17:00".split()
    assert "\n".join(f"{n}. {t}" for n, t in enumerate(times, 1)) + "\n" in listed, listed
    assert "10. " not in listed  # nothing after 17:00
    assert statuses() == []


@pytest.mark.parametrize(
    ("asked", "first"),
    [
        ("a haircut on {day} before noon", "09:00"),
        ("a haircut on {day} after midday", "12:00"),
        ("un corte el {dia} antes del mediodía", "09:00"),
        ("un corte el {dia} a partir del mediodía", "12:00"),
    ],
)
def test_before_or_after_noon_lists_times_and_books_none(open_daily, chat, asked, first):
    day = upcoming(2)
    dia = f"{day.day} de {MONTHS_ES[day.month - 1]}"
    listed = chat(asked.format(day=named(day), dia=dia))
    assert listed.startswith(("Free times for *Haircut*", "Horas libres para *Haircut*")), listed
    assert f"1. {first}\n" in listed
    assert statuses() == []


def test_make_it_another_time_instead_moves_what_was_just_booked_or_held(chat):
    day = upcoming(2)
    chat(f"book a haircut on {named(day)} at 10:00")
    assert chat("wait, can you make it 11:00 instead?") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '11:00')} (booking #1)."
    )
    assert statuses() == [("booked", at(day, "11:00"))]  # moved, not booked twice
    chat(f"any free time for a beard trim on {named(day)}?")
    assert chat("2").startswith("I'm holding *Beard trim*")
    assert chat("make it 12:00").startswith(
        f"I'm holding *Beard trim* on {when(day, '12:00')} for you"
    )
    assert sorted(statuses()) == [("booked", at(day, "11:00")), ("held", at(day, "12:00"))]


def test_my_appointments_while_a_time_is_held_asks_about_it_again(chat):
    day, other = in_order(2, 4)
    assert chat("my appointments") == "You have no upcoming appointments."
    chat(f"any free time for a haircut on {named(day)}?")
    assert chat("1") == hold_reply(day, "09:00")
    assert chat("my appointments") == (
        "You have no upcoming appointments.\n"
        f"Not booked yet: *Haircut* on {when(day, '09:00')}, held for you. Shall I book it?\n"
        "1. Confirm\n2. Change time\n3. Cancel\nReply with 1–3."
    )
    assert chat("1") == f"Booked ✅ *Haircut* on {when(day, '09:00')} (booking #1). See you then!"
    chat(f"any free time for a beard trim on {named(other)}?")
    assert chat("2").startswith("I'm holding *Beard trim*")
    assert chat("my appointments") == (
        "Your upcoming appointments:\n"
        f"• #1 Haircut on {when(day, '09:00')}\n"
        f"Not booked yet: *Beard trim* on {when(other, '09:15')}, held for you. Shall I book"
        " it?\n1. Confirm\n2. Change time\n3. Cancel\nReply with 1–3."
    )
    assert chat("3") == "OK, I've let that time go. Anything else?"
    assert statuses() == [("booked", at(day, "09:00"))]
    assert (
        chat("my appointments")
        == f"Your upcoming appointments:\n• #1 Haircut on {when(day, '09:00')}"
    )


def test_what_instead_and_to_do_not_take_from_what_they_should_not(chat):
    day, other = in_order(2, 4)
    listed = chat(f"haircut {named(day)} 10 to 11")  # a range, not 11:00
    assert listed.startswith(f"Free times for *Haircut* on {long(day)}:\n1. 10:00\n")
    assert "\n5. 11:00\nWhich one" in listed
    friday = chat(f"do you have anything on {named(other)} instead?")  # a day, not a move
    assert friday.startswith(f"Free times for *Haircut* on {long(other)}:\n1. 09:00\n")
    chat(f"book a haircut on {named(day)} at 10:00")
    chat(f"any free time for a beard trim on {named(day)}?")
    assert chat("2").startswith("I'm holding *Beard trim*")
    # Holding a beard trim, a move of the haircut moves the haircut, not the held time (let go).
    assert chat("move my haircut to 15:00") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '15:00')} (booking #1)."
    )
    assert statuses() == [("booked", at(day, "15:00"))]
    # Two services named: nothing is acted on by guess (the beard trim was held, not booked).
    assert chat("cancel my haircut and book me a beard trim instead") == (
        "You have no *Beard trim* booked.\nYour upcoming appointments:\n"
        f"• #1 Haircut on {when(day, '15:00')}"
    )


def test_review_cases_act_on_nothing_by_guess(chat):
    day, other = in_order(2, 4)
    chat(f"book a haircut on {named(day)} at 10:00")
    mine = f"Your upcoming appointments:\n• #1 Haircut on {when(day, '10:00')}"
    assert chat("please cancel the beard trim, not the haircut") == (
        f"You have no *Beard trim* booked.\n{mine}"
    )
    son = chat("can my son come instead? he is 12")  # no time: not a move
    assert not son.startswith(("Moved", "When would you like")), son
    assert statuses() == [("booked", at(day, "10:00"))]
    # A move under way: "make it 11:00" moves it, on the day it listed, and books nothing new.
    assert chat(f"move my haircut to {named(other)}").startswith(
        f"Free times for *Haircut* on {long(other)}:"
    )
    assert chat("make it 11:00") == (
        f"Moved ✅ Your *Haircut* is now on {when(other, '11:00')} (booking #1)."
    )
    # Holding a beard trim, "move my haircut" asks when, and "<day> at 5pm" moves the haircut,
    # not the held time (which the customer moved on from: it is let go).
    chat(f"any free time for a beard trim on {named(day)}?")
    assert chat("2").startswith("I'm holding *Beard trim*")
    assert chat("move my haircut").startswith("When would you like your *Haircut*")
    assert chat(f"{named(day)} at 5pm") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '17:00')} (booking #1)."
    )
    assert statuses() == [("booked", at(day, "17:00"))]
    # The state gone, "11am instead" moves the one appointment.
    db.execute("DELETE FROM conversation_state")
    assert chat("Actually, 11am instead") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '11:00')} (booking #1)."
    )
    assert chat("I can't make it at 11, 12pm instead?") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '12:00')} (booking #1)."
    )


def test_asked_whether_a_time_is_free_it_holds_it_and_asks(chat):
    day = upcoming(2)
    month = words.MONTHS_ES[day.month - 1]
    assert chat(f"¿tenéis hueco para un corte el {day.day} de {month} a las 11?") == (
        f"Te guardo *Haircut* el {when(day, '11:00', 'es')} durante 5 minutos. ¿Lo reservo?\n"
        "1. Confirmar\n2. Cambiar hora\n3. Cancelar\nResponde con un número del 1 al 3."
    )
    assert statuses() == [("held", at(day, "11:00"))]
    assert chat("vale, resérvalo") == (
        f"Reservado ✅ *Haircut* el {when(day, '11:00', 'es')} (reserva #1). ¡Hasta pronto!"
    )
    # Right after the booking, a time alone moves it rather than booking a second haircut.
    assert chat("mejor a las 12:30") == (
        f"Cambiada ✅ Tu cita de *Haircut* es ahora el {when(day, '12:30', 'es')} (reserva #1)."
    )
    assert chat("15:00 please") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '15:00')} (booking #1)."
    )
    assert chat("is 16:00 free?").startswith(f"I'm holding *Haircut* on {when(day, '16:00')}")
    assert sorted(statuses()) == [("booked", at(day, "15:00")), ("held", at(day, "16:00"))]


def test_never_mind_lets_a_held_time_go(chat):
    day = upcoming(2)
    chat(f"haircut {named(day)}")
    assert chat("3") == hold_reply(day, "09:30")
    assert chat("actually never mind") == "OK, I've let that time go. Anything else?"
    assert statuses() == []
    assert chat("never mind") == "OK. Anything else I can do for you?"


def option(reply: str, detail: str) -> str:
    """The number of the listed option with this detail."""
    [number] = re.findall(rf"^(\d+)\. .* — {re.escape(detail)}$", reply, re.M)
    return number


def test_move_asks_to_when_and_the_next_message_says(chat):
    day, later = in_order(1, 2)
    chat(f"book a haircut on {named(day)} at 10:00")
    assert chat("I need to change my appointment") == (
        f"When would you like your *Haircut* on {when(day, '10:00')} to be instead? "
        'Tell me a day and time, e.g. "Friday at 17:00".'
    )
    assert chat(f"{named(later)} at 11:30") == (
        f"Moved ✅ Your *Haircut* is now on {when(later, '11:30')} (booking #1)."
    )


# Typing slips and relative dates.


@pytest.mark.parametrize(
    "text",
    [
        "haircutt tmorrow 5pm",
        "hiarcut tomorow at 5pm",
        "book a haircut tommorow at 17:00",
        "can i get a hair cut tomorrow at 5 pm",
    ],
)
def test_typing_slips_are_forgiven(open_daily, chat, text):
    tomorrow = today() + timedelta(days=1)
    assert chat(text) == (
        f"Booked ✅ *Haircut* on {when(tomorrow, '17:00')} (booking #1). See you then!"
    )


def test_the_day_after_tomorrow_and_in_three_days(open_daily, chat):
    assert chat("beard trim the day after tomorrow at 10am").startswith(
        f"Booked ✅ *Beard trim* on {when(today() + timedelta(days=2), '10:00')}"
    )
    assert chat("and another beard trim in 3 days at 11:00").startswith(
        f"Booked ✅ *Beard trim* on {when(today() + timedelta(days=3), '11:00')}"
    )


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("a beard trim in two weeks", 14),
        ("can I get a beard trim in a week?", 7),
        ("una barba en dos semanas", 14),
        ("una barba dentro de 2 semanas", 14),
    ],
)
def test_in_so_many_weeks_lists_that_day(open_daily, chat, text, days):
    day = today() + timedelta(days=days)
    listed = chat(text)
    assert listed.startswith(
        (
            f"Free times for *Beard trim* on {long(day)}:",
            f"Horas libres para *Beard trim* el {long(day, 'es')}:",
        )
    ), listed


@pytest.mark.parametrize("text", ["a beard trim this weekend", "una barba el fin de semana"])
def test_this_weekend_lists_its_saturday(open_daily, chat, text):
    now = today()
    day = now if now.weekday() >= 5 else now + timedelta(days=5 - now.weekday())
    listed = chat(text)  # its free times (none left, late on a Saturday: said so, of that day)
    assert long(day) in listed or long(day, "es") in listed, listed
    assert statuses() == []


@pytest.mark.parametrize(
    "text",
    [
        "a beard trim next week",
        "can I get a beard trim sometime next week?",
        "beard trim next week, any day",
        "una barba la semana que viene",
        "una barba la próxima semana",
    ],
)
def test_next_week_lists_the_first_free_day_of_next_week(app, open_daily, text):
    wednesday = upcoming(2)
    listed = said_at(app, at(wednesday, "11:30"), text)
    monday = wednesday + timedelta(days=5)
    assert listed.startswith(
        (
            f"Free times for **Beard trim** on {long(monday)}:\n1. 09:00\n",
            f"Horas libres para **Beard trim** el {long(monday, 'es')}:\n1. 09:00\n",
        )
    ), listed
    assert statuses() == []


def test_next_week_skips_its_closed_days(app):
    wednesday = upcoming(2)
    db.execute(  # next Monday closed: the week's first free day is its Tuesday
        "UPDATE businesses SET closed_dates = %s::date[]",
        ([wednesday + timedelta(days=5)],),
    )
    listed = said_at(app, at(wednesday, "11:30"), "a haircut next week")
    tuesday = wednesday + timedelta(days=6)
    assert listed.startswith(f"Free times for **Haircut** on {long(tuesday)}:\n1. 09:00\n"), listed


@pytest.mark.parametrize("service", ["1", "haircut"])
def test_next_week_without_a_service_lists_its_first_free_day_once_chosen(app, service):
    wednesday = upcoming(2)
    db.execute(  # next Monday closed: the week's first free day is its Tuesday
        "UPDATE businesses SET closed_dates = %s::date[]",
        ([wednesday + timedelta(days=5)],),
    )
    asked = said_at(app, at(wednesday, "11:30"), "can I come next week?")
    assert asked.startswith("Which service would you like?\n1. Haircut"), asked
    listed = said_at(app, at(wednesday, "11:31"), service)
    tuesday = wednesday + timedelta(days=6)
    assert listed.startswith(f"Free times for **Haircut** on {long(tuesday)}:\n1. 09:00\n"), listed


def test_next_week_at_a_time_lists_that_week_s_times_from_then(app, open_daily):
    wednesday = upcoming(2)
    listed = said_at(app, at(wednesday, "11:30"), "a haircut next week at 10")
    monday = wednesday + timedelta(days=5)
    assert listed.startswith(f"Free times for **Haircut** on {long(monday)}:\n1. 10:00\n"), listed
    assert statuses() == []  # no day said: nothing booked by guess


@pytest.mark.parametrize(
    "text",
    ["a haircut next week on tuesday at 10", "un corte el martes de la semana que viene a las 10"],
)
def test_a_weekday_of_next_week_books_that_day(app, open_daily, text):
    monday = upcoming(0)  # said on a Monday: not tomorrow, the Tuesday of next week
    reply = said_at(app, at(monday, "09:00"), text)
    tuesday = monday + timedelta(days=8)
    assert reply.startswith(("Booked ✅", "Reservado ✅")), reply
    assert booked() == {1: ("Haircut", at(tuesday, "10:00"))}


def test_move_to_next_week_lists_its_first_free_day(app, open_daily):
    wednesday = upcoming(2)
    said_at(app, at(wednesday, "11:30"), "a haircut on friday at 10")
    listed = said_at(app, at(wednesday, "11:31"), "can you move it to next week?")
    monday = wednesday + timedelta(days=5)
    assert listed.startswith(f"Free times for **Haircut** on {long(monday)}:\n1. 09:00\n"), listed
    assert said_at(app, at(wednesday, "11:32"), "2").startswith("Moved ✅"), listed
    assert booked() == {1: ("Haircut", at(monday, "09:15"))}


@pytest.mark.parametrize(
    ("text", "done"),
    [
        ("cancel my appointment next week", "Cancelled: **Haircut** on {when}"),
        ("cancela mi cita de la semana que viene", "Cancelada: **Haircut** el {when_es}"),
        ("I can't make it next week", "No problem. Shall I move your **Haircut** on {when}"),
    ],
)
def test_an_appointment_named_by_next_week_is_the_one_in_that_week(app, open_daily, text, done):
    monday = upcoming(0)
    wednesday, next_wednesday = monday + timedelta(days=2), monday + timedelta(days=9)
    said_at(app, at(monday, "09:00"), f"a beard trim on {named(wednesday)} at 10")
    said_at(app, at(monday, "09:01"), f"a haircut on {named(next_wednesday)} at 10")
    reply = said_at(app, at(monday, "09:05"), text)
    expected = done.format(
        when=when(next_wednesday, "10:00"), when_es=when(next_wednesday, "10:00", "es")
    )
    assert reply.startswith(expected), reply


def test_nothing_booked_next_week_is_said_of_the_week(app, open_daily):
    monday = upcoming(0)
    said_at(app, at(monday, "09:00"), f"a haircut on {named(monday + timedelta(days=2))} at 10")
    reply = said_at(app, at(monday, "09:05"), "cancel my appointment next week")
    week = long(monday + timedelta(days=7))
    assert reply.startswith(f"You have nothing booked in the week of {week}.\n"), reply
    assert len(booked()) == 1


@pytest.mark.parametrize("service", ["1", "haircut"])
def test_this_week_without_a_service_lists_its_first_free_day_left(app, open_daily, service):
    wednesday = upcoming(2)
    asked = said_at(app, at(wednesday, "19:50"), "anything this week?")  # today's times gone
    assert asked.startswith("Which service would you like?\n1. Haircut"), asked
    listed = said_at(app, at(wednesday, "19:51"), service)
    thursday = wednesday + timedelta(days=1)
    assert listed.startswith(f"Free times for **Haircut** on {long(thursday)}:\n1. 09:00\n"), listed
    assert statuses() == []


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("a haircut this week", "Sorry, there are no free times for Haircut this week."),
        ("un corte esta semana", "Lo siento, no hay horas libres para Haircut esta semana."),
    ],
)
def test_this_week_with_no_free_time_left_says_so_and_offers_the_next(app, open_daily, text, full):
    wednesday = upcoming(2)
    db.execute(  # Thursday to Sunday closed, and today's times gone by
        "UPDATE businesses SET closed_dates = %s::date[]",
        ([wednesday + timedelta(days=d) for d in range(1, 5)],),
    )
    listed = said_at(app, at(wednesday, "19:50"), text)
    monday = wednesday + timedelta(days=5)
    assert listed.startswith(
        (
            f"{full}\nFree times for **Haircut** on {long(monday)}:\n1. 09:00\n",
            f"{full}\nHoras libres para **Haircut** el {long(monday, 'es')}:\n1. 09:00\n",
        )
    ), listed
    assert statuses() == []


def test_next_week_with_no_free_time_says_so_of_the_week_and_offers_the_next(app, open_daily):
    wednesday = upcoming(2)
    monday = wednesday + timedelta(days=5)
    db.execute(  # all of next week closed
        "UPDATE businesses SET closed_dates = %s::date[]",
        ([monday + timedelta(days=d) for d in range(7)],),
    )
    listed = said_at(app, at(wednesday, "11:30"), "a haircut next week")
    after = monday + timedelta(days=7)
    assert listed.startswith(
        f"Sorry, there are no free times for Haircut in the week of {long(monday)}.\n"
        f"Free times for **Haircut** on {long(after)}:\n1. 09:00\n"
    ), listed
    assert statuses() == []


@pytest.mark.parametrize(
    "text", ["cancel my appointment this week", "cancela mi cita de esta semana"]
)
def test_an_appointment_named_by_this_week_is_the_one_in_it(app, open_daily, text):
    monday = upcoming(0)
    friday, next_tuesday = monday + timedelta(days=4), monday + timedelta(days=8)
    said_at(app, at(monday, "09:00"), f"a haircut on {named(friday)} at 10")
    said_at(app, at(monday, "09:01"), f"a beard trim on {named(next_tuesday)} at 10")
    reply = said_at(app, at(monday, "09:05"), text)
    assert reply.startswith(
        (f"Cancelled: **Haircut** on {when(friday, '10:00')}", "Cancelada: **Haircut**")
    ), reply
    assert booked() == {2: ("Beard trim", at(next_tuesday, "10:00"))}
    reply = said_at(app, at(monday, "09:06"), "cancel my appointment this week")
    assert reply.startswith("You have nothing booked this week.\n"), reply
    assert len(booked()) == 1


@pytest.mark.parametrize(
    "text",
    [
        "a beard trim the week after next",
        "una barba la semana siguiente a la próxima",
        "una barba la semana después de la que viene",
    ],
)
def test_the_week_after_next_lists_its_first_free_day(app, open_daily, text):
    wednesday = upcoming(2)
    db.execute(  # its Monday closed: the week's first free day is its Tuesday
        "UPDATE businesses SET closed_dates = %s::date[]",
        ([wednesday + timedelta(days=12)],),
    )
    listed = said_at(app, at(wednesday, "11:30"), text)
    tuesday = wednesday + timedelta(days=13)
    assert listed.startswith(
        (
            f"Free times for **Beard trim** on {long(tuesday)}:\n1. 09:00\n",
            f"Horas libres para **Beard trim** el {long(tuesday, 'es')}:\n1. 09:00\n",
        )
    ), listed
    assert statuses() == []


def test_an_appointment_named_by_the_week_after_next_is_the_one_in_it(app, open_daily):
    monday = upcoming(0)
    next_friday, friday_after = monday + timedelta(days=11), monday + timedelta(days=18)
    said_at(app, at(monday, "09:00"), f"a haircut on {named(next_friday)} at 10")
    said_at(app, at(monday, "09:01"), f"a beard trim on {named(friday_after)} at 10")
    reply = said_at(app, at(monday, "09:05"), "cancel my appointment the week after next")
    assert reply.startswith(f"Cancelled: **Beard trim** on {when(friday_after, '10:00')}"), reply
    assert booked() == {1: ("Haircut", at(next_friday, "10:00"))}


# Past days are refused as past, never moved to next year.


def said_at(app, moment: datetime, text: str) -> str:
    """Alex writes `text` at `moment` (not now): the flow's reply."""
    from app import flow

    business_id = businesses.business_id_for_account(
        "whatsapp_number_id", envelopes.PHONE_NUMBER_ID
    )
    customer = db.fetch_one("SELECT * FROM customers WHERE address = %s", (WA_ID,))
    if customer is None:
        customer = db.fetch_one(
            "INSERT INTO customers (business_id, address) VALUES (%s, %s) RETURNING *",
            (business_id, WA_ID),
        )
    with app.app_context():
        business = businesses.get_business(business_id)
        out = flow.run(business, customer, moment, text=text)
        flow.keep(business_id, customer["id"], out.state, moment)
    return out.text


@pytest.mark.parametrize(
    ("text", "lang"), [("a haircut on monday at 10", "en"), ("un corte el lunes a las 10", "es")]
)
def test_today_s_weekday_at_a_time_gone_by_books_next_week(app, open_daily, text, lang):
    monday = upcoming(0)
    text = said_at(app, at(monday, "11:30"), text)  # on a Monday, when its 10:00 has gone by
    next_monday = monday + timedelta(days=7)
    assert text.startswith(("Booked ✅", "Reservado ✅")), text
    assert when(next_monday, "10:00", lang) in text
    assert booked() == {1: ("Haircut", at(next_monday, "10:00"))}


@pytest.mark.parametrize(
    ("text", "lang"), [("a haircut on the {}th at 10", "en"), ("un corte el día {} a las 10", "es")]
)
def test_today_s_day_of_the_month_at_a_time_gone_by_books_next_month(app, open_daily, text, lang):
    day = upcoming(3)
    reply = said_at(app, at(day, "11:30"), text.format(day.day))  # when its 10:00 has gone by
    again = dates.next_month_s(day)
    assert reply.startswith(("Booked ✅", "Reservado ✅")), reply
    assert when(again, "10:00", lang) in reply
    assert booked() == {1: ("Haircut", at(again, "10:00"))}


@pytest.mark.parametrize("text", ["can I come on the {}th for a haircut?", "haircut {weekday}"])
def test_today_named_with_no_time_left_says_it_is_full_and_offers_the_next(app, text):
    day = upcoming(3)  # a Thursday, open until 18:00: nothing left at 17:50
    asked = text.format(day.day, weekday=f"{day:%A}")
    reply = said_at(app, at(day, "17:50"), asked)
    assert reply.startswith(
        f"Sorry, there are no free times for Haircut on {long(day)}.\nThe next free times are:\n"
        f"1. {words.moment_short(at(day + timedelta(days=1), '09:00'), MADRID, 'en')}\n"
    ), reply
    assert statuses() == []


@pytest.mark.parametrize(
    "text",
    [
        "move it to monday at 10",
        "can we do monday at 10 instead?",
        "muévela al lunes a las 10",
        "cámbiala para el lunes a las 10",
    ],
)
def test_a_move_to_today_s_weekday_at_a_time_gone_by_goes_to_next_week(app, open_daily, text):
    monday = upcoming(0)
    said_at(app, at(monday - timedelta(days=3), "11:00"), "a haircut on wednesday at 12")
    moved = said_at(app, at(monday, "11:30"), text)  # on the Monday, when its 10:00 has gone by
    next_monday = monday + timedelta(days=7)
    assert moved.startswith(("Moved ✅", "Cambiada ✅")), moved
    assert booked() == {1: ("Haircut", at(next_monday, "10:00"))}


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("a haircut today at 10", "That time is in the past.\nFree times for"),
        ("is 10am today free for a haircut?", "That time is in the past.\nFree times for"),
        ("un corte hoy a las 10", "Esa hora ya ha pasado.\nHoras libres para"),
    ],
)
def test_a_time_gone_by_today_lists_the_times_still_free(app, open_daily, text, refused):
    day = upcoming(2)
    reply = said_at(app, at(day, "11:30"), text)
    assert reply.startswith(refused), reply
    assert "\n1. 12:30\n" in reply  # the first still free, after the hour's notice
    assert "3. 13:00\n" in reply
    assert statuses() == []
    held = said_at(app, at(day, "11:31"), "3")  # picks from that list
    assert held.startswith(("I'm holding **Haircut**", "Te guardo **Haircut**")), held
    assert statuses() == [("held", at(day, "13:00"))]


def test_yesterday_is_refused(chat):
    yesterday = today() - timedelta(days=1)
    assert chat("book a haircut yesterday at 10am") == (
        f"{long(yesterday)} has already passed. Which day would you like instead?"
    )
    assert appointments() == {}


def test_a_date_gone_by_this_year_is_past_not_next_years(chat):
    gone = today() - timedelta(days=12)
    assert chat(f"haircut on {named(gone)}") == (
        f"{long(gone)} has already passed. Which day would you like instead?"
    )
    assert chat(named(gone)) == (
        f"{long(gone)} has already passed. Which day would you like instead?"
    )


# Questions.


def test_closing_time_of_one_day(chat):
    # A weekday names the next such day, today included (on a Sunday, "sunday" is today and
    # comes before the Saturday named first).
    saturday = today() + timedelta(days=(5 - today().weekday()) % 7)
    assert chat("what about saturday, what time do you close?") == (
        f"On {long(saturday)} we're open 10:00–14:00."
    )
    sunday = today() + timedelta(days=(6 - today().weekday()) % 7)
    assert chat("are you open on sunday?") == f"We're closed on {long(sunday)}."


def test_a_refused_time_offers_others_and_books_nothing(chat):
    day = upcoming(2)
    reply = chat(f"book a haircut on {named(day)} at 13:00")  # the lunch break
    assert reply.startswith("That time is outside opening hours.\nFree times nearby:\n1. ")
    assert appointments() == {}


def test_a_time_the_service_would_run_past_a_close_from_names_that_close(chat):
    day = upcoming(2)  # a Wednesday: open 09:00-13:00 and 14:00-18:00
    chat(f"book a hair coloring on {named(day)} at 10:00")
    reply = chat("move it to 12:00")
    assert reply.startswith(
        "That time is outside opening hours: Hair coloring takes 90 minutes and would run"
        " past 13:00, when we close.\nFree times nearby:\n1. "
    )
    assert "1. 11:00\n2. 11:15\n3. 11:30\n" in reply  # the closest that end by 13:00
    assert booked() == {1: ("Hair coloring", at(day, "10:00"))}
    reply = chat(f"quiero una coloración el {day.day} a las 17:00")
    assert reply.startswith(
        "Esa hora está fuera del horario: Hair coloring dura 90 minutos y terminaría después"
        " de las 18:00, cuando cerramos.\nHoras libres cercanas:\n1. "
    )
    assert len(booked()) == 1


def test_what_it_does_not_understand_it_offers_as_buttons(chat):
    assert chat("blue bananas") == (
        "Sorry, I didn't get that. I can show free times and book, move or cancel "
        "appointments, or tell you our prices and opening hours.\n1. Book a time\n"
        "2. My appointments\n3. Prices & hours\n4. Talk to a person\n"
        "What would you like? Reply with 1–4."
    )
    assert chat("2") == "You have no upcoming appointments."
    assert chat("2") == "I have no list open for that number. What would you like?"


# Spanish, whatever the business's language.


def test_spanish_is_answered_in_spanish(open_daily, chat):
    tomorrow = today() + timedelta(days=1)
    assert chat("¿tenéis hueco mañana por la tarde?") == (
        "¿Qué servicio te gustaría?\n1. Haircut — 30 min, 25.00 EUR\n"
        "2. Beard trim — 15 min, 12.00 EUR\n3. Hair coloring — 90 min, 60.00 EUR\n"
        "Responde con un número del 1 al 3."
    )
    times = "14:00 14:15 14:30 14:45 15:00 15:15 15:30 15:45 16:00".split()
    listed = "\n".join(f"{n}. {t}" for n, t in enumerate(times, 1))
    assert chat("1") == (
        f"Horas libres para *Haircut* el {long(tomorrow, 'es')}:\n{listed}\n"
        "10. Más tarde — 14 más hasta las 19:30\n"
        "¿Cuál te viene bien? Responde con un número del 1 al 10."
    )
    assert chat("la primera") == (
        f"Te guardo *Haircut* el {when(tomorrow, '14:00', 'es')} durante 5 minutos. "
        "¿Lo reservo?\n1. Confirmar\n2. Cambiar hora\n3. Cancelar\n"
        "Responde con un número del 1 al 3."
    )
    assert chat("sí") == (
        f"Reservado ✅ *Haircut* el {when(tomorrow, '14:00', 'es')} (reserva #1). ¡Hasta pronto!"
    )
    assert chat("cancela mi cita") == (
        f"Cancelada: *Haircut* el {when(tomorrow, '14:00', 'es')} (reserva #1)."
    )


def test_spanish_booking_with_a_slip_and_a_spanish_date(chat):
    day = upcoming(2)
    month = words.MONTHS_ES[day.month - 1]
    assert chat(f"quiero un corte el {day.day} de {month} a las 10 de la mañna") == (
        f"Reservado ✅ *Haircut* el {when(day, '10:00', 'es')} (reserva #1). ¡Hasta pronto!"
    )
    assert chat("¿qué tengo reservado?") == (
        f"Tus próximas citas:\n• #1 Haircut el {when(day, '10:00', 'es')}"
    )
    assert chat("retrásala media hora") == (
        f"Cambiada ✅ Tu cita de *Haircut* es ahora el {when(day, '10:30', 'es')} (reserva #1)."
    )
    yesterday = today() - timedelta(days=1)
    assert chat("y otro corte ayer a las 11") == (
        f"El {long(yesterday, 'es')} ya ha pasado. ¿Qué otro día te viene bien?"
    )


def test_the_language_follows_the_customer(chat):
    assert chat("hola").startswith("¡Hola Alex! Te damos la bienvenida a Demo Salon.")
    assert chat("2") == "No tengo ninguna lista abierta para ese número. ¿Qué te gustaría?"
    assert chat("hello").startswith("Hi Alex! Welcome to Demo Salon.")


def test_the_state_expires(chat):
    day = upcoming(2)
    chat(f"haircut on {named(day)}")
    db.execute("UPDATE conversation_state SET expires_at = %s", (datetime.now(UTC),))
    assert chat("2") == "I have no list open for that number. What would you like?"


def test_a_flow_failure_still_answers_and_is_recorded(chat, monkeypatch):
    from app.agent.loop import APOLOGY
    from app.flow import engine

    def broken(*args):
        raise RuntimeError("Key (address)=(34600111222) already exists.")

    monkeypatch.setattr(engine, "on_text", broken)
    assert chat("hello") == APOLOGY
    turn = db.fetch_one("SELECT status, error FROM turns ORDER BY id DESC LIMIT 1")
    # Its type only: the text may quote the customer, and the error goes to traces.
    assert turn == {"status": "failed", "error": "flow: RuntimeError"}


def test_a_turn_run_again_after_its_reply_failed_repeats_what_it_did(
    app, chat, post_webhook, drain, monkeypatch
):
    """Where the talk is, is kept with the reply: a turn run again after its reply's transaction
    failed picks the listed time again, never the Confirm it led to."""
    from app import bot, outbox

    day = upcoming(2)
    chat(f"haircut on {named(day)}")
    assert post_webhook(envelopes.text("1", wa_id=WA_ID)).status_code == 200
    customer = db.fetch_one("SELECT id, business_id FROM customers WHERE address = %s", (WA_ID,))
    queue = outbox.queue

    def lost_once(*args, **kwargs):
        monkeypatch.setattr(outbox, "queue", queue)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(outbox, "queue", lost_once)
    with app.app_context():
        with pytest.raises(RuntimeError):
            bot.run_turn(customer["business_id"], customer["id"])
        bot.run_turn(customer["business_id"], customer["id"])  # its job, retried
    drain()
    assert statuses() == [("held", at(day, "09:00"))]
    assert recorded()[-1] == hold_reply(day, "09:00")


# Review cases: what a customer names (a time, a date with its weekday, a day of the month) is
# what is booked, moved or cancelled; nothing else is acted on.


def test_a_cancel_that_names_a_time_cancels_that_appointment(open_daily, chat):
    five, ten = upcoming(3), upcoming(1)
    chat(f"haircut {named(five)} at 5pm")
    chat(f"haircut {named(ten)} at 10")  # the one just booked, and "it" below is not it
    assert chat("please cancel the 5pm one, I can't make it") == (
        f"Cancelled: *Haircut* on {when(five, '17:00')} (booking #1)."
    )
    assert sorted(statuses()) == sorted(
        [("cancelled", at(five, "17:00")), ("booked", at(ten, "10:00"))]
    )


def test_a_cancel_that_names_another_time_cancels_nothing(open_daily, chat):
    day = upcoming(2)
    chat(f"haircut {named(day)} at 10")
    chat("thanks")
    assert chat(f"cancel my 3pm on {day:%A}") == (
        f"You have nothing booked on {when(day, '15:00')}.\nYour upcoming appointments:\n"
        f"• #1 Haircut on {when(day, '10:00')}"
    )
    assert chat("cancel my 3pm") == (
        "You have nothing booked at 15:00.\nYour upcoming appointments:\n"
        f"• #1 Haircut on {when(day, '10:00')}"
    )
    assert statuses() == [("booked", at(day, "10:00"))]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_weekday_with_a_date_books_the_date(open_daily, chat, lang):
    day = upcoming(5) + timedelta(days=14)  # a Saturday two weeks after the next one
    if lang == "en":
        reply = chat(f"haircut {day:%A} {named(day)} at 10")
    else:
        reply = chat(f"quiero un corte el sábado {day.day} de {MONTHS_ES[day.month - 1]} a las 10")
    assert reply.startswith(("Booked ✅", "Reservado ✅")), reply
    assert statuses() == [("booked", at(day, "10:00"))]


def test_a_weekday_that_is_not_the_date_books_nothing_and_lists_the_date(open_daily, chat):
    day = upcoming(5) + timedelta(days=14)  # a Saturday, called Friday
    listed = chat(f"haircut Friday {named(day)} at 10")  # its times from 10:00, to tap
    assert listed.startswith(f"Free times for *Haircut* on {long(day)}:\n1. 10:00\n"), listed
    assert statuses() == []


def test_a_day_of_the_month_alone_is_that_day(open_daily, chat):
    day = today() + timedelta(days=9)
    while day.day in (1, 2, 3, 21, 22, 23, 31):
        day += timedelta(days=1)
    assert chat(f"can I book a haircut on the {day.day}th at 5pm?") == (
        f"Booked ✅ *Haircut* on {when(day, '17:00')} (booking #1). See you then!"
    )


def test_half_past_and_y_media_are_on_the_half_hour(open_daily, chat):
    day = upcoming(2)
    reply = chat(f"un corte el {day.day} de {MONTHS_ES[day.month - 1]} a las 5 y media")
    assert reply.startswith("Reservado ✅"), reply
    assert chat(f"and a beard trim on {named(day)} at half past 6").startswith("Booked ✅")
    assert sorted(statuses()) == [("booked", at(day, "17:30")), ("booked", at(day, "18:30"))]


@pytest.mark.parametrize(
    ("asked", "hhmm"),
    [
        ("a haircut on {day} at half past four", "16:30"),
        ("can I get a haircut on {day} at four?", "16:00"),
        ("un corte el {dia} a las cinco", "17:00"),
        ("un corte el {dia} a la una", "13:00"),
    ],
)
def test_an_hour_in_words_books_that_hour(open_daily, chat, asked, hhmm):
    day = upcoming(2)
    dia = f"{day.day} de {MONTHS_ES[day.month - 1]}"
    reply = chat(asked.format(day=named(day), dia=dia))
    assert reply.startswith(("Booked ✅", "Reservado ✅")), reply
    assert statuses() == [("booked", at(day, hhmm))]


def test_five_instead_of_noon_moves_to_five(open_daily, chat):
    day = upcoming(2)
    chat(f"haircut {named(day)} at noon")
    assert statuses() == [("booked", at(day, "12:00"))]
    assert chat("can we do 5 instead of noon?") == (
        f"Moved ✅ Your *Haircut* is now on {when(day, '17:00')} (booking #1)."
    )
    # A move to the time it has says so, and not that it moved.
    assert chat("make it 17:00") == (
        f"You already have *Haircut* on {when(day, '17:00')} (booking #1). See you then!"
    )
    assert statuses() == [("booked", at(day, "17:00"))]


def test_a_new_booking_with_a_fallback_time_moves_nothing(open_daily, chat):
    first, second = in_order(1, 4)
    chat(f"haircut {named(first)} at 10")
    assert chat(
        f"Can I book another haircut for my son on {named(second)} at 5pm?"
        " If not, an hour later is fine"
    ) == (f"Booked ✅ *Haircut* on {when(second, '17:00')} (booking #2). See you then!")
    assert sorted(statuses()) == [("booked", at(first, "10:00")), ("booked", at(second, "17:00"))]
    # Arriving early is not a move either.
    assert not chat("llegaré 15 minutos antes").startswith("Cambiada")
    assert sorted(statuses()) == [("booked", at(first, "10:00")), ("booked", at(second, "17:00"))]


def test_another_day_instead_moves_what_was_just_booked(open_daily, chat):
    # The weekday named is the next one of its name: four days on, two after the booking.
    booked, instead = today() + timedelta(days=2), today() + timedelta(days=4)
    chat(f"haircut {named(booked)} at 10")
    listed = chat(f"could we do {instead:%A} instead?")
    assert listed.startswith(f"Free times for *Haircut* on {long(instead)}:\n1. 09:00\n"), listed
    assert chat("11:00") == (
        f"Moved ✅ Your *Haircut* is now on {when(instead, '11:00')} (booking #1)."
    )
    assert statuses() == [("booked", at(instead, "11:00"))]


@pytest.mark.parametrize(
    "asked",
    ["can we do {day} same time?", "same time on {day} please", "¿el {dia} a la misma hora?"],
)
def test_another_day_at_the_same_time_moves_what_was_just_booked(open_daily, chat, asked):
    booked, other = upcoming(1), upcoming(3)
    chat(f"haircut {named(booked)} at 10")
    dia = f"{other.day} de {MONTHS_ES[other.month - 1]}"
    moved = chat(asked.format(day=named(other), dia=dia))
    assert moved.startswith(("Moved ✅", "Cambiada ✅")), moved
    assert statuses() == [("booked", at(other, "10:00"))]


@pytest.mark.parametrize(
    "said",
    [
        "I can't make it on the {a}, can we do the {b} at 11?",
        "I can't make it at 10 on the {a}, could we do the {b} at 11 instead?",
        "el {a} no puedo, ¿el {b} a las 11?",
    ],
)
def test_cant_make_it_with_another_day_moves_there(open_daily, chat, said):
    old, new = upcoming(1), upcoming(3)
    chat(f"haircut {named(old)} at 10")
    english = said.startswith("I")
    a, b = (f"{d.day}{'th' if english else ''}" for d in (old, new))
    moved = chat(said.format(a=a, b=b))
    assert moved.startswith(("Moved ✅", "Cambiada ✅")), moved
    assert statuses() == [("booked", at(new, "11:00"))]


def test_i_cant_come_offers_to_move_or_cancel(open_daily, chat):
    tomorrow = today() + timedelta(days=1)
    chat(f"corte el {tomorrow.day} de {MONTHS_ES[tomorrow.month - 1]} a las 17:00")
    assert chat("no puedo venir mañana").startswith("Sin problema. ¿Cambio tu cita")
    assert chat("sorry, I can't come tomorrow at 5").startswith(
        f"No problem. Shall I move your *Haircut* on {when(tomorrow, '17:00')}"
    )
    assert statuses() == [("booked", at(tomorrow, "17:00"))]


# A time held and waiting for Confirm is what "cancel that", "change the time", "ok thanks" and
# 👍 are about; a reminder's choices are what "1" or "yes" answer.


def hold_a_beard_trim_beside_a_booked_haircut(chat) -> tuple[date, date]:
    """A haircut booked on one day at 10:00, then a beard trim held the next day at 09:30."""
    tue, wed = in_order(1, 2)
    chat(f"haircut {named(tue)} at 10")
    chat(f"beard trim on {named(wed)}")
    assert chat("3").startswith(f"I'm holding *Beard trim* on {when(wed, '09:30')}")
    return tue, wed


@pytest.mark.parametrize("text", ["no, cancel that", "cancel it please", "cancélala"])
def test_a_cancel_said_to_a_held_time_lets_it_go(open_daily, chat, text):
    tue, _ = hold_a_beard_trim_beside_a_booked_haircut(chat)
    assert chat(text) in (
        "OK, I've let that time go. Anything else?",
        "Vale, he liberado esa hora. ¿Algo más?",
    )
    assert booked() == {1: ("Haircut", at(tue, "10:00"))}
    assert [r["status"] for r in appointments().values()] == ["booked"]  # the hold is gone


def test_change_the_time_said_to_a_held_time_lists_its_day_again(open_daily, chat):
    tue, wed = hold_a_beard_trim_beside_a_booked_haircut(chat)
    listed = chat("can I change the time?")
    assert listed.startswith(f"Free times for *Beard trim* on {long(wed)}:\n"), listed
    assert chat("11:30").startswith(f"Booked ✅ *Beard trim* on {when(wed, '11:30')}")
    assert booked() == {1: ("Haircut", at(tue, "10:00")), 3: ("Beard trim", at(wed, "11:30"))}


@pytest.mark.parametrize(
    "change, then", [("actually make it a beard trim", "yes"), ("no wait, Friday", "ok")]
)
def test_a_changed_mind_lets_the_held_time_go(open_daily, chat, change, then):
    tue = upcoming(1)
    chat(f"haircut on {named(tue)}")
    assert chat("3").startswith("I'm holding *Haircut*")
    assert chat(change).startswith("Free times for ")
    assert chat(then) == "OK. Anything else I can do for you?"
    assert appointments() == {}  # the held haircut went when the customer moved on


@pytest.mark.parametrize("text", ["ok thanks", "perfect thanks!", "vale gracias", "👍"])
def test_ok_thanks_or_a_thumbs_up_to_a_held_time_books_it(open_daily, chat, text):
    tue = upcoming(1)
    chat(f"haircut on {named(tue)}")
    assert chat("3").startswith("I'm holding *Haircut*")
    assert chat(text).startswith(("Booked ✅", "Reservado ✅"))
    assert statuses() == [("booked", at(tue, "09:30"))]


@pytest.mark.parametrize("wave", ["👋", "👋🏽", "🙋‍♀️"])
def test_a_wave_is_a_greeting(chat, wave):
    assert chat(wave).startswith("Hi Alex! Welcome to Demo Salon.")


def test_emoji_are_never_a_miss_that_hands_off(open_daily, chat):
    chat(f"haircut {named(upcoming(1))} at 10")
    assert chat("👍") == "OK. Anything else I can do for you?"
    assert chat("❤️").startswith("You're welcome, Alex!")
    assert chat("👍") == "OK. Anything else I can do for you?"
    assert db.fetch_one("SELECT bot_paused FROM customers")["bot_paused"] is False


@pytest.fixture
def reminded(app, drain, chat):
    """A haircut booked at 12:00, its 2-hour reminder sent hours later (in mock mode, as text
    ending "Reply with 1–3"); the appointment's id."""
    from app import reminders

    chat(f"haircut {named(upcoming(1))} at 12")
    db.execute("DELETE FROM conversation_state")  # hours later: the flow forgot the talk
    row = db.fetch_one("SELECT id, starts_at FROM appointments")
    before = len(recorded())
    with app.app_context():
        assert reminders.fire(row["id"], 120, now=row["starts_at"] - timedelta(hours=2)) == "queued"
    drain()
    [sent] = recorded()[before:]
    assert sent.endswith("1. Confirm\n2. Change\n3. Cancel\nReply with 1–3."), sent
    return row["id"]


@pytest.mark.parametrize("text", ["1", "Confirm", "yes I'll be there", "sí, allí estaré"])
def test_a_typed_reply_to_a_reminder_confirms_the_appointment(reminded, chat, text):
    assert chat(text).startswith(("Thanks Alex! Your *Haircut*", "¡Gracias Alex! Tu cita"))
    row = db.fetch_one("SELECT confirmed_at FROM appointments WHERE id = %s", (reminded,))
    assert row["confirmed_at"] is not None


@pytest.mark.parametrize("between", ["what services do you have?", "thanks"])
def test_a_reply_to_a_reminder_after_another_message_is_not_its_answer(reminded, chat, between):
    """Once the bot said something else, "1" is no longer the reminder's Confirm, nor "3" its
    Cancel."""
    chat(between)
    for number in ("1", "3"):
        assert chat(number) == "I have no list open for that number. What would you like?"
    row = db.fetch_one("SELECT status, confirmed_at FROM appointments WHERE id = %s", (reminded,))
    assert (row["status"], row["confirmed_at"]) == ("booked", None)


@pytest.mark.parametrize("open_before", ["a list of times", "a held time"])
@pytest.mark.parametrize("text", ["1", "yes I'll be there"])
def test_a_reply_to_a_reminder_answers_it_whatever_was_open_before(
    app, drain, chat, open_before, text
):
    """The reminder came within the two hours the flow remembers an open list (or a held time,
    waiting for "yes"): it is the last thing said, so "1" or "yes" answer it."""
    from app import reminders

    chat(f"haircut {named(upcoming(1))} at 12")
    listed = chat(f"what times for a beard trim on {named(upcoming(2))}?")
    assert "Free times for *Beard trim*" in listed, listed
    if open_before == "a held time":
        assert "Shall I book it?" in chat("1")
    row = db.fetch_one("SELECT id, starts_at FROM appointments WHERE status = 'booked'")
    with app.app_context():
        assert reminders.fire(row["id"], 120, now=row["starts_at"] - timedelta(hours=2)) == "queued"
    drain()
    assert chat(text).startswith("Thanks Alex! Your *Haircut*")
    booked_now = db.fetch_all("SELECT id, confirmed_at FROM appointments WHERE status = 'booked'")
    assert [(r["id"], r["confirmed_at"] is not None) for r in booked_now] == [(row["id"], True)]


@pytest.mark.parametrize("answer", ["1", "yes I'll be there", "its Confirm tapped"])
def test_answering_a_reminder_lets_the_time_held_before_it_go(
    app, drain, chat, post_webhook, answer
):
    """Alex taps a time, held for him (the last seat), then the reminder of his haircut comes and
    he answers it: the held time is given up, so its seat is another customer's at once, not
    only once the hold expires (SLOT_HOLD_SECONDS), and a later "ok thanks" to the reminder's
    answer cannot book it."""
    from app import reminders

    db.execute("UPDATE businesses SET max_concurrent = 1")
    chat(f"haircut {named(upcoming(1))} at 12")
    wed = upcoming(2)
    business_id, beard_trim = hold_beard_trim(post_webhook, drain, wed)
    assert [r["status"] for r in appointments().values()] == ["booked", "held"]
    row = db.fetch_one("SELECT id, starts_at FROM appointments WHERE status = 'booked'")
    with app.app_context():
        assert reminders.fire(row["id"], 120, now=row["starts_at"] - timedelta(hours=2)) == "queued"
    drain()

    if answer == "its Confirm tapped":
        confirm = ids.reminder("confirm", row["id"], row["starts_at"])
        reply = tap(post_webhook, drain, confirm, "Confirm", "button_reply")
    else:
        reply = chat(answer)
    assert reply.startswith("Thanks Alex! Your *Haircut*")
    confirmed = db.fetch_one("SELECT confirmed_at FROM appointments WHERE id = %s", (row["id"],))
    assert confirmed["confirmed_at"] is not None
    assert [r["status"] for r in appointments().values()] == ["booked"]  # the hold is gone
    assert chat("ok thanks") == "OK. Anything else I can do for you?"
    assert_seat_free(app, business_id, beard_trim, at(wed, "10:00"))


@pytest.mark.parametrize(
    "action, text",
    [
        ("cancel", ""),  # tapped
        ("move", ""),
        ("cancel", "cancel my haircut"),
        ("cancel", "cancela mi corte"),
        ("move", "move my haircut to {fri} at 12"),
        ("move", "cambia mi corte al {fri_es} a las 12"),
    ],
)
def test_cancelling_or_moving_an_appointment_lets_the_time_held_before_it_go(
    app, drain, chat, post_webhook, action, text
):
    """Alex taps a time, held for him (the last seat), then cancels or moves his haircut: by
    tapping Cancel or Move on it, from the list of his appointments (no `text`), or in words,
    in English or Spanish. The held time is given up, so its seat is another customer's at
    once, not only once the hold expires (SLOT_HOLD_SECONDS), and a later "ok thanks" cannot
    book it."""

    db.execute("UPDATE businesses SET max_concurrent = 1")
    tue, wed, fri = in_order(1, 2, 4)
    chat(f"haircut {named(tue)} at 12")
    business_id, beard_trim = hold_beard_trim(post_webhook, drain, wed)
    haircut = db.fetch_one("SELECT id FROM appointments WHERE status = 'booked'")["id"]

    spanish = text.startswith(("cancela ", "cambia "))
    lang = "es" if spanish else "en"
    if not text:
        reply = tap(post_webhook, drain, ids.appointment(action, haircut), "Tue 12:00")
    else:
        fri_es = f"{fri.day} de {MONTHS_ES[fri.month - 1]}"
        reply = chat(text.format(fri=named(fri), fri_es=fri_es))
    ours = appointments()[haircut]
    if action == "cancel":
        assert reply == (
            f"Cancelada: *Haircut* el {when(tue, '12:00', lang)} (reserva #{haircut})."
            if spanish
            else f"Cancelled: *Haircut* on {when(tue, '12:00')} (booking #{haircut})."
        )
        assert ours["status"] == "cancelled"
    elif not text:
        assert reply.startswith(f"When would you like your *Haircut* on {when(tue, '12:00')}")
        assert (ours["status"], ours["starts_at"]) == ("booked", at(tue, "12:00"))
    else:
        assert reply.startswith(
            f"Cambiada ✅ Tu cita de *Haircut* es ahora el {when(fri, '12:00', lang)}"
            if spanish
            else f"Moved ✅ Your *Haircut* is now on {when(fri, '12:00')}"
        ), reply
        assert (ours["status"], ours["starts_at"]) == ("booked", at(fri, "12:00"))
    if spanish:
        assert chat("vale gracias") == "Vale. ¿Puedo ayudarte en algo más?"
    else:
        assert chat("ok thanks") == "OK. Anything else I can do for you?"
    assert not [r for r in appointments().values() if r["service"] == "Beard trim"]
    assert_seat_free(app, business_id, beard_trim, at(wed, "10:00"))


@pytest.mark.parametrize(
    "text, question",
    [
        ("cancel my appointment", "Which one should I cancel?"),
        ("move my appointment", "Which one should I move?"),
        ("cancela mi cita", "¿Cuál quieres cancelar?"),
        ("cambia mi cita", "¿Cuál quieres cambiar?"),
    ],
)
def test_asking_which_appointment_to_cancel_or_move_lets_the_time_held_before_it_go(
    app, drain, chat, post_webhook, text, question
):
    """Alex has two haircuts booked and taps a beard trim's time, held for him (the last seat),
    then asks to cancel or move "my appointment", in English or Spanish: the flow asks which of
    the two (the held time is not one of them: only booked appointments are listed). He has
    moved on from the held time, so it is given up there and then: a later "ok thanks" cannot
    book it, and its seat is another customer's at once."""

    db.execute("UPDATE businesses SET max_concurrent = 1")
    tue, wed, thu = in_order(1, 2, 3)
    chat(f"haircut {named(tue)} at 12")
    chat(f"haircut {named(thu)} at 12")
    business_id, beard_trim = hold_beard_trim(post_webhook, drain, wed)
    haircuts = {i: r["starts_at"] for i, r in appointments().items() if r["status"] == "booked"}
    assert sorted(haircuts.values()) == [at(tue, "12:00"), at(thu, "12:00")]

    assert chat(text).startswith(question)
    assert not [r for r in appointments().values() if r["status"] == "held"]
    if text.startswith(("cancela ", "cambia ")):
        chat("vale gracias")
    else:
        chat("ok thanks")
    assert not [r for r in appointments().values() if r["service"] == "Beard trim"]
    assert {i: r["starts_at"] for i, r in appointments().items() if r["status"] == "booked"} == (
        haircuts
    )
    assert_seat_free(app, business_id, beard_trim, at(wed, "10:00"))


@pytest.mark.parametrize("button", ["its Cancel", "its Move", "a time of its move list"])
def test_a_button_of_an_appointment_cancelled_since_keeps_the_time_held(
    app, drain, chat, post_webhook, button
):
    """Alex cancels his haircut, taps a time, held for him (the last seat), then taps a button
    about the haircut in an older message: there is no such appointment any more, and nothing
    he did moves him away from the held time, so it stays held: its seat is his, and a later
    "ok thanks" books it."""
    db.execute("UPDATE businesses SET max_concurrent = 1")
    tue, wed = in_order(1, 2)
    chat(f"haircut {named(tue)} at 12")
    haircut = db.fetch_one("SELECT id FROM appointments WHERE status = 'booked'")["id"]
    assert chat("cancel my haircut").startswith("Cancelled: *Haircut*")
    business_id, beard_trim = hold_beard_trim(post_webhook, drain, wed)
    stale = {
        "its Cancel": ids.appointment("cancel", haircut),
        "its Move": ids.appointment("move", haircut),
        "a time of its move list": ids.move_to(haircut, at(tue, "13:00")),
    }[button]

    assert tap(post_webhook, drain, stale, "Tue 12:00") == "No such appointment."
    assert statuses() == [("cancelled", at(tue, "12:00")), ("held", at(wed, "10:00"))]
    assert_seat_held(app, business_id, beard_trim, at(wed, "10:00"))
    assert chat("ok thanks").startswith(f"Booked ✅ *Beard trim* on {when(wed, '10:00')}")


@pytest.mark.parametrize("asked", ["typed", "tapped"])
def test_asking_for_a_person_keeps_the_time_held(app, drain, chat, post_webhook, asked):
    """Alex taps a time, held for him (the last seat), then asks for a person, in words or by
    an older message's "Talk to a person": the team can book it for him, so the held time stays
    held (it still expires on its own, SLOT_HOLD_SECONDS) and its seat is his meanwhile."""
    db.execute("UPDATE businesses SET max_concurrent = 1")
    wed = upcoming(2)
    business_id, beard_trim = hold_beard_trim(post_webhook, drain, wed)

    if asked == "typed":
        reply = chat("talk to a person please")
    else:
        reply = tap(post_webhook, drain, ids.HANDOFF, "Talk to a person")
    assert reply.startswith("Thanks! I've asked the team to answer you here, in this chat.")
    assert db.fetch_one("SELECT bot_paused FROM customers")["bot_paused"] is True
    assert statuses() == [("held", at(wed, "10:00"))]
    assert_seat_held(app, business_id, beard_trim, at(wed, "10:00"))


def test_a_reminder_that_was_never_sent_is_not_what_a_reply_answers(app, chat):
    """A reminder withdrawn or refused (its window closed, no template) never reached the
    customer: their "1" answers the list they last saw, not the reminder's Confirm."""
    from app import reminders

    chat(f"haircut {named(upcoming(1))} at 12")
    db.execute("DELETE FROM conversation_state")
    row = db.fetch_one("SELECT id, starts_at FROM appointments")
    with app.app_context():
        assert reminders.fire(row["id"], 120, now=row["starts_at"] - timedelta(hours=2)) == "queued"
    db.execute(
        "UPDATE messages SET status = 'failed', send_error = 'window_closed'"
        " WHERE id = (SELECT max(id) FROM messages WHERE direction = 'out')"
    )
    assert chat("1") == "I have no list open for that number. What would you like?"
    row = db.fetch_one("SELECT status, confirmed_at FROM appointments WHERE id = %s", (row["id"],))
    assert (row["status"], row["confirmed_at"]) == ("booked", None)


def test_cancel_the_second_one_after_listing_appointments(open_daily, chat):
    tue, wed = in_order(1, 2)
    chat(f"haircut {named(tue)} at 10")
    chat(f"beard trim {named(wed)} at 11")
    assert chat("my appointments").startswith("Your upcoming appointments:")
    assert chat("cancel the second one") == (
        f"Cancelled: *Beard trim* on {when(wed, '11:00')} (booking #2)."
    )
    assert booked() == {1: ("Haircut", at(tue, "10:00"))}


def test_on_the_2nd_is_a_day_not_the_second_appointment(open_daily, chat):
    first = (today().replace(day=1) + timedelta(days=32)).replace(day=2)
    later = first + timedelta(days=5)
    chat(f"haircut {named(first)} at 10")
    chat(f"beard trim {named(later)} at 11")
    chat("thanks")
    assert chat("please cancel my appointment on the 2nd") == (
        f"Cancelled: *Haircut* on {when(first, '10:00')} (booking #1)."
    )
    assert booked() == {2: ("Beard trim", at(later, "11:00"))}


def test_cancel_my_appointment_while_a_time_is_held_cancels_the_booked_one(open_daily, chat):
    """ "My appointment" is a booked one, not the time held and waiting (expired or not)."""
    tue, wed = hold_a_beard_trim_beside_a_booked_haircut(chat)
    db.execute(
        "UPDATE appointments SET hold_expires_at = now() - interval '1 minute'"
        " WHERE status = 'held'"
    )
    assert chat("I need to cancel my appointment please") == (
        f"Cancelled: *Haircut* on {when(tue, '10:00')} (booking #1)."
    )


def test_how_much_is_it_while_a_time_is_held_is_that_service_s_price(chat):
    day = upcoming(2)
    chat(f"beard trim {named(day)}")
    assert chat("3").startswith("I'm holding *Beard trim*")
    assert chat("how much is it?") == "*Beard trim* takes 15 min and costs 12.00 EUR."


# Spain's Spanish, and what a customer turns down.


@pytest.mark.parametrize(
    "text",
    [
        "cambia mi cita del martes al jueves a las 12",
        "quiero cambiar la cita del martes a las 10 al jueves a las 12",
        "move my tuesday appointment to thursday at 12",
        "pásame la cita al jueves a las 12",
        "¿me puedes pasar la cita al jueves a las 12?",
    ],
)
def test_a_move_from_one_day_to_another_goes_to_the_new_day(open_daily, chat, text):
    tue, thu = upcoming(1), upcoming(3)
    chat(f"corte el {tue.day} de {MONTHS_ES[tue.month - 1]} a las 10")
    assert chat(text).startswith(("Moved ✅", "Cambiada ✅"))
    assert booked() == {1: ("Haircut", at(thu, "12:00"))}


@pytest.mark.parametrize(
    "text",
    ["a las 10 no me viene bien", "no, a las 10 no", "las 10 no me va bien", "a las diez no"],
)
def test_a_time_turned_down_is_not_booked(open_daily, chat, text):
    day = upcoming(1)
    chat(f"corte el {day.day} de {MONTHS_ES[day.month - 1]}")
    chat(text)
    assert statuses() == []


def test_a_day_turned_down_gives_way_to_the_one_preferred(open_daily, chat):
    tue, thu = upcoming(1), upcoming(3)
    chat(f"corte el {tue.day} de {MONTHS_ES[tue.month - 1]} a las 10")
    assert chat("no, el martes no, mejor el jueves").startswith(
        f"Horas libres para *Haircut* el {long(thu, 'es')}"
    )


def test_spanish_for_the_8th_and_for_cancel_it_and_i_cant(open_daily, chat):
    day, tomorrow = upcoming(1), today() + timedelta(days=1)
    assert chat(f"corte el {day.day} a las 10").startswith(
        f"Reservado ✅ *Haircut* el {when(day, '10:00', 'es')}"
    )
    assert chat("anúlala").startswith("Cancelada: *Haircut*")
    chat(f"corte el {tomorrow.day} de {MONTHS_ES[tomorrow.month - 1]} a las 17:00")
    assert chat("mañana no puedo").startswith("Sin problema. ¿Cambio tu cita de *Haircut*")


@pytest.mark.parametrize(
    "text",
    [
        "¿estáis abiertos el sábado?",
        "¿a qué hora abre el sábado?",
        "¿a qué hora cierra la peluquería el sábado?",
    ],
)
def test_spanish_opening_hours_questions(chat, text):
    assert "10:00 a 14:00" in chat(text)  # the demo salon's Saturday


def test_two_appointments_at_one_time_are_told_apart_when_asked_which(open_daily, chat):
    day = upcoming(1)
    chat(f"haircut on {named(day)} at 10")
    chat(f"beard trim on {named(day)} at 10")
    asked = chat(f"cancel my appointment on {named(day)}")
    moment = words.moment_short(at(day, "10:00"), MADRID, "en")
    assert f"1. {moment} Haircut" in asked and f"2. {moment} Beard trim" in asked, asked


def test_a_closed_day_offers_the_nearest_free_times(chat):
    sunday = upcoming(6)  # the demo salon is closed on Sundays
    monday = sunday + timedelta(days=1)
    closed = chat(f"haircut {named(sunday)} at 11")
    first = words.moment_short(at(monday, "09:00"), MADRID, "en")
    assert closed.startswith(f"The business is closed that day.\nFree times nearby:\n1. {first}")
    assert statuses() == []


@pytest.mark.parametrize(
    ("asked", "service", "reply"),
    [
        ("can I come on {day} at 4?", "beard please", "Booked ✅ *Beard trim* on {day} at 16:00"),
        ("can I come on {day} at 4?", "a haircut", "Booked ✅ *Haircut* on {day} at 16:00"),
        (
            "quiero una cita el {dia} a las cinco",
            "barba",
            "Reservado ✅ *Beard trim* el {es} a las 17:00",
        ),
        (
            "anything on {day} after 4?",
            "beard",
            "Free times for *Beard trim* on {day}:\n1. 16:00\n",
        ),
    ],
)
def test_the_service_typed_when_asked_keeps_the_day_and_time(
    open_daily, chat, asked, service, reply
):
    day = upcoming(2)
    said = {"day": long(day), "es": long(day, "es")}
    dia = f"{day.day} de {MONTHS_ES[day.month - 1]}"
    assert chat(asked.format(day=named(day), dia=dia)).startswith(
        ("Which service", "¿Qué servicio")
    )
    assert chat(service).startswith(reply.format(**said))


def test_every_service_is_offered_when_the_flow_asks_which(open_daily, chat):
    business = db.fetch_one("SELECT id FROM businesses LIMIT 1")["id"]
    for n in range(4, 13):
        db.execute(
            "INSERT INTO services (business_id, name, duration_minutes, price, position)"
            " VALUES (%s, %s, 30, 20, %s)",
            (business, f"Treatment {n}", n),
        )
    asked = chat("¿tenéis hueco el jueves por la tarde?")
    assert "\n12. Treatment 12" in asked and asked.endswith("Responde con un número del 1 al 12.")


def test_turning_a_time_down_and_picking_in_spanish(open_daily, chat):
    day = upcoming(1)
    chat(f"corte el {day.day} de {MONTHS_ES[day.month - 1]}")
    assert chat("el 2 por favor").startswith(f"Te guardo *Haircut* el {when(day, '09:15', 'es')}")
    assert chat("no puedo") == "Vale, he liberado esa hora. ¿Algo más?"
    chat(f"corte el {day.day} de {MONTHS_ES[day.month - 1]}")
    assert chat("a las 10 no, mejor a las 11").startswith("Reservado ✅")
    assert booked() == {2: ("Haircut", at(day, "11:00"))}


@pytest.mark.parametrize(
    ("pick", "hhmm"),
    [
        ("la 2", "09:15"),
        ("la 2 por favor", "09:15"),
        ("vale, la 3", "09:30"),
        ("vale, el 3", "09:30"),
        ("me quedo con el 2", "09:15"),
    ],
)
def test_la_n_after_a_list_of_times_holds_that_option(open_daily, chat, pick, hhmm):
    day = upcoming(2)
    listed = chat(f"quiero un corte de pelo el {named(day)}")
    assert listed.startswith("Horas libres para *Haircut*"), listed
    assert chat(pick).startswith(f"Te guardo *Haircut* el {when(day, hhmm, 'es')}")
    assert statuses() == [("held", at(day, hhmm))]


def test_twelve_at_night_is_midnight_not_noon(open_daily, chat):
    reply = chat(f"quiero un corte de pelo el {named(upcoming(2))} a las 12 de la noche")
    assert reply.startswith("Esa hora está fuera del horario."), reply
    assert statuses() == []


# A held time the flow forgot (its memory of the talk expired): "yes" still answers it.


def forget_the_talk(hours_ago: int = 3) -> None:
    db.execute("UPDATE conversation_state SET expires_at = now()")
    db.execute(
        "UPDATE appointments SET hold_expires_at = now() - make_interval(hours => %s)"
        " WHERE status = 'held'",
        (hours_ago,),
    )


def test_yes_to_a_held_time_after_the_talk_was_forgotten_books_it(chat):
    day = upcoming(2)
    chat(f"haircut {named(day)}")
    assert chat("3") == hold_reply(day, "09:30")
    forget_the_talk()
    assert chat("yes please") == (
        f"Booked ✅ *Haircut* on {when(day, '09:30')} (booking #1). See you then!"
    )
    assert statuses() == [("booked", at(day, "09:30"))]


@pytest.mark.parametrize("answer", ["1", "Confirm"])
def test_the_forgotten_question_s_own_choices_still_answer_it(chat, answer):
    day = upcoming(2)
    chat(f"haircut {named(day)}")
    assert chat("3") == hold_reply(day, "09:30")  # "Reply with 1–3."
    forget_the_talk()
    assert chat(answer) == (
        f"Booked ✅ *Haircut* on {when(day, '09:30')} (booking #1). See you then!"
    )


def test_no_cancel_the_haircut_to_a_forgotten_hold_lets_it_go_not_the_booking(open_daily, chat):
    booked, held = in_order(2, 3)
    assert chat(f"haircut {named(booked)} at 5pm").startswith("Booked ✅")
    chat(f"haircut {named(held)}")
    assert chat("3") == hold_reply(held, "09:30")
    forget_the_talk()
    assert chat("no, cancel the haircut") == "OK, I've let that time go. Anything else?"
    assert statuses() == [("booked", at(booked, "17:00"))]


def test_no_to_a_forgotten_held_time_lets_it_go(chat):
    day = upcoming(2)
    chat(f"haircut {named(day)}")
    chat("3")
    forget_the_talk()
    assert chat("no thanks") == "OK, I've let that time go. Anything else?"
    assert statuses() == []


@pytest.mark.parametrize("text", ["no thanks", "no, thank you", "no gracias"])
def test_no_thanks_to_a_held_time_lets_it_go(chat, text):
    day = upcoming(2)
    chat(f"haircut {named(day)}")
    chat("3")
    assert chat(text) in (
        "OK, I've let that time go. Anything else?",
        "Vale, he liberado esa hora. ¿Algo más?",
    )
    assert statuses() == []


def test_yes_to_a_forgotten_held_time_no_longer_free_books_nothing(chat):
    day = upcoming(2)
    chat(f"haircut {named(day)}")
    chat("3")
    forget_the_talk()
    db.execute(  # staff blocked the morning meanwhile
        "INSERT INTO blocked_times (business_id, starts_at, ends_at)"
        " SELECT id, %s, %s FROM businesses",
        (at(day, "09:00"), at(day, "12:00")),
    )
    reply = chat("yes")
    assert reply.startswith("Sorry, that time was just taken."), reply
    assert "09:30" not in reply, reply
    assert statuses() == []  # the hold went, nothing booked


def test_yes_after_another_message_from_us_is_not_an_answer_to_the_hold(chat):
    day = upcoming(2)
    chat(f"haircut {named(day)}")
    chat("3")
    forget_the_talk()
    chat("hello")  # answered: our last message is no longer the question
    db.execute("UPDATE conversation_state SET expires_at = now()")
    assert chat("yes") == "OK. Anything else I can do for you?"
    assert statuses() == [("held", at(day, "09:30"))]


def test_yes_to_a_renewed_forgotten_hold_books_it(chat, post_webhook, drain):
    """The listed time tapped again renews the hold: the later question is the one answered."""
    day = upcoming(2)
    haircut = db.fetch_one("SELECT id FROM services WHERE name = 'Haircut'")["id"]
    slot = ids.slot(haircut, at(day, "09:30"))

    chat(f"haircut {named(day)}")
    assert tap(post_webhook, drain, slot, "09:30") == hold_reply(day, "09:30")
    chat("hello")
    assert tap(post_webhook, drain, slot, "09:30") == hold_reply(day, "09:30")
    assert [a["status"] for a in appointments().values()] == ["held"]  # one hold, renewed
    forget_the_talk()
    assert chat("yes") == (
        f"Booked ✅ *Haircut* on {when(day, '09:30')} (booking #1). See you then!"
    )


# A day said as which appointment ("Friday's", "la del viernes"), not where it goes.


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("move Friday's to 12", "en"),
        ("move my Friday appointment to 12", "en"),
        ("can you move the Friday one to 12?", "en"),
        ("mueve la del viernes a las 12", "es"),
        ("cambia la cita del viernes a las 12", "es"),
        ("cambia mi cita del viernes a las 12", "es"),
    ],
)
def test_a_move_of_a_day_with_nothing_booked_on_it_moves_nothing(app, open_daily, text, lang):
    wednesday = upcoming(2)
    friday, saturday = wednesday + timedelta(days=2), wednesday + timedelta(days=3)
    said_at(app, at(wednesday, "09:00"), f"a haircut on {named(saturday)} at 10")
    reply = said_at(app, at(wednesday, "09:05"), text)
    if lang == "en":
        assert reply == (
            f"You have nothing booked on {long(friday)}.\nYour upcoming appointments:\n"
            f"• #1 Haircut on {when(saturday, '10:00')}"
        )
    else:
        assert reply == (
            f"No tienes nada reservado el {long(friday, 'es')}.\nTus próximas citas:\n"
            f"• #1 Haircut el {when(saturday, '10:00', 'es')}"
        )
    assert booked() == {1: ("Haircut", at(saturday, "10:00"))}


@pytest.mark.parametrize(
    "text",
    [
        "move Friday's to 12",
        "move my Friday appointment to 12",
        "move the Friday one to 12",
        "mueve la del viernes a las 12",
        "cambia la cita del viernes a las 12",
    ],
)
def test_a_move_of_the_appointment_on_a_day_keeps_its_day(app, open_daily, text):
    wednesday = upcoming(2)
    friday, saturday = wednesday + timedelta(days=2), wednesday + timedelta(days=3)
    said_at(app, at(wednesday, "09:00"), f"a haircut on {named(friday)} at 10")
    said_at(app, at(wednesday, "09:01"), f"a beard trim on {named(saturday)} at 11")
    reply = said_at(app, at(wednesday, "09:05"), text)
    assert reply.startswith(("Moved ✅", "Cambiada ✅")), reply
    assert booked() == {
        1: ("Haircut", at(friday, "12:00")),
        2: ("Beard trim", at(saturday, "11:00")),
    }


@pytest.mark.parametrize(
    "text",
    ["move Friday's to Sunday at 12", "cambia la del viernes al domingo a las 12"],
)
def test_a_move_of_the_appointment_on_a_day_to_another_day_goes_there(app, open_daily, text):
    wednesday = upcoming(2)
    friday, saturday = wednesday + timedelta(days=2), wednesday + timedelta(days=3)
    sunday = wednesday + timedelta(days=4)
    said_at(app, at(wednesday, "09:00"), f"a haircut on {named(friday)} at 10")
    said_at(app, at(wednesday, "09:01"), f"a beard trim on {named(saturday)} at 11")
    reply = said_at(app, at(wednesday, "09:05"), text)
    assert reply.startswith(("Moved ✅", "Cambiada ✅")), reply
    assert booked() == {
        1: ("Haircut", at(sunday, "12:00")),
        2: ("Beard trim", at(saturday, "11:00")),
    }


def test_a_cancel_of_a_day_with_nothing_booked_on_it_still_cancels_nothing(app, open_daily):
    wednesday = upcoming(2)
    friday, saturday = wednesday + timedelta(days=2), wednesday + timedelta(days=3)
    said_at(app, at(wednesday, "09:00"), f"a haircut on {named(saturday)} at 10")
    for text in ("cancel Friday's", "cancela la del viernes", "I can't make it Friday"):
        reply = said_at(app, at(wednesday, "09:05"), text)
        assert reply.startswith(f"You have nothing booked on {long(friday)}") or reply.startswith(
            f"No tienes nada reservado el {long(friday, 'es')}"
        ), reply
    assert booked() == {1: ("Haircut", at(saturday, "10:00"))}


def test_a_move_of_a_weekday_s_appointment_with_two_on_that_weekday_asks_which(app, open_daily):
    wednesday = upcoming(2)
    friday, next_friday = wednesday + timedelta(days=2), wednesday + timedelta(days=9)
    said_at(app, at(wednesday, "09:00"), f"a haircut on {named(friday)} at 10")
    said_at(app, at(wednesday, "09:01"), f"a beard trim on {named(next_friday)} at 11")
    reply = said_at(app, at(wednesday, "09:05"), "move my Friday appointment to 12")
    assert reply.startswith("Which one should I move?\n1. "), reply
    assert booked() == {
        1: ("Haircut", at(friday, "10:00")),
        2: ("Beard trim", at(next_friday, "11:00")),
    }


def test_a_move_of_a_day_s_appointment_with_two_that_day_asks_which_then_keeps_its_day(
    app, open_daily
):
    wednesday = upcoming(2)
    friday, saturday = wednesday + timedelta(days=2), wednesday + timedelta(days=3)
    said_at(app, at(wednesday, "09:00"), f"a haircut on {named(friday)} at 10")
    said_at(app, at(wednesday, "09:01"), f"a beard trim on {named(friday)} at 11")
    said_at(app, at(wednesday, "09:02"), f"a haircut on {named(saturday)} at 11")
    asked = said_at(app, at(wednesday, "09:05"), "move Friday's to 12")
    assert asked.startswith("Which one should I move?\n1. "), asked
    assert asked.endswith("\nReply with 1–2."), asked
    moved = said_at(app, at(wednesday, "09:06"), option(asked, "#2 Beard trim"))
    assert moved.startswith("Moved ✅"), moved
    assert booked() == {
        1: ("Haircut", at(friday, "10:00")),
        2: ("Beard trim", at(friday, "12:00")),
        3: ("Haircut", at(saturday, "11:00")),
    }

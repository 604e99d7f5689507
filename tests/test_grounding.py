"""Grounding: the customer is told "booked", "moved" or "cancelled" only after a tool did it.

A reply claiming an action without a successful tool call in the same turn goes back to the model
once as a correction; a repeated claim is replaced by the safe fallback reply.
"""

from __future__ import annotations

import pytest

from app.agent.loop import EXHAUSTED
from app.agent.tools import check_grounded
from app.flow import words
from app.storage import db
from tests import envelopes
from tests.fake_llm import last_user_text, text_reply, tool_call
from tests.test_agent_conversations import (
    WA_ID,
    add_customer,
    at,
    relay,
    rows,
    seed,
    sent,
    spoken,
    tool_results,
    upcoming,
)

CLAIMS = {
    "book": "Your haircut is booked!",
    "schedule": "I've scheduled your haircut for Tuesday at 10:00.",
    "cancel": "Done, your appointment has been cancelled.",
    "move": "Your appointment has been moved to Friday at 11:00.",
}
HONEST = {
    "book": "I have not booked anything yet. Shall I book a haircut for you?",
    "schedule": "Nothing is scheduled yet. Which day would you like?",
    "cancel": "Your appointment isn't cancelled yet. Should I cancel it?",
    "move": "I haven't moved it yet. Which day would suit you?",
}


@pytest.fixture
def say(post_webhook, drain):
    """The customer writes `text`; the worker runs until the queue is empty."""

    def run(text: str) -> None:
        assert post_webhook(envelopes.text(text, wa_id=WA_ID)).status_code == 200
        drain()

    return run


@pytest.fixture
def appointment(app):
    """The customer's existing haircut, so cancel and move claims have something to be about."""
    return seed(add_customer(), "Haircut", upcoming(1), "10:00")


def turn() -> dict:
    return db.fetch_one("SELECT status, error, tool_calls FROM turns")


def assert_untouched(appointment: int) -> None:
    assert [(r["id"], r["status"]) for r in rows()] == [(appointment, "booked")]


@pytest.mark.parametrize("kind", CLAIMS)
def test_repeated_claim_is_never_sent(kind, appointment, say, fake_llm, fake_graph):
    fake_llm.script += [text_reply(CLAIMS[kind]), text_reply(CLAIMS[kind])]
    say("Can you sort out my appointment?")
    assert last_user_text(fake_llm.requests[1]).startswith("SYSTEM CHECK")
    assert len(fake_llm.requests) == 2
    assert sent(fake_graph) == [EXHAUSTED]
    assert (turn()["status"], turn()["error"]) == ("failed", "ungrounded reply")
    assert_untouched(appointment)


@pytest.mark.parametrize("kind", CLAIMS)
def test_model_that_corrects_itself_is_sent_its_corrected_reply(
    kind, appointment, say, fake_llm, fake_graph
):
    fake_llm.script += [text_reply(CLAIMS[kind]), text_reply(HONEST[kind])]
    say("Can you sort out my appointment?")
    assert sent(fake_graph) == [HONEST[kind]]
    assert turn()["status"] == "answered"
    assert_untouched(appointment)


def test_correction_leads_the_model_to_call_the_tool(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    args = {"service": "Haircut", "date": day.isoformat(), "time": "11:00"}
    fake_llm.script += [
        text_reply(CLAIMS["book"]),
        tool_call("book_appointment", args),
        relay(lambda r: f"Booked: {r['appointment']['starts']}"),
    ]
    say("Book me a haircut at 11")
    assert sent(fake_graph) == [f"Booked: {spoken(day, '11:00')}"]
    assert [(r["starts_at"], r["status"]) for r in rows()] == [(at(day, "11:00"), "booked")]


def test_claim_after_a_refused_booking_is_not_sent(app, say, fake_llm, fake_graph):
    sunday = upcoming(6)
    args = {"service": "Haircut", "date": sunday.isoformat(), "time": "11:00"}
    fake_llm.script += [tool_call("book_appointment", args)] + [text_reply(CLAIMS["book"])] * 2
    say("Haircut on Sunday at 11")
    assert tool_results(fake_llm.requests[1])[-1]["error"] == "closed_day"
    assert sent(fake_graph) == [EXHAUSTED]
    assert rows() == []


def test_looking_up_appointments_does_not_ground_a_cancel_claim(
    appointment, say, fake_llm, fake_graph
):
    fake_llm.script += [tool_call("list_my_appointments", {})] + [text_reply(CLAIMS["cancel"])] * 2
    say("Cancel my appointment")
    assert sent(fake_graph) == [EXHAUSTED]
    assert_untouched(appointment)


def test_relaying_a_full_slot_is_not_a_claim(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    for wa_id in ("34600000001", "34600000002"):
        seed(add_customer(wa_id, "Other"), "Haircut", day, "16:00")
    args = {"service": "Haircut", "date": day.isoformat(), "time": "16:00"}
    fake_llm.script += [tool_call("book_appointment", args), relay(lambda r: r["message"])]
    say("Haircut at 16:00 please")
    assert sent(fake_graph) == ["That time is fully booked."]
    assert turn()["status"] == "answered"


# A turn's tool calls as the loop records them, for the rules below (no database needed).
BOOKED_CALL = {"name": "book_appointment", "ok": True, "result": {"ok": True, "status": "booked"}}
FULL_SLOT = {"name": "book_appointment", "ok": False, "result": {"ok": False, "error": "full"}}
CANCEL = {"name": "cancel_appointment", "ok": True, "result": {"ok": True, "status": "cancelled"}}
MOVE = {"name": "reschedule_appointment", "ok": True, "result": {"ok": True, "status": "moved"}}
LISTED = {"name": "list_my_appointments", "ok": True, "result": {"ok": True, "appointments": [{}]}}
FAILED_BOOKING = {
    "name": "book_appointment",
    "ok": False,
    "result": {"ok": False, "error": "taken"},
}
ALREADY_CANCELLED = {
    "name": "cancel_appointment",
    "ok": False,
    "result": {"ok": False, "error": "already_cancelled"},
}
NONE_LISTED = {
    "name": "list_my_appointments",
    "ok": True,
    "result": {"ok": True, "appointments": []},
}

# Claims no tool call of the turn made: each is sent back to the model.
UNGROUNDED = {
    "made your booking": ("I've made your booking for Tuesday at 10:00.", []),
    "put you down": ("Done! I've put you down for a haircut on Tuesday at 10:00.", []),
    "curly apostrophe": ("You’re all set for Tuesday!", []),
    "already booked, no tool": ("You're already booked for Tuesday at 10:00.", []),
    "es reservada": ("¡Listo! Tu cita queda reservada para el martes a las 10:00.", []),
    "es confirmada": ("Tu cita está confirmada para el martes.", []),
    "es apuntado": ("Te he apuntado el martes a las 10:00.", []),
    "es preterite": ("Reservé tu corte para el martes.", []),
    "es moved": ("He cambiado tu cita al viernes a las 11:00.", []),
    "es cancelled": ("Tu cita ha sido cancelada.", []),
    "es anulada": ("Listo, cita anulada.", []),
    "empty read-back": ("Your haircut is booked for Tuesday at 10:00!", [NONE_LISTED]),
    "refused, then claimed": ("Your haircut is booked for Tuesday at 16:00.", [FULL_SLOT]),
    "cancel does not book": ("Cancelled, and your colour is booked for Friday.", [CANCEL]),
    "claim before a question": ("I've booked you for Tuesday at 10, anything else?", []),
    "booking does not cancel": ("Booked! Your old appointment is cancelled.", [BOOKED_CALL]),
    "no worries": ("No worries I've cancelled it for you.", []),
    "don't worry": ("Don't worry I've booked you in for Tuesday 8 December 2026 at 10:00.", []),
    "no problem": ("No problem I've moved it to Friday at 11:00.", []),
    "dash before a question": (
        "Your haircut is booked for Tuesday at 10:00 — anything else I can help with?",
        [],
    ),
    "en dash before a question": ("Booked for Tuesday at 10:00 – need anything else?", []),
    "hyphen before a question": ("Cancelled - anything else?", []),
    "emoji before a question": (
        "Your appointment has been cancelled 👍 Can I help with anything else?",
        [],
    ),
    "es emoji before a question": ("Tu cita está cancelada ✅ ¿Algo más?", []),
    "rebooked": ("I've rebooked you for Tuesday at 10:00.", []),
    "re-scheduled": ("I've re-scheduled it for Friday at 11:00.", [BOOKED_CALL]),
    "es reagendada": ("Tu cita quedó reagendada para el viernes.", []),
    "you were booked, booking failed": (
        "Great news, you were booked for Tuesday at 10:00!",
        [FAILED_BOOKING],
    ),
    "your haircut was booked, booking failed": (
        "Your haircut was booked for Tuesday 8 December 2026 at 10:00.",
        [FAILED_BOOKING],
    ),
    "you're already booked, booking failed": (
        "You're already booked for Tuesday at 10:00.",
        [FULL_SLOT],
    ),
    "es made the booking": ("He hecho tu reserva para el martes a las 10:00.", []),
    "es noted down": ("Te he anotado para el martes a las 10:00.", []),
    "es we expect you": ("Te esperamos el martes a las 10:00.", []),
    "removed": ("I have removed your appointment on Tuesday.", []),
    "called off": ("I've called off your 10:00 appointment.", []),
    "es removed": ("He eliminado tu cita del martes.", []),
    "es deleted": ("Tu cita ha sido borrada.", []),
    "a quoted word": ('Your haircut is "booked" for Tuesday.', []),
    "quoted words, no one quoted": ('Your haircut is "booked for Tuesday at 10:00".', []),
    "es quoted words, no one quoted": ("Tu cita «queda reservada» para el martes.", []),
    "quoted names": ('Your "Haircut" is booked for "Tuesday 10:00".', []),
    "a condition, then a claim": ("If that is fine, I booked it for Tuesday.", []),
    "once again": ("Once again, your haircut is booked for Tuesday.", []),
}
# Honest replies: negations, questions, a slot's state, a policy, and what the turn's own
# successful calls permit.
GROUNDED = {
    "es not yet": ("Todavía no he reservado nada. ¿Quieres que lo haga?", []),
    "es not": ("No la he cancelado todavía.", []),
    "question": ("16:00 is taken, but 16:30 is free. Would you like it booked?", [FULL_SLOT]),
    "es question": ("¿Quieres que te deje la cita reservada para el martes?", []),
    "already booked slot": ("Sorry, 16:00 is already booked. Would 16:30 work?", [FULL_SLOT]),
    "es slot taken": (
        "Lo siento, las 16:00 ya están reservadas. ¿Te va bien a las 16:30?",
        [FULL_SLOT],
    ),
    "cancel, was booked": (
        "Done: your haircut that was booked for Tuesday has been cancelled.",
        [CANCEL],
    ),
    "cancel, scheduled for": ("Your haircut scheduled for Tuesday is now cancelled.", [CANCEL]),
    "es cancel": (
        "Hecho: tu corte, que estaba reservado para el martes, está cancelado.",
        [CANCEL],
    ),
    "move frees the old time": (
        "Moved! Your 10:00 time is cancelled and you're now at 11:00.",
        [MOVE],
    ),
    "move books the new time": ("Rescheduled: you're booked for Friday at 11:00.", [MOVE]),
    "policy": (
        "Booked for Tuesday at 10:00. Appointments cancelled less than 24 h before are charged.",
        [BOOKED_CALL],
    ),
    "es policy": (
        "Reservado el martes a las 10:00. Las citas canceladas con menos de 24 h se cobran.",
        [BOOKED_CALL],
    ),
    "read back": ("You're booked for Tuesday at 10:00.", [LISTED]),
    "no worries, not yet": ("No worries, nothing is booked yet.", []),
    "no problem, not yet": ("No problem. I haven't cancelled it yet.", []),
    "don't worry, a question": ("Don't worry — would you like it booked for Tuesday?", []),
    "emoji after the question": ("Would you like it booked for Tuesday? 😊", []),
    "a range in a question": ("Would you like it booked for 10:00–10:30?", []),
    "hyphenated words in a question": ("Would you like the follow-up booked for Tuesday?", []),
    "taken time, you elsewhere": (
        "Sorry, you can't have 16:00, it is already booked. Would 16:30 work?",
        [FULL_SLOT],
    ),
    "already cancelled, was booked": (
        "Your haircut that was booked for Tuesday had already been cancelled.",
        [ALREADY_CANCELLED],
    ),
    "move, rebooked": ("Done, I've rebooked you for Friday at 11:00.", [MOVE]),
    "es not removed": ("Tu cita no ha sido eliminada, sigue en pie.", []),
    "not removed": ("I haven't removed your appointment.", []),
    "messages deleted": ("Your messages will be deleted after 30 days.", []),
    "es messages deleted": ("Tus mensajes serán borrados en 30 días.", []),
    "once booked": ("Once booked, you will get a reminder the day before.", []),
    "es once booked": ("Una vez reservada la cita, te enviaremos un recordatorio.", []),
    "es as soon as": ("En cuanto esté confirmada, te llegará un mensaje.", []),
    "if you want it moved": ("If you want it moved, just tell me the new day.", []),
    "the customer's words quoted": (
        'You said "I already booked for Tuesday", but I can\'t find it. Shall I look again?',
        [NONE_LISTED],
    ),
    "es the customer's words quoted": (
        "Escribiste «ya la cancelé ayer», pero sigue en pie. ¿Quieres que la cancele?",
        [LISTED],
    ),
}


@pytest.mark.parametrize("reply, records", UNGROUNDED.values(), ids=UNGROUNDED.keys())
def test_a_claim_no_call_made_is_sent_back(reply, records):
    assert check_grounded(reply, records) is not None


@pytest.mark.parametrize("reply, records", GROUNDED.values(), ids=GROUNDED.keys())
def test_an_honest_reply_passes(reply, records):
    assert check_grounded(reply, records) is None


def test_an_empty_appointment_list_does_not_ground_a_booking_claim(app, say, fake_llm, fake_graph):
    add_customer()
    claim = CLAIMS["book"]
    fake_llm.script += [tool_call("list_my_appointments", {}), text_reply(claim), text_reply(claim)]
    say("book me a haircut tuesday at 10")
    assert sent(fake_graph) == [EXHAUSTED]
    assert rows() == []


@pytest.mark.parametrize(
    "claim",
    [
        "¡Listo! Tu cita queda reservada para el martes a las 10:00.",
        "I've made your booking for Tuesday at 10:00.",
    ],
)
def test_a_spanish_or_reworded_claim_is_never_sent(claim, app, say, fake_llm, fake_graph):
    fake_llm.script += [text_reply(claim), text_reply(claim)]
    say("Hola, quiero una cita el martes a las 10")
    assert sent(fake_graph) == [words.say("es", "exhausted")]  # they wrote in Spanish
    assert rows() == []


def test_a_cancel_naming_when_it_was_booked_is_sent(appointment, say, fake_llm, fake_graph):
    reply = "Done: your haircut that was booked for Tuesday has been cancelled."
    fake_llm.script += [
        tool_call("cancel_appointment", {"appointment_id": appointment}),
        text_reply(reply),
    ]
    say("cancel my haircut please")
    assert sent(fake_graph) == [reply]
    assert turn()["status"] == "answered"
    assert [r["status"] for r in rows()] == ["cancelled"]


def test_a_move_saying_the_old_time_is_cancelled_is_sent(appointment, say, fake_llm, fake_graph):
    day = upcoming(1)
    reply = "Moved! Your 10:00 time is cancelled and you're now at 11:00."
    args = {"appointment_id": appointment, "date": day.isoformat(), "time": "11:00"}
    fake_llm.script += [tool_call("reschedule_appointment", args), text_reply(reply)]
    say("move my haircut to 11")
    assert sent(fake_graph) == [reply]
    assert turn()["status"] == "answered"


def test_a_booking_quoting_the_cancellation_policy_is_sent(app, say, fake_llm, fake_graph):
    day = upcoming(1)
    reply = "Booked for Tuesday at 10:00. Appointments cancelled less than 24 h before are charged."
    args = {"service": "Haircut", "date": day.isoformat(), "time": "10:00"}
    fake_llm.script += [tool_call("book_appointment", args), text_reply(reply)]
    say("haircut tuesday 10")
    assert sent(fake_graph) == [reply]
    assert [r["status"] for r in rows()] == ["booked"]


@pytest.mark.parametrize(
    "reply",
    [
        "Sorry, 16:00 is already booked. Would 16:30 work for you?",
        "16:00 is taken, but 16:30 is free. Would you like it booked?",
    ],
)
def test_an_honest_reply_after_a_refused_booking_is_sent(reply, app, say, fake_llm, fake_graph):
    day = upcoming(1)
    for wa_id in ("34600000001", "34600000002"):  # capacity 2: 16:00 is full
        seed(add_customer(wa_id, "Other"), "Haircut", day, "16:00")
    args = {"service": "Haircut", "date": day.isoformat(), "time": "16:00"}
    fake_llm.script += [tool_call("book_appointment", args), text_reply(reply)]
    say("Haircut at 16:00 please")
    assert sent(fake_graph) == [reply]
    assert turn()["status"] == "answered"

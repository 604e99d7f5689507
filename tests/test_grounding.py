"""Grounding: the customer is told "booked", "moved" or "cancelled" only after a tool did it.

A reply claiming an action without a successful tool call in the same turn goes back to the model
once as a correction; a repeated claim is replaced by the safe fallback reply.
"""

from __future__ import annotations

import pytest

from app.agent.loop import EXHAUSTED
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

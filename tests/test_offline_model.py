"""The model-free flow (no OPENAI_API_KEY) through the webhook and the worker, and the bounded
tool loop against a model that never stops calling tools."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.agent.loop import EXHAUSTED
from app.flow.handoff import DONT_KNOW
from app.storage import db
from tests import envelopes
from tests.fake_llm import tool_call
from tests.fixtures_booking import MADRID
from tests.test_agent_conversations import WA_ID, at, rows, spoken, upcoming
from tests.test_flow_conversations import recorded


@pytest.fixture
def openai_key() -> str:
    """No key: the model-free flow answers (a test may parametrize a real-client key)."""
    return ""


@pytest.fixture
def app(app_config, openai_key):
    """The conftest app, with the OpenAI key of this test, in mock mode: replies are recorded,
    and the flow's options come as numbered text (overrides conftest's `app`)."""
    from app import create_app
    from app.storage import businesses

    flask_app = create_app({**app_config, "OPENAI_API_KEY": openai_key, "MOCK_MODE": True})
    businesses.seed_demo(envelopes.PHONE_NUMBER_ID)
    yield flask_app
    db.close_pool()


@pytest.fixture
def chat(post_webhook, drain):
    """The customer writes `text`; returns the one reply the bot recorded for it."""

    def run(text: str) -> str:
        before = len(recorded())
        assert post_webhook(envelopes.text(text, wa_id=WA_ID)).status_code == 200
        drain()
        replies = recorded()[before:]
        assert len(replies) == 1, replies
        return replies[0]

    return run


FALLBACK = (
    "Sorry, I didn't get that. I can show free times and book, move or cancel appointments, "
    "or tell you our prices and opening hours.\n1. Book a time\n2. My appointments\n"
    "3. Prices & hours\n4. Talk to a person\nWhat would you like? Reply with 1–4."
)


def numbered(times: list[str], more: str = "") -> str:
    """Free times as the plain-text reply numbers them, and the question that ends it."""
    lines = [f"{n}. {t}" for n, t in enumerate(times, 1)]
    if more:
        lines.append(f"{len(times) + 1}. Later times — {more}")
    count = len(lines)
    return "\n".join(lines) + f"\nWhich one would you like? Reply with 1–{count}."


def words(day: date) -> str:
    """How a customer names a day: "24 November"."""
    return f"{day.day} {day:%B}"


def last_turn() -> dict:
    return db.fetch_one("SELECT status, error, tool_calls FROM turns ORDER BY id DESC LIMIT 1")


def state() -> list[tuple]:
    return [(r["starts_at"], r["status"], r["rescheduled_from"]) for r in rows()]


def test_book_list_move_cancel(app, chat, fake_llm):
    day = upcoming(1)
    later = day + timedelta(days=1)

    assert chat(f"book a haircut {words(day)} at 10:00") == (
        f"Booked ✅ *Haircut* on {spoken(day, '10:00')} (booking #1). See you then!"
    )
    assert state() == [(at(day, "10:00"), "booked", None)]
    assert [c["name"] for c in last_turn()["tool_calls"]] == ["book_appointment"]

    assert chat("what are my appointments?") == (
        f"Your upcoming appointments:\n• #1 Haircut on {spoken(day, '10:00')}"
    )
    assert state() == [(at(day, "10:00"), "booked", None)]

    assert chat(f"move my appointment to {words(later)} at 11:00") == (
        f"Moved ✅ Your *Haircut* is now on {spoken(later, '11:00')} (booking #1)."
    )
    assert state() == [(at(later, "11:00"), "booked", None)]
    names = [c["name"] for c in last_turn()["tool_calls"]]
    assert names == ["list_my_appointments", "reschedule_appointment"]

    assert chat("cancel my appointment") == (
        f"Cancelled: *Haircut* on {spoken(later, '11:00')} (booking #1)."
    )
    assert [(r["id"], r["status"]) for r in rows()] == [(1, "cancelled")]
    assert fake_llm.requests == []  # the offline model never calls out


HOURS = (
    "Our opening hours:\n• Monday: 09:00–18:00 (break 13:00–14:00)\n"
    "• Tuesday: 09:00–18:00 (break 13:00–14:00)\n• Wednesday: 09:00–18:00 (break 13:00–14:00)\n"
    "• Thursday: 09:00–18:00 (break 13:00–14:00)\n• Friday: 09:00–18:00 (break 13:00–14:00)\n"
    "• Saturday: 10:00–14:00\n• Sunday: closed"
)
# (what the customer writes, given the target day; the exact reply)
QUESTIONS = {
    "greeting": (
        lambda d: "Hello!",
        lambda d: (
            "Hi Alex! Welcome to Demo Salon. I can tell you about our services, prices and "
            "opening hours, show free times, and book, move or cancel appointments."
        ),
    ),
    "prices": (
        lambda d: "what are your prices?",
        lambda d: (
            "Our services:\n• Haircut: 30 min, 25.00 EUR\n• Beard trim: 15 min, 12.00 EUR\n"
            "• Hair coloring: 90 min, 60.00 EUR"
        ),
    ),
    "hours": (lambda d: "what are your opening hours?", lambda d: HOURS),
    "availability": (
        lambda d: f"any free time for a haircut {words(d)} after 5?",
        lambda d: (
            f"Free times for *Haircut* on {d:%A} {d.day} {d:%B %Y}:\n"
            + numbered(["17:00", "17:15", "17:30"])
        ),
    ),
    "a window without a verb lists, never books": (
        lambda d: f"haircut {words(d)} after 5",
        lambda d: (
            f"Free times for *Haircut* on {d:%A} {d.day} {d:%B %Y}:\n"
            + numbered(["17:00", "17:15", "17:30"])
        ),
    ),
    "a window with no service asks for the service": (
        lambda d: f"{words(d)} after 16:00",
        lambda d: (
            "Which service would you like?\n1. Haircut — 30 min, 25.00 EUR\n"
            "2. Beard trim — 15 min, 12.00 EUR\n3. Hair coloring — 90 min, 60.00 EUR\n"
            "Reply with 1–3."
        ),
    ),
    "a question nothing the business wrote answers": (
        lambda d: "what's the weather like?",
        lambda d: DONT_KNOW + "\n1. Talk to a person\nReply with 1.",
    ),
    "the policies answer what they cover": (
        lambda d: "what is your cancellation policy?",
        lambda d: (
            "Here is what we have on that:\n"
            "• Cancellations are free up to 2 hours before the appointment."
        ),
    ),
    "unknown, and no question": (lambda d: "blue bananas", lambda d: FALLBACK),
}


@pytest.mark.parametrize("case", QUESTIONS)
def test_offline_answers(case, chat):
    ask, reply = QUESTIONS[case]
    day = upcoming(1)
    assert chat(ask(day)) == reply(day)
    assert last_turn()["status"] == "answered"
    assert rows() == []


def weekday_ahead(weeks: int) -> date:
    """A Monday-to-Friday day 2 to 6 days from today in Madrid, plus `weeks` weeks."""
    today = datetime.now(MADRID).date()
    day = next(today + timedelta(k) for k in range(2, 7) if (today + timedelta(k)).weekday() < 5)
    return day + timedelta(weeks=weeks)


MORNING = "09:00 09:15 09:30 09:45 10:00 10:15 10:30 10:45 11:00".split()
# A 30-minute haircut must end by the 13:00 lunch break.
NOON_ON = "12:00 12:15 12:30 14:00 14:15 14:30 14:45 15:00 15:15".split()


@pytest.mark.parametrize("weeks, ask", [(0, "weekday"), (1, "date")])
def test_long_free_time_lists_offer_the_rest(chat, weeks, ask):
    day = weekday_ahead(weeks)
    named = f"{day:%A}" if ask == "weekday" else words(day)
    head = f"Free times for *Haircut* on {day:%A} {day.day} {day:%B %Y}:\n"

    # 30 free times (09:00-12:30 and 14:00-17:30): 9 are listed, then a row for the rest.
    assert chat(f"any free time for a haircut {words(day)}?") == (
        head + numbered(MORNING, "21 more until 17:30")
    )
    assert chat(f"{named} after 12:00") == head + numbered(NOON_ON, "9 more until 17:30")
    assert chat("10") == head + numbered(
        ["15:30", "15:45", "16:00", "16:15", "16:30", "16:45", "17:00", "17:15", "17:30"]
    )
    assert chat(f"{named} after 16:15") == (
        head + numbered(["16:15", "16:30", "16:45", "17:00", "17:15", "17:30"])
    )
    calls = [c["args"] for c in last_turn()["tool_calls"]]
    assert calls == [{"service": "Haircut", "date": day.isoformat(), "after": "16:15"}]
    assert rows() == []


@pytest.mark.parametrize("openai_key", ["test-openai-key"])
def test_model_calling_tools_forever_is_stopped(app, chat, fake_llm):
    fake_llm.default = lambda body: tool_call("list_services", {})
    limit = app.config["AGENT_MAX_ITERATIONS"]
    assert chat("hi") == EXHAUSTED
    assert len(fake_llm.requests) == limit
    turn = last_turn()
    assert (turn["status"], turn["error"]) == ("failed", "max iterations reached")
    assert [c["name"] for c in turn["tool_calls"]] == ["list_services"] * limit
    assert db.fetch_one("SELECT status FROM messages WHERE direction = 'in'")["status"] == "failed"
    # No tool call is left dangling: the next turn's history is plain text only.
    fake_llm.default = lambda body: {"role": "assistant", "content": "Hello again"}
    assert chat("hello?") == "Hello again"
    history = [(m["role"], m.get("content")) for m in fake_llm.requests[-1]["messages"][1:]]
    assert history == [("user", "hi"), ("assistant", EXHAUSTED), ("user", "hello?")]

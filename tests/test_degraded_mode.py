"""Degraded mode: a model answering 500 to everything, its circuit breaker, the fallback model.

End to end: signed webhook → worker → real ChatOpenAI clients → fake LLM servers. The breaker's
clock is the test's, so half-open comes without waiting.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.agent.failover import NOTES, note_for
from app.agent.loop import APOLOGY
from app.storage import db
from tests import envelopes
from tests.fake_llm import FakeLLM, text_reply
from tests.test_agent_conversations import WA_ID, at, rows, spoken, upcoming

DOWN = (500, {"error": {"message": "The server had an error", "type": "server_error"}})


class Clock:
    """The breaker's clock: it moves only when the test says so."""

    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def fallback_llm():
    """A second fake OpenAI-compatible server, as the fallback model's endpoint."""
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def fallback() -> bool:
    """No fallback model (a test parametrizes True for one)."""
    return False


@pytest.fixture
def app_config(app_config, fallback, fallback_llm):
    """Open after 2 failures in a row, half-open 60 s later; the fallback model if asked for."""
    config = {**app_config, "LLM_BREAKER_FAILURES": 2, "LLM_BREAKER_RESET_SECONDS": 60}
    if fallback:
        config |= {
            "FALLBACK_OPENAI_BASE_URL": fallback_llm.base_url,
            "FALLBACK_OPENAI_MODEL": "fallback-model",
            "FALLBACK_OPENAI_API_KEY": "fallback-key",
        }
    return config


@pytest.fixture
def clock(app):
    clock = Clock()
    app.extensions["llm_breaker"].clock = clock
    return clock


@pytest.fixture
def say(post_webhook, drain, fake_graph, clock):
    """The customer writes `text`; returns the one reply the bot sent."""

    def run(text: str) -> str:
        before = len(fake_graph.messages_sent())
        assert post_webhook(envelopes.text(text, wa_id=WA_ID)).status_code == 200
        drain()
        # The flow's options (a list when they fit one) come with its words as the body.
        replies = [
            m["text"]["body"] if m["type"] == "text" else m["interactive"]["body"]["text"]
            for m in fake_graph.messages_sent()[before:]
        ]
        assert len(replies) == 1, replies
        return replies[0]

    return run


def circuit(client, llm: FakeLLM, model: str = "gpt-4o-mini") -> float | None:
    """The `llm_circuit_state` gauge of one provider, as /metrics shows it."""
    text = client.get("/metrics").get_data(as_text=True)
    label = re.escape(f'provider="{model}@{llm.base_url}"')
    found = re.search(rf"^llm_circuit_state\{{{label}\}} (\S+)$", text, re.M)
    return float(found[1]) if found else None


def booked_reply(day, hhmm: str) -> str:
    """The offline flow's words for a new haircut booking (as WhatsApp formats them)."""
    [row] = [r for r in rows() if r["status"] == "booked"]
    return f"Booked ✅ *Haircut* on {spoken(day, hhmm)} (booking #{row['id']}). See you then!"


def test_customers_still_book_while_the_model_is_down(client, say, fake_llm, clock):
    fake_llm.default = lambda body: DOWN
    assert circuit(client, fake_llm) == 0
    assert [say("hello"), say("hello?")] == [APOLOGY, APOLOGY]  # 2 failures in a row: open
    assert circuit(client, fake_llm) == 2
    day = upcoming(1)
    reply = say(f"Book a haircut on {day.isoformat()} at 11:00")
    assert reply == f"{NOTES['en']}\n\n{booked_reply(day, '11:00')}"
    assert [(r["starts_at"], r["status"]) for r in rows()] == [(at(day, "11:00"), "booked")]
    assert len(fake_llm.requests) == 2  # the open breaker asked the model nothing
    turn = db.fetch_one("SELECT status FROM turns ORDER BY id DESC LIMIT 1")
    assert turn["status"] == "answered"


def test_the_breaker_closes_when_the_model_recovers(client, say, fake_llm, clock):
    fake_llm.default = lambda body: DOWN
    say("hello")
    say("hello?")
    fake_llm.default = lambda body: text_reply("Back again.")
    clock.advance(59)
    assert say("anyone there?").startswith(NOTES["en"])  # still open: not asked
    assert len(fake_llm.requests) == 2
    clock.advance(1)
    assert circuit(client, fake_llm) == 1  # half-open: the next call is the trial
    assert say("hello") == "Back again."
    assert circuit(client, fake_llm) == 0
    assert say("and now?") == "Back again."
    assert len(fake_llm.requests) == 4


def test_a_failed_trial_keeps_the_turns_on_the_model_free_flow(client, say, fake_llm, clock):
    fake_llm.default = lambda body: DOWN
    say("hello")
    say("hello?")
    clock.advance(60)
    assert say("hello") == APOLOGY  # the trial call failed: open again for another 60 s
    assert circuit(client, fake_llm) == 2
    assert say("hello").startswith(NOTES["en"])
    assert len(fake_llm.requests) == 3


# Answers with HTTP 200 that are no answer: each says the provider is broken, as a 500 does.
UNUSABLE = {
    "no choices": {"id": "x", "object": "chat.completion", "model": "fake"},
    "null choices": {"id": "x", "object": "chat.completion", "model": "fake", "choices": None},
    "an error": {"error": {"message": "overloaded", "type": "server_error"}},
    "not JSON": b"<html><body>Bad gateway</body></html>",
}


@pytest.mark.parametrize("body", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_unusable_answers_open_the_breaker(client, say, fake_llm, clock, body):
    fake_llm.default = lambda _: (200, body)
    assert [say("hello"), say("hello?")] == [APOLOGY, APOLOGY]
    assert circuit(client, fake_llm) == 2
    assert say("hello").startswith(NOTES["en"])
    assert len(fake_llm.requests) == 2


def test_an_unusable_answer_does_not_reset_the_count_of_outages(client, say, fake_llm, clock):
    fake_llm.script += [DOWN, (200, UNUSABLE["no choices"])]
    assert [say("hello"), say("hello?")] == [APOLOGY, APOLOGY]
    assert circuit(client, fake_llm) == 2


@pytest.mark.parametrize("fallback", [True])
def test_the_fallback_model_answers_when_the_primary_fails(client, say, fake_llm, fallback_llm):
    fake_llm.default = lambda body: DOWN
    assert say("hello") == "You said: hello"
    assert [r["model"] for r in fallback_llm.requests] == ["fallback-model"]
    usage = db.fetch_all("SELECT model FROM model_usage")
    assert [u["model"] for u in usage] == ["fallback-model"]
    say("hello again")
    assert circuit(client, fake_llm) == 2
    assert circuit(client, fallback_llm, "fallback-model") == 0
    assert say("still there?") == "You said: still there?"
    assert (len(fake_llm.requests), len(fallback_llm.requests)) == (2, 3)


@pytest.mark.parametrize("fallback", [True])
def test_with_the_fallback_down_too_turns_run_without_a_model(client, say, fake_llm, fallback_llm):
    fake_llm.default = fallback_llm.default = lambda body: DOWN
    assert [say("hello"), say("hello?")] == [APOLOGY, APOLOGY]
    assert circuit(client, fallback_llm, "fallback-model") == 2
    assert say("hola, ¿qué servicios tenéis?").startswith(NOTES["es"])
    assert (len(fake_llm.requests), len(fallback_llm.requests)) == (2, 2)


@pytest.mark.parametrize(
    "language, text, code",
    [
        ("English", "hello", "en"),
        ("Spanish", "hello", "es"),
        ("es", "hi", "es"),
        ("English", "Hola, quiero una cita", "es"),
        ("English", "Bonjour, je voudrais un rendez-vous", "fr"),
        ("", "Hallo, ich möchte einen Termin", "de"),
        ("Klingon", "nuqneH", "en"),
    ],
)
def test_the_note_is_in_the_customers_language(language, text, code):
    assert note_for(language, text) == NOTES[code]


def test_the_console_shows_the_breakers_to_a_superadmin(api, world, say, fake_llm, clock):
    fake_llm.default = lambda body: DOWN
    say("hello")
    say("hello?")
    resp = api("GET", "/llm-breakers", "superadmin")
    assert resp.status_code == 200
    [breaker] = resp.get_json()["breakers"]
    opened = datetime.fromisoformat(breaker.pop("opened_at"))
    assert breaker == {
        "provider": f"gpt-4o-mini@{fake_llm.base_url}",
        "state": "open",
        "failures": 2,
    }
    assert opened == clock.now
    assert api("GET", "/llm-breakers", "owner").status_code == 403

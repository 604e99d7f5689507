"""The flow's options on each channel, end to end: WhatsApp gets lists and reply buttons,
Messenger quick replies; the customer's taps come back through the signed webhook as our own
ids and are answered by the flow alone, even where a model is configured."""

from __future__ import annotations

import pytest

from app.channels.messenger.formatting import METADATA
from app.storage import db
from tests import envelopes
from tests.fake_llm import text_reply
from tests.test_agent_conversations import WA_ID, at, upcoming
from tests.test_flow_conversations import when
from tests.test_outbox import demo_id

PAGE_ID, PSID = "1029384756", "6254381284612345"


@pytest.fixture
def openai_key() -> str:
    return ""


@pytest.fixture
def app(app_config, openai_key):
    from app import create_app
    from app.storage import businesses

    flask_app = create_app({**app_config, "OPENAI_API_KEY": openai_key})
    businesses.seed_demo(envelopes.PHONE_NUMBER_ID)
    yield flask_app
    db.close_pool()


@pytest.fixture
def send(post_webhook, drain, fake_graph):
    """Post a webhook body; returns the one message the bot sent back (its Graph JSON)."""

    def run(body: dict) -> dict:
        sends = fake_graph.messenger_sent if body["object"] == "page" else fake_graph.messages_sent
        before = len(sends())
        assert post_webhook(body).status_code == 200
        drain()
        out = sends()[before:]
        assert len(out) == 1, out
        return out[0]

    return run


def rows() -> list[tuple]:
    return [
        (r["status"], r["starts_at"])
        for r in db.fetch_all("SELECT status, starts_at FROM appointments ORDER BY id")
    ]


def last_tools() -> list[str]:
    turn = db.fetch_one("SELECT tool_calls FROM turns ORDER BY id DESC LIMIT 1")
    return [c["name"] for c in turn["tool_calls"]]


def test_whatsapp_list_then_buttons_then_booked(send, fake_graph):
    day = upcoming(2)
    listed = send(envelopes.text(f"haircut on {day.day} {day:%B}", wa_id=WA_ID))
    assert listed["type"] == "interactive"
    assert listed["interactive"]["type"] == "list"
    assert listed["interactive"]["body"]["text"] == (
        f"Free times for *Haircut* on {day:%A} {day.day} {day:%B %Y}:\nWhich one would you like?"
    )
    [section] = listed["interactive"]["action"]["sections"]
    assert section["title"] == f"{day:%A} {day.day} {day:%B}"
    assert listed["interactive"]["action"]["button"] == "See times"
    row = section["rows"][1]
    assert (row["title"], row["description"]) == ("09:15", "Haircut · 30 min")
    assert len(section["rows"]) == 10

    held = send(envelopes.tap(row["id"], row["title"], description=row["description"]))
    assert held["interactive"]["type"] == "button"
    buttons = [b["reply"] for b in held["interactive"]["action"]["buttons"]]
    assert [b["title"] for b in buttons] == ["Confirm", "Change time", "Cancel"]
    assert last_tools() == ["hold_time"]
    assert rows() == [("held", at(day, "09:15"))]

    booked = send(envelopes.tap(buttons[0]["id"], "Confirm", kind="button_reply"))
    assert booked["text"]["body"] == (
        f"Booked ✅ *Haircut* on {when(day, '09:15')} (booking #1). See you then!"
    )
    assert last_tools() == ["confirm_hold"]
    assert rows() == [("booked", at(day, "09:15"))]
    # Taps are answered at once: the typed message got its read receipt and typing indicator,
    # the taps none (the next receipt marks them read).
    assert len(fake_graph.read_receipts()) == 1


@pytest.mark.parametrize("openai_key", ["test-openai-key"])
def test_a_tap_needs_no_model_even_with_one_configured(send, fake_llm):
    fake_llm.default = lambda body: text_reply("the model answered")
    day = upcoming(3)
    slot = f"slot:{haircut_id()}:{at(day, '10:30'):%Y-%m-%dT%H:%MZ}"
    held = send(envelopes.tap(slot, "10:30"))
    assert held["interactive"]["body"]["text"].startswith("I'm holding *Haircut* on ")
    confirm = held["interactive"]["action"]["buttons"][0]["reply"]["id"]
    booked = send(envelopes.tap(confirm, "Confirm", kind="button_reply"))
    assert booked["text"]["body"].startswith("Booked ✅ *Haircut*")
    assert fake_llm.requests == []
    assert rows() == [("booked", at(day, "10:30"))]
    # Typed words go to the model as always.
    assert send(envelopes.text("thanks!", wa_id=WA_ID))["text"]["body"] == "the model answered"
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("openai_key", ["test-openai-key"])
def test_a_tap_on_an_id_not_ours_is_read_by_the_model(send, fake_llm):
    fake_llm.default = lambda body: text_reply("the model answered")
    assert send(envelopes.tap("someone-else:7", "Yes"))["text"]["body"] == "the model answered"
    assert rows() == []


@pytest.fixture
def page(app):
    db.execute(
        "UPDATE businesses SET messenger_page_id = %s, page_access_token = 'page-token',"
        " updated_at = clock_timestamp() WHERE id = %s",
        (PAGE_ID, demo_id()),
    )


def test_messenger_quick_replies_then_booked(page, send):
    day = upcoming(1)
    listed = send(envelopes.messenger(PSID, PAGE_ID, text=f"beard trim on {day.day} {day:%B}"))
    message = listed["message"]
    assert message["text"].startswith(f"Free times for Beard trim on {day:%A} {day.day}")
    chips = message["quick_replies"]
    assert [c["title"] for c in chips][:3] == ["09:00", "09:15", "09:30"]
    assert len(chips) == 10 and all(len(c["title"]) <= 20 for c in chips)

    held = send(envelopes.messenger(PSID, PAGE_ID, text="09:30", quick_reply=chips[2]["payload"]))
    buttons = held["message"]["quick_replies"]
    assert [c["title"] for c in buttons] == ["Confirm", "Change time", "Cancel"]
    booked = send(
        envelopes.messenger(PSID, PAGE_ID, text="Confirm", postback=buttons[0]["payload"])
    )
    assert booked["message"] == {
        "text": f"Booked ✅ Beard trim on {when(day, '09:30')} (booking #1). See you then!",
        "metadata": METADATA,
    }
    assert rows() == [("booked", at(day, "09:30"))]


def test_messenger_which_appointment_at_one_time_is_told_apart(page, send):
    """Two bookings at 10:00 (a haircut and a colouring): the chips would read alike once cut
    to Messenger's 20 characters, so the question goes as numbered text with the services."""
    day = upcoming(2)
    for service in ("Haircut", "Hair coloring"):
        sid = db.fetch_one("SELECT id FROM services WHERE name = %s", (service,))["id"]
        slot = f"slot:{sid}:{at(day, '10:00'):%Y-%m-%dT%H:%MZ}"
        held = send(envelopes.messenger(PSID, PAGE_ID, text="10:00", quick_reply=slot))
        confirm = held["message"]["quick_replies"][0]["payload"]
        send(envelopes.messenger(PSID, PAGE_ID, text="Confirm", quick_reply=confirm))
    asked = send(envelopes.messenger(PSID, PAGE_ID, text="cancel my appointment"))["message"]
    assert "quick_replies" not in asked
    moment = f"{day:%a} {day.day} {day:%b} 10:00"
    assert asked["text"] == (
        f"Which one should I cancel?\n1. {moment} Haircut — #1 Haircut\n"
        f"2. {moment} Hair coloring — #2 Hair coloring\nReply with 1–2."
    )
    assert send(envelopes.messenger(PSID, PAGE_ID, text="2"))["message"]["text"].startswith(
        "Cancelled: Hair coloring"
    )
    assert sorted(rows()) == [("booked", at(day, "10:00")), ("cancelled", at(day, "10:00"))]


def haircut_id() -> int:
    return db.fetch_one("SELECT id FROM services WHERE name = 'Haircut'")["id"]


@pytest.mark.parametrize("openai_key", ["test-openai-key"])
def test_the_model_reads_the_options_the_flow_sent(send, fake_llm):
    """Over budget the flow offered times as WhatsApp buttons; back on the model, the history
    shows the model those times, so "the first one" can mean the first of them."""
    db.execute("UPDATE businesses SET monthly_token_budget = 0, updated_at = clock_timestamp()")
    day = upcoming(2)
    listed = send(envelopes.text(f"haircut on {day.day} {day:%B} after 5pm", wa_id=WA_ID))
    assert listed["interactive"]["type"] == "button"  # three times: reply buttons
    db.execute("UPDATE businesses SET monthly_token_budget = NULL, updated_at = clock_timestamp()")
    fake_llm.default = lambda body: text_reply("Which day?")
    send(envelopes.text("the first one please", wa_id=WA_ID))
    history = [m for m in fake_llm.requests[-1]["messages"] if m["role"] == "assistant"]
    assert history[-1]["content"] == (
        f"Free times for *Haircut* on {day:%A} {day.day} {day:%B %Y}:\n"
        "Which one would you like?\n• 17:00\n• 17:15\n• 17:30"
    )

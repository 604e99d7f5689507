""" "Try the bot": real turns for a test customer, replies never sent to WhatsApp."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.storage import db
from tests.fake_llm import text_reply, tool_call


def next_tuesday() -> str:
    day = datetime.now(ZoneInfo("Europe/Madrid")).date() + timedelta(days=2)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return day.isoformat()


def path(world) -> str:
    return f"/businesses/{world.business_id}/sandbox"


def test_sandbox_turn_books_and_shows_tool_calls(api, world, fake_llm, fake_graph):
    day = next_tuesday()
    fake_llm.script += [
        tool_call("book_appointment", {"service": "Haircut", "date": day, "time": "10:00"}),
        text_reply("Booked!"),
    ]
    resp = api("POST", path(world) + "/messages", "staff", json={"text": "book a haircut"})
    assert resp.status_code == 200, resp.get_json()
    messages = resp.get_json()["messages"]
    assert [(m["direction"], m["body"]) for m in messages] == [
        ("in", "book a haircut"),
        ("out", "Booked!"),
    ]
    assert [c["name"] for c in messages[1]["tool_calls"]] == ["book_appointment"]
    assert messages[1]["tool_calls"][0]["result"]["status"] == "booked"
    booked = db.fetch_one(
        "SELECT count(*) AS n FROM appointments a JOIN customers c ON c.id = a.customer_id"
        " WHERE a.status = 'booked' AND c.sandbox"
    )
    assert booked["n"] == 1
    assert fake_graph.requests == []  # nothing reached WhatsApp, not even a read receipt


def test_sandbox_with_the_offline_model(app, api, world, fake_graph):
    app.config["OPENAI_API_KEY"] = ""
    day = next_tuesday()
    text = f"book a haircut on {day} at 11:00"
    resp = api("POST", path(world) + "/messages", "owner", json={"text": text})
    reply = resp.get_json()["messages"][-1]
    assert reply["body"].startswith("Booked ✅") and "at 11:00" in reply["body"]
    assert fake_graph.requests == []
    assert api("DELETE", path(world), "owner").status_code == 204
    rows = db.fetch_all(
        "SELECT a.status FROM appointments a"
        " JOIN customers c ON c.id = a.customer_id WHERE c.sandbox"
    )
    assert [r["status"] for r in rows] == ["cancelled"]  # kept, and cancelled


def test_sandboxes_are_per_user_and_reset(api, world):
    api("POST", path(world) + "/messages", "owner", json={"text": "hi"})
    assert api("GET", path(world) + "/messages", "staff").get_json()["messages"] == []
    assert len(api("GET", path(world) + "/messages", "owner").get_json()["messages"]) == 2
    assert api("DELETE", path(world), "owner").status_code == 204
    assert api("GET", path(world) + "/messages", "owner").get_json()["messages"] == []


def test_sandbox_rejects_empty_text(api, world):
    resp = api("POST", path(world) + "/messages", "owner", json={"text": "  "})
    assert resp.status_code == 400
    assert "text" in resp.get_json()["fields"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"text": "hi", "customer_id": 1}, {"customer_id": "unknown field"}),
        ({"txt": "hi"}, {"txt": "unknown field"}),
        ({"text": "hi", "a": 1, "b": 2}, {"a": "unknown field", "b": "unknown field"}),
    ],
)
def test_sandbox_rejects_unknown_fields(api, world, body, fields):
    resp = api("POST", path(world) + "/messages", "owner", json=body)
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == fields
    assert api("GET", path(world) + "/messages", "owner").get_json()["messages"] == []


def test_the_test_chat_gets_numbered_options_and_a_reset_forgets_them(app, api, world):
    app.config["OPENAI_API_KEY"] = ""

    def say(text: str):
        return api("POST", path(world) + "/messages", "owner", json={"text": text})

    listed = say(f"haircut on {next_tuesday()}").get_json()["messages"][-1]
    assert listed["body"].startswith("Free times for *Haircut* on Tuesday ")
    assert "\n1. 09:00\n2. 09:15\n" in listed["body"]  # nothing to tap in the console
    assert say("2").get_json()["messages"][-1]["body"].startswith("I'm holding *Haircut* ")
    assert api("DELETE", path(world), "owner").status_code == 204
    assert say("2").get_json()["messages"][-1]["body"] == (
        "I have no list open for that number. What would you like?"
    )

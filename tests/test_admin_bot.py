"""Console edits reach the next bot turn; pause/resume and cancellation notices end to end."""

from __future__ import annotations

import pytest

from app.storage import db
from tests import envelopes
from tests.fake_llm import system_prompt


def turn(post_webhook, drain, text: str, wa_id: str = "34600111222") -> None:
    assert post_webhook(envelopes.text(text, wa_id=wa_id)).status_code == 200
    drain()


def test_edited_prompt_is_used_in_the_next_turn(api, world, post_webhook, drain, fake_llm):
    turn(post_webhook, drain, "hello")  # warms the bot's business cache
    assert "Always mention our loyalty card." not in system_prompt(fake_llm.requests[-1])
    resp = api(
        "PATCH",
        f"/businesses/{world.business_id}",
        json={
            "personality": "Cheerful, uses the customer's first name.",
            "instructions": "Always mention our loyalty card.",
        },
    )
    assert resp.status_code == 200
    turn(post_webhook, drain, "hi again")
    prompt = system_prompt(fake_llm.requests[-1])
    assert "Personality and tone: Cheerful, uses the customer's first name.\n" in prompt
    assert "Always mention our loyalty card." in prompt


def test_edited_services_are_used_in_the_next_turn(api, world, post_webhook, drain, fake_llm):
    turn(post_webhook, drain, "hello")
    services = [{"name": "Hot towel shave", "duration_minutes": 25, "price": "18.50"}]
    resp = api("PUT", f"/businesses/{world.business_id}/services", json={"services": services})
    assert resp.status_code == 200
    turn(post_webhook, drain, "what do you offer?")
    prompt = system_prompt(fake_llm.requests[-1])
    assert "Hot towel shave (25 min, 18.50 EUR)" in prompt
    assert "Haircut" not in prompt


def test_edited_hours_are_used_in_the_next_turn(api, world, post_webhook, drain, fake_llm):
    turn(post_webhook, drain, "hello")
    hours = {"sun": {"open": "11:00", "close": "15:00", "breaks": []}}
    resp = api("PATCH", f"/businesses/{world.business_id}", json={"opening_hours": hours})
    assert resp.status_code == 200
    turn(post_webhook, drain, "are you open on sunday?")
    prompt = system_prompt(fake_llm.requests[-1])
    assert "Sunday: 11:00–15:00" in prompt
    assert "Monday: closed" in prompt


def test_paused_customer_is_stored_not_answered_until_resumed(
    api, world, post_webhook, drain, fake_llm, fake_graph
):
    base = f"/businesses/{world.business_id}/conversations/{world.customer_id}"
    assert api("POST", base + "/pause", "staff").get_json()["bot_paused"] is True
    turn(post_webhook, drain, "is anyone there?")
    assert fake_graph.messages_sent() == []
    assert fake_llm.requests == []
    stored = db.fetch_one(
        "SELECT body, status FROM messages WHERE customer_id = %s AND direction = 'in'"
        " ORDER BY id DESC LIMIT 1",
        (world.customer_id,),
    )
    assert stored == {"body": "is anyone there?", "status": "processed"}
    thread = api("GET", base, "staff").get_json()["messages"]
    assert thread[-1]["body"] == "is anyone there?"

    assert api("POST", base + "/resume", "staff").get_json()["bot_paused"] is False
    turn(post_webhook, drain, "hello?")
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == ["You said: hello?"]


def test_cancelling_sends_the_customer_a_notice(api, world, drain, fake_graph):
    path = f"/businesses/{world.business_id}/appointments/{world.appointment_id}/cancel"
    resp = api("POST", path, "staff")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["appointment"]["status"] == "cancelled"
    assert resp.get_json()["notified"] is True
    drain()
    sent = fake_graph.messages_sent()
    assert len(sent) == 1
    assert sent[0]["to"] == "34600111222"
    body = sent[0]["text"]["body"]
    assert body.startswith("Your Haircut appointment on ") and "cancelled by Demo Salon" in body
    status = db.fetch_one("SELECT status FROM appointments WHERE id = %s", (world.appointment_id,))[
        "status"
    ]
    assert status == "cancelled"
    again = api("POST", path, "staff")
    assert again.status_code == 409 and again.get_json()["code"] == "already_cancelled"
    assert again.get_json()["reason"] == "already_cancelled"  # the console words it (problems.ts)


def test_cancel_without_notice(api, world, drain, fake_graph):
    path = f"/businesses/{world.business_id}/appointments/{world.appointment_id}/cancel"
    resp = api("POST", path, "owner", json={"notify": False})
    assert resp.status_code == 200 and resp.get_json()["notified"] is False
    drain()
    assert fake_graph.messages_sent() == []


@pytest.mark.parametrize("message", ["", "   "])
def test_cancel_with_an_empty_message_sends_the_usual_words(api, world, drain, fake_graph, message):
    """The contract's `message` is any string up to 1000 characters: an empty one (a form's
    empty box) is no message of staff's own, as a blank one is."""
    path = f"/businesses/{world.business_id}/appointments/{world.appointment_id}/cancel"
    resp = api("POST", path, "staff", json={"message": message})
    assert resp.status_code == 200, resp.get_json()
    drain()
    [sent] = fake_graph.messages_sent()
    assert "cancelled by Demo Salon" in sent["text"]["body"]

"""End to end: signed webhook → stored → queued → worker turn → fake LLM → fake Graph API."""

from app.storage import db
from tests import envelopes
from tests.fake_llm import system_prompt


def test_text_message_is_answered_once(post_webhook, drain, fake_graph, fake_llm):
    assert post_webhook(envelopes.text("hello there")).status_code == 200
    drain()
    sent = fake_graph.messages_sent()
    assert [m["text"]["body"] for m in sent] == ["You said: hello there"]
    assert sent[0]["to"] == "34600111222"
    assert "Demo Salon" in system_prompt(fake_llm.requests[0])
    rows = db.fetch_all("SELECT direction, status FROM messages ORDER BY id")
    assert [(r["direction"], r["status"]) for r in rows] == [("in", "processed"), ("out", "sent")]

"""The 24-hour customer-service window: outside it no free text is attempted; a WhatsApp
template, a Messenger message tag, or a visible record of why the message was not sent."""

from __future__ import annotations

import time

import pytest

from app.channels.base import Outbound, Template
from app.channels.messenger.formatting import METADATA
from app.flow.words import say
from app.storage import db
from tests import envelopes
from tests.test_outbox import add_customer, demo_id, queue, rows, text_sends

PAGE_ID, PSID = "1029384756", "6254381284612345"


@pytest.fixture
def page(app) -> int:
    """The demo salon with a Messenger Page too; returns the business id."""
    db.execute(
        "UPDATE businesses SET messenger_page_id = %s, page_access_token = 'page-token'"
        " WHERE id = %s",
        (PAGE_ID, demo_id()),
    )
    return demo_id()


def messenger_sends(fake_graph) -> list[dict]:
    return [r.json for r in fake_graph.requests if r.json and "recipient" in r.json]


def test_a_late_whatsapp_delivery_gets_no_free_text_and_the_console_shows_why(
    post_webhook, drain, fake_graph, fake_llm, api, world
):
    """After a long outage of ours Meta delivers a message written 25 hours ago."""
    envelope = envelopes.text("can I book tomorrow at 10?", wa_id="34600600001")
    written = int(time.time()) - 25 * 3600
    envelope["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(written)
    assert post_webhook(envelope).status_code == 200
    drain()
    assert text_sends(fake_graph) == [] and fake_graph.read_receipts() == []
    assert fake_llm.requests == []  # a day-old request is not acted on
    customer = db.fetch_one(
        "SELECT id, extract(epoch FROM last_inbound_at)::bigint AS at FROM customers"
        " WHERE address = '34600600001'"
    )
    assert customer["at"] == written  # Meta's timestamp, not when we received it
    [reply] = rows(customer["id"])
    assert (reply["status"], reply["send_error"], reply["error_code"]) == (
        "failed",
        "window_closed",
        None,
    )
    thread = api("GET", f"/businesses/{world.business_id}/conversations/{customer['id']}", "staff")
    [shown] = [m for m in thread.get_json()["messages"] if m["direction"] == "out"]
    assert (shown["status"], shown["send_error"]) == ("failed", "window_closed")
    assert shown["error_title"].startswith("not sent: the customer-service window had closed")


def test_a_late_delivery_s_reply_is_recorded_in_the_customer_s_language(
    post_webhook, drain, fake_graph
):
    """The reply staff see in the thread (never sent: the window closed) is in the words the
    late message was written in."""
    envelope = envelopes.text("hola, ¿puedo reservar mañana a las 10?", wa_id="34600600009")
    written = int(time.time()) - 25 * 3600
    envelope["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(written)
    assert post_webhook(envelope).status_code == 200
    drain()
    customer = db.fetch_one("SELECT id FROM customers WHERE address = '34600600009'")
    [reply] = rows(customer["id"])
    assert reply["body"] == say("es", "late_reply")
    assert reply["send_error"] == "window_closed"


def test_a_reply_25_hours_after_the_last_message_is_not_attempted(app, drain, fake_graph):
    customer = add_customer(demo_id(), "34600600002", hours_since_last_message=25)
    queue(app, demo_id(), customer, ["Yes, 10:00 is free."])
    drain()
    assert fake_graph.requests == []
    [row] = rows(customer["id"])
    assert (row["status"], row["send_error"]) == ("failed", "window_closed")
    assert row["error_title"] == (
        "not sent: the customer-service window had closed (last message 25 h ago)"
    )


def test_a_customer_who_never_wrote_gets_no_free_text(app, drain, fake_graph):
    customer = add_customer(demo_id(), "34600600003", hours_since_last_message=None)
    queue(app, demo_id(), customer, ["Hello!"], "notice")
    drain()
    assert fake_graph.requests == []
    [row] = rows(customer["id"])
    assert (row["send_error"], row["error_title"]) == (
        "window_closed",
        "not sent: the customer has never written on this channel",
    )


def test_a_whatsapp_notice_goes_as_the_businesss_template(app, drain, fake_graph):
    db.execute(
        "UPDATE businesses SET notice_template = 'appointment_update',"
        " notice_template_language = 'en_US' WHERE id = %s",
        (demo_id(),),
    )
    customer = add_customer(demo_id(), "34600600004", hours_since_last_message=25)
    queue(app, demo_id(), customer, ["Your Haircut on Monday\nat 10:00 was cancelled."], "notice")
    drain()
    [sent] = fake_graph.messages_sent()
    assert (sent["to"], sent["type"]) == ("34600600004", "template")
    assert sent["template"] == {
        "name": "appointment_update",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Your Haircut on Monday at 10:00 was cancelled."}
                ],
            }
        ],
    }
    [row] = rows(customer["id"])
    assert (row["status"], row["sent_as"]) == ("sent", "template:appointment_update")


def test_a_whatsapp_notice_without_a_template_is_recorded_as_not_sendable(app, drain, fake_graph):
    customer = add_customer(demo_id(), "34600600005", hours_since_last_message=25)
    queue(app, demo_id(), customer, ["Cancelled."], "notice")
    drain()
    assert fake_graph.requests == []
    assert [(r["status"], r["send_error"]) for r in rows(customer["id"])] == [
        ("failed", "window_closed")
    ]


def test_inside_the_window_a_notice_is_plain_text(app, drain, fake_graph):
    db.execute(
        "UPDATE businesses SET notice_template = 'appointment_update' WHERE id = %s", (demo_id(),)
    )
    customer = add_customer(demo_id(), "34600600006", hours_since_last_message=23)
    queue(app, demo_id(), customer, ["Cancelled."], "notice")
    drain()
    assert [(m["type"], m["text"]["body"]) for m in fake_graph.messages_sent()] == [
        ("text", "Cancelled.")
    ]


@pytest.mark.parametrize(
    ("purpose", "hours", "tag"),
    [
        ("notice", 25, "CONFIRMED_EVENT_UPDATE"),
        ("notice", 24 * 30, "CONFIRMED_EVENT_UPDATE"),
        ("staff", 72, "HUMAN_AGENT"),
    ],
)
def test_a_messenger_message_outside_the_window_goes_with_its_tag(
    app, page, drain, fake_graph, purpose, hours, tag
):
    customer = add_customer(page, PSID, "messenger", hours_since_last_message=hours)
    queue(app, page, customer, ["Your appointment moved to 11:00."], purpose)
    drain()
    assert messenger_sends(fake_graph) == [
        {
            "recipient": {"id": PSID},
            "messaging_type": "MESSAGE_TAG",
            "tag": tag,
            "message": {"text": "Your appointment moved to 11:00.", "metadata": METADATA},
        }
    ]
    assert fake_graph.requests[0].path == f"/v21.0/{PAGE_ID}/messages"
    assert fake_graph.requests[0].headers["authorization"] == "Bearer page-token"
    [row] = rows(customer["id"])
    assert (row["status"], row["sent_as"]) == ("sent", f"tag:{tag}")
    assert row["external_id"].startswith("m_FAKE")


@pytest.mark.parametrize(("purpose", "hours"), [("reply", 25), ("staff", 24 * 8)])
def test_a_messenger_message_no_tag_allows_is_recorded_as_not_sendable(
    app, page, drain, fake_graph, purpose, hours
):
    customer = add_customer(page, PSID, "messenger", hours_since_last_message=hours)
    queue(app, page, customer, ["Anything else?"], purpose)
    drain()
    assert fake_graph.requests == []
    assert [(r["status"], r["send_error"]) for r in rows(customer["id"])] == [
        ("failed", "window_closed")
    ]


def test_inside_the_window_messenger_gets_a_plain_response(app, page, drain, fake_graph):
    customer = add_customer(page, PSID, "messenger", hours_since_last_message=2)
    queue(app, page, customer, ["See you tomorrow!"])
    drain()
    assert messenger_sends(fake_graph) == [
        {
            "recipient": {"id": PSID},
            "messaging_type": "RESPONSE",
            "message": {"text": "See you tomorrow!", "metadata": METADATA},
        }
    ]


def test_the_provider_saying_the_window_closed_is_recorded_with_its_code(app, drain, fake_graph):
    """Our clock and Meta's may disagree at the edge of the window: Meta's answer is kept."""
    customer = add_customer(demo_id(), "34600600007", hours_since_last_message=23.99)
    fake_graph.fail_next(131047)
    queue(app, demo_id(), customer, ["Just in time?"])
    drain()
    assert [(r["status"], r["send_error"], r["error_code"]) for r in rows(customer["id"])] == [
        ("failed", "window_closed", 131047)
    ]
    assert len(text_sends(fake_graph)) == 1


def test_a_notice_refused_at_the_window_s_edge_goes_as_its_template(app, drain, fake_graph):
    """Meta refuses the free text (131047) where our clock still saw the window open: a notice
    with the business's approved template goes as that template at once."""
    db.execute(
        "UPDATE businesses SET notice_template = 'appointment_update',"
        " notice_template_language = 'en_US' WHERE id = %s",
        (demo_id(),),
    )
    customer = add_customer(demo_id(), "34600600099", hours_since_last_message=23.99)
    fake_graph.fail_next(131047)
    queue(app, demo_id(), customer, ["Your Haircut on Monday at 10:00 was cancelled."], "notice")
    drain()
    sent = [r.json for r in fake_graph.requests if r.json and r.json.get("to") == "34600600099"]
    assert [m["type"] for m in sent] == ["text", "template"]
    assert sent[1]["template"]["name"] == "appointment_update"
    assert [(r["status"], r["sent_as"]) for r in rows(customer["id"])] == [
        ("sent", "template:appointment_update")
    ]


def test_a_messenger_notice_refused_at_the_window_s_edge_goes_with_its_tag(
    page, app, drain, fake_graph
):
    customer = add_customer(page, PSID, channel="messenger", hours_since_last_message=23.99)
    fake_graph.fail_next(10, subcode=2018278)
    queue(app, page, customer, ["Your Haircut on Monday at 10:00 was cancelled."], "notice")
    drain()
    sends = messenger_sends(fake_graph)
    assert [(m["messaging_type"], m.get("tag")) for m in sends] == [
        ("RESPONSE", None),
        ("MESSAGE_TAG", "CONFIRMED_EVENT_UPDATE"),
    ]
    assert [r["status"] for r in rows(customer["id"])] == ["sent"]


def sent_as_text_then_template(fake_graph, customer: dict, to: str) -> dict:
    """The notice went as text, then once as its template, and is recorded sent so: its row."""
    sent = [m for m in fake_graph.messages_sent() if m.get("to") == to]
    assert [m["type"] for m in sent] == ["text", "template"]
    assert sent[1]["template"]["name"] == "appointment_update"
    [row] = rows(customer["id"])
    assert (row["status"], row["sent_as"], row["send_error"], row["error_code"]) == (
        "sent",
        "template:appointment_update",
        None,
        None,
    )
    return row


def window_failed(external_id: str, recipient: str) -> dict:
    """WhatsApp's webhook saying a message it accepted failed: the window had closed."""
    errors = [
        {"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message"}
    ]
    return envelopes.status(external_id, "failed", recipient=recipient, errors=errors)


def test_a_notice_meta_reports_outside_the_window_goes_as_its_template_once(
    app, drain, fake_graph, post_webhook
):
    """Meta accepts the free text where our clock still saw the window open, then reports
    131047 in a status webhook: the notice goes as the business's template, as when the send
    itself is refused; a redelivered failure changes nothing, and the template's own failure
    (the same form again would fail again) is recorded."""
    db.execute(
        "UPDATE businesses SET notice_template = 'appointment_update',"
        " notice_template_language = 'en_US' WHERE id = %s",
        (demo_id(),),
    )
    customer = add_customer(demo_id(), "34600600098", hours_since_last_message=23.99)
    queue(app, demo_id(), customer, ["Your Haircut on Monday at 10:00 was cancelled."], "notice")
    drain()
    [first] = rows(customer["id"])
    assert first["sent_as"] == "text"
    assert post_webhook(window_failed(first["external_id"], "34600600098")).status_code == 200
    drain()
    row = sent_as_text_then_template(fake_graph, customer, "34600600098")
    assert row["external_id"] not in (None, first["external_id"])
    post_webhook(window_failed(first["external_id"], "34600600098"))  # Meta redelivers it
    drain()
    assert len(fake_graph.messages_sent()) == 2
    assert rows(customer["id"])[0]["status"] == "sent"
    post_webhook(window_failed(row["external_id"], "34600600098"))  # the template failed too
    drain()
    assert len(fake_graph.messages_sent()) == 2
    [row] = rows(customer["id"])
    assert (row["status"], row["send_error"], row["error_code"]) == (
        "failed",
        "window_closed",
        131047,
    )


def test_a_window_failure_meta_reports_before_the_send_is_recorded_sends_the_template_once(
    app, drain, fake_graph, post_webhook, release
):
    """131047 in a status that overtakes Meta's answer to the send: kept until the send is
    recorded, then dealt with as one that came after: the notice goes as its template, once."""
    from app import outbox
    from tests.test_reminder_races import Run

    db.execute(
        "UPDATE businesses SET notice_template = 'appointment_update',"
        " notice_template_language = 'en_US' WHERE id = %s",
        (demo_id(),),
    )
    business_id = demo_id()
    customer = add_customer(business_id, "34600600097", hours_since_last_message=23.99)
    queue(app, business_id, customer, ["Your Haircut on Monday at 10:00 was cancelled."], "notice")
    fake_graph.hold_next(release, wamid="wamid.OVERTAKEN.WINDOW")
    sender = Run(app, lambda: outbox.send_pending(business_id, customer["id"]))
    fake_graph.wait_for_arrivals(1, timeout=30)  # at Meta, its answer not given yet
    envelope = window_failed("wamid.OVERTAKEN.WINDOW", "34600600097")
    assert post_webhook(envelope).status_code == 200
    release.set()
    sender.outcome()
    drain()
    sent_as_text_then_template(fake_graph, customer, "34600600097")
    post_webhook(envelope)  # Meta redelivers it
    drain()
    assert len(fake_graph.messages_sent()) == 2
    assert rows(customer["id"])[0]["status"] == "sent"


def test_a_reply_meta_reports_outside_the_window_is_recorded_as_a_refused_one_is(
    app, drain, fake_graph, post_webhook
):
    """A reply has no form allowed outside the window: Meta's later 131047 is recorded as its
    refusal of the send would be (`window_closed`, with its code), and nothing is sent again."""
    customer = add_customer(demo_id(), "34600600097", hours_since_last_message=23.99)
    queue(app, demo_id(), customer, ["Just in time?"])
    drain()
    [first] = rows(customer["id"])
    post_webhook(window_failed(first["external_id"], "34600600097"))
    drain()
    assert len(text_sends(fake_graph)) == 1
    assert [(r["status"], r["send_error"], r["error_code"]) for r in rows(customer["id"])] == [
        ("failed", "window_closed", 131047)
    ]


def test_a_reminder_meta_reports_outside_the_window_goes_as_its_own_template(
    app, drain, fake_graph, post_webhook
):
    reminder = Outbound(
        text="See you tomorrow at 10:00?",
        template=Template("appointment_reminder", "en_US", ("Kim", "tomorrow at 10:00")),
    )
    customer = add_customer(demo_id(), "34600600096", hours_since_last_message=23.99)
    queue(app, demo_id(), customer, [reminder], "reminder")
    drain()
    [first] = rows(customer["id"])
    post_webhook(window_failed(first["external_id"], "34600600096"))
    drain()
    sent = [m for m in fake_graph.messages_sent() if m.get("to") == "34600600096"]
    assert [m["type"] for m in sent] == ["text", "template"]
    assert [(r["status"], r["sent_as"]) for r in rows(customer["id"])] == [
        ("sent", "template:appointment_reminder")
    ]


def test_a_reminder_meta_failed_outside_the_window_goes_as_text_once_the_customer_wrote(
    app, drain, fake_graph, post_webhook
):
    """Meta's later 131047 notes the message `window_closed`, so it goes in the form allowed
    outside the window whatever our clock says; but the customer writing before it goes opens
    the window again, and it goes as its text, not as the template."""
    reminder = Outbound(
        text="See you tomorrow at 10:00?",
        template=Template("appointment_reminder", "en_US", ("Kim", "tomorrow at 10:00")),
    )
    customer = add_customer(demo_id(), "34600600095", hours_since_last_message=23.99)
    queue(app, demo_id(), customer, [reminder], "reminder")
    drain()
    [first] = rows(customer["id"])
    assert post_webhook(window_failed(first["external_id"], "34600600095")).status_code == 200
    # The customer writes before the send goes: the window is open again.
    db.execute(
        "UPDATE customers SET last_inbound_at = clock_timestamp() WHERE id = %s",
        (customer["id"],),
    )
    drain()
    sent = [m for m in fake_graph.messages_sent() if m.get("to") == "34600600095"]
    assert [m["type"] for m in sent] == ["text", "text"]
    assert [(r["status"], r["sent_as"], r["send_error"]) for r in rows(customer["id"])] == [
        ("sent", "text", None)
    ]

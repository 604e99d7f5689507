"""The WhatsApp backend of the Channel port, against a real local fake of the Graph API."""

from __future__ import annotations

import json
import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.channels.base import (
    Account,
    Button,
    DeliveryStatus,
    InboundKind,
    ListRow,
    ListSection,
    Outbound,
    SendError,
    SendResult,
    Template,
)
from app.channels.whatsapp import WhatsAppChannel
from tests.fake_graph import FakeGraph

PHONE_ID, TOKEN, TO = "106540352242922", "EAAG-secret-token", "16505551234"
ACCOUNT = Account(PHONE_ID, TOKEN)
DATA = Path(__file__).parent / "data" / "meta-payloads"


def channel(base_url: str, timeout: float = 5) -> WhatsAppChannel:
    return WhatsAppChannel(base_url, "v21.0", timeout=timeout)


def payload(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def test_send_text_is_one_request_and_returns_the_message_id(fake_graph: FakeGraph):
    result = channel(fake_graph.base_url).send(ACCOUNT, TO, Outbound(text="Hi *there*"))
    assert result.ok and result.external_id.startswith("wamid.FAKE")
    (req,) = fake_graph.requests
    assert req.path == f"/v21.0/{PHONE_ID}/messages"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"preview_url": False, "body": "Hi *there*"},
    }


def test_each_send_gets_a_fresh_id(fake_graph: FakeGraph):
    wa = channel(fake_graph.base_url)
    ids = {wa.send(ACCOUNT, TO, Outbound(text=str(i))).external_id for i in range(3)}
    assert len(ids) == 3


def test_start_reply_marks_read_and_types_in_one_call(fake_graph: FakeGraph):
    channel(fake_graph.base_url).start_reply(ACCOUNT, TO, "wamid.IN")
    assert fake_graph.read_receipts() == [
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.IN",
            "typing_indicator": {"type": "text"},
        }
    ]
    assert fake_graph.messages_sent() == []


def test_mark_read_alone_shows_no_typing(fake_graph: FakeGraph):
    channel(fake_graph.base_url).mark_read(ACCOUNT, TO, "wamid.IN")
    assert fake_graph.read_receipts() == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"}
    ]


@pytest.mark.parametrize(
    ("code", "http_status", "error"),
    [
        (130429, 400, SendError.RATE_LIMITED),
        (131056, 400, SendError.PAIR_RATE_LIMITED),
        (131000, 500, SendError.RETRY_LATER),
        (131048, 400, SendError.RETRY_LATER),  # spam rate limit: a throttle, lifted later
        (131057, 400, SendError.RETRY_LATER),  # account in maintenance mode
        (131047, 400, SendError.WINDOW_CLOSED),
        (131047, 500, SendError.WINDOW_CLOSED),  # the code wins over the HTTP status
        (131026, 400, SendError.UNREACHABLE),
        (100, 400, SendError.NEVER_RETRY),
        (132001, 400, SendError.NEVER_RETRY),  # template does not exist
        (368, 403, SendError.NEVER_RETRY),
        (190, 401, SendError.BAD_CREDENTIALS),
    ],
)
def test_refusals_are_classified_and_never_retried_here(
    fake_graph: FakeGraph, code: int, http_status: int, error: SendError
):
    fake_graph.fail_next(code, http_status=http_status)
    result = channel(fake_graph.base_url).send(ACCOUNT, TO, Outbound(text="hi"))
    assert (result.ok, result.error, result.error_code) == (False, error, code)
    assert result.error_title
    assert len(fake_graph.requests) == 1  # the outbox decides about retrying


@pytest.mark.parametrize("http_status", [500, 502, 503])
def test_5xx_without_meta_body_is_retry_later(fake_graph: FakeGraph, http_status: int):
    fake_graph.respond_next(http_status, {})
    result = channel(fake_graph.base_url).send(ACCOUNT, TO, Outbound(text="hi"))
    assert (result.ok, result.error, result.error_code) == (False, SendError.RETRY_LATER, None)


def test_retry_after_header_is_passed_on(fake_graph: FakeGraph):
    fake_graph.fail_next(130429, headers={"Retry-After": "7"})
    result = channel(fake_graph.base_url).send(ACCOUNT, TO, Outbound(text="hi"))
    assert (result.error, result.retry_after) == (SendError.RATE_LIMITED, 7.0)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_retry_later():
    result = channel(f"http://127.0.0.1:{closed_port()}").send(ACCOUNT, TO, Outbound(text="hi"))
    assert result == SendResult(False, error=SendError.RETRY_LATER, error_title="ConnectionError")


def test_timeout_is_retry_later(fake_graph: FakeGraph):
    fake_graph.delay_next(2)
    result = channel(fake_graph.base_url, timeout=0.2).send(ACCOUNT, TO, Outbound(text="hi"))
    assert (result.ok, result.error) == (False, SendError.RETRY_LATER)


def test_token_never_logged(fake_graph: FakeGraph, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    fake_graph.fail_next(130429)
    channel(fake_graph.base_url).send(ACCOUNT, TO, Outbound(text="hi"))
    assert caplog.records and TOKEN not in caplog.text
    assert PHONE_ID in caplog.text


def test_missing_token_is_bad_credentials(fake_graph: FakeGraph):
    result = channel(fake_graph.base_url).send(Account(PHONE_ID, ""), TO, Outbound(text="hi"))
    assert (result.ok, result.error, result.error_code) == (False, SendError.BAD_CREDENTIALS, 190)


def test_reply_buttons(fake_graph: FakeGraph):
    message = Outbound(text="Which time?", buttons=(Button("t1", "10:00"), Button("t2", "11:00")))
    assert channel(fake_graph.base_url).send(ACCOUNT, TO, message).ok
    assert fake_graph.messages_sent()[0]["interactive"] == {
        "type": "button",
        "body": {"text": "Which time?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "t1", "title": "10:00"}},
                {"type": "reply", "reply": {"id": "t2", "title": "11:00"}},
            ]
        },
    }


def test_list(fake_graph: FakeGraph):
    rows = (ListRow("s1", "Haircut", "30 min, 25 EUR"), ListRow("s2", "Beard trim"))
    message = Outbound(text="Pick one", list_button="Services", sections=(ListSection("", rows),))
    assert channel(fake_graph.base_url).send(ACCOUNT, TO, message).ok
    assert fake_graph.messages_sent()[0]["interactive"]["action"] == {
        "button": "Services",
        "sections": [
            {
                "rows": [
                    {"id": "s1", "title": "Haircut", "description": "30 min, 25 EUR"},
                    {"id": "s2", "title": "Beard trim"},
                ]
            }
        ],
    }


def test_template_with_name_language_and_parameters(fake_graph: FakeGraph):
    template = Template("appointment_update", "en_US", ("Your haircut on Monday is cancelled.",))
    assert channel(fake_graph.base_url).send(ACCOUNT, TO, Outbound(template=template)).ok
    sent = fake_graph.messages_sent()[0]
    assert (sent["type"], sent["template"]) == (
        "template",
        {
            "name": "appointment_update",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Your haircut on Monday is cancelled."}
                    ],
                }
            ],
        },
    )


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (Outbound(text=""), "text is empty"),
        (Outbound(text="x" * 4097), "text is 4097 characters; whatsapp allows 4096"),
        (
            Outbound(text="x", buttons=tuple(Button(str(i), str(i)) for i in range(4))),
            "4 buttons; whatsapp allows 3",
        ),
        (Outbound(text="x", buttons=(Button("a", "y" * 21),)), "button 1 title is 21 characters"),
        (Outbound(text="x" * 1025, buttons=(Button("a", "b"),)), "whatsapp allows 1024"),
        (Outbound(template=Template("Bad Name", "en")), "template name must be lower-case"),
        (Outbound(template=Template("ok", "en", ("two\nlines",))), "has a new line"),
    ],
)
def test_what_whatsapp_refuses_is_caught_before_sending(fake_graph, message, problem):
    result = channel(fake_graph.base_url).send(ACCOUNT, TO, message)
    assert (result.ok, result.error) == (False, SendError.NEVER_RETRY)
    assert problem in result.error_title
    assert fake_graph.requests == []


def test_format_text_converts_markdown_and_splits_at_4096():
    chunks = WhatsAppChannel("http://x", "v21.0").format_text("**Hi**\n\n" + "word " * 1000)
    assert chunks[0].startswith("*Hi*")
    assert len(chunks) == 2 and all(len(c) <= 4096 for c in chunks)


def test_outside_the_window_only_a_template_goes_on_one_line():
    wa = WhatsAppChannel("http://x", "v21.0")
    day = timedelta(hours=25)
    assert wa.outside_window(Outbound(text="hi", tag="CONFIRMED_EVENT_UPDATE"), day) is None
    template = Template("notice", "en", ("Cancelled:\n  Monday   10:00",))
    shaped = wa.outside_window(Outbound(text="hi", template=template), day)
    assert shaped == Outbound(template=Template("notice", "en", ("Cancelled: Monday 10:00",)))


@pytest.mark.parametrize(
    ("name", "kind", "text", "choice"),
    [
        ("text_message.json", InboundKind.TEXT, "Does it come in another color?", ""),
        ("interactive_list_reply.json", InboundKind.CHOICE, None, "priority_express"),
        ("interactive_button_reply.json", InboundKind.CHOICE, "Change", None),
        ("image_message.json", InboundKind.MEDIA, "Taj Mahal", ""),
        ("reaction_message.json", InboundKind.REACTION, None, ""),
        ("system_user_changed_number.json", InboundKind.SYSTEM, None, ""),
        ("order_message.json", InboundKind.OTHER, None, ""),
    ],
)
def test_parse_gives_channel_neutral_messages(name, kind, text, choice):
    parsed = WhatsAppChannel("http://x", "v21.0").parse(payload(name))
    [message] = parsed.messages
    assert (parsed.channel, message.channel, message.kind) == ("whatsapp", "whatsapp", kind)
    assert message.external_id.startswith("wamid.") and message.account_id
    assert message.sent_at is not None and message.sent_at.tzinfo is UTC
    if text is not None:
        assert message.text == text
    if choice is not None:
        assert message.payload == choice


def test_parse_keeps_meta_timestamp_and_reply_context():
    [message] = WhatsAppChannel("http://x", "v21.0").parse(payload("text_message.json")).messages
    raw = payload("text_message.json")["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message.sent_at == datetime.fromtimestamp(int(raw["timestamp"]), UTC)
    [reply] = (
        WhatsAppChannel("http://x", "v21.0").parse(payload("text_reply_with_context.json")).messages
    )
    assert reply.reply_to and reply.reply_to.startswith("wamid.")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("sent", DeliveryStatus.SENT), ("played", DeliveryStatus.READ), ("deleted", None)],
)
def test_statuses_become_delivery_statuses(raw, expected):
    envelope = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "metadata": {"phone_number_id": PHONE_ID},
                            "statuses": [{"id": "wamid.S", "status": raw, "recipient_id": TO}],
                        },
                    }
                ]
            }
        ],
    }
    parsed = WhatsAppChannel("http://x", "v21.0").parse(envelope)
    assert [s.status for s in parsed.statuses] == ([expected] if expected else [])
    if expected is None:
        assert parsed.ignored == (f"status={raw}",)


def test_fake_reset_and_wait_timeout(fake_graph: FakeGraph):
    fake_graph.fail_next(100)
    fake_graph.reset()
    assert channel(fake_graph.base_url).send(ACCOUNT, TO, Outbound(text="hi")).ok
    fake_graph.reset()
    assert fake_graph.requests == []
    with pytest.raises(AssertionError):
        fake_graph.wait_for_sends(1, timeout=0.05)

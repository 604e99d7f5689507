"""Webhook parsing: every real payload gives the expected updates; hostile shapes never raise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest

from app.channels.whatsapp import WhatsAppChannel
from app.channels.whatsapp.payloads import (
    MAX_UPDATES,
    Envelope,
    MessageType,
    StatusKind,
    parse_envelope,
)
from tests.test_whatsapp_bsuid_customers import bsuid_change, number_change, with_ids
from tests.test_whatsapp_bsuid_customers import message as bsuid_message

DATA = Path(__file__).parent / "data" / "meta-payloads"
WABA = "whatsapp_business_account"
LUCKY, PYWA, NETFLIE = "16505551234", "972987654321", "PHONE_NUMBER"


class Msg(NamedTuple):
    type: MessageType
    sender: str
    text: str = ""
    profile_name: str = "Test Name"
    context: str | None = None
    error_codes: tuple[int, ...] = ()


class Status(NamedTuple):
    kind: StatusKind
    recipient: str
    error_codes: tuple[int, ...] = ()


class Expect(NamedTuple):
    messages: tuple[Msg, ...] = ()
    statuses: tuple[Status, ...] = ()
    change_errors: tuple[int, ...] = ()
    object: str = WABA


T = MessageType
PAGE = Expect(object="page")
EXPECTED: dict[str, Expect] = {
    "audio_message_forwarded.json": Expect((Msg(T.AUDIO, PYWA),)),
    "audio_voice_message.json": Expect((Msg(T.AUDIO, PYWA),)),
    "contacts_message.json": Expect((Msg(T.CONTACTS, PYWA),)),
    "document_message.json": Expect((Msg(T.DOCUMENT, PYWA, "caption"),)),
    "image_message.json": Expect((Msg(T.IMAGE, LUCKY, "Taj Mahal", "Sheena Nelson"),)),
    "interactive_button_reply.json": Expect(
        (
            Msg(
                T.INTERACTIVE,
                LUCKY,
                "Change",
                "Pablo Morales",
                "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBJBM0Y4RUU0RUNFQkFDMjYzQUMA",
            ),
        )
    ),
    "interactive_list_reply.json": Expect(
        (
            Msg(
                T.INTERACTIVE,
                LUCKY,
                "Priority Mail Express (Next Day to 2 Days)",
                "Pablo Morales",
                "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBIwMjg0RkMxOEMyMkNEQUFFRDgA",
            ),
        )
    ),
    "interactive_with_value_errors_131000.json": Expect(
        (Msg(T.INTERACTIVE, PYWA, context="wamid.gvwegfretge=="),), change_errors=(131000,)
    ),
    "location_message.json": Expect(
        (Msg(T.LOCATION, PYWA, "Facebook HQ, 1 Hacker Way, Menlo Park, CA 94025"),)
    ),
    "messenger_delivery.json": PAGE,
    "messenger_image_attachment.json": PAGE,
    "messenger_postback.json": PAGE,
    "messenger_text_message.json": PAGE,
    "multiple_changes_two_text_messages.json": Expect(
        (
            Msg(T.TEXT, NETFLIE, "MESSAGE_BODY", "NAME"),
            Msg(T.TEXT, NETFLIE, "MESSAGE_BODY2", "NAME"),
        )
    ),
    "order_message.json": Expect((Msg(T.ORDER, PYWA),)),
    "reaction_message.json": Expect((Msg(T.REACTION, PYWA, "\U0001f62e"),)),
    "reaction_removed.json": Expect((Msg(T.REACTION, PYWA),)),
    "status_delivered.json": Expect(statuses=(Status(StatusKind.DELIVERED, LUCKY),)),
    "status_failed_130472.json": Expect(statuses=(Status(StatusKind.FAILED, PYWA, (130472,)),)),
    "status_failed_131049.json": Expect(statuses=(Status(StatusKind.FAILED, LUCKY, (131049,)),)),
    "status_read.json": Expect(statuses=(Status(StatusKind.READ, PYWA),)),
    "status_sent_marketing.json": Expect(statuses=(Status(StatusKind.SENT, LUCKY),)),
    "sticker_animated.json": Expect((Msg(T.STICKER, PYWA),)),
    "system_user_changed_number.json": Expect(
        (Msg(T.SYSTEM, PYWA, "User A changed from 972987654321 to 972912345678", ""),)
    ),
    "template_quick_reply_button.json": Expect(
        (Msg(T.BUTTON, PYWA, "title", context="wamid.xyzxyz=="),)
    ),
    "text_bsuid_only_no_from.json": Expect((Msg(T.TEXT, "BSUID_123", "MESSAGE_BODY", "NAME"),)),
    "text_business_button_referred_product.json": Expect(
        (
            Msg(
                T.TEXT,
                LUCKY,
                "Is this still available?",
                "Sheena Nelson",
                "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA",
            ),
        )
    ),
    "text_click_to_whatsapp_ad_referral.json": Expect(
        (Msg(T.TEXT, LUCKY, "Can I get more info about this?", "Sheena Nelson"),)
    ),
    "text_forwarded.json": Expect((Msg(T.TEXT, PYWA, "forwarded text"),)),
    "text_message.json": Expect(
        (Msg(T.TEXT, LUCKY, "Does it come in another color?", "Sheena Nelson"),)
    ),
    "text_reply_with_context.json": Expect(
        (Msg(T.TEXT, PYWA, "replied text", context="wamid.xyzxyz=="),)
    ),
    "unknown_message_type_legacy.json": Expect(
        (Msg(T.UNKNOWN, NETFLIE, profile_name="NAME", error_codes=(131051,)),)
    ),
    "unsupported_message.json": Expect((Msg(T.UNSUPPORTED, PYWA, error_codes=(131051,)),)),
    "video_message.json": Expect((Msg(T.VIDEO, PYWA, "caption"),)),
}


def load(name: str) -> object:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_every_payload_file_has_expectations():
    assert sorted(p.name for p in DATA.glob("*.json")) == sorted(EXPECTED)
    assert (DATA / "SOURCES.md").is_file()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_payload(name: str):
    env, want = parse_envelope(load(name)), EXPECTED[name]
    assert env.object == want.object
    got_msgs = tuple(
        Msg(m.type, m.sender, m.text, m.profile_name, m.context_wamid, codes(m.errors))
        for m in env.messages
    )
    assert got_msgs == want.messages
    got_statuses = tuple(Status(s.status, s.recipient_id, codes(s.errors)) for s in env.statuses)
    assert got_statuses == want.statuses
    assert tuple(c for e in env.errors for c in codes(e.errors)) == want.change_errors
    assert all(m.wamid and m.timestamp and m.phone_number_id for m in env.messages)
    assert all(s.wamid and s.timestamp and s.phone_number_id for s in env.statuses)
    assert env.ignored == (() if want.object == WABA else ("object=page",))


def codes(errors) -> tuple[int | None, ...]:
    return tuple(e.code for e in errors)


def test_message_fields_and_raw():
    (msg,) = parse_envelope(load("text_message.json")).messages
    assert msg.phone_number_id == "106540352242922"
    assert msg.display_phone_number == "15550783881"
    assert msg.timestamp == 1749416383
    assert msg.raw_type == "text"
    assert json.loads(json.dumps(msg.raw))["text"] == {"body": "Does it come in another color?"}


def test_identities_beside_the_sender():
    """The BSUID a message carries (even with no number), and a number change's new number."""
    (bsuid_only,) = parse_envelope(load("text_bsuid_only_no_from.json")).messages
    assert (bsuid_only.sender, bsuid_only.user_id, bsuid_only.new_number) == (
        "BSUID_123",
        "BSUID_123",
        "",
    )
    (changed,) = parse_envelope(load("system_user_changed_number.json")).messages
    assert (changed.sender, changed.new_number) == (PYWA, "972912345678")
    (text,) = parse_envelope(load("text_message.json")).messages
    assert (text.new_number, text.new_user_id) == ("", "")


def test_a_changed_bsuid_speaks_of_the_sender_as_they_were():
    """user_changed_user_id (no number to share): the sender is their previous BSUID, and the
    new one is given beside it; a number change's new BSUID is given too."""
    channel = WhatsAppChannel("http://x", "v21.0")
    notice = bsuid_change("US.OLD", "US.NEW")
    (changed,) = parse_envelope(notice).messages
    assert (changed.sender, changed.user_id, changed.new_user_id, changed.new_number) == (
        "US.OLD",
        "US.OLD",
        "US.NEW",
        "",
    )
    [inbound] = channel.parse(notice).messages
    assert (inbound.sender, inbound.new_sender, inbound.new_user_id) == ("US.OLD",) + (
        "US.NEW",
    ) * 2
    number = with_ids(number_change(PYWA, "972912345678"), "US.NEW", "US.OLD")
    (changed,) = parse_envelope(number).messages
    assert (changed.sender, changed.user_id, changed.new_number, changed.new_user_id) == (
        PYWA,
        "US.OLD",
        "972912345678",
        "US.NEW",
    )
    [inbound] = channel.parse(number).messages
    assert (inbound.new_sender, inbound.new_user_id) == ("972912345678", "US.NEW")


def test_business_app_echoes_are_the_business_answering_its_customers():
    """Coexistence (`smb_message_echoes`): what a person sent from the WhatsApp Business app,
    to a number or to a customer known by their BSUID alone; taken back or edited says nothing."""
    echoes = [
        {"from": "15550783881", "to": "16505551234", "id": "wamid.E1", "timestamp": "1759600100",
         "type": "text", "text": {"body": "We can do Thursday"}},
        {"from": "15550783881", "to_user_id": "US.13491208655302741918", "id": "wamid.E2",
         "timestamp": "1759600150", "type": "image", "image": {"caption": "our prices"}},
        {"from": "15550783881", "to": "16505551234", "id": "wamid.E3", "type": "revoke",
         "revoke": {"original_message_id": "wamid.E1"}},
        {"from": "15550783881", "type": "text", "text": {"body": "nobody"}, "id": "wamid.E4"},
    ]  # fmt: skip
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "smb_message_echoes", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "1065"},
            "message_echoes": echoes}}]}],
    }  # fmt: skip
    parsed = parse_envelope(body)
    assert [(m.wamid, m.sender, m.user_id, m.type, m.text) for m in parsed.messages] == [
        ("wamid.E1", "16505551234", "", T.TEXT, "We can do Thursday"),
        ("wamid.E2", "US.13491208655302741918", "US.13491208655302741918", T.IMAGE, "our prices"),
    ]
    assert all(m.from_business and not m.expects_reply for m in parsed.messages)
    assert (
        parsed.messages[0].timestamp == 1759600100 and parsed.messages[0].phone_number_id == "1065"
    )
    assert list(parsed.ignored) == [
        "message echo type=revoke",
        "message echo without id or recipient",
    ]
    channel = WhatsAppChannel("http://x", "v21.0")
    assert [channel_inbound.from_business for channel_inbound in channel.parse(body).messages] == [
        True,
        True,
    ]


def test_an_overlong_bsuid_is_not_a_key():
    """A BSUID is a unique key: one of kilobytes could not be indexed (the store would fail
    and Meta redeliver for days), so the message is skipped, as an overlong sender is."""
    env = bsuid_message("wamid.LONG", "hi", phone="34600111222")
    env["entry"][0]["changes"][0]["value"]["messages"][0]["from_user_id"] = "US." + "9" * 300
    parsed = parse_envelope(env)
    assert parsed.messages == () and parsed.ignored


def test_error_details_from_error_data_and_legacy_top_level():
    (failed,) = parse_envelope(load("status_failed_130472.json")).statuses
    assert failed.errors[0].details.startswith("Failed to send message")
    assert failed.errors[0].title == "User's number is part of an experiment"
    (legacy,) = parse_envelope(load("unknown_message_type_legacy.json")).messages
    assert legacy.errors[0].details == "Message type is not currently supported"


@pytest.mark.parametrize(
    ("name", "expects_reply", "is_text"),
    [
        ("text_message.json", True, True),
        ("interactive_list_reply.json", True, True),
        ("template_quick_reply_button.json", True, True),
        ("interactive_with_value_errors_131000.json", True, False),
        ("image_message.json", True, False),
        ("unsupported_message.json", True, False),
        ("reaction_message.json", False, False),
        ("system_user_changed_number.json", False, False),
    ],
)
def test_reply_flags(name: str, expects_reply: bool, is_text: bool):
    (msg,) = parse_envelope(load(name)).messages
    assert (msg.expects_reply, msg.is_text) == (expects_reply, is_text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("text", T.TEXT),
        ("request_welcome", T.REQUEST_WELCOME),
        ("poll", T.UNKNOWN),
        ("", T.UNKNOWN),
    ],
)
def test_message_type_mapping(raw: str, expected: MessageType):
    (msg,) = parse_envelope(body([{"id": "wamid.1", "from": "1", "type": raw}])).messages
    assert (msg.type, msg.raw_type) == (expected, raw)


def body(messages: object = None, statuses: object = None, **value: object) -> dict:
    """A one-entry, one-change envelope around the given lists."""
    value = {"metadata": {"phone_number_id": "P1", "display_phone_number": "1555"}, **value}
    if messages is not None:
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    change = {"field": "messages", "value": value}
    return {"object": WABA, "entry": [{"id": "W", "changes": [change]}]}


HOSTILE = [
    None,
    [],
    "x",
    42,
    {},
    {"object": WABA},
    {"object": WABA, "entry": "x"},
    {"object": WABA, "entry": [None, 1, "x", [], {"changes": "x"}, {"changes": [None, 5]}]},
    {"object": WABA, "entry": [{"changes": [{"field": "messages", "value": []}]}]},
    {"object": ["x"], "entry": []},
    body(messages="x", statuses=7),
    body(messages=[None, 1, [], {"id": 5, "from": ["x"], "type": {"a": 1}, "text": "x"}]),
    body(messages=[{"id": "w", "timestamp": "12a", "text": {"body": ["x"]}, "type": "text"}]),
    body(messages=[{"id": "w", "context": "x", "errors": "x", "type": "interactive"}]),
    body(messages=[{"id": "w", "type": "interactive", "interactive": {"button_reply": 3}}]),
    body(statuses=[{"id": "s", "status": None, "errors": [None, {"code": "x"}]}]),
    body(contacts="x", errors={"code": 1}, metadata=[1]),
    body(messages=[{"id": "w", "timestamp": "²"}], contacts=[{"wa_id": None, "profile": "x"}]),
]


@pytest.mark.parametrize("data", HOSTILE)
def test_hostile_shapes_never_raise(data: object):
    assert isinstance(parse_envelope(data), Envelope)


def test_deep_nesting_never_raises():
    deep: object = {"id": "w"}
    for _ in range(10_000):
        deep = {"text": deep, "type": [deep]}
    env = parse_envelope(body(messages=[{"id": "w", "type": "text", "text": deep}]))
    assert env.messages[0].text == ""


def test_thousand_messages_all_parsed():
    msgs = [
        {"id": f"wamid.{i}", "from": "1", "type": "text", "text": {"body": str(i)}}
        for i in range(1000)
    ]
    env = parse_envelope(body(messages=msgs))
    assert [m.text for m in env.messages] == [str(i) for i in range(1000)]


def test_update_limit_caps_work():
    msgs = [{"id": f"wamid.{i}", "type": "text"} for i in range(MAX_UPDATES + 10)]
    env = parse_envelope(body(messages=msgs, statuses=[{"id": "s", "status": "read"}]))
    assert len(env.messages) == MAX_UPDATES and not env.statuses
    assert env.ignored == (f"update limit {MAX_UPDATES}: 11 ignored",)


def test_every_entry_and_change_handled():
    one = body(messages=[{"id": "wamid.a", "from": "1", "type": "text"}])
    two = body(statuses=[{"id": "wamid.b", "status": "delivered"}], errors=[{"code": 131000}])
    entry = {"id": "W", "changes": one["entry"][0]["changes"] + two["entry"][0]["changes"]}
    env = parse_envelope({"object": WABA, "entry": [entry, one["entry"][0]]})
    assert [m.wamid for m in env.messages] == ["wamid.a", "wamid.a"]
    assert [s.status for s in env.statuses] == [StatusKind.DELIVERED]
    assert [e.errors[0].code for e in env.errors] == [131000]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"field": "account_update", "value": {}}, "change field=account_update"),
        ({"field": "messages", "value": {"messages": [{"type": "text"}]}}, "message without id"),
        ({"field": "messages", "value": {"statuses": [{"status": "read"}]}}, "status without id"),
        ({"field": "messages", "value": "x"}, "change without value object"),
    ],
)
def test_ignored_reasons(value: dict, reason: str):
    env = parse_envelope({"object": WABA, "entry": [{"changes": [value]}]})
    assert env.ignored == (reason,) and not env.messages


def test_repeated_reasons_are_counted():
    env = parse_envelope(body(messages=[{"type": "text"}] * 3))
    assert env.ignored == ("message without id (x3)",)


@pytest.mark.parametrize(
    ("message", "contacts", "sender", "name"),
    [
        ({"from": "111"}, [{"wa_id": "222", "profile": {"name": "B"}}], "111", "B"),
        ({"from": "111"}, [{"wa_id": "2"}, {"wa_id": "111", "profile": {"name": "A"}}], "111", "A"),
        ({}, [{"user_id": "US.9", "profile": {"name": "U"}}], "US.9", "U"),
        ({}, [{"wa_id": "5", "user_id": "US.9"}], "5", ""),
        ({"from_user_id": "US.2"}, [{"user_id": "US.1"}, {"user_id": "US.2"}], "US.2", ""),
        ({}, [{"wa_id": "1"}, {"wa_id": "2"}], "", ""),
        ({}, [], "", ""),
    ],
)
def test_sender_fallbacks(message: dict, contacts: list, sender: str, name: str):
    msg_body = {"id": "wamid.x", "type": "text", **message}
    (msg,) = parse_envelope(body(messages=[msg_body], contacts=contacts)).messages
    assert (msg.sender, msg.profile_name) == (sender, name)
    assert msg.expects_reply == bool(sender)


@pytest.mark.parametrize(("raw", "expected"), [("1700000000", 1700000000), (17, 17), (True, None)])
def test_timestamp_coercion(raw: object, expected: int | None):
    (msg,) = parse_envelope(body(messages=[{"id": "w", "timestamp": raw}])).messages
    assert msg.timestamp == expected

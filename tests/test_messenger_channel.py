"""The Messenger backend: webhook parsing, formatting and limits, and sends over real HTTP."""

from __future__ import annotations

import json
import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from app.channels.base import (
    Account,
    Button,
    Capability,
    DeliveryStatus,
    Inbound,
    InboundKind,
    ListRow,
    ListSection,
    Outbound,
    SendError,
    SendResult,
    StatusUpdate,
    Template,
)
from app.channels.messenger import MessengerChannel
from app.channels.messenger.formatting import METADATA, request_body, to_plain
from app.channels.messenger.parse import MAX_UPDATES
from app.channels.text import split_message
from tests.fake_graph import FakeGraph

PAYLOADS = Path(__file__).parent / "data" / "meta-payloads"
PAGE, PSID, TOKEN = "104512345678901", "7654321098765432", "EAAPage-secret-token"
ACCOUNT = Account(PAGE, TOKEN)
TS = 1700000000123  # 2023-11-14T22:13:20.123Z
AT = datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)


@pytest.fixture
def channel() -> MessengerChannel:
    return MessengerChannel("http://127.0.0.1:9", "v21.0")


def messenger(fake: FakeGraph) -> MessengerChannel:
    return MessengerChannel(fake.base_url, "v21.0", timeout=5, courtesy_timeout=5)


def body(*events: object, page: object = PAGE) -> dict:
    return {"object": "page", "entry": [{"id": page, "time": TS, "messaging": list(events)}]}


def event(**fields: object) -> dict:
    return {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": TS, **fields}


def inbound(mid: str, kind: InboundKind, raw_type: str, text: str = "", **kw: object) -> Inbound:
    fields = dict(channel="messenger", account_id=PAGE, external_id=mid, sender=PSID)
    fields |= dict(profile_name="", sent_at=AT, kind=kind, raw_type=raw_type, text=text)
    return Inbound(**fields, **kw)


# Parsing: every shared Messenger payload


def ms(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp / 1000, UTC)


SHARED = {
    "messenger_text_message.json": (
        [("111111", "mid.1457764197618:41d102a3e1ae206a38", "USER_ID", "text", "hello, world!")],
        [],
    ),
    "messenger_postback.json": (
        [
            (
                "111111",
                "postback:USER_ID:1458692752478",
                "USER_ID",
                "postback",
                "USER_DEFINED_PAYLOAD",
            )
        ],
        [],
    ),
    "messenger_image_attachment.json": (
        [("111111", "mid.1458696618141:b4ef9d19ec21086067", "USER_ID", "image", "")],
        [],
    ),
    "messenger_delivery.json": (
        [],
        [
            ("111111", "", "USER_ID", "delivered", ms(1458668856253)),
            ("111111", "mid.1458668856218:ed81099e15d3f4f233", "USER_ID", "delivered", None),
        ],
    ),
}


def test_every_shared_messenger_payload_has_an_expectation():
    assert {p.name for p in PAYLOADS.glob("messenger_*.json")} == set(SHARED)


@pytest.mark.parametrize("name", sorted(SHARED))
def test_shared_payloads_parse(channel: MessengerChannel, name: str):
    data = json.loads((PAYLOADS / name).read_text())
    parsed = channel.parse(data)
    messages, statuses = SHARED[name]
    assert channel.accepts(data)
    assert (parsed.channel, parsed.ignored) == ("messenger", ())
    got = [(m.account_id, m.external_id, m.sender, m.raw_type, m.text) for m in parsed.messages]
    assert got == messages
    got = [
        (s.account_id, s.external_id, s.recipient, s.status, s.watermark) for s in parsed.statuses
    ]
    assert got == statuses
    assert all(m.profile_name == "" and m.sent_at.tzinfo is UTC for m in parsed.messages)


def test_postback_without_title_reads_its_payload(channel: MessengerChannel):
    data = json.loads((PAYLOADS / "messenger_postback.json").read_text())
    (message,) = channel.parse(data).messages
    assert (message.kind, message.payload, message.is_text) == (
        InboundKind.CHOICE,
        "USER_DEFINED_PAYLOAD",
        True,
    )
    assert message.sent_at == ms(1458692752478)


# Parsing: crafted events


def test_text_message(channel: MessengerChannel):
    parsed = channel.parse(body(event(message={"mid": "m_1", "text": "Quero marcar"})))
    assert parsed.messages == (inbound("m_1", InboundKind.TEXT, "text", "Quero marcar"),)
    assert parsed.statuses == () and parsed.ignored == ()


def test_quick_reply_tap_is_a_choice(channel: MessengerChannel):
    msg = {"mid": "m_2", "text": "Tue 10:00", "quick_reply": {"payload": "slot:42"}}
    (message,) = channel.parse(body(event(message=msg))).messages
    assert message == inbound(
        "m_2", InboundKind.CHOICE, "quick_reply", "Tue 10:00", payload="slot:42"
    )


def test_postback_with_mid_and_title(channel: MessengerChannel):
    postback = {"mid": "m_3", "title": "Cancel", "payload": "cancel:7"}
    (message,) = channel.parse(body(event(postback=postback))).messages
    assert message == inbound("m_3", InboundKind.CHOICE, "postback", "Cancel", payload="cancel:7")


def test_reply_to_is_kept(channel: MessengerChannel):
    msg = {"mid": "m_4", "text": "yes", "reply_to": {"mid": "m_ours", "is_self_reply": False}}
    (message,) = channel.parse(body(event(message=msg))).messages
    assert message.reply_to == "m_ours"


@pytest.mark.parametrize(
    ("attachment", "kind", "raw_type", "text"),
    [
        ({"type": "image", "payload": {"url": "https://x/y.png"}}, InboundKind.MEDIA, "image", ""),
        ({"type": "audio", "payload": {"url": "https://x/y.mp4"}}, InboundKind.MEDIA, "audio", ""),
        ({"type": "video", "payload": {"url": "https://x/y.mp4"}}, InboundKind.MEDIA, "video", ""),
        ({"type": "file", "payload": {"url": "https://x/y.pdf"}}, InboundKind.MEDIA, "file", ""),
        (
            {"type": "fallback", "payload": None, "title": "A link"},
            InboundKind.MEDIA,
            "fallback",
            "",
        ),
        ({"type": "sticker", "payload": {"sticker_id": 1}}, InboundKind.MEDIA, "sticker", ""),
        (
            {
                "type": "location",
                "title": "Home",
                "payload": {"coordinates": {"lat": 1, "long": 2}},
            },
            InboundKind.LOCATION,
            "location",
            "Home",
        ),
        (
            {"type": "appointment_booking", "payload": {}},
            InboundKind.OTHER,
            "appointment_booking",
            "",
        ),
        ({"payload": {}}, InboundKind.OTHER, "unknown", ""),
    ],
)
def test_attachments(channel, attachment: dict, kind: InboundKind, raw_type: str, text: str):
    msg = {"mid": "m_5", "attachments": [attachment]}
    (message,) = channel.parse(body(event(message=msg))).messages
    assert (message.kind, message.raw_type, message.text) == (kind, raw_type, text)
    assert message.expects_reply and not message.is_text


LIKE_URL = "https://scontent.xx.fbcdn.net/v/t39.1997-6/851557_369239266556155_759568595_n.png"


@pytest.mark.parametrize(
    "msg",
    [
        # As Messenger sends it: the sticker id on the message and on the image's payload.
        {
            "sticker_id": 369239263222822,
            "attachments": [
                {"type": "image", "payload": {"url": LIKE_URL, "sticker_id": 369239263222822}}
            ],
        },
        {"sticker_id": 369239263222822, "attachments": [{"type": "image"}]},
        {"attachments": [{"type": "image", "payload": {"sticker_id": 369239263222822}}]},
        {"attachments": [{"type": "image", "payload": {"sticker_id": "369239263222822"}}]},
        # Held longer, the like is bigger and has another id.
        {"sticker_id": 369239343222814, "attachments": [{"type": "image"}]},
        {"sticker_id": 369239383222810, "attachments": [{"type": "image"}]},
    ],
)
def test_the_thumbs_up_like_is_silent_like_a_reaction(channel: MessengerChannel, msg: dict):
    (message,) = channel.parse(body(event(message={"mid": "m_6", **msg}))).messages
    assert (message.kind, message.raw_type, message.text) == (InboundKind.REACTION, "like", "👍")
    assert not message.expects_reply and not message.is_text


@pytest.mark.parametrize(
    ("msg", "raw_type"),
    [
        ({"sticker_id": 1, "attachments": [{"type": "image"}]}, "sticker"),
        ({"attachments": [{"type": "image", "payload": {"sticker_id": 1}}]}, "image"),
        # A like beside a photo is not a like alone: the photo is answered as always.
        (
            {
                "attachments": [
                    {"type": "image", "payload": {"sticker_id": 369239263222822}},
                    {"type": "image", "payload": {"url": "https://x/y.png"}},
                ]
            },
            "image",
        ),
    ],
)
def test_other_stickers_still_get_the_polite_reply(channel, msg: dict, raw_type: str):
    (message,) = channel.parse(body(event(message={"mid": "m_6", **msg}))).messages
    assert (message.kind, message.raw_type) == (InboundKind.MEDIA, raw_type)
    assert message.expects_reply


def echo(message: dict, page: str = PAGE) -> dict:
    """An echo: a message the page sent to the customer."""
    sender, recipient = {"id": page}, {"id": PSID}
    return {"sender": sender, "recipient": recipient, "timestamp": TS, "message": message}


# A person's answer from the Page inbox (Meta's example, app_id the inbox's or absent).
INBOX_APP = 263902037430900


@pytest.mark.parametrize(
    "message",
    [
        {"mid": "m_8", "text": "We'll call you", "app_id": INBOX_APP},
        {"mid": "m_8", "text": "We'll call you"},
        {"mid": "m_8", "text": "We'll call you", "app_id": 1, "metadata": "another app's"},
    ],
)
def test_a_persons_echo_is_the_business_answering(channel: MessengerChannel, message: dict):
    parsed = channel.parse(body(echo({"is_echo": True, **message})))
    assert parsed.ignored == ()
    assert parsed.messages == (
        inbound("m_8", InboundKind.TEXT, "text", "We'll call you", from_business=True),
    )
    assert not parsed.messages[0].expects_reply


def test_a_persons_echo_without_an_entry_id_finds_the_page_as_its_sender(channel):
    message = {"mid": "m_9", "is_echo": True, "attachments": [{"type": "image"}]}
    (reply,) = channel.parse(body(echo(message), page="")).messages
    assert (reply.account_id, reply.sender, reply.kind) == (PAGE, PSID, InboundKind.MEDIA)
    assert reply.from_business


@pytest.mark.parametrize(
    ("events", "reason"),
    [
        (
            [echo({"mid": "m_7", "text": "hi", "is_echo": True, "metadata": METADATA})],
            "own echo",
        ),
        (
            [
                {
                    "sender": {"id": PAGE},
                    "recipient": {"id": PSID},
                    "message": {"mid": "m", "text": "x"},
                }
            ],
            "echo",
        ),
        (
            [event(reaction={"reaction": "love", "emoji": "❤", "action": "react", "mid": "m_1"})],
            "reaction",
        ),
        ([event(optin={"ref": "x"})], "event=optin"),
        ([event(message_edit={"mid": "m_1", "text": "x", "num_edit": 1})], "event=message_edit"),
    ],
)
def test_ignored_events(channel: MessengerChannel, events: list, reason: str):
    parsed = channel.parse(body(*events))
    expected = {
        "echo": "echo of a page message",
        "own echo": "echo of the bot's own message",
    }.get(reason, reason)
    assert (parsed.messages, parsed.statuses, parsed.ignored) == ((), (), (expected,))


def test_read_watermark(channel: MessengerChannel):
    parsed = channel.parse(body(event(read={"watermark": TS - 5000})))
    assert parsed.statuses == (
        StatusUpdate("messenger", PAGE, "", PSID, DeliveryStatus.READ, AT, watermark=ms(TS - 5000)),
    )


def test_delivery_with_mids_gives_one_status_per_mid(channel: MessengerChannel):
    parsed = channel.parse(body(event(delivery={"mids": ["m_a", "m_b"], "watermark": TS})))
    delivered = DeliveryStatus.DELIVERED
    assert parsed.statuses == (
        StatusUpdate("messenger", PAGE, "", PSID, delivered, AT, watermark=AT),
        StatusUpdate("messenger", PAGE, "m_a", PSID, delivered, AT),
        StatusUpdate("messenger", PAGE, "m_b", PSID, delivered, AT),
    )


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        (TS, AT),
        (str(TS), AT),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),  # seconds, as some examples
        ("soon", None),
        (-5, None),
        (True, None),
        (10**18, None),
    ],
)
def test_timestamps(channel: MessengerChannel, stamp: object, expected: datetime | None):
    msg = {"mid": "m_8", "text": "hi"}
    (message,) = channel.parse(body({**event(message=msg), "timestamp": stamp})).messages
    assert message.sent_at == expected


def test_page_id_falls_back_to_the_recipient(channel: MessengerChannel):
    (message,) = channel.parse(body(event(message={"mid": "m_9", "text": "x"}), page=None)).messages
    assert message.account_id == PAGE


@pytest.mark.parametrize(
    ("data", "reasons"),
    [
        ([], ("body is list, not an object",)),
        (
            {"object": "whatsapp_business_account", "entry": []},
            ("object=whatsapp_business_account",),
        ),
        ({"object": "page", "entry": {"id": PAGE}}, ("entry list is dict",)),
        ({"object": "page", "entry": ["x", 3]}, ("entry not an object (x2)",)),
        (body(*["oops"]), ("messaging event not an object",)),
        (
            {"object": "page", "entry": [{"id": PAGE, "messaging": "x"}]},
            ("messaging event list is str",),
        ),
        (body(event(message="hello")), ("message not an object",)),
        (body(event(message={"text": "no mid"})), ("message without mid",)),
        (body({"message": {"mid": "m", "text": "x"}}), ("message without sender",)),
        (
            body(event(message={"mid": "m" * 300, "text": "x"})),
            ("message id, sender or page id too long",),
        ),
        (body(event(postback={"payload": "p"}) | {"timestamp": None}), ("postback without mid",)),
        (body(event(delivery={"mids": "m_a"})), ("delivered without watermark",)),
        (
            body(event(delivery={"mids": [5, "", "m" * 300]})),
            ("delivered mid not a usable id (x3)",),
        ),
        (body(event(read={})), ("read without watermark",)),
        (
            body({"recipient": {"id": PAGE}, "read": {"watermark": TS}}),
            ("read without sender or page id",),
        ),
        (body({"sender": [], "recipient": 5, "timestamp": {}}), ("empty event",)),
        ({"object": "page", "entry": [{"id": PAGE, "standby": [{}, {}]}]}, ("standby event (x2)",)),
        (
            {"object": "page", "entry": [{"id": PAGE, "changes": []}]},
            ("entry changes (not messaging)",),
        ),
    ],
)
def test_hostile_shapes_never_raise(channel: MessengerChannel, data: object, reasons: tuple):
    parsed = channel.parse(data)
    assert (parsed.messages, parsed.statuses, parsed.ignored) == ((), (), reasons)


def test_wrong_types_inside_a_message_are_read_as_missing(channel: MessengerChannel):
    msg = {"mid": 12345, "text": ["x"], "quick_reply": "p", "reply_to": [], "attachments": {}}
    (message,) = channel.parse(body(event(message=msg))).messages
    assert (message.external_id, message.kind, message.text, message.reply_to) == (
        "12345",
        InboundKind.OTHER,
        "",
        None,
    )


def test_huge_arrays_are_bounded(channel: MessengerChannel):
    events = [event(message={"mid": f"m_{i}", "text": "x"}) for i in range(MAX_UPDATES + 10)]
    parsed = channel.parse(body(*events))
    assert len(parsed.messages) == MAX_UPDATES
    assert parsed.ignored == (f"messaging event list over {MAX_UPDATES}: 10 ignored",)


def test_mids_count_against_the_update_budget(channel: MessengerChannel):
    mids = [f"m_{i}" for i in range(MAX_UPDATES + 3)]
    parsed = channel.parse(body(event(delivery={"mids": mids, "watermark": TS})))
    assert len(parsed.statuses) == MAX_UPDATES
    assert parsed.ignored == (f"update limit {MAX_UPDATES}: 4 ignored",)


@pytest.mark.parametrize(
    ("data", "expected"),
    [({"object": "page"}, True), ({"object": "whatsapp_business_account"}, False), ([], False)],
)
def test_accepts(channel: MessengerChannel, data: object, expected: bool):
    assert channel.accepts(data) is expected


# Formatting and limits


def test_channel_declaration(channel: MessengerChannel):
    assert channel.name == "messenger"
    assert channel.capabilities == {
        Capability.QUICK_REPLIES,
        Capability.MESSAGE_TAGS,
        Capability.TYPING,
        Capability.READ_RECEIPTS,
        Capability.NAME_LOOKUP,
    }
    assert (channel.limits.text_chars, channel.limits.quick_replies) == (2000, 13)
    assert channel.limits.quick_reply_title_chars == 20
    assert (channel.window, channel.default_rate) == (timedelta(hours=24), 80.0)


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("**Tuesday** at *10:00*", "Tuesday at 10:00"),
        ("WhatsApp *bold* and _italic_ and ~gone~", "WhatsApp bold and italic and gone"),
        ("***both*** __under__ ~~strike~~", "both under strike"),
        ("Use `code` here", "Use code here"),
        ("```\nx = 1\ny = 2\n```", "x = 1\ny = 2"),
        ("- one\n* two\n+ three\n  - nested", "• one\n• two\n• three\n  • nested"),
        ("# Prices\nCut: 20", "Prices\nCut: 20"),
        ("[our site](https://example.com/a_b_c)", "our site (https://example.com/a_b_c)"),
        ("https://example.com/_x_/*y*", "https://example.com/_x_/*y*"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("one\n\n\n\ntwo\nthree", "one\n\ntwo\nthree"),
        ("above\n---\nbelow", "above\n\nbelow"),
        ("| Service | Price |\n|---|---|\n| Cut | 20 |", "Service | Price\nCut | 20"),
        ("  plain text  ", "plain text"),
    ],
)
def test_to_plain(markdown: str, plain: str):
    assert to_plain(markdown) == plain


def test_format_text_splits_at_paragraphs_within_2000(channel: MessengerChannel):
    paragraphs = ["a" * 1500, "b" * 1500, "c" * 900]
    assert channel.format_text("\n\n".join(f"**{p}**" for p in paragraphs)) == paragraphs


def test_format_text_splits_a_long_line_at_words(channel: MessengerChannel):
    words = " ".join(["word"] * 800)  # 3,999 characters
    chunks = channel.format_text(words)
    assert [len(c) for c in chunks] == [1999, 1999]
    assert " ".join(chunks) == words


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("one two three", 8, ["one two", "three"]),
        ("First line.\nSecond line.", 15, ["First line.", "Second line."]),
        ("Para one.\n\nPara two is here.", 20, ["Para one.", "Para two is here."]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
        ("  short  ", 10, ["short"]),
    ],
)
def test_shared_split_message(text: str, limit: int, expected: list[str]):
    assert split_message(text, limit) == expected


def test_shared_split_message_rejects_non_positive_limit():
    with pytest.raises(ValueError, match="limit must be positive"):
        split_message("x", 0)


def buttons(n: int, title: str = "Option") -> tuple[Button, ...]:
    return tuple(Button(f"id{i}", f"{title} {i}") for i in range(1, n + 1))


@pytest.mark.parametrize(
    ("message", "problems"),
    [
        (Outbound(text="Hello", buttons=buttons(3), tag="CONFIRMED_EVENT_UPDATE"), []),
        (Outbound(text="x" * 2000, quick_replies=buttons(13)), []),
        (Outbound(text=""), ["text is empty"]),
        (Outbound(text="x" * 2001), ["text is 2001 characters; messenger allows 2000"]),
        (
            Outbound(template=Template("reminder", "en")),
            ["templates are not supported on messenger (use a message tag)", "text is empty"],
        ),
        (
            Outbound(text="hi", tag="PAYMENT_UPDATE"),
            ["tag 'PAYMENT_UPDATE' is not a messenger message tag"],
        ),
        (
            Outbound(text="hi", buttons=buttons(7), quick_replies=buttons(7)),
            ["14 quick replies; messenger allows 13"],
        ),
        (
            Outbound(text="hi", buttons=(Button("a", "x" * 21), Button("", " "))),
            [
                "quick reply 1 title is 21 characters; messenger allows 20",
                "quick reply 2 has no title",
                "quick reply 2 has no payload",
            ],
        ),
        (
            Outbound(text="hi", quick_replies=(Button("p" * 1001, "ok"),)),
            ["quick reply 1 payload is 1001 characters; messenger allows 1000"],
        ),
    ],
)
def test_validate_lists_every_problem(channel: MessengerChannel, message: Outbound, problems):
    assert channel.validate(message) == problems


def section(title: str, n: int, start: int = 1, long: bool = False) -> ListSection:
    rows = tuple(
        ListRow(f"r{i}", ("Row title over twenty " if long else "Row ") + str(i), f"desc {i}")
        for i in range(start, start + n)
    )
    return ListSection(title, rows)


def test_short_list_becomes_quick_replies(channel: MessengerChannel):
    message = Outbound(text="Pick:", buttons=buttons(1), sections=(section("S", 2),))
    assert channel.validate(message) == []
    body = messenger_body(message)
    assert body["message"] == {
        "text": "Pick:",
        "quick_replies": [
            {"content_type": "text", "title": "Option 1", "payload": "id1"},
            {"content_type": "text", "title": "Row 1", "payload": "r1"},
            {"content_type": "text", "title": "Row 2", "payload": "r2"},
        ],
        "metadata": METADATA,
    }


@pytest.mark.parametrize(
    ("sections", "numbered"),
    [
        (
            (section("Morning", 7), section("Afternoon", 7, start=8)),
            "Morning\n"
            + "".join(f"{i}. Row {i} (desc {i})\n" for i in range(1, 8))
            + "Afternoon\n"
            + "\n".join(f"{i}. Row {i} (desc {i})" for i in range(8, 15)),
        ),
        (
            (section("Only", 2, long=True),),
            "1. Row title over twenty 1 (desc 1)\n2. Row title over twenty 2 (desc 2)",
        ),
    ],
)
def test_long_list_becomes_numbered_text(channel, sections: tuple, numbered: str):
    message = Outbound(text="Pick a time:", list_button="Times", sections=sections)
    assert channel.validate(message) == []
    assert messenger_body(message)["message"] == {
        "text": f"Pick a time:\n\n{numbered}",
        "metadata": METADATA,
    }


def messenger_body(message: Outbound) -> dict:
    return request_body(PSID, message)


@pytest.mark.parametrize(
    ("tag", "since", "goes"),
    [
        ("CONFIRMED_EVENT_UPDATE", timedelta(days=40), True),
        ("HUMAN_AGENT", timedelta(days=7), True),
        ("HUMAN_AGENT", timedelta(days=7, seconds=1), False),
        ("", timedelta(hours=25), False),
        ("ACCOUNT_UPDATE", timedelta(hours=25), False),
    ],
)
def test_outside_window(channel: MessengerChannel, tag: str, since: timedelta, goes: bool):
    message = Outbound(text="Your appointment moved to 11:00", tag=tag)
    assert channel.outside_window(message, since) == (message if goes else None)


# Sending over real HTTP to the fake Graph API


def test_send_text(fake_graph: FakeGraph):
    result = messenger(fake_graph).send(ACCOUNT, PSID, Outbound(text="Hi there"))
    assert result.ok and result.external_id.startswith("m_FAKE")
    assert (result.error, result.error_code, result.retry_after) == (None, None, None)
    (req,) = fake_graph.requests
    assert (req.method, req.path, req.status) == ("POST", f"/v21.0/{PAGE}/messages", 200)
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.json == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Hi there", "metadata": METADATA},
    }
    assert fake_graph.messenger_sent() == [req.json]
    assert fake_graph.messages_sent() == []  # WhatsApp's list stays WhatsApp's


@pytest.mark.parametrize("tag", ["CONFIRMED_EVENT_UPDATE", "HUMAN_AGENT"])
def test_send_tagged(fake_graph: FakeGraph, tag: str):
    result = messenger(fake_graph).send(ACCOUNT, PSID, Outbound(text="Reminder", tag=tag))
    assert result.ok
    assert fake_graph.messenger_sent() == [
        {
            "recipient": {"id": PSID},
            "messaging_type": "MESSAGE_TAG",
            "tag": tag,
            "message": {"text": "Reminder", "metadata": METADATA},
        }
    ]


def test_send_quick_replies(fake_graph: FakeGraph):
    message = Outbound(
        text="Which day?",
        buttons=(Button("day:tue", "Tuesday"), Button("day:wed", "Wednesday")),
        quick_replies=(Button("human", "Talk to a person"),),
    )
    assert messenger(fake_graph).send(ACCOUNT, PSID, message).ok
    assert fake_graph.messenger_sent() == [
        {
            "recipient": {"id": PSID},
            "messaging_type": "RESPONSE",
            "message": {
                "text": "Which day?",
                "quick_replies": [
                    {"content_type": "text", "title": "Tuesday", "payload": "day:tue"},
                    {"content_type": "text", "title": "Wednesday", "payload": "day:wed"},
                    {"content_type": "text", "title": "Talk to a person", "payload": "human"},
                ],
                "metadata": METADATA,
            },
        }
    ]


@pytest.mark.parametrize(
    ("recipient", "message", "title"),
    [
        (PSID, Outbound(text="x" * 2001), "text is 2001 characters; messenger allows 2000"),
        ("", Outbound(text="hi"), "no recipient"),
    ],
)
def test_invalid_message_is_refused_without_a_request(fake_graph, recipient, message, title):
    result = messenger(fake_graph).send(ACCOUNT, recipient, message)
    assert result == SendResult(False, error=SendError.NEVER_RETRY, error_title=title)
    assert fake_graph.requests == []


@pytest.mark.parametrize(
    ("method", "action"), [("mark_read", "mark_seen"), ("typing", "typing_on")]
)
def test_sender_actions(fake_graph: FakeGraph, method: str, action: str):
    assert getattr(messenger(fake_graph), method)(ACCOUNT, PSID, "m_in") is None
    assert fake_graph.sender_actions() == [{"recipient": {"id": PSID}, "sender_action": action}]
    assert fake_graph.messenger_sent() == []


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize("method", ["mark_read", "typing"])
def test_sender_actions_are_best_effort(method: str):
    channel = MessengerChannel(closed_port(), "v21.0", courtesy_timeout=2)
    assert getattr(channel, method)(ACCOUNT, PSID, "m_in") is None


def test_lookup_name(fake_graph: FakeGraph):
    fake_graph.set_profile(PSID, first_name="Ana", last_name="Souza", profile_pic="https://p")
    assert messenger(fake_graph).lookup_name(ACCOUNT, PSID) == "Ana Souza"
    (req,) = fake_graph.requests
    assert (req.method, req.path) == ("GET", f"/v21.0/{PSID}?fields=first_name%2Clast_name")
    assert req.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("profile", "name"),
    [({"first_name": "Ana"}, "Ana"), ({"first_name": " ", "last_name": "Lee"}, "Lee"), ({}, "")],
)
def test_lookup_name_partial(fake_graph: FakeGraph, profile: dict, name: str):
    fake_graph.set_profile(PSID, **profile)
    assert messenger(fake_graph).lookup_name(ACCOUNT, PSID) == name


def test_lookup_name_failures_give_empty(fake_graph: FakeGraph):
    fake_graph.fail_profile(PSID, 100, 33)
    channel = messenger(fake_graph)
    assert channel.lookup_name(ACCOUNT, PSID) == ""
    assert channel.lookup_name(ACCOUNT, "1111") == ""  # unknown to the fake: Meta's 100/33
    assert channel.lookup_name(ACCOUNT, "../me") == ""  # not a PSID: no request at all
    assert [r.status for r in fake_graph.requests] == [400, 400]
    assert MessengerChannel(closed_port(), "v21.0").lookup_name(ACCOUNT, PSID) == ""


@pytest.mark.parametrize(
    ("code", "subcode", "http_status", "error"),
    [
        (10, 2018278, 400, SendError.WINDOW_CLOSED),
        (10, 2018065, 400, SendError.WINDOW_CLOSED),
        (551, 1545041, 400, SendError.UNREACHABLE),
        (200, 1545041, 403, SendError.UNREACHABLE),
        (10, 2018108, 400, SendError.UNREACHABLE),
        (10, 2018300, 400, SendError.UNREACHABLE),  # another app controls the thread
        (100, 2018001, 400, SendError.UNREACHABLE),
        (4, None, 400, SendError.RATE_LIMITED),
        (4, 2018022, 400, SendError.RATE_LIMITED),
        (613, None, 400, SendError.RATE_LIMITED),
        (1200, None, 500, SendError.RETRY_LATER),
        (2, None, 500, SendError.RETRY_LATER),
        (190, None, 401, SendError.BAD_CREDENTIALS),
        (10, None, 403, SendError.BAD_CREDENTIALS),
        (200, 2018028, 403, SendError.BAD_CREDENTIALS),
        (100, None, 400, SendError.NEVER_RETRY),
        (100, None, 500, SendError.NEVER_RETRY),
    ],
)
def test_error_classes(fake_graph: FakeGraph, code, subcode, http_status, error: SendError):
    fake_graph.fail_next(code, subcode=subcode, http_status=http_status)
    result = messenger(fake_graph).send(ACCOUNT, PSID, Outbound(text="hi"))
    assert (result.ok, result.error, result.error_code, result.external_id) == (
        False,
        error,
        code,
        None,
    )
    (req,) = fake_graph.requests  # one attempt: retries belong to the outbox
    assert req.status == http_status


def test_error_title_is_metas_message(fake_graph: FakeGraph):
    fake_graph.fail_next(551, subcode=1545041)
    result = messenger(fake_graph).send(ACCOUNT, PSID, Outbound(text="hi"))
    assert result.error_title == "(#551) This person isn't available right now."


@pytest.mark.parametrize(
    ("http_status", "error"),
    [(500, SendError.RETRY_LATER), (503, SendError.RETRY_LATER), (429, SendError.RATE_LIMITED)],
)
def test_http_errors_without_a_meta_body(fake_graph: FakeGraph, http_status: int, error):
    fake_graph.respond_next(http_status, {})
    result = messenger(fake_graph).send(ACCOUNT, PSID, Outbound(text="hi"))
    assert (result.error, result.error_code, result.error_title) == (
        error,
        None,
        f"HTTP {http_status}",
    )


def test_network_failure_is_retry_later():
    result = MessengerChannel(closed_port(), "v21.0").send(ACCOUNT, PSID, Outbound(text="hi"))
    assert result == SendResult(False, error=SendError.RETRY_LATER, error_title="ConnectionError")


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        (
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {PAGE: [{"type": "messenger", "estimated_time_to_regain_access": 3}]}
                )
            },
            180.0,
        ),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "9999999"}, 86400.0),
        ({}, None),
    ],
)
def test_retry_after(fake_graph: FakeGraph, headers: dict, seconds: float | None):
    fake_graph.fail_next(613, headers=headers)
    result = messenger(fake_graph).send(ACCOUNT, PSID, Outbound(text="hi"))
    assert (result.error, result.retry_after) == (SendError.RATE_LIMITED, seconds)


def test_the_token_is_never_logged(fake_graph: FakeGraph, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    channel = messenger(fake_graph)
    fake_graph.fail_next(190)
    fake_graph.fail_profile(PSID, 190)
    channel.send(ACCOUNT, PSID, Outbound(text="hi"))
    channel.lookup_name(ACCOUNT, PSID)
    channel.typing(Account(PAGE, ""), PSID, "m_in")  # refused by the fake: no token
    assert "messenger send failed" in caplog.text
    assert TOKEN not in caplog.text


# The fake refuses what Meta refuses (so the sends above prove something)


def raw_post(fake: FakeGraph, payload: object, auth: bool = True, query: str = "") -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}"} if auth else {}
    url = f"{fake.base_url}/v21.0/{PAGE}/messages{query}"
    response = requests.post(url, json=payload, headers=headers, timeout=5)
    return {"status": response.status_code, **response.json()}


def send_body(**message: object) -> dict:
    return {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": message}


def qr(title: str = "Yes", payload: object = "yes", kind: str = "text") -> dict:
    return {"content_type": kind, "title": title, "payload": payload}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            send_body(text="x") | {"recipient": {"id": ""}},
            "The parameter recipient is required",
        ),
        (
            send_body(text="x") | {"messaging_type": "PUSH"},
            "Param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG",
        ),
        (
            send_body(text="x") | {"messaging_type": "MESSAGE_TAG"},
            "Param tag must be a valid message tag",
        ),
        (
            send_body(text="x") | {"tag": "HUMAN_AGENT"},
            "Param tag is only allowed with messaging_type MESSAGE_TAG",
        ),
        (send_body(), "Message must contain exactly one of text or attachment"),
        (send_body(text=" "), "Param message[text] must be a non-empty UTF-8 encoded string"),
        (
            send_body(text="x" * 2001),
            "Length of param message[text] must be less than or equal to 2000",
        ),
        (
            send_body(text="x", quick_replies=[qr()] * 14),
            "Param message[quick_replies] must be an array of 1 to 13 quick replies",
        ),
        (
            send_body(text="x", quick_replies=[qr("x" * 21)]),
            "Param message[quick_replies][title] must be 1 to 20 characters",
        ),
        (
            send_body(text="x", quick_replies=[qr(payload="")]),
            "Param message[quick_replies][payload] must be 1 to 1000 characters",
        ),
        (
            send_body(text="x", quick_replies=[qr(kind="location")]),
            "Param message[quick_replies][content_type] is invalid",
        ),
        (
            {"recipient": {"id": PSID}, "sender_action": "typing_on", "message": {"text": "x"}},
            "Cannot send both message and sender_action at the same time",
        ),
        ({"recipient": {"id": PSID}, "sender_action": "dance"}, "Invalid sender_action 'dance'"),
    ],
)
def test_fake_refuses_bad_messenger_requests(fake_graph: FakeGraph, payload: dict, message: str):
    answer = raw_post(fake_graph, payload)
    assert answer == {
        "status": 400,
        "error": {
            "message": f"(#100) {message}",
            "type": "OAuthException",
            "code": 100,
            "fbtrace_id": "AFakeTraceId",
        },
    }


def test_fake_takes_the_token_as_header_or_parameter(fake_graph: FakeGraph):
    assert raw_post(fake_graph, send_body(text="x"), auth=False)["status"] == 401
    answer = raw_post(fake_graph, send_body(text="x"), auth=False, query=f"?access_token={TOKEN}")
    assert answer == {"status": 200, "recipient_id": PSID, "message_id": "m_FAKE00000001"}


def test_fake_messenger_error_body_shape(fake_graph: FakeGraph):
    fake_graph.fail_next(10, subcode=2018278)
    assert raw_post(fake_graph, send_body(text="x")) == {
        "status": 400,
        "error": {
            "message": "(#10) This message is sent outside of allowed window.",
            "type": "OAuthException",
            "code": 10,
            "error_subcode": 2018278,
            "fbtrace_id": "AFakeTraceId",
        },
    }

"""Messenger end to end: signed webhook → queue and worker → agent (scripted fake model) →
outbox → a fake Send API. The demo business answers on its Facebook Page as `seed-demo` sets
it up; the database and the Graph requests are checked."""

from __future__ import annotations

import copy
import json
import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import handoff
from app.bot import NON_TEXT_REPLY
from app.channels.messenger.formatting import METADATA
from app.secrets import encrypt
from app.storage import businesses, conversations, db
from tests import envelopes
from tests.conftest import PHONE_NUMBER_ID, SECRET_KEY
from tests.fake_llm import system_prompt, text_reply, tool_call
from tests.test_agent_conversations import WA_ID, at, relay, spoken, tool_results, upcoming

PAGE_ID, PSID, PAGE_TOKEN = "777000111", "6254381284612345", "EAAPage-demo-token"
PAYLOADS = Path(__file__).parent / "data" / "meta-payloads"
MAX_TEXT = 2000


@pytest.fixture
def page(app) -> int:
    """The demo business on its Page too, as `seed-demo` leaves it; returns the business id."""
    business_id, _ = businesses.seed_demo(
        PHONE_NUMBER_ID,
        messenger_page_id=PAGE_ID,
        page_access_token=encrypt(PAGE_TOKEN, SECRET_KEY),
    )
    return business_id


@pytest.fixture
def write(post_webhook, drain):
    """The Messenger customer writes `text`; the worker runs until the queue is empty."""

    def run(text: str, psid: str = PSID) -> None:
        assert post_webhook(envelopes.messenger(psid, PAGE_ID, text=text)).status_code == 200
        drain()

    return run


def send_requests(fake_graph) -> list:
    """Every Messenger message send the fake Send API accepted (not sender actions)."""
    return [r for r in fake_graph.requests if r.status == 200 and "message" in (r.json or {})]


def texts(fake_graph) -> list[str]:
    return [m["message"]["text"] for m in fake_graph.messenger_sent()]


def assert_sent_as_messenger_responses(fake_graph, psid: str = PSID) -> None:
    """Every send went to the Page's endpoint with its token, as a plain-text RESPONSE."""
    sends = send_requests(fake_graph)
    assert sends
    for request in sends:
        assert request.account == PAGE_ID
        assert request.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
        assert request.json == {
            "recipient": {"id": psid},
            "messaging_type": "RESPONSE",
            "message": {"text": request.json["message"]["text"], "metadata": METADATA},
        }
        text = request.json["message"]["text"]
        assert 0 < len(text) <= MAX_TEXT
        assert "*" not in text and "_" not in text  # plain text: no WhatsApp markup


def appointments() -> list[dict]:
    return db.fetch_all(
        "SELECT a.id, c.channel, c.address, s.name AS service, a.starts_at, a.status"
        " FROM appointments a JOIN customers c ON c.id = a.customer_id"
        " JOIN services s ON s.id = a.service_id ORDER BY a.id"
    )


def customers() -> list[tuple]:
    rows = db.fetch_all("SELECT channel, address, profile_name FROM customers ORDER BY id")
    return [(r["channel"], r["address"], r["profile_name"]) for r in rows]


def scripted(fake_llm, tool: str, args: dict, reply: str) -> None:
    """The model's next turn: call `tool`, then answer `reply` filled in from its result."""
    fake_llm.script += [
        tool_call(tool, args),
        relay(lambda r: reply.format(**r["appointment"])),
    ]


def test_a_messenger_customer_books_moves_and_cancels(page, write, fake_llm, fake_graph):
    fake_graph.set_profile(PSID, first_name="Ana", last_name="Silva")
    day = upcoming(1)
    book = {"service": "Haircut", "date": day.isoformat(), "time": "10:00"}
    scripted(fake_llm, "book_appointment", book, "**Booked** _{service}_ on {starts}")
    write("Can I get a haircut at 10 that day?")
    [booked] = appointments()
    assert (booked["channel"], booked["address"], booked["service"]) == (
        "messenger",
        PSID,
        "Haircut",
    )
    assert (booked["starts_at"], booked["status"]) == (at(day, "10:00"), "booked")

    move = {
        "appointment_id": booked["id"],
        "date": (day + timedelta(1)).isoformat(),
        "time": "11:00",
    }
    scripted(fake_llm, "reschedule_appointment", move, "Moved: *{service}* is now {starts}")
    write("Please move it to the next day at 11")
    [moved] = appointments()
    assert (moved["id"], moved["starts_at"], moved["status"]) == (
        booked["id"],
        at(day + timedelta(1), "11:00"),
        "booked",
    )
    assert db.fetch_one("SELECT count(*) AS n FROM appointment_moves")["n"] == 1

    cancel = {"appointment_id": booked["id"]}
    scripted(fake_llm, "cancel_appointment", cancel, "Cancelled: {service} on {starts}")
    write("Cancel it please")
    assert [(a["id"], a["status"]) for a in appointments()] == [(booked["id"], "cancelled")]

    assert texts(fake_graph) == [
        f"Booked Haircut on {spoken(day, '10:00')}",
        f"Moved: Haircut is now {spoken(day + timedelta(1), '11:00')}",
        f"Cancelled: Haircut on {spoken(day + timedelta(1), '11:00')}",
    ]
    assert_sent_as_messenger_responses(fake_graph)
    # Each turn showed the customer their message was seen and a reply was coming.
    actions = [a["sender_action"] for a in fake_graph.sender_actions()]
    assert actions == ["mark_seen", "typing_on"] * 3
    # The name was asked once, with the Page's token, and the model was told it every turn.
    lookups = [r for r in fake_graph.requests if r.method == "GET"]
    assert [r.path for r in lookups] == [f"/v21.0/{PSID}?fields=first_name%2Clast_name"]
    assert lookups[0].headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    assert customers() == [("messenger", PSID, "Ana Silva")]
    prompts = [system_prompt(body) for body in fake_llm.requests]
    assert len(prompts) == 6 and all("Customer's name: Ana Silva." in p for p in prompts)
    assert all(p.startswith("You are the Messenger assistant of Demo Salon.") for p in prompts)


def test_a_long_reply_goes_as_plain_text_parts_within_2000_characters(
    page, write, fake_llm, fake_graph
):
    paragraph = "**Our salon** offers _many_ services. " * 30  # 930 characters as plain text
    fake_llm.script += [text_reply("\n\n".join([paragraph.strip()] * 6))]
    write("tell me everything")
    parts = texts(fake_graph)
    assert len(parts) >= 3
    assert "".join(parts).count("Our salon offers many services.") == 180
    assert_sent_as_messenger_responses(fake_graph)


@pytest.mark.parametrize("failure", ["refused", "server error"])
def test_a_failed_name_lookup_leaves_the_turn_to_go_on(page, write, fake_llm, fake_graph, failure):
    if failure == "refused":
        fake_graph.fail_profile(PSID, 100, 33)
    else:
        fake_graph.fail_profile(PSID, 2, http_status=500)
    write("hello")
    write("are you there?")
    assert texts(fake_graph) == ["You said: hello", "You said: are you there?"]
    assert customers() == [("messenger", PSID, "")]
    # Asked once: the next turns do not wait for a lookup that just failed.
    assert len([r for r in fake_graph.requests if r.method == "GET"]) == 1
    assert "Customer's name: unknown." in system_prompt(fake_llm.requests[-1])


def sent_message(message: dict, psid: str = PSID) -> dict:
    """A Messenger body whose one event is the customer's `message` (a mid is added)."""
    data = envelopes.messenger(psid, PAGE_ID, text="x")
    event = data["entry"][0]["messaging"][0]
    event["message"] = {"mid": event["message"]["mid"], **message}
    return data


LIKE_ID = 369239263222822
LIKE_URL = "https://scontent.xx.fbcdn.net/v/t39.1997-6/851557_369239266556155_759568595_n.png"


@pytest.mark.parametrize(
    ("message", "answer"),
    [
        (
            {
                "sticker_id": LIKE_ID,
                "attachments": [
                    {"type": "image", "payload": {"url": LIKE_URL, "sticker_id": LIKE_ID}}
                ],
            },
            [],
        ),
        (
            {"attachments": [{"type": "image", "payload": {"url": LIKE_URL, "sticker_id": 7}}]},
            [NON_TEXT_REPLY],
        ),
    ],
    ids=["like", "other sticker"],
)
def test_the_thumbs_up_like_gets_silence_and_other_stickers_the_polite_reply(
    page, post_webhook, drain, fake_graph, message, answer
):
    assert post_webhook(sent_message(message)).status_code == 200
    drain()
    assert texts(fake_graph) == answer
    [stored] = db.fetch_all("SELECT kind, status FROM messages WHERE direction = 'in'")
    if answer:
        assert (stored["kind"], stored["status"]) == ("media", "processed")
    else:  # kept for the record, as a reaction is, and never answered: no typing either
        assert (stored["kind"], stored["status"]) == ("reaction", "ignored")
        assert fake_graph.sender_actions() == []


# The Page inbox's app (a person at the business) and ours, as echoes name them.
INBOX_APP, OUR_APP = 263902037430900, 1517776481860111


def echo(message: dict, psid: str = PSID) -> dict:
    """The echo of a message the Page sent the customer (Meta's `message_echoes`)."""
    now = int(time.time() * 1000)
    event = {
        "sender": {"id": PAGE_ID},
        "recipient": {"id": psid},
        "timestamp": now,
        "message": {"is_echo": True, **message},
    }
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": now, "messaging": [event]}]}


def inbox_answer(text: str, mid: str) -> dict:
    """A person's answer from the Page inbox: echoed with the inbox's app id, none of our
    metadata."""
    return echo({"app_id": INBOX_APP, "mid": mid, "text": text})


def customer_state() -> dict:
    return db.fetch_one(
        "SELECT id, bot_paused, needs_attention, paused_until FROM customers"
        " WHERE channel = 'messenger' AND address = %s",
        (PSID,),
    )


def test_a_persons_answer_from_the_page_inbox_pauses_the_bot_for_the_quiet_time(
    app, page, write, post_webhook, drain, fake_graph
):
    db.execute("UPDATE businesses SET handoff_quiet_minutes = 30 WHERE id = %s", (page,))
    write("hello")
    before = datetime.now(UTC)
    for _ in range(2):  # Meta delivers it again: stored once
        assert post_webhook(inbox_answer("Ana here, I'll call you", "m_inbox.1")).status_code == 200
        drain()
    customer = customer_state()
    assert (customer["bot_paused"], customer["needs_attention"]) == (True, False)
    assert before + timedelta(minutes=30) <= customer["paused_until"]
    assert customer["paused_until"] <= datetime.now(UTC) + timedelta(minutes=30)
    # Kept as the team's reply, already sent, as the console's conversation shows it.
    [answer] = db.fetch_all(
        "SELECT body, purpose, status, sent_by, sent_at FROM messages"
        " WHERE direction = 'out' AND external_id = 'm_inbox.1'"
    )
    assert (answer["body"], answer["purpose"], answer["status"], answer["sent_by"]) == (
        "Ana here, I'll call you",
        "staff",
        "sent",
        None,
    )
    shown = conversations.history(customer["id"], 10)
    assert [(m["direction"], m["body"], m["staff"]) for m in shown][-1] == (
        "out",
        "Ana here, I'll call you",
        "",
    )
    entry = db.fetch_one("SELECT action, user_id, after FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (entry["action"], entry["user_id"], entry["after"]["on"]) == (
        "staff_reply",
        None,
        "channel",
    )

    write("thanks, waiting")  # theirs to answer now: stored, not answered
    assert texts(fake_graph) == ["You said: hello"]
    with app.app_context():
        assert handoff.resume_due(datetime.now(UTC) + timedelta(minutes=31)) == 1
    write("hello again")
    assert texts(fake_graph) == ["You said: hello", "You said: hello again"]


def test_a_persons_answer_before_the_bots_turn_runs_stops_that_turn(
    page, post_webhook, drain, fake_graph
):
    """The customer wrote and, before the bot's turn ran, a person answered in the inbox: the
    pause goes first, and the turn stores no reply."""
    assert post_webhook(envelopes.messenger(PSID, PAGE_ID, text="hi")).status_code == 200
    assert post_webhook(inbox_answer("Hi! Ana here", "m_inbox.2")).status_code == 200
    drain()
    assert texts(fake_graph) == []
    assert customer_state()["bot_paused"]
    [message] = db.fetch_all("SELECT status FROM messages WHERE direction = 'in'")
    assert message["status"] == "processed"


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "before it is recorded"])
def test_the_echo_of_the_bots_own_reply_changes_nothing(
    page, write, post_webhook, drain, fake_graph, recorded
):
    """What the bot sends carries our metadata, and Meta echoes it back: its own reply, even
    one whose echo beats the record of its send, never pauses it."""
    write("hello")
    [sent] = send_requests(fake_graph)
    [reply] = db.fetch_all("SELECT external_id FROM messages WHERE direction = 'out'")
    mid = reply["external_id"] if recorded else "m_echo.before.record"
    own = echo({"app_id": OUR_APP, "mid": mid, **sent.json["message"]})
    assert post_webhook(own).status_code == 200
    drain()
    assert not customer_state()["bot_paused"]
    assert db.fetch_one("SELECT count(*) AS n FROM messages")["n"] == 2
    write("and another thing")
    assert texts(fake_graph) == ["You said: hello", "You said: and another thing"]


def test_an_echo_without_our_metadata_that_beats_the_record_of_its_send_is_the_send(
    page, write, post_webhook
):
    """Should an echo of the bot's own send come without our metadata (one sent before sends
    carried it) and before the send is recorded, it is stored as a person's answer; recording
    the send then finds its id taken, and the echo is known for the send it is: recorded once,
    not sent again."""
    from app.storage import outbox

    write("hello")
    [reply] = db.fetch_all("SELECT id FROM messages WHERE direction = 'out'")
    db.execute(
        "UPDATE messages SET status = 'queued', external_id = NULL, sent_at = NULL WHERE id = %s",
        (reply["id"],),
    )
    assert post_webhook(echo({"app_id": OUR_APP, "mid": "m_race", "text": "x"})).status_code == 200
    outbox.mark_sent(reply["id"], "messenger", "m_race", "text")
    rows = db.fetch_all("SELECT id, status, purpose FROM messages WHERE direction = 'out'")
    assert rows == [{"id": reply["id"], "status": "sent", "purpose": "reply"}]


def test_twenty_concurrent_redeliveries_of_one_mid_give_one_reply(
    page, post_concurrently, drain, fake_graph
):
    envelope = envelopes.messenger(PSID, PAGE_ID, text="hello")
    codes = post_concurrently(envelope)
    assert codes == [200] * 20
    drain()
    inbound = db.fetch_all("SELECT channel, external_id FROM messages WHERE direction = 'in'")
    mid = envelope["entry"][0]["messaging"][0]["message"]["mid"]
    assert inbound == [{"channel": "messenger", "external_id": mid}]
    assert db.fetch_one("SELECT count(*) AS n FROM turns")["n"] == 1
    assert texts(fake_graph) == ["You said: hello"]


def test_one_business_on_both_channels_keeps_two_customers_and_one_appointment_book(
    page, post_webhook, drain, fake_llm, fake_graph
):
    """The same address on both channels is two customers; the salon's capacity is shared."""
    db.execute("UPDATE businesses SET max_concurrent = 1, updated_at = clock_timestamp()")
    day = upcoming(2)
    book = {"service": "Haircut", "date": day.isoformat(), "time": "10:00"}
    outcome = relay(lambda r: "booked" if r["ok"] else "that time is taken")
    fake_llm.script += [tool_call("book_appointment", book), outcome]
    assert post_webhook(envelopes.text("haircut at 10", wa_id=WA_ID)).status_code == 200
    drain()
    fake_llm.script += [tool_call("book_appointment", book), outcome]
    assert (
        post_webhook(envelopes.messenger(WA_ID, PAGE_ID, text="haircut at 10")).status_code == 200
    )
    drain()
    assert customers() == [("whatsapp", WA_ID, "Alex"), ("messenger", WA_ID, "")]
    assert [(a["channel"], a["starts_at"], a["status"]) for a in appointments()] == [
        ("whatsapp", at(day, "10:00"), "booked")
    ]
    assert tool_results(fake_llm.requests[-1])[-1]["ok"] is False
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == ["booked"]
    assert texts(fake_graph) == ["that time is taken"]
    # Each customer's history is their own: the Messenger turn saw none of the WhatsApp one.
    assert [m["role"] for m in fake_llm.requests[-2]["messages"]] == ["system", "user"]


def watermark(event: str, at: datetime, psid: str = PSID) -> dict:
    """A Messenger delivery or read event whose watermark is `at` (milliseconds, rounded up)."""
    stamp = math.ceil(at.timestamp() * 1000)
    body = {"watermark": stamp}
    messaging = {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": stamp,
        event: body,
    }
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": stamp, "messaging": [messaging]}]}


def replies(channel: str = "messenger") -> list[dict]:
    return db.fetch_all(
        "SELECT m.id, m.status, m.sent_at FROM messages m JOIN customers c ON c.id = m.customer_id"
        " WHERE m.direction = 'out' AND c.channel = %s ORDER BY m.id",
        (channel,),
    )


def test_a_watermark_marks_every_earlier_reply_delivered_then_read(
    page, write, post_webhook, drain, fake_graph
):
    for text in ("one", "two", "three"):
        write(text)
    # The same address on WhatsApp, and a reply still queued: no watermark of this Page's
    # customer may touch either.
    post_webhook(envelopes.text("hi", wa_id=PSID))
    drain()
    first, second, third = replies()
    assert third["sent_at"] > second["sent_at"] + timedelta(milliseconds=1)
    db.execute(
        "UPDATE messages SET status = 'queued', sent_at = NULL WHERE id = %s", (third["id"],)
    )

    assert post_webhook(watermark("delivery", second["sent_at"])).status_code == 200
    assert [r["status"] for r in replies()] == ["delivered", "delivered", "queued"]
    db.execute("UPDATE messages SET status = 'sent', sent_at = now() WHERE id = %s", (third["id"],))

    assert post_webhook(watermark("read", first["sent_at"])).status_code == 200
    assert [r["status"] for r in replies()] == ["read", "delivered", "sent"]
    # A late delivery watermark never moves a read message back.
    assert post_webhook(watermark("delivery", datetime.now(UTC))).status_code == 200
    assert [r["status"] for r in replies()] == ["read", "delivered", "delivered"]
    assert post_webhook(watermark("read", datetime.now(UTC))).status_code == 200
    assert [r["status"] for r in replies()] == ["read", "read", "read"]
    assert [r["status"] for r in replies("whatsapp")] == ["sent"]


def test_a_read_watermark_stamped_when_meta_took_the_reply_marks_it_read(
    page, write, post_webhook, fake_graph
):
    """Meta stamps a reply when its send arrives, before it answers us: the reply's `sent_at`
    is when our send started, so the watermark of that very reply covers it."""
    write("hello")
    [send] = send_requests(fake_graph)
    arrived = datetime.now(UTC) - timedelta(seconds=time.monotonic() - send.at)
    [reply] = replies()
    assert reply["sent_at"] <= arrived
    stamp = math.floor(arrived.timestamp() * 1000)  # Meta's stamp, in whole milliseconds
    read = watermark("read", datetime.fromtimestamp(stamp / 1000, UTC))
    assert post_webhook(read).status_code == 200
    assert [r["status"] for r in replies()] == ["read"]


@pytest.mark.parametrize(
    ("event", "after_start", "status"),
    [("read", True, "read"), ("delivery", True, "delivered"), ("read", False, "sent")],
)
def test_a_watermark_that_comes_while_the_send_is_in_flight_covers_it_once_recorded(
    page, write, post_webhook, event, after_start, status
):
    """The customer read the reply before the worker recorded its send: the read receipt,
    which names no message, changed nothing then, and the reply stayed `sent` for good."""
    from app.storage import outbox

    write("hello")
    [reply] = replies()
    db.execute(
        "UPDATE messages SET status = 'queued', sent_at = NULL WHERE id = %s", (reply["id"],)
    )
    started = datetime.now(UTC) - timedelta(seconds=2)  # the send started, Meta stamped it
    stamp = started + timedelta(seconds=1) if after_start else started - timedelta(seconds=1)
    assert post_webhook(watermark(event, stamp)).status_code == 200
    assert [r["status"] for r in replies()] == ["queued"]
    outbox.mark_sent(reply["id"], "messenger", "m_in.flight", "text", started)
    assert [(r["status"], r["sent_at"]) for r in replies()] == [(status, started)]


@pytest.mark.parametrize("first", ["the watermark", "the send's record"])
def test_a_watermark_and_a_send_recorded_at_the_same_moment_meet(page, write, first):
    """Each takes the customer's row, so one waits for the other: a send recorded while the
    watermark is being kept reads it once kept, and a watermark kept while a send is being
    recorded looks for the messages it covers after that record (each had missed the other)."""
    import threading

    import psycopg
    from psycopg.rows import dict_row

    from app.storage import outbox
    from tests.test_whatsapp_bsuid_customers import DEADLINE, _until_waiting_for_a_transaction

    write("hello")
    [reply] = replies()
    queued = "UPDATE messages SET status = 'queued', sent_at = NULL WHERE id = %s"
    db.execute(queued, (reply["id"],))
    customer = db.fetch_one("SELECT customer_id FROM messages WHERE id = %s", (reply["id"],))
    started = datetime.now(UTC) - timedelta(seconds=2)
    read = started + timedelta(seconds=1)
    with psycopg.connect(db.pool().conninfo, row_factory=dict_row) as holder:
        if first == "the watermark":  # kept, not committed yet
            kept = "UPDATE customers SET read_until = %s WHERE id = %s"
            holder.execute(kept, (read, customer["customer_id"]))
            later = threading.Thread(
                target=outbox.mark_sent, args=(reply["id"], "messenger", "m_x", "text", started)
            )
        else:  # the send being recorded, as mark_sent does, not committed yet
            holder.execute(
                "SELECT 1 FROM customers WHERE id = %s FOR SHARE", (customer["customer_id"],)
            )
            holder.execute(
                "UPDATE messages SET status = 'sent', sent_at = %s WHERE id = %s",
                (started, reply["id"]),
            )
            later = threading.Thread(
                target=outbox.apply_watermark, args=(page, "messenger", PSID, "read", read)
            )
        later.start()
        _until_waiting_for_a_transaction(holder)
        holder.commit()
    later.join(DEADLINE)
    assert [r["status"] for r in replies()] == ["read"]


def test_apply_watermark_is_scoped_to_the_business_channel_and_customer(page, write):
    from app.storage import outbox

    write("hello")
    [reply] = replies()
    later = reply["sent_at"] + timedelta(seconds=1)
    other_business = businesses.create_business({"name": "Other", "whatsapp_number_id": "9"})
    assert outbox.apply_watermark(other_business, "messenger", PSID, "read", later) == 0
    assert outbox.apply_watermark(page, "whatsapp", PSID, "read", later) == 0
    assert outbox.apply_watermark(page, "messenger", "someone-else", "read", later) == 0
    assert (
        outbox.apply_watermark(
            page, "messenger", PSID, "read", reply["sent_at"] - timedelta(seconds=1)
        )
        == 0
    )
    assert outbox.apply_watermark(page, "messenger", PSID, "bogus", later) == 0
    assert [r["status"] for r in replies()] == ["sent"]
    assert outbox.apply_watermark(page, "messenger", PSID, "read", later) == 1
    assert [r["status"] for r in replies()] == ["read"]


# Every Messenger payload of the shared collection, delivered now to a business on its Page.
SHARED_PAGE = "111111"
MESSENGER_PAYLOADS = sorted(PAYLOADS.glob("messenger_*.json"))


def sent_now(data: dict) -> dict:
    """A copy whose events carry the current time (the payloads are from 2016)."""
    data = copy.deepcopy(data)
    now = int(time.time() * 1000)
    for entry in data["entry"]:
        for event in entry["messaging"]:
            if "timestamp" in event:
                event["timestamp"] = now
    return data


@pytest.mark.parametrize("path", MESSENGER_PAYLOADS, ids=[p.stem for p in MESSENGER_PAYLOADS])
def test_every_shared_messenger_payload_is_accepted_with_its_effect(
    path, app, post_webhook, drain, fake_graph
):
    business_id = businesses.create_business(
        {
            "name": "Page Salon",
            "whatsapp_number_id": "5",
            "messenger_page_id": SHARED_PAGE,
            "page_access_token": encrypt(PAGE_TOKEN, SECRET_KEY),
        },
        [{"name": "Haircut", "duration_minutes": 30, "price": 10}],
    )
    # An earlier reply of the page's, for the delivery receipt to find.
    customer = db.fetch_one(
        "INSERT INTO customers (business_id, channel, address, last_inbound_at)"
        " VALUES (%s, 'messenger', 'USER_ID', now()) RETURNING id",
        (business_id,),
    )["id"]
    earlier = db.fetch_one(
        "INSERT INTO messages (business_id, customer_id, channel, direction, body, status,"
        " external_id, sent_at) VALUES (%s, %s, 'messenger', 'out', 'Hello!', 'sent',"
        " 'mid.1458668856218:ed81099e15d3f4f233', to_timestamp(1458668856.2)) RETURNING id",
        (business_id, customer),
    )["id"]
    assert post_webhook(sent_now(json.loads(path.read_text()))).status_code == 200
    drain()
    inbound = db.fetch_all(
        "SELECT channel, kind, body, customer_id FROM messages WHERE direction = 'in'"
    )
    status = db.fetch_one("SELECT status FROM messages WHERE id = %s", (earlier,))["status"]
    sent = texts(fake_graph)
    expected = {
        "messenger_text_message": (
            [("text", "hello, world!")],
            ["You said: hello, world!"],
            "sent",
        ),
        "messenger_postback": (
            [("choice", "USER_DEFINED_PAYLOAD")],
            ["You said: USER_DEFINED_PAYLOAD"],
            "sent",
        ),
        "messenger_image_attachment": ([("media", "")], [NON_TEXT_REPLY], "sent"),
        "messenger_delivery": ([], [], "delivered"),
    }[path.stem]
    assert [(m["kind"], m["body"]) for m in inbound] == expected[0]
    assert all(m["channel"] == "messenger" and m["customer_id"] == customer for m in inbound)
    assert sent == expected[1]
    assert status == expected[2]
    if sent:
        assert send_requests(fake_graph)[0].json["recipient"] == {"id": "USER_ID"}


def test_every_shared_messenger_payload_has_an_end_to_end_expectation():
    assert {p.stem for p in MESSENGER_PAYLOADS} == {
        "messenger_text_message",
        "messenger_postback",
        "messenger_image_attachment",
        "messenger_delivery",
    }

"""The worker's turn: batching, mid-turn messages, failures, sending rules."""

from datetime import UTC, datetime

import pytest

from app import bot
from app.agent.loop import APOLOGY, EXHAUSTED
from app.bot import NON_TEXT_REPLY
from app.channels.base import InboundKind
from app.flow import reminders as reminder_words
from app.flow.words import say
from app.storage import conversations, db, flow_state
from tests import envelopes
from tests.fake_llm import last_user_text, text_reply, tool_call


def turn_rows():
    return db.fetch_all("SELECT status, error FROM turns ORDER BY id")


def test_three_quick_messages_make_one_turn(post_webhook, drain, fake_llm, fake_graph):
    for body in ["hi", "I'd like a haircut", "tomorrow if possible"]:
        post_webhook(envelopes.text(body))
    drain()
    assert len(fake_llm.requests) == 1
    assert last_user_text(fake_llm.requests[0]) == "hi\nI'd like a haircut\ntomorrow if possible"
    assert len(fake_graph.messages_sent()) == 1
    assert [r["status"] for r in turn_rows()] == ["answered"]


def test_message_arriving_mid_turn_is_included_before_replying(
    post_webhook, worker, fake_llm, fake_graph
):
    fake_llm.hold.clear()
    post_webhook(envelopes.text("first"))
    assert fake_llm.wait_for_requests(1)
    post_webhook(envelopes.text("second"))
    fake_llm.hold.set()
    sent = fake_graph.wait_for_sends(1, timeout=30)
    assert len(fake_llm.requests) == 2
    assert last_user_text(fake_llm.requests[1]) == "second"
    assert [m["text"]["body"] for m in sent] == ["You said: second"]
    inbound = db.fetch_all("SELECT status, turn_id FROM messages WHERE direction = 'in'")
    assert {(r["status"], r["turn_id"]) for r in inbound} == {("processed", 1)}
    # The second message's own job finds nothing left to answer.
    assert db.fetch_one("SELECT count(*) AS n FROM turns")["n"] == 1


def test_history_is_sent_to_the_model(post_webhook, drain, fake_llm):
    post_webhook(envelopes.text("one"))
    drain()
    post_webhook(envelopes.text("two"))
    drain()
    roles = [(m["role"], m.get("content")) for m in fake_llm.requests[1]["messages"][1:]]
    assert roles == [("user", "one"), ("assistant", "You said: one"), ("user", "two")]


def test_llm_failure_sends_apology_and_records_failed_turn(
    post_webhook, drain, fake_llm, fake_graph
):
    fake_llm.script.append((500, {"error": {"message": "boom", "type": "server_error"}}))
    post_webhook(envelopes.text("hello"))
    drain()
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == [APOLOGY]
    assert turn_rows()[0]["status"] == "failed"
    assert "llm" in turn_rows()[0]["error"]
    assert db.fetch_one("SELECT status FROM messages WHERE direction = 'in'")["status"] == "failed"


@pytest.mark.parametrize(
    "text, ending",
    [
        ("hola, quiero una cita mañana", "Lo siento, ahora mismo no puedo responder."),
        ("hello, I'd like an appointment tomorrow", "Sorry, I'm having trouble answering"),
    ],
)
def test_the_apology_is_in_the_customer_s_language(
    post_webhook, drain, fake_llm, fake_graph, text, ending
):
    fake_llm.script.append((500, {"error": {"message": "boom", "type": "server_error"}}))
    post_webhook(envelopes.text(text))
    drain()
    [sent] = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert sent.startswith(ending), sent


def test_an_unfinished_turn_asks_again_in_the_customer_s_language(
    app, post_webhook, drain, fake_llm, fake_graph
):
    app.config["AGENT_MAX_ITERATIONS"] = 1
    fake_llm.script.append(text_reply("¡Tu corte está reservado!"))
    post_webhook(envelopes.text("resérvame un corte de pelo"))
    drain()
    [sent] = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert sent.startswith("Lo siento, no he podido terminarlo."), sent


def test_rate_limited_send_is_retried_and_delivered_once(post_webhook, drain, fake_graph):
    fake_graph.fail_next(130429)
    post_webhook(envelopes.text("hi"))
    drain()
    assert len(fake_graph.messages_sent()) == 1  # the refused attempt is not a delivery
    sends = [r for r in fake_graph.requests if (r.json or {}).get("type") == "text"]
    assert len(sends) == 2
    assert db.fetch_one("SELECT status FROM messages WHERE direction = 'out'")["status"] == "sent"


def test_permanent_send_error_is_not_retried_and_is_kept(post_webhook, drain, fake_graph):
    fake_graph.fail_next(131047)
    post_webhook(envelopes.text("hi"))
    drain()
    sends = [r for r in fake_graph.requests if (r.json or {}).get("type") == "text"]
    assert len(sends) == 1
    row = db.fetch_one("SELECT status, error_code FROM messages WHERE direction = 'out'")
    assert (row["status"], row["error_code"]) == ("failed", 131047)


def test_media_gets_a_polite_text_only_reply(post_webhook, drain, fake_graph, fake_llm):
    image = {"type": "image", "image": {"id": "1", "mime_type": "image/jpeg", "sha256": "x"}}
    post_webhook(envelopes.message(image))
    drain()
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == [NON_TEXT_REPLY]
    assert fake_llm.requests == []


def test_media_from_a_customer_who_writes_spanish_gets_that_reply_in_spanish(
    post_webhook, drain, fake_graph, fake_llm
):
    """A photo says no language: the customer is answered in the one they last wrote in."""
    db.execute(
        "INSERT INTO customers (business_id, channel, address, language)"
        " SELECT id, 'whatsapp', '34600111222', 'es' FROM businesses"
        " WHERE whatsapp_number_id = %s",
        (envelopes.PHONE_NUMBER_ID,),
    )
    image = {"type": "image", "image": {"id": "1", "mime_type": "image/jpeg", "sha256": "x"}}
    post_webhook(envelopes.message(image, wa_id="34600111222"))
    drain()
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == [say("es", "non_text")]
    assert say("es", "non_text").startswith("¡Gracias! Por ahora solo puedo leer")
    assert fake_llm.requests == []


def test_a_photo_s_caption_is_read_and_answered(post_webhook, drain, fake_graph, fake_llm):
    """ "Can I get this style on Friday?" under a photo was answered "I can only read text"."""
    fake_llm.script.append(text_reply("That style is our Haircut; Friday has free times."))
    caption = "Can I get this style on Friday?"
    image = {"type": "image", "image": {"id": "1", "mime_type": "image/jpeg", "caption": caption}}
    post_webhook(envelopes.message(image))
    drain()
    [request] = fake_llm.requests
    said = request["messages"][-1]["content"]
    assert "'image' you cannot see" in said and caption in said
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == [
        "That style is our Haircut; Friday has free times."
    ]


def test_reaction_gets_no_reply(post_webhook, drain, fake_graph):
    reaction = {"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}}
    post_webhook(envelopes.message(reaction))
    drain()
    assert fake_graph.messages_sent() == []
    assert db.fetch_one("SELECT status FROM messages")["status"] == "ignored"


def test_read_receipt_with_typing_indicator_before_the_turn(post_webhook, drain, fake_graph):
    post_webhook(envelopes.text("hi", wamid="wamid.READ1"))
    drain()
    receipts = fake_graph.read_receipts()
    assert receipts and receipts[0]["message_id"] == "wamid.READ1"
    assert receipts[0]["typing_indicator"] == {"type": "text"}


def test_paused_customer_is_stored_but_not_answered(post_webhook, drain, fake_graph):
    post_webhook(envelopes.text("hi"))
    drain()
    db.execute("UPDATE customers SET bot_paused = true")
    post_webhook(envelopes.text("are you there?"))
    drain()
    assert len(fake_graph.messages_sent()) == 1
    assert db.fetch_one("SELECT count(*) AS n FROM messages WHERE direction = 'in'")["n"] == 2


def test_reply_markdown_is_converted_and_long_replies_split(
    post_webhook, drain, fake_llm, fake_graph
):
    fake_llm.script.append(text_reply("**Hello**\n\n" + ("word " * 1000).strip()))
    post_webhook(envelopes.text("hi"))
    drain()
    bodies = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert len(bodies) == 2 and all(len(b) <= 4096 for b in bodies)
    assert bodies[0].startswith("*Hello*")


def test_a_message_during_the_last_iteration_leaves_the_answer_alone(
    app, post_webhook, drain, fake_llm, fake_graph
):
    app.config["AGENT_MAX_ITERATIONS"] = 2

    def answer_while_customer_writes(body):
        post_webhook(envelopes.text("thanks!"))
        return text_reply("We offer Haircut and Colour.")

    fake_llm.script += [tool_call("list_services", {}), answer_while_customer_writes]
    post_webhook(envelopes.text("what services do you have?"))
    drain()
    sent = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert sent == ["We offer Haircut and Colour.", "You said: thanks!"]  # "thanks!": own turn
    assert [r["status"] for r in turn_rows()] == ["answered", "answered"]


def test_an_ungrounded_reply_on_the_last_iteration_is_not_sent_back_for_correction(
    app, post_webhook, drain, fake_llm, fake_graph
):
    app.config["AGENT_MAX_ITERATIONS"] = 1
    fake_llm.script.append(text_reply("Your haircut is booked!"))
    post_webhook(envelopes.text("book me a haircut"))
    drain()
    assert len(fake_llm.requests) == 1
    assert turn_rows() == [{"status": "failed", "error": "ungrounded reply"}]
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == [EXHAUSTED]


def mid_turn(post_webhook, drain, fake_llm, arrives: dict) -> None:
    """ "hi", and `arrives` while the model answers it."""

    def answer_while_customer_writes(body):
        post_webhook(arrives)
        return text_reply("Hello! How can I help?")

    fake_llm.script += [answer_while_customer_writes, text_reply("Sure, done!")]
    post_webhook(envelopes.text("hi", wamid="wamid.FIRST"))
    drain()


def test_stop_reminders_mid_turn_takes_its_own_path(post_webhook, drain, fake_llm, fake_graph):
    mid_turn(post_webhook, drain, fake_llm, envelopes.text("stop reminders", wamid="wamid.MID"))
    assert len(fake_llm.requests) == 1
    assert db.fetch_one("SELECT reminders_off FROM customers")["reminders_off"]
    sent = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert sent == ["Hello! How can I help?", reminder_words.say("en", "reminders_off")]


def test_delete_my_data_mid_turn_takes_its_own_path(post_webhook, drain, fake_llm, fake_graph):
    mid_turn(post_webhook, drain, fake_llm, envelopes.text("delete my data", wamid="wamid.MID"))
    assert len(fake_llm.requests) == 1
    first, second = fake_graph.messages_sent()
    assert first["text"]["body"] == "Hello! How can I help?"
    assert second["interactive"]["body"]["text"].startswith("Erasing your data removes")


def test_a_tap_mid_turn_is_answered_by_the_flow(post_webhook, drain, fake_llm, fake_graph):
    mid_turn(post_webhook, drain, fake_llm, envelopes.tap("privacy:keep", "Keep my data"))
    assert len(fake_llm.requests) == 1
    inbound = db.fetch_all("SELECT status, turn_id FROM messages WHERE direction = 'in'")
    assert [r["status"] for r in inbound] == ["processed", "processed"]
    assert len({r["turn_id"] for r in inbound}) == 2  # each answered by its own turn


def test_messages_after_a_mid_turn_command_wait_behind_it(
    post_webhook, drain, fake_llm, fake_graph
):
    def answer_while_customer_writes(body):
        post_webhook(envelopes.text("stop reminders", wamid="wamid.MID"))
        post_webhook(envelopes.text("and what time do you open?", wamid="wamid.LAST"))
        return text_reply("Hello! How can I help?")

    fake_llm.script.append(answer_while_customer_writes)
    post_webhook(envelopes.text("hi", wamid="wamid.FIRST"))
    drain()
    sent = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert sent == [
        "Hello! How can I help?",
        reminder_words.say("en", "reminders_off"),
        "You said: and what time do you open?",
    ]


@pytest.mark.parametrize("command", ["stop reminders", "no more reminders please"])
def test_stop_reminders_batched_with_a_greeting_is_answered_in_its_own_turn(
    post_webhook, drain, fake_llm, fake_graph, command
):
    for body in ["hi", command, "thanks"]:
        post_webhook(envelopes.text(body))
    drain()
    assert [last_user_text(r) for r in fake_llm.requests] == ["hi", "thanks"]
    assert db.fetch_one("SELECT reminders_off FROM customers")["reminders_off"]
    sent = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert sent == ["You said: hi", reminder_words.say("en", "reminders_off"), "You said: thanks"]


def test_delete_my_data_batched_with_a_greeting_is_answered_in_its_own_turn(
    post_webhook, drain, fake_llm, fake_graph
):
    for body in ["hi", "delete my data"]:
        post_webhook(envelopes.text(body))
    drain()
    assert [last_user_text(r) for r in fake_llm.requests] == ["hi"]
    first, second = fake_graph.messages_sent()
    assert first["text"]["body"] == "You said: hi"
    assert second["interactive"]["body"]["text"].startswith("Erasing your data removes")


def test_a_tap_batched_after_a_greeting_gets_its_own_turn(
    post_webhook, drain, fake_llm, fake_graph
):
    post_webhook(envelopes.text("hi", wamid="wamid.FIRST"))
    post_webhook(envelopes.tap("privacy:keep", "Keep my data"))
    drain()
    assert [last_user_text(r) for r in fake_llm.requests] == ["hi"]
    inbound = db.fetch_all("SELECT turn_id FROM messages WHERE direction = 'in' ORDER BY id")
    assert len({r["turn_id"] for r in inbound}) == 2


def test_a_plain_message_costs_no_extra_queries(app, monkeypatch):
    with app.app_context():
        business = bot.load_business(db.fetch_one("SELECT id FROM businesses LIMIT 1")["id"])
        row = db.fetch_one(
            "INSERT INTO customers (business_id, address, profile_name) VALUES (%s, 'x', 'A')"
            " RETURNING id",
            (business["id"],),
        )
        customer = conversations.get_customer(row["id"])
        calls = []
        real = flow_state.fetch_one
        monkeypatch.setattr(flow_state, "fetch_one", lambda *a: calls.append(a) or real(*a))
        now = datetime.now(UTC)
        pending = [
            {"id": i, "kind": InboundKind.TEXT, "body": body, "choice": None, "created_at": now}
            for i, body in enumerate(["hi", "tomorrow", "at 10", "haircut", "thanks"])
        ]
        assert bot._this_turns(business, customer, pending) == pending
        assert len(calls) == 0, f"{len(calls)} queries for 5 plain messages"

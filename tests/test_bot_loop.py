"""A conversation the bot answers too often is handed to the team (BOT_REPLY_LIMIT within
BOT_REPLY_WINDOW_MINUTES): another automated sender answering each of its replies would
otherwise keep both bots talking, and spending the business's budget, for ever."""

from __future__ import annotations

import pytest

from app.flow import handoff as flow_handoff
from app.storage import db
from tests import envelopes
from tests.fake_llm import text_reply

WA_ID = "34600700099"


@pytest.fixture
def app(request, app_config):
    """The app with the model-free flow answering, and a limit of three replies (or the test's
    parameter) in ten minutes; the team is told on its own number, through the notice template."""
    from app import create_app
    from app.storage import businesses

    param = getattr(request, "param", 3)
    model = param == "model"  # the fake model answers, three replies the limit
    limit = 3 if model else param
    config = {**app_config, "BOT_REPLY_LIMIT": limit}
    if not model:
        config["OPENAI_API_KEY"] = ""
    config["BOT_REPLY_WINDOW_MINUTES"] = 10
    flask_app = create_app(config)
    businesses.seed_demo("123456123")
    db.execute(
        "UPDATE businesses SET staff_notify_number = '34699000999',"
        " notice_template = 'team_notice', notice_template_language = 'en'"
    )
    yield flask_app
    db.close_pool()


@pytest.fixture
def say(post_webhook, drain):
    def run(text: str) -> None:
        assert post_webhook(envelopes.text(text, wa_id=WA_ID, name="Bot B")).status_code == 200
        drain()

    return run


def replies() -> list[str]:
    return [
        r["body"]
        for r in db.fetch_all(
            "SELECT m.body FROM messages m JOIN customers c ON c.id = m.customer_id"
            " WHERE c.address = %s AND m.direction = 'out' ORDER BY m.id",
            (WA_ID,),
        )
    ]


def customer() -> dict:
    return db.fetch_one("SELECT * FROM customers WHERE address = %s", (WA_ID,))


def test_the_bot_steps_aside_once_it_has_answered_too_often(app, say, fake_graph):
    for n in range(3):
        say(f"hello, automated message {n}")
    assert len(replies()) == 3
    assert not customer()["bot_paused"]
    say("hello, automated message 3")  # a fourth within ten minutes
    row = customer()
    assert row["bot_paused"] and row["needs_attention"]
    assert row["handoff_reason"] == flow_handoff.TOO_MANY_REPLIES.format(replies=3, minutes=10)
    assert flow_handoff.NOTICE["en"] in replies()[-1]
    [told] = [m for m in fake_graph.messages_sent() if m.get("to") == "34699000999"]
    text = told["template"]["components"][0]["parameters"][0]["text"]
    assert text.startswith("Demo Salon: Bot B needs a person (The bot answered 3 times in 10"), text
    say("hello, automated message 4")  # the loop is over: nothing more is answered
    assert len(replies()) == 4


def test_replies_spread_over_more_than_the_window_keep_the_bot_answering(app, say):
    for n in range(3):
        say(f"hello {n}")
    db.execute(
        "UPDATE messages SET created_at = created_at - interval '11 minutes'"
        " WHERE direction = 'out'"
    )
    say("hello again")
    assert not customer()["bot_paused"]
    assert len(replies()) == 4 and flow_handoff.NOTICE["en"] not in replies()[-1]


@pytest.mark.parametrize("app", [0], indirect=True)
def test_a_limit_of_zero_never_steps_aside(app, say):
    for n in range(25):
        say(f"hi {n}")
    assert not customer()["bot_paused"] and len(replies()) == 25


@pytest.mark.parametrize("app", ["model"], indirect=True)
def test_a_long_answer_sent_in_parts_is_one_answer(app, say, fake_llm):
    long_text = " ".join(["We are open every weekday and happy to help you."] * 200)
    fake_llm.default = lambda body: text_reply(long_text)  # ~10,000 characters
    say("hi, what are your hours?")
    assert len(replies()) >= 3  # one answer, sent as three WhatsApp messages or more
    fake_llm.default = lambda body: text_reply("You're welcome!")
    say("thanks!")
    assert not customer()["bot_paused"], customer()["handoff_reason"]


def test_a_resume_by_staff_stands(app, say, api, world):
    for n in range(4):
        say(f"hello {n}")
    assert customer()["bot_paused"]  # the guard stepped aside
    path = f"/businesses/{world.business_id}/conversations/{customer()['id']}/resume"
    assert api("POST", path, "staff").status_code == 200
    say("a haircut tomorrow, please")
    assert not customer()["bot_paused"], customer()["handoff_reason"]
    assert flow_handoff.NOTICE["en"] not in replies()[-1]

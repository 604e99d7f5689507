"""replay_fixture.py against the app in mock mode: Messenger fixtures and `--messenger --chat`."""

from __future__ import annotations

import asyncio
import io
import re
import sys
import threading

import psycopg
import pytest
from werkzeug.serving import make_server

import replay_fixture
from app.storage import businesses, db
from tests import envelopes
from tests.conftest import APP_SECRET, PHONE_NUMBER_ID

PAGE_ID = "777000111"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "MOCK_MODE": True}


@pytest.fixture
def working(app):
    """Passes of the job worker, one after another, until the test ends (a long-running worker
    would also run the periodic deferrer, which this test has no use for)."""
    from app import jobs

    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            asyncio.run(jobs.run_worker_async(app, install_signal_handlers=False, wait=False))
            stop.wait(0.05)  # the next pass picks up what arrived meanwhile

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


@pytest.fixture
def server(app, working, monkeypatch):
    """The app serving on a local port (the worker answering), as `run.py` runs it."""
    businesses.seed_demo(PHONE_NUMBER_ID, messenger_page_id=PAGE_ID)
    monkeypatch.setenv("APP_SECRET", APP_SECRET)
    monkeypatch.setenv("MESSENGER_PAGE_ID", PAGE_ID)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


def replay(capsys, *args: str) -> str:
    assert replay_fixture.main([*args, "--timeout", "20"]) == 0
    return capsys.readouterr().out


def test_messenger_tour_replies_ignores_and_marks_delivered_then_read(server, capsys):
    out = replay(capsys, "--server", server, "--messenger")
    blocks = dict(re.findall(r"→ \S*?(messenger_\w+)\.json\n(.*?)(?=\n→ |\Z)", out, re.S))
    assert list(blocks) == [p.stem for p in replay_fixture.MESSENGER_TOUR]
    assert all("webhook answered 200" in block for block in blocks.values())
    assert "← You said: Hi!" in blocks["messenger_text"]
    assert "← You said: Prices" in blocks["messenger_quick_reply"]
    assert "← You said: Opening hours" in blocks["messenger_postback"]
    assert "← Thanks! I can only read text messages" in blocks["messenger_image_attachment"]
    for ignored in ("messenger_echo", "messenger_reaction"):
        assert "(nothing to answer: no customer wrote)" in blocks[ignored]
    assert re.search(r"✓ reply mock\.\d+ to PSID 6254381284610001 is now delivered", out)
    assert re.search(r"✓ reply mock\.\d+ to PSID 6254381284610001 is now read", out)
    statuses = db.fetch_all(
        "SELECT m.status FROM messages m JOIN customers c ON c.id = m.customer_id"
        " WHERE c.channel = 'messenger' AND m.direction = 'out'"
    )
    assert [s["status"] for s in statuses] == ["read"] * 4


def test_messenger_chat_talks_to_the_demo_page(server, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello page\nbook a haircut\n"))
    out = replay(capsys, "--server", server, "--messenger", "--chat", "--psid", "555")
    assert "as PSID 555" in out
    assert "bot> You said: hello page" in out and "bot> You said: book a haircut" in out
    customer = db.fetch_one("SELECT channel, address FROM customers")
    assert customer == {"channel": "messenger", "address": "555"}


def test_dev_messages_reads_the_messages_and_the_pending_count_in_one_snapshot(
    client, post_webhook, drain, monkeypatch
):
    """A turn that commits between the reader's two queries (the messages, then how many are
    pending) must not look like "nothing pending and no reply": the chat would print that."""
    assert post_webhook(envelopes.text("hello")).status_code == 200
    params = {"account_id": PHONE_NUMBER_ID, "address": "34600111222", "after_id": 0}
    execute = psycopg.Connection.execute
    turns = []

    def execute_then_answer(self, query, *args, **kwargs):
        cursor = execute(self, query, *args, **kwargs)
        if not turns and "id > %s" in str(query):
            # The turn runs on connections of its own (a thread does not inherit the reader's).
            turns.append(threading.Thread(target=drain))
            turns[0].start()
            turns[0].join()
        return cursor

    monkeypatch.setattr(psycopg.Connection, "execute", execute_then_answer)
    first = client.get("/dev/messages", query_string=params).get_json()
    assert turns, "the reader's message query never ran"
    assert [m["direction"] for m in first["messages"]] == ["in"]
    assert first["pending"] == 1
    monkeypatch.setattr(psycopg.Connection, "execute", execute)
    after = client.get("/dev/messages", query_string=params).get_json()
    assert [m["direction"] for m in after["messages"]] == ["in", "out"]
    assert after["pending"] == 0


def test_a_watermark_fixture_before_any_reply_says_what_to_replay_first(server, capsys):
    hint = r"replay one of their messages first \(e\.g\. fixtures/messenger_text\.json\)$"
    with pytest.raises(SystemExit, match=hint):
        replay_fixture.main(["--server", server, str(replay_fixture.MESSENGER_TOUR[-1])])


def test_a_status_fixture_before_any_reply_names_the_fixture_its_recipient_writes(server):
    """status_failed.json is for the customer of text_services_prices.json, not of the
    greeting."""
    hint = r"first \(e\.g\. fixtures/text_services_prices\.json\)$"
    with pytest.raises(SystemExit, match=hint):
        replay_fixture.main(
            ["--server", server, str(replay_fixture.FIXTURES / "status_failed.json")]
        )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read"),
        (b"{not json", "is not a JSON webhook envelope"),
        (b"[1, 2]", "is not a JSON webhook envelope"),
    ],
    ids=["missing", "not json", "not an object"],
)
def test_a_bad_fixture_is_one_line_and_nothing_is_sent(tmp_path, capsys, content, says):
    """Every file is read before anything is posted (no bot needs to be running for this)."""
    good = tmp_path / "good.json"
    good.write_text('{"object": "whatsapp_business_account", "entry": []}')
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_bytes(content)
    code = replay_fixture.main(
        [str(good), str(bad), "--server", "http://127.0.0.1:9", "--timeout", "1"]
    )
    err = capsys.readouterr()
    assert code == 2
    assert err.out == ""  # nothing was posted, not even the good file
    assert err.err.count("\n") == 1 and says in err.err and str(bad) in err.err

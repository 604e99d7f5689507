"""POST/GET /webhook: signatures, parsing every real payload, dedup, statuses."""

import io
import json
import time
from pathlib import Path

import pytest

from app.bot import NON_TEXT_REPLY, readable
from app.channels.meta import sign
from app.storage import businesses, db, outbox
from app.storage.group_commit import CommitWaitTimeout
from tests import envelopes
from tests.conftest import APP_SECRET, VERIFY_TOKEN

PAYLOADS = sorted((Path(__file__).parent / "data" / "meta-payloads").glob("*.json"))
SILENT_TYPES = {"reaction", "system"}


def count(table: str) -> int:
    return db.fetch_one(f"SELECT count(*) AS n FROM {table}")["n"]  # noqa: S608 - test constant


def phone_number_ids(data) -> set[str]:
    ids = set()
    for entry in data.get("entry") or []:
        for change in entry.get("changes") or []:
            meta = (change.get("value") or {}).get("metadata") or {}
            if meta.get("phone_number_id"):
                ids.add(meta["phone_number_id"])
    return ids


def sent_now(data):
    """A copy of a WhatsApp payload whose messages carry the current time."""
    data = json.loads(json.dumps(data))
    for entry in data.get("entry") or []:
        for change in entry.get("changes") or []:
            for msg in (change.get("value") or {}).get("messages") or []:
                if "timestamp" in msg:
                    msg["timestamp"] = str(int(time.time()))
    return data


@pytest.mark.parametrize("path", PAYLOADS, ids=[p.stem for p in PAYLOADS])
def test_every_real_payload_is_accepted_and_handled(path, app, post_webhook, drain, fake_graph):
    data = json.loads(path.read_text())
    for n, pnid in enumerate(sorted(phone_number_ids(data) - {"123456123"})):
        businesses.create_business(
            {"name": f"Biz {n}", "whatsapp_number_id": pnid, "opening_hours": {}},
            [{"name": "Haircut", "duration_minutes": 30, "price": 10}],
        )
    # As if delivered now: the payloads are years old, and a reply to a message over a day old
    # is recorded as outside the customer-service window instead of sent (tested on its own).
    response = post_webhook(sent_now(data))
    assert response.status_code == 200
    drain()
    inbound = db.fetch_all("SELECT * FROM messages WHERE direction = 'in' ORDER BY id")
    sent = [m["text"]["body"] for m in fake_graph.messages_sent()]
    if data.get("object") != "whatsapp_business_account":
        assert inbound == [] and sent == []
        return
    for msg in inbound:
        assert msg["status"] in {"processed", "ignored"}, msg
        if msg["type"] in SILENT_TYPES:
            assert msg["status"] == "ignored"
    replied = [m for m in inbound if m["status"] == "processed"]
    # One customer per payload: at most one reply turn, and silence when nothing needs a reply.
    assert len(sent) == (1 if replied else 0)
    # What has no words to read (a photo without a caption, a sticker) gets the fixed reply.
    if replied and not any(readable(m) for m in replied):
        assert sent == [NON_TEXT_REPLY]
    elif replied:
        assert sent != [NON_TEXT_REPLY]


@pytest.mark.parametrize(
    ("language", "words"), [("English", "Welcome to Demo Salon"), ("es", "Te damos la bienvenida")]
)
def test_a_chat_opened_for_the_first_time_is_welcomed(
    post_webhook, drain, fake_graph, language, words
):
    """WhatsApp's `request_welcome`: the user opened the chat and wrote nothing yet. Told that
    only text can be read, they were answered as if they had sent a photo."""
    db.execute("UPDATE businesses SET language = %s", (language,))
    opened = {"from": "34600000777", "id": "wamid.WELCOME1", "type": "request_welcome"}
    opened["timestamp"] = str(int(time.time()))
    contacts = [{"profile": {"name": "Lía"}, "wa_id": "34600000777"}]
    assert (
        post_webhook(envelopes.wrap({"messages": [opened], "contacts": contacts})).status_code
        == 200
    )
    drain()
    [sent] = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert words in sent and "Lía" in sent and sent != NON_TEXT_REPLY


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha256=" + "0" * 64, "sha1=abc", sign(b"other body", APP_SECRET)],
)
def test_bad_signature_is_403_and_stores_nothing(client, header):
    body = json.dumps(envelopes.text("hi")).encode()
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Hub-Signature-256"] = header
    assert client.post("/webhook", data=body, headers=headers).status_code == 403
    assert count("messages") == 0 and count("procrastinate_jobs") == 0


def test_signature_with_wrong_secret_is_403(post_webhook):
    assert post_webhook(envelopes.text("hi"), secret="not-the-secret").status_code == 403
    assert count("messages") == 0


def test_malformed_json_with_valid_signature_is_400(post_webhook):
    response = post_webhook(b'{"object": "whatsapp_business_account", ')
    assert response.status_code == 400
    assert response.get_json()["error"] == "Bad Request"
    assert count("messages") == 0 and count("procrastinate_jobs") == 0


def test_unknown_phone_number_id_is_200_and_ignored(post_webhook):
    response = post_webhook(envelopes.text("hi", phone_number_id="999"))
    assert response.status_code == 200
    assert count("messages") == 0 and count("customers") == 0 and count("procrastinate_jobs") == 0


def test_duplicate_delivery_changes_nothing(post_webhook):
    envelope = envelopes.text("hi", wamid="wamid.DUP1")
    assert post_webhook(envelope).status_code == 200
    assert post_webhook(envelope).status_code == 200
    assert count("messages") == 1 and count("procrastinate_jobs") == 1


# Meta's verification request (hub.mode, hub.verify_token) and the status it gets.
HANDSHAKES = [
    ("subscribe", VERIFY_TOKEN, 200),
    ("subscribe", "wrong", 403),
    ("unsubscribe", VERIFY_TOKEN, 403),
    (None, None, 403),
]


@pytest.mark.parametrize(("mode", "token", "expected"), HANDSHAKES)
def test_verification_handshake(client, mode, token, expected):
    params = {"hub.challenge": "1158201444"}
    if mode:
        params["hub.mode"] = mode
    if token:
        params["hub.verify_token"] = token
    response = client.get("/webhook", query_string=params)
    assert response.status_code == expected
    if expected == 200:
        assert response.get_data(as_text=True) == "1158201444"


def test_oversized_body_is_413(app, post_webhook):
    big = b'{"x": "' + b"a" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    assert post_webhook(big).status_code == 413
    assert count("messages") == 0


def test_chunked_body_over_the_limit_is_413(app, client):
    """A body without Content-Length (chunked, as gunicorn passes it) is refused at the limit."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"x": "' + b"a" * limit + b'"}'
    response = client.post(
        "/webhook",
        input_stream=io.BytesIO(body),
        headers={"X-Hub-Signature-256": sign(body, APP_SECRET), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.get_json() == {"error": "Request Entity Too Large", "message": "body too large"}
    assert count("messages") == 0


def test_post_answers_with_the_request_id_and_plain_ok(post_webhook):
    ok = post_webhook(envelopes.text("hi"), headers={"X-Request-ID": "meta-retry.42"})
    assert (ok.status_code, ok.get_data(), ok.headers["Content-Type"]) == (200, b"ok", "text/plain")
    assert ok.headers["X-Request-ID"] == "meta-retry.42"
    assert ok.headers["Content-Length"] == "2"
    fresh = post_webhook(envelopes.text("hi"), headers={"X-Request-ID": "bad id <b>"})
    assert len(fresh.headers["X-Request-ID"]) == 32 and "<" not in fresh.headers["X-Request-ID"]


def test_an_unexpected_error_is_a_500_in_the_error_shape(post_webhook, app, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(app.extensions["webhook_commits"], "send_together", broken)
    response = post_webhook(envelopes.text("hi"))
    assert response.status_code == 500
    assert response.get_json() == {"error": "Internal Server Error", "message": "internal error"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "unhandled error" in caplog.text and "database went away" in caplog.text


def test_a_delivery_whose_commit_never_started_is_a_500_and_a_warning(
    post_webhook, app, monkeypatch, caplog
):
    def withdrawn(*args, **kwargs):
        raise CommitWaitTimeout("no commit started within 10.0 s")

    monkeypatch.setattr(app.extensions["webhook_commits"], "run", withdrawn)
    response = post_webhook(envelopes.text("hi"))
    assert response.status_code == 500
    assert response.get_json() == {"error": "Internal Server Error", "message": "internal error"}
    assert "webhook delivery not stored: no commit started" in caplog.text
    assert "unhandled error" not in caplog.text
    assert count("messages") == 0


def test_a_post_flask_routes_but_the_endpoint_does_not_match_is_stored(client):
    """A proxy with a trailing slash in its upstream address sends //webhook."""
    body = json.dumps(envelopes.text("hi", wamid="wamid.SLASHES")).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, APP_SECRET)}
    response = client.post(
        "/webhook", data=body, headers=headers, environ_overrides={"PATH_INFO": "//webhook"}
    )
    assert (response.status_code, response.get_data()) == (200, b"ok")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert count("messages") == 1 and count("procrastinate_jobs") == 1
    assert "POST" in client.options("/webhook").headers["Allow"]


def test_error_bodies_are_the_bytes_flask_writes(client, app):
    body = json.dumps(envelopes.text("hi")).encode()
    response = client.post("/webhook", data=body, headers={"X-Hub-Signature-256": "sha256=00"})
    with app.app_context():
        expected = app.json.response({"error": "Forbidden", "message": "invalid signature"})
    assert response.status_code == 403
    assert response.get_data() == expected.get_data()
    assert response.headers["Content-Length"] == str(len(expected.get_data()))


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_on_the_webhook_are_405(client, method):
    response = client.open("/webhook", method=method, data=b"{}")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert response.get_json()["error"] == "Method Not Allowed"


def test_twenty_concurrent_deliveries_give_one_reply(post_concurrently, drain, fake_graph):
    codes = post_concurrently(envelopes.text("hello", wamid="wamid.RACE1"))
    assert codes == [200] * 20
    drain()
    assert count("messages WHERE direction = 'in'") == 1
    assert count("turns") == 1
    assert len(fake_graph.messages_sent()) == 1


def test_statuses_never_move_backwards(post_webhook, drain, fake_graph):
    post_webhook(envelopes.text("hi"))
    drain()
    wamid = db.fetch_one("SELECT external_id FROM messages WHERE direction = 'out'")["external_id"]

    def status_now():
        row = db.fetch_one("SELECT status FROM messages WHERE external_id = %s", (wamid,))
        return row["status"]

    for state, expected in [("read", "read"), ("delivered", "read"), ("sent", "read")]:
        assert post_webhook(envelopes.status(wamid, state)).status_code == 200
        assert status_now() == expected
    post_webhook(envelopes.status(wamid, "failed", errors=[{"code": 131049, "title": "x"}]))
    assert status_now() == "read"


def test_failed_status_keeps_error_code(post_webhook, drain):
    post_webhook(envelopes.text("hi"))
    drain()
    wamid = db.fetch_one("SELECT external_id FROM messages WHERE direction = 'out'")["external_id"]
    errors = [{"code": 131049, "title": "This message was not delivered", "message": "x"}]
    post_webhook(envelopes.status(wamid, "failed", errors=errors))
    row = db.fetch_one("SELECT status, error_code FROM messages WHERE external_id = %s", (wamid,))
    assert (row["status"], row["error_code"]) == ("failed", 131049)


@pytest.mark.parametrize("code", [2**31, str(2**40), -(2**31) - 1])
def test_a_failed_status_whose_code_fits_no_column_still_lets_the_others_apply(
    post_webhook, drain, code
):
    """Stored, a code beyond 32 bits refused the POST's every write: a 500, for days."""
    post_webhook(envelopes.text("hi"))
    drain()
    wamid = db.fetch_one("SELECT external_id FROM messages WHERE direction = 'out'")["external_id"]
    envelope = envelopes.status("wamid.NOT.OURS", "failed", errors=[{"code": code, "title": "x"}])
    read = envelopes.status(wamid, "read")["entry"][0]["changes"][0]["value"]["statuses"]
    envelope["entry"][0]["changes"][0]["value"]["statuses"] += read
    assert post_webhook(envelope).status_code == 200
    row = db.fetch_one("SELECT status FROM messages WHERE external_id = %s", (wamid,))
    assert row["status"] == "read"
    parked = db.fetch_one("SELECT error_code, error_title FROM status_backlog")
    assert (parked["error_code"], parked["error_title"]) == (None, "x")


def test_status_arriving_before_the_wamid_is_recorded_is_applied_later(post_webhook, drain):
    post_webhook(envelopes.text("hi"))
    drain()
    out = db.fetch_one("SELECT id FROM messages WHERE direction = 'out'")["id"]
    db.execute("UPDATE messages SET status = 'queued', external_id = NULL WHERE id = %s", (out,))
    # Meta's statuses overtake the worker recording the wamid it was given.
    for state in ("delivered", "sent"):
        assert post_webhook(envelopes.status("wamid.EARLY1", state)).status_code == 200
    outbox.mark_sent(out, "whatsapp", "wamid.EARLY1", "text")
    row = db.fetch_one("SELECT status, external_id FROM messages WHERE id = %s", (out,))
    assert (row["status"], row["external_id"]) == ("delivered", "wamid.EARLY1")
    assert count("status_backlog") == 0


def test_status_of_an_unknown_message_changes_no_message(post_webhook):
    assert post_webhook(envelopes.status("wamid.NOT_OURS", "read")).status_code == 200
    assert count("messages") == 0
    assert count("status_backlog") == 1


def test_statuses_of_a_number_no_business_owns_are_not_processed(post_webhook):
    """Another number on the same Meta account: like its messages, its statuses change and park
    nothing."""
    for n in range(3):
        envelope = envelopes.status(f"wamid.OTHER_{n}", "delivered", phone_number_id="999000999")
        assert post_webhook(envelope).status_code == 200
    assert count("status_backlog") == 0


def test_a_deactivated_business_still_learns_what_became_of_its_messages(app, post_webhook):
    post_webhook(envelopes.text("hi"))
    out = db.fetch_one(
        "INSERT INTO messages (business_id, customer_id, channel, direction, body, status,"
        " external_id, sent_at) SELECT business_id, id, 'whatsapp', 'out', 'Cancelled', 'sent',"
        " 'wamid.LASTNOTICE', now() FROM customers RETURNING id"
    )["id"]
    db.execute("UPDATE businesses SET active = false")
    app.extensions["business_ids"]._cache.clear()  # as after BUSINESS_CACHE_TTL
    failed = envelopes.status("wamid.LASTNOTICE", "failed", errors=[{"code": 131026}])
    assert post_webhook(failed).status_code == 200
    row = db.fetch_one("SELECT status, error_code FROM messages WHERE id = %s", (out,))
    assert (row["status"], row["error_code"]) == ("failed", 131026)


def test_a_status_on_one_business_s_number_changes_no_message_of_another(post_webhook, drain):
    post_webhook(envelopes.text("hello", wa_id="34600000921"))
    drain()
    out = db.fetch_one("SELECT id, external_id, status FROM messages WHERE direction = 'out'")
    assert out["status"] == "sent" and out["external_id"]
    businesses.create_business({"name": "Other", "whatsapp_number_id": "777000777"})
    failed = envelopes.status(
        out["external_id"], "failed", errors=[{"code": 131026}], phone_number_id="777000777"
    )
    assert post_webhook(failed).status_code == 200
    row = db.fetch_one("SELECT status, error_code FROM messages WHERE id = %s", (out["id"],))
    assert (row["status"], row["error_code"]) == ("sent", None)


def test_a_status_parked_for_one_business_moves_no_message_of_another(post_webhook):
    """A status that came on one business's number, before any message had its id, moves no
    message of another business that records that id later (its own business's message would
    take it: test_status_arriving_before_the_wamid_is_recorded_is_applied_later)."""
    post_webhook(envelopes.text("hi", wa_id="34600000931"))
    other = businesses.create_business({"name": "Other", "whatsapp_number_id": "777000778"})
    post_webhook(envelopes.text("hola", wa_id="34600000932", phone_number_id="777000778"))
    theirs = db.fetch_one(
        "INSERT INTO messages (business_id, customer_id, channel, direction, body, status)"
        " SELECT business_id, id, 'whatsapp', 'out', 'hello', 'queued' FROM customers"
        " WHERE business_id = %s RETURNING id",
        (other,),
    )["id"]
    failed = envelopes.status("wamid.SHARED", "failed", errors=[{"code": 131026}])
    assert post_webhook(failed).status_code == 200  # on the first business's number
    assert count("status_backlog") == 1

    outbox.mark_sent(theirs, "whatsapp", "wamid.SHARED", "text")
    row = db.fetch_one("SELECT status, error_code FROM messages WHERE id = %s", (theirs,))
    assert (row["status"], row["error_code"]) == ("sent", None)
    assert count("status_backlog") == 1  # it waits for its own business, or its 7 days


def test_a_parked_status_outlives_a_failed_attempt_at_applying_it(app, post_webhook, monkeypatch):
    """A "failed" status that overtook the send's record is forgotten only once applied: the
    record's retry after a lost connection still applies it, with Meta's code."""
    import psycopg

    from app import outbox as sender

    post_webhook(envelopes.text("hi"))
    out = db.fetch_one(
        "INSERT INTO messages (business_id, customer_id, channel, direction, body, status)"
        " SELECT business_id, id, 'whatsapp', 'out', 'hello', 'queued' FROM customers"
        " RETURNING id"
    )["id"]
    failed = envelopes.status("wamid.EARLYFAIL", "failed", errors=[{"code": 131026}])
    assert post_webhook(failed).status_code == 200
    real, calls = outbox.apply_status, []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(outbox, "apply_status", flaky)
    monkeypatch.setattr(sender.time, "sleep", lambda seconds: None)
    with app.app_context():
        sender._record_sent(out, "whatsapp", "wamid.EARLYFAIL", "text")
    row = db.fetch_one("SELECT status, error_code FROM messages WHERE id = %s", (out,))
    assert (row["status"], row["error_code"]) == ("failed", 131026)
    assert len(calls) == 2
    assert count("status_backlog") == 0


def test_a_business_created_later_is_answered_at_once(post_webhook):
    post_webhook(envelopes.text("hi", phone_number_id="777"))
    businesses.create_business({"name": "New Studio", "whatsapp_number_id": "777"})
    post_webhook(envelopes.text("hi again", phone_number_id="777"))
    assert [r["body"] for r in db.fetch_all("SELECT body FROM messages")] == ["hi again"]


def test_the_business_cache_is_shared_safely_by_threads():
    """Eight threads reading and filling one cache (entries expiring all along) see only
    what was put, and nothing raises."""
    import threading

    from app.webhook import BusinessIds

    cache = BusinessIds(ttl=0.001)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def hammer(n: int) -> None:
        start.wait()
        try:
            for i in range(3000):
                key = ("whatsapp", str((n * 7 + i) % 50))
                found = cache.get(key)
                assert found in (None, int(key[1])), (key, found)
                cache.put(key, int(key[1]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

"""The webhook over real HTTP: a real gunicorn with the project's gunicorn.conf.py, on the gevent
worker the README's webhook processes run (Deployment) and on the gthread worker of the default
deployment. What tests/test_webhook.py and tests/test_payloads.py pin through Flask's test client
holds here too: real Meta payloads stored alike, signatures, the body limit (chunked bodies
included), the verification handshake, the headers every answer carries, keep-alive.

One server per worker class for the module, on a database of its own (the tests' databases are
renamed after each test, so a server cannot outlive one); the tests use accounts, customers and
message ids of their own on it."""

from __future__ import annotations

import json
import re
import socket
import threading
from pathlib import Path
from typing import NamedTuple

import psycopg
import pytest
import requests

from app.jobs.queue import TURN_TASK
from tests import dbutil, envelopes
from tests.conftest import PHONE_NUMBER_ID, VERIFY_TOKEN
from tests.gunicorn_server import Gunicorn, signed
from tests.test_messenger_channel import SHARED as MESSENGER_EXPECTED
from tests.test_payloads import EXPECTED as WHATSAPP_EXPECTED
from tests.test_webhook import HANDSHAKES

PAYLOADS = Path(__file__).parent / "data" / "meta-payloads"
LIMIT = 3 * 1024 * 1024  # MAX_BODY_BYTES, the default, given to the servers
# The accounts the real payloads are addressed to (their metadata's phone_number_id, and the
# Messenger payloads' Page), each a business of its own as in tests/test_webhook.py.
PAYLOAD_NUMBERS = ("106540352242922", "1122334455667", "PHONE_NUMBER_ID")
PAYLOAD_PAGE = "111111"
TOO_LARGE = {"error": "Request Entity Too Large", "message": "body too large"}
FORBIDDEN = {"error": "Forbidden", "message": "invalid signature"}


# --- The servers -------------------------------------------------------------------------------


class Served(NamedTuple):
    worker: str
    url: str
    port: int
    db_url: str
    gunicorn: Gunicorn


def seed(with_demo: bool) -> None:
    """On the open pool's database: the demo business, and a business for each account the real
    payloads are addressed to."""
    from app.storage import businesses

    if with_demo:
        businesses.seed_demo(PHONE_NUMBER_ID)
    for n, number in enumerate(PAYLOAD_NUMBERS):
        fields = {"name": f"Payload {n}", "whatsapp_number_id": number, "opening_hours": {}}
        if n == 0:
            fields["messenger_page_id"] = PAYLOAD_PAGE
        businesses.create_business(fields, [{"name": "Haircut", "duration_minutes": 30}])


@pytest.fixture(scope="module", params=["gevent", "gthread"])
def server(request, template_db):
    from app.storage import db

    name = dbutil.unique_name("wbt_http")
    url = dbutil.create_database(name, template=template_db)
    try:
        db.open_pool(url)
        try:
            seed(with_demo=True)
        finally:
            db.close_pool()
        gunicorn = Gunicorn(url, worker=request.param, env={"MAX_BODY_BYTES": str(LIMIT)})
        try:
            gunicorn.until_listening()
            yield Served(request.param, gunicorn.url, gunicorn.port, url, gunicorn)
        finally:
            out = gunicorn.stop()
        assert gunicorn.proc.returncode == 0, out[-3000:]
    finally:
        dbutil.drop_database(name)


@pytest.fixture
def served(server):
    """The module's server; what it writes during the test holds no error."""
    start = len(server.gunicorn.output())
    yield server
    written = server.gunicorn.output()[start:]
    for sign in ("Traceback", "Error handling request", "[ERROR]", '"level": "ERROR"'):
        assert sign not in written, written[-3000:]


def promised(headers, request_id: str | None = None) -> None:
    """The headers every answer of the app carries (tests/test_observability.py)."""
    assert headers["X-Content-Type-Options"] == "nosniff"
    if request_id is None:
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"]), headers
    else:
        assert headers["X-Request-ID"] == request_id


def query(db_url: str, sql: str, *args) -> list[tuple]:
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql, args).fetchall()


def stored_ids(db_url: str, *external_ids: str) -> list[str]:
    rows = query(
        db_url,
        "SELECT external_id FROM messages WHERE external_id = ANY(%s) ORDER BY id",
        list(external_ids),
    )
    return [r[0] for r in rows]


# --- HTTP spoken by hand -----------------------------------------------------------------------


class Headers(dict):
    """Header names in lower case, looked up in any case."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())


class Answer(NamedTuple):
    status: int
    headers: Headers
    body: bytes


class Raw:
    """One HTTP/1.1 connection written and read by hand: a chunked body framed as we choose,
    pipelined requests, and whether the server kept the connection (which requests hides)."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def __enter__(self) -> Raw:
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _more(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        self.buf += data
        return bool(data)

    def answer(self) -> Answer | None:
        """The next response; None if the server closed the connection instead."""
        while b"\r\n\r\n" not in self.buf:
            if not self._more():
                assert not self.buf, self.buf
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = Headers()
        for line in lines:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            assert self._more(), f"closed in the body of {status_line}"
        body, self.buf = self.buf[:length], self.buf[length:]
        return Answer(int(status_line.split()[1]), headers, body)


def raw_head(headers: dict, framing: str) -> bytes:
    """The head of a POST /webhook; `framing` is its Content-Length or Transfer-Encoding."""
    lines = [
        "POST /webhook HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join([*lines, framing]) + "\r\n\r\n").encode()


def raw_post(body: bytes, headers: dict, chunks: int | None = None) -> bytes:
    """A POST /webhook; with `chunks`, its body sent chunked in pieces of that size."""
    if chunks is None:
        return raw_head(headers, f"Content-Length: {len(body)}") + body
    pieces = [body[i : i + chunks] for i in range(0, len(body), chunks)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    return raw_head(headers, "Transfer-Encoding: chunked") + framed


def raw_get(query_string: str) -> bytes:
    return f"GET /webhook?{query_string} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def delivery(wamid: str, text: str = "hola", wa_id: str = "34600555000") -> bytes:
    return json.dumps(envelopes.text(text, wa_id=wa_id, wamid=wamid)).encode()


# --- 1. Every real Meta payload ----------------------------------------------------------------


# What the payloads' businesses hold, with no id or time of the database in it (%(accounts)s: the
# payloads' numbers).
STORED = {
    "customers": "SELECT b.whatsapp_number_id, c.channel, c.address, c.profile_name, c.user_id,"
    " c.delivered_until, c.read_until FROM customers c JOIN businesses b ON b.id = c.business_id"
    " WHERE b.whatsapp_number_id = ANY(%(accounts)s) ORDER BY 1, 2, 3",
    "messages": "SELECT b.whatsapp_number_id, m.channel, m.direction, m.external_id, c.address,"
    " m.type, m.kind, m.body, m.status, m.choice, m.payload, m.sent_at FROM messages m"
    " JOIN customers c ON c.id = m.customer_id JOIN businesses b ON b.id = m.business_id"
    " WHERE b.whatsapp_number_id = ANY(%(accounts)s) ORDER BY 1, 2, 4",
    "parked statuses": "SELECT b.whatsapp_number_id, s.channel, s.external_id, s.status,"
    " s.error_code, s.error_title FROM status_backlog s JOIN businesses b ON b.id = s.business_id"
    " WHERE b.whatsapp_number_id = ANY(%(accounts)s) ORDER BY 1, 2, 3, 4",
    "queued turns": "SELECT b.whatsapp_number_id, count(*) FROM procrastinate_jobs j"
    " JOIN businesses b ON b.id = (j.args->>'business_id')::bigint"
    " WHERE b.whatsapp_number_id = ANY(%(accounts)s) AND j.task_name = %(task)s"
    " AND j.status = 'todo' GROUP BY 1 ORDER BY 1",
}


def stored(conn: psycopg.Connection) -> dict:
    params = {"accounts": list(PAYLOAD_NUMBERS), "task": TURN_TASK}
    return {what: conn.execute(sql, params).fetchall() for what, sql in STORED.items()}


def forget(conn: psycopg.Connection) -> None:
    """Back to no customer, message, parked status or job of the payloads' businesses."""
    owned = "(SELECT id FROM businesses WHERE whatsapp_number_id = ANY(%s))"
    numbers = (list(PAYLOAD_NUMBERS),)
    conn.execute(f"DELETE FROM customers WHERE business_id IN {owned}", numbers)  # noqa: S608
    conn.execute(f"DELETE FROM status_backlog WHERE business_id IN {owned}", numbers)  # noqa: S608
    conn.execute(
        f"DELETE FROM procrastinate_jobs WHERE (args->>'business_id')::bigint IN {owned}",  # noqa: S608
        numbers,
    )


def parsed(name: str) -> tuple[int, int]:
    """(messages, statuses) the parser's tests expect of a payload (tests/test_payloads.py,
    tests/test_messenger_channel.py)."""
    if name in MESSENGER_EXPECTED:
        messages, statuses = MESSENGER_EXPECTED[name]
        return len(messages), len(statuses)
    want = WHATSAPP_EXPECTED[name]
    return len(want.messages), len(want.statuses)


# Parsed but not stored, alike under the test client and a real server:
UNSTORED = {
    # A number change of a customer nobody knows yet: stored, it would make a customer of the
    # old number (app/webhook.py, identity_change_unmatched).
    "system_user_changed_number.json": (1, 0),
    # Its two messages have one id ("wamid.ID"): the second is a duplicate of the first.
    "multiple_changes_two_text_messages.json": (1, 0),
    # A Messenger delivery receipt's watermark moves a known customer's `delivered_until`
    # (none here) and parks nothing; the receipt naming a mid is parked.
    "messenger_delivery.json": (0, 1),
}


def test_every_real_payload_is_stored_as_under_the_test_client(served, client, db_url):
    """Each payload file's bytes, signed, are answered 200 "ok" and store the same rows over
    real HTTP as through Flask's test client (on this test's database, set up alike), what the
    parser's tests expect; sent again, each is answered 200 and changes nothing. Each payload
    is judged alone, as in tests/test_webhook.py (many of them share a message id)."""
    seed(with_demo=False)  # on this test's database, beside the demo business the app seeded
    names = sorted(p.name for p in PAYLOADS.glob("*.json"))
    assert names == sorted({*WHATSAPP_EXPECTED, *MESSENGER_EXPECTED})
    url = f"{served.url}/webhook"
    counted, queued = {}, 0
    with (
        psycopg.connect(db_url, autocommit=True) as here,
        psycopg.connect(served.db_url, autocommit=True) as there,
        requests.Session() as http,
    ):
        for name in names:
            body = (PAYLOADS / name).read_bytes()
            answer = client.post("/webhook", data=body, headers=signed(body))
            assert (answer.status_code, answer.get_data()) == (200, b"ok"), name
            response = http.post(url, data=body, headers=signed(body), timeout=30)
            assert (response.status_code, response.content) == (200, b"ok"), name
            assert response.headers["Content-Type"] == "text/plain"
            promised(response.headers)
            found = stored(there)
            assert found == stored(here), name
            counted[name] = (len(found["messages"]), len(found["parked statuses"]))
            queued += sum(n for _, n in found["queued turns"])

            again = http.post(url, data=body, headers=signed(body), timeout=30)
            assert (again.status_code, again.content) == (200, b"ok"), name
            assert stored(there) == found, name
            forget(here)
            forget(there)
    expected = {}
    for name in names:
        (messages, statuses), (unstored_messages, unstored_statuses) = (
            parsed(name),
            UNSTORED.get(name, (0, 0)),
        )
        expected[name] = (messages - unstored_messages, statuses - unstored_statuses)
    assert counted == expected
    assert queued > 0  # (turns are compared above too)


# --- 2. Signatures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha256=" + "0" * 64, "sha1=abc", "other body", "wrong secret"],
)
def test_a_bad_or_missing_signature_is_403_and_stores_nothing(served, header):
    wamid = f"wamid.FORGED.{header}"
    body = delivery(wamid)
    headers = {"Content-Type": "application/json"}
    if header == "other body":
        headers = signed(b"other body")
    elif header == "wrong secret":
        headers = signed(body, "not-the-secret")
    elif header is not None:
        headers["X-Hub-Signature-256"] = header
    response = requests.post(f"{served.url}/webhook", data=body, headers=headers, timeout=30)
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert response.headers["Content-Type"] == "application/json"
    promised(response.headers)
    assert stored_ids(served.db_url, wamid) == []


# --- 3. The body limit -------------------------------------------------------------------------


def test_a_body_over_the_limit_with_its_length_is_413(served):
    wamid = "wamid.BIG"
    body = json.dumps(envelopes.text("x" * LIMIT, wamid=wamid)).encode()
    response = requests.post(f"{served.url}/webhook", data=body, headers=signed(body), timeout=30)
    assert response.status_code == 413
    # (werkzeug's words: refused by its Content-Length, before any of it is read)
    message = "The data value transmitted exceeds the capacity limit."
    assert response.json() == {"error": "Request Entity Too Large", "message": message}
    promised(response.headers)
    assert stored_ids(served.db_url, wamid) == []


def test_a_chunked_body_over_the_limit_is_413_and_one_within_it_is_stored(served):
    """gunicorn passes a chunked body on without Content-Length (wsgi.input_terminated): the
    endpoint reads it up to the limit and refuses it there, on both workers, as
    tests/test_webhook.py's test-client version says; the connection then serves on."""
    big_wamid, wamid = "wamid.CHUNKBIG", "wamid.CHUNKED"
    big = json.dumps(envelopes.text("x" * LIMIT, wamid=big_wamid)).encode()
    small = delivery(wamid)
    with Raw(served.port) as conn:
        conn.send(raw_post(big, signed(big), chunks=64 * 1024))
        refused = conn.answer()
        assert refused is not None
        assert (refused.status, json.loads(refused.body)) == (413, TOO_LARGE)
        assert refused.headers["content-type"] == "application/json"
        promised(refused.headers)
        conn.send(raw_post(small, {**signed(small), "X-Request-ID": "chunked.1"}, chunks=7))
        accepted = conn.answer()
        assert accepted is not None
        assert (accepted.status, accepted.body) == (200, b"ok")
        promised(accepted.headers, "chunked.1")
    assert stored_ids(served.db_url, big_wamid, wamid) == [wamid]


def test_after_a_413_to_a_body_it_did_not_read_gevent_keeps_the_connection_gthread_closes_it(
    served,
):
    """The one difference between the workers found here, in gunicorn rather than the app: the
    endpoint answers 413 to a Content-Length over the limit without reading the body, and both
    say "Connection: keep-alive". gevent's worker then reads the unread body off the socket
    (within --keep-alive seconds) and serves the next request on the connection; gthread's
    reads at most 64 KiB of it (gunicorn/workers/gthread.py, `_keepalive_after`) and closes the
    connection. Clients see the 413 on both: Meta's deliveries are far below the limit."""
    body = b'{"x": "' + b"a" * (LIMIT + 1024 * 1024) + b'"}'
    with Raw(served.port) as conn:
        conn.send(raw_head(signed(body), f"Content-Length: {len(body)}"))
        # The body goes on a thread of its own: the answer comes before it is all sent.
        failed: list[OSError] = []

        def send_body() -> None:
            try:
                conn.send(body)
            except OSError as exc:  # gthread closed the connection meanwhile
                failed.append(exc)

        sender = threading.Thread(target=send_body)
        sender.start()
        refused = conn.answer()
        sender.join(timeout=60)
        assert not sender.is_alive()
        assert refused is not None and refused.status == 413
        assert refused.headers["connection"] == "keep-alive"
        try:
            conn.send(
                raw_get(f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=5")
            )
        except OSError:
            after = None
        else:
            after = conn.answer()
    if served.worker == "gevent":
        assert failed == []
        assert after is not None and (after.status, after.body) == (200, b"5")
    else:
        assert after is None


# --- 4. Meta's verification handshake ----------------------------------------------------------


@pytest.mark.parametrize(("mode", "token", "expected"), HANDSHAKES)
def test_verification_handshake(served, mode, token, expected):
    params = {"hub.challenge": "123"}
    if mode:
        params["hub.mode"] = mode
    if token:
        params["hub.verify_token"] = token
    response = requests.get(f"{served.url}/webhook", params=params, timeout=30)
    assert response.status_code == expected
    if expected == 200:
        assert (response.text, response.headers["Content-Type"]) == ("123", "text/plain")
    else:
        assert response.json() == {"error": "Forbidden", "message": "verification failed"}
    promised(response.headers)


# --- 5. The headers every answer carries -------------------------------------------------------


def test_answers_carry_the_request_id_and_nosniff(served):
    """A valid incoming X-Request-ID is answered back (and names the stored delivery); another
    is replaced by one of the server's own; every answer, error or not, says nosniff."""
    wamid = "wamid.RID"
    body = delivery(wamid)
    url = f"{served.url}/webhook"
    with requests.Session() as http:
        ok = http.post(url, data=body, headers={**signed(body), "X-Request-ID": "meta-retry.42"})
        assert (ok.status_code, ok.content, ok.headers["Content-Length"]) == (200, b"ok", "2")
        promised(ok.headers, "meta-retry.42")
        again = http.post(url, data=body, headers={**signed(body), "X-Request-ID": "bad id <b>"})
        assert again.status_code == 200
        promised(again.headers)
        bad_json = b'{"object": "whatsapp_business_account", '
        broken = http.post(url, data=bad_json, headers={**signed(bad_json), "X-Request-ID": "r.1"})
        assert broken.status_code == 400
        promised(broken.headers, "r.1")
        for method in ("PUT", "DELETE"):
            refused = http.request(method, url, data=b"{}")
            assert refused.status_code == 405
            promised(refused.headers)
        missing = http.get(f"{served.url}/no-such-page")
        assert missing.status_code == 404
        promised(missing.headers)
    [(request_id,)] = query(
        served.db_url, "SELECT request_id FROM messages WHERE external_id = %s", wamid
    )
    assert request_id == "meta-retry.42"


# --- 6. Keep-alive -----------------------------------------------------------------------------


def test_one_connection_serves_request_after_request_and_pipelined_ones(served):
    """Meta keeps its connections open: every request on one connection is answered, in order,
    whether each waits for the answer before it or all are written at once (pipelined)."""
    ids = [f"wamid.KEEP.{n}" for n in range(8)]
    bodies = [delivery(wamid, f"hola {n}", f"3460055{n % 2:04d}") for n, wamid in enumerate(ids)]
    verify = raw_get(f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=77")
    one_by_one = [
        (raw_post(bodies[0], signed(bodies[0])), 200, b"ok"),
        (raw_post(bodies[1], signed(bodies[1])), 200, b"ok"),
        (raw_post(bodies[1], signed(bodies[1])), 200, b"ok"),  # Meta redelivering: a duplicate
        (verify, 200, b"77"),
        (raw_post(bodies[2], signed(bodies[2], "wrong")), 403, None),
        (raw_post(bodies[3], signed(bodies[3]), chunks=100), 200, b"ok"),
        (raw_post(bodies[4], signed(bodies[4])), 200, b"ok"),
    ]
    pipelined = [
        (raw_post(bodies[5], signed(bodies[5])), 200, b"ok"),
        (verify, 200, b"77"),
        (raw_post(bodies[6], signed(bodies[6]), chunks=50), 200, b"ok"),
        (raw_post(bodies[7], signed(bodies[7])), 200, b"ok"),
    ]
    with Raw(served.port) as conn:
        for request, status, content in one_by_one:
            conn.send(request)
            answer = conn.answer()
            assert answer is not None and answer.status == status
            assert content is None or answer.body == content
            assert answer.headers["connection"] == "keep-alive"
            promised(answer.headers)
        conn.send(b"".join(request for request, _, _ in pipelined))
        for _, status, content in pipelined:
            answer = conn.answer()
            assert answer is not None and (answer.status, answer.body) == (status, content)
            promised(answer.headers)
    assert stored_ids(served.db_url, *ids) == ids[:2] + ids[3:]  # all but the forged one


def test_status_callbacks_move_an_outbound_message_forward(served):
    wa_id, wamid = "34600666000", "wamid.OUT.1"
    inbound = delivery("wamid.IN.1", wa_id=wa_id)
    url = f"{served.url}/webhook"
    with requests.Session() as http:
        assert http.post(url, data=inbound, headers=signed(inbound)).status_code == 200
        [(out,)] = query(
            served.db_url,
            "INSERT INTO messages (business_id, customer_id, channel, direction, body, status,"
            " external_id, sent_at) SELECT business_id, id, 'whatsapp', 'out', 'hello', 'sent',"
            " %s, now() FROM customers WHERE address = %s RETURNING id",
            wamid,
            wa_id,
        )
        for state in ("delivered", "read", "delivered", "sent"):
            body = json.dumps(envelopes.status(wamid, state, recipient=wa_id)).encode()
            response = http.post(url, data=body, headers=signed(body))
            assert (response.status_code, response.content) == (200, b"ok")
            promised(response.headers)
    [(status,)] = query(served.db_url, "SELECT status FROM messages WHERE id = %s", out)
    assert status == "read"

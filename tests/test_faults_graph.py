"""Graph API faults: down for a while, token expired, slow, odd answers.

Replies stored as `queued` are delivered once and in order per customer when WhatsApp comes
back (the customer's send task is retried with backoff and never asks the model again); a
refusal that retrying cannot fix is recorded on the message and not retried.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.jobs import SEND_RETRY, TurnRetry
from app.outbox import backoff
from app.storage import db, users
from tests import envelopes
from tests.fake_llm import last_user_text, text_reply
from tests.test_faults_llm import db_wait, jobs_left, run_within, sent_to

UNAVAILABLE = {
    "error": {
        "message": "Service temporarily unavailable",
        "type": "OAuthException",
        "code": 2,
        "is_transient": True,
        "fbtrace_id": "AFakeTraceId",
    }
}
LONG = "Here is everything you asked about. " + "All of it, in detail. " * 200
# Refusals retrying cannot fix, and how the outbox records each.
PERMANENT = {
    131047: "window_closed",
    131026: "unreachable",
    100: "never_retry",
    190: "bad_credentials",
}


def send_requests(fake_graph, wa_id: str | None = None) -> list:
    """Every message send the fake received (successful or not), optionally for one customer."""
    return [
        r
        for r in fake_graph.requests
        if (r.json or {}).get("type") == "text" and (wa_id is None or r.json["to"] == wa_id)
    ]


def outbound(wa_id: str) -> list[dict]:
    return db.fetch_all(
        "SELECT m.status, m.body, m.error_code, m.error_title, m.send_error, m.attempts,"
        " m.external_id FROM messages m JOIN customers c ON c.id = m.customer_id"
        " WHERE c.address = %s AND m.direction = 'out' ORDER BY m.id",
        (wa_id,),
    )


def retried_send_waiting() -> bool:
    """A reply was refused at least once and waits for its next try (still queued)."""
    row = db.fetch_one(
        "SELECT count(*) AS n FROM messages WHERE direction = 'out' AND status = 'queued'"
        " AND attempts >= 1"
    )
    return row["n"] > 0


@pytest.mark.slow
def test_graph_down_then_back_delivers_queued_replies_once_in_order(
    app, post_webhook, worker, fake_llm, fake_graph
):
    alex, blair = "34600000101", "34600000102"
    fake_llm.default = lambda body: text_reply(
        LONG if "long" in last_user_text(body) else "You said: " + last_user_text(body)
    )
    # Down for four attempts (backoff 0.01 s * 4^n in the tests): the send task is retried.
    fake_graph.respond_next(503, UNAVAILABLE, times=4)
    post_webhook(envelopes.text("first", wa_id=blair))
    db_wait(retried_send_waiting)
    # The customer writes again while the earlier reply still waits in the queue.
    assert [r["status"] for r in outbound(blair)] == ["queued"]
    post_webhook(envelopes.text("second", wa_id=blair))
    post_webhook(envelopes.text("a long answer please", wa_id=alex))
    db_wait(lambda: jobs_left() == 0 and not [r for r in outbound(alex) if r["status"] == "queued"])
    db_wait(lambda: [r["status"] for r in outbound(blair)] == ["sent", "sent"])

    long_chunks = [r["body"] for r in outbound(alex)]
    assert len(long_chunks) >= 2
    assert sent_to(fake_graph, alex) == long_chunks
    assert sent_to(fake_graph, blair) == ["You said: first", "You said: second"]
    assert all(r["status"] == "sent" and r["external_id"] for r in outbound(alex))
    # Four refused attempts, each recorded on its message and retried by the send task.
    assert len(send_requests(fake_graph)) == len(fake_graph.messages_sent()) + 4
    assert sum(r["attempts"] for r in outbound(alex) + outbound(blair)) == 4
    assert outbound(blair)[0]["attempts"] >= 1
    # Retries sent the stored replies; the model was asked once per turn, never again.
    assert len(fake_llm.requests) == 3
    assert db.fetch_one("SELECT count(*) AS n FROM turns")["n"] == 3


@pytest.mark.parametrize("code", sorted(PERMANENT))
def test_refusal_that_retrying_cannot_fix_is_recorded_once(code, post_webhook, drain, fake_graph):
    fake_graph.fail_next(code, http_status=401 if code == 190 else 400)
    post_webhook(envelopes.text("hi", wa_id="34600000103"))
    run_within(drain)
    assert len(send_requests(fake_graph)) == 1  # no retry storm
    [row] = outbound("34600000103")
    assert (row["status"], row["error_code"], row["send_error"]) == (
        "failed",
        code,
        PERMANENT[code],
    )
    assert row["error_title"]
    assert jobs_left() == 0
    assert db.fetch_one("SELECT count(*) AS n FROM procrastinate_jobs")["n"] == 0


def test_expired_token_is_visible_and_later_messages_are_tried_once_each(
    app, post_webhook, drain, fake_graph, client
):
    fake_graph.fail_next(190, http_status=401)
    post_webhook(envelopes.text("hi", wa_id="34600000104"))
    run_within(drain)
    post_webhook(envelopes.text("still there?", wa_id="34600000104"))
    run_within(drain)
    # One attempt per reply: the refused one is not sent again when the customer writes.
    assert [r.json["text"]["body"] for r in send_requests(fake_graph)] == [
        "You said: hi",
        "You said: still there?",
    ]
    assert sent_to(fake_graph, "34600000104") == ["You said: still there?"]
    assert [(r["status"], r["error_code"]) for r in outbound("34600000104")] == [
        ("failed", 190),
        ("sent", None),
    ]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'graph_errors_total{code="190"}' in metrics
    # An admin reading the conversation sees the failure and its code.
    token = admin_token()
    business_id = db.fetch_one("SELECT id FROM businesses")["id"]
    customer_id = db.fetch_one("SELECT id FROM customers")["id"]
    response = client.get(
        f"/api/admin/businesses/{business_id}/conversations/{customer_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert ("failed", 190) in {
        (m["status"], m["error_code"]) for m in response.get_json()["messages"]
    }


def admin_token() -> str:
    """A superadmin's bearer token."""
    with db.transaction() as conn:
        user = users.create_user(conn, "ops@example.com", "ops", "not-a-password-hash", True)
    return users.issue_token(user["id"], 1)[0]


@pytest.mark.parametrize("app_config", [{"GRAPH_TIMEOUT": 0.5}], indirect=True)
def test_send_timeout_is_the_at_least_once_window(post_webhook, drain, fake_graph):
    """Meta accepted a send we never heard back about: retrying it delivers it twice.

    This is the one place where exactly-once degrades to at-least-once (docs/RELIABILITY.md):
    a reply is never lost, but an answer that times out after Meta took it is sent again.
    """
    fake_graph.delay_next(2.0)
    post_webhook(envelopes.text("hi", wa_id="34600000105"))
    run_within(drain)
    fake_graph.wait_for_sends(2, timeout=30)
    assert sent_to(fake_graph, "34600000105") == ["You said: hi", "You said: hi"]
    [row] = outbound("34600000105")
    assert row["status"] == "sent"


@pytest.fixture
def app_config(request, app_config):
    """The shared settings, with a test's own overrides (indirect parametrization)."""
    return {**app_config, **getattr(request, "param", {})}


@pytest.mark.parametrize(
    "status, body",
    [(200, {}), (200, {"messages": "?"}), (201, {"messages": [{"id": 7}]})],
    ids=["empty", "messages not a list", "id not a string"],
)
def test_accepted_send_with_an_odd_body_counts_as_sent_once(
    status, body, post_webhook, drain, fake_graph
):
    fake_graph.respond_next(status, body)
    post_webhook(envelopes.text("hi", wa_id="34600000106"))
    run_within(drain)
    post_webhook(envelopes.text("again", wa_id="34600000106"))
    run_within(drain)
    bodies = [r.json["text"]["body"] for r in send_requests(fake_graph)]
    assert bodies == ["You said: hi", "You said: again"]
    assert [r["status"] for r in outbound("34600000106")] == ["sent", "sent"]


@pytest.mark.parametrize(
    "exception, attempts, retried",
    [
        (RuntimeError("database"), 0, True),
        (RuntimeError("database"), 5, True),
        (RuntimeError("database"), 6, False),
    ],
)
def test_a_turn_is_tried_six_times(exception, attempts, retried):
    decision = TurnRetry().get_retry_decision(
        exception=exception, job=SimpleNamespace(attempts=attempts)
    )
    assert (decision is not None) == retried
    if decision is not None:
        wait = decision.retry_at - datetime.now(UTC)
        assert timedelta(0) < wait <= timedelta(seconds=300)


@pytest.mark.parametrize(("attempts", "retried"), [(0, True), (49, True), (50, False)])
def test_a_send_task_that_fails_is_tried_fifty_times(attempts, retried):
    decision = SEND_RETRY.get_retry_decision(
        exception=RuntimeError("database"), job=SimpleNamespace(attempts=attempts)
    )
    assert (decision is not None) == retried


@pytest.mark.parametrize(("attempts", "low"), [(1, 1.0), (2, 4.0), (3, 16.0), (6, 1024.0)])
def test_backoff_is_4_to_the_n_with_a_quarter_of_jitter(attempts, low):
    waits = [backoff(attempts, 1.0) for _ in range(200)]
    assert all(low <= w <= low * 1.25 for w in waits)
    assert len(set(waits)) > 1  # jittered, so retries of many messages spread out

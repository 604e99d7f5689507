"""Graph API faults: down for a while, token expired, slow, odd answers.

Replies stored as `queued` are delivered once and in order per customer when WhatsApp comes
back (the failed job is retried and its first step sends what is queued, without asking the
model again); a refusal that retrying cannot fix is recorded on the message and not retried.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.channel.sender import NEVER_RETRY_CODES, GraphUnavailable
from app.jobs import TurnRetry
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


def send_requests(fake_graph, wa_id: str | None = None) -> list:
    """Every message send the fake received (successful or not), optionally for one customer."""
    return [
        r
        for r in fake_graph.requests
        if (r.json or {}).get("type") == "text" and (wa_id is None or r.json["to"] == wa_id)
    ]


def outbound(wa_id: str) -> list[dict]:
    return db.fetch_all(
        "SELECT m.status, m.body, m.error_code, m.error_title, m.wamid FROM messages m"
        " JOIN customers c ON c.id = m.customer_id"
        " WHERE c.wa_id = %s AND m.direction = 'out' ORDER BY m.id",
        (wa_id,),
    )


def retried_turn_waiting() -> bool:
    """A turn job failed and waits for its retry (procrastinate counts the attempt)."""
    row = db.fetch_one(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE status = 'todo' AND attempts >= 1"
    )
    return row["n"] > 0


@pytest.mark.slow
def test_graph_down_then_back_delivers_queued_replies_once_in_order(
    app, post_webhook, worker, fake_llm, fake_graph
):
    attempts = app.config["GRAPH_MAX_ATTEMPTS"]
    alex, blair = "34600000101", "34600000102"
    fake_llm.default = lambda body: text_reply(
        LONG if "long" in last_user_text(body) else "You said: " + last_user_text(body)
    )
    # Down for longer than one job's sends can wait: the sender gives up, the job is retried.
    fake_graph.respond_next(503, UNAVAILABLE, times=2 * attempts)
    post_webhook(envelopes.text("first", wa_id=blair))
    db_wait(retried_turn_waiting)
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
    assert all(r["status"] == "sent" and r["wamid"] for r in outbound(alex))
    # Some send was tried more often than one job's sender allows: a job retry sent it.
    per_body = {}
    for r in send_requests(fake_graph):
        per_body[r.json["text"]["body"]] = per_body.get(r.json["text"]["body"], 0) + 1
    assert max(per_body.values()) > attempts
    # Retries sent the stored replies; the model was asked once per turn, never again.
    assert len(fake_llm.requests) == 3
    assert db.fetch_one("SELECT count(*) AS n FROM turns")["n"] == 3


@pytest.mark.parametrize("code", sorted(NEVER_RETRY_CODES))
def test_refusal_that_retrying_cannot_fix_is_recorded_once(code, post_webhook, drain, fake_graph):
    fake_graph.fail_next(code, http_status=401 if code == 190 else 400)
    post_webhook(envelopes.text("hi", wa_id="34600000103"))
    run_within(drain)
    assert len(send_requests(fake_graph)) == 1  # no retry storm
    [row] = outbound("34600000103")
    assert (row["status"], row["error_code"]) == ("failed", code)
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
        (GraphUnavailable("503"), 6, True),
        (GraphUnavailable("503"), 299, True),
        (GraphUnavailable("503"), 300, False),
    ],
)
def test_turn_retry_keeps_unsent_replies_going_for_about_a_day(exception, attempts, retried):
    """Other failures get six tries; stored replies WhatsApp could not take yet keep trying,
    at most five minutes apart, for about a day (then Meta's 24-hour window has closed)."""
    strategy = TurnRetry()
    job = SimpleNamespace(attempts=attempts)
    decision = strategy.get_retry_decision(exception=exception, job=job)
    assert (decision is not None) == retried
    if decision is not None:
        wait = decision.retry_at - datetime.now(UTC)
        assert timedelta(0) < wait <= timedelta(seconds=300)
    total = sum(
        min(1 + 2 ** min(n + 1, 30), strategy.max_wait) for n in range(strategy.unsent_max_attempts)
    )
    assert timedelta(hours=24) < timedelta(seconds=total) < timedelta(hours=26)

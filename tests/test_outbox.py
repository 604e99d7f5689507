"""The outbox task: in order per customer, retries within a message's useful life, pacing."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest

from app import outbox
from app.channels.messenger.formatting import METADATA
from app.storage import businesses, db, pacing
from tests import envelopes
from tests.conftest import PHONE_NUMBER_ID

PSID = "6254381284612345"
PAGE_ID = "1029384756"


@pytest.fixture
def app_config(request, app_config):
    """The shared settings, with a test's own overrides (indirect parametrization)."""
    return {**app_config, **getattr(request, "param", {})}


def demo_id() -> int:
    return db.fetch_one(
        "SELECT id FROM businesses WHERE whatsapp_number_id = %s", (PHONE_NUMBER_ID,)
    )["id"]


def add_customer(
    business_id: int,
    address: str,
    channel: str = "whatsapp",
    hours_since_last_message: float | None = 1,
) -> dict:
    """A customer whose last message came `hours_since_last_message` ago (None: never)."""
    return db.fetch_one(
        "INSERT INTO customers (business_id, channel, address, profile_name, last_inbound_at)"
        " VALUES (%s, %s, %s, 'Kim', now() - %s * interval '1 hour') RETURNING *",
        (business_id, channel, address, hours_since_last_message),
    )


def queue(app, business_id: int, customer: dict, bodies: list[str], purpose="reply") -> list[int]:
    """Store messages for a customer and queue their send, as the bot and the admin API do."""
    business = businesses.get_row(business_id)
    with app.app_context(), db.transaction() as conn:
        return outbox.queue(conn, business, customer, bodies, purpose)


def rows(customer_id: int) -> list[dict]:
    return db.fetch_all(
        "SELECT body, status, purpose, attempts, error_code, error_title, send_error, sent_as,"
        " external_id"
        " FROM messages WHERE customer_id = %s AND direction = 'out' ORDER BY id",
        (customer_id,),
    )


def text_sends(fake_graph) -> list:
    """Every WhatsApp text send the fake received, accepted or not, in order."""
    return [r for r in fake_graph.requests if (r.json or {}).get("type") == "text"]


def jobs_left() -> int:
    return db.fetch_one(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
    )["n"]


def test_a_5xx_then_success_sends_the_message_once(app, drain, fake_graph):
    customer = add_customer(demo_id(), "34600500001")
    fake_graph.fail_next(131000, http_status=500)
    queue(app, demo_id(), customer, ["Your booking is confirmed."])
    drain()
    assert [r.status for r in text_sends(fake_graph)] == [500, 200]
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == ["Your booking is confirmed."]
    [row] = rows(customer["id"])
    assert (row["status"], row["attempts"], row["error_code"], row["sent_as"]) == (
        "sent",
        1,
        None,
        "text",
    )
    assert row["external_id"].startswith("wamid.FAKE")
    assert jobs_left() == 0


def test_a_permanent_error_is_recorded_with_its_code_and_never_retried(app, drain, fake_graph):
    customer = add_customer(demo_id(), "34600500002")
    fake_graph.fail_next(131026)
    queue(app, demo_id(), customer, ["one", "two"])
    drain()
    assert [r.json["text"]["body"] for r in text_sends(fake_graph)] == ["one", "two"]
    assert [(r["status"], r["error_code"], r["send_error"]) for r in rows(customer["id"])] == [
        ("failed", 131026, "unreachable"),
        ("sent", None, None),
    ]
    assert jobs_left() == 0


def test_a_send_error_whose_code_fits_no_column_is_recorded_without_it(app, drain, fake_graph):
    """A code beyond 32 bits made recording the failure fail, and the send job with it."""
    customer = add_customer(demo_id(), "34600500003")
    fake_graph.fail_next(2**40)
    queue(app, demo_id(), customer, ["one"])
    drain()
    [row] = rows(customer["id"])
    assert (row["status"], row["error_code"]) == ("failed", None)
    assert jobs_left() == 0


def test_throughput_errors_pause_the_number_and_fail_nothing(app, drain, fake_graph):
    customer = add_customer(demo_id(), "34600500003")
    fake_graph.fail_next(130429, times=3)
    queue(app, demo_id(), customer, ["hello"])
    drain()
    assert [r.status for r in text_sends(fake_graph)] == [400, 400, 400, 200]
    [row] = rows(customer["id"])
    # Slowing down is not a failed attempt: the message's retry count stays at zero.
    assert (row["status"], row["attempts"]) == ("sent", 0)


@pytest.mark.parametrize("code", [131048, 131057], ids=["spam rate limit", "maintenance"])
def test_a_refusal_meta_lifts_later_is_retried_and_sent_once(app, drain, fake_graph, code):
    """Meta's spam rate limit and maintenance mode pass: the message waits, then goes."""
    customer = add_customer(demo_id(), f"3460050001{code % 10}")
    fake_graph.fail_next(code)
    queue(app, demo_id(), customer, ["hello"])
    drain()
    assert [r.status for r in text_sends(fake_graph)] == [400, 200]
    [row] = rows(customer["id"])
    assert (row["status"], row["attempts"], row["send_error"]) == ("sent", 1, None)


def failed(external_id: str, code: int, recipient: str) -> dict:
    """WhatsApp's webhook saying a message it accepted failed, with Meta's code."""
    errors = [{"code": code, "title": f"error {code}", "message": f"error {code}"}]
    return envelopes.status(external_id, "failed", recipient=recipient, errors=errors)


def account_pace() -> dict:
    """The demo number's pacing row: when its next send may start, how far its line reaches."""
    return db.fetch_one(
        "SELECT next_at, queued_until FROM send_pacing WHERE channel = 'whatsapp'"
        " AND account_id = %s",
        (PHONE_NUMBER_ID,),
    )


@pytest.mark.parametrize(
    "code, attempts",
    [(131000, 1), (131048, 1), (131056, 1), (130429, 0)],
    ids=["something went wrong", "spam rate", "pair rate", "throughput"],
)
def test_a_failure_meta_reports_after_accepting_is_sent_again_once(
    app, drain, fake_graph, post_webhook, code, attempts
):
    """Meta reports some failures only in a status webhook: a retryable one is sent again
    (a throughput error counts no attempt, as when the send itself is refused)."""
    customer = add_customer(demo_id(), "34600500021")
    queue(app, demo_id(), customer, ["Your booking is confirmed."])
    drain()
    [first] = rows(customer["id"])
    assert post_webhook(failed(first["external_id"], code, "34600500021")).status_code == 200
    drain()
    bodies = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert bodies == ["Your booking is confirmed."] * 2
    [row] = rows(customer["id"])
    assert (row["status"], row["attempts"], row["error_code"]) == ("sent", attempts, None)
    assert row["external_id"] not in (None, first["external_id"])
    # Meta redelivers the old failure: it changes nothing (no pause either), and nothing is
    # sent a third time.
    pace = account_pace()
    post_webhook(failed(first["external_id"], code, "34600500021"))
    drain()
    assert len(fake_graph.messages_sent()) == 2
    assert rows(customer["id"])[0]["status"] == "sent"
    assert account_pace() == pace


def queued_again() -> dict:
    """The message a failure queued again: its attempts, and how long until its next one."""
    return db.fetch_one(
        "SELECT status, attempts, extract(epoch FROM not_before - now())::float8 AS wait"
        " FROM messages WHERE direction = 'out' AND status = 'queued'"
    )


@pytest.mark.parametrize(
    "app_config",
    [{"OUTBOX_BACKOFF_BASE": 0.01, "OUTBOX_RATE_PAUSE": 600.0, "OUTBOX_PAIR_PAUSE": 0.01}],
    indirect=True,
)
def test_a_throughput_error_meta_reports_later_pauses_the_number_and_counts_no_attempt(
    app, drain, fake_graph, post_webhook
):
    """As when the send itself is refused with 130429: the whole number pauses, for
    OUTBOX_RATE_PAUSE (not the backoff of a failed attempt), and no attempt is counted."""
    customer = add_customer(demo_id(), "34600500024")
    queue(app, demo_id(), customer, ["hello"])
    drain()
    [first] = rows(customer["id"])
    assert account_pace()["next_at"] < db.fetch_one("SELECT now() + interval '1 min' AS t")["t"]
    post_webhook(failed(first["external_id"], 130429, "34600500024"))
    again = queued_again()
    assert (again["attempts"], again["wait"] > 590) == (0, True)
    paused = db.fetch_one(
        "SELECT next_at - now() > interval '590 s' AS next, queued_until - now()"
        " > interval '590 s' AS line FROM send_pacing WHERE account_id = %s",
        (PHONE_NUMBER_ID,),
    )
    assert paused == {"next": True, "line": True}


@pytest.mark.parametrize(
    "app_config",
    [{"OUTBOX_BACKOFF_BASE": 0.01, "OUTBOX_RATE_PAUSE": 0.01, "OUTBOX_PAIR_PAUSE": 600.0}],
    indirect=True,
)
def test_a_pair_rate_error_meta_reports_later_waits_the_pair_pause(
    app, drain, fake_graph, post_webhook
):
    """As when the send itself is refused with 131056: the customer's next attempt waits at
    least OUTBOX_PAIR_PAUSE, and the attempt counts; the number is not paused."""
    customer = add_customer(demo_id(), "34600500025")
    queue(app, demo_id(), customer, ["hello"])
    drain()
    [first] = rows(customer["id"])
    pace = account_pace()
    post_webhook(failed(first["external_id"], 131056, "34600500025"))
    again = queued_again()
    assert (again["attempts"], again["wait"] > 590) == (1, True)
    assert account_pace() == pace


@pytest.mark.parametrize("code", [131026, 131049, 131047])
def test_a_failure_sending_again_cannot_fix_stands(app, drain, fake_graph, post_webhook, code):
    customer = add_customer(demo_id(), "34600500022")
    queue(app, demo_id(), customer, ["hello"])
    drain()
    [first] = rows(customer["id"])
    post_webhook(failed(first["external_id"], code, "34600500022"))
    drain()
    assert len(fake_graph.messages_sent()) == 1
    [row] = rows(customer["id"])
    assert (row["status"], row["error_code"], row["attempts"]) == ("failed", code, 0)


def test_a_failure_reported_too_late_to_send_again_stands(app, drain, fake_graph, post_webhook):
    customer = add_customer(demo_id(), "34600500023")
    [message_id] = queue(app, demo_id(), customer, ["hello"])
    drain()
    db.execute("UPDATE messages SET expires_at = now() WHERE id = %s", (message_id,))
    [first] = rows(customer["id"])
    post_webhook(failed(first["external_id"], 131000, "34600500023"))
    drain()
    assert len(fake_graph.messages_sent()) == 1
    assert (rows(customer["id"])[0]["status"], rows(customer["id"])[0]["error_code"]) == (
        "failed",
        131000,
    )


def graph_errors(code: int) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("graph_errors_total", {"code": str(code)}) or 0.0


def test_a_failure_meta_reports_before_the_send_is_recorded_is_sent_again_once(
    app, drain, fake_graph, post_webhook, release
):
    """Meta's failed status (131000, its own trouble) overtakes its answer to the send: kept
    until the send is recorded, it is then dealt with as one that came after (the message goes
    once more) and counted once; its redelivery changes nothing."""
    from tests.test_reminder_races import Run

    business_id, customer = demo_id(), add_customer(demo_id(), "34600500025")
    queue(app, business_id, customer, ["Your booking is confirmed."])
    counted = graph_errors(131000)
    fake_graph.hold_next(release, wamid="wamid.OVERTAKEN")
    sender = Run(app, lambda: outbox.send_pending(business_id, customer["id"]))
    fake_graph.wait_for_arrivals(1, timeout=30)  # at Meta, its answer not given yet
    assert post_webhook(failed("wamid.OVERTAKEN", 131000, "34600500025")).status_code == 200
    assert rows(customer["id"])[0]["external_id"] is None  # the status waits for the record
    release.set()
    sender.outcome()
    drain()
    bodies = [m["text"]["body"] for m in fake_graph.messages_sent()]
    assert bodies == ["Your booking is confirmed."] * 2
    [row] = rows(customer["id"])
    assert (row["status"], row["attempts"], row["error_code"]) == ("sent", 1, None)
    assert row["external_id"] not in (None, "wamid.OVERTAKEN")
    assert graph_errors(131000) == counted + 1
    post_webhook(failed("wamid.OVERTAKEN", 131000, "34600500025"))  # Meta redelivers it
    drain()
    assert len(fake_graph.messages_sent()) == 2
    assert rows(customer["id"])[0]["status"] == "sent"
    assert graph_errors(131000) == counted + 1


def test_a_failure_meta_reports_later_is_counted_once_by_its_code(
    app, drain, fake_graph, post_webhook
):
    """graph_errors_total counts the failures Meta reports in a status as it counts refused
    sends, once per failure: its redeliveries are not counted again."""
    customer = add_customer(demo_id(), "34600500026")
    queue(app, demo_id(), customer, ["hello"])
    drain()
    [first] = rows(customer["id"])
    counted = graph_errors(131026)
    for _ in range(2):  # Meta delivers it again
        post_webhook(failed(first["external_id"], 131026, "34600500026"))
    assert graph_errors(131026) == counted + 1


def test_a_pair_rate_error_waits_for_that_customer_only(app, drain, fake_graph):
    customer = add_customer(demo_id(), "34600500004")
    fake_graph.fail_next(131056)
    queue(app, demo_id(), customer, ["hello"])
    drain()
    [row] = rows(customer["id"])
    assert (row["status"], row["attempts"]) == ("sent", 1)
    assert len(fake_graph.messages_sent()) == 1


def expired_count() -> float:
    from prometheus_client import REGISTRY

    labels = {"channel": "whatsapp", "outcome": "expired"}
    return REGISTRY.get_sample_value("outbox_sends_total", labels) or 0.0


def test_a_message_past_its_useful_life_is_recorded_without_a_request(app, drain, fake_graph):
    customer = add_customer(demo_id(), "34600500005")
    [message_id] = queue(app, demo_id(), customer, ["stale"])
    db.execute(
        "UPDATE messages SET expires_at = now() - interval '1 s' WHERE id = %s", (message_id,)
    )
    before = expired_count()
    drain()
    assert fake_graph.requests == []
    [row] = rows(customer["id"])
    assert (row["status"], row["send_error"], row["error_code"]) == ("failed", "expired", None)
    assert expired_count() == before + 1  # what OPERATIONS.md's alert watches


@pytest.mark.parametrize("app_config", [{"OUTBOX_BACKOFF_BASE": 3600.0}], indirect=True)
def test_a_retry_that_would_outlive_the_message_gives_up_with_the_providers_code(
    app, drain, fake_graph
):
    customer = add_customer(demo_id(), "34600500006")
    fake_graph.fail_next(131000, http_status=500)
    [message_id] = queue(app, demo_id(), customer, ["soon stale"])
    db.execute(
        "UPDATE messages SET expires_at = now() + interval '1 min' WHERE id = %s", (message_id,)
    )
    drain()
    assert len(text_sends(fake_graph)) == 1
    [row] = rows(customer["id"])
    assert (row["status"], row["send_error"], row["error_code"]) == ("failed", "expired", 131000)
    assert row["error_title"] == "gave up after 1 attempts: (#131000) Something went wrong"
    assert jobs_left() == 0


def test_a_message_that_has_a_provider_id_is_never_sent_again(app, drain, fake_graph):
    customer = add_customer(demo_id(), "34600500007")
    queue(app, demo_id(), customer, ["once"])
    drain()
    with app.app_context():
        outbox.send_pending(demo_id(), customer["id"])  # a retried task finds it sent
    db.execute("UPDATE messages SET status = 'queued' WHERE customer_id = %s", (customer["id"],))
    with app.app_context():
        outbox.send_pending(demo_id(), customer["id"])  # queued again, but it has its wamid
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == ["once"]


def test_test_customers_replies_are_recorded_and_never_sent(app, drain, fake_graph):
    customer = add_customer(demo_id(), "sandbox:1")
    db.execute("UPDATE customers SET sandbox = true WHERE id = %s", (customer["id"],))
    queue(app, demo_id(), {**customer, "sandbox": True}, ["just for the console"])
    drain()
    assert fake_graph.requests == []
    [row] = rows(customer["id"])
    assert (row["status"], row["sent_as"]) == ("sent", "sandbox")
    assert jobs_left() == 0


def test_a_cancellation_goes_out_after_the_reply_already_queued_with_no_turn(
    app, api, world, drain, fake_graph
):
    """The admin's notice takes the outbox path: behind the customer's queued reply (even one
    that has to be retried), and no customer turn runs for it."""
    customer = db.fetch_one("SELECT * FROM customers WHERE id = %s", (world.customer_id,))
    queue(app, world.business_id, customer, ["Here are our opening hours."])
    fake_graph.fail_next(131000, http_status=500)  # the reply's first attempt fails
    path = f"/businesses/{world.business_id}/appointments/{world.appointment_id}/cancel"
    turns_before = db.fetch_one("SELECT count(*) AS n FROM turns")["n"]
    response = api("POST", path, "staff", json={"message": "Sorry, we had to cancel Monday."})
    assert response.status_code == 200 and response.get_json()["notified"] is True
    queued_tasks = db.fetch_all("SELECT DISTINCT task_name FROM procrastinate_jobs")
    assert queued_tasks == [{"task_name": "send_outbox"}]
    drain()
    assert [r.json["text"]["body"] for r in text_sends(fake_graph)] == [
        "Here are our opening hours.",
        "Here are our opening hours.",
        "Sorry, we had to cancel Monday.",
    ]
    assert [(r["body"], r["purpose"], r["status"]) for r in rows(world.customer_id)][-2:] == [
        ("Here are our opening hours.", "reply", "sent"),
        ("Sorry, we had to cancel Monday.", "notice", "sent"),
    ]
    assert db.fetch_one("SELECT count(*) AS n FROM turns")["n"] == turns_before


def test_one_customers_retry_does_not_hold_up_another(app, drain, fake_graph):
    first = add_customer(demo_id(), "34600500008")
    second = add_customer(demo_id(), "34600500009")
    fake_graph.fail_next(131000, http_status=500)
    queue(app, demo_id(), first, ["to the first"])
    queue(app, demo_id(), second, ["to the second"])
    drain()
    # Whichever customer's send met the failure (the two sends run at once), its retry waits
    # and the other customer's message goes meanwhile.
    sends = [r.json for r in fake_graph.requests if r.json and "text" in r.json]
    failed = sends[0]["text"]["body"]
    other = {"to the first", "to the second"} - {failed}
    assert [m["text"]["body"] for m in fake_graph.messages_sent()] == [*other, failed]


def test_the_webhook_stores_the_customers_channel_and_metas_timestamp(post_webhook):
    envelope = envelopes.text("hi", wa_id="34600500010")
    stamp = int(envelope["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"])
    post_webhook(envelope)
    row = db.fetch_one(
        "SELECT c.channel, c.address, extract(epoch FROM c.last_inbound_at)::bigint AS at,"
        " m.channel AS message_channel, m.kind, m.external_id FROM customers c"
        " JOIN messages m ON m.customer_id = c.id"
    )
    assert (row["channel"], row["address"], row["at"], row["message_channel"], row["kind"]) == (
        "whatsapp",
        "34600500010",
        stamp,
        "whatsapp",
        "text",
    )


# Pacing: one row per account, shared by every process.


def test_slots_are_one_gap_apart_and_far_ones_are_handed_out_as_later_turns(pool):
    takes = [pacing.take("whatsapp", "P1", gap=10.0, max_wait=15.0) for _ in range(4)]
    assert [t.granted for t in takes] == [True, True, False, False]
    # Granted: now and in 10 s; then turns after the last slot, one gap apart (20 s, 30 s).
    for take, expected in zip(takes, [0, 10, 20, 30], strict=True):
        assert abs(take.wait - expected) < 1.0, takes


def test_a_pause_moves_every_sender_of_the_account(pool):
    pacing.take("whatsapp", "P2", gap=0.001, max_wait=1.0)
    pacing.pause("whatsapp", "P2", 30.0)
    later = pacing.take("whatsapp", "P2", gap=0.001, max_wait=60.0)
    other = pacing.take("whatsapp", "P3", gap=0.001, max_wait=60.0)
    assert later.granted and abs(later.wait - 30) < 1.0
    assert other.granted and other.wait < 1.0


def test_concurrent_senders_get_distinct_slots(pool):
    """Thirty threads (as many processes would) take slots of one account at once."""
    waits: list[float] = []
    lock = threading.Lock()
    gate = threading.Barrier(30)

    def sender() -> None:
        gate.wait()
        slot = pacing.take("whatsapp", "P4", gap=1.0, max_wait=100.0)
        with lock:
            waits.append(slot.wait)

    threads = [threading.Thread(target=sender) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gaps = [b - a for a, b in zip(sorted(waits), sorted(waits)[1:], strict=False)]
    assert len(waits) == 30 and all(0.5 < g < 1.5 for g in gaps), sorted(waits)


def test_a_number_over_its_throughput_is_slowed_down_and_every_message_arrives(
    app, drain, fake_graph
):
    """The fake refuses beyond 10 sends a second (130429): the outbox pauses and retries."""
    fake_graph.limit_rate(10)
    customers = [add_customer(demo_id(), f"346005011{i:02d}") for i in range(25)]
    for n, customer in enumerate(customers):
        queue(app, demo_id(), customer, [f"notice {n}"], "notice")
    drain()
    assert sorted(m["text"]["body"] for m in fake_graph.messages_sent()) == sorted(
        f"notice {n}" for n in range(25)
    )
    statuses = db.fetch_all("SELECT DISTINCT status FROM messages WHERE direction = 'out'")
    assert statuses == [{"status": "sent"}]


@pytest.mark.parametrize("app_config", [{"OUTBOX_PACE_WAIT": 0.05}], indirect=True)
def test_a_business_send_rate_paces_its_sends(app, drain, fake_graph):
    """At 20 messages/s, no second holds more than 20 sends (the fake would refuse more)."""
    db.execute("UPDATE businesses SET send_rate = 20 WHERE id = %s", (demo_id(),))
    fake_graph.limit_rate(20)
    customers = [add_customer(demo_id(), f"346005012{i:02d}") for i in range(30)]
    for n, customer in enumerate(customers):
        queue(app, demo_id(), customer, [f"notice {n}"], "notice")
    drain()
    sends = text_sends(fake_graph)
    assert len(sends) == 30 and all(r.status == 200 for r in sends)


def test_a_burst_for_one_number_is_scheduled_over_its_pace_and_another_business_goes_first(
    app, fake_graph
):
    """Ten notices for a number allowed 2 a second, then one for another business: the burst's
    send tasks are spread over the next seconds; the other business's task is due at once."""
    busy = demo_id()
    db.execute("UPDATE businesses SET send_rate = 2 WHERE id = %s", (busy,))
    other = businesses.create_business({"name": "Quiet", "whatsapp_number_id": "555777000"})
    for i in range(10):
        queue(app, busy, add_customer(busy, f"346005020{i:02d}"), [f"notice {i}"], "notice")
    queue(app, other, add_customer(other, "34600502099"), ["hello"], "notice")
    jobs = db.fetch_all(
        "SELECT (args->>'business_id')::bigint AS business_id,"
        " extract(epoch FROM scheduled_at - now())::float8 AS due_in"
        " FROM procrastinate_jobs WHERE task_name = 'send_outbox' ORDER BY id"
    )
    waits = [j["due_in"] for j in jobs if j["business_id"] == busy]
    # 1.05 / 2 s apart (the pace, a little under the rate); the first ones go at once.
    assert [w is None for w in waits] == [True] * 1 + [False] * 9
    assert all(abs(b - a - 0.525) < 0.1 for a, b in zip(waits[1:], waits[2:], strict=False))
    assert [j["due_in"] for j in jobs if j["business_id"] == other] == [None]


def test_buttons_are_stored_with_the_message_and_sent_as_the_channel_shows_them(
    app, drain, fake_graph
):
    from app.channels.base import Button, Outbound

    db.execute(
        "UPDATE businesses SET messenger_page_id = '1029384756', page_access_token = 'pt'"
        " WHERE id = %s",
        (demo_id(),),
    )
    choice = Outbound(
        text="Shall I book 10:00?", buttons=(Button("yes", "Yes"), Button("no", "No"))
    )
    wa = add_customer(demo_id(), "34600503001")
    fb = add_customer(demo_id(), "6254381284612345", "messenger")
    queue(app, demo_id(), wa, [choice])
    queue(app, demo_id(), fb, [choice])
    drain()
    [whatsapp] = fake_graph.messages_sent()
    assert whatsapp["interactive"]["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
        {"type": "reply", "reply": {"id": "no", "title": "No"}},
    ]
    [messenger] = fake_graph.messenger_sent()
    assert messenger["message"] == {
        "text": "Shall I book 10:00?",
        "quick_replies": [
            {"content_type": "text", "title": "Yes", "payload": "yes"},
            {"content_type": "text", "title": "No", "payload": "no"},
        ],
        "metadata": METADATA,
    }
    assert [r["status"] for r in rows(wa["id"]) + rows(fb["id"])] == ["sent", "sent"]


def test_a_send_starts_only_while_the_last_second_has_room(pool):
    """Three a second: three sends start; a fourth waits for one under way to be answered,
    then for that answer to leave the window, however early its slot was."""
    pacing.take("whatsapp", "P5", gap=0.001, max_wait=1.0)
    starts = [pacing.begin("whatsapp", "P5", rate=3, window=60.0) for _ in range(3)]
    assert all(s.started is not None for s in starts)
    waiting = pacing.begin("whatsapp", "P5", rate=3, window=60.0)
    assert waiting.started is None and waiting.wait <= 60.0 / 3 + 1  # all under way: poll
    pacing.end("whatsapp", "P5", starts[0].started)
    after = pacing.begin("whatsapp", "P5", rate=3, window=60.0)
    assert after.started is None and 58.0 < after.wait <= 60.0  # answered just now: 60 s
    db.execute(
        "UPDATE send_pacing SET ended = ARRAY[now() - interval '61 s'] WHERE account_id = 'P5'"
    )
    assert pacing.begin("whatsapp", "P5", rate=3, window=60.0).started is not None


def test_a_sender_that_died_mid_send_stops_counting(pool):
    pacing.take("whatsapp", "P6", gap=0.001, max_wait=1.0)
    db.execute(
        "UPDATE send_pacing SET in_flight = ARRAY[now() - interval '2 min'] WHERE account_id = 'P6'"
    )
    assert pacing.begin("whatsapp", "P6", rate=1, window=1.0, stale=60.0).started is not None


def test_no_second_can_hold_more_arrivals_than_the_rate_across_threads(pool):
    """Twelve threads send 60 times on one account at 10 a second, each send taking 0-150 ms
    (a request's latency, or a sender descheduled before it arrives). Whatever instant in
    [start, answer] each request reached the channel, no one-second window holds more than 10:
    for every send, the sends that started no later and were answered less than a second
    before it started number at most 10 (itself included)."""
    rate, sends = 10, []
    lock = threading.Lock()
    pacing.take("whatsapp", "P7", gap=0.001, max_wait=1.0)

    def sender(n: int) -> None:
        rng = random.Random(n)
        for _ in range(5):
            while (start := pacing.begin("whatsapp", "P7", rate, window=1.0)).started is None:
                time.sleep(start.wait)
            time.sleep(rng.uniform(0, 0.15))  # the request on its way
            answered = db.fetch_one("SELECT clock_timestamp() AS t")["t"]
            pacing.end("whatsapp", "P7", start.started)
            with lock:
                sends.append((start.started, answered))

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sends) == 60
    second = timedelta(seconds=1)
    for started, _ in sends:
        overlapping = [s for s in sends if s[0] <= started and s[1] > started - second]
        assert len(overlapping) <= rate, (started, sorted(overlapping))
    assert not db.fetch_one("SELECT in_flight FROM send_pacing WHERE account_id = 'P7'")[
        "in_flight"
    ]

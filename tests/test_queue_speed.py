"""The queue under a backlog: quiet webhook defers woken after commit, and a fetch that stays
an ordered index walk (migration 0018). Speed itself is measured by benchmarks/, not here."""

import json
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from app import jobs
from app.storage import businesses, conversations, db
from tests import envelopes
from tests.conftest import PHONE_NUMBER_ID

ANY_QUEUE = "procrastinate_any_queue_v1"


@pytest.fixture
def listener(db_url):
    """A connection listening for the workers' wake-ups."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"LISTEN {ANY_QUEUE}")
        yield conn


def first_notification(conn: psycopg.Connection) -> dict:
    for note in conn.notifies(timeout=30, stop_after=1):
        return json.loads(note.payload)
    raise AssertionError("no NOTIFY within 30 s")


def test_webhook_wakes_workers_once_its_job_is_committed(post_webhook, listener):
    assert post_webhook(envelopes.text("Hi")).status_code == 200
    payload = first_notification(listener)
    # The waker's NOTIFY (no job id) comes first: the statement itself sent none.
    assert payload == {"type": "job_inserted", "job_id": None}
    todo = listener.execute(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'handle_turn'"
        " AND status = 'todo'"
    ).fetchone()[0]
    assert todo == 1


def test_a_message_joining_a_queued_turn_wakes_no_worker(post_webhook, app, monkeypatch):
    """Its turn's job woke the workers when it was queued: a NOTIFY for it would only cost
    PostgreSQL a transaction."""
    wakes: list[int] = []
    monkeypatch.setattr(app.extensions["queue_waker"], "wake", lambda: wakes.append(1))
    assert post_webhook(envelopes.text("Hi", wamid="wamid.J1")).status_code == 200
    assert wakes == [1]
    assert post_webhook(envelopes.text("a haircut?", wamid="wamid.J2")).status_code == 200
    assert wakes == [1]  # joined the turn queued by the first
    other = envelopes.text("Hello", wa_id="34699999999", wamid="wamid.J3")
    assert post_webhook(other).status_code == 200
    assert wakes == [1, 1]  # another customer: a turn of their own
    assert db.fetch_one("SELECT count(*) AS n FROM procrastinate_jobs")["n"] == 2


def test_a_burst_of_wake_ups_shares_one_notify(pool, listener):
    """Wake-ups within the waker's minimum gap are answered by one further NOTIFY, not one each."""
    from app.jobs.waker import Waker

    waker = Waker(jobs.DEFAULT_QUEUE, min_gap=5.0)
    waker.wake()
    first_notification(listener)
    for _ in range(5):  # spread over about 1 s, inside the 5 s gap
        waker.wake()
        time.sleep(0.2)  # the deliveries' own pace; without the gap each would NOTIFY
    assert first_notification(listener) == {"type": "job_inserted", "job_id": None}
    # That one NOTIFY answered all five: no further one comes.
    assert list(listener.notifies(timeout=3, stop_after=1)) == []


def test_other_defers_still_notify_in_their_transaction(app, listener):
    business_id = businesses.business_id_for_account("whatsapp_number_id", PHONE_NUMBER_ID)
    with app.app_context():
        jobs.queue_send(business_id, customer_id=1)
    payload = first_notification(listener)
    assert payload["type"] == "job_inserted" and isinstance(payload["job_id"], int)


def test_quiet_setting_ends_with_its_transaction(pool, listener):
    business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
    with db.connection() as conn:
        store(conn, business_id, 1, notify=False)
        # The same connection's next transaction defers as procrastinate does: it notifies.
        conn.execute(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'send_outbox', 0, NULL,"
            " NULL, '{}'::jsonb, NULL)::procrastinate_job_to_defer_v1])"
        )
    assert isinstance(first_notification(listener)["job_id"], int)


def events(job_type: str) -> list[str]:
    return [
        r["type"]
        for r in db.fetch_all(
            "SELECT e.type::text FROM procrastinate_events e JOIN procrastinate_jobs j"
            " ON j.id = e.job_id WHERE j.task_name = %s ORDER BY e.id",
            (job_type,),
        )
    ]


def test_webhook_jobs_skip_the_deferred_event_and_others_keep_it(post_webhook):
    assert post_webhook(envelopes.text("Hi")).status_code == 200
    assert events("handle_turn") == []
    business_id = businesses.business_id_for_account("whatsapp_number_id", PHONE_NUMBER_ID)
    with db.connection() as conn:
        conn.execute(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'send_outbox', 0, NULL,"
            " NULL, %s, now() + interval '1 hour')::procrastinate_job_to_defer_v1])",
            (json.dumps({"business_id": business_id, "customer_id": 0}),),
        )
    assert sorted(events("send_outbox")) == ["deferred", "scheduled"]


def store(conn, business_id: int, i: int, customers: int = 1000, notify: bool = True) -> dict:
    delivery = conversations.Delivery(
        channel="whatsapp",
        address=f"3460{i % customers:07d}",
        profile_name="",
        external_id=f"wamid.Q{i}",
        kind="text",
        type="text",
        body="hi",
        payload={},
        sent_at=None,
        needs_turn=True,
    )
    job = jobs.turn_job(business_id, None, notify=notify)
    return conversations.store_inbound(conn, business_id, delivery, turn_job=job)


def fetch_plan(conn, analyze: bool = False) -> tuple[dict | None, str]:
    """Fetch a job as a worker does; return it with the plan of the fetch's inner query (with
    `analyze`, what each node of it did)."""
    plans: list[str] = []
    conn.add_notice_handler(lambda d: plans.append(d.message_primary or ""))
    conn.execute("LOAD 'auto_explain'")
    settings = ("log_min_duration = 0", "log_nested_statements = on")
    for setting in (*settings, f"log_analyze = {'on' if analyze else 'off'}"):
        conn.execute(f"SET auto_explain.{setting}")
    conn.execute("SET client_min_messages = log")
    job = conn.execute(
        "SELECT id, lock FROM procrastinate_fetch_job_v2(ARRAY['default']::varchar[], NULL)"
    ).fetchone()
    conn.execute("SET client_min_messages = notice")
    return job, next(p for p in plans if "FROM procrastinate_jobs AS jobs" in p)


def test_fetch_walks_the_queue_in_order_with_an_unanalysed_backlog(pool):
    business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
    with db.transaction() as conn:
        for i in range(3000):  # 1,000 customers with 3 messages each: a queued turn each
            store(conn, business_id, i)
    with psycopg.connect(db.pool().conninfo, autocommit=True) as conn:
        conn.row_factory = psycopg.rows.dict_row
        first = conn.execute("SELECT min(id) AS id FROM procrastinate_jobs").fetchone()["id"]
        job, plan = fetch_plan(conn)
    assert job["id"] == first
    assert "Sort" not in plan
    assert "procrastinate_jobs_priority_idx_v1" in plan
    assert "procrastinate_jobs_lock_todo_doing_idx" in plan


def test_fetch_skips_a_customer_whose_turn_is_running(pool):
    business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
    with db.transaction() as conn:
        a1 = store(conn, business_id, 0, customers=2)  # customer A
        b1 = store(conn, business_id, 1, customers=2)  # customer B
    with psycopg.connect(db.pool().conninfo, autocommit=True) as conn:
        conn.row_factory = psycopg.rows.dict_row
        running, _ = fetch_plan(conn)
        with db.transaction() as store_conn:
            # A's next message queues A's next turn (A's first has started); B's joins B's.
            a2 = store(store_conn, business_id, 2, customers=2)
            b2 = store(store_conn, business_id, 3, customers=2)
        second, _ = fetch_plan(conn)
        third = conn.execute(
            "SELECT id FROM procrastinate_fetch_job_v2(ARRAY['default']::varchar[], NULL)"
        ).fetchone()
    assert running["id"] == a1["job_ids"][0]
    assert a2["job_ids"][0] > b1["job_ids"][0] and b2["job_ids"] == b1["job_ids"]
    assert second["id"] == b1["job_ids"][0]  # B's turn, not A's second
    assert third["id"] is None  # both customers have a turn running; A's second waits
    assert (
        db.fetch_one("SELECT status::text FROM procrastinate_jobs WHERE id = %s", a2["job_ids"])[
            "status"
        ]
        == "todo"
    )


def test_reminders_waiting_for_their_day_are_not_read_by_a_fetch(app, pool):
    """Reminders are queued at booking time, days ahead of the turns that come in meanwhile:
    in the queue's order (priority, then age) a fetch read each of them before reaching a
    turn. Queued behind everything else (REMINDER_PRIORITY), none is read."""
    business_id, _ = businesses.seed_demo(PHONE_NUMBER_ID)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with app.app_context(), db.transaction() as conn:
        for appointment_id in range(1, 1001):
            jobs.schedule_reminder(appointment_id, 60, tomorrow)
        turn = store(conn, business_id, 0)
    with psycopg.connect(db.pool().conninfo, autocommit=True) as conn:
        conn.row_factory = psycopg.rows.dict_row
        job, plan = fetch_plan(conn, analyze=True)
    assert job["id"] == turn["job_ids"][0]
    walk = plan[plan.index("procrastinate_jobs_priority_idx_v1") :]
    walk = walk[: walk.index("->")] if "->" in walk else walk
    assert "actual time" in walk and "rows=1 loops=1" in walk, walk
    assert "Rows Removed by Filter" not in walk, walk  # no waiting reminder was read

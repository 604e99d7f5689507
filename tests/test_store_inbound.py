"""The webhook's one statement (conversations.STORE_INBOUND): a batch of requests' deliveries
stored together, as the group commit sends them, with the guarantees of a statement each."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import _queries as psycopg_queries
from psycopg import sql
from psycopg.rows import dict_row

from app import jobs, privacy
from app.storage import businesses, conversations, db
from app.storage.conversations import Inbound
from app.storage.group_commit import GroupCommit
from tests.test_group_commit import Watched

DEADLINE = 30.0


@pytest.fixture
def business(pool):
    business_id, _ = businesses.seed_demo("123456123")
    return business_id


def inbound(business_id, i, address="34600000001", name="", needs_turn=True, **delivery):
    fields = {
        "channel": "whatsapp",
        "address": address,
        "profile_name": name,
        "external_id": f"wamid.SI{i}",
        "kind": "text",
        "type": "text",
        "body": f"hello {i}",
        "payload": {"n": i},
        "sent_at": None,
        "needs_turn": needs_turn,
    } | delivery
    job = jobs.turn_job(business_id, f"req-{i}", notify=False)
    return Inbound(business_id, conversations.Delivery(**fields), f"req-{i}", job)


def store(groups):
    with db.transaction() as conn:
        receivers = conversations.send_inbound(conn, groups)
    return [receive() for receive in receivers]


def test_one_statement_stores_each_request_and_tells_each_its_own(business):
    a1 = inbound(business, 1, "34600000001", name="Ana")
    a2 = inbound(business, 2, "34600000001", name="")  # the same customer, nameless this time
    b = inbound(business, 3, "34600000002", name="Bea", needs_turn=False)
    # Redeliveries within the batch, differing from their first row: they touch nothing.
    again = inbound(business, 1, "34600000001", name="Other", needs_turn=False)
    stray = inbound(business, 1, "34600000077", name="Zed")
    b_again = inbound(business, 3, "34600000002", name="Bob", needs_turn=True)
    c = inbound(business, 4, "34600000003", name="Cid")
    first, second = store([[a1, a2], [b, again, stray, b_again, c]])
    assert first[0]["id"] and first[1]["id"] and first[0]["customer_id"] == first[1]["customer_id"]
    assert second[0]["id"] and second[0]["job_ids"] is None  # stored, not to be answered
    assert second[1:4] == [None, None, None]  # each stored once, for the first of its rows
    customers = db.fetch_all("SELECT address, profile_name FROM customers ORDER BY address")
    assert [(c["address"], c["profile_name"]) for c in customers] == [
        ("34600000001", "Ana"),  # the latest name that was not empty
        ("34600000002", "Bea"),
        ("34600000003", "Cid"),
    ]
    messages = db.fetch_all("SELECT external_id, status, request_id FROM messages ORDER BY id")
    assert [(m["external_id"], m["status"], m["request_id"]) for m in messages] == [
        ("wamid.SI1", "received", "req-1"),
        ("wamid.SI2", "received", "req-2"),
        ("wamid.SI3", "ignored", "req-3"),
        ("wamid.SI4", "received", "req-4"),
    ]
    # One turn per customer, queued by their first message (its request's id), answers both;
    # each job carries its customer's lock and id.
    rows = db.fetch_all("SELECT id, lock, args FROM procrastinate_jobs ORDER BY id")
    assert [r["id"] for r in rows] == [first[0]["job_ids"][0], second[4]["job_ids"][0]]
    assert first[1]["job_ids"] == first[0]["job_ids"]
    assert first[0]["new_job"] and first[1]["new_job"]  # queued by this statement
    assert [r["args"]["request_id"] for r in rows] == ["req-1", "req-4"]
    assert [r["args"]["customer_id"] for r in rows] == [
        first[0]["customer_id"],
        second[4]["customer_id"],
    ]
    assert [r["lock"] for r in rows] == [
        jobs.customer_lock(business, first[0]["customer_id"]),
        jobs.customer_lock(business, second[4]["customer_id"]),
    ]
    # Stored before: every row of a later statement is a duplicate and touches nothing.
    seen = db.fetch_all("SELECT * FROM customers ORDER BY id")
    renamed = inbound(business, 1, "34600000001", name="Renamed")
    assert store([[renamed], [b]]) == [[None], [None]]
    assert db.fetch_all("SELECT * FROM customers ORDER BY id") == seen
    assert db.fetch_one("SELECT count(*) AS n FROM procrastinate_jobs")["n"] == 2


def fetch_job(conn) -> int | None:
    """What a worker's fetch takes now (procrastinate's own function): a job id or None."""
    return conn.execute("SELECT id FROM procrastinate_fetch_job_v2(NULL, NULL)").fetchone()["id"]


def test_a_new_message_joins_its_customers_queued_turn_until_a_worker_starts_it(business):
    (first,) = store([[inbound(business, 1)]])[0]
    (second,) = store([[inbound(business, 2)]])[0]
    assert second["job_ids"] == first["job_ids"]  # the queued turn will answer both
    assert first["new_job"] and not second["new_job"]  # only a new job needs a worker woken
    other = store([[inbound(business, 3, "34600000002")]])[0][0]  # another customer: their own
    assert other["job_ids"] != first["job_ids"] and other["new_job"]
    with db.connection() as conn:
        assert fetch_job(conn) == first["job_ids"][0]  # a worker starts the turn
    (third,) = store([[inbound(business, 4)]])[0]
    assert third["job_ids"] not in (first["job_ids"], other["job_ids"])  # queued behind it
    jobs_now = db.fetch_all("SELECT id, status::text, args FROM procrastinate_jobs ORDER BY id")
    assert [(j["id"], j["status"], j["args"]["request_id"]) for j in jobs_now] == [
        (first["job_ids"][0], "doing", "req-1"),
        (other["job_ids"][0], "todo", "req-3"),
        (third["job_ids"][0], "todo", "req-4"),
    ]


def test_a_turn_that_has_run_and_is_queued_again_is_not_joined(business):
    """A retry (the turn failed; it may fail for the last time) and a stalled turn handed to
    another worker (the first may still finish, and delete the job) have both started: a new
    message gets a turn of its own, with its own retries, behind that one."""
    (first,) = store([[inbound(business, 1)]])[0]
    job = first["job_ids"][0]
    with db.connection() as conn:
        assert fetch_job(conn) == job
        # procrastinate's own retry, as TurnRetry and the stalled-job recovery call it.
        conn.execute(
            "SELECT procrastinate_retry_job_v2(%s, now() + interval '1 minute', NULL, NULL, NULL)",
            (job,),
        )
    (second,) = store([[inbound(business, 2)]])[0]
    assert second["job_ids"] != [job]
    (third,) = store([[inbound(business, 3)]])[0]
    assert third["job_ids"] == second["job_ids"]  # the new turn has never run: it is joined
    rows = db.fetch_all("SELECT id, status::text, attempts FROM procrastinate_jobs ORDER BY id")
    assert [(r["id"], r["status"], r["attempts"]) for r in rows] == [
        (job, "todo", 1),
        (second["job_ids"][0], "todo", 0),
    ]
    # The first run finishes after all (a stalled worker that was only slow): it deletes its
    # job, and the new messages still have theirs.
    with db.connection() as conn:
        conn.execute("SELECT procrastinate_finish_job_v1(%s, 'succeeded', true)", (job,))
    remaining = db.fetch_all("SELECT id FROM procrastinate_jobs")
    assert [r["id"] for r in remaining] == second["job_ids"]


def test_a_worker_cannot_start_the_turn_a_message_joins_before_that_message_commits(business):
    """Otherwise the turn could read the customer's messages without the new one, which would
    then wait, unanswered, for their next message."""
    (first,) = store([[inbound(business, 1)]])[0]
    conninfo = db.pool().conninfo
    with (
        psycopg.connect(conninfo, row_factory=dict_row) as webhook,
        psycopg.connect(conninfo, autocommit=True, row_factory=dict_row) as worker,
    ):
        (receive,) = conversations.send_inbound(webhook, [[inbound(business, 2)]])
        assert receive()[0]["job_ids"] == first["job_ids"]  # joined, not yet committed
        assert fetch_job(worker) is None  # the queued turn is held for the message
        webhook.commit()
        assert fetch_job(worker) == first["job_ids"][0]
        pending = conversations.pending_inbound(first["customer_id"])
        assert [m["external_id"] for m in pending] == ["wamid.SI1", "wamid.SI2"]


def test_a_message_stored_while_a_worker_starts_the_turn_queues_the_next_one(business):
    """The worker's fetch has the queued turn locked: the statement waits for it and, the turn
    now started, queues another rather than join one that may have read its messages."""
    (first,) = store([[inbound(business, 1)]])[0]
    conninfo = db.pool().conninfo
    with psycopg.connect(conninfo, row_factory=dict_row) as worker:
        assert fetch_job(worker) == first["job_ids"][0]  # started, not yet committed
        outcome: list = []
        thread = threading.Thread(
            target=lambda: outcome.append(store([[inbound(business, 2)]])[0][0]), daemon=True
        )
        thread.start()
        _wait_for_a_lock_wait(conninfo)
        worker.commit()
    thread.join(DEADLINE)
    assert not thread.is_alive() and outcome
    assert outcome[0]["job_ids"] != first["job_ids"]
    assert (
        db.fetch_one(
            "SELECT status::text FROM procrastinate_jobs WHERE id = %s", outcome[0]["job_ids"]
        )["status"]
        == "todo"
    )


def _wait_for_a_lock_wait(conninfo: str) -> None:
    deadline = time.monotonic() + DEADLINE
    with psycopg.connect(conninfo, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.01)  # polling PostgreSQL's view: it has no event to wait on
    raise AssertionError("the statement never waited for the worker's lock")


def test_the_window_opens_at_the_latest_message_and_system_notices_do_not_open_it(business):
    now = datetime.now(UTC).replace(microsecond=0)
    early = inbound(business, 1, sent_at=now - timedelta(minutes=10))
    late = inbound(business, 2, sent_at=now - timedelta(minutes=2))
    notice = inbound(business, 3, sent_at=now, opens_window=False, needs_turn=False)
    store([[early, late, notice]])
    row = db.fetch_one("SELECT last_inbound_at FROM customers")
    assert row["last_inbound_at"] == now - timedelta(minutes=2)
    # A message written earlier, arriving later, keeps the window where it is.
    store([[inbound(business, 4, sent_at=now - timedelta(minutes=30))]])
    assert db.fetch_one("SELECT last_inbound_at FROM customers") == row
    # A clock ahead of ours opens it no later than now.
    store([[inbound(business, 5, sent_at=now + timedelta(hours=1))]])
    opened = db.fetch_one("SELECT last_inbound_at, now() AS now FROM customers")
    assert now <= opened["last_inbound_at"] <= opened["now"]


def test_an_erased_senders_old_message_is_not_stored_again(business):
    hashed = privacy.address_hash("key", "whatsapp", "34600000009")
    erased_at = datetime.now(UTC)
    db.execute(
        "INSERT INTO customers (business_id, channel, address, profile_name, erased_address,"
        " erased_at) VALUES (%s, 'whatsapp', 'erased:1', '', %s, %s)",
        (business, hashed, erased_at),
    )
    old = inbound(
        business, 1, "34600000009", address_hash=hashed, sent_at=erased_at - timedelta(hours=1)
    )
    assert store([[old]]) == [[None]]
    assert db.fetch_one("SELECT count(*) AS n FROM customers")["n"] == 1  # nobody created
    new = inbound(
        business, 2, "34600000009", address_hash=hashed, sent_at=erased_at + timedelta(seconds=5)
    )
    assert store([[old], [new]])[0] == [None]
    assert db.fetch_one("SELECT count(*) AS n FROM messages")["n"] == 1


@pytest.mark.parametrize("jobs_gone", [0, 1000])
def test_its_lookups_probe_indexes_whatever_the_table_was_when_planned(business, jobs_gone):
    """A plan is kept for as long as the connection prepared it: planned over a nearly empty
    table (a new deployment, or statistics not yet gathered), an anti-join would scan every
    message for every batch once the table has grown. Nor may a customer's queued turn be
    looked for among every queued job: once 1,000 jobs have come and gone (the table's files
    grown, its statistics never gathered), procrastinate's index of queueing locks, which
    holds only queued jobs, looked as cheap to read whole as the lock's index to probe."""
    rows = [inbound(business, i).row() for i in range(8)]
    with psycopg.connect(db.pool().conninfo, autocommit=True) as conn:
        if jobs_gone:
            conn.execute(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, args, status)"
                " SELECT 'default', 'handle_turn', 'gone:' || g, '{}', 'todo'"
                " FROM generate_series(1, %s) g",
                (jobs_gone,),
            )
            conn.execute("DELETE FROM procrastinate_jobs")
        plan = _generic_plan(conn, rows)
    assert "Seq Scan on messages" not in plan, plan
    assert "Seq Scan on customers" not in plan, plan
    assert "Seq Scan on procrastinate_jobs" not in plan, plan
    assert "messages_channel_external_id_key" in plan, plan
    # A customer's queued turn is found by its lock, not among every queued job: by the index
    # made for it (procrastinate's (id, lock) index would be read whole to find a lock).
    assert "Index Scan using procrastinate_jobs_queued_turn_idx" in plan, plan
    assert "Index Cond: (lock = " in plan, plan


def test_todo_is_the_first_job_status(business):
    """The lookup says `status <= 'todo'` for `status = 'todo'`: true while todo sorts first."""
    row = db.fetch_one("SELECT enum_first(NULL::procrastinate_job_status)::text AS first")
    assert row["first"] == "todo"


def test_only_the_index_made_for_it_can_serve_the_queued_turn_lookup(business):
    """Without that index the lookup has no index at all to use: none of procrastinate's
    (partial) indexes of queued jobs, which a plan made over an empty queue could read whole,
    nor the lock's index the queue's fetch uses, whatever their sizes on disk."""
    rows = [inbound(business, i).row() for i in range(8)]
    with psycopg.connect(db.pool().conninfo) as conn:  # a transaction, rolled back
        conn.execute("DROP INDEX procrastinate_jobs_queued_turn_idx")
        conn.execute("SET LOCAL enable_seqscan = off")  # any index would be taken over it
        plan = _generic_plan(conn, rows)
        conn.rollback()
    lookup = plan[plan.index("CTE waiting") : plan.index("CTE job")]
    assert "Seq Scan on procrastinate_jobs" in lookup, plan
    assert "Index" not in lookup.replace("Index Cond", ""), plan


def _generic_plan(conn: psycopg.Connection, rows: list[dict]) -> str:
    """EXPLAIN of the statement's generic plan (as a connection keeps it) for these rows."""
    conn.execute("SET plan_cache_mode = force_generic_plan")
    conn.execute(f"PREPARE store(jsonb, text, text) AS {_positional(conversations.STORE_INBOUND)}")
    explain = sql.SQL("EXPLAIN EXECUTE store({}, 'on', '1s')").format(sql.Literal(json.dumps(rows)))
    return "\n".join(r[0] for r in conn.execute(explain))


def _positional(sql: str) -> str:
    for i, name in enumerate(("rows", "quiet", "lock_timeout"), 1):
        sql = sql.replace(f"%({name})s", f"${i}")
    return sql


def behind_a_held_statement(business, requests: dict) -> tuple[list[int], dict]:
    """Send `requests` ({order: writes}) through a group commit whose first statement is held,
    so that they queue and go together; return the batch sizes sent and each one's outcome."""
    sent: list[int] = []
    gate, first_sent = threading.Event(), threading.Event()

    def send_together(conn, works, lock_timeout):
        sent.append(len(works))
        if len(sent) == 1:  # hold the first commit so that the others queue behind it
            first_sent.set()
            assert gate.wait(DEADLINE)
        return conversations.send_inbound(conn, works, lock_timeout)

    group = GroupCommit(32, send_together=send_together)
    group._pending = Watched()
    outcomes: dict = {}

    def request(i, writes):
        try:
            outcomes[i] = ("ok", group.run(writes, order=(i,), one_statement=True))
        except Exception as exc:  # noqa: BLE001 - the test reads what each caller got
            outcomes[i] = ("error", exc)

    def start(i, writes):
        thread = threading.Thread(target=request, args=(i, writes), daemon=True)
        thread.start()
        return thread

    threads = [start(0, [inbound(business, 0)])]
    assert first_sent.wait(DEADLINE)
    threads += [start(i, writes) for i, writes in requests.items()]
    group._pending.wait_len(len(requests))  # they queue up behind it
    gate.set()
    for t in threads:
        t.join(DEADLINE)
        assert not t.is_alive()
    assert outcomes.pop(0)[0] == "ok"
    return sent, outcomes


def test_a_group_commit_sends_a_batch_of_requests_as_one_statement(business):
    """Requests arriving during a commit share the next one, sent as one statement, and each
    caller gets its own deliveries' rows (the batch is sorted; the answers are not mixed)."""
    requests = {
        3: [inbound(business, 30, "34600000003"), inbound(business, 31, "34600000004")],
        1: [inbound(business, 10, "34600000001", needs_turn=False)],
        2: [inbound(business, 20, "34600000002")],
    }
    sent, outcomes = behind_a_held_statement(business, requests)
    assert sent == [1, 3]
    ids = {
        r["external_id"]: (r["id"], r["customer_id"])
        for r in db.fetch_all("SELECT id, customer_id, external_id FROM messages")
    }
    for i, writes in requests.items():
        kind, rows = outcomes[i]
        assert kind == "ok" and len(rows) == len(writes)
        for write, row in zip(writes, rows, strict=True):
            assert (row["id"], row["customer_id"]) == ids[write.delivery.external_id]
            assert bool(row["job_ids"]) == write.delivery.needs_turn


def test_a_request_refused_in_a_shared_statement_fails_alone(business):
    """A request the database refuses (a NUL character in its text) fails alone: the batch
    is rolled back and each request commits on its own."""
    sent, outcomes = behind_a_held_statement(
        business,
        {
            1: [inbound(business, 1, "34600000001"), inbound(business, 2, "34600000002")],
            2: [inbound(business, 3, "34600000003", body="bad \x00 text")],
            3: [inbound(business, 4, "34600000001")],
        },
    )
    assert sent[:2] == [1, 3]  # the held one, then the three queued requests together
    assert sent[2:] == [1, 1, 1]  # refused as a batch, then each alone
    assert outcomes[3][0] == "ok"
    kind, result = outcomes[1]
    assert kind == "ok" and len(result) == 2 and all(r["id"] for r in result)
    kind, error = outcomes[2]
    assert kind == "error" and isinstance(error, psycopg.Error)
    stored = {r["external_id"] for r in db.fetch_all("SELECT external_id FROM messages")}
    assert stored == {"wamid.SI0", "wamid.SI1", "wamid.SI2", "wamid.SI4"}


def test_the_statement_is_short_enough_for_psycopg_to_cache_its_parsing():
    """psycopg parses a statement's placeholders once only when it is at most 4 KB long; the
    statement's comments and indentation are not sent (over 4 KB they cost ~40 µs a call)."""
    sent = conversations.STORE_INBOUND.encode()
    assert len(sent) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH
    assert b"--" not in sent and b"\n " not in sent


def test_a_batch_gives_up_on_a_customer_locked_for_long(business):
    """A batch's statement waits at most BATCH_LOCK_TIMEOUT for a row lock (it is sent
    autocommitted, the timeout set inside it): refused, each request runs alone in its own
    thread, so one whose customer is not locked commits while the other customer's row is
    still held, even when the held one is sorted before it."""
    store([[inbound(business, 1, "34600000009")]])  # the customer whose row will be held
    locked = threading.Event()
    seen_while_held: list[bool] = []

    def hold_the_customer():
        with psycopg.connect(db.pool().conninfo) as conn:  # a transaction, held open
            conn.execute("SELECT id FROM customers WHERE address = '34600000009' FOR UPDATE")
            locked.set()
            deadline = time.monotonic() + DEADLINE
            while time.monotonic() < deadline:  # until the other request's message commits
                row = conn.execute(
                    "SELECT count(*) FROM messages WHERE external_id = 'wamid.SI3'"
                ).fetchone()
                if row[0]:
                    break
                time.sleep(0.05)  # another session's commit: nothing to wait on but its row
            seen_while_held.append(bool(row[0]))

    holder = threading.Thread(target=hold_the_customer, daemon=True)
    holder.start()
    assert locked.wait(DEADLINE)
    sent, outcomes = behind_a_held_statement(
        business,
        {
            1: [inbound(business, 2, "34600000009")],  # the held customer, ordered first
            2: [inbound(business, 3, "34600000002")],  # not held up behind it
        },
    )
    holder.join(DEADLINE)
    assert seen_while_held == [True]
    assert sent == [1, 2, 1, 1]  # the held first one, the batch refused, then each alone
    assert all(kind == "ok" for kind, _ in outcomes.values())


def test_a_batchs_lock_timeout_ends_with_its_statement(business):
    """The timeout is set for the statement's own transaction: it gives up on a held row, and
    the pooled connection it ran on keeps its session's setting for whatever it runs next."""
    store([[inbound(business, 1)]])
    with psycopg.connect(db.pool().conninfo) as holder, db.connection() as conn:
        holder.execute("SELECT id FROM customers WHERE address = '34600000001' FOR UPDATE")
        assert conn.execute("SHOW lock_timeout").fetchone()["lock_timeout"] == "0"
        with pytest.raises(psycopg.errors.LockNotAvailable):
            conversations.send_inbound(conn, [[inbound(business, 2)]], "1s")
        assert conn.execute("SHOW lock_timeout").fetchone()["lock_timeout"] == "0"
        holder.rollback()
        (receive,) = conversations.send_inbound(conn, [[inbound(business, 3)]], "1s")
        assert receive()[0]["id"]
        assert conn.execute("SHOW lock_timeout").fetchone()["lock_timeout"] == "0"


def test_a_lone_request_is_sent_without_a_lock_timeout(business):
    """Only a batch gives up on a row lock; a request alone waits for it, as its own
    transaction always did (a refused batch's requests run again this way)."""
    timeouts: list = []

    def send_together(conn, works, lock_timeout):
        timeouts.append(lock_timeout)
        return conversations.send_inbound(conn, works, lock_timeout)

    group = GroupCommit(32, send_together=send_together)
    assert group.run([inbound(business, 1)], one_statement=True)[0]["id"]
    assert group.run([inbound(business, 2)], one_statement=False)[0]["id"]
    assert timeouts == [None, None]

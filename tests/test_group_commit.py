"""Group commit (app/storage/group_commit.py): works that arrive while a commit runs share the
next one; each caller returns only after its own work is committed; one work's failure is only
its own caller's."""

from __future__ import annotations

import logging
import threading

import psycopg
import pytest

from app import jobs
from app.storage import businesses, conversations, db
from app.storage.group_commit import GroupCommit

DEADLINE = 30.0


class Watched(list):
    """The pending list, telling the test each time a caller joins it."""

    def __init__(self):
        super().__init__()
        self.changed = threading.Condition()

    def append(self, item):
        with self.changed:
            super().append(item)
            self.changed.notify_all()

    def wait_len(self, n: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self) >= n, DEADLINE), len(self)


@pytest.fixture
def business(pool):
    business_id, _ = businesses.seed_demo("123456123")
    return business_id


def delivery(i: int, address: str | None = None) -> conversations.Delivery:
    return conversations.Delivery(
        channel="whatsapp",
        address=address or f"34600{i:06d}",
        profile_name=f"Customer {i}",
        external_id=f"wamid.GC{i}",
        kind="text",
        type="text",
        body=f"hello {i}",
        payload={},
        sent_at=None,
        needs_turn=True,
    )


def store(business_id: int, i: int, address: str | None = None):
    """A webhook's work: store delivery `i` and queue its turn."""
    job = jobs.turn_job(business_id, None, notify=False)

    def send(conn):
        return conversations.send_inbound(conn, business_id, delivery(i, address), None, job)

    return send


def refused(conn):
    """A work the database refuses (division by zero, SQLSTATE 22012)."""
    cursor = conn.execute("SELECT 1 / 0")
    return cursor.fetchone


def counts() -> tuple[int, int]:
    row = db.fetch_one(
        "SELECT (SELECT count(*) FROM messages) AS messages,"
        " (SELECT count(*) FROM procrastinate_jobs) AS jobs"
    )
    return row["messages"], row["jobs"]


def run_in_threads(calls) -> tuple[list[threading.Thread], dict]:
    """Start one thread per call; outcomes[i] is ("ok", result) or ("error", exception)."""
    outcomes: dict = {}

    def target(i, call):
        try:
            outcomes[i] = ("ok", call())
        except Exception as exc:
            outcomes[i] = ("error", exc)

    threads = [threading.Thread(target=target, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    return threads, outcomes


def held_leader(group: GroupCommit, business_id: int):
    """A first caller whose commit waits on a gate, so that others queue behind it."""
    gate, started = threading.Event(), threading.Event()
    inner = store(business_id, 0)

    def send(conn):
        started.set()
        assert gate.wait(DEADLINE)
        return inner(conn)

    threads, outcomes = run_in_threads([lambda: group.run(send, one_statement=True)])
    assert started.wait(DEADLINE)
    return gate, threads, outcomes


def test_a_lone_work_commits_at_once_and_is_visible_when_run_returns(business):
    group = GroupCommit(32)
    row = group.run(store(business, 1), order=(business,), one_statement=True)
    assert row["id"] and row["job_ids"]
    with psycopg.connect(db.pool().conninfo) as other:  # another session sees it committed
        assert other.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    assert (group.commits, group.committed) == (1, 1)


def test_works_arriving_during_a_commit_share_the_next_one(business):
    group = GroupCommit(32)
    group._pending = Watched()
    gate, leader, leader_out = held_leader(group, business)
    followers, outcomes = run_in_threads(
        [lambda i=i: group.run(store(business, i), one_statement=True) for i in range(1, 7)]
    )
    group._pending.wait_len(6)  # all six are waiting behind the held commit
    assert counts() == (0, 0)  # and nothing of theirs is committed yet
    gate.set()
    for t in leader + followers:
        t.join(DEADLINE)
    assert leader_out[0][0] == "ok" and all(kind == "ok" for kind, _ in outcomes.values())
    assert len({result["id"] for _, result in outcomes.values()}) == 6
    # The leader's commit, then one commit for the six that waited.
    assert (group.commits, group.committed) == (2, 7)
    assert counts() == (7, 7)


def test_a_redelivery_in_the_same_batch_is_stored_once(business):
    group = GroupCommit(32)
    group._pending = Watched()
    gate, leader, _ = held_leader(group, business)
    threads, outcomes = run_in_threads(
        [lambda: group.run(store(business, 5), one_statement=True) for _ in range(4)]
    )
    group._pending.wait_len(4)
    gate.set()
    for t in leader + threads:
        t.join(DEADLINE)
    results = [result for kind, result in outcomes.values() if kind == "ok"]
    assert len(results) == 4
    assert sum(1 for r in results if r) == 1  # one stored, three duplicates (None)
    assert counts() == (2, 2)  # the leader's message and this one, each with one job


def test_a_refused_work_fails_only_its_own_caller(business, caplog):
    caplog.set_level(logging.INFO, logger="app.storage.group_commit")
    group = GroupCommit(32)
    group._pending = Watched()
    gate, leader, _ = held_leader(group, business)
    calls = [lambda i=i: group.run(store(business, i)) for i in range(1, 4)]
    calls.append(lambda: group.run(refused))
    threads, outcomes = run_in_threads(calls)
    group._pending.wait_len(4)
    gate.set()
    for t in leader + threads:
        t.join(DEADLINE)
    assert [outcomes[i][0] for i in range(3)] == ["ok", "ok", "ok"]
    kind, error = outcomes[3]
    assert kind == "error" and isinstance(error, psycopg.errors.DivisionByZero)
    assert counts() == (4, 4)  # the three others committed, each in its own transaction
    assert "committing one by one" in caplog.text


def test_a_lost_connection_is_every_callers_error_without_retries(business):
    group = GroupCommit(32)
    group._pending = Watched()
    gate, leader, _ = held_leader(group, business)
    runs = []

    def send_then_lose(i):
        inner = store(business, i)

        def send(conn):
            runs.append(i)
            inner(conn)
            raise psycopg.OperationalError("server closed the connection unexpectedly")

        return send

    threads, outcomes = run_in_threads(
        [lambda i=i: group.run(send_then_lose(i)) for i in range(1, 4)]
    )
    group._pending.wait_len(3)
    gate.set()
    for t in leader + threads:
        t.join(DEADLINE)
    assert all(kind == "error" for kind, _ in outcomes.values()) and len(outcomes) == 3
    assert len(runs) == 1  # the batch stopped at the first; nothing ran again one by one
    assert counts() == (1, 1)  # only the leader's own, committed before


def test_a_caller_not_started_within_its_wait_is_withdrawn(business):
    group = GroupCommit(32, wait=0.2)
    group._pending = Watched()
    gate, leader, _ = held_leader(group, business)
    ran = threading.Event()
    inner = store(business, 9)

    def send(conn):
        ran.set()
        return inner(conn)

    with pytest.raises(TimeoutError):
        group.run(send)  # waits 0.2 s behind the held commit, then gives up
    assert group._pending == []
    gate.set()
    for t in leader:
        t.join(DEADLINE)
    assert not ran.is_set() and counts() == (1, 1)
    # The group is free again: the next caller leads at once.
    assert group.run(store(business, 10), one_statement=True)["id"]


def test_a_batch_takes_its_row_locks_in_order(business):
    """Two processes' batches lock customers in the same order, so they cannot deadlock."""
    group = GroupCommit(32)
    group._pending = Watched()
    gate, leader, _ = held_leader(group, business)
    addresses = ["34699000003", "34699000001", "34699000002"]
    order_seen = []

    def store_noting(i, address):
        inner = store(business, 100 + i, address)

        def send(conn):
            order_seen.append(address)
            return inner(conn)

        return send

    threads, outcomes = run_in_threads(
        [
            lambda i=i, a=a: group.run(store_noting(i, a), order=(business, "whatsapp", a))
            for i, a in enumerate(addresses)
        ]
    )
    group._pending.wait_len(3)
    gate.set()
    for t in leader + threads:
        t.join(DEADLINE)
    assert order_seen == sorted(addresses)
    assert all(kind == "ok" for kind, _ in outcomes.values())


def test_off_and_inside_a_transaction_the_work_runs_in_the_callers_transaction(business):
    off = GroupCommit(1)
    assert off.run(store(business, 1))["id"]
    assert (off.commits, counts()) == (0, (1, 1))
    group = GroupCommit(32)
    with pytest.raises(RuntimeError), db.transaction():
        group.run(store(business, 2))
        raise RuntimeError("roll the caller's transaction back")
    assert counts() == (1, 1)  # the work rolled back with the transaction it joined

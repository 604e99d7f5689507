"""Group commit (app/storage/group_commit.py): works that arrive while a commit runs share the
next one; each caller returns only after its own work is committed; one work's failure is only
its own caller's."""

from __future__ import annotations

import logging
import threading

import psycopg
import psycopg_pool
import pytest
from psycopg.pq import TransactionStatus

from app import jobs
from app.logs import request_id_var
from app.storage import businesses, conversations, db
from app.storage.group_commit import BatchFailed, CommitWaitTimeout, GroupCommit

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
        (receive,) = conversations.send_inbound(
            conn, [[conversations.Inbound(business_id, delivery(i, address), None, job)]]
        )
        return lambda: receive()[0]

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
        except BaseException as exc:  # noqa: BLE001 - the test reads what each caller got
            outcomes[i] = ("error", exc)

    threads = [
        threading.Thread(target=target, args=(i, c), daemon=True) for i, c in enumerate(calls)
    ]
    for t in threads:
        t.start()
    return threads, outcomes


def join(threads) -> None:
    for t in threads:
        t.join(DEADLINE)
        assert not t.is_alive(), "a caller is still waiting"


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


def behind_a_held_commit(group: GroupCommit, business_id: int, calls) -> dict:
    """Run `calls` in threads while a first commit is held open, so that they all queue and
    form the next batch; return their outcomes once every thread has finished."""
    group._pending = Watched()
    gate, leader, _ = held_leader(group, business_id)
    threads, outcomes = run_in_threads(calls)
    group._pending.wait_len(len(calls))
    gate.set()
    join(leader + threads)
    assert len(outcomes) == len(calls)
    return outcomes


def counting(send, runs: list):
    """`send`, noting each time it runs."""

    def wrapped(conn):
        runs.append(1)
        return send(conn)

    return wrapped


def test_a_lone_work_is_one_autocommitted_statement_visible_when_run_returns(business):
    sizes: list[int] = []
    group = GroupCommit(32, on_commit=sizes.append)
    seen = []

    def send(conn):
        seen.append(conn.info.transaction_status)  # no BEGIN sent before it
        return store(business, 1)(conn)

    row = group.run(send, order=(business,), one_statement=True)
    assert row["id"] and row["job_ids"]
    assert seen == [TransactionStatus.IDLE]
    with psycopg.connect(db.pool().conninfo) as other:  # another session sees it committed
        assert other.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    assert sizes == [1]


def test_works_arriving_during_a_commit_share_the_next_one(business):
    sizes: list[int] = []
    group = GroupCommit(32, on_commit=sizes.append)
    group._pending = Watched()
    gate, leader, leader_out = held_leader(group, business)
    followers, outcomes = run_in_threads(
        [lambda i=i: group.run(store(business, i), one_statement=True) for i in range(1, 7)]
    )
    group._pending.wait_len(6)  # all six are waiting behind the held commit
    assert counts() == (0, 0)  # and nothing of theirs is committed yet
    gate.set()
    join(leader + followers)
    assert leader_out[0][0] == "ok" and len(outcomes) == 6
    assert all(kind == "ok" and result["job_ids"] for kind, result in outcomes.values())
    assert len({result["id"] for _, result in outcomes.values()}) == 6
    # The leader's commit, then one commit for the six that waited (what the webhook's
    # webhook_commit_deliveries histogram observes).
    assert sizes == [1, 6]
    assert counts() == (7, 7)


def test_a_redelivery_in_the_same_batch_is_stored_once(business):
    sizes: list[int] = []
    group = GroupCommit(32, on_commit=sizes.append)
    outcomes = behind_a_held_commit(
        group,
        business,
        [lambda: group.run(store(business, 5), one_statement=True) for _ in range(4)],
    )
    results = [result for kind, result in outcomes.values() if kind == "ok"]
    assert len(results) == 4
    assert sum(1 for r in results if r) == 1  # one stored, three duplicates (None)
    assert sizes == [1, 4]  # the four shared one commit
    assert counts() == (2, 2)  # the leader's message and this one, each with one job


def test_a_refused_work_fails_only_its_own_caller(business, caplog):
    caplog.set_level(logging.INFO)
    group = GroupCommit(32)
    runs: list = []
    calls = [
        lambda: group.run(counting(store(business, 1), runs), order=(1,)),
        lambda: group.run(refused, order=(2,)),  # in the middle of the batch
        lambda: group.run(counting(store(business, 3), runs), order=(3,)),
    ]
    outcomes = behind_a_held_commit(group, business, calls)
    for i in (0, 2):  # stored and queued, not taken for duplicates of a rolled-back first try
        kind, row = outcomes[i]
        assert kind == "ok" and row["id"] and row["job_ids"]
    kind, error = outcomes[1]
    assert kind == "error" and isinstance(error, psycopg.errors.DivisionByZero)
    assert len(runs) == 4  # each ran in the refused batch, then again alone
    assert counts() == (3, 3)
    assert "each commits alone" in caplog.text
    assert "rolling back returned connection" not in caplog.text  # the pool got them clean
    assert group.run(store(business, 4), one_statement=True)["id"]


def test_a_refused_batchs_callers_run_alone_so_a_held_row_holds_up_only_its_own(business):
    """A batch that gives up on a row lock (BATCH_LOCK_TIMEOUT) is refused, and each of its
    callers runs its work again in its own thread: the one whose customer stays locked waits
    alone, while the other caller of its batch, and a caller arriving after, commit meanwhile.
    Each runs its work in its own context (its request id), in the batch and alone."""
    sizes: list[int] = []
    group = GroupCommit(32, on_commit=sizes.append)
    held = "34699000001"
    seen: list[tuple[str, str]] = []  # (whose work, the request id it ran under)

    def as_request(rid: str, i: int, address: str | None = None):
        inner = store(business, i, address)

        def send(conn):
            seen.append((rid, request_id_var.get()))
            return inner(conn)

        def call():
            request_id_var.set(rid)  # this caller's thread's context
            return group.run(send, order=(i,))

        return call

    group.run(store(business, 1, held), one_statement=True)  # the customer whose row is held
    with psycopg.connect(db.pool().conninfo) as holder:  # a transaction, held open
        holder.execute("SELECT id FROM customers WHERE address = %s FOR UPDATE", (held,))
        group._pending = Watched()
        gate, leader, _ = held_leader(group, business)
        threads, outcomes = run_in_threads(
            [as_request("held", 2, held), as_request("other", 3)]  # the held one sorted first
        )
        group._pending.wait_len(2)
        gate.set()
        join(leader + threads[1:])  # while the row is still held
        assert outcomes[1][0] == "ok" and outcomes[1][1]["id"]
        assert group.run(store(business, 4), one_statement=True)["id"]  # nothing waits behind
        assert threads[0].is_alive()  # the held customer's caller waits for the row alone
        # The first store, the held leader, the other caller alone, the late caller (the
        # refused batch of two is no commit).
        assert sizes == [1, 1, 1, 1]
        holder.rollback()
    join(threads)
    assert outcomes[0][0] == "ok" and outcomes[0][1]["id"]
    assert sizes == [1, 1, 1, 1, 1]
    # Each ran twice (in the refused batch, then alone), under its own caller's request id.
    assert sorted(seen) == [("held", "held")] * 2 + [("other", "other")] * 2
    assert counts() == (5, 4)  # the held customer's second message joined their queued turn


def test_a_work_of_two_statements_stays_whole_when_its_batch_is_refused(business):
    group = GroupCommit(32)

    def two_then_refused(conn):
        store(business, 10)(conn)
        return refused(conn)

    outcomes = behind_a_held_commit(
        group,
        business,
        [lambda: group.run(two_then_refused), lambda: group.run(store(business, 11))],
    )
    assert outcomes[0][0] == "error" and outcomes[1][0] == "ok"
    stored = {r["external_id"] for r in db.fetch_all("SELECT external_id FROM messages")}
    assert stored == {"wamid.GC0", "wamid.GC11"}  # not the first statement of the refused work


def test_an_error_reading_results_after_the_commit_reruns_nothing(business):
    group = GroupCommit(32)
    runs: list = []

    def unreadable(conn):
        runs.append(1)
        store(business, 21)(conn)

        def receive():
            raise ValueError("cannot read this result")

        return receive

    outcomes = behind_a_held_commit(
        group,
        business,
        [
            lambda: group.run(counting(store(business, 20), runs), order=(1,)),
            lambda: group.run(unreadable, order=(2,)),
            lambda: group.run(counting(store(business, 22), runs), order=(3,)),
        ],
    )
    assert len(runs) == 3  # committed once; nothing ran again
    assert outcomes[0][1]["job_ids"] and outcomes[2][1]["job_ids"]
    assert outcomes[1][0] == "error" and isinstance(outcomes[1][1], ValueError)
    assert counts() == (4, 4)


def test_a_lost_connection_is_every_callers_error_without_retries(business):
    group = GroupCommit(32)
    runs: list = []

    def terminate(conn):  # the server ends the batch's session in the middle of it
        runs.append(1)
        return conn.execute("SELECT pg_terminate_backend(pg_backend_pid())").fetchone

    outcomes = behind_a_held_commit(
        group,
        business,
        [
            lambda: group.run(counting(store(business, 1), runs), order=(1,)),
            lambda: group.run(terminate, order=(2,)),
            lambda: group.run(counting(store(business, 3), runs), order=(3,)),
        ],
    )
    assert len(outcomes) == 3
    for kind, error in outcomes.values():
        assert kind == "error" and isinstance(error, BatchFailed)
        assert isinstance(error.__cause__, psycopg.OperationalError)
    assert len({id(error) for _, error in outcomes.values()}) == 3  # one exception each
    assert len(runs) == 3  # nothing ran again one by one
    assert counts() == (1, 1)  # only the leader's own, committed before
    assert group.run(store(business, 4), one_statement=True)["id"]  # the pool has recovered


def test_an_unreachable_database_fails_every_caller_once(business, monkeypatch):
    group = GroupCommit(32)
    group._pending = Watched()
    gate, leader, _ = held_leader(group, business)
    runs: list = []
    threads, outcomes = run_in_threads(
        [lambda i=i: group.run(counting(store(business, i), runs)) for i in range(1, 4)]
    )
    group._pending.wait_len(3)
    # From now on the database cannot be reached (nothing listens on port 1).
    away = psycopg_pool.ConnectionPool(
        "postgresql://postgres@127.0.0.1:1/none", min_size=0, max_size=1, timeout=0.2, open=True
    )
    monkeypatch.setattr(db, "pool", lambda: away)
    gate.set()
    join(leader + threads)
    monkeypatch.undo()
    away.close()
    assert runs == []  # no work ran: the batch never had a connection, and none was retried
    assert len(outcomes) == 3
    for kind, error in outcomes.values():
        assert kind == "error" and isinstance(error, BatchFailed)
        assert isinstance(error.__cause__, psycopg_pool.PoolTimeout)
    assert counts() == (1, 1)


def test_a_base_exception_in_a_batch_leaves_nobody_waiting(business):
    class Leaving(BaseException):  # as SystemExit or KeyboardInterrupt would
        pass

    def leave(conn):
        raise Leaving()

    group = GroupCommit(32)
    outcomes = behind_a_held_commit(
        group,
        business,
        [
            lambda: group.run(leave, order=(1,)),
            lambda: group.run(store(business, 2), order=(2,)),
        ],
    )
    # The caller committing the batch (either) sees it; the other is failed, not left waiting.
    errors = sorted(type(error).__name__ for _, error in outcomes.values())
    assert errors == ["BatchFailed", "Leaving"]
    # Nobody is left leading or waiting: the next caller commits at once.
    assert group.run(store(business, 3), one_statement=True)["id"]
    assert (group._busy, group._pending) == (False, [])
    assert counts() == (2, 2)  # the held leader's and the last; nothing of the batch


def test_a_caller_leaving_as_it_is_handed_the_lead_passes_it_on(business):
    """A caller interrupted while it waits (here: just as it is told to commit the next batch)
    takes its work back and hands the lead to the next caller, so nobody is left waiting."""

    class Leaving(BaseException):
        pass

    class Interrupted(GroupCommit):
        def _await(self, me):
            super()._await(me)
            if me.work is first_send:
                raise Leaving()  # as a signal arriving in the waiting thread would

    group = Interrupted(32)
    group._pending = Watched()
    gate, leader, _ = held_leader(group, business)
    runs: list = []
    first_send = counting(store(business, 1), runs)
    first, first_out = run_in_threads([lambda: group.run(first_send)])
    group._pending.wait_len(1)
    second, second_out = run_in_threads([lambda: group.run(counting(store(business, 2), runs))])
    group._pending.wait_len(2)
    gate.set()
    join(leader + first + second)
    assert isinstance(first_out[0][1], Leaving)
    assert second_out[0][0] == "ok" and second_out[0][1]["job_ids"]
    assert len(runs) == 1  # only the second caller's work ran: the first took its own back
    assert (group._busy, group._pending) == (False, [])
    assert counts() == (2, 2)


def test_a_caller_not_started_within_its_wait_is_withdrawn(business):
    group = GroupCommit(32, wait=0.2)
    group._pending = Watched()
    gate, leader, _ = held_leader(group, business)
    runs: list = []

    with pytest.raises(CommitWaitTimeout):
        group.run(counting(store(business, 9), runs))  # waits 0.2 s behind the held commit
    assert group._pending == []
    gate.set()
    join(leader)
    assert runs == [] and counts() == (1, 1)
    # The group is free again: the next caller leads at once.
    assert group.run(store(business, 10), one_statement=True)["id"]


def test_a_batch_takes_its_row_locks_in_order(business):
    """Batches of two processes lock customers in the same order (requests of one customer)."""
    group = GroupCommit(32)
    addresses = ["34699000003", "34699000001", "34699000002"]
    order_seen = []

    def store_noting(i, address):
        inner = store(business, 100 + i, address)

        def send(conn):
            order_seen.append(address)
            return inner(conn)

        return send

    outcomes = behind_a_held_commit(
        group,
        business,
        [
            lambda i=i, a=a: group.run(store_noting(i, a), order=(business, "whatsapp", a))
            for i, a in enumerate(addresses)
        ],
    )
    assert order_seen == sorted(addresses)
    assert len(outcomes) == 3 and all(kind == "ok" for kind, _ in outcomes.values())


def test_with_a_batch_of_one_each_work_commits_on_its_own(business):
    sizes: list[int] = []
    off = GroupCommit(1, on_commit=sizes.append)
    seen = []

    def noting(i):
        inner = store(business, i)

        def send(conn):
            seen.append(conn.info.transaction_status)
            return inner(conn)

        return send

    assert off.run(noting(1), one_statement=True)["id"]  # autocommitted, as before
    assert off.run(noting(2))["id"]  # a work of unknown size gets a transaction
    assert seen == [TransactionStatus.IDLE, TransactionStatus.INTRANS]
    assert (sizes, counts()) == ([], (2, 2))  # no group commit ran


def test_inside_a_transaction_the_work_joins_it(business):
    group = GroupCommit(32)
    with pytest.raises(RuntimeError), db.transaction():
        group.run(store(business, 2), one_statement=True)
        raise RuntimeError("roll the caller's transaction back")
    assert counts() == (0, 0)  # the work rolled back with the transaction it joined

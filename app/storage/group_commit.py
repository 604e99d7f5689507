"""Group commit: many threads' writes share one transaction, and each thread returns only once
the commit that holds its write is durable.

A web process stores each delivery before it answers Meta. One commit per delivery means one
WAL flush per delivery and, at saturation, a dozen sessions contending in PostgreSQL for the
same pages. Here the callers commit for each other: a caller that finds no commit under way
commits at once; callers that arrive meanwhile wait, and when that commit ends the first of
them commits all the waiting ones in one transaction, sent as one pipeline (BEGIN, their
statements, COMMIT: one round trip, one WAL flush, one session), or, when the works are data
sent together as one statement, as that statement alone (its own transaction). There is no
thread of its own, so a forked gunicorn worker needs nothing started. See
docs/PERFORMANCE.md, sections 10, 11 and 13.

A work is two steps: `send(conn)` issues its statements (without reading their results) and
returns `receive()`, which reads them once they have run. It runs in its caller's context
(contextvars: the request id in logs), on the committing caller's thread. Works can instead be
data that one function sends together (`send_together`): the webhook's deliveries, a batch of
them sent as one statement. The guarantees stay those of a transaction per caller:
- a caller's statements are all committed or none of them, and `run` returns after the commit;
- when the database refuses one of a batch's statements (a bad row, a deadlock, a row lock
  held longer than `BATCH_LOCK_TIMEOUT`), the batch is rolled back and each of its callers
  runs its work again alone, in its own thread and transaction, so one caller's failure (or
  long wait for a row lock) is that caller's only, and the next batch goes meanwhile;
- a lost connection or an unreachable database is every waiting caller's error (`BatchFailed`),
  as it would be with a transaction each (their senders retry; dedup makes that safe); during
  a refused batch's lone runs, each caller gets its own (psycopg's, or the pool's timeout);
- a caller whose work has not started within `wait` seconds is withdrawn (`CommitWaitTimeout`):
  its work never runs.
A work may therefore run twice (its first run rolled back, never after a commit): it must only
write through the connection it is given.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import psycopg
import psycopg_pool
from psycopg.pq import TransactionStatus

from app.storage import db

log = logging.getLogger(__name__)

# A work of its own: sends its statements, returns its `receive`.
Send = Callable[[psycopg.Connection], Callable[[], Any]]
# Sends several works at once as one statement, with a lock timeout for it (or None): a
# `receive` for each, in their order.
SendTogether = Callable[[psycopg.Connection, list, str | None], list[Callable[[], Any]]]
# A batch of several callers gives up on a row lock after this long: it is then refused and
# each caller runs its work again alone, in its own thread (without this timeout, as a
# transaction of its own always waited), so one customer's long lock (an erasure in progress)
# holds up the whole batch for a second, then that customer's request alone
# (docs/PERFORMANCE.md, sections 13 and 16).
BATCH_LOCK_TIMEOUT = "1s"


class BatchFailed(psycopg.OperationalError):
    """The shared transaction failed for a reason no single work caused (the connection, the
    database): each caller in it gets its own, chained to the cause."""


class CommitWaitTimeout(TimeoutError):
    """The caller's work did not start within `wait` seconds; it was withdrawn and never runs."""


class _Lost(Exception):
    """Raised from the database error that lost the connection (the cause)."""


def _lost_state(exc: BaseException) -> bool:
    """Errors of the server that no statement caused: connection (08), out of resources (53),
    shutdown (57P0x), system (58). (The pool's own, at checkout, are caught in `_run`.)"""
    state = getattr(exc, "sqlstate", None) or ""
    return state[:2] in ("08", "53", "58") or state.startswith("57P")


class _Waiter:
    """One caller's work, and what became of it."""

    __slots__ = (
        "order",
        "work",
        "one_statement",
        "context",
        "done",
        "finished",
        "lead",
        "alone",
        "result",
        "error",
    )

    def __init__(self, order: tuple, work: Any, one_statement: bool):
        self.order = order
        self.work = work
        self.one_statement = one_statement
        self.context = contextvars.copy_context()
        # Held until the work is done, or the caller is to lead or to run it alone: a lock
        # released once, cheaper to wait on than an Event (no Condition, no Python-level
        # waiter list).
        self.done = threading.Lock()
        self.done.acquire()
        self.finished = False
        self.lead = False  # set (with `done` released) when this caller is to commit the next batch
        self.alone = False  # set (with `done` released) when its batch was refused: run it alone
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        if not self.finished:
            self.finished = True
            self.result, self.error = result, error
            self.done.release()

    def refuse(self) -> None:
        """Its batch was refused: its caller is to run the work again, on its own."""
        if not self.finished:
            self.finished = self.alone = True
            self.done.release()


def _failed(cause: BaseException) -> BatchFailed:
    error = BatchFailed(f"the shared commit failed: {cause!r}")
    error.__cause__ = cause
    return error


class GroupCommit:
    """Runs works in shared transactions, committed by the callers themselves.

    `max_batch` caps how many works share a transaction; 1 runs each work on its own (a
    one-statement work autocommitted, others in a transaction), as before group commit.
    `order` sorts a batch: callers pass the key of the rows they lock (the smallest, if
    several), so that two processes' batches take row locks in the same order.
    `on_commit` is told how many works each commit carried (a refused batch's work run again
    alone is a commit of one), from whichever caller's thread committed: it must be
    thread-safe. A refused batch is told nothing (it is logged).
    `send_together(conn, works, lock_timeout)`, when given, sends a batch's works (then plain
    data) as one statement, in the committing caller's context, and returns a `receive` for
    each; that statement is sent autocommitted (it is the transaction), and sets
    `lock_timeout` (None for a lone work) for itself. Without it each work is a `send(conn)` of
    its own.
    """

    def __init__(
        self,
        max_batch: int = 32,
        wait: float = 10.0,
        on_commit: Callable[[int], None] | None = None,
        send_together: SendTogether | None = None,
    ):
        self.send_together = send_together
        self.max_batch = max(1, int(max_batch))
        self.wait = wait
        self.on_commit = on_commit
        self._lock = threading.Lock()
        self._pending: list[_Waiter] = []
        self._busy = False  # a caller is committing a batch, or has been handed the next one

    def run(self, work: Send | Any, order: tuple = (), one_statement: bool = False) -> Any:
        """Run a work in a transaction; return what its `receive()` read, once committed.

        `one_statement`: the work is sent as a single statement, so when it commits alone it
        is sent without BEGIN and COMMIT (a statement is its own transaction), the cheapest way.
        """
        if self.max_batch == 1 or db.current_conn.get() is not None:
            # Off, or inside a transaction already: both join an enclosing transaction.
            return self._on_its_own(work, one_statement)
        me = _Waiter(order, work, one_statement)
        with self._lock:
            self._pending.append(me)
            me.lead = not self._busy
            self._busy = True
        try:
            if not me.lead:
                self._await(me)
            if me.lead:
                self._lead()
        except BaseException:
            self._abandon(me)
            raise
        if me.alone:
            return self._run_alone(me)
        if me.error is not None:
            raise me.error
        return me.result

    def _run_alone(self, me: _Waiter) -> Any:
        """A refused batch's work, run again in its caller's thread without the batch's lock
        timeout. Its errors are its caller's alone, as with a transaction each."""
        result = self._on_its_own(me.work, me.one_statement)
        self._committed(1)
        return result

    def _on_its_own(self, work: Send | Any, one_statement: bool) -> Any:
        """Run one work in the caller's thread: in the enclosing transaction if there is one;
        else a one-statement work autocommitted, another in a transaction of its own."""
        with db.connection() if one_statement else db.transaction() as conn:
            return self._send(conn, [work])[0]()

    def _await(self, me: _Waiter) -> None:
        if me.done.acquire(timeout=self.wait):
            return
        with self._lock:
            if not me.lead and me in self._pending:
                self._pending.remove(me)  # not started: it never will be
                raise CommitWaitTimeout(f"no commit started within {self.wait} s")
        me.done.acquire()  # its batch is being committed, or it has just been handed the lead

    def _abandon(self, me: _Waiter) -> None:
        """The caller is leaving early (an exception while it waited): take its work back, and
        pass the lead on if it had been handed it, so that nobody waits for it."""
        with self._lock:
            if me in self._pending:
                self._pending.remove(me)
                if me.lead:
                    self._hand_on()

    def _hand_on(self) -> None:
        """With `_lock` held: the first waiting caller commits the next batch, or none waits."""
        if self._pending:
            nxt = self._pending[0]
            nxt.lead = True
            nxt.done.release()
        else:
            self._busy = False

    def _lead(self) -> None:
        with self._lock:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
        try:
            self._commit(batch)
        finally:
            for waiter in batch:  # whatever happened, nobody is left waiting
                if not waiter.finished:
                    waiter.finish(error=BatchFailed("the shared commit did not finish"))
            with self._lock:
                self._hand_on()

    def _commit(self, batch: list[_Waiter]) -> None:
        try:
            batch.sort(key=attrgetter("order"))
            receivers = self._run(batch)
        except _Lost as lost:
            cause = lost.__cause__ or lost
            for waiter in batch:
                waiter.finish(error=cause if len(batch) == 1 else _failed(cause))
            return
        except Exception as exc:
            if len(batch) == 1:
                batch[0].finish(error=exc)
                return
            log.info("group commit of %d refused (%r); each commits alone", len(batch), exc)
            for waiter in batch:
                waiter.refuse()
            return
        self._committed(len(batch))
        self._receive(batch, receivers)

    def _committed(self, works: int) -> None:
        if self.on_commit is not None:
            self.on_commit(works)

    @staticmethod
    def _receive(batch: list[_Waiter], receivers: list) -> None:
        """Committed: each caller reads its own results (an error there is its own alone)."""
        for waiter, receive in zip(batch, receivers, strict=True):
            try:
                waiter.finish(receive())
            except Exception as exc:
                waiter.finish(error=exc)

    def _send(
        self,
        conn: psycopg.Connection,
        works: list,
        contexts: list | None = None,
        lock_timeout: str | None = None,
    ) -> list:
        """Send works; a `receive` for each. Works of their own run in their callers' contexts;
        works sent together are one statement, with `lock_timeout` set inside it."""
        if self.send_together is not None:
            return self.send_together(conn, works, lock_timeout)
        if contexts is None:
            return [send(conn) for send in works]
        return [context.run(send, conn) for context, send in zip(contexts, works, strict=True)]

    def _run(self, batch: list[_Waiter]) -> list:
        """Send and commit the batch; return each work's `receive`. A lone one-statement work
        is sent autocommitted, and so is a batch sent together (one statement, with the batch's
        lock timeout set inside it: no BEGIN, SET, COMMIT or pipeline to send and read);
        otherwise one pipeline: BEGIN, every work's statements, COMMIT (plain statements:
        psycopg's transaction block costs about half as much client CPU again as the
        statements themselves). Raises _Lost when the connection is lost."""
        try:
            with db.pool().connection() as conn:
                try:
                    works = [w.work for w in batch]
                    contexts = [w.context for w in batch]
                    if self.send_together is not None or (
                        len(batch) == 1 and batch[0].one_statement
                    ):  # one statement: its own transaction, a batch's lock timeout inside it
                        timeout = BATCH_LOCK_TIMEOUT if len(batch) > 1 else None
                        return self._send(conn, works, contexts, timeout)
                    with conn.pipeline():
                        conn.execute("BEGIN")
                        if len(batch) > 1:
                            conn.execute(f"SET LOCAL lock_timeout = '{BATCH_LOCK_TIMEOUT}'")
                        receivers = self._send(conn, works, contexts)
                        conn.execute("COMMIT")
                    return receivers
                except BaseException as exc:
                    if conn.broken or _lost_state(exc):
                        raise _Lost() from exc
                    if conn.info.transaction_status != TransactionStatus.IDLE:
                        try:
                            conn.rollback()
                        except psycopg.Error:
                            raise _Lost() from exc
                    raise
        except (psycopg_pool.PoolTimeout, psycopg_pool.PoolClosed) as exc:  # from the checkout
            raise _Lost() from exc

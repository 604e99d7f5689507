"""Group commit: many threads' writes share one transaction, and each thread returns only once
the commit that holds its write is durable.

A web process stores each delivery before it answers Meta. One commit per delivery means one
WAL flush per delivery and, at saturation, a dozen sessions contending in PostgreSQL for the
same pages. Here one writer thread per process commits whatever arrived while it was busy: one
session, one flush per batch, and the batch's statements sent in one pipeline (one round trip,
so the writer takes Python's GIL back once per batch rather than once per statement). A lone
delivery is committed at once, on its own. See docs/PERFORMANCE.md, section 10.

A work is two steps: `send(conn)` issues its statements (without reading their results) and
returns `receive()`, which reads them once they have run. The guarantees stay those of a
transaction per caller:
- a caller's statements are all committed or none of them, and `run` returns after the commit;
- when the database refuses one of a batch's statements (a bad row, a deadlock), the batch is
  rolled back and every work in it runs again alone, in its own transaction, so one caller's
  failure is that caller's only;
- a failure of the connection or the commit is every caller's error, as it would be with a
  transaction each (their senders retry; dedup makes that safe).
A work may therefore run twice (its first run rolled back): it must only write through the
connection it is given.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.pq import TransactionStatus

from app.storage import db

log = logging.getLogger(__name__)

T = TypeVar("T")
Send = Callable[[psycopg.Connection], Callable[[], Any]]


def _work_refused(exc: BaseException) -> bool:
    """Whether a batch failed because of what one of its works sent (so that alone, the
    others would commit): an error the server raised for a statement, or one of ours while
    sending. Not a lost connection (SQLSTATE class 08, or none: the pool, the socket)."""
    if not isinstance(exc, psycopg.Error):
        return True
    return exc.sqlstate is not None and not exc.sqlstate.startswith("08")


class _Waiter:
    """One caller's work, and what became of it."""

    __slots__ = ("order", "send", "alone_autocommit", "done", "lead", "result", "error")

    def __init__(self, order: tuple, send: Send, alone_autocommit: bool):
        self.order = order
        self.send = send
        self.alone_autocommit = alone_autocommit
        # Held until the work is done or the caller is to lead: a lock released once, which is
        # cheaper to wait on than an Event (no Condition, no Python-level waiter list).
        self.done = threading.Lock()
        self.done.acquire()
        self.lead = False  # set (with `done` released) when this caller is to commit the next batch
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.release()


class GroupCommit:
    """Runs works in shared transactions, committed by the callers themselves.

    No thread of its own: a caller that finds no commit under way commits the batch (its own
    work and whatever else is waiting), then hands the next batch to the first caller still
    waiting, and returns. So a lone delivery commits in its own thread at once, and under load
    each commit carries the works that arrived while the previous one ran.

    `max_batch` caps how many works share a transaction; 1 runs each work in its own, as if
    there were no group commit. `order` sorts a batch: callers pass the key of the rows they
    lock, so that two processes' batches take row locks in the same order.
    """

    def __init__(self, max_batch: int = 32, wait: float = 30.0):
        self.max_batch = max(1, int(max_batch))
        self.wait = wait
        self._lock = threading.Lock()
        self._pending: list[_Waiter] = []
        self._busy = False  # a caller is committing a batch
        # What has been committed: transactions, and works in them (read by tests).
        self.commits = 0
        self.committed = 0

    def run(
        self,
        send: Callable[[psycopg.Connection], Callable[[], T]],
        order: tuple = (),
        one_statement: bool = False,
    ) -> T:
        """Run a work in a transaction; return what its `receive()` read, once committed.

        `one_statement`: the work sends a single statement, so when it commits alone it is
        sent without BEGIN and COMMIT (a statement is its own transaction), the cheapest way.
        """
        if self.max_batch == 1 or db.current_conn.get() is not None:
            # Off, or inside a transaction already: the work joins the caller's own.
            with db.transaction() as conn:
                return send(conn)()
        me = _Waiter(order, send, one_statement)
        with self._lock:
            self._pending.append(me)
            me.lead = not self._busy
            self._busy = True
        if not me.lead:
            self._await(me)
        if me.lead:
            self._lead()
        if me.error is not None:
            raise me.error
        return me.result

    def _await(self, me: _Waiter) -> None:
        if me.done.acquire(timeout=self.wait):
            return
        with self._lock:
            if not me.lead and me in self._pending:
                # Not started: withdraw it (the caller answers as for a database error).
                self._pending.remove(me)
                raise TimeoutError(f"no commit within {self.wait} s")
        me.done.acquire()  # its batch is being committed, or it has just been handed the lead

    def _lead(self) -> None:
        with self._lock:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
        try:
            self._commit(batch)
        finally:
            with self._lock:
                if self._pending:
                    nxt = self._pending[0]
                    nxt.lead = True
                    nxt.done.release()
                else:
                    self._busy = False

    def _commit(self, batch: list[_Waiter]) -> None:
        batch.sort(key=lambda waiter: waiter.order)
        try:
            if len(batch) == 1 and batch[0].alone_autocommit:
                with db.pool().connection() as conn:
                    results = [batch[0].send(conn)()]
            else:
                results = self._together([waiter.send for waiter in batch])
        except Exception as exc:
            if len(batch) > 1 and _work_refused(exc):
                # Alone, the others commit: each runs again in its own transaction.
                log.info("group commit of %d refused (%r); committing one by one", len(batch), exc)
                for waiter in batch:
                    try:
                        waiter.finish(self._together([waiter.send])[0])
                    except Exception as alone:
                        waiter.finish(error=alone)
            else:
                for waiter in batch:
                    waiter.finish(error=exc)
            return
        except BaseException as exc:  # never leave a caller waiting
            for waiter in batch:
                waiter.finish(error=exc)
            raise
        self.commits += 1
        self.committed += len(batch)
        for waiter, result in zip(batch, results, strict=True):
            waiter.finish(result)

    @staticmethod
    def _together(sends: list[Send]) -> list:
        """One transaction, sent as one pipeline: BEGIN, every work's statements, COMMIT.

        BEGIN and COMMIT are plain statements: psycopg's transaction block costs about half
        as much client CPU again as the statements themselves in a pipeline."""
        with db.pool().connection() as conn:
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    receivers = [send(conn) for send in sends]
                    conn.execute("COMMIT")
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.rollback()
                raise
            return [receive() for receive in receivers]

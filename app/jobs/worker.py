"""The task queue (procrastinate on PostgreSQL), its tasks and the worker runner."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

import procrastinate
from procrastinate import PsycopgConnector, SyncPsycopgConnector

from app.channel.sender import GraphUnavailable
from app.storage import conversations, db

log = logging.getLogger(__name__)
_flask_app = None
# Pause before starting a worker that lost the database again (doubling up to the maximum).
RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 10.0


class TransactionalConnector(SyncPsycopgConnector):
    """Defer jobs on the connection of the caller's open transaction, if any."""

    def _get_cursor(self, connection=None):
        return super()._get_cursor(connection or db.current_conn.get())

    def execute_query(self, query, **arguments):
        conn = db.current_conn.get()
        if conn is None:
            return super().execute_query(query, **arguments)
        with self._get_cursor(conn) as cursor:
            cursor.execute(query, self._wrap_json(arguments))


queue = procrastinate.App(connector=TransactionalConnector())


def init_app(app) -> None:
    """Open the queue on the app's pool so webhook views can defer jobs."""
    global _flask_app
    _flask_app = app
    queue.open(db.pool())


def customer_lock(business_id: int, customer_id: int) -> str:
    """The lock that keeps one customer's turns in order and never overlapping.

    The webhook writes the same lock in SQL (conversations.STORE_INBOUND).
    """
    return f"cust:{business_id}:{customer_id}"


class TurnRetry(procrastinate.BaseRetryStrategy):
    """Retry a failed turn after 1 + 2**(n+1) s (at most `max_wait`).

    Most failures get `max_attempts` tries. A turn that failed only because WhatsApp could not
    take its stored replies yet (GraphUnavailable) keeps trying for about a day, Meta's
    customer-service window (after it Meta refuses the send for good, and the refusal is
    recorded): its replies are already stored, so a retry sends them and never asks the model
    again; giving up after a few minutes would leave them queued until the customer wrote again.
    """

    def __init__(self, max_attempts: int = 6, unsent_max_attempts: int = 300, max_wait: int = 300):
        self.max_attempts = max_attempts
        self.unsent_max_attempts = unsent_max_attempts
        self.max_wait = max_wait

    def get_retry_decision(
        self, *, exception: BaseException, job
    ) -> procrastinate.RetryDecision | None:
        unsent = isinstance(exception, GraphUnavailable)
        if job.attempts >= (self.unsent_max_attempts if unsent else self.max_attempts):
            return None
        wait = min(1 + 2 ** min(job.attempts + 1, 30), self.max_wait)
        return procrastinate.RetryDecision(retry_in={"seconds": wait})


@queue.task(name=conversations.TURN_TASK, retry=TurnRetry())
def handle_turn(business_id: int, customer_id: int, request_id: str | None = None) -> None:
    """Answer every pending message of one customer."""
    from app import bot, tracing
    from app.logs import request_id_var

    token = request_id_var.set(request_id or "-")
    try:
        with _flask_app.app_context():
            bot.run_turn(business_id, customer_id, request_id=request_id)
    finally:
        request_id_var.reset(token)
        tracing.flush()


def defer_turn(business_id: int, customer_id: int, request_id: str | None = None) -> None:
    """Queue a turn for a customer (joins the caller's transaction when there is one)."""
    handle_turn.configure(lock=customer_lock(business_id, customer_id)).defer(
        business_id=business_id, customer_id=customer_id, request_id=request_id
    )


async def _retry_stalled_jobs(app: procrastinate.App, timeout: float) -> None:
    """Put jobs of dead workers (no heartbeat for `timeout` s) back in the queue, forever."""
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=timeout)
            for job in stalled:
                log.warning("retrying stalled job %s (%s)", job.id, job.task_name)
                await app.job_manager.retry_job(job)
        except Exception:  # keep recovering even when the database blips
            log.exception("stalled-job recovery failed")
        await asyncio.sleep(max(timeout / 3, 0.2))


async def run_worker_async(
    flask_app, install_signal_handlers: bool = True, wait: bool = True
) -> None:
    """Run the job worker (and stalled-job recovery); with wait=False, until the queue is empty.

    Procrastinate's worker stops when it loses the database. A waiting worker (wait=True) is
    started again after a pause, so a database outage needs no restart of the process; it
    stops for good only on SIGINT/SIGTERM (when it installs signal handlers) or cancellation.
    """
    if not wait:
        await _work(flask_app, wait=False)
        return
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    stopping = False

    def on_signal() -> None:
        nonlocal stopping
        stopping = True
        _remove_signal_handlers(loop)  # a second signal ends the process at once
        me.cancel()  # procrastinate finishes the running jobs, then stops

    if install_signal_handlers and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
    delay = RESTART_DELAY
    try:
        while True:
            started = loop.time()
            try:
                await _work(flask_app, wait=True)
                log.error("job worker stopped by itself; starting it again in %.1f s", delay)
            except Exception as exc:
                log.error("job worker failed (%r); starting it again in %.1f s", exc, delay)
            if loop.time() - started > 60:
                delay = RESTART_DELAY  # it ran well for a while: this is a new incident
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RESTART_DELAY)
    except asyncio.CancelledError:
        if not stopping:
            raise
    finally:
        _remove_signal_handlers(loop)


def _remove_signal_handlers(loop: asyncio.AbstractEventLoop) -> None:
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _work(flask_app, wait: bool) -> None:
    """One run of procrastinate's worker and the stalled-job recovery next to it."""
    cfg = flask_app.config
    worker_app = queue.with_connector(
        PsycopgConnector(conninfo=cfg["DATABASE_URL"], min_size=1, max_size=4)
    )
    async with worker_app.open_async():
        recovery = asyncio.create_task(
            _retry_stalled_jobs(worker_app, cfg["WORKER_STALLED_TIMEOUT"])
        )
        try:
            await worker_app.run_worker_async(
                concurrency=cfg["WORKER_CONCURRENCY"],
                install_signal_handlers=False,
                update_heartbeat_interval=cfg["WORKER_HEARTBEAT_INTERVAL"],
                stalled_worker_timeout=cfg["WORKER_STALLED_TIMEOUT"],
                listen_notify=wait,
                wait=wait,
                delete_jobs="successful",
            )
        finally:
            recovery.cancel()


def run_worker(flask_app, install_signal_handlers: bool = True, wait: bool = True) -> None:
    """Run the worker in this thread until stopped (with wait=False: until the queue is empty)."""
    asyncio.run(run_worker_async(flask_app, install_signal_handlers, wait))


# Registers the calendar_sync task; at the bottom because that module imports `queue` from here.
from app.calendars import google_sync as _google_sync  # noqa: E402, F401

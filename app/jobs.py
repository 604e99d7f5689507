"""The task queue (procrastinate on PostgreSQL), its tasks and the worker runner."""

from __future__ import annotations

import asyncio
import logging

import procrastinate
from procrastinate import PsycopgConnector, SyncPsycopgConnector

from app.storage import conversations, db

log = logging.getLogger(__name__)
_flask_app = None


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


@queue.task(
    name=conversations.TURN_TASK,
    retry=procrastinate.RetryStrategy(max_attempts=6, wait=1, exponential_wait=2),
)
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
    """Run the job worker (and stalled-job recovery); with wait=False, until the queue is empty."""
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
                install_signal_handlers=install_signal_handlers,
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

"""The worker: runs the queue's jobs for one Flask app, restarts after database outages."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial

import procrastinate
import procrastinate.worker

from app import handoff
from app.jobs import manager
from app.jobs.tasks import promote_due_reminders, schedule_google_read, schedule_purge
from app.storage import db

log = logging.getLogger(__name__)
# Pause before starting a worker that lost the database again (doubling up to the maximum).
RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 10.0
# Threads for the worker's own blocking calls (asyncio.to_thread), beside one per job slot.
OWN_THREADS = 4
# How often a worker gives the reminders whose time has come their place in the queue's order
# (`promote_due_reminders`): a reminder may wait this much longer behind other jobs.
REMINDER_CHECK_INTERVAL = 5.0


async def _retry_stalled_jobs(app: procrastinate.App, timeout: float) -> None:
    """Put jobs of dead workers (no heartbeat for `timeout` s) back in the queue, forever; one
    replaced meanwhile by a newer job of its queueing lock is let go (`app` is built by
    `manager.worker_app`, whose job manager's retry does that)."""
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=timeout)
        except Exception:  # keep recovering even when the database blips
            log.exception("stalled-job recovery failed")
            stalled = []
        for job in stalled:
            await _retry_stalled(app, job)
        await asyncio.sleep(max(timeout / 3, 0.2))


async def _retry_stalled(app: procrastinate.App, job) -> None:
    """Retry one stalled job; a failure is logged, and the round goes on to the next job (one
    job failing every round held back the recovery of those listed after it)."""
    log.warning("retrying stalled job %s (%s)", job.id, job.task_name)
    try:
        await app.job_manager.retry_job(job)  # ours: a replaced job is let go
    except Exception:
        log.exception("retrying stalled job %s (%s) failed", job.id, job.task_name)


async def _every(interval: float, call, what: str) -> None:
    """Run `call` in a thread now and every `interval` s after, forever; a failure (the
    database blips) is logged as `what` failing and the next round runs anyway."""
    while True:
        try:
            await asyncio.to_thread(call)
        except Exception:
            log.exception("%s failed", what)
        await asyncio.sleep(interval)


def _resume_due(flask_app) -> None:
    with flask_app.app_context():
        handoff.resume_due(datetime.now(UTC))


async def run_worker_async(
    flask_app, install_signal_handlers: bool = True, wait: bool = True
) -> None:
    """Run the job worker (and stalled-job recovery); with wait=False, until the queue is empty.

    Procrastinate's worker stops when it loses the database. A waiting worker (wait=True) is
    started again after a pause, so a database outage needs no restart of the process; it
    stops for good only on SIGINT/SIGTERM (when it installs signal handlers) or cancellation.
    """
    _job_slots(flask_app.config["WORKER_CONCURRENCY"])
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


def _job_slots(concurrency: int) -> None:
    """A thread per job slot (and OWN_THREADS more), and connections enough for them all.

    procrastinate runs a synchronous task (all of ours) in the loop's default executor, which
    asyncio sizes by the machine, min(32, cores + 4): 6 threads on 2 cores, so any
    WORKER_CONCURRENCY above that ran 6 jobs at once. The running loop gets a pool of its own
    (asyncio.run shuts it down at the end; callers start the worker on a fresh loop).

    A job may hold a connection while it takes a second one (a turn's reply transaction lines
    its sends up on a connection of its own, `pacing.line_up`): with as many jobs as
    connections, each could hold one and wait for another until the pool gives up. The app's
    pool is raised, with a warning, to a connection per thread and one more.
    """
    threads = concurrency + OWN_THREADS
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job")
    )
    pool, needed = db.pool(), threads + 1
    if pool.max_size < needed:
        log.warning(
            "DB_POOL_MAX=%d is too small for WORKER_CONCURRENCY=%d: this process's database pool"
            " holds up to %d connections (a job may hold one while it takes a second)",
            pool.max_size,
            concurrency,
            needed,
        )
        pool.resize(pool.min_size, needed)


def _remove_signal_handlers(loop: asyncio.AbstractEventLoop) -> None:
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _work(flask_app, wait: bool) -> None:
    """One run of procrastinate's worker and the stalled-job recovery next to it."""
    cfg = flask_app.config
    if wait and cfg["RETENTION_PURGE"]:
        with flask_app.app_context():
            await asyncio.to_thread(schedule_purge)  # the hourly purge, unless one is queued
    if wait:
        with flask_app.app_context():
            # The read-back of businesses' Google Calendars, unless one is queued (0: off).
            await asyncio.to_thread(schedule_google_read, cfg["GOOGLE_SYNC_INTERVAL"])
    worker_app = manager.worker_app(cfg["DATABASE_URL"])
    async with worker_app.open_async():
        recovery = asyncio.create_task(
            _retry_stalled_jobs(worker_app, cfg["WORKER_STALLED_TIMEOUT"])
        )
        # Conversations handed to the team go back to the bot once their quiet time has
        # passed (see `app.handoff`); due reminders take their place in the queue's order.
        resumer = asyncio.create_task(
            _every(
                cfg["HANDOFF_RESUME_INTERVAL"],
                partial(_resume_due, flask_app),
                "resuming quiet conversations",
            )
        )
        reminders = asyncio.create_task(
            _every(REMINDER_CHECK_INTERVAL, promote_due_reminders, "promoting due reminders")
        )
        try:
            worker_app.perform_import_paths()
            worker = procrastinate.worker.Worker(
                app=worker_app,
                **{
                    **worker_app.worker_defaults,
                    "concurrency": cfg["WORKER_CONCURRENCY"],
                    "install_signal_handlers": False,
                    "update_heartbeat_interval": cfg["WORKER_HEARTBEAT_INTERVAL"],
                    "stalled_worker_timeout": cfg["WORKER_STALLED_TIMEOUT"],
                    # New jobs wake the worker at once (LISTEN/NOTIFY); jobs scheduled for later
                    # (a send's turn or retry) are found by this poll.
                    "fetch_job_polling_interval": cfg["WORKER_POLL_INTERVAL"],
                    "listen_notify": wait,
                    "wait": wait,
                    "delete_jobs": "successful",
                    "additional_context": {"flask_app": flask_app},  # what the tasks run under
                },
            )
            beating = asyncio.create_task(
                _heartbeat(worker_app, worker, cfg["WORKER_HEARTBEAT_INTERVAL"])
            )
            try:
                await worker.run()
            finally:
                beating.cancel()
        finally:
            recovery.cancel()
            resumer.cancel()
            reminders.cancel()


async def _heartbeat(worker_app, worker, interval: float) -> None:
    """Keep the worker's heartbeat while it lives, draining included.

    On a graceful stop (SIGTERM) procrastinate stops its worker's heartbeat first, then waits
    for the running jobs: a job running past WORKER_STALLED_TIMEOUT then looked stalled, and
    another worker ran it again beside it (a send went to Meta twice, a customer's turn ran
    twice). This beat goes on until the worker has finished and unregistered."""
    while True:
        await asyncio.sleep(interval)
        if worker.worker_id is not None:
            try:
                await worker_app.job_manager.update_heartbeat(worker.worker_id)
            except Exception as exc:  # the worker's own loop reports a lost database
                log.warning("worker heartbeat not recorded (%r)", exc)


def run_worker(flask_app, install_signal_handlers: bool = True, wait: bool = True) -> None:
    """Run the worker in this thread until stopped (with wait=False: until the queue is empty)."""
    asyncio.run(run_worker_async(flask_app, install_signal_handlers, wait))

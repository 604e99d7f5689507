"""The job queue: the only code that knows procrastinate (tasks, locks, retries, job rows).

Lower layers never import it: the webhook's statement takes `turn_job()` as data, the outbox
is handed `queue_send` and the calendar backend `queue_calendar_sync` by `create_app`.
"""

from __future__ import annotations

from flask import current_app

from app.jobs.queue import (
    DEFAULT_QUEUE,
    customer_lock,
    open_queue,
    outbox_lock,
    pause_job,
    queue,
    queue_depth,
    turn_job,
)
from app.jobs.tasks import (
    SEND_RETRY,
    TurnRetry,
    defer_turn,
    drop_reminder,
    erase_after_send,
    promote_due_reminders,
    queue_calendar_sync,
    queue_send,
    schedule_reminder,
)
from app.jobs.waker import Waker
from app.jobs.worker import run_worker, run_worker_async

__all__ = [
    "SEND_RETRY",
    "TurnRetry",
    "customer_lock",
    "defer_turn",
    "drop_reminder",
    "erase_after_send",
    "init_app",
    "open_queue",
    "outbox_lock",
    "pause_job",
    "promote_due_reminders",
    "queue",
    "queue_calendar_sync",
    "queue_send",
    "run_worker",
    "run_worker_async",
    "schedule_reminder",
    "turn_job",
    "wake_workers",
]


def init_app(app) -> None:
    """Open the queue on the app's pool so views can defer jobs; let /metrics read its depth;
    give the app its waker (see `wake_workers`)."""
    open_queue()
    app.extensions["queue_depth"] = queue_depth
    app.extensions["queue_waker"] = Waker(DEFAULT_QUEUE)


def wake_workers() -> None:
    """Wake idle workers for jobs queued with notify=False, once they are committed."""
    current_app.extensions["queue_waker"].wake()

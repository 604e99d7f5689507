"""The tasks: a customer's turn, a customer's sends, a booking's calendar sync and its
reminders, with their retry policies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import procrastinate
import psycopg
from flask import Flask
from procrastinate.exceptions import AlreadyEnqueued

from app import bot, calendar_changes, erasure, handoff, outbox, reminders, retention, tracing
from app.calendars import google_sync
from app.jobs.queue import (
    CALENDAR_SYNC_TASK,
    DEFAULT_PRIORITY,
    ERASE_TASK,
    GOOGLE_READ_TASK,
    PAUSE_TASK,
    PURGE_MINUTE,
    PURGE_TASK,
    REMINDER_PRIORITY,
    REMINDER_TASK,
    SEND_PRIORITY,
    SEND_TASK,
    TURN_TASK,
    calendar_sync_locks,
    customer_lock,
    outbox_lock,
    queue,
    reminder_lock,
)
from app.logs import request_id_var
from app.storage import appointments as appointment_store
from app.storage import db
from app.storage import outbox as outbox_store
from app.storage import reminders as reminder_store

# Waits of 5 s + 2^n s: about 2.3 hours of retrying before the booking is marked "failed".
CALENDAR_SYNC_ATTEMPTS = 12


class TurnRetry(procrastinate.BaseRetryStrategy):
    """Retry a failed turn after 1 + 2**(n+1) s (at most `max_wait`), `max_attempts` times.

    A turn only stores its replies (the send task sends them), so a retry never waits on the
    channel; after the last attempt the customer's messages stay unanswered and visible.
    """

    def __init__(self, max_attempts: int = 6, max_wait: int = 300):
        self.max_attempts = max_attempts
        self.max_wait = max_wait

    def get_retry_decision(
        self, *, exception: BaseException, job
    ) -> procrastinate.RetryDecision | None:
        if job.attempts >= self.max_attempts:
            return None
        wait = min(1 + 2 ** min(job.attempts + 1, 30), self.max_wait)
        return procrastinate.RetryDecision(retry_in={"seconds": wait})


# A customer's send task that fails (the database away) is retried like a turn, but for longer.
SEND_RETRY = TurnRetry(max_attempts=50)


def flask_app(context: procrastinate.JobContext) -> Flask:
    """The app the worker runs jobs for (handed to the worker, see `worker._work`)."""
    return context.additional_context["flask_app"]


@contextmanager
def _for_request(context: procrastinate.JobContext, request_id: str | None) -> Iterator[None]:
    """The app's context, with the id of the request the job came from in its logs."""
    token = request_id_var.set(request_id or "-")
    try:
        with flask_app(context).app_context():
            yield
    finally:
        request_id_var.reset(token)


@queue.task(name=TURN_TASK, pass_context=True, retry=TurnRetry())
def handle_turn(
    context: procrastinate.JobContext,
    business_id: int,
    customer_id: int,
    request_id: str | None = None,
) -> None:
    """Answer every pending message of one customer."""
    try:
        with _for_request(context, request_id):
            bot.run_turn(business_id, customer_id, request_id=request_id)
    finally:
        tracing.flush(flask_app(context))


def defer_turn(business_id: int, customer_id: int, request_id: str | None = None) -> None:
    """Queue a turn for a customer (joins the caller's transaction when there is one)."""
    handle_turn.configure(lock=customer_lock(business_id, customer_id)).defer(
        business_id=business_id, customer_id=customer_id, request_id=request_id
    )


@queue.task(name=PAUSE_TASK, pass_context=True, retry=TurnRetry())
def pause_for_staff(
    context: procrastinate.JobContext,
    business_id: int,
    customer_id: int,
    request_id: str | None = None,
) -> None:
    """Pause the bot for a customer a person at the business answered on the channel itself."""
    with _for_request(context, request_id):
        handoff.answered_elsewhere(business_id, customer_id, datetime.now(UTC))


@queue.task(name=SEND_TASK, pass_context=True, retry=SEND_RETRY)
def send_outbox(context: procrastinate.JobContext, business_id: int, customer_id: int) -> None:
    """Send a customer's queued messages, in order (see `app.outbox`).

    When the outbox says to wait (SendLater: a retry's backoff, a paused account, a send
    slot), the customer's send runs again then, as often as it says (each message's useful
    life bounds it), and this task ends: waits are not failures, and do not use up the
    retries a failure has (SEND_RETRY), which a long run of waits would otherwise have spent.
    """
    with flask_app(context).app_context():
        try:
            outbox.send_pending(business_id, customer_id)
        except outbox.SendLater as later:
            _send_again(business_id, customer_id, later.wait)


def _send_again(business_id: int, customer_id: int, wait: float) -> None:
    """Have the customer's send run `wait` seconds from now: by their next send task, if one is
    queued (brought forward to then if it was due later), else by a new one. Any of their send
    tasks sends all their messages, and the queue starts none of a lock while an earlier one
    waits, so a new task behind one due later would wait for it."""
    at = datetime.now(UTC) + timedelta(seconds=wait)
    with db.transaction() as conn:
        if not outbox_store.bring_forward_job(
            conn, SEND_TASK, outbox_lock(business_id, customer_id), at
        ):
            queue_send(business_id, customer_id, at)


def queue_send(business_id: int, customer_id: int, at: datetime | None = None) -> None:
    """Queue a customer's send task, to run at `at` (None: now); it joins the caller's
    transaction: the messages and their send commit together."""
    job = send_outbox.configure(
        lock=outbox_lock(business_id, customer_id), schedule_at=at, priority=SEND_PRIORITY
    )
    job.defer(business_id=business_id, customer_id=customer_id)


@queue.task(
    name=CALENDAR_SYNC_TASK,
    pass_context=True,
    retry=procrastinate.RetryStrategy(
        max_attempts=CALENDAR_SYNC_ATTEMPTS, wait=5, exponential_wait=2
    ),
)
def calendar_sync(context: procrastinate.JobContext, business_id: int, appointment_id: int) -> None:
    """Write, move or delete the Google event of an appointment so it matches Postgres."""
    last_try = context.job.attempts >= CALENDAR_SYNC_ATTEMPTS
    with flask_app(context).app_context():
        google_sync.run_job(business_id, appointment_id, queue_calendar_sync, last_try)


def queue_calendar_sync(business_id: int, appointment_id: int) -> bool:
    """Queue an appointment's sync job unless one is already waiting; whether it was queued.

    Joins the caller's transaction (in a savepoint, so a refused duplicate rolls back alone).
    """
    first = appointment_store.first_of_chain(appointment_id)
    lock, queueing_lock = calendar_sync_locks(appointment_id, first)
    job = calendar_sync.configure(lock=lock, queueing_lock=queueing_lock)
    return _defer_once(job, business_id=business_id, appointment_id=appointment_id)


# A reminder's job that fails (the database away) is retried like a turn, for up to about an
# hour, after which the reminder is recorded `failed` (`send_reminder`).
REMINDER_RETRY = TurnRetry(max_attempts=16)


@queue.task(name=REMINDER_TASK, pass_context=True, retry=REMINDER_RETRY)
def send_reminder(
    context: procrastinate.JobContext, appointment_id: int, offset_minutes: int, due_at: str
) -> None:
    """Send an appointment's reminder if it is still due (see `app.reminders`).

    A reminder that may not go yet (FireLater: too early, or quiet hours) is run again then by
    a new job, and this one ends: being put off is not failing, and a retry of this job would
    count it among the attempts a failure has (procrastinate's `job.attempts` counts every run
    before this one), so a reminder put off often would have been given up after one failure.
    A failure its retry policy will not retry (the last attempt) records the reminder `failed`:
    nothing runs it again, and left `pending` it would show as still to be sent. The policy
    itself says which attempt is the last, so the two cannot disagree.
    """
    due = datetime.fromisoformat(due_at)
    with flask_app(context).app_context():
        try:
            try:
                reminders.fire(appointment_id, offset_minutes, due)
            except reminders.FireLater as later:
                _fire_later(appointment_id, offset_minutes, due_at, later.wait)
        except Exception as exc:
            if REMINDER_RETRY.get_retry_decision(exception=exc, job=context.job) is None:
                reminders.give_up(
                    appointment_id,
                    offset_minutes,
                    due,
                    lambda: reminder_planned_again(appointment_id, offset_minutes, context.job.id),
                )
            raise


def _fire_later(appointment_id: int, offset_minutes: int, due_at: str, wait: float) -> None:
    """Queue a new job of the reminder (its attempts start again) to run `wait` s from now,
    unless a move planned it again meanwhile: that plan's job, waiting under the same
    queueing lock, does the work."""
    job = send_reminder.configure(
        queueing_lock=reminder_lock(appointment_id, offset_minutes),
        schedule_at=datetime.now(UTC) + timedelta(seconds=wait),
        priority=REMINDER_PRIORITY,
    )
    _defer_once(job, appointment_id=appointment_id, offset_minutes=offset_minutes, due_at=due_at)


def reminder_planned_again(appointment_id: int, offset_minutes: int, own_job_id: int) -> bool:
    """Whether another job of this reminder waits or runs (a move planned it again)."""
    jobs = queue.job_manager.list_jobs(queueing_lock=reminder_lock(appointment_id, offset_minutes))
    return any(job.id != own_job_id and job.status in ("todo", "doing") for job in jobs)


def schedule_reminder(appointment_id: int, offset_minutes: int, due_at: datetime) -> None:
    """Queue a reminder's job for `due_at`, replacing the one waiting for an earlier plan.

    Joins the caller's transaction (the booking's): its lock orders concurrent moves, and the
    queueing lock keeps at most one waiting job per appointment and offset.
    """
    drop_reminder(appointment_id, offset_minutes)
    waiting = due_at > datetime.now(UTC)
    send_reminder.configure(
        queueing_lock=reminder_lock(appointment_id, offset_minutes),
        schedule_at=due_at,
        priority=REMINDER_PRIORITY if waiting else DEFAULT_PRIORITY,
    ).defer(appointment_id=appointment_id, offset_minutes=offset_minutes, due_at=due_at.isoformat())


def drop_reminder(appointment_id: int, offset_minutes: int) -> None:
    """Delete the reminder's waiting job, if any (in the caller's transaction)."""
    manager = queue.job_manager
    for job in manager.list_jobs(
        queueing_lock=reminder_lock(appointment_id, offset_minutes), status="todo"
    ):
        manager.cancel_job_by_id(job.id, delete_job=True)


def promote_due_reminders() -> int:
    """Give the reminders whose time has come the priority of the other jobs, so they go in
    the queue's order (the oldest first: before turns queued after them) instead of waiting
    for every other job due (see REMINDER_PRIORITY); how many. Workers call it every few
    seconds."""
    return reminder_store.promote_due_jobs(REMINDER_TASK, DEFAULT_PRIORITY)


@queue.task(name=ERASE_TASK, pass_context=True, retry=TurnRetry())
def erase_customer(context: procrastinate.JobContext, business_id: int, customer_id: int) -> None:
    """Erase a customer who asked to be, once the reply saying so has gone."""
    with flask_app(context).app_context():
        erasure.erase(business_id, customer_id, by="customer")


def erase_after_send(business_id: int, customer_id: int) -> None:
    """Queue a customer's erasure behind their queued sends (it shares their send lock and
    priority, so it runs once the sends queued before it have finished), in the caller's
    transaction."""
    job = erase_customer.configure(
        lock=outbox_lock(business_id, customer_id), priority=SEND_PRIORITY
    )
    job.defer(business_id=business_id, customer_id=customer_id)


# Not procrastinate's periodic tasks: their deferrer defers through the tasks' own app, whose
# connector here is the synchronous one of the web process, and stops the worker when it tries.
# The purge queues its next run itself; a waiting worker makes sure one is queued when it starts.
@queue.task(name=PURGE_TASK, pass_context=True)
def purge_old_messages(context: procrastinate.JobContext) -> None:
    """Delete the messages each business keeps no longer (see `app.retention`), then queue the
    next hour's run."""
    try:
        with flask_app(context).app_context():
            retention.purge()
    finally:
        schedule_purge()


def schedule_purge(now: datetime | None = None) -> bool:
    """Queue the purge for the next :17 unless one is already waiting; whether it was queued."""
    now = now or datetime.now(UTC)
    at = now.replace(minute=PURGE_MINUTE, second=0, microsecond=0)
    if at <= now:
        at += timedelta(hours=1)
    return _defer_once(purge_old_messages.configure(queueing_lock=PURGE_TASK, schedule_at=at))


def _defer_once(job, **kwargs) -> bool:
    """Defer a job with a queueing lock unless one holding it waits already; whether it was.

    In a savepoint of the caller's transaction, so a refused duplicate rolls back alone.
    """
    try:
        with db.transaction():
            job.defer(**kwargs)
    except (AlreadyEnqueued, psycopg.errors.UniqueViolation):
        return False
    return True


@queue.task(name=GOOGLE_READ_TASK, pass_context=True)
def read_google_changes(context: procrastinate.JobContext) -> None:
    """Apply what businesses changed in their own Google Calendars (see
    `app.calendar_changes`), then queue the next run GOOGLE_SYNC_INTERVAL seconds on."""
    app = flask_app(context)
    try:
        with app.app_context():
            calendar_changes.read_all()
    finally:
        schedule_google_read(app.config["GOOGLE_SYNC_INTERVAL"])


def schedule_google_read(interval: float, now: datetime | None = None) -> bool:
    """Queue the read-back `interval` seconds from now unless one is already waiting (0: never);
    whether it was queued."""
    if interval <= 0:
        return False
    at = (now or datetime.now(UTC)) + timedelta(seconds=interval)
    return _defer_once(
        read_google_changes.configure(queueing_lock=GOOGLE_READ_TASK, schedule_at=at)
    )

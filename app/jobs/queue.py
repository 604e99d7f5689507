"""The procrastinate app, its task names and locks, and the job rows other layers write as data."""

from __future__ import annotations

import procrastinate
from procrastinate import SyncPsycopgConnector

from app.storage import db
from app.storage.conversations import CustomerJob

TURN_TASK = "handle_turn"
SEND_TASK = "send_outbox"
CALENDAR_SYNC_TASK = "calendar_sync"
REMINDER_TASK = "send_reminder"
ERASE_TASK = "erase_customer"
PURGE_TASK = "purge_old_messages"
GOOGLE_READ_TASK = "read_google_changes"
PAUSE_TASK = "pause_for_staff"
# Every hour at :17, each business's messages older than its retention are purged.
PURGE_MINUTE = 17
DEFAULT_QUEUE = "default"
# A worker takes the highest priority first, then the oldest (docs/PERFORMANCE.md §18).
# Sends go first: a reply written is one the customer is waiting for, and a send is one HTTP
# call, so under a backlog of turns each reply goes as soon as it is written, not after every
# turn queued before it. Each account's line (`app.outbox`, pacing) schedules for later what
# its number cannot send soon, so one number never has more sends due than it may send; a
# wave of sends over many numbers still goes before the turns, as far as the workers keep up
# (before, it went before the turns queued after it). A customer's erasure shares their
# sends' lock and priority, so it still runs after the sends queued before it. The jobs of
# one lock must share a priority: procrastinate runs a lock's higher priority jobs first.
SEND_PRIORITY = 1
DEFAULT_PRIORITY = 0  # turns and every other job
# Reminders wait behind everything else. Each waits in the queue from the booking until its
# time, and a fetch reads every job ahead of the one it takes: thousands of reminders waiting
# for their day, ahead of the turns in the queue's order, were read by every fetch (3 ms each
# with 20,000). Behind the rest they are read only when nothing else is due. Once due, a
# reminder gets the other jobs' priority back (`promote_due_reminders`, run by each worker
# every few seconds): it goes in the queue's order, before the turns queued after it.
REMINDER_PRIORITY = -1
# A person at the business answered on the channel itself: the bot's pause goes before the
# turns queued before it, so that it is seen by one answering the customer meanwhile.
PAUSE_PRIORITY = SEND_PRIORITY


class TransactionalConnector(SyncPsycopgConnector):
    """Run the queue's queries on the app's pool, inside the caller's open transaction if any."""

    @property
    def pool(self):
        # Always the current pool: procrastinate keeps the first one it is opened with, which
        # is closed when the app's database changes (tests) or its pool is reopened.
        return db.pool()

    def _get_cursor(self, connection=None):
        return super()._get_cursor(connection or db.current_conn.get())

    def execute_query(self, query, **arguments):
        conn = db.current_conn.get()
        if conn is None:
            return super().execute_query(query, **arguments)
        with self._get_cursor(conn) as cursor:
            cursor.execute(query, self._wrap_json(arguments))


queue = procrastinate.App(connector=TransactionalConnector())


def open_queue() -> None:
    """Open the queue on the process's pool, so jobs can be deferred."""
    queue.open(db.pool())


def customer_lock(business_id: int, customer_id: int) -> str:
    """The lock that keeps one customer's turns in order and never overlapping."""
    return f"{_customer_lock_prefix(business_id)}{customer_id}"


def _customer_lock_prefix(business_id: int) -> str:
    return f"cust:{business_id}:"


def outbox_lock(business_id: int, customer_id: int) -> str:
    """The lock that keeps one customer's sends in order (apart from their turns: a notice
    never waits for a model to answer)."""
    return f"out:{business_id}:{customer_id}"


def turn_job(business_id: int, request_id: str | None, notify: bool = True) -> CustomerJob:
    """The turn job the webhook's one statement queues with a new message (unless the message
    joins its customer's turn queued and never run).

    The statement knows the customer only once it has stored them, so it completes the lock
    (`customer_lock`) and the arguments with the customer's id itself. With notify=False the
    job wakes no worker: call `wake_workers()` once it is committed.
    """
    return CustomerJob(
        task_name=TURN_TASK,
        queue=DEFAULT_QUEUE,
        lock_prefix=_customer_lock_prefix(business_id),
        args={"business_id": business_id, "request_id": request_id},
        notify=notify,
    )


def pause_job(business_id: int, request_id: str | None, notify: bool = True) -> CustomerJob:
    """The job the webhook's one statement queues with a person's answer on the channel (the
    Page inbox): it pauses the bot for the customer. A lock of its own, apart from the turns',
    so that it never waits for a turn to finish (the turn sees the pause, see `bot`); answers
    stored while it waits join it, as messages join a queued turn."""
    return CustomerJob(
        task_name=PAUSE_TASK,
        queue=DEFAULT_QUEUE,
        lock_prefix=f"pause:{business_id}:",
        args={"business_id": business_id, "request_id": request_id},
        priority=PAUSE_PRIORITY,
        notify=notify,
    )


def calendar_sync_locks(appointment_id: int, first_id: int | None = None) -> tuple[str, str]:
    """(lock, queueing lock) of a sync job: one job at a time per Google event, and at most one
    waiting job per appointment.

    `first_id` is the first row of the appointment's booking (`appointments.first_of_chain`):
    its id names the event, and a booking moved before migration 0009 has several rows, whose
    jobs write that one event. Not one lock per business: procrastinate starts no job while an
    earlier job of its lock waits, even one scheduled for later, so a booking waiting for its
    retry would hold back every other booking's sync of the business.
    """
    return f"gcal:event:{first_id or appointment_id}", f"gcal:appt:{appointment_id}"


def reminder_lock(appointment_id: int, offset_minutes: int) -> str:
    """The queueing lock of a reminder's job: at most one waits per appointment and offset."""
    return f"rem:{appointment_id}:{offset_minutes}"


def queue_depth() -> dict[str, int]:
    """How many jobs wait (`todo`) and run (`doing`), over every queue."""
    manager = queue.job_manager
    return {
        status: sum(q[status] for q in manager.list_queues(status=status))
        for status in ("todo", "doing")
    }

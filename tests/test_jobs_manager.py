"""A job replaced by a newer one of its queueing lock while it ran (its appointment moved, a
second sync queued) is let go when it would be retried, by the worker that ran it or by the
stalled-job recovery; and one stalled job that cannot be retried holds back none of the others.

procrastinate's retry of such a job broke the index of queueing locks: the worker left it
`doing` for ever, and the recovery failed on it every round, before the jobs listed after it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from app import jobs, reminders
from app.booking import service as booking
from app.calendars import google_sync
from app.jobs import manager, worker
from app.jobs.tasks import queue_calendar_sync, send_outbox
from app.storage import db
from tests.reminder_helpers import book, customer, local, open_business

DAY = timedelta(hours=24)
DEADLINE = 30.0  # seconds: generous, the waits end as soon as the database shows the outcome


def booked(app, hour: str = "12:00") -> tuple[int, dict, int, datetime]:
    """A booking three days ahead: (business, customer, appointment, start)."""
    business_id = open_business("Europe/Madrid")
    kim = customer(business_id)
    now = datetime.now(UTC)
    start = local("Europe/Madrid", (now + 3 * DAY).strftime("%Y-%m-%d") + " " + hour)
    return business_id, kim, book(app, business_id, kim["id"], start, now=now), start


def move(app, business_id: int, customer_id: int, appointment_id: int, start: datetime) -> None:
    with app.app_context():
        moved = booking.reschedule(
            business_id, customer_id, appointment_id, start + timedelta(hours=1)
        )
    assert moved.ok, moved


def reminder_job(appointment_id: int, offset: int = 1440) -> int:
    return db.fetch_one(
        "SELECT id FROM procrastinate_jobs WHERE task_name = 'send_reminder'"
        " AND (args->>'appointment_id')::bigint = %s AND (args->>'offset_minutes')::int = %s",
        (appointment_id, offset),
    )["id"]


def taken(job_id: int) -> None:
    """The job as a worker that died holding it left it: `doing`, no worker."""
    db.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %s", (job_id,))


def jobs_of(task: str) -> list[tuple[int, str]]:
    rows = db.fetch_all(
        "SELECT id, status FROM procrastinate_jobs WHERE task_name = %s ORDER BY id", (task,)
    )
    return [(r["id"], r["status"]) for r in rows]


def doing() -> list[int]:
    rows = db.fetch_all("SELECT id FROM procrastinate_jobs WHERE status = 'doing' ORDER BY id")
    return [r["id"] for r in rows]


def work_once(app) -> None:
    asyncio.run(jobs.run_worker_async(app, install_signal_handlers=False, wait=False))


def recover_until(app, db_url: str, done) -> None:
    """Run the stalled-job recovery until `done()` holds (or the deadline passes)."""

    async def run() -> None:
        queue_app = manager.worker_app(db_url)
        async with queue_app.open_async():
            recovery = asyncio.create_task(worker._retry_stalled_jobs(queue_app, 0.3))
            deadline = time.monotonic() + DEADLINE
            while not await asyncio.to_thread(done) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            recovery.cancel()

    with app.app_context():
        asyncio.run(run())


def test_a_reminder_told_to_fire_later_after_its_appointment_moved_is_let_go(app, monkeypatch):
    business_id, kim, appointment_id, start = booked(app)
    old = reminder_job(appointment_id)
    db.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %s", (old,))

    def moved_while_firing(*_args) -> None:  # the move commits while the job runs
        move(app, business_id, kim["id"], appointment_id, start)
        raise reminders.FireLater(60)

    monkeypatch.setattr(reminders, "fire", moved_while_firing)
    work_once(app)
    assert doing() == []
    assert old not in {job for job, _ in jobs_of("send_reminder")}
    assert (reminder_job(appointment_id), "todo") in jobs_of("send_reminder")  # the move's


def test_a_calendar_sync_failing_after_another_was_queued_is_let_go(app, monkeypatch, drain):
    business_id, _, appointment_id, _ = booked(app)
    runs: list[bool] = []

    def sync(_business, appointment, queue, last_try) -> str:
        runs.append(last_try)
        if len(runs) == 1:  # the booking changes again while the first sync runs, which fails
            with db.transaction():
                assert queue(business_id, appointment)
            raise RuntimeError("Google is away")
        return "synced"

    monkeypatch.setattr(google_sync, "run_job", sync)
    with app.app_context(), db.transaction():
        assert queue_calendar_sync(business_id, appointment_id)
    drain()
    assert len(runs) == 2  # the second job ran once the first was let go
    assert jobs_of("calendar_sync") == []


def test_the_stalled_recovery_lets_a_reminder_job_replaced_by_a_move_go(app, db_url):
    business_id, kim, appointment_id, start = booked(app)
    old = reminder_job(appointment_id)
    taken(old)
    move(app, business_id, kim["id"], appointment_id, start)
    recover_until(app, db_url, lambda: not doing())
    assert doing() == []
    assert old not in {job for job, _ in jobs_of("send_reminder")}
    assert (reminder_job(appointment_id), "todo") in jobs_of("send_reminder")


def test_the_stalled_recovery_goes_on_past_a_job_it_cannot_retry(app, db_url, monkeypatch):
    business_id = open_business("Europe/Madrid")
    stalled = [stalled_send(app, business_id, customer(business_id)["id"]) for _ in range(3)]
    retry, failing = manager.JobManager.retry_job, []

    async def one_always_fails(job_manager, job, *args, **kwargs) -> None:
        if job.id in failing or not failing:  # the job the first round lists first
            failing.append(job.id)
            raise RuntimeError("cannot retry this one")
        await retry(job_manager, job, *args, **kwargs)

    monkeypatch.setattr(manager.JobManager, "retry_job", one_always_fails)
    recover_until(app, db_url, lambda: doing() == failing[:1])
    assert failing and doing() == failing[:1]
    assert set(stalled) - set(failing) == {
        job for job, status in jobs_of("send_outbox") if status == "todo"
    }


def stalled_send(app, business_id: int, customer_id: int) -> int:
    """A customer's send task taken by a worker that died."""
    with app.app_context(), db.transaction():
        send_outbox.configure(lock=f"out:{business_id}:{customer_id}").defer(
            business_id=business_id, customer_id=customer_id
        )
    job = db.fetch_one("SELECT max(id) AS id FROM procrastinate_jobs")["id"]
    taken(job)
    return job

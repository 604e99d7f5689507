"""Retrying a job that a newer one replaced: the job manager our workers use.

Each queueing lock of ours means that the one job waiting under it does all the work the lock
names: a reminder's job fires the reminder at the row's due time (a job for another time does
nothing), a sync job makes the Google event match Postgres, the purge and the read-back run
for everyone. A change made while a job of the lock runs (a move while its reminder's job runs,
or after its worker died) queues a new one under the lock beside it. procrastinate's retry of
the running job then puts it back to `todo`, which the index of queueing locks refuses
(procrastinate_jobs_queueing_lock_idx_v1): the worker left it `doing` for ever, and the
stalled-job recovery failed on it every round. Such a job is let go instead: deleted, as a
move deletes the waiting job it replaces.
"""

from __future__ import annotations

import logging
from datetime import datetime

import procrastinate
from procrastinate import exceptions, jobs
from procrastinate import manager as procrastinate_manager

from app.jobs.queue import queue as tasks_app

log = logging.getLogger(__name__)


class JobManager(procrastinate_manager.JobManager):
    """procrastinate's, but a retry lets a replaced job go instead of failing and leaving it
    `doing`. Both retries go through it: a task's retry strategy (in the worker) and the
    stalled-job recovery (`app.jobs.worker`), whose App `worker_app` builds with this manager."""

    async def retry_job(
        self,
        job: jobs.Job,
        retry_at: datetime | None = None,
        priority: int | None = None,
        queue: str | None = None,
        lock: str | None = None,
    ) -> None:
        """Retry `job` as procrastinate does, unless a newer job of its queueing lock waits:
        then delete it (the newer one does its work)."""
        try:
            await super().retry_job(
                job, retry_at=retry_at, priority=priority, queue=queue, lock=lock
            )
        except exceptions.UniqueViolation as exc:
            if exc.constraint_name != procrastinate_manager.QUEUEING_LOCK_CONSTRAINT:
                raise
            log.warning(
                "job %s (%s) let go: a newer job of its queueing lock %s waits and does its work",
                job.id,
                job.task_name,
                job.queueing_lock,
            )
            await self.finish_job(job, jobs.Status.ABORTED, delete_job=True)


def worker_app(conninfo: str) -> procrastinate.App:
    """The queue's tasks on a pool of the worker's own, with our job manager."""
    app = tasks_app.with_connector(
        procrastinate.PsycopgConnector(conninfo=conninfo, min_size=1, max_size=4)
    )
    app.job_manager = JobManager(connector=app.connector)
    return app

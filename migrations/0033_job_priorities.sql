-- Sends go before the other jobs and reminders waiting for their time after them
-- (app/jobs/queue.py, SEND_PRIORITY and REMINDER_PRIORITY; docs/PERFORMANCE.md §18).
--
-- Jobs queued before this change get their new priority too: a lock's jobs must share one
-- (procrastinate runs a lock's higher priority jobs first), so a customer's sends and erasure
-- queued before it keep their order with those queued after. Jobs running now are included:
-- a retry keeps its job's priority. (procrastinate's trigger records a `scheduled` event for
-- each scheduled job updated here; those rows go with their jobs.)
UPDATE procrastinate_jobs SET priority = 1
 WHERE task_name IN ('send_outbox', 'erase_customer') AND status IN ('todo', 'doing')
   AND priority = 0;
UPDATE procrastinate_jobs SET priority = -1
 WHERE task_name = 'send_reminder' AND status = 'todo' AND priority = 0
   AND scheduled_at > now();
-- The reminders waiting behind the other jobs, by their time: each worker gives the due ones
-- the other jobs' priority back every few seconds (jobs.promote_due_reminders).
CREATE INDEX procrastinate_jobs_waiting_reminder_idx ON procrastinate_jobs (scheduled_at)
    WHERE status = 'todo' AND priority < 0;

-- Sends go before the other jobs and reminders after them (app/jobs/queue.py, SEND_PRIORITY
-- and REMINDER_PRIORITY; docs/PERFORMANCE.md §18). Jobs queued before this change get their
-- new priority too: a lock's jobs must share one (procrastinate runs a lock's higher priority
-- jobs first), so a customer's sends and erasure queued before it keep their order with those
-- queued after. Jobs running now are included: a retry keeps its job's priority.
UPDATE procrastinate_jobs SET priority = 1
 WHERE task_name IN ('send_outbox', 'erase_customer') AND status IN ('todo', 'doing')
   AND priority = 0;
UPDATE procrastinate_jobs SET priority = -1
 WHERE task_name = 'send_reminder' AND status IN ('todo', 'doing') AND priority = 0;

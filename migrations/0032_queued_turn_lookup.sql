-- The webhook's statement looks for a customer's turn queued and never started by its lock.
-- Planned once per connection (a generic plan) while the queue was empty, that lookup could
-- be served by any index of queued jobs, and with no jobs to count the planner chose among
-- them by their size on disk: now the lock's index, probed; once in a while procrastinate's
-- (id, lock) index, which finds a lock only by reading every queued job. The statement asks
-- for `status <= 'todo'` (todo is the first status), which no other index's condition
-- follows from, so this index, probed by lock, is the only one that can serve it.
CREATE INDEX procrastinate_jobs_queued_turn_idx ON procrastinate_jobs (lock)
    WHERE status <= 'todo' AND attempts = 0;

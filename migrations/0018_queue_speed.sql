-- The job queue keeps its speed under a backlog (docs/PERFORMANCE.md has the measurements).

-- procrastinate's fetch asks, for each candidate job, whether an earlier job with the same
-- lock is waiting or running. The only index it had for that is (id, lock), which answers
-- "lock = X" by walking the whole index: about 17 pages per candidate with 10,000 queued
-- turns. This one answers it from the few jobs of that one customer.
CREATE INDEX procrastinate_jobs_lock_todo_doing_idx ON procrastinate_jobs (lock)
    WHERE status IN ('todo', 'doing');

-- Without fresh statistics (a burst grows the table faster than autovacuum analyzes it) the
-- planner estimates one queued job, checks the lock of every queued job and sorts them all:
-- 630 ms per fetch with 10,000 queued. Without a sort to choose, it walks the priority index
-- in order and stops at the first job it can take (0.07 ms), whatever the statistics say.
ALTER FUNCTION procrastinate_fetch_job_v2(character varying[], bigint) SET enable_sort = off;

-- A NOTIFY takes a cluster-wide lock held until its transaction's commit is flushed, so
-- notifying transactions commit one at a time. The webhook's statement sets
-- app.defer_quietly for its own transaction and wakes the workers itself after commit,
-- coalescing many deliveries into one NOTIFY; every other defer notifies as before.
DROP TRIGGER procrastinate_jobs_notify_queue_job_inserted_v1 ON procrastinate_jobs;
CREATE TRIGGER procrastinate_jobs_notify_queue_job_inserted_v1
    AFTER INSERT ON procrastinate_jobs
    FOR EACH ROW WHEN (
        new.status = 'todo'::procrastinate_job_status
        AND current_setting('app.defer_quietly', true) IS DISTINCT FROM 'on'
    )
    EXECUTE PROCEDURE procrastinate_notify_queue_job_inserted_v1();

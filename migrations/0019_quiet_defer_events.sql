-- The webhook's turn jobs (written with app.defer_quietly, see 0018) skip procrastinate's
-- "deferred" event row too: an insert, an index entry and a foreign-key check less per
-- delivery. The job row itself says when it was queued and nothing reads that event; the
-- events of its run (started, succeeded, failed, retried) are written as before.
DROP TRIGGER procrastinate_trigger_status_events_insert_v1 ON procrastinate_jobs;
CREATE TRIGGER procrastinate_trigger_status_events_insert_v1
    AFTER INSERT ON procrastinate_jobs
    FOR EACH ROW WHEN (
        new.status = 'todo'::procrastinate_job_status
        AND current_setting('app.defer_quietly', true) IS DISTINCT FROM 'on'
    )
    EXECUTE PROCEDURE procrastinate_trigger_function_status_events_insert_v1();

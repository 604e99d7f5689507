-- A parked status belongs to the business whose number or Page it came on, and is applied only
-- to that business's message (app/storage/outbox.py, mark_sent), as a status that finds its
-- message at once already is.
--
-- Rows parked before this change name no business. Our own statuses wait here for a second at
-- most (until the worker records the id it was given); what stays is the news of messages that
-- other systems sent, kept seven days and then forgotten. They are forgotten now.
--
-- During a rolling deploy a web process still on the code before this fails to park a status
-- (it names no business): Meta is answered 500 and delivers the status again, to a process
-- that parks it.
DELETE FROM status_backlog;
ALTER TABLE status_backlog
    ADD COLUMN business_id bigint NOT NULL REFERENCES businesses (id) ON DELETE CASCADE;
ALTER TABLE status_backlog DROP CONSTRAINT status_backlog_pkey;
ALTER TABLE status_backlog ADD PRIMARY KEY (business_id, channel, external_id, status);

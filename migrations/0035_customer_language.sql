-- The language the customer last wrote in ("en" or "es"), as their words showed it
-- (app/flow/lang.py): what reminders and notices speak once the flow's memory of the
-- conversation (conversation_state, two hours) has expired, and what a new conversation starts
-- in. NULL: not known yet (their messages said neither), so the business's language is spoken.
-- Erasure empties it with the rest of what their messages told.
ALTER TABLE customers ADD COLUMN language text;
-- NOT VALID: every existing row is NULL, so there is nothing to check, and a scan of the whole
-- table under this statement's lock would hold up the webhook's inserts meanwhile; new and
-- updated rows are checked all the same.
ALTER TABLE customers ADD CONSTRAINT customers_language_check
    CHECK (language IN ('en', 'es')) NOT VALID;

-- The language the customer last wrote in ("en" or "es"), as their words showed it
-- (app/flow/lang.py): what reminders and notices speak once the flow's memory of the
-- conversation (conversation_state, two hours) has expired, and what a new conversation starts
-- in. NULL: not known yet (their messages said neither), so the business's language is spoken.
-- Erasure empties it with the rest of what their messages told.
ALTER TABLE customers ADD COLUMN language text CHECK (language IN ('en', 'es'));

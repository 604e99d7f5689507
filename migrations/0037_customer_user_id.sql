-- A WhatsApp customer's business-scoped user id (BSUID, e.g. 'US.13491208655302741918'),
-- as Meta's webhooks give it beside the phone number (`from_user_id`, `contacts[].user_id`).
-- A customer who adopts a username may later write with the BSUID alone: the webhook's
-- statement finds their row by it and keeps them one customer, with their appointments,
-- language and history. NULL: not given (Messenger; WhatsApp messages before BSUIDs).
ALTER TABLE customers ADD COLUMN user_id text;
-- One customer per BSUID and business number; probed by the webhook for every message that
-- carries one. Every existing row is NULL, so the index starts empty.
CREATE UNIQUE INDEX customers_user_id ON customers (business_id, channel, user_id)
    WHERE user_id IS NOT NULL;
-- Erasure empties user_id and keeps its keyed hash beside erased_address's (the address's),
-- so that a message of theirs written before the erasure and redelivered is recognised by
-- either: one with the number alone (a system notice, or sent before BSUIDs), or one with the
-- BSUID alone (the number hidden behind a username).
ALTER TABLE customers ADD COLUMN erased_user text;
CREATE INDEX customers_erased_user ON customers (business_id, channel, erased_user)
    WHERE erased_user IS NOT NULL;

-- A WhatsApp customer's business-scoped user id (BSUID, e.g. 'US.13491208655302741918'),
-- as Meta's webhooks give it beside the phone number (`from_user_id`, `contacts[].user_id`).
-- A customer who adopts a username may later write with the BSUID alone: the webhook's
-- statement finds their row by it and keeps them one customer, with their appointments,
-- language and history. NULL: not given (Messenger; WhatsApp messages before BSUIDs).
-- Erasure empties it; the erased row's tombstone (erased_address) is then the BSUID's hash.
ALTER TABLE customers ADD COLUMN user_id text;
-- One customer per BSUID and business number; probed by the webhook for every message that
-- carries one. Every existing row is NULL, so the index starts empty.
CREATE UNIQUE INDEX customers_user_id ON customers (business_id, channel, user_id)
    WHERE user_id IS NOT NULL;

-- Customers' data: erasure from the chat, retention of message texts (issue 18).

-- An erased customer keeps its row (past appointments still count for the business) but
-- nothing that names them: `address` becomes 'erased:<id>' and `erased_address` holds a keyed
-- hash of the old one, so a redelivered old message (Meta retries for days) is recognised
-- and dropped instead of recreating them. Writing again later starts a fresh customer.
ALTER TABLE customers
    ADD COLUMN erased_at      timestamptz,
    ADD COLUMN erased_address text;
CREATE INDEX customers_erased_address ON customers (business_id, channel, erased_address)
    WHERE erased_address IS NOT NULL;

-- How long message texts are kept; a periodic job purges older ones in small batches.
ALTER TABLE businesses
    ADD COLUMN message_retention_days integer NOT NULL DEFAULT 365
        CHECK (message_retention_days BETWEEN 1 AND 3650);

-- The purge finds a business's oldest messages by this index, a batch at a time.
CREATE INDEX messages_business_created ON messages (business_id, created_at);
-- Deleting a message sets in_reply_to to NULL in the replies to it: found by index, not a scan.
CREATE INDEX messages_in_reply_to ON messages (in_reply_to) WHERE in_reply_to IS NOT NULL;

-- What the booking flow remembers of a conversation: what it offered last, what the customer is
-- choosing (a service, a day, a held time, an appointment to move) and the language they write
-- in. One row per customer, read only until `expires_at` (a stale offer is never resolved
-- against); the row is replaced on every flow turn and goes with its customer.
CREATE TABLE conversation_state (
    customer_id bigint PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    business_id bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

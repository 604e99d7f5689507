-- The front desk's Idempotency-Key: a staff booking sent again (a network blip, a proxy's or
-- the console's retry) finds the appointment the first request made instead of booking twice
-- (a walk-in has no address, so nothing else tells the two requests apart). Keys are the
-- client's, so they are kept per business. The fingerprint is a keyed hash of what was asked
-- (it names the customer): the same key with another booking is refused, and the row holds
-- nothing readable about the person. A request claims its key before booking, so a retry
-- arriving while the first is still running waits for it on the primary key; the claim is
-- undone with a refused booking, and `appointment_id` is set in the same transaction.
CREATE TABLE appointment_requests (
    business_id     bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    key             text NOT NULL,
    fingerprint     text NOT NULL,
    appointment_id  bigint REFERENCES appointments(id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (business_id, key)
);

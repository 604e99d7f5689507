-- Holds: a time tapped but not yet confirmed. A held appointment counts toward capacity until
-- `hold_expires_at`; expiry is part of the capacity check itself (it compares with the booking's
-- clock), so an expired hold stops counting without any clean-up job. Confirming turns the same
-- row into a booking (its id becomes the booking number).

ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments
    ADD CONSTRAINT appointments_status_check CHECK (status IN ('held', 'booked', 'cancelled'));
ALTER TABLE appointments ADD COLUMN hold_expires_at timestamptz;
ALTER TABLE appointments
    ADD CONSTRAINT appointments_hold_expiry CHECK ((status = 'held') = (hold_expires_at IS NOT NULL));
-- Holds overlapping a requested interval are read with the bookings, under the business lock.
CREATE INDEX appointments_business_held ON appointments (business_id, starts_at) WHERE status = 'held';
-- One hold per customer at a time: a new hold replaces the old one.
CREATE UNIQUE INDEX appointments_one_hold ON appointments (customer_id) WHERE status = 'held';

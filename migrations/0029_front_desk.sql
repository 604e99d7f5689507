-- The front desk: bookings made by staff (for phone and walk-in customers), no-shows, and
-- blocked time (holidays, a staff absence) that availability respects.

-- A no-show is a booking whose customer did not come: it no longer takes a seat (it is past).
ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check
    CHECK (status IN ('held', 'booked', 'cancelled', 'no_show'));
-- Who made the booking: the bot (a conversation) or a member of staff (the console); the
-- overview counts bookings by it.
ALTER TABLE appointments
    ADD COLUMN created_by text NOT NULL DEFAULT 'bot' CHECK (created_by IN ('bot', 'staff')),
    ADD COLUMN created_by_user bigint REFERENCES users(id) ON DELETE SET NULL,
    ADD COLUMN no_show_at timestamptz;

-- Time nobody can book: it weighs the whole capacity wherever it overlaps a requested slot.
CREATE TABLE blocked_times (
    id              bigserial PRIMARY KEY,
    business_id     bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL CHECK (ends_at > starts_at),
    reason          text NOT NULL DEFAULT '',
    created_by_user bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX blocked_times_business_time ON blocked_times (business_id, starts_at, ends_at);

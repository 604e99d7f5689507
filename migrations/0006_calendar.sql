-- Google Calendar: the last problem an admin must fix (revoked token, unshared calendar, long
-- outage), cleared on the next success; and a quick way to find bookings not yet in the calendar.

ALTER TABLE businesses
    ADD COLUMN calendar_error    text,
    ADD COLUMN calendar_error_at timestamptz;

CREATE INDEX appointments_calendar_unsynced ON appointments (business_id, id)
    WHERE calendar_sync IN ('pending', 'failed');

-- Reading the business's Google Calendar back: what changed in its events since the last read
-- (Google's sync token, per business and calendar), and when Google last saw our own write of
-- each appointment's event (its `updated`), so our writes are never taken for the business's
-- changes (see docs/REMINDERS.md, "Changes made in Google Calendar").
CREATE TABLE google_event_sync (
    business_id bigint PRIMARY KEY REFERENCES businesses (id) ON DELETE CASCADE,
    calendar_id text NOT NULL,
    sync_token  text,
    synced_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE appointments ADD COLUMN calendar_event_updated timestamptz;

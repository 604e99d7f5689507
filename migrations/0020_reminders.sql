-- Reminders before appointments: each business's settings, the customer's and the
-- appointment's opt-outs, a confirmation mark, and one row per appointment and offset that
-- says when its reminder is due and what became of it. The scheduled job that fires it belongs
-- to the job queue (one queueing lock per appointment and offset).
ALTER TABLE businesses
    ADD COLUMN reminders_enabled boolean NOT NULL DEFAULT true,
    ADD COLUMN reminder_offsets_minutes integer[] NOT NULL DEFAULT '{1440,120}',
    ADD COLUMN reminder_quiet_hours jsonb DEFAULT '{"start": "21:00", "end": "09:00"}',
    ADD COLUMN reminder_template jsonb;

ALTER TABLE customers ADD COLUMN reminders_off boolean NOT NULL DEFAULT false;

ALTER TABLE appointments
    ADD COLUMN reminders_off boolean NOT NULL DEFAULT false,
    ADD COLUMN confirmed_at timestamptz;

ALTER TABLE messages DROP CONSTRAINT messages_purpose_check;
ALTER TABLE messages ADD CONSTRAINT messages_purpose_check
    CHECK (purpose IN ('reply', 'notice', 'staff', 'reminder'));

-- state: pending (its job waits), queued (its message is in the outbox: the message's status
-- tells the rest), cancelled (the appointment was cancelled), missed (it came due after the
-- appointment had started), skipped (its time had passed, or fell in quiet hours with no
-- allowed moment left, when it was planned), off (reminders were turned off).
CREATE TABLE appointment_reminders (
    appointment_id bigint NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,
    offset_minutes integer NOT NULL CHECK (offset_minutes > 0),
    due_at         timestamptz NOT NULL,
    state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'queued', 'cancelled', 'missed', 'skipped', 'off')),
    message_id     bigint REFERENCES messages(id) ON DELETE SET NULL,
    fired_at       timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (appointment_id, offset_minutes)
);
CREATE INDEX appointment_reminders_message ON appointment_reminders (message_id)
    WHERE message_id IS NOT NULL;

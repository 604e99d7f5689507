-- A reminder whose job failed on its last attempt (the database, or a fault of ours, refused it
-- every time) is `failed`: it stayed `pending`, which the console shows as still to be sent,
-- though nothing would send it any more. A move of its appointment plans it again (`pending`).
ALTER TABLE appointment_reminders DROP CONSTRAINT appointment_reminders_state_check;
ALTER TABLE appointment_reminders ADD CONSTRAINT appointment_reminders_state_check
    CHECK (state IN ('pending', 'queued', 'cancelled', 'missed', 'skipped', 'off', 'failed'));

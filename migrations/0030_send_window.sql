-- Sends per channel account in the last second, counted as the channel counts them (arrivals):
-- `in_flight` holds when each send still under way started, `ended` when each recent send was
-- answered. A send may start only while fewer than the account's rate are in flight or ended
-- within the last second, so no second at the channel can hold more (see app/storage/pacing.py).
ALTER TABLE send_pacing
    ADD COLUMN in_flight timestamptz[] NOT NULL DEFAULT '{}',
    ADD COLUMN ended     timestamptz[] NOT NULL DEFAULT '{}';

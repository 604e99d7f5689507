-- Human handoff: a conversation the bot handed to the team ("needs attention", with why and what
-- the customer wants), staff replies stored as from that staff member, and the business's
-- settings for it. `bot_paused` stays the one switch the bot obeys.
ALTER TABLE customers
    ADD COLUMN needs_attention boolean NOT NULL DEFAULT false,
    ADD COLUMN handoff_reason  text,
    ADD COLUMN handoff_summary text,
    ADD COLUMN handoff_at      timestamptz,   -- when the bot (or a person) took it to the team
    -- When a paused bot answers again by itself: set from each staff reply (the business's
    -- quiet time); NULL = only "Resume bot" ends the pause.
    ADD COLUMN paused_until    timestamptz;
CREATE INDEX customers_needs_attention ON customers (business_id, handoff_at)
    WHERE needs_attention;
CREATE INDEX customers_paused_until ON customers (paused_until) WHERE paused_until IS NOT NULL;

-- The staff member who wrote an outbound message (purpose 'staff'); NULL for the bot's.
ALTER TABLE messages ADD COLUMN sent_by bigint REFERENCES users(id) ON DELETE SET NULL;

ALTER TABLE businesses
    -- Minutes after a staff reply with no further staff reply before the bot answers again;
    -- NULL = never by itself.
    ADD COLUMN handoff_quiet_minutes integer DEFAULT 240
        CHECK (handoff_quiet_minutes BETWEEN 1 AND 43200),
    -- A WhatsApp number told when a conversation needs attention (NULL = nobody is told).
    ADD COLUMN staff_notify_number text,
    -- The approved WhatsApp template that carries a staff reply outside the 24-hour window,
    -- {"name": ..., "language": ...} (one body parameter, the reply's text); NULL = such
    -- replies are refused.
    ADD COLUMN staff_reply_template jsonb;

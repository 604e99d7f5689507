-- Channel-neutral data: customers and messages say which channel they are on and carry the
-- channel's own address and message id; businesses hold one account per channel; the outbox
-- keeps what it needs to retry, pace and explain every send. Every existing row is kept (all
-- of it WhatsApp, the only channel so far).

-- Businesses: the WhatsApp number's id under a channel-neutral name, and a Messenger Page.
ALTER TABLE businesses RENAME COLUMN phone_number_id TO whatsapp_number_id;
ALTER TABLE businesses RENAME CONSTRAINT businesses_phone_number_id_key
    TO businesses_whatsapp_number_id_key;
ALTER TABLE businesses
    ADD COLUMN messenger_page_id text UNIQUE,
    ADD COLUMN page_access_token text NOT NULL DEFAULT '',      -- encrypted when SECRET_KEY is set
    -- Messages per second per channel account; NULL = the channel's default (80 for WhatsApp).
    ADD COLUMN send_rate real CHECK (send_rate > 0 AND send_rate <= 1000),
    -- The approved template (WhatsApp) that carries a notice outside the customer-service
    -- window; its body has one parameter, the notice's text. NULL = such notices are recorded
    -- as not sendable on channels that need a template.
    ADD COLUMN notice_template text,
    ADD COLUMN notice_template_language text;

-- Customers: (business, channel, address) is one person on one channel.
ALTER TABLE customers RENAME COLUMN wa_id TO address;
ALTER TABLE customers ADD COLUMN channel text NOT NULL DEFAULT 'whatsapp';
ALTER TABLE customers DROP CONSTRAINT customers_business_id_wa_id_key;
ALTER TABLE customers ADD CONSTRAINT customers_business_id_channel_address_key
    UNIQUE (business_id, channel, address);
-- The customer's last message as the channel timestamped it: the customer-service window
-- (24 hours) counts from here, not from when we happened to receive it.
ALTER TABLE customers ADD COLUMN last_inbound_at timestamptz;

-- Messages: the channel's message id is unique per channel.
ALTER TABLE messages RENAME COLUMN wamid TO external_id;
ALTER TABLE messages ADD COLUMN channel text NOT NULL DEFAULT 'whatsapp';
ALTER TABLE messages DROP CONSTRAINT messages_wamid_key;
ALTER TABLE messages ADD CONSTRAINT messages_channel_external_id_key UNIQUE (channel, external_id);
-- What a customer sent, in every channel's terms (text, choice, media, ...); `type` keeps the
-- channel's own name for it.
ALTER TABLE messages ADD COLUMN kind text NOT NULL DEFAULT 'text';
-- The outbox: why a message goes out (a reply, a notice of a change, a person's answer), until
-- when it is worth sending, how often sending failed and when to try next, how it went out
-- (free text, a template, a message tag) and, when it could not, why (send_error).
ALTER TABLE messages
    ADD COLUMN purpose text NOT NULL DEFAULT 'reply' CHECK (purpose IN ('reply', 'notice', 'staff')),
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN not_before timestamptz,
    ADD COLUMN sent_at timestamptz,
    ADD COLUMN sent_as text,
    ADD COLUMN send_error text;

UPDATE customers c SET last_inbound_at = last.at
  FROM (SELECT customer_id, max(COALESCE(
               CASE WHEN payload->>'timestamp' ~ '^[0-9]{1,12}$'
                    THEN to_timestamp((payload->>'timestamp')::bigint) END,
               created_at)) AS at
          FROM messages WHERE direction = 'in' GROUP BY customer_id) last
 WHERE last.customer_id = c.id;

UPDATE messages SET kind = CASE
        WHEN type IN ('interactive', 'button') THEN 'choice'
        WHEN type IN ('image', 'audio', 'video', 'document', 'sticker') THEN 'media'
        WHEN type IN ('text', 'location', 'contacts', 'reaction', 'system') THEN type
        ELSE 'other' END
 WHERE direction = 'in';
UPDATE messages SET sent_at = updated_at
 WHERE direction = 'out' AND status IN ('sent', 'delivered', 'read', 'played');

-- Statuses that arrived before their message's id was recorded, now per channel.
ALTER TABLE status_backlog RENAME COLUMN wamid TO external_id;
ALTER TABLE status_backlog ADD COLUMN channel text NOT NULL DEFAULT 'whatsapp';
ALTER TABLE status_backlog DROP CONSTRAINT status_backlog_pkey;
ALTER TABLE status_backlog ADD PRIMARY KEY (channel, external_id, status);

-- Send pacing per channel account, shared by every worker process: `next_at` is the earliest
-- moment the next send may go (each send takes a slot and moves it on by 1/rate seconds), and
-- `queued_until` spreads sends that must wait over the coming slots (see docs/CHANNELS.md).
CREATE TABLE send_pacing (
    channel      text NOT NULL,
    account_id   text NOT NULL,
    next_at      timestamptz NOT NULL DEFAULT now(),
    queued_until timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, account_id)
);

-- Core data model: businesses, their services, customers, messages, turns, appointments.

CREATE TABLE businesses (
    id                   bigserial PRIMARY KEY,
    name                 text NOT NULL,
    phone_number_id      text NOT NULL UNIQUE,
    display_phone_number text NOT NULL DEFAULT '',
    access_token         text NOT NULL DEFAULT '',          -- encrypted when SECRET_KEY is set
    timezone             text NOT NULL DEFAULT 'UTC',       -- IANA name
    language             text NOT NULL DEFAULT 'en',
    personality          text NOT NULL DEFAULT '',
    instructions         text NOT NULL DEFAULT '',
    -- {"mon": {"open": "09:00", "close": "18:00", "breaks": [["13:00", "14:00"]]}, "sun": null, ...}
    opening_hours        jsonb NOT NULL DEFAULT '{}'::jsonb,
    closed_dates         date[] NOT NULL DEFAULT '{}',
    max_concurrent       integer NOT NULL DEFAULT 1 CHECK (max_concurrent >= 1),
    slot_step_minutes    integer NOT NULL DEFAULT 15 CHECK (slot_step_minutes > 0),
    buffer_minutes       integer NOT NULL DEFAULT 0 CHECK (buffer_minutes >= 0),
    min_notice_minutes   integer NOT NULL DEFAULT 60 CHECK (min_notice_minutes >= 0),
    horizon_days         integer NOT NULL DEFAULT 60 CHECK (horizon_days >= 1),
    calendar_backend     text NOT NULL DEFAULT 'local' CHECK (calendar_backend IN ('local', 'google')),
    calendar_settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    active               boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE services (
    id               bigserial PRIMARY KEY,
    business_id      bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    name             text NOT NULL,
    duration_minutes integer NOT NULL CHECK (duration_minutes > 0),
    price            numeric(10, 2) NOT NULL DEFAULT 0 CHECK (price >= 0),
    currency         text NOT NULL DEFAULT 'EUR',
    position         integer NOT NULL DEFAULT 0,
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX services_business_name ON services (business_id, lower(name)) WHERE active;

CREATE TABLE customers (
    id            bigserial PRIMARY KEY,
    business_id   bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    wa_id         text NOT NULL,
    profile_name  text NOT NULL DEFAULT '',
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    opted_out     boolean NOT NULL DEFAULT false,
    bot_paused    boolean NOT NULL DEFAULT false,
    UNIQUE (business_id, wa_id)
);

-- One agent turn: the inbound messages it answered, its tool calls and its outcome.
CREATE TABLE turns (
    id          bigserial PRIMARY KEY,
    business_id bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_id bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'answered', 'failed')),
    tool_calls  jsonb NOT NULL DEFAULT '[]'::jsonb,
    error       text,
    request_id  text,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX turns_customer ON turns (customer_id, id);

CREATE TABLE messages (
    id           bigserial PRIMARY KEY,
    business_id  bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    direction    text NOT NULL CHECK (direction IN ('in', 'out')),
    type         text NOT NULL DEFAULT 'text',
    body         text NOT NULL DEFAULT '',
    payload      jsonb,
    -- Meta retries deliveries for days, so the wamid is the dedup key.
    wamid        text UNIQUE,
    status       text NOT NULL CHECK (status IN
                   ('received', 'processed', 'ignored', 'failed',
                    'queued', 'sent', 'delivered', 'read', 'played')),
    error_code   integer,
    error_title  text,
    in_reply_to  bigint REFERENCES messages(id) ON DELETE SET NULL,
    turn_id      bigint REFERENCES turns(id) ON DELETE SET NULL,
    request_id   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_customer ON messages (customer_id, id);
CREATE INDEX messages_pending_in ON messages (customer_id, id) WHERE direction = 'in' AND status = 'received';
CREATE INDEX messages_queued_out ON messages (customer_id, id) WHERE direction = 'out' AND status = 'queued';

CREATE TABLE appointments (
    id                  bigserial PRIMARY KEY,
    business_id         bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    customer_id         bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    service_id          bigint NOT NULL REFERENCES services(id),
    starts_at           timestamptz NOT NULL,
    ends_at             timestamptz NOT NULL CHECK (ends_at > starts_at),
    status              text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
    calendar_event_id   text,
    calendar_sync       text NOT NULL DEFAULT 'none' CHECK (calendar_sync IN ('none', 'pending', 'synced', 'failed')),
    idempotency_key     text NOT NULL,
    turn_id             bigint REFERENCES turns(id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    cancelled_at        timestamptz
);
CREATE INDEX appointments_business_time ON appointments (business_id, starts_at) WHERE status = 'booked';
CREATE INDEX appointments_customer ON appointments (customer_id, starts_at);
-- The same customer, service and start is one booking, however often it is asked for.
CREATE UNIQUE INDEX appointments_idempotency ON appointments (business_id, idempotency_key) WHERE status = 'booked';

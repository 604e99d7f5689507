-- Delivery statuses that arrived before their message's wamid was recorded. Meta can post
-- "sent" within milliseconds of accepting a message, before the worker has stored the wamid it
-- got back; such a status waits here and is applied when the wamid is recorded.
CREATE TABLE status_backlog (
    wamid        text NOT NULL,
    status       text NOT NULL,
    error_code   integer,
    error_title  text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wamid, status)
);
CREATE INDEX status_backlog_received ON status_backlog (received_at);

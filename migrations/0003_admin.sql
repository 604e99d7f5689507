-- Admin console: users, their memberships in businesses, login tokens and the audit log.

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    name           text NOT NULL DEFAULT '',
    is_superadmin  boolean NOT NULL DEFAULT false,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE memberships (
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    business_id bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'staff')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, business_id)
);

CREATE TABLE auth_tokens (
    token_hash  text PRIMARY KEY,          -- sha256 of the opaque token; the token itself is never stored
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

CREATE TABLE login_failures (
    id         bigserial PRIMARY KEY,
    email      text NOT NULL,
    ip         text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email ON login_failures (lower(email), at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    business_id bigint REFERENCES businesses(id) ON DELETE CASCADE,
    user_id     bigint REFERENCES users(id) ON DELETE SET NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text,
    before      jsonb,
    after       jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_business ON audit_log (business_id, id);

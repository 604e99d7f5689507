-- What the bot knows beyond its settings, and what it costs: each business's reference document
-- (imported from its website or written in the console, every change a new version), the
-- model's token usage per turn, and a monthly token budget per business (NULL = unlimited).

ALTER TABLE businesses
    ADD COLUMN monthly_token_budget bigint CHECK (monthly_token_budget >= 0);

CREATE TABLE reference_documents (
    id          bigserial PRIMARY KEY,
    business_id bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version >= 1),
    content     text NOT NULL,
    source      text NOT NULL CHECK (source IN ('import', 'edit')),
    source_url  text,
    -- An import's pages read and skipped (with the reason), and why it stopped, if it did.
    report      jsonb,
    created_by  bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (business_id, version)
);

-- One row per turn (or website import) and model; the budget check sums a business's rows since
-- the start of its month from this index alone.
CREATE TABLE model_usage (
    id                bigserial PRIMARY KEY,
    business_id       bigint NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    turn_id           bigint REFERENCES turns(id) ON DELETE SET NULL,
    purpose           text NOT NULL CHECK (purpose IN ('turn', 'import')),
    model             text NOT NULL,
    prompt_tokens     integer NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens integer NOT NULL CHECK (completion_tokens >= 0),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_usage_business_time
    ON model_usage (business_id, created_at) INCLUDE (prompt_tokens, completion_tokens);

-- Circuit breakers of the model providers (one row per base URL and model), shared by every web
-- and worker process. `failures` counts failed calls in a row; `open` refuses calls until
-- `opened_at` plus the reset time, then one process claims the half-open trial call
-- (`trial_at`) and its outcome closes or reopens the breaker.

CREATE TABLE llm_breakers (
    provider    text PRIMARY KEY,
    state       text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
    failures    integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    opened_at   timestamptz,
    trial_at    timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

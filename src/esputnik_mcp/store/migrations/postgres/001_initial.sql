-- Schema 1 of the state store, PostgreSQL. Tables go to the first schema of the search path: the
-- store's own schema when it is given one.

-- One row per key: the latest send of it, written pending before the request leaves.
CREATE TABLE ledger (
    key text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('exact', 'message')),
    tool text NOT NULL,
    channel text NOT NULL,
    recipient text NOT NULL,
    content_key text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'sent', 'unknown', 'failed')),
    request_id text,
    at double precision NOT NULL,
    reservation text NOT NULL
);

-- expire_pending and prune look entries up by status and age.
CREATE INDEX ledger_status_at ON ledger (status, at);

CREATE TABLE tokens (
    token text PRIMARY KEY,
    tool text NOT NULL,
    payload_hash text NOT NULL,
    expires_at double precision NOT NULL
);

CREATE INDEX tokens_expires_at ON tokens (expires_at);

CREATE TABLE audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at double precision NOT NULL,
    tool text NOT NULL,
    arguments_hash text NOT NULL,
    outcome text NOT NULL,
    recipient_count integer NOT NULL,
    recipients text[] NOT NULL,  -- masked
    request_ids text[] NOT NULL,
    guard text,
    detail text,
    target text
);

CREATE INDEX audit_at ON audit (at);

CREATE INDEX audit_tool_at ON audit (tool, at);

-- Refused calls are counted per minute, tool and guard, not written one row each.
CREATE TABLE refusals (
    minute bigint NOT NULL,
    tool text NOT NULL,
    guard text NOT NULL,
    refused integer NOT NULL,
    PRIMARY KEY (minute, tool, guard)
);

-- Calls counted in one fixed window of one rate bucket.
CREATE TABLE rate_windows (
    bucket text NOT NULL,
    window_id bigint NOT NULL,
    calls integer NOT NULL,
    PRIMARY KEY (bucket, window_id)
);

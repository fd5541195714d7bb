-- Schema 1 of the state store, SQLite.
--
-- Files written before schema versions existed hold three tables: ledger (one row per send, keyed by
-- a hash without the entry kind), tokens and audit. This script brings such a file up to date as well
-- as it fills a new one:
--   * the old ledger is replaced: its keys are hashed another way and can never match a new send, so
--     none of its rows could be in the way of one, and its statuses had no "pending";
--   * tokens keep their shape;
--   * audit rows are kept, with the new target column NULL (ADD COLUMN rewrites nothing).

DROP TABLE IF EXISTS ledger;

-- One row per key: the latest send of it, written pending before the request leaves.
CREATE TABLE ledger (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('exact', 'message')),
    tool TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    content_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'unknown', 'failed')),
    request_id TEXT,
    at REAL NOT NULL,
    reservation TEXT NOT NULL
) WITHOUT ROWID;

-- expire_pending and prune look entries up by status and age.
CREATE INDEX ledger_status_at ON ledger (status, at);

CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    tool TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    expires_at REAL NOT NULL
);

CREATE INDEX IF NOT EXISTS tokens_expires_at ON tokens (expires_at);

-- The shape of the unversioned files, so that their rows stay; then the column they lack.
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    tool TEXT NOT NULL,
    arguments_hash TEXT NOT NULL,
    outcome TEXT NOT NULL,
    recipient_count INTEGER NOT NULL,
    recipients TEXT NOT NULL,  -- JSON array of masked recipients
    request_ids TEXT NOT NULL,  -- JSON array
    guard TEXT,
    detail TEXT
);

ALTER TABLE audit ADD COLUMN target TEXT;

CREATE INDEX IF NOT EXISTS audit_at ON audit (at);

CREATE INDEX audit_tool_at ON audit (tool, at);

-- Refused calls are counted per minute, tool and guard, not written one row each.
CREATE TABLE refusals (
    minute INTEGER NOT NULL,
    tool TEXT NOT NULL,
    guard TEXT NOT NULL,
    refused INTEGER NOT NULL,
    PRIMARY KEY (minute, tool, guard)
) WITHOUT ROWID;

-- Calls counted in one fixed window of one rate bucket.
CREATE TABLE rate_windows (
    bucket TEXT NOT NULL,
    window_id INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_id)
) WITHOUT ROWID;

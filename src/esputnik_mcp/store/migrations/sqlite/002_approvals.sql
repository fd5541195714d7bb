-- Schema 2 of the state store, SQLite: approvals asked on the approval page.
--
-- A rowid table, unlike the ledger: a preview can be kilobytes, and WITHOUT ROWID suits small rows only.

-- One row per approval page. id is a hash of the page's secret; the row binds the approval to one
-- tool, one hash of exact arguments and one caller, and lives until it expires (then prune deletes it).
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    tool TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    caller TEXT NOT NULL,
    preview TEXT NOT NULL,  -- JSON, shown as it was written
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'used')),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    decided_at REAL
);

-- pending_approval and use_approval look an approval up by the exact call, its status and its expiry.
CREATE INDEX approvals_call ON approvals (tool, payload_hash, caller, status, expires_at);

-- prune deletes approvals by expiry, whatever their call.
CREATE INDEX approvals_expires_at ON approvals (expires_at);

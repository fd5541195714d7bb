-- Schema 2 of the state store, PostgreSQL: approvals asked on the approval page.

-- One row per approval page. id is a hash of the page's secret; the row binds the approval to one
-- tool, one hash of exact arguments and one caller, and lives until it expires (then prune deletes it).
CREATE TABLE approvals (
    id text PRIMARY KEY,
    tool text NOT NULL,
    payload_hash text NOT NULL,
    caller text NOT NULL,
    preview text NOT NULL,  -- JSON, shown as it was written
    status text NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'used')),
    created_at double precision NOT NULL,
    expires_at double precision NOT NULL,
    decided_at double precision
);

-- pending_approval and use_approval look an approval up by the exact call, its status and its expiry.
CREATE INDEX approvals_call ON approvals (tool, payload_hash, caller, status, expires_at);

-- prune deletes approvals by expiry, whatever their call.
CREATE INDEX approvals_expires_at ON approvals (expires_at);

-- Schema 3 of the state store, SQLite: the webhook inbox, activity events eSputnik pushes and the marks
-- they leave on each address.
--
-- A rowid table, like approvals: data holds the event as received, which can be kilobytes.

-- One row per activity event, keyed by the inbox's hash of it: an event delivered twice is stored once.
-- The address columns are normalised (email lower-cased, phone digits only) so that lookups are exact.
CREATE TABLE activity (
    key TEXT PRIMARY KEY,
    at REAL NOT NULL,  -- activityDateTime
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    received_at REAL NOT NULL,
    request_id TEXT,
    external_request_id TEXT,
    contact_id INTEGER,
    email TEXT,
    phone TEXT,
    message_id INTEGER,
    message_instance_id INTEGER,
    broadcast_id INTEGER,
    hard_bounce INTEGER NOT NULL CHECK (hard_bounce IN (0, 1)),
    data TEXT NOT NULL  -- JSON, the event as received
);

-- Events come newest first, a page at a time from the position (at, key) the last page ended at; the
-- same index serves since / until and prune, which deletes events by age.
CREATE INDEX activity_at_key ON activity (at DESC, key DESC);

-- The lookups a query may ask for, each followed by the time, so that a person's or a message's events
-- come in order and within since / until straight from the index. Partial: the many events without the
-- value are not indexed (a query's "column = ?" implies "column IS NOT NULL", so SQLite uses them).
CREATE INDEX activity_request_id ON activity (request_id, at) WHERE request_id IS NOT NULL;

CREATE INDEX activity_external_request_id ON activity (external_request_id, at)
WHERE external_request_id IS NOT NULL;

CREATE INDEX activity_contact_id ON activity (contact_id, at) WHERE contact_id IS NOT NULL;

CREATE INDEX activity_email ON activity (email, at) WHERE email IS NOT NULL;

CREATE INDEX activity_phone ON activity (phone, at) WHERE phone IS NOT NULL;

CREATE INDEX activity_broadcast_id ON activity (broadcast_id, at) WHERE broadcast_id IS NOT NULL;

-- One row per channel and subject (email:<address>, phone:<digits>, contact:<id>): the newest event's
-- word on whether the channel reaches it. Small rows, looked up by their key only: WITHOUT ROWID.
CREATE TABLE marks (
    channel TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    suppressing INTEGER NOT NULL CHECK (suppressing IN (0, 1)),  -- a hard bounce, an unsubscribe, spam
    at REAL NOT NULL,  -- the time of the event that wrote it
    detail TEXT,
    PRIMARY KEY (channel, subject)
) WITHOUT ROWID;

-- prune deletes marks by age, suppressing marks never: only the others are indexed (prune's query says
-- "suppressing = 0" in these very words, so that SQLite uses the index).
CREATE INDEX marks_at ON marks (at) WHERE suppressing = 0;

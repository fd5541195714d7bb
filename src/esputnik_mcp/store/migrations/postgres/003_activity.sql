-- Schema 3 of the state store, PostgreSQL: the webhook inbox, activity events eSputnik pushes and the
-- marks they leave on each address.

-- One row per activity event, keyed by the inbox's hash of it: an event delivered twice is stored once.
-- The address columns are normalised (email lower-cased, phone digits only) so that lookups are exact.
-- key is compared byte by byte (COLLATE "C"), whatever the database's collation: events of one time come
-- in the same order as in SQLite, and the page position (at, key) means the same on every replica.
CREATE TABLE activity (
    key text COLLATE "C" PRIMARY KEY,
    at double precision NOT NULL,  -- activityDateTime
    status text NOT NULL,
    channel text NOT NULL,
    received_at double precision NOT NULL,
    request_id text,
    external_request_id text,
    contact_id bigint,
    email text,
    phone text,
    message_id bigint,
    message_instance_id bigint,
    broadcast_id bigint,
    hard_bounce boolean NOT NULL,
    data text NOT NULL  -- JSON, the event as received (kept as text: exactly what arrived)
);

-- Events come newest first, a page at a time from the position (at, key) the last page ended at; the
-- same index serves since / until and prune, which deletes events by age.
CREATE INDEX activity_at_key ON activity (at DESC, key DESC);

-- The lookups a query may ask for, each followed by the time, so that a person's or a message's events
-- come in order and within since / until straight from the index. Partial: the many events without the
-- value are not indexed (a query's "column = $1" implies "column IS NOT NULL").
CREATE INDEX activity_request_id ON activity (request_id, at) WHERE request_id IS NOT NULL;

CREATE INDEX activity_external_request_id ON activity (external_request_id, at)
WHERE external_request_id IS NOT NULL;

CREATE INDEX activity_contact_id ON activity (contact_id, at) WHERE contact_id IS NOT NULL;

CREATE INDEX activity_email ON activity (email, at) WHERE email IS NOT NULL;

CREATE INDEX activity_phone ON activity (phone, at) WHERE phone IS NOT NULL;

CREATE INDEX activity_broadcast_id ON activity (broadcast_id, at) WHERE broadcast_id IS NOT NULL;

-- One row per channel and subject (email:<address>, phone:<digits>, contact:<id>): the newest event's
-- word on whether the channel reaches it. Subjects too are ordered byte by byte, as in SQLite.
CREATE TABLE marks (
    channel text NOT NULL,
    subject text COLLATE "C" NOT NULL,
    status text NOT NULL,
    suppressing boolean NOT NULL,  -- a hard bounce, an unsubscribe, spam
    at double precision NOT NULL,  -- the time of the event that wrote it
    detail text,
    PRIMARY KEY (channel, subject)
);

-- prune deletes marks by age, suppressing marks never: only the others are indexed.
CREATE INDEX marks_at ON marks (at) WHERE NOT suppressing;

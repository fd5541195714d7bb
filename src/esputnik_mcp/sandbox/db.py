"""The sandbox's SQLite database: schema, opening, resetting."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = "5"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    organisation_name TEXT NOT NULL,
    user_email TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance_minor INTEGER NOT NULL,
    credit_limit_minor INTEGER NOT NULL,
    bonus_emails INTEGER NOT NULL,
    bonus_smses INTEGER NOT NULL,
    reserved_json TEXT NOT NULL DEFAULT '{}',
    senders_json TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    first_name TEXT, last_name TEXT, first_fold TEXT, last_fold TEXT,
    external_customer_id TEXT, contact_key TEXT, language_code TEXT, time_zone TEXT,
    address_book_id INTEGER, region TEXT, town TEXT, address TEXT, postcode TEXT,
    email_status TEXT NOT NULL DEFAULT 'CONFIRMED',
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE channels (
    contact_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    type TEXT NOT NULL,
    value TEXT NOT NULL,
    norm TEXT NOT NULL,
    extra_json TEXT,
    PRIMARY KEY (contact_id, position)
);
CREATE TABLE field_values (
    contact_id INTEGER NOT NULL,
    field_id INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (contact_id, field_id)
);
CREATE TABLE contact_subscriptions (
    contact_id INTEGER NOT NULL, key TEXT NOT NULL, PRIMARY KEY (contact_id, key)
);
CREATE TABLE address_books (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE field_groups (
    id INTEGER PRIMARY KEY, address_book_id INTEGER NOT NULL, name TEXT NOT NULL, profile_key TEXT NOT NULL
);
CREATE TABLE fields (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    field_key TEXT NOT NULL,
    type TEXT NOT NULL,
    required INTEGER NOT NULL DEFAULT 0,
    readonly INTEGER NOT NULL DEFAULT 0,
    possible_json TEXT,
    min_value INTEGER,
    max_value INTEGER
);
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_fold TEXT NOT NULL,
    type TEXT NOT NULL,
    condition_json TEXT
);
CREATE TABLE members (
    segment_id INTEGER NOT NULL,
    contact_id INTEGER NOT NULL,
    joined_at REAL NOT NULL,
    PRIMARY KEY (segment_id, contact_id)
);
CREATE TABLE unsubscribed (email TEXT PRIMARY KEY, added_at REAL NOT NULL);
CREATE TABLE import_sessions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    request_json TEXT NOT NULL,
    state TEXT NOT NULL,
    finished_at REAL,
    mapping_json TEXT,
    description TEXT
);
CREATE TABLE templates (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    name_fold TEXT NOT NULL,
    tags_fold TEXT NOT NULL,
    body_json TEXT NOT NULL
);
CREATE TABLE messages (
    request_id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    contact_id INTEGER,
    locator TEXT NOT NULL,
    template_id INTEGER,
    sent_at REAL NOT NULL,
    outcome TEXT NOT NULL,
    sender TEXT,
    subject TEXT,
    content TEXT,
    tags_json TEXT,
    external_request_id TEXT,
    language_code TEXT,
    cost_minor INTEGER NOT NULL DEFAULT 0,
    parts INTEGER NOT NULL DEFAULT 1,
    message_name TEXT,
    instance_id INTEGER,
    broadcast_id INTEGER,
    source TEXT NOT NULL DEFAULT 'api'
);
CREATE TABLE message_instances (
    id INTEGER PRIMARY KEY,
    template_id INTEGER NOT NULL,
    broadcast_id INTEGER
);
CREATE TABLE activity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    contact_id INTEGER,
    channel TEXT NOT NULL,
    address TEXT,
    status TEXT NOT NULL,
    message_status TEXT,
    at REAL NOT NULL,
    hard_bounce INTEGER NOT NULL DEFAULT 0,
    status_description TEXT,
    click_link TEXT,
    subscriptions_json TEXT,
    pushed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    type_key TEXT NOT NULL,
    contact_id INTEGER,
    params_json TEXT NOT NULL,
    occurred_at REAL NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE orders (
    external_order_id TEXT PRIMARY KEY,
    contact_id INTEGER,
    status TEXT NOT NULL,
    ordered_at REAL NOT NULL,
    body_json TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE order_deletions (
    id INTEGER PRIMARY KEY,
    due_at REAL NOT NULL,
    external_order_id TEXT,
    window_from REAL,
    window_to REAL
);
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    title TEXT,
    template_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    excluded_json TEXT NOT NULL DEFAULT '[]',
    start_at REAL NOT NULL,
    batch_size INTEGER,
    batch_unit TEXT,
    domain TEXT,
    app_id TEXT,
    state TEXT NOT NULL,
    next_at REAL,
    done INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE broadcast_recipients (
    broadcast_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    contact_id INTEGER NOT NULL,
    PRIMARY KEY (broadcast_id, position)
);
CREATE TABLE workflows (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_fold TEXT NOT NULL,
    status TEXT NOT NULL,
    tags_json TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE subscription_categories (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    group_id INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE promo_codes (
    code TEXT PRIMARY KEY,
    expires TEXT NOT NULL,
    expires_at REAL NOT NULL,
    discount INTEGER NOT NULL,
    type TEXT,
    in_use INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE product_feeds (position INTEGER PRIMARY KEY, url TEXT NOT NULL, language TEXT, is_default INTEGER);
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price REAL NOT NULL,
    url TEXT NOT NULL,
    brand TEXT,
    descr TEXT,
    in_stock INTEGER NOT NULL DEFAULT 1,
    tags_json TEXT
);
CREATE TABLE data_sources (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, algorithm TEXT NOT NULL, size INTEGER NOT NULL
);
CREATE TABLE billing (
    day TEXT NOT NULL,
    media_type TEXT NOT NULL,
    total_sent INTEGER NOT NULL DEFAULT 0,
    total_parts INTEGER NOT NULL DEFAULT 0,
    bonus_spent INTEGER NOT NULL DEFAULT 0,
    bonus_received INTEGER NOT NULL DEFAULT 0,
    funds_withdrawal_minor INTEGER NOT NULL DEFAULT 0,
    funds_refund_minor INTEGER NOT NULL DEFAULT 0,
    reserved_withdrawal_minor INTEGER NOT NULL DEFAULT 0,
    reserved_refund_minor INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, media_type)
);
"""

# Created after a bulk load (building them once is faster than updating them row by row).
INDEXES = """
CREATE INDEX contacts_external ON contacts (external_customer_id);
CREATE INDEX contacts_updated ON contacts (deleted, updated_at, id);
CREATE INDEX contacts_first ON contacts (first_fold);
CREATE INDEX contacts_last ON contacts (last_fold);
CREATE INDEX contacts_language ON contacts (language_code);
CREATE INDEX channels_value ON channels (type, norm);
CREATE INDEX field_values_value ON field_values (field_id, value);
CREATE INDEX segments_name ON segments (name_fold);
CREATE INDEX members_contact ON members (contact_id);
CREATE INDEX members_joined ON members (segment_id, joined_at);
CREATE INDEX import_sessions_pending ON import_sessions (state, created_at);
CREATE INDEX templates_channel ON templates (channel, id);
CREATE INDEX messages_contact ON messages (contact_id, sent_at);
CREATE INDEX message_instances_template ON message_instances (template_id) WHERE broadcast_id IS NULL;
CREATE INDEX activity_time ON activity (at, id);
CREATE INDEX activity_request ON activity (request_id, at);
CREATE INDEX activity_address ON activity (address, at);
CREATE INDEX activity_unpushed ON activity (at, id) WHERE pushed = 0;
CREATE INDEX events_contact ON events (contact_id);
CREATE INDEX events_type ON events (type_key, occurred_at);
CREATE INDEX orders_contact ON orders (contact_id, ordered_at);
CREATE INDEX orders_date ON orders (ordered_at);
CREATE INDEX broadcasts_due ON broadcasts (next_at) WHERE next_at IS NOT NULL;
"""

TABLES = (
    "meta",
    "account",
    "contacts",
    "channels",
    "field_values",
    "contact_subscriptions",
    "address_books",
    "field_groups",
    "fields",
    "segments",
    "members",
    "unsubscribed",
    "import_sessions",
    "templates",
    "messages",
    "message_instances",
    "activity",
    "events",
    "orders",
    "order_deletions",
    "broadcasts",
    "broadcast_recipients",
    "workflows",
    "subscription_categories",
    "promo_codes",
    "product_feeds",
    "products",
    "data_sources",
    "billing",
)


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path``; ``":memory:"`` for a throwaway one."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # One event loop uses the connection; uvicorn may run it on another thread than the creator.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def is_initialised(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
    if row is None:
        return False
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return version is not None and version[0] == SCHEMA_VERSION


def recreate(conn: sqlite3.Connection, *, indexes: bool = True) -> None:
    """Drop every sandbox table and create the schema afresh (empty); without ``indexes``, call
    :func:`create_indexes` once the initial rows are in."""
    conn.execute("BEGIN")
    try:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        _run(conn, SCHEMA + (INDEXES if indexes else ""))
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def create_indexes(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN")
    try:
        _run(conn, INDEXES)
        conn.execute("ANALYZE")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _run(conn: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)

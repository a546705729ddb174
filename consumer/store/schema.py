"""Tables of the store, portable between SQLite and PostgreSQL. Times are Unix seconds."""

from __future__ import annotations

from consumer.store.database import Tx

VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS flexmit_schema (version INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS owners (
    owner        TEXT PRIMARY KEY,
    heartbeat_at DOUBLE PRECISION NOT NULL
);

-- One row per effect we must cause once: kind 'transmit' or 'evaluate' keyed by transaction
-- id, kind 'command' keyed by command id.
CREATE TABLE IF NOT EXISTS claims (
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    state       TEXT NOT NULL,            -- in_progress | retry | done | failed
    owner       TEXT,
    lease_until DOUBLE PRECISION NOT NULL,
    attempts    INTEGER NOT NULL,
    generation  INTEGER NOT NULL DEFAULT 0, -- bumped when Flex refused an attempt for good
    payload     TEXT,                     -- the input, kept while a store-driven retry is due
    deadline    DOUBLE PRECISION,
    outcome     TEXT,                     -- the recorded result event (JSON), if any
    updated_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS claims_due ON claims (state, lease_until);

CREATE TABLE IF NOT EXISTS orders (
    transaction_id    TEXT PRIMARY KEY,
    merchant_order_id TEXT NOT NULL,
    flex_order_id     TEXT UNIQUE,
    status            TEXT NOT NULL,
    amount_minor      BIGINT NOT NULL,
    currency          TEXT NOT NULL,
    refunded_minor    BIGINT NOT NULL DEFAULT 0,
    expires_at        DOUBLE PRECISION,
    updated_at        DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_merchant_order ON orders (merchant_order_id);
CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status, expires_at);

-- Every status we published, so a replay re-publishes the same event, byte for byte.
CREATE TABLE IF NOT EXISTS status_events (
    event_id       TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL,
    status         TEXT NOT NULL,
    payload        TEXT NOT NULL,
    created_at     DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS status_events_by_transaction ON status_events (transaction_id);

CREATE TABLE IF NOT EXISTS webhook_receipts (
    flex_order_id  TEXT NOT NULL,
    flex_event     TEXT NOT NULL,
    transaction_id TEXT,
    result         TEXT NOT NULL,           -- applied | unchanged | regression | unknown_order
    event_id       TEXT,
    received_at    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (flex_order_id, flex_event)
);

-- Nonces of verified webhooks, kept for twice the clock-skew window to refuse replays.
CREATE TABLE IF NOT EXISTS webhook_nonces (
    nonce   TEXT PRIMARY KEY,
    seen_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_nonces_by_age ON webhook_nonces (seen_at);

CREATE TABLE IF NOT EXISTS refunds (
    command_id     TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL,
    amount_minor   BIGINT NOT NULL,
    state          TEXT NOT NULL,            -- pending | succeeded | failed
    updated_at     DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_by_transaction ON refunds (transaction_id);
"""


# Whether the version table exists, asked of the catalogue so the question takes no table lock.
_EXISTS = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flexmit_schema'",
    # to_regclass follows search_path, as the statements that use the table will.
    "postgresql": "SELECT 1 WHERE to_regclass('flexmit_schema') IS NOT NULL",
}


def migrate(tx: Tx) -> None:
    """Create the tables when missing; refuse a database written by a newer version."""
    if _current(tx) == VERSION:
        # CREATE INDEX takes a SHARE lock on its table even when the index exists: a worker
        # starting beside busy ones deadlocked their batches (a batch rolled back after its
        # Flex call is redone, and the call with it).
        return
    if tx.dialect.name == "postgresql":
        # Many workers start at once; CREATE ... IF NOT EXISTS alone races in PostgreSQL.
        tx.execute("SELECT pg_advisory_xact_lock(7301)")
    for statement in DDL.split(";"):
        if statement.strip():
            tx.execute(statement)
    row = tx.one("SELECT max(version) FROM flexmit_schema")
    current = row[0] if row else None
    if current is None:
        tx.execute("INSERT INTO flexmit_schema (version) VALUES (:v)", {"v": VERSION})
    elif current > VERSION:
        raise RuntimeError(f"store schema {current} is newer than this release ({VERSION})")


def _current(tx: Tx) -> int | None:
    if tx.one(_EXISTS[tx.dialect.name]) is None:
        return None
    row = tx.one("SELECT max(version) FROM flexmit_schema")
    return None if row is None or row[0] is None else int(row[0])

-- The one source of truth: an append-only sequence of events (R1, DESIGN.md "Data flow").
-- seq is the 0-based index of the entry in the verifiable log; entry holds the canonical bytes.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    entry       BLOB    NOT NULL,
    leaf_hash   BLOB    NOT NULL,
    kind        TEXT    NOT NULL,
    record_id   TEXT,
    at          TEXT    NOT NULL
) STRICT;
CREATE INDEX events_record ON events(record_id);

-- R1: nothing is ever updated in place or deleted. The database itself refuses it, so a bug or a
-- hand-typed statement cannot do it; an administrator who drops the trigger is caught by the ledger.
CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE refused (R1 全程留痕、永久存储)');
END;
CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE refused (R1 全程留痕、永久存储)');
END;

-- Courts and users: administration, not record content. (Admin changes become ledger events with
-- the access-control issue.)
CREATE TABLE courts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_id   TEXT REFERENCES courts(id),
    case_code   TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    court_id      TEXT NOT NULL REFERENCES courts(id),
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    username    TEXT NOT NULL REFERENCES users(username),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT;

-- Projections: rebuilt from events by `liuhen rebuild-projections`; never the source of truth.
CREATE TABLE records (
    id               TEXT PRIMARY KEY,
    court_id         TEXT NOT NULL,
    recorder         TEXT NOT NULL,
    register         TEXT NOT NULL,
    version          INTEGER NOT NULL,
    created_seq      INTEGER NOT NULL,
    last_seq         INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    occurred_at      TEXT NOT NULL,
    case_number      TEXT,
    case_year        INTEGER,
    case_type_code   TEXT,
    stage            TEXT NOT NULL,
    form             TEXT NOT NULL,
    intervener_name  TEXT NOT NULL,
    intervener_unit  TEXT NOT NULL,
    unit_type        TEXT NOT NULL,
    leading_cadre    INTEGER NOT NULL,
    serious          INTEGER NOT NULL,
    special_items    TEXT NOT NULL,
    cosign_status    TEXT NOT NULL,
    channel          TEXT NOT NULL,
    external_id      TEXT,
    data             TEXT NOT NULL
) STRICT;
CREATE INDEX records_court_occurred ON records(court_id, register, occurred_at);
CREATE INDEX records_case ON records(case_number);
CREATE INDEX records_recorder ON records(recorder);

CREATE TABLE record_special_items (
    record_id  TEXT NOT NULL,
    item       INTEGER NOT NULL,
    PRIMARY KEY (record_id, item)
) STRICT;
CREATE INDEX record_special_items_item ON record_special_items(item);

CREATE TABLE record_versions (
    record_id  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    reason     TEXT,
    data       TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
) STRICT;

CREATE TABLE cosignatures (
    record_id  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    signer     TEXT NOT NULL,
    state      TEXT NOT NULL,
    reason     TEXT,
    at         TEXT,
    seq        INTEGER,
    PRIMARY KEY (record_id, version, signer)
) STRICT;
CREATE INDEX cosignatures_signer ON cosignatures(signer, state);

CREATE TABLE materials (
    id           TEXT PRIMARY KEY,
    record_id    TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    category     TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    disposition  TEXT NOT NULL,
    whereabouts  TEXT,
    added_by     TEXT NOT NULL,
    added_at     TEXT NOT NULL
) STRICT;
CREATE INDEX materials_record ON materials(record_id);

-- R3: a repeated push from the case-management system returns the same record.
CREATE TABLE idempotency (
    actor      TEXT NOT NULL,
    key_hash   TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    PRIMARY KEY (actor, key_hash)
) STRICT;

-- The rest of the store in PostgreSQL (issue 7): courts and accounts, the query tables derived
-- from the events, report and witness state — the tables of SQLite's migrations 0001–0019 as they
-- stand after them, with the same columns, so that the store's SQL runs unchanged on both.
-- Integers are BIGINT and flags BIGINT 0/1, as SQLite stores them; times are RFC 3339 text.

CREATE TABLE courts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_id   TEXT REFERENCES courts(id),
    case_code   TEXT NOT NULL UNIQUE
);

CREATE TABLE users (
    username        TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    court_id        TEXT NOT NULL REFERENCES courts(id),
    role            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    failed_logins   BIGINT NOT NULL DEFAULT 0,
    locked_until    TEXT,
    totp_secret     TEXT,
    totp_enabled    BIGINT NOT NULL DEFAULT 0,
    totp_last_step  BIGINT NOT NULL DEFAULT 0,
    disabled_at     TEXT
);

CREATE TABLE sessions (
    token_hash     TEXT PRIMARY KEY,
    username       TEXT NOT NULL REFERENCES users(username),
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    last_seen      TEXT NOT NULL DEFAULT '',
    second_factor  BIGINT,
    method         TEXT NOT NULL DEFAULT 'password'
);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    username    TEXT NOT NULL REFERENCES users(username),
    scopes      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
);

CREATE INDEX events_permissions_set ON events(seq) WHERE kind = 'permissions_set';

-- Query tables (projections of the events).
CREATE TABLE records (
    id               TEXT PRIMARY KEY,
    court_id         TEXT NOT NULL,
    recorder         TEXT NOT NULL,
    register         TEXT NOT NULL,
    version          BIGINT NOT NULL,
    created_seq      BIGINT NOT NULL,
    last_seq         BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    occurred_at      TEXT NOT NULL,
    case_number      TEXT,
    case_year        BIGINT,
    case_type_code   TEXT,
    stage            TEXT NOT NULL,
    form             TEXT NOT NULL,
    intervener_name  TEXT NOT NULL,
    intervener_unit  TEXT NOT NULL,
    unit_type        TEXT NOT NULL,
    leading_cadre    BIGINT NOT NULL,
    serious          BIGINT NOT NULL,
    special_items    TEXT NOT NULL,
    cosign_status    TEXT NOT NULL,
    channel          TEXT NOT NULL,
    external_id      TEXT,
    principal_named  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX records_case ON records(case_number);
CREATE INDEX records_recorder ON records(recorder);
CREATE INDEX records_intervener
    ON records(intervener_name, intervener_unit, register, occurred_at, court_id, leading_cadre, principal_named, case_number);
CREATE INDEX records_court_counted
    ON records(court_id, register, occurred_at, leading_cadre, principal_named, id, version);

CREATE TABLE record_special_items (
    record_id  TEXT NOT NULL,
    item       BIGINT NOT NULL,
    PRIMARY KEY (record_id, item)
);
CREATE INDEX record_special_items_item ON record_special_items(item);

CREATE TABLE record_versions (
    record_id  TEXT NOT NULL,
    version    BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    reason     TEXT,
    data       TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
);

CREATE TABLE cosignatures (
    record_id  TEXT NOT NULL,
    version    BIGINT NOT NULL,
    signer     TEXT NOT NULL,
    state      TEXT NOT NULL,
    reason     TEXT,
    at         TEXT,
    seq        BIGINT,
    PRIMARY KEY (record_id, version, signer)
);
CREATE INDEX cosignatures_signer ON cosignatures(signer, state);

CREATE TABLE materials (
    id           TEXT PRIMARY KEY,
    record_id    TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    category     TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    disposition  TEXT NOT NULL,
    whereabouts  TEXT,
    added_by     TEXT NOT NULL,
    added_at     TEXT NOT NULL
);
CREATE INDEX materials_record ON materials(record_id);

CREATE TABLE idempotency (
    actor      TEXT NOT NULL,
    key_hash   TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    PRIMARY KEY (actor, key_hash)
);

CREATE TABLE record_views (
    record_id    TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    viewer       TEXT NOT NULL,
    at           TEXT NOT NULL,
    part         TEXT NOT NULL,
    material_id  TEXT,
    via          TEXT NOT NULL,
    PRIMARY KEY (record_id, seq)
);

-- The search index: SQLite's is an FTS5 trigram table; here an ordinary table whose text a
-- trigram GIN index serves for LIKE '%word%' (pg_trgm, shipped with PostgreSQL).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE record_search (
    record_id  TEXT PRIMARY KEY,
    body       TEXT NOT NULL
);
CREATE INDEX record_search_body ON record_search USING gin (body gin_trgm_ops);

CREATE TABLE record_facts (
    court_id     TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    facts        TEXT NOT NULL,
    PRIMARY KEY (court_id, occurred_at, record_id)
);

CREATE TABLE drafts (
    id        TEXT PRIMARY KEY,
    username  TEXT NOT NULL,
    saved_at  TEXT NOT NULL,
    fields    TEXT NOT NULL
);
CREATE INDEX drafts_username ON drafts(username, saved_at);

CREATE TABLE reports (
    id              TEXT PRIMARY KEY,
    court_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    period          TEXT NOT NULL,
    state           TEXT NOT NULL,
    drafted_by      TEXT NOT NULL,
    drafted_at      TEXT NOT NULL,
    drafted_seq     BIGINT NOT NULL,
    content_sha256  TEXT NOT NULL,
    content_size    BIGINT NOT NULL,
    recipients      TEXT NOT NULL,
    supersedes      TEXT,
    approved_by     TEXT,
    sealed_at       TEXT,
    sealed_seq      BIGINT,
    files           TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX reports_court ON reports(court_id, period);

CREATE TABLE report_acks (
    report_id        TEXT NOT NULL,
    court_id         TEXT NOT NULL,
    acknowledged_by  TEXT NOT NULL,
    acknowledged_at  TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    PRIMARY KEY (report_id, court_id)
);

CREATE TABLE inspections (
    id               TEXT PRIMARY KEY,
    court_id         TEXT NOT NULL,
    inspected_court  TEXT NOT NULL,
    inspected_on     TEXT NOT NULL,
    subject          TEXT NOT NULL,
    findings         TEXT NOT NULL,
    recorded_by      TEXT NOT NULL,
    seq              BIGINT NOT NULL
);
CREATE INDEX inspections_court ON inspections(court_id, inspected_on);

-- Witnessing: the logs this deployment cosigns, what it saw (alerts are kept for ever), and the
-- cosignatures its own log collected.
CREATE TABLE witness_logs (
    origin        TEXT PRIMARY KEY,
    verifier_key  TEXT NOT NULL,
    size          BIGINT NOT NULL DEFAULT 0,
    root          BYTEA,
    updated_at    TEXT
);

CREATE TABLE witness_alerts (
    id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    origin          TEXT NOT NULL,
    at              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    witnessed_size  BIGINT NOT NULL,
    offered_size    BIGINT NOT NULL,
    detail          TEXT NOT NULL,
    request         BYTEA NOT NULL
);

CREATE TABLE log_cosignatures (
    size     BIGINT NOT NULL,
    witness  TEXT NOT NULL,
    line     TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (size, witness)
);

CREATE TABLE log_witness_state (
    witness     TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE log_witness_refusals (
    id       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    witness  TEXT NOT NULL,
    at       TEXT NOT NULL,
    status   BIGINT NOT NULL,
    size     BIGINT NOT NULL,
    body     TEXT NOT NULL
);

CREATE TRIGGER witness_alerts_append_only BEFORE UPDATE OR DELETE ON witness_alerts
    FOR EACH ROW EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER witness_alerts_no_truncate BEFORE TRUNCATE ON witness_alerts
    FOR EACH STATEMENT EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER log_cosignatures_append_only BEFORE UPDATE OR DELETE ON log_cosignatures
    FOR EACH ROW EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER log_cosignatures_no_truncate BEFORE TRUNCATE ON log_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER log_witness_refusals_append_only BEFORE UPDATE OR DELETE ON log_witness_refusals
    FOR EACH ROW EXECUTE FUNCTION liuhen_refuse_change();
CREATE TRIGGER log_witness_refusals_no_truncate BEFORE TRUNCATE ON log_witness_refusals
    FOR EACH STATEMENT EXECUTE FUNCTION liuhen_refuse_change();

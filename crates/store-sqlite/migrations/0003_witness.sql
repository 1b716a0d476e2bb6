-- Witness side: the logs this deployment witnesses (an upper court follows the courts below),
-- the latest checkpoint it cosigned for each, and the refusals, kept for ever.
CREATE TABLE witness_logs (
    origin        TEXT PRIMARY KEY,
    verifier_key  TEXT NOT NULL,
    size          INTEGER NOT NULL DEFAULT 0,
    root          BLOB,
    updated_at    TEXT
) STRICT;

CREATE TABLE witness_alerts (
    id              INTEGER PRIMARY KEY,
    origin          TEXT NOT NULL,
    at              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    witnessed_size  INTEGER NOT NULL,
    offered_size    INTEGER NOT NULL,
    detail          TEXT NOT NULL,
    request         BLOB NOT NULL
) STRICT;
CREATE TRIGGER witness_alerts_refuse_update BEFORE UPDATE ON witness_alerts
BEGIN SELECT RAISE(ABORT, 'witness alerts cannot be changed or cleared'); END;
CREATE TRIGGER witness_alerts_refuse_delete BEFORE DELETE ON witness_alerts
BEGIN SELECT RAISE(ABORT, 'witness alerts cannot be changed or cleared'); END;

-- Log side: cosignatures received for our checkpoints, what each witness last cosigned, and
-- every refusal.
CREATE TABLE log_cosignatures (
    size     INTEGER NOT NULL,
    witness  TEXT NOT NULL,
    line     TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (size, witness)
) STRICT;
CREATE TRIGGER log_cosignatures_refuse_update BEFORE UPDATE ON log_cosignatures
BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only'); END;
CREATE TRIGGER log_cosignatures_refuse_delete BEFORE DELETE ON log_cosignatures
BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only'); END;

CREATE TABLE log_witness_state (
    witness     TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE log_witness_refusals (
    id       INTEGER PRIMARY KEY,
    witness  TEXT NOT NULL,
    at       TEXT NOT NULL,
    status   INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    body     TEXT NOT NULL
) STRICT;
CREATE TRIGGER log_witness_refusals_refuse_update BEFORE UPDATE ON log_witness_refusals
BEGIN SELECT RAISE(ABORT, 'refusals cannot be changed or cleared'); END;
CREATE TRIGGER log_witness_refusals_refuse_delete BEFORE DELETE ON log_witness_refusals
BEGIN SELECT RAISE(ABORT, 'refusals cannot be changed or cleared'); END;

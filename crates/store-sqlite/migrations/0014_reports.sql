-- Reports (issue 6, R8): a query table derived from report_drafted and report_sealed events. The
-- content and the files sent are kept by their SHA-256 in the material store; their hashes are in
-- the ledger.
CREATE TABLE reports (
    id              TEXT PRIMARY KEY,
    court_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    period          TEXT NOT NULL,
    state           TEXT NOT NULL,
    drafted_by      TEXT NOT NULL,
    drafted_at      TEXT NOT NULL,
    drafted_seq     INTEGER NOT NULL,
    content_sha256  TEXT NOT NULL,
    content_size    INTEGER NOT NULL,
    -- JSON array of court ids the report goes to.
    recipients      TEXT NOT NULL,
    supersedes      TEXT,
    approved_by     TEXT,
    sealed_at       TEXT,
    sealed_seq      INTEGER,
    -- JSON array of {name, sha256, size}.
    files           TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX reports_court ON reports(court_id, period);

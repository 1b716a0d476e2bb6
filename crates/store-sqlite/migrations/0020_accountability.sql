-- Holding to account and protecting (issue 8): query tables derived from the accountability events
-- (screening, checks, findings and appeals, complaints, zero reports, contacts, cadre merges,
-- outcomes). Like every query table they are rebuilt from the ledger.
CREATE TABLE screenings (
    record_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    court_id        TEXT NOT NULL,
    classification  TEXT NOT NULL,
    reason          TEXT NOT NULL,
    screened_by     TEXT NOT NULL,
    screened_at     TEXT NOT NULL,
    PRIMARY KEY (record_id, seq)
) STRICT;

CREATE TABLE checks (
    id              TEXT PRIMARY KEY,
    record_id       TEXT NOT NULL,
    court_id        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    opened_by       TEXT NOT NULL,
    opened_at       TEXT NOT NULL,
    opened_seq      INTEGER NOT NULL,
    findings        TEXT,
    concluded_by    TEXT,
    concluded_at    TEXT,
    concluded_seq   INTEGER
) STRICT;
CREATE INDEX checks_record ON checks(record_id);

CREATE TABLE findings (
    id                 TEXT PRIMARY KEY,
    court_id           TEXT NOT NULL,
    subject            TEXT NOT NULL,
    kind               TEXT NOT NULL,
    record_id          TEXT,
    case_number        TEXT,
    facts              TEXT NOT NULL,
    prior_standing     INTEGER NOT NULL,
    proposed           TEXT NOT NULL,
    decided            TEXT NOT NULL,
    decision_reason    TEXT NOT NULL,
    recorded_by        TEXT NOT NULL,
    recorded_at        TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    state              TEXT NOT NULL,
    final_sanction     TEXT NOT NULL,
    appeal_grounds     TEXT,
    appealed_at        TEXT,
    appeal_reason      TEXT,
    appeal_decided_by  TEXT,
    appeal_decided_at  TEXT
) STRICT;
CREATE INDEX findings_subject ON findings(subject, seq);
CREATE INDEX findings_court ON findings(court_id, seq);

CREATE TABLE complaints (
    id                 TEXT PRIMARY KEY,
    complainant        TEXT NOT NULL,
    complainant_court  TEXT NOT NULL,
    to_court           TEXT NOT NULL,
    account            TEXT NOT NULL,
    filed_at           TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    state              TEXT NOT NULL,
    -- S9: reported up to the Supreme People's Court, whose handlers then read it too.
    escalated          INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX complaints_to ON complaints(to_court, seq);
CREATE INDEX complaints_by ON complaints(complainant);

CREATE TABLE complaint_steps (
    complaint_id  TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    step          TEXT NOT NULL,
    note          TEXT NOT NULL,
    handled_by    TEXT NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (complaint_id, seq)
) STRICT;

CREATE TABLE zero_reports (
    username     TEXT NOT NULL,
    period       TEXT NOT NULL,
    court_id     TEXT NOT NULL,
    attested_at  TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    PRIMARY KEY (username, period)
) STRICT;

CREATE TABLE zero_report_reminders (
    period       TEXT NOT NULL,
    username     TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    court_id     TEXT NOT NULL,
    reminded_by  TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (period, username, seq)
) STRICT;

CREATE TABLE contacts (
    id               TEXT PRIMARY KEY,
    court_id         TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    case_number      TEXT NOT NULL,
    judge            TEXT NOT NULL,
    person           TEXT,
    unit             TEXT,
    occurred_at      TEXT NOT NULL,
    reported_by      TEXT NOT NULL,
    reported_at      TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    answer_record    TEXT,
    answer           TEXT,
    answered_at      TEXT,
    answered_seq     INTEGER,
    UNIQUE (court_id, external_id)
) STRICT;
CREATE INDEX contacts_judge ON contacts(judge, occurred_at);

-- Which cadre each entry of the store names (R16): the intervener, and the principal cadre behind
-- staff or relatives (R2), by the key of rules::accountability::cadre_key.
CREATE TABLE record_cadres (
    record_id    TEXT NOT NULL,
    cadre_key    TEXT NOT NULL,
    role         TEXT NOT NULL,
    -- Copies for the cadre list, which reads a province's entries without decoding them.
    court_id     TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    name         TEXT NOT NULL,
    unit         TEXT NOT NULL,
    post         TEXT NOT NULL,
    PRIMARY KEY (record_id, cadre_key)
) STRICT;
CREATE INDEX record_cadres_key ON record_cadres(cadre_key);
CREATE INDEX record_cadres_court ON record_cadres(court_id, role);
-- The entries already stored get their rows when the store next opens (projection::fill_backlog).
INSERT INTO derived_backlog (name) VALUES ('record_cadres');

CREATE TABLE cadre_merges (
    from_key   TEXT PRIMARY KEY,
    into_key   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    merged_by  TEXT NOT NULL,
    court_id   TEXT NOT NULL,
    at         TEXT NOT NULL,
    seq        INTEGER NOT NULL
) STRICT;

CREATE TABLE outcomes (
    record_id    TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    outcome      TEXT NOT NULL,
    body         TEXT NOT NULL,
    note         TEXT NOT NULL,
    reported_by  TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (record_id, seq)
) STRICT;

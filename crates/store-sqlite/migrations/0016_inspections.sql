-- Inspections (督促检查, issue 6, R10): a high court's checks of the courts below, which its
-- half-year report lists. A query table derived from inspection_recorded events.
CREATE TABLE inspections (
    id              TEXT PRIMARY KEY,
    court_id        TEXT NOT NULL,
    inspected_court TEXT NOT NULL,
    inspected_on    TEXT NOT NULL,
    subject         TEXT NOT NULL,
    findings        TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    seq             INTEGER NOT NULL
) STRICT;
CREATE INDEX inspections_court ON inspections(court_id, inspected_on);

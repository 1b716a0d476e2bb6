-- Immediate reports (issue 6, R9): each court of the chain up to the Supreme People's Court
-- acknowledges in turn. A query table derived from report_acknowledged events.
CREATE TABLE report_acks (
    report_id        TEXT NOT NULL,
    court_id         TEXT NOT NULL,
    acknowledged_by  TEXT NOT NULL,
    acknowledged_at  TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    PRIMARY KEY (report_id, court_id)
) STRICT;

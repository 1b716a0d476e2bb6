-- 查看留痕 (issue 4): every read of a record's contents is a ledger event; this projection answers
-- "who has viewed this record" for its recorder and the store's maintainers.
CREATE TABLE record_views (
    record_id    TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    viewer       TEXT NOT NULL,
    at           TEXT NOT NULL,
    part         TEXT NOT NULL,
    material_id  TEXT,
    via          TEXT NOT NULL,
    PRIMARY KEY (record_id, seq)
) STRICT;

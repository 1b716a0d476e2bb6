-- Reports (R8) read a court's quarter straight through: one row per entry that counts in the
-- analysis (a store entry of a leading cadre, or made for a named cadre), in order of court and
-- time, holding only what the analysis reads (liuhen_rules::RecordFacts as JSON), so that a
-- province's quarter is neither looked up record by record nor decoded from whole records.
CREATE TABLE record_facts (
    court_id TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    record_id TEXT NOT NULL,
    facts TEXT NOT NULL,
    PRIMARY KEY (court_id, occurred_at, record_id)
) WITHOUT ROWID;

-- What a migration leaves for the store to derive in Rust when it next opens (the same code that
-- derives the rows of every later write): the facts of the records already stored, and one last
-- check that every record is in the search index (after which opening no longer scans for it).
CREATE TABLE derived_backlog (name TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO derived_backlog (name) VALUES ('record_search'), ('record_facts');

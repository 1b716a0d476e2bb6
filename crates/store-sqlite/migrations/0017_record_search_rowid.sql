-- The search index keyed by the record's rowid (issue 6's benchmark found it): replacing a
-- record's row by `record_id`, an UNINDEXED column, scanned the whole index on every write, so
-- ingest slowed as the store grew (20,000 records: 69 s). Rows now carry the rowid of their
-- `records` row and are replaced by it. The store refills the index when it opens.
DROP TABLE record_search;
CREATE VIRTUAL TABLE record_search USING fts5(record_id UNINDEXED, body, tokenize = 'trigram');

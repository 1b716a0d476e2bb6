-- The record's JSON is kept once, in record_versions (the current version's row); the records row
-- keeps only the columns that queries filter and sort on. Nothing queried events by record_id.
-- Both halve what each new record writes besides its ledger entry (docs/benchmarks.md).
DROP INDEX events_record;
ALTER TABLE records DROP COLUMN data;

-- Reports (R8) count and look up entries without decoding them: whether an entry was made for a
-- named cadre by their staff or relatives (it then counts as a leading cadre's), and an index
-- that answers "this intervener's earlier entries" from the index alone (repeat interveners).
ALTER TABLE records ADD COLUMN principal_named INTEGER NOT NULL DEFAULT 0;
UPDATE records SET principal_named = coalesce((
    SELECT json_extract(v.data, '$.intervener.principal') IS NOT NULL FROM record_versions v
    WHERE v.record_id = records.id AND v.version = records.version), 0);
CREATE INDEX records_intervener
    ON records(intervener_name, intervener_unit, register, occurred_at, court_id, leading_cadre, principal_named, case_number);
-- The comparison periods' totals are counted from an index alone too, and a period's entries are
-- found without visiting the table (this index also serves everything the one it replaces did:
-- same leading columns).
CREATE INDEX records_court_counted
    ON records(court_id, register, occurred_at, leading_cadre, principal_named, id, version);
DROP INDEX records_court_occurred;

-- Administrative changes are ledger events (issue 4). At start the store compares the permission
-- matrix in force with the last one recorded; this partial index finds that event without
-- scanning the log, and costs other appends nothing but a test of their kind.
CREATE INDEX events_permissions_set ON events(seq) WHERE kind = 'permissions_set';

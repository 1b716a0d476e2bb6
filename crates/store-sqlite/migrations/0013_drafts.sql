-- Unfinished entries (issue 5, the desk's "my drafts"). A draft is not a record: nothing in it is
-- in the ledger until it is submitted, when the draft is deleted. Only its author reads it.
CREATE TABLE drafts (
    id        TEXT PRIMARY KEY,
    username  TEXT NOT NULL,
    saved_at  TEXT NOT NULL,
    -- The form's fields as a JSON array of [name, value] pairs.
    fields    TEXT NOT NULL
) STRICT;
CREATE INDEX drafts_username ON drafts(username, saved_at);

-- 三员分立 and the two-person rule (issue 17). Like the accounts, these tables are written with
-- the ledger event of each change in one transaction; no secret is in the ledger.

-- A token carries the factor strength of the session that issued it; one with a content scope
-- waits for the security administrator's approval (approval_id) before it works.
ALTER TABLE api_tokens ADD COLUMN second_factor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN approval_id TEXT;

-- Changes that need a second person: asked for by one, decided by another.
CREATE TABLE approvals (
    id              TEXT PRIMARY KEY,
    action          TEXT NOT NULL,
    username        TEXT NOT NULL,
    court_id        TEXT NOT NULL REFERENCES courts(id),
    role            TEXT,
    display_name    TEXT,
    token_id        TEXT,
    -- A new account's or a reset's password, applied on approval and then cleared.
    password_hash   TEXT,
    reason          TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    state           TEXT NOT NULL,
    decided_by      TEXT,
    decided_at      TEXT,
    note            TEXT,
    -- A permission matrix asked for (role code → permission codes, JSON).
    detail          TEXT
) STRICT;
CREATE INDEX approvals_pending ON approvals(state, court_id);

-- One-time codes for enrolling a first authenticator, handed to the person out of band; only the
-- hash is kept, and a code works once.
CREATE TABLE enrolment_codes (
    username        TEXT PRIMARY KEY REFERENCES users(username),
    code_hash       TEXT NOT NULL,
    issued_by       TEXT NOT NULL,
    expires_at      TEXT NOT NULL
) STRICT;

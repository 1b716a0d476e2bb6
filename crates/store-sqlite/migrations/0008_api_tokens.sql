-- Scoped API tokens (issue 4) for service accounts: the case-management system, witnesses and
-- auditors. A token acts as its account, limited to its scopes; only its hash is kept.
CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    username    TEXT NOT NULL REFERENCES users(username),
    scopes      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
) STRICT;

-- Accounts are never deleted (their names are in the ledger); a disabled one can no longer log in
-- and its sessions and tokens stop working (issue 4).
ALTER TABLE users ADD COLUMN disabled_at TEXT;

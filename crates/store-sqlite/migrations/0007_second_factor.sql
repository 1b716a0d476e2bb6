-- 等保 level 3 (issue 4): a TOTP second factor (RFC 6238). The secret is set at enrolment and
-- counts once the user has confirmed a code from it; each time step is accepted once.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Single sign-on (issue 4): a session opened through the court's OpenID Connect provider says
-- whether the provider confirmed a second factor for that login; NULL for password logins, whose
-- second factor is the account's own TOTP.
ALTER TABLE sessions ADD COLUMN second_factor INTEGER;
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';

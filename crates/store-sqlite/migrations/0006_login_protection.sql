-- 等保 level 3 (issue 4): failed logins lock an account for a while; sessions end after a time
-- without use as well as at their absolute expiry.
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;
ALTER TABLE sessions ADD COLUMN last_seen TEXT NOT NULL DEFAULT '';

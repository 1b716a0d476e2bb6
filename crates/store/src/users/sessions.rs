//! Login sessions: logging in (password, second factor, lockout), single sign-on, the session cache,
//! looking a session up, changing the own password, logging out.

use super::*;
use crate::sql::params;

/// How long a looked-up session is trusted without asking the database again. A logout through
/// this process takes effect at once; one through another process over the same database within
/// this time.
const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
const SESSION_CACHE_MAX: usize = 20_000;

struct CachedSession {
    user: User,
    expires: time::OffsetDateTime,
    looked_up: std::time::Instant,
}

/// Valid sessions recently read from the database, by token hash: the API asks for the session on
/// every request, and a database round trip each time costs more than the rest of a request.
#[derive(Default)]
pub(crate) struct SessionCache(std::sync::Mutex<std::collections::HashMap<String, CachedSession>>);

impl SessionCache {
    fn get(&self, hash: &str) -> Option<User> {
        let map = self.0.lock().ok()?;
        let hit = map.get(hash)?;
        (hit.looked_up.elapsed() < SESSION_CACHE_TTL && hit.expires > now()).then(|| hit.user.clone())
    }

    pub(super) fn put(&self, hash: String, user: User, expires: time::OffsetDateTime) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= SESSION_CACHE_MAX {
                map.retain(|_, s| s.looked_up.elapsed() < SESSION_CACHE_TTL);
            }
            map.insert(hash, CachedSession { user, expires, looked_up: std::time::Instant::now() });
        }
    }

    pub(crate) fn forget_user(&self, username: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|_, s| s.user.username != username);
        }
    }

    pub(crate) fn forget(&self, hash: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(hash);
        }
    }
}

impl Store {
    /// A user changes their own password, giving the current one. Every other session of theirs
    /// ends.
    pub async fn change_password(&self, user: &User, current: &str, new: &str, this_token: &str) -> Result<()> {
        let stored: String = self
            .reader
            .one("SELECT password_hash FROM users WHERE username = $1", params![&user.username])
            .await?
            .get(0)?;
        if !password_matches(stored, current).await? {
            return Err(StoreError::invalid(Problem::new(
                "current_password",
                "S3",
                "wrong",
                "当前密码不对",
                "the current password is wrong",
            )));
        }
        self.set_password(&user.username, &user.username, new, Some(this_token)).await
    }

    /// Set a new password (the user's own change, or an administrator's reset) and end the
    /// user's sessions (but `keep`). Touches nothing but the account: no record content is shown
    /// or needed.
    pub(crate) async fn set_password(&self, actor: &str, username: &str, new: &str, keep: Option<&str>) -> Result<()> {
        check_password_policy(username, new)?;
        let hash = hash_password(new.to_string()).await?;
        let change = AdminChange::SetPassword { username: username.to_string(), hash, keep: keep.map(token_hash) };
        self.administer(actor, change).await?;
        self.sessions.forget_user(username);
        Ok(())
    }

    /// Check a password (argon2id) and open a session; the token is returned once and only its
    /// hash is kept. `client` is the address the attempt comes from: too many failures from one
    /// address in a minute are refused for a while, whatever account they try (the lockout
    /// guards each account; this guards against trying many). The address's attempt is counted
    /// before any work and released on success, so a burst from one address gets no more than
    /// the limit through.
    pub async fn login(
        &self,
        client: Option<std::net::IpAddr>,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<(String, User)> {
        let limit = self.config.policy.login_failures_per_minute;
        let attempt = match client.map(|ip| self.login_throttle.reserve(ip, limit)) {
            Some(Err(retry_after)) => return Err(StoreError::TooManyAttempts { retry_after }),
            Some(Ok(attempt)) => Some(attempt),
            None => None,
        };
        let result = self.check_login(username, password, code).await;
        if let Some(attempt) = attempt
            && !matches!(&result, Err(StoreError::BadCredentials | StoreError::SecondFactorWrong))
        {
            self.login_throttle.release(attempt);
        }
        result
    }

    /// A password check, at most as many at once as there are cores (argon2id is memory- and
    /// CPU-hard: a burst of logins waits its turn rather than running together).
    async fn password_check(&self, stored: String, password: &str) -> Result<bool> {
        let _permit = self
            .login_throttle
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        password_matches(stored, password).await
    }

    /// The password (and code) of one attempt (等保: failed logins lock the account for a while).
    ///
    /// The attempt takes one of the account's `max_failed_logins` places before its password is
    /// hashed: one statement checks the lock and the count and counts the attempt, and the
    /// attempt that takes the last place locks the account there and then. However many attempts
    /// arrive at once, no more than that many are evaluated before the lock, and an attempt that
    /// never finishes (a dropped connection, a crash) has counted already; a success gives the
    /// places back. An attempt that finds no place — unknown name, disabled or locked account —
    /// is hashed against a dummy and answered exactly as a wrong password: nothing tells whether
    /// the name exists or is locked, and a locked account's password is never evaluated, so a
    /// right guess while locked is not told apart either.
    async fn check_login(&self, username: &str, password: &str, code: Option<&str>) -> Result<(String, User)> {
        let max = i64::from(self.config.policy.max_failed_logins.max(1));
        let lock_until = ts(now() + time::Duration::minutes(self.config.policy.lockout_minutes));
        let place: Option<i64> = self
            .writer
            .row(
                "UPDATE users SET
               failed_logins = CASE WHEN failed_logins + 1 >= $3 THEN 0 ELSE failed_logins + 1 END,
               locked_until = CASE WHEN failed_logins + 1 >= $3 THEN $4 ELSE locked_until END
             WHERE username = $1 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2)
             RETURNING failed_logins",
                params![username, ts(now()), max, &lock_until],
            )
            .await?
            .map(|r| r.get(0))
            .transpose()?;
        // This attempt took the last place and locked the account (evaluated all the same).
        let locked_here = place == Some(0);
        if locked_here {
            tracing::warn!(user = %username, "account locked after {max} failed logins");
        }
        let row = match place {
            Some(_) => Some(self.writer.one("SELECT * FROM users WHERE username = $1", params![username]).await?),
            None => None,
        };
        // Hash in every case so that timing does not tell which names exist or are locked.
        let stored = match &row {
            Some(r) => r.get::<String>("password_hash")?,
            None => "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$R1fsvYjhD1r9oKGKkRzXn+4HBEp+B0qS9qjJkFQYTQ0"
                .to_string(),
        };
        let ok = self.password_check(stored, password).await?;
        let Some(row) = row else { return Err(StoreError::BadCredentials) };
        let user = row_user(&row)?;
        // The second factor, for accounts that have one: a wrong or replayed code counts as a failed
        // login; a missing one is asked for and does not (its place is given back).
        let mut second_factor_failed = false;
        if ok && user.second_factor {
            let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
                let (give_back, params) = if locked_here {
                    (
                        "UPDATE users SET failed_logins = $1, locked_until = NULL WHERE username = $2
                           AND locked_until = $3",
                        crate::sql::params![max - 1, &user.username, &lock_until],
                    )
                } else {
                    (
                        "UPDATE users SET failed_logins = failed_logins - 1 WHERE username = $1 AND failed_logins > 0",
                        crate::sql::params![&user.username],
                    )
                };
                self.writer.exec(give_back, params).await?;
                return Err(StoreError::SecondFactorRequired);
            };
            let secret: String = row.get::<Option<String>>("totp_secret")?.unwrap_or_default();
            let last: i64 = row.get("totp_last_step")?;
            second_factor_failed = match totp(&secret, &user.username)?.check(code, unix_now()) {
                // Each code is accepted once (RFC 6238 §5.2), however many logins present it at
                // once: the step is taken only if it is still later than the last one taken.
                Some(step) if step as i64 > last => {
                    self.writer
                        .exec(
                            "UPDATE users SET totp_last_step = $1 WHERE username = $2 AND totp_last_step < $1",
                            params![step as i64, &user.username],
                        )
                        .await?
                        != 1
                }
                _ => true,
            };
        }
        if !ok || second_factor_failed {
            // Counted when the place was taken.
            return Err(if second_factor_failed { StoreError::SecondFactorWrong } else { StoreError::BadCredentials });
        }
        self.writer
            .exec(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = $1",
                params![&user.username],
            )
            .await?;
        let token = self.open_session(&user.username, "password", None).await?;
        Ok((token, user))
    }

    /// A new login session; `second_factor` is what the identity provider confirmed for a
    /// federated login (None: the account's own TOTP, which a password login has just checked).
    async fn open_session(&self, username: &str, method: &str, second_factor: Option<bool>) -> Result<String> {
        let token_bytes: [u8; 32] = rand::random();
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token_bytes);
        let created = now();
        self.writer
            .exec(
                "INSERT INTO sessions (token_hash, username, created_at, expires_at, last_seen, method, second_factor)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![
                    token_hash(&token),
                    username,
                    ts(created),
                    ts(created + time::Duration::hours(self.config.policy.session_hours)),
                    ts(created),
                    method,
                    second_factor.map(i64::from)
                ],
            )
            .await?;
        Ok(token)
    }

    /// Log in someone the court's identity provider (OpenID Connect) has authenticated as
    /// `username`. Only existing accounts may: the provider says who someone is, this register says
    /// what they may do. A disabled or locked account is refused as at the password form.
    /// `second_factor`: whether the provider confirmed one for this login (its `amr` claim); a
    /// session without one cannot read the whole store when the configuration requires it.
    pub async fn login_federated(
        &self,
        client: Option<std::net::IpAddr>,
        username: &str,
        second_factor: bool,
    ) -> Result<(String, User)> {
        let limit = self.config.policy.login_failures_per_minute;
        if let Some(ip) = client
            && let Some(retry_after) = self.login_throttle.refuses(ip, limit)
        {
            return Err(StoreError::TooManyAttempts { retry_after });
        }
        let row = self.reader.row("SELECT * FROM users WHERE username = $1", params![username]).await?;
        let Some(row) = row.filter(|r| r.get::<Option<String>>("disabled_at").ok().flatten().is_none()) else {
            if let Some(ip) = client {
                self.login_throttle.failed(ip);
            }
            return Err(StoreError::NoFederatedAccount(username.to_string()));
        };
        if let Some(until) =
            row.get::<Option<String>>("locked_until")?.map(|t| parse_ts(&t)).transpose()?.filter(|u| *u > now())
        {
            return Err(StoreError::Locked { until });
        }
        let mut user = row_user(&row)?;
        let token = self.open_session(username, "oidc", Some(second_factor)).await?;
        user.second_factor = second_factor;
        Ok((token, user))
    }

    /// The user a session token belongs to, if it is valid and not expired.
    pub async fn session_user(&self, token: &str) -> Result<Option<User>> {
        let hash = token_hash(token);
        if let Some(user) = self.sessions.get(&hash) {
            return Ok(Some(user));
        }
        if token.starts_with(TOKEN_PREFIX) {
            return self.token_user(hash).await;
        }
        let row = self
            .reader
            .row(
                "SELECT u.*, s.expires_at, s.last_seen, s.second_factor AS session_second_factor
             FROM sessions s JOIN users u ON u.username = s.username
             WHERE s.token_hash = $1 AND u.disabled_at IS NULL",
                params![&hash],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let at = now();
        let expires = parse_ts(&row.get::<String>("expires_at")?)?;
        let last_seen = parse_ts(&row.get::<String>("last_seen")?)?;
        let idle = time::Duration::minutes(self.config.policy.session_idle_minutes);
        if expires <= at || at - last_seen > idle {
            // Over: absolutely, or after too long without use (等保: sessions end by themselves).
            self.writer.exec("DELETE FROM sessions WHERE token_hash = $1", params![&hash]).await?;
            return Ok(None);
        }
        if at - last_seen > time::Duration::minutes(1) {
            self.writer
                .exec("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2", params![ts(at), &hash])
                .await?;
        }
        let mut user = row_user(&row)?;
        // A federated session has the second factor its provider confirmed, whatever the account's.
        if let Some(confirmed) = row.get::<Option<i64>>("session_second_factor")? {
            user.second_factor = confirmed != 0;
        }
        let user = self.factor_limits(user);
        // Trusted from the cache until the session would end of either cause.
        self.sessions.put(hash, user.clone(), expires.min(at + idle));
        Ok(Some(user))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        self.writer.exec("DELETE FROM sessions WHERE token_hash = $1", params![&hash]).await?;
        self.sessions.forget(&hash);
        Ok(())
    }
}

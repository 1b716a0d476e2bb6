//! Courts, users and login sessions.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use liuhen_rules::{CourtLevel, Listed, Permission, Problem, Role};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::account_changes::AdminChange;
use crate::{Result, Store, StoreError, now, parse_ts, ts};

/// The actor of administrative changes made at the command line when nobody is named.
pub(crate) const CONSOLE: &str = "console";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Court {
    pub id: String,
    pub name: String,
    pub level: CourtLevel,
    pub parent_id: Option<String>,
    /// 法院代字 as used in case numbers, e.g. 示0101.
    pub case_code: String,
}

pub type NewCourt = Court;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub court_id: String,
    pub role: Role,
    /// Whether the account has a confirmed TOTP second factor (and so logs in with it).
    pub second_factor: bool,
    /// When acting through an API token: what the token allows (within the role). None for a
    /// login session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Permission>>,
    /// Whether this request acts through an API token rather than a login session.
    #[serde(skip)]
    pub via_token: bool,
    /// Whether the content permissions of the role were taken away for want of a second factor
    /// (`Store::factor_limits`); the refusals then say how to get them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub factor_limited: bool,
}

impl User {
    /// Separation of duties (docs/security.md, 三员分立): the system administrator, the security
    /// administrator and the security auditor never read record contents.
    pub fn may_read_records(&self) -> bool {
        !matches!(self.role, Role::SystemAdministrator | Role::SecurityAdministrator | Role::SecurityAuditor)
    }
}

/// An account as its administrator sees it.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub disabled_at: Option<time::OffsetDateTime>,
    pub locked_until: Option<time::OffsetDateTime>,
}

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub court_id: String,
    pub role: Role,
    pub password: String,
    /// Why, for the approver, when the role needs a second person (issue 17).
    pub reason: String,
}

/// The problems of a token request so far, with those of an empty scope list and a missing name:
/// all of them at once, or none.
pub(crate) fn token_request_complete(granted: &[Permission], name: &str, mut problems: Vec<Problem>) -> Result<()> {
    if granted.is_empty() && problems.is_empty() {
        problems.push(Problem::new(
            "scopes",
            "S3",
            "required",
            "请至少给令牌一项权限",
            "give the token at least one scope",
        ));
    }
    if name.trim().is_empty() || name.chars().count() > 100 {
        problems.push(Problem::new(
            "name",
            "S3",
            "required",
            "请为令牌起个名字（用途，不超过 100 字）",
            "name the token (what it is for, at most 100 characters)",
        ));
    }
    if problems.is_empty() { Ok(()) } else { Err(StoreError::Invalid(problems)) }
}

/// A new API token: the token (shown once), its hash (kept) and its listing.
pub(crate) fn new_token(
    name: &str,
    username: &str,
    scopes: Vec<Permission>,
    valid_days: Option<i64>,
) -> (String, String, ApiToken) {
    // 256 random bits, URL-safe; the prefix tells the server it is no login session.
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let created = now();
    let listed = ApiToken {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.trim().to_string(),
        username: username.to_string(),
        scopes,
        created_at: created,
        expires_at: valid_days.map(|d| created + time::Duration::days(d)),
        revoked_at: None,
    };
    let hash = token_hash(&token);
    (token, hash, listed)
}

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

    fn put(&self, hash: String, user: User, expires: time::OffsetDateTime) {
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

/// 等保: at least 10 characters, of at least two kinds (letters, digits, other signs), and not the
/// user name.
pub(crate) fn check_password_policy(username: &str, password: &str) -> Result<()> {
    let kinds = [
        password.chars().any(char::is_alphabetic),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if password.chars().count() < 10 || kinds < 2 || password.eq_ignore_ascii_case(username) {
        return Err(StoreError::invalid(Problem::new(
            "password",
            "S3",
            "weak_password",
            "密码至少 10 个字符，须含字母、数字、符号中的至少两类，且不能与用户名相同",
            "a password has at least 10 characters of at least two kinds (letters, digits, signs) and is not the user name",
        )));
    }
    Ok(())
}

/// Whether `password` matches the stored argon2id hash (checked off the async threads).
async fn password_matches(stored: String, password: &str) -> Result<bool> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .map_err(|e| StoreError::Internal(e.to_string()))
}

pub(crate) async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt_bytes: [u8; 16] = rand::random();
        let salt = SaltString::encode_b64(&salt_bytes)?;
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| StoreError::Internal(e.to_string()))?
    .map_err(|e| StoreError::Internal(e.to_string()))
}

/// Failed logins per client address over the last minute, and the bound on password hashing.
pub(crate) struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, Vec<std::time::Instant>>>,
    /// Password checks running at once: argon2id takes 19 MiB and a core for tens of
    /// milliseconds, so a burst of logins waits here instead of running them all together.
    hashing: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Default for LoginThrottle {
    fn default() -> LoginThrottle {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        LoginThrottle { failures: Default::default(), hashing: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)) }
    }
}

/// An attempt from one address, counted as a failure until it is released (a success).
pub(crate) struct AttemptReservation {
    ip: std::net::IpAddr,
    at: std::time::Instant,
}

impl LoginThrottle {
    const WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

    /// Seconds to wait, when `ip` has failed `limit` times within the window.
    fn refuses(&self, ip: std::net::IpAddr, limit: u32) -> Option<u64> {
        let mut map = self.failures.lock().ok()?;
        let failures = map.get_mut(&ip)?;
        failures.retain(|at| at.elapsed() < Self::WINDOW);
        let oldest = *failures.first()?;
        (failures.len() >= limit as usize).then(|| (Self::WINDOW - oldest.elapsed()).as_secs() + 1)
    }

    fn failed(&self, ip: std::net::IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 100_000 {
                map.retain(|_, f| f.last().is_some_and(|at| at.elapsed() < Self::WINDOW));
            }
            map.entry(ip).or_default().push(std::time::Instant::now());
        }
    }

    /// Check and count an attempt from `ip` in one step, so that a burst of attempts cannot all
    /// pass the check before any is counted: the attempt counts as a failure unless released.
    /// Err: seconds to wait.
    fn reserve(&self, ip: std::net::IpAddr, limit: u32) -> std::result::Result<AttemptReservation, u64> {
        if let Some(retry_after) = self.refuses(ip, limit) {
            return Err(retry_after);
        }
        let Ok(mut map) = self.failures.lock() else { return Err(Self::WINDOW.as_secs()) };
        if map.len() > 100_000 {
            map.retain(|_, f| f.last().is_some_and(|at| at.elapsed() < Self::WINDOW));
        }
        let failures = map.entry(ip).or_default();
        failures.retain(|at| at.elapsed() < Self::WINDOW);
        if failures.len() >= limit as usize {
            let oldest = failures.first().map_or(std::time::Duration::ZERO, |at| at.elapsed());
            return Err(Self::WINDOW.saturating_sub(oldest).as_secs() + 1);
        }
        let at = std::time::Instant::now();
        failures.push(at);
        Ok(AttemptReservation { ip, at })
    }

    /// The attempt did not fail: it no longer counts.
    fn release(&self, attempt: AttemptReservation) {
        if let Ok(mut map) = self.failures.lock()
            && let Some(failures) = map.get_mut(&attempt.ip)
            && let Some(i) = failures.iter().position(|at| *at == attempt.at)
        {
            failures.remove(i);
        }
    }
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn row_court(row: &sqlx::any::AnyRow) -> Result<Court> {
    let level: String = row.try_get("level")?;
    Ok(Court {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        level: CourtLevel::from_code(&level)
            .ok_or_else(|| StoreError::Internal(format!("unknown court level {level}")))?,
        parent_id: row.try_get("parent_id")?,
        case_code: row.try_get("case_code")?,
    })
}

fn row_user(row: &sqlx::any::AnyRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        court_id: row.try_get("court_id")?,
        role: Role::from_code(&role).ok_or_else(|| StoreError::Internal(format!("unknown role {role}")))?,
        second_factor: row.try_get::<i64, _>("totp_enabled")? != 0,
        scopes: None,
        via_token: false,
        factor_limited: false,
    })
}

/// API tokens start with this, so the server knows not to look among login sessions.
const TOKEN_PREFIX: &str = "lht_";

/// An issued API token as listed (the token itself is shown once, when issued).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub username: String,
    pub scopes: Vec<Permission>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<time::OffsetDateTime>,
}

pub(crate) fn scopes_of(text: &str) -> Vec<Permission> {
    text.split(',').filter_map(Permission::from_code).collect()
}

/// The TOTP generator of a stored base32 secret: RFC 6238 defaults (SHA-1, 6 digits, 30 s, one
/// step of skew either way), which every authenticator app reads.
fn totp(secret_base32: &str, username: &str) -> Result<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32)
        .map_err(|e| StoreError::Internal(format!("stored TOTP secret: {e:?}")))?;
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name(username.replace(':', "_"))
        .with_issuer(Some("liuhen"))
        .build()
        .map_err(|e| StoreError::Internal(format!("TOTP: {e:?}")))
}

fn unix_now() -> u64 {
    now().unix_timestamp().max(0) as u64
}

/// What a user needs to set up their authenticator: the secret, and the same as an otpauth URL
/// (for a QR code).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TotpEnrolment {
    /// Base32, as authenticator apps take it when typed in.
    pub secret: String,
    pub otpauth_url: String,
}

impl Store {
    pub async fn court(&self, id: &str) -> Result<Option<Court>> {
        let row = sqlx::query("SELECT * FROM courts WHERE id = $1").bind(id).fetch_optional(&self.reader).await?;
        row.as_ref().map(row_court).transpose()
    }

    pub async fn courts(&self) -> Result<Vec<Court>> {
        let rows = sqlx::query("SELECT * FROM courts ORDER BY case_code").fetch_all(&self.reader).await?;
        rows.iter().map(row_court).collect()
    }

    pub async fn user(&self, username: &str) -> Result<Option<User>> {
        let row =
            sqlx::query("SELECT * FROM users WHERE username = $1").bind(username).fetch_optional(&self.reader).await?;
        row.as_ref().map(row_user).transpose()
    }

    /// The accounts of the given courts with their state, for the administrator's pages.
    pub async fn accounts(&self, courts: &std::collections::BTreeSet<String>) -> Result<Vec<Account>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY court_id, username").fetch_all(&self.reader).await?;
        let mut accounts = Vec::new();
        for row in &rows {
            let user = row_user(row)?;
            if !courts.contains(&user.court_id) {
                continue;
            }
            let at = |c: &str| -> Result<Option<time::OffsetDateTime>> {
                row.try_get::<Option<String>, _>(c)?.map(|t| parse_ts(&t)).transpose()
            };
            accounts.push(Account {
                disabled_at: at("disabled_at")?,
                locked_until: at("locked_until")?.filter(|u| *u > now()),
                user,
            });
        }
        Ok(accounts)
    }

    pub async fn users_of_court(&self, court_id: &str) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users WHERE court_id = $1 ORDER BY username")
            .bind(court_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(row_user).collect()
    }

    /// Begin enrolling a TOTP second factor: a new secret, which counts once a code from it is
    /// confirmed. It takes the one-time enrolment code handed to the person out of band (issue
    /// 17: a password alone, which an administrator may know, never enrols an authenticator).
    /// Starting again takes a new code; a confirmed factor stays until it is reset.
    pub async fn start_second_factor(&self, user: &User, enrolment_code: &str) -> Result<TotpEnrolment> {
        if user.second_factor || self.user(&user.username).await?.is_some_and(|u| u.second_factor) {
            return Err(StoreError::conflict("已启用第二因素", "the second factor is already set up"));
        }
        if user.via_token {
            return Err(StoreError::forbidden("令牌不能启用第二因素", "a token cannot enrol a second factor"));
        }
        self.redeem_enrolment_code(&user.username, enrolment_code).await?;
        let secret = totp_rs::Secret::from(rand::random::<[u8; 20]>()).to_base32();
        let otpauth_url =
            totp(&secret, &user.username)?.to_url().map_err(|e| StoreError::Internal(format!("{e:?}")))?;
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = 0 WHERE username = $2 AND totp_enabled = 0")
            .bind(&secret)
            .bind(&user.username)
            .execute(&self.writer)
            .await?;
        Ok(TotpEnrolment { secret, otpauth_url })
    }

    /// Confirm the second factor with a code from the authenticator. The session that confirms
    /// it has shown both factors; every other session of the user, opened with the password
    /// alone, is ended.
    pub async fn confirm_second_factor(&self, user: &User, code: &str, this_token: &str) -> Result<()> {
        let row = sqlx::query("SELECT totp_secret, totp_enabled FROM users WHERE username = $1")
            .bind(&user.username)
            .fetch_one(&self.reader)
            .await?;
        if row.try_get::<i64, _>("totp_enabled")? != 0 {
            return Err(StoreError::conflict("已启用第二因素", "the second factor is already set up"));
        }
        let Some(secret) = row.try_get::<Option<String>, _>("totp_secret")? else {
            return Err(StoreError::conflict(
                "请先开始设置第二因素（POST /api/v1/me/totp）",
                "start setting up the second factor first (POST /api/v1/me/totp)",
            ));
        };
        let Some(step) = totp(&secret, &user.username)?.check(code.trim(), unix_now()) else {
            return Err(StoreError::invalid(Problem::new(
                "code",
                "S3",
                "invalid",
                "验证码不对：请输入验证器当前显示的 6 位数字",
                "wrong code: enter the 6 digits your authenticator shows now",
            )));
        };
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET totp_enabled = 1, totp_last_step = $1 WHERE username = $2")
            .bind(step as i64)
            .bind(&user.username)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE username = $1 AND token_hash <> $2")
            .bind(&user.username)
            .bind(token_hash(this_token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.sessions.forget_user(&user.username);
        Ok(())
    }

    async fn token_user(&self, hash: String) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.*, t.scopes, t.expires_at, t.revoked_at, t.approval_id, t.second_factor AS token_second_factor
             FROM api_tokens t JOIN users u ON u.username = t.username
             WHERE t.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let at = now();
        let expires = row.try_get::<Option<String>, _>("expires_at")?.map(|t| parse_ts(&t)).transpose()?;
        // A token waiting for the security administrator's approval does not work yet.
        if row.try_get::<Option<String>, _>("approval_id")?.is_some()
            || row.try_get::<Option<String>, _>("revoked_at")?.is_some()
            || expires.is_some_and(|e| e <= at)
            || row.try_get::<Option<String>, _>("disabled_at")?.is_some()
        {
            return Ok(None);
        }
        let mut user = row_user(&row)?;
        user.scopes = Some(scopes_of(&row.try_get::<String, _>("scopes")?));
        user.via_token = true;
        // A token carries the factor strength of the login that asked for it (an administrator's
        // tokens: none).
        user.second_factor = row.try_get::<i64, _>("token_second_factor")? != 0;
        let user = self.factor_limits(user);
        let until = expires.unwrap_or(at + time::Duration::hours(1)).min(at + time::Duration::hours(1));
        self.sessions.put(hash, user.clone(), until);
        Ok(Some(user))
    }

    /// Every token ever issued, newest first (revoked ones stay listed).
    pub async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT * FROM api_tokens ORDER BY created_at DESC").fetch_all(&self.reader).await?;
        let time_of = |r: &sqlx::any::AnyRow, c: &str| -> Result<Option<time::OffsetDateTime>> {
            r.try_get::<Option<String>, _>(c)?.map(|t| parse_ts(&t)).transpose()
        };
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    username: r.try_get("username")?,
                    scopes: scopes_of(&r.try_get::<String, _>("scopes")?),
                    created_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
                    expires_at: time_of(r, "expires_at")?,
                    revoked_at: time_of(r, "revoked_at")?,
                })
            })
            .collect()
    }

    /// A user changes their own password, giving the current one. Every other session of theirs
    /// ends.
    pub async fn change_password(&self, user: &User, current: &str, new: &str, this_token: &str) -> Result<()> {
        let stored: String = sqlx::query("SELECT password_hash FROM users WHERE username = $1")
            .bind(&user.username)
            .fetch_one(&self.reader)
            .await?
            .try_get(0)?;
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
        let limit = self.config.login_failures_per_minute;
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
        let max = i64::from(self.config.max_failed_logins.max(1));
        let lock_until = ts(now() + time::Duration::minutes(self.config.lockout_minutes));
        let place: Option<i64> = sqlx::query(
            "UPDATE users SET
               failed_logins = CASE WHEN failed_logins + 1 >= $3 THEN 0 ELSE failed_logins + 1 END,
               locked_until = CASE WHEN failed_logins + 1 >= $3 THEN $4 ELSE locked_until END
             WHERE username = $1 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2)
             RETURNING failed_logins",
        )
        .bind(username)
        .bind(ts(now()))
        .bind(max)
        .bind(&lock_until)
        .fetch_optional(&self.writer)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        // This attempt took the last place and locked the account (evaluated all the same).
        let locked_here = place == Some(0);
        if locked_here {
            tracing::warn!(user = %username, "account locked after {max} failed logins");
        }
        let row = match place {
            Some(_) => Some(
                sqlx::query("SELECT * FROM users WHERE username = $1").bind(username).fetch_one(&self.writer).await?,
            ),
            None => None,
        };
        // Hash in every case so that timing does not tell which names exist or are locked.
        let stored = match &row {
            Some(r) => r.try_get::<String, _>("password_hash")?,
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
                let give_back = if locked_here {
                    sqlx::query(
                        "UPDATE users SET failed_logins = $1, locked_until = NULL WHERE username = $2 AND locked_until = $3",
                    )
                    .bind(max - 1)
                    .bind(&user.username)
                    .bind(&lock_until)
                } else {
                    sqlx::query(
                        "UPDATE users SET failed_logins = failed_logins - 1 WHERE username = $1 AND failed_logins > 0",
                    )
                    .bind(&user.username)
                };
                give_back.execute(&self.writer).await?;
                return Err(StoreError::SecondFactorRequired);
            };
            let secret: String = row.try_get::<Option<String>, _>("totp_secret")?.unwrap_or_default();
            let last: i64 = row.try_get("totp_last_step")?;
            second_factor_failed = match totp(&secret, &user.username)?.check(code, unix_now()) {
                // Each code is accepted once (RFC 6238 §5.2), however many logins present it at
                // once: the step is taken only if it is still later than the last one taken.
                Some(step) if step as i64 > last => {
                    sqlx::query("UPDATE users SET totp_last_step = $1 WHERE username = $2 AND totp_last_step < $1")
                        .bind(step as i64)
                        .bind(&user.username)
                        .execute(&self.writer)
                        .await?
                        .rows_affected()
                        != 1
                }
                _ => true,
            };
        }
        if !ok || second_factor_failed {
            // Counted when the place was taken.
            return Err(if second_factor_failed { StoreError::SecondFactorWrong } else { StoreError::BadCredentials });
        }
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = $1")
            .bind(&user.username)
            .execute(&self.writer)
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
        sqlx::query(
            "INSERT INTO sessions (token_hash, username, created_at, expires_at, last_seen, method, second_factor)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash(&token))
        .bind(username)
        .bind(ts(created))
        .bind(ts(created + time::Duration::hours(self.config.session_hours)))
        .bind(ts(created))
        .bind(method)
        .bind(second_factor.map(i64::from))
        .execute(&self.writer)
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
        let limit = self.config.login_failures_per_minute;
        if let Some(ip) = client
            && let Some(retry_after) = self.login_throttle.refuses(ip, limit)
        {
            return Err(StoreError::TooManyAttempts { retry_after });
        }
        let row =
            sqlx::query("SELECT * FROM users WHERE username = $1").bind(username).fetch_optional(&self.reader).await?;
        let Some(row) = row.filter(|r| r.try_get::<Option<String>, _>("disabled_at").ok().flatten().is_none()) else {
            if let Some(ip) = client {
                self.login_throttle.failed(ip);
            }
            return Err(StoreError::NoFederatedAccount(username.to_string()));
        };
        if let Some(until) =
            row.try_get::<Option<String>, _>("locked_until")?.map(|t| parse_ts(&t)).transpose()?.filter(|u| *u > now())
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
        let row = sqlx::query(
            "SELECT u.*, s.expires_at, s.last_seen, s.second_factor AS session_second_factor
             FROM sessions s JOIN users u ON u.username = s.username
             WHERE s.token_hash = $1 AND u.disabled_at IS NULL",
        )
        .bind(&hash)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let at = now();
        let expires = parse_ts(&row.try_get::<String, _>("expires_at")?)?;
        let last_seen = parse_ts(&row.try_get::<String, _>("last_seen")?)?;
        let idle = time::Duration::minutes(self.config.session_idle_minutes);
        if expires <= at || at - last_seen > idle {
            // Over: absolutely, or after too long without use (等保: sessions end by themselves).
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&hash).execute(&self.writer).await?;
            return Ok(None);
        }
        if at - last_seen > time::Duration::minutes(1) {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
                .bind(ts(at))
                .bind(&hash)
                .execute(&self.writer)
                .await?;
        }
        let mut user = row_user(&row)?;
        // A federated session has the second factor its provider confirmed, whatever the account's.
        if let Some(confirmed) = row.try_get::<Option<i64>, _>("session_second_factor")? {
            user.second_factor = confirmed != 0;
        }
        let user = self.factor_limits(user);
        // Trusted from the cache until the session would end of either cause.
        self.sessions.put(hash, user.clone(), expires.min(at + idle));
        Ok(Some(user))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&hash).execute(&self.writer).await?;
        self.sessions.forget(&hash);
        Ok(())
    }
}

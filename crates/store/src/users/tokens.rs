//! API tokens: how they are made, listed and looked up (a token is stored only as its hash).

use super::*;
use crate::sql::params;

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

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// API tokens start with this, so the server knows not to look among login sessions.
pub(super) const TOKEN_PREFIX: &str = "lht_";

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

impl Store {
    pub(super) async fn token_user(&self, hash: String) -> Result<Option<User>> {
        let row = self.reader
            .row(
                "SELECT u.*, t.scopes, t.expires_at, t.revoked_at, t.approval_id, t.second_factor AS token_second_factor
             FROM api_tokens t JOIN users u ON u.username = t.username
             WHERE t.token_hash = $1",
                params![&hash],
            )
        .await?;
        let Some(row) = row else { return Ok(None) };
        let at = now();
        let expires = row.get::<Option<String>>("expires_at")?.map(|t| parse_ts(&t)).transpose()?;
        // A token waiting for the security administrator's approval does not work yet.
        if row.get::<Option<String>>("approval_id")?.is_some()
            || row.get::<Option<String>>("revoked_at")?.is_some()
            || expires.is_some_and(|e| e <= at)
            || row.get::<Option<String>>("disabled_at")?.is_some()
        {
            return Ok(None);
        }
        let mut user = row_user(&row)?;
        user.scopes = Some(scopes_of(&row.get::<String>("scopes")?));
        user.via_token = true;
        // A token carries the factor strength of the login that asked for it (an administrator's
        // tokens: none).
        user.second_factor = row.get::<i64>("token_second_factor")? != 0;
        let user = self.factor_limits(user);
        let until = expires.unwrap_or(at + time::Duration::hours(1)).min(at + time::Duration::hours(1));
        self.sessions.put(hash, user.clone(), until);
        Ok(Some(user))
    }

    /// Every token ever issued, newest first (revoked ones stay listed).
    pub async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = self.reader.rows("SELECT * FROM api_tokens ORDER BY created_at DESC", params![]).await?;
        let time_of = |r: &crate::sql::Row, c: &str| -> Result<Option<time::OffsetDateTime>> {
            r.get::<Option<String>>(c)?.map(|t| parse_ts(&t)).transpose()
        };
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.get("id")?,
                    name: r.get("name")?,
                    username: r.get("username")?,
                    scopes: scopes_of(&r.get::<String>("scopes")?),
                    created_at: parse_ts(&r.get::<String>("created_at")?)?,
                    expires_at: time_of(r, "expires_at")?,
                    revoked_at: time_of(r, "revoked_at")?,
                })
            })
            .collect()
    }
}

//! Identity: courts and accounts as the store reads them (here); login sessions (`sessions.rs`),
//! passwords and the login throttle (`passwords.rs`), the second factor (`second_factor.rs`) and API
//! tokens (`tokens.rs`). Changes to accounts are made by the administrator (`admin.rs`) through the
//! sequencer (`account_changes.rs`).

mod passwords;
mod second_factor;
mod sessions;
mod tokens;

use passwords::password_matches;
pub(crate) use passwords::{LoginThrottle, check_password_policy, hash_password};
pub use second_factor::TotpEnrolment;
use second_factor::{totp, unix_now};
pub(crate) use sessions::SessionCache;
pub use tokens::ApiToken;
use tokens::TOKEN_PREFIX;
pub(crate) use tokens::{new_token, scopes_of, token_hash, token_request_complete};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use liuhen_rules::{CourtLevel, Listed, Permission, Problem, Role};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::account_changes::AdminChange;
use crate::sql::params;
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

impl Court {
    /// A court as added at the console, the admin page or a fixture; `parent_id` is the court
    /// one level up (none for the top of a deployment).
    pub fn new(id: &str, name: &str, level: CourtLevel, parent_id: Option<&str>, case_code: &str) -> Court {
        Court {
            id: id.to_string(),
            name: name.to_string(),
            level,
            parent_id: parent_id.map(str::to_string),
            case_code: case_code.to_string(),
        }
    }
}

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

fn row_court(row: &crate::sql::Row) -> Result<Court> {
    let level: String = row.get("level")?;
    Ok(Court {
        id: row.get("id")?,
        name: row.get("name")?,
        level: CourtLevel::from_code(&level)
            .ok_or_else(|| StoreError::Internal(format!("unknown court level {level}")))?,
        parent_id: row.get("parent_id")?,
        case_code: row.get("case_code")?,
    })
}

fn row_user(row: &crate::sql::Row) -> Result<User> {
    let role: String = row.get("role")?;
    Ok(User {
        username: row.get("username")?,
        display_name: row.get("display_name")?,
        court_id: row.get("court_id")?,
        role: Role::from_code(&role).ok_or_else(|| StoreError::Internal(format!("unknown role {role}")))?,
        second_factor: row.get::<i64>("totp_enabled")? != 0,
        scopes: None,
        via_token: false,
        factor_limited: false,
    })
}

impl Store {
    pub async fn court(&self, id: &str) -> Result<Option<Court>> {
        let row = self.reader.row("SELECT * FROM courts WHERE id = $1", params![id]).await?;
        row.as_ref().map(row_court).transpose()
    }

    pub async fn courts(&self) -> Result<Vec<Court>> {
        let rows = self.reader.rows("SELECT * FROM courts ORDER BY case_code", params![]).await?;
        rows.iter().map(row_court).collect()
    }

    pub async fn user(&self, username: &str) -> Result<Option<User>> {
        let row = self.reader.row("SELECT * FROM users WHERE username = $1", params![username]).await?;
        row.as_ref().map(row_user).transpose()
    }

    /// The accounts of the given courts with their state, for the administrator's pages.
    pub async fn accounts(&self, courts: &std::collections::BTreeSet<String>) -> Result<Vec<Account>> {
        let rows = self.reader.rows("SELECT * FROM users ORDER BY court_id, username", params![]).await?;
        let mut accounts = Vec::new();
        for row in &rows {
            let user = row_user(row)?;
            if !courts.contains(&user.court_id) {
                continue;
            }
            let at = |c: &str| -> Result<Option<time::OffsetDateTime>> {
                row.get::<Option<String>>(c)?.map(|t| parse_ts(&t)).transpose()
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
        let rows =
            self.reader.rows("SELECT * FROM users WHERE court_id = $1 ORDER BY username", params![court_id]).await?;
        rows.iter().map(row_user).collect()
    }
}

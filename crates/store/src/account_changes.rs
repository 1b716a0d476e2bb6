//! Changes to courts and accounts as the sequencer makes them (issue 4: they are ledger events
//! too): each checked, written to its table and appended in one transaction, so the two never part.

use liuhen_ledger::EventBody;
use liuhen_rules::{Listed, Role};

use crate::sql::{Db, DbExt, args};
use crate::{Result, StoreError, User, now};

/// Administrative changes (issue 4: they are ledger events too). Each is checked, written to its
/// table and appended to the ledger in the sequencer's transaction, so the two never part.
pub(crate) enum AdminChange {
    AddCourt(crate::Court),
    AddUser {
        user: User,
        password_hash: String,
    },
    IssueToken {
        token: crate::ApiToken,
        token_hash: String,
        /// Whether the session that issued it showed a second factor (the token carries it).
        second_factor: bool,
    },
    RevokeToken {
        id: String,
    },
    /// A new password; `keep` is the hash of the session that stays (the owner's own change).
    SetPassword {
        username: String,
        hash: String,
        keep: Option<String>,
    },
    Unlock {
        username: String,
    },
    SetRole {
        username: String,
        role: Role,
    },
    Disable {
        username: String,
    },
    ResetSecondFactor {
        username: String,
    },
    SetPermissions(std::collections::BTreeMap<String, Vec<String>>),
}

fn exists(conn: &dyn Db, sql: &str, value: &str) -> Result<bool> {
    conn.scalar(sql, args![value])
}

fn no_user(username: &str) -> StoreError {
    StoreError::not_found(format!("没有用户 {username}"), format!("no user {username}"))
}

/// The court of an account, for the event of a change to it.
fn court_of(conn: &dyn Db, username: &str) -> Result<String> {
    conn.row("SELECT court_id FROM users WHERE username = $1", args![username])?
        .ok_or_else(|| no_user(username))?
        .get(0)
}

/// An account or court change checked and written to its table; returns the court and the ledger
/// event to append with it.
pub(crate) fn account_change(conn: &dyn Db, change: AdminChange) -> Result<(String, EventBody)> {
    Ok(match change {
        AdminChange::AddCourt(court) => {
            if let Some(parent) = &court.parent_id
                && !exists(conn, "SELECT EXISTS (SELECT 1 FROM courts WHERE id = $1)", parent)?
            {
                return Err(StoreError::not_found(
                    format!("上级法院 {parent} 不存在"),
                    format!("parent court {parent} does not exist"),
                ));
            }
            let taken: bool = conn.scalar(
                "SELECT EXISTS (SELECT 1 FROM courts WHERE id = $1 OR case_code = $2)",
                args![court.id, court.case_code],
            )?;
            if taken {
                return Err(StoreError::conflict(
                    format!("法院 {} 或法院代字 {} 已存在", court.id, court.case_code),
                    "court id or code exists already",
                ));
            }
            conn.exec(
                "INSERT INTO courts (id, name, level, parent_id, case_code) VALUES ($1, $2, $3, $4, $5)",
                args![court.id, court.name, court.level.code(), court.parent_id, court.case_code],
            )?;
            let body = EventBody::CourtAdded {
                court_id: court.id.clone(),
                name: court.name,
                level: court.level,
                parent_id: court.parent_id,
                case_code: court.case_code,
            };
            (court.id, body)
        }
        AdminChange::AddUser { user, password_hash } => {
            if !exists(conn, "SELECT EXISTS (SELECT 1 FROM courts WHERE id = $1)", &user.court_id)? {
                return Err(StoreError::not_found(
                    format!("法院 {} 不存在", user.court_id),
                    format!("court {} does not exist", user.court_id),
                ));
            }
            if exists(conn, "SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)", &user.username)? {
                return Err(StoreError::conflict(
                    format!("用户名 {} 已被使用", user.username),
                    format!("user name {} is taken", user.username),
                ));
            }
            conn.exec(
                "INSERT INTO users (username, display_name, court_id, role, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                args![
                    user.username,
                    user.display_name,
                    user.court_id,
                    user.role.code(),
                    password_hash,
                    crate::ts(now())
                ],
            )?;
            let body = EventBody::UserAdded {
                username: user.username,
                display_name: user.display_name,
                user_court: user.court_id.clone(),
                role: user.role,
            };
            (user.court_id, body)
        }
        AdminChange::IssueToken { token, token_hash, second_factor } => {
            let court = court_of(conn, &token.username)?;
            conn.exec(
                "INSERT INTO api_tokens (id, token_hash, name, username, scopes, created_at, expires_at, second_factor)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                args![
                    token.id,
                    token_hash,
                    token.name,
                    token.username,
                    token.scopes.iter().map(|p| p.code()).collect::<Vec<_>>().join(","),
                    crate::ts(token.created_at),
                    token.expires_at.map(crate::ts),
                    i64::from(second_factor)
                ],
            )?;
            let body = EventBody::TokenIssued {
                token_id: token.id,
                username: token.username,
                name: token.name,
                scopes: token.scopes,
                expires_at: token.expires_at,
            };
            (court, body)
        }
        AdminChange::RevokeToken { id } => {
            let username: String = conn
                .row("SELECT username FROM api_tokens WHERE id = $1 AND revoked_at IS NULL", args![id])?
                .ok_or_else(|| StoreError::not_found("没有未撤销的这个令牌", "no live token with that id"))?
                .get(0)?;
            conn.exec("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2", args![crate::ts(now()), id])?;
            (court_of(conn, &username)?, EventBody::TokenRevoked { token_id: id })
        }
        AdminChange::SetPassword { username, hash, keep } => {
            let court = court_of(conn, &username)?;
            conn.exec(
                "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE username = $2",
                args![hash, username],
            )?;
            conn.exec(
                "DELETE FROM sessions WHERE username = $1 AND token_hash <> $2",
                args![username, keep.clone().unwrap_or_default()],
            )?;
            (court, EventBody::PasswordSet { username, by_owner: keep.is_some() })
        }
        AdminChange::Unlock { username } => {
            let court = court_of(conn, &username)?;
            conn.exec("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = $1", args![&username])?;
            (court, EventBody::UserUnlocked { username })
        }
        AdminChange::SetRole { username, role } => {
            let row = conn
                .row("SELECT court_id, role FROM users WHERE username = $1", args![username])?
                .ok_or_else(|| no_user(&username))?;
            let (court, from): (String, String) = (row.get(0)?, row.get(1)?);
            let from = Role::from_code(&from).ok_or_else(|| StoreError::Internal(format!("unknown role {from}")))?;
            if from == role {
                return Err(StoreError::conflict(
                    format!("{username} 已是{}", role.zh()),
                    format!("{username} is a {} already", role.code()),
                ));
            }
            // 三员分立: the two-person rule never lapses by the last approver's role going away.
            if from == Role::SecurityAdministrator {
                let others: i64 = conn.scalar(
                    "SELECT COUNT(*) FROM users WHERE role = $1 AND username <> $2",
                    args![Role::SecurityAdministrator.code(), username],
                )?;
                if others == 0 {
                    return Err(StoreError::conflict(
                        "这是唯一的安全保密管理员：须先有另一位安全保密管理员，才能更改其角色",
                        "this is the only security administrator: another must exist before their role changes",
                    ));
                }
            }
            conn.exec("UPDATE users SET role = $1 WHERE username = $2", args![role.code(), username])?;
            // What the account may see changes now, not when its sessions or tokens run out.
            conn.exec("DELETE FROM sessions WHERE username = $1", args![&username])?;
            conn.exec(
                "UPDATE api_tokens SET revoked_at = $1 WHERE username = $2 AND revoked_at IS NULL",
                args![crate::ts(now()), username],
            )?;
            (court, EventBody::RoleChanged { username, from, to: role })
        }
        AdminChange::Disable { username } => {
            let court = court_of(conn, &username)?;
            conn.exec(
                "UPDATE users SET disabled_at = $1 WHERE username = $2 AND disabled_at IS NULL",
                args![crate::ts(now()), username],
            )?;
            conn.exec("DELETE FROM sessions WHERE username = $1", args![&username])?;
            conn.exec(
                "UPDATE api_tokens SET revoked_at = $1 WHERE username = $2 AND revoked_at IS NULL",
                args![crate::ts(now()), username],
            )?;
            (court, EventBody::UserDisabled { username })
        }
        AdminChange::ResetSecondFactor { username } => {
            let court = court_of(conn, &username)?;
            conn.exec(
                "UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = 0 WHERE username = $1",
                args![&username],
            )?;
            // Sessions opened with the old factor end too, and tokens that carry it: whoever holds
            // the lost device is out.
            conn.exec("DELETE FROM sessions WHERE username = $1", args![&username])?;
            conn.exec(
                "UPDATE api_tokens SET revoked_at = $1 WHERE username = $2 AND revoked_at IS NULL
                   AND second_factor = 1",
                args![crate::ts(now()), username],
            )?;
            (court, EventBody::SecondFactorReset { username })
        }
        AdminChange::SetPermissions(grants) => (String::new(), EventBody::PermissionsSet { grants }),
    })
}

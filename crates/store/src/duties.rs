//! 三员分立 (等保 level 3) and the two-person rule (issue 17): what the system administrator may
//! do alone, what needs the security administrator's approval, the one-time codes that let a
//! person enrol their first authenticator, and the one guard that takes every content permission
//! from a login without a second factor.
//!
//! Once the deployment has a security administrator (before that, its console sets it up), these
//! changes are asked for by one person and made only when another approves: granting a role that
//! reads contents (or approves or audits), resetting the password or second factor of an account
//! whose role reads contents, and a token with a content scope. The request and the decision are
//! ledger events; an approved change is written with its own event in the same transaction. No
//! secret opening contents passes through the administrator: a password alone opens nothing when
//! a second factor is required, and the code to enrol one goes to the approver, who hands it over.

use std::collections::BTreeSet;

use liuhen_ledger::{Event, EventBody};
use liuhen_rules::{ApprovalAction, Listed, Permission, Problem, Role};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::account_changes::{AdminChange, account_change};
use crate::permissions::{Grants, grants_of, matrix_changes};
use crate::projection::append;
use crate::sequencer::Op;
use crate::sql::params;
use crate::sql::{Db, DbExt, args};
use crate::{ApiToken, Result, Store, StoreError, User, now, parse_ts, tree, ts};

/// How many token requests one holder may have waiting at once.
const MAX_PENDING_TOKENS: i64 = 3;

/// How long a one-time enrolment code stays good.
const ENROLMENT_CODE_DAYS: i64 = 7;

/// What became of a change that may need a second person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Made now (it needed nobody else, or the deployment is still being set up).
    Made,
    /// Waits for the security administrator's approval.
    AwaitsApproval(Uuid),
}

/// A change asked for, as the approver sees it (no secret).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Approval {
    pub id: Uuid,
    pub action: ApprovalAction,
    pub username: String,
    pub court_id: String,
    pub role: Option<Role>,
    /// Set when the request makes a new account.
    pub display_name: Option<String>,
    pub token_id: Option<String>,
    pub reason: String,
    pub requested_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: time::OffsetDateTime,
    /// `pending`, `approved` or `refused`.
    pub state: String,
    pub decided_by: Option<String>,
    pub note: Option<String>,
    /// For a permission matrix: what it changes against the one in force, role by role
    /// (`role: +permission −permission`), so that the approver sees what they approve.
    pub changes: Vec<String>,
    /// For a token: its scopes.
    pub scopes: Vec<Permission>,
}

/// The decision's result for the approver: the one-time code the person needs to enrol an
/// authenticator, when the approval made one (shown this once; hand it over out of band).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Decision {
    pub approved: bool,
    pub enrolment_code: Option<String>,
}

/// A request as the sequencer writes it.
pub(crate) struct Request {
    pub id: Uuid,
    pub action: ApprovalAction,
    pub username: String,
    pub court_id: String,
    pub role: Option<Role>,
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub reason: String,
    /// A content token waiting for approval, with its hash: written now, live once approved.
    pub token: Option<(ApiToken, String, bool)>,
    /// A permission matrix waiting for approval: role code → permission codes.
    pub grants: Option<Grants>,
}

/// Changes of the separation of duties, each checked and written with its ledger events in the
/// sequencer's transaction.
pub(crate) enum DutyChange {
    Request(Box<Request>),
    Decide {
        id: Uuid,
        approved: bool,
        note: String,
        /// The courts the approver reaches.
        reach: BTreeSet<String>,
        /// The hash of the enrolment code to store if the approval makes one.
        code_hash: String,
    },
    EnrolmentCode {
        username: String,
        code_hash: String,
    },
}

pub(crate) fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().as_bytes()))
}

pub(crate) fn new_code() -> String {
    // 20 random bytes as base32 groups: typed by hand from a letter, and no one can guess it.
    let raw = totp_rs::Secret::from(rand::random::<[u8; 15]>()).to_base32();
    raw.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

fn refused_self() -> StoreError {
    StoreError::forbidden(
        "不能批准自己提出的申请：双人规则要求另一人批准",
        "you cannot approve a change you asked for: the two-person rule needs another person",
    )
}

fn no_approval() -> StoreError {
    StoreError::not_found("没有待批准的这项申请", "no pending request with that id")
}

fn write_enrolment_code(
    conn: &dyn Db,
    app: &mut tree::Appender,
    actor: &str,
    username: &str,
    hash: &str,
) -> Result<i64> {
    let court: String = conn
        .row("SELECT court_id FROM users WHERE username = $1", args![username])?
        .ok_or_else(|| StoreError::not_found(format!("没有用户 {username}"), format!("no user {username}")))?
        .get(0)?;
    let expires = ts(now() + time::Duration::days(ENROLMENT_CODE_DAYS));
    // An enrolment begun before (with a secret someone else may hold) cannot be finished now: only
    // this code starts one.
    conn.exec("UPDATE users SET totp_secret = NULL WHERE username = $1 AND totp_enabled = 0", args![username])?;
    conn.exec("DELETE FROM enrolment_codes WHERE username = $1", args![username])?;
    conn.exec(
        "INSERT INTO enrolment_codes (username, code_hash, issued_by, expires_at) VALUES ($1, $2, $3, $4)",
        args![username, hash, actor, expires],
    )?;
    append(conn, app, &Event::new(now(), actor, &court, EventBody::EnrolmentCodeIssued { username: username.into() }))
}

/// The sequencer's side: check against the tables as they stand, write, append.
pub(crate) fn apply(conn: &dyn Db, actor: &str, change: DutyChange, app: &mut tree::Appender) -> Result<i64> {
    match change {
        DutyChange::Request(r) => {
            let pending: i64 = conn.scalar(
                "SELECT COUNT(*) FROM approvals WHERE username = $1 AND action = $2 AND state = 'pending'",
                args![r.username, r.action.code()],
            )?;
            // One request of a kind at a time per account; a holder may have a few token requests
            // waiting, not a flood for the approver to wade through.
            let allowed = if r.token.is_some() { MAX_PENDING_TOKENS } else { 1 };
            if pending >= allowed {
                return Err(StoreError::conflict(
                    format!("{} 已有一项同类申请等待批准", r.username),
                    format!("{} already has a request of this kind waiting for approval", r.username),
                ));
            }
            if r.display_name.is_some() {
                let taken: bool = conn.scalar(
                    "SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)
                     OR EXISTS (SELECT 1 FROM approvals WHERE username = $1 AND display_name IS NOT NULL AND state = 'pending')",
                    args![r.username],
                )?;
                if taken {
                    return Err(StoreError::conflict(
                        format!("用户名 {} 已被使用", r.username),
                        format!("user name {} is taken", r.username),
                    ));
                }
            }
            conn.exec(
                "INSERT INTO approvals (id, action, username, court_id, role, display_name, token_id, password_hash,
                     reason, requested_by, requested_at, state, detail)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12)",
                args![
                    r.id.to_string(),
                    r.action.code(),
                    r.username,
                    r.court_id,
                    r.role.map(|x| x.code()),
                    r.display_name,
                    r.token.as_ref().map(|(t, _, _)| t.id.clone()),
                    r.password_hash,
                    r.reason,
                    actor,
                    ts(now()),
                    r.grants
                        .as_ref()
                        .map(serde_json::to_string)
                        .transpose()
                        .map_err(|e| StoreError::Internal(e.to_string()))?
                ],
            )?;
            if let Some((token, hash, second_factor)) = &r.token {
                conn.exec(
                    "INSERT INTO api_tokens (id, token_hash, name, username, scopes, created_at, expires_at, second_factor, approval_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    args![
                        token.id,
                        hash,
                        token.name,
                        token.username,
                        token.scopes.iter().map(|p| p.code()).collect::<Vec<_>>().join(","),
                        ts(token.created_at),
                        token.expires_at.map(ts),
                        i64::from(*second_factor),
                        r.id.to_string()
                    ],
                )?;
            }
            let body = EventBody::ApprovalRequested {
                approval_id: r.id,
                action: r.action,
                username: r.username,
                role: r.role,
                token_id: r.token.map(|(t, _, _)| t.id),
                reason: r.reason,
            };
            append(conn, app, &Event::new(now(), actor, &r.court_id, body))
        }
        DutyChange::Decide { id, approved, note, reach, code_hash } => {
            let row = conn
                .row(
                    "SELECT action, username, court_id, role, display_name, token_id, password_hash, requested_by, detail
                     FROM approvals WHERE id = $1 AND state = 'pending'",
                    args![id.to_string()],
                )?
                .ok_or_else(no_approval)?;
            let court: String = row.get(2)?;
            if !reach.contains(&court) {
                return Err(no_approval());
            }
            let requested_by: String = row.get(7)?;
            if requested_by == actor {
                return Err(refused_self());
            }
            let action: String = row.get(0)?;
            let action = ApprovalAction::from_code(&action)
                .ok_or_else(|| StoreError::Internal(format!("unknown approval action {action}")))?;
            let username: String = row.get(1)?;
            let role = row.get::<Option<String>>(3)?.and_then(|r| Role::from_code(&r));
            let display_name: Option<String> = row.get(4)?;
            let token_id: Option<String> = row.get(5)?;
            let password_hash: Option<String> = row.get(6)?;
            if approved {
                let inner = match action {
                    ApprovalAction::GrantRole => {
                        let role = role.ok_or_else(|| StoreError::Internal("a role grant without a role".into()))?;
                        match display_name {
                            Some(display_name) => Some(AdminChange::AddUser {
                                user: User {
                                    username: username.clone(),
                                    display_name,
                                    court_id: court.clone(),
                                    role,
                                    second_factor: false,
                                    scopes: None,
                                    via_token: false,
                                    factor_limited: false,
                                },
                                password_hash: password_hash.unwrap_or_default(),
                            }),
                            None => Some(AdminChange::SetRole { username: username.clone(), role }),
                        }
                    }
                    ApprovalAction::ResetPassword => Some(AdminChange::SetPassword {
                        username: username.clone(),
                        hash: password_hash.unwrap_or_default(),
                        keep: None,
                    }),
                    ApprovalAction::ResetSecondFactor => {
                        Some(AdminChange::ResetSecondFactor { username: username.clone() })
                    }
                    ApprovalAction::ContentToken | ApprovalAction::SetPermissions => None,
                };
                let (event_court, body) = match inner {
                    Some(change) => account_change(conn, change)?,
                    None if action == ApprovalAction::SetPermissions => {
                        let detail: String = row.get::<Option<String>>(8)?.unwrap_or_default();
                        let grants: Grants =
                            serde_json::from_str(&detail).map_err(|e| StoreError::Internal(e.to_string()))?;
                        (String::new(), EventBody::PermissionsSet { grants })
                    }
                    None => {
                        let token_id = token_id.clone().unwrap_or_default();
                        let row = conn
                            .row(
                                "SELECT name, scopes, expires_at FROM api_tokens WHERE id = $1 AND approval_id = $2",
                                args![token_id, id.to_string()],
                            )?
                            .ok_or_else(no_approval)?;
                        conn.exec("UPDATE api_tokens SET approval_id = NULL WHERE id = $1", args![token_id])?;
                        let expires: Option<String> = row.get(2)?;
                        let body = EventBody::TokenIssued {
                            token_id,
                            username: username.clone(),
                            name: row.get(0)?,
                            scopes: crate::users::scopes_of(&row.get::<String>(1)?),
                            expires_at: expires.map(|e| parse_ts(&e)).transpose()?,
                        };
                        (court.clone(), body)
                    }
                };
                append(conn, app, &Event::new(now(), &requested_by, &event_court, body))?;
                // A role that reads contents is granted with a fresh authenticator: whatever was
                // enrolled before (perhaps by the one who asked, while the account read nothing)
                // goes, and the code to enrol a new one goes to the approver, not the asker. So
                // does the code after a reset of a lost authenticator.
                if action == ApprovalAction::GrantRole {
                    let has_factor: bool = conn
                        .row("SELECT totp_enabled FROM users WHERE username = $1", args![username])?
                        .map(|r| r.get::<bool>(0))
                        .transpose()?
                        .unwrap_or(false);
                    if has_factor {
                        let (court, body) =
                            account_change(conn, AdminChange::ResetSecondFactor { username: username.clone() })?;
                        append(conn, app, &Event::new(now(), &requested_by, &court, body))?;
                    }
                }
                if matches!(action, ApprovalAction::GrantRole | ApprovalAction::ResetSecondFactor) {
                    write_enrolment_code(conn, app, actor, &username, &code_hash)?;
                }
            } else if let Some(token_id) = &token_id {
                conn.exec(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND approval_id = $3",
                    args![ts(now()), token_id, id.to_string()],
                )?;
            }
            conn.exec(
                "UPDATE approvals SET state = $1, decided_by = $2, decided_at = $3, note = $4, password_hash = NULL
                 WHERE id = $5",
                args![if approved { "approved" } else { "refused" }, actor, ts(now()), note, id.to_string()],
            )?;
            append(
                conn,
                app,
                &Event::new(now(), actor, &court, EventBody::ApprovalDecided { approval_id: id, approved, note }),
            )
        }
        DutyChange::EnrolmentCode { username, code_hash } => {
            let has_factor: bool = conn
                .row("SELECT totp_enabled FROM users WHERE username = $1", args![username])?
                .ok_or_else(|| StoreError::not_found(format!("没有用户 {username}"), format!("no user {username}")))?
                .get(0)?;
            if has_factor {
                return Err(StoreError::conflict(
                    format!("{username} 已启用第二因素"),
                    format!("{username} has a second factor already"),
                ));
            }
            write_enrolment_code(conn, app, actor, &username, &code_hash)
        }
    }
}

fn approval_row(row: &crate::sql::Row) -> Result<Approval> {
    let action: String = row.get("action")?;
    Ok(Approval {
        id: row.get::<String>("id")?.parse().map_err(|e: uuid::Error| StoreError::Internal(e.to_string()))?,
        action: ApprovalAction::from_code(&action)
            .ok_or_else(|| StoreError::Internal(format!("unknown approval action {action}")))?,
        username: row.get("username")?,
        court_id: row.get("court_id")?,
        role: row.get::<Option<String>>("role")?.and_then(|r| Role::from_code(&r)),
        display_name: row.get("display_name")?,
        token_id: row.get("token_id")?,
        reason: row.get("reason")?,
        requested_by: row.get("requested_by")?,
        requested_at: parse_ts(&row.get::<String>("requested_at")?)?,
        state: row.get("state")?,
        decided_by: row.get("decided_by")?,
        note: row.get("note")?,
        changes: Vec::new(),
        scopes: Vec::new(),
    })
}

fn reason_problem() -> Problem {
    Problem::new(
        "reason",
        "S3",
        "required",
        "请写明理由（不超过 500 字），批准人据此决定",
        "give a reason (at most 500 characters) for the approver to decide on",
    )
}

/// A reason a request or decision gives: present and at most 500 characters.
pub(crate) fn check_reason(reason: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(StoreError::invalid(reason_problem()));
    }
    Ok(reason.to_string())
}

impl Store {
    /// Whether the two-person rule is in force: the deployment has a security administrator to
    /// approve (an account, once made, is never deleted, and its role is changed only with
    /// approval). Before that, its console sets it up alone.
    pub async fn two_person_rule(&self) -> Result<bool> {
        let row = self
            .reader
            .one("SELECT COUNT(*) FROM users WHERE role = $1", params![Role::SecurityAdministrator.code()])
            .await?;
        Ok(row.get::<i64>(0)? > 0)
    }

    /// The one guard of every content permission (issue 17): a login or token without a second
    /// factor, where the configuration asks for one, acts without the permissions that read
    /// contents or carry a security duty — whatever the route, page or API.
    pub(crate) fn factor_limits(&self, mut user: User) -> User {
        if self.config.policy.second_factor_for_contents && !user.second_factor {
            let kept: Vec<Permission> = self
                .permissions()
                .grants(user.role)
                .into_iter()
                .filter(|p| !liuhen_rules::needs_second_factor(*p))
                .filter(|p| user.scopes.as_ref().is_none_or(|s| s.contains(p)))
                .collect();
            user.factor_limited = kept.len() < self.permissions().grants(user.role).len();
            user.scopes = Some(kept);
        }
        user
    }

    /// The refusal of `permission` to `viewer`: the second factor's, when their role holds it and
    /// only the missing factor stands in the way; otherwise `zh`/`en`.
    pub fn refusal(&self, viewer: &User, permission: Permission, zh: &str, en: &str) -> StoreError {
        if viewer.factor_limited && self.permissions().permits(viewer.role, permission) {
            StoreError::forbidden(
                "查看内容须以第二因素登录：在“我的账号”（/account）中用安全保密管理员交给您的启用码启用 TOTP 后，用密码和验证码登录（API 令牌须由本人在第二因素登录后申请）",
                "reading contents needs a login with a second factor: set up TOTP under My account (/account) with the enrolment code your security administrator gave you, then log in with password and code (an API token must be asked for by its holder from such a login)",
            )
        } else {
            StoreError::forbidden(zh, en)
        }
    }

    /// `permission` or its refusal (see [`Store::refusal`]).
    pub fn require_permission(&self, viewer: &User, permission: Permission, zh: &str, en: &str) -> Result<()> {
        if self.permits(viewer, permission) { Ok(()) } else { Err(self.refusal(viewer, permission, zh, en)) }
    }

    /// 查看留痕 for contents other than a record's: appended (durably) before they are handed over.
    pub async fn note_content_viewed(
        &self,
        viewer: &User,
        part: &str,
        subject: Option<String>,
        via: &str,
    ) -> Result<i64> {
        self.note_view(viewer, EventBody::ContentViewed { part: part.into(), subject, via: via.into() }).await
    }

    pub(crate) async fn duty_change(&self, actor: &str, change: DutyChange) -> Result<i64> {
        self.append_op(Op::Duty { actor: actor.to_string(), change }).await
    }

    pub(crate) async fn request_approval(&self, actor: &str, request: Request) -> Result<Change> {
        let id = request.id;
        self.duty_change(actor, DutyChange::Request(Box::new(request))).await?;
        Ok(Change::AwaitsApproval(id))
    }

    /// Requests the security administrator `viewer` may decide: those of their court and the
    /// courts below, pending first, then the most recent decided ones.
    pub async fn approvals(&self, viewer: &User) -> Result<Vec<Approval>> {
        self.require_permission(
            viewer,
            Permission::SecurityApprove,
            "您的角色不审批",
            "your role does not approve changes",
        )?;
        let reach = self.courts_under(&viewer.court_id).await?;
        let rows = self.reader
            .rows(
                "SELECT * FROM approvals ORDER BY CASE WHEN state = 'pending' THEN 0 ELSE 1 END, requested_at DESC LIMIT 500",
                params![],
            )
        .await?;
        let current = grants_of(&self.permissions());
        let mut out = Vec::new();
        for row in &rows {
            let mut approval = approval_row(row)?;
            if !reach.contains(&approval.court_id) {
                continue;
            }
            if let Some(detail) = row.get::<Option<String>>("detail")? {
                let asked: Grants = serde_json::from_str(&detail).map_err(|e| StoreError::Internal(e.to_string()))?;
                approval.changes = matrix_changes(&current, &asked);
            }
            if let Some(token) = &approval.token_id {
                let scopes = self
                    .reader
                    .row("SELECT scopes FROM api_tokens WHERE id = $1", params![token])
                    .await?
                    .map(|r| r.get::<String>(0))
                    .transpose()?;
                approval.scopes = scopes.map(|s| crate::users::scopes_of(&s)).unwrap_or_default();
            }
            out.push(approval);
        }
        Ok(out)
    }

    /// The security administrator approves or refuses a request (never their own). An approved
    /// role grant or second-factor reset of an account without an authenticator returns the
    /// one-time enrolment code, for the approver to hand to the person.
    pub async fn decide_approval(&self, by: &User, id: Uuid, approved: bool, note: &str) -> Result<Decision> {
        self.require_permission(
            by,
            Permission::SecurityApprove,
            "您的角色不审批",
            "your role does not approve changes",
        )?;
        let note = note.trim().chars().take(500).collect::<String>();
        let reach = self.courts_under(&by.court_id).await?;
        let code = new_code();
        let hash = code_hash(&code);
        self.duty_change(&by.username, DutyChange::Decide { id, approved, note, reach, code_hash: hash.clone() })
            .await?;
        // A matrix approved now is the one in force from now on; the account changed is logged out
        // here at once, as the database already logged it out everywhere.
        self.load_recorded_permissions().await?;
        let username: Option<String> = self
            .reader
            .row("SELECT username FROM approvals WHERE id = $1", params![id.to_string()])
            .await?
            .map(|r| r.get(0))
            .transpose()?;
        if let Some(username) = username {
            self.sessions.forget_user(&username);
        }
        let issued = self
            .reader
            .one("SELECT COUNT(*) FROM enrolment_codes WHERE code_hash = $1", params![&hash])
            .await?
            .get::<i64>(0)?
            > 0;
        Ok(Decision { approved, enrolment_code: issued.then_some(code) })
    }

    /// Take a one-time enrolment code of `username`'s (it works once, within its days).
    pub(crate) async fn redeem_enrolment_code(&self, username: &str, code: &str) -> Result<()> {
        let done = self
            .writer
            .exec(
                "DELETE FROM enrolment_codes WHERE username = $1 AND code_hash = $2 AND expires_at > $3",
                params![username, code_hash(code), ts(now())],
            )
            .await?;
        if done == 1 {
            Ok(())
        } else {
            Err(StoreError::invalid(Problem::new(
                "enrolment_code",
                "S3",
                "invalid",
                "启用码不对或已失效：首次启用验证器须输入安全保密管理员（或为非内容账号，系统管理员）当面交给您的一次性启用码",
                "wrong or expired enrolment code: enrolling a first authenticator needs the one-time code your security administrator (for accounts that read no contents, the administrator) handed you",
            )))
        }
    }

    /// A content token asked for by its holder, from a login with a second factor (never by an
    /// administrator, never from a token): its scopes are the holder's own permissions. One with a
    /// content scope works once the security administrator approves (while the deployment is set
    /// up, at once). Returns the token — shown this once — its listing and whether it waits.
    pub async fn request_own_token(
        &self,
        holder: &User,
        name: &str,
        scopes: &[String],
        valid_days: Option<i64>,
        reason: &str,
    ) -> Result<(String, ApiToken, Change)> {
        if holder.via_token {
            return Err(StoreError::forbidden("令牌不能再签发令牌", "a token cannot issue tokens"));
        }
        let mut problems = Vec::new();
        let mut granted = Vec::new();
        for code in scopes {
            match Permission::from_code(code) {
                Some(p) if self.permits(holder, p) => granted.push(p),
                Some(p) => {
                    let why = self.refusal(holder, p, "", "");
                    let (zh, en) = match why {
                        StoreError::Forbidden { zh, en } if !zh.is_empty() => (zh, en),
                        _ => (
                            format!("您的角色没有“{code}”权限，令牌不能超出账号本身的权限"),
                            format!("your role does not hold \"{code}\"; a token cannot do more than its account"),
                        ),
                    };
                    problems.push(Problem::new("scopes", "S3", "beyond_role", zh, en));
                }
                None => problems.push(Problem::new(
                    "scopes",
                    "S3",
                    "unknown_permission",
                    format!("没有“{code}”这项权限"),
                    format!("there is no permission \"{code}\""),
                )),
            }
        }
        crate::users::token_request_complete(&granted, name, problems)?;
        let content = granted.iter().any(|p| liuhen_rules::needs_second_factor(*p));
        let reason = if content && self.two_person_rule().await? { Some(check_reason(reason)?) } else { None };
        let (token, hash, listed) = crate::users::new_token(name, &holder.username, granted, valid_days);
        let change = match reason {
            Some(reason) => {
                let request = Request {
                    id: Uuid::now_v7(),
                    action: ApprovalAction::ContentToken,
                    username: holder.username.clone(),
                    court_id: holder.court_id.clone(),
                    role: None,
                    display_name: None,
                    password_hash: None,
                    reason,
                    token: Some((listed.clone(), hash, holder.second_factor)),
                    grants: None,
                };
                self.request_approval(&holder.username, request).await?
            }
            None => {
                let change = AdminChange::IssueToken {
                    token: listed.clone(),
                    token_hash: hash,
                    second_factor: holder.second_factor,
                };
                self.administer(&holder.username, change).await?;
                Change::Made
            }
        };
        Ok((token, listed, change))
    }
}

//! Administrative changes (issue 4, S3; issue 17): courts and accounts, made by the console or a
//! logged-in system administrator within their reach, each a ledger event — and, where an account
//! reads contents, asked of the security administrator instead (the two-person rule, `duties`).

use liuhen_rules::{ApprovalAction, Listed, Permission, Problem, Role};

use crate::account_changes::AdminChange;
use crate::duties::{Change, DutyChange, Request};
use crate::sql::params;
use crate::users::{
    ApiToken, Court, NewCourt, NewUser, User, check_password_policy, hash_password, new_token, token_request_complete,
};
use crate::{Result, Store, StoreError};

/// Administrative changes (issue 4, S3), each a ledger event naming who made it: the console
/// (`Store::console`, the command line) or a logged-in system administrator (`Store::admin_by`),
/// who needs the `admin.*` permission and reaches only their own court and the courts below it.
pub struct Admin<'a> {
    store: &'a Store,
    actor: String,
    by: Option<User>,
}

impl Store {
    /// Changes made at the server's console, recorded as `StoreConfig::operator`.
    pub fn console(&self) -> Admin<'_> {
        Admin { store: self, actor: self.config.operator.clone(), by: None }
    }

    /// Changes made by a logged-in account through the admin pages.
    pub fn admin_by(&self, user: &User) -> Admin<'_> {
        Admin { store: self, actor: user.username.clone(), by: Some(user.clone()) }
    }

    /// The court and every court below it.
    pub async fn courts_under(&self, court_id: &str) -> Result<std::collections::BTreeSet<String>> {
        let courts = self.courts().await?;
        let mut under = std::collections::BTreeSet::from([court_id.to_string()]);
        // The hierarchy has four levels; a court is added once its parent is in.
        loop {
            let before = under.len();
            for c in &courts {
                if c.parent_id.as_ref().is_some_and(|p| under.contains(p)) {
                    under.insert(c.id.clone());
                }
            }
            if under.len() == before {
                return Ok(under);
            }
        }
    }

    /// The courts above a court, nearest first, up to the top of the hierarchy (where reports go,
    /// R8, R9).
    pub async fn courts_above(&self, court_id: &str) -> Result<Vec<Court>> {
        let courts = self.courts().await?;
        let parent_of = |id: &str| courts.iter().find(|c| c.id == id).and_then(|c| c.parent_id.clone());
        let mut chain = Vec::new();
        let mut up = parent_of(court_id);
        while let Some(id) = up {
            let Some(court) = courts.iter().find(|c| c.id == id) else { break };
            // A cycle cannot be made through `add_court` (a parent must exist first); stop anyway.
            if chain.iter().any(|c: &Court| c.id == id) {
                break;
            }
            chain.push(court.clone());
            up = court.parent_id.clone();
        }
        Ok(chain)
    }

    async fn account(&self, username: &str) -> Result<User> {
        self.user(username)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("没有用户 {username}"), format!("no user {username}")))
    }
}

impl Admin<'_> {
    /// Who is making the change, as the ledger names them.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// An administrator's reach: the permission, and the court `court_id` at or below their own.
    /// Outside it answers as if the court did not exist.
    async fn may(&self, permission: Permission, court_id: &str) -> Result<()> {
        let Some(by) = &self.by else { return Ok(()) };
        if !self.store.permits(by, permission) {
            return Err(StoreError::forbidden(
                format!("您的角色（{}）不能做这项管理操作", by.role.zh()),
                format!("your role ({}) cannot make this administrative change", by.role.code()),
            ));
        }
        if !self.store.courts_under(&by.court_id).await?.contains(court_id) {
            return Err(StoreError::not_found(
                format!("法院 {court_id} 不存在"),
                format!("court {court_id} does not exist"),
            ));
        }
        Ok(())
    }

    /// The account `username`, if the administrator may manage it; never their own account's
    /// role, status or factors (another administrator or the console does that).
    async fn managed(&self, username: &str, own_allowed: bool) -> Result<User> {
        let target = self.store.account(username).await?;
        if let Some(by) = &self.by {
            self.may(Permission::AdminUsers, &target.court_id).await.map_err(|e| match e {
                StoreError::NotFound { .. } => {
                    StoreError::not_found(format!("没有用户 {username}"), format!("no user {username}"))
                }
                other => other,
            })?;
            if !own_allowed && by.username == target.username {
                return Err(StoreError::forbidden(
                    "不能更改自己账号的角色、状态或第二因素；请另一位系统管理员办理",
                    "you cannot change your own account's role, status or second factor; ask another administrator",
                ));
            }
        }
        Ok(target)
    }

    /// Whether a change to an account of `role` needs a second person: the rule is in force and
    /// the role reads contents (or approves or audits).
    async fn needs_approval(&self, role: Role) -> Result<bool> {
        Ok(self.store.permissions().grant_needs_approval(role) && self.store.two_person_rule().await?)
    }

    fn request(&self, action: ApprovalAction, target: &User, reason: &str) -> Result<Request> {
        Ok(Request {
            id: uuid::Uuid::now_v7(),
            action,
            username: target.username.clone(),
            court_id: target.court_id.clone(),
            role: None,
            display_name: None,
            password_hash: None,
            reason: crate::duties::check_reason(reason)?,
            token: None,
            grants: None,
        })
    }

    /// Reset someone's password (they are told it out of band); their sessions end. For an
    /// account that reads contents, once the two-person rule is in force, this asks the security
    /// administrator, and the password changes when they approve.
    pub async fn reset_password(&self, username: &str, new: &str, reason: &str) -> Result<Change> {
        let target = self.managed(username, false).await?;
        if self.needs_approval(target.role).await? {
            check_password_policy(username, new)?;
            let mut request = self.request(ApprovalAction::ResetPassword, &target, reason)?;
            request.password_hash = Some(hash_password(new.to_string()).await?);
            return self.store.request_approval(&self.actor, request).await;
        }
        self.store.set_password(&self.actor, username, new, None).await?;
        Ok(Change::Made)
    }

    /// A one-time code for `username` to enrol a first authenticator, to hand over out of band.
    /// The administrator (or the console) gives it only to accounts that read no contents, or
    /// while the deployment is set up; for the others it comes with the security administrator's
    /// approval of a role grant or second-factor reset.
    pub async fn enrolment_code(&self, username: &str) -> Result<String> {
        let target = self.managed(username, true).await?;
        if self.needs_approval(target.role).await? {
            return Err(StoreError::forbidden(
                "此账号可查看内容：启用码由安全保密管理员在批准授予角色或重置第二因素时生成并交给本人",
                "this account reads contents: its enrolment code comes from the security administrator, with the approval of a role grant or second-factor reset",
            ));
        }
        let code = crate::duties::new_code();
        let change =
            DutyChange::EnrolmentCode { username: username.to_string(), code_hash: crate::duties::code_hash(&code) };
        self.store.duty_change(&self.actor, change).await?;
        Ok(code)
    }

    /// Add a court to the hierarchy; a ledger event (issue 4).
    pub async fn add_court(&self, court: &NewCourt) -> Result<()> {
        match (&self.by, &court.parent_id) {
            (None, _) => {}
            (Some(_), Some(parent)) => self.may(Permission::AdminCourts, parent).await?,
            (Some(_), None) => {
                return Err(StoreError::forbidden(
                    "最上级的法院只能在服务器控制台添加（liuhen court-add）",
                    "a court with no court above it can only be added at the server's console (liuhen court-add)",
                ));
            }
        }
        Self::check_court_id(&court.id)?;
        self.store.administer(&self.actor, AdminChange::AddCourt(court.clone())).await?;
        Ok(())
    }

    /// A court id goes into URLs, file names and headers (issue 17): ASCII letters, digits, `-` and
    /// `_`, 1 to 64 of them.
    fn check_court_id(id: &str) -> Result<()> {
        if (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Ok(());
        }
        Err(StoreError::invalid(liuhen_rules::Problem::new(
            "id",
            "R3",
            "invalid",
            "法院标识只能由字母、数字、连字符和下划线组成，1 至 64 个字符",
            "a court id consists of ASCII letters, digits, - and _, 1 to 64 of them",
        )))
    }

    /// Make an account. One whose role reads contents (or approves or audits) is made when the
    /// security administrator approves, once the two-person rule is in force.
    pub async fn add_user(&self, new: NewUser) -> Result<Change> {
        if self.by.is_some() {
            self.may(Permission::AdminUsers, &new.court_id).await?;
        }
        let username = new.username.trim().to_string();
        if username.is_empty()
            || username.len() > 64
            || !username.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        {
            return Err(StoreError::invalid(liuhen_rules::Problem::new(
                "username",
                "R3",
                "invalid",
                "用户名只能由字母、数字、下划线、连字符和点组成，最长 64 个字符",
                "a user name consists of letters, digits, _ - . and has at most 64 characters",
            )));
        }
        check_password_policy(&username, &new.password)?;
        if self.store.court(&new.court_id).await?.is_none() {
            return Err(StoreError::not_found(
                format!("法院 {} 不存在", new.court_id),
                format!("court {} does not exist", new.court_id),
            ));
        }
        let password_hash = hash_password(new.password).await?;
        if self.needs_approval(new.role).await? {
            let request = Request {
                id: uuid::Uuid::now_v7(),
                action: ApprovalAction::GrantRole,
                username,
                court_id: new.court_id,
                role: Some(new.role),
                display_name: Some(new.display_name),
                password_hash: Some(password_hash),
                reason: crate::duties::check_reason(&new.reason)?,
                token: None,
                grants: None,
            };
            return self.store.request_approval(&self.actor, request).await;
        }
        let user = User {
            username,
            display_name: new.display_name,
            court_id: new.court_id,
            role: new.role,
            second_factor: false,
            scopes: None,
            via_token: false,
            factor_limited: false,
        };
        // The account and its ledger event (no password in it) in one transaction (issue 4).
        self.store.administer(&self.actor, AdminChange::AddUser { user, password_hash }).await?;
        Ok(Change::Made)
    }

    /// Issue an API token for a service account: `scopes` must be permissions its role holds
    /// (never more than the account could do itself). Returns the token — shown this once, only
    /// its hash is kept — and its listing.
    pub async fn issue_token(
        &self,
        username: &str,
        name: &str,
        scopes: &[String],
        valid_days: Option<i64>,
    ) -> Result<(String, ApiToken)> {
        let user = self.managed(username, true).await?;
        // Tokens an administrator issues are for service accounts: one for a member of staff would
        // act — record, co-sign — in their name. Staff ask for their own (`request_own_token`).
        if self.store.permissions().grant_needs_approval(user.role) {
            return Err(StoreError::invalid(Problem::new(
                "username",
                "S3",
                "staff_account",
                format!(
                    "{username} 是可查看内容的账号：管理员只为服务账号（案件管理系统、见证等）签发令牌，本人可在登录后申请自己的令牌"
                ),
                format!(
                    "{username} reads contents: the administrator issues tokens to service accounts only (case system, witnesses); its holder asks for their own after logging in"
                ),
            )));
        }
        let mut problems = Vec::new();
        let mut granted = Vec::new();
        for code in scopes {
            match Permission::from_code(code) {
                // Issue 17: an administrator never mints a token that reads contents; its holder
                // asks for one from a login with a second factor, and a second person approves.
                Some(p) if liuhen_rules::needs_second_factor(p) => problems.push(Problem::new(
                    "scopes",
                    "S3",
                    "content_scope",
                    format!(
                        "“{code}”可查看内容：这种令牌只能由持有人本人在第二因素登录后申请（POST /api/v1/me/tokens），并经安全保密管理员批准"
                    ),
                    format!(
                        "\"{code}\" reads contents: such a token is asked for only by its holder, from a login with a second factor (POST /api/v1/me/tokens), and approved by the security administrator"
                    ),
                )),
                Some(p) if self.store.permissions().permits(user.role, p) => granted.push(p),
                Some(_) => problems.push(Problem::new(
                    "scopes",
                    "S3",
                    "beyond_role",
                    format!("{username} 的角色（{}）没有“{code}”权限，令牌不能超出账号本身的权限", user.role.zh()),
                    format!(
                        "{username}'s role ({}) does not hold \"{code}\"; a token cannot do more than its account",
                        user.role.code()
                    ),
                )),
                None => problems.push(Problem::new(
                    "scopes",
                    "S3",
                    "unknown_permission",
                    format!("没有“{code}”这项权限；可用：{}", Permission::codes().join("、")),
                    format!("there is no permission \"{code}\"; permissions: {}", Permission::codes().join(", ")),
                )),
            }
        }
        token_request_complete(&granted, name, problems)?;
        let (token, hash, listed) = new_token(name, username, granted, valid_days);
        let change = AdminChange::IssueToken { token: listed.clone(), token_hash: hash, second_factor: false };
        self.store.administer(&self.actor, change).await?;
        Ok((token, listed))
    }

    /// Revoke a token at once (in this process; in others within the session cache's time).
    pub async fn revoke_token(&self, id: &str) -> Result<bool> {
        let live: Option<String> = self
            .store
            .reader
            .row("SELECT token_hash FROM api_tokens WHERE id = $1 AND revoked_at IS NULL", params![id])
            .await?
            .map(|r| r.get(0))
            .transpose()?;
        let Some(hash) = live else { return Ok(false) };
        if self.by.is_some() {
            let owner: String =
                self.store.reader.one("SELECT username FROM api_tokens WHERE id = $1", params![id]).await?.get(0)?;
            self.managed(&owner, true).await?;
        }
        match self.store.administer(&self.actor, AdminChange::RevokeToken { id: id.to_string() }).await {
            Ok(_) => {
                self.store.sessions.forget(&hash);
                Ok(true)
            }
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Change an account's role (S3). Its sessions end, so the new permissions hold at once. A
    /// role that reads contents (or approves or audits) is granted, and a security
    /// administrator's role taken away, when the security administrator approves.
    pub async fn set_role(&self, username: &str, role: Role, reason: &str) -> Result<Change> {
        let target = self.managed(username, false).await?;
        let guarded = self.needs_approval(role).await? || target.role == Role::SecurityAdministrator;
        if guarded && target.role != role {
            let mut request = self.request(ApprovalAction::GrantRole, &target, reason)?;
            request.role = Some(role);
            return self.store.request_approval(&self.actor, request).await;
        }
        self.store.administer(&self.actor, AdminChange::SetRole { username: username.to_string(), role }).await?;
        self.store.sessions.forget_user(username);
        Ok(Change::Made)
    }

    /// Disable an account: no more logins, its sessions end and its tokens are revoked. Nothing
    /// is deleted — its name stays in the ledger and in the records it made.
    pub async fn disable_user(&self, username: &str) -> Result<()> {
        self.managed(username, false).await?;
        self.store.administer(&self.actor, AdminChange::Disable { username: username.to_string() }).await?;
        self.store.sessions.forget_user(username);
        Ok(())
    }

    /// Remove an account's second factor (a lost authenticator): its sessions end and the user
    /// sets up a new one with an enrolment code; until then contents stay closed to them. For an
    /// account that reads contents, once the two-person rule is in force, this asks the security
    /// administrator, who hands the person the code.
    pub async fn reset_second_factor(&self, username: &str, reason: &str) -> Result<Change> {
        let target = self.managed(username, false).await?;
        if self.needs_approval(target.role).await? {
            let request = self.request(ApprovalAction::ResetSecondFactor, &target, reason)?;
            return self.store.request_approval(&self.actor, request).await;
        }
        self.store.administer(&self.actor, AdminChange::ResetSecondFactor { username: username.to_string() }).await?;
        self.store.sessions.forget_user(username);
        Ok(Change::Made)
    }

    /// Lift a lockout after failed logins. Returns whether the user exists.
    pub async fn unlock_user(&self, username: &str) -> Result<bool> {
        match self.managed(username, false).await {
            Err(StoreError::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        match self.store.administer(&self.actor, AdminChange::Unlock { username: username.to_string() }).await {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

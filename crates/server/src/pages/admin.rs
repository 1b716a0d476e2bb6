//! The system administrator's pages (issue 4, S3): accounts, courts and API tokens of their own
//! court and the courts below. Nothing here shows or reaches record contents; every change is a
//! ledger event naming the administrator (`Store::admin_by`).

use std::collections::{BTreeMap, BTreeSet};

use crate::api::{ApiPath, ApiQuery};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use liuhen_rules::{CourtLevel, Lang, Listed, Permission, Role, period::format_cst};
use liuhen_store::{Account, ApiToken, Change, Court, NewCourt, NewUser, StoreError, User};
use serde::Deserialize;

use super::chrome::{Chrome, FormErrors, NoFields, Page, PageForm, urlencode};
use super::render_form;
use crate::AppState;
use crate::error::ApiError;

fn require(state: &AppState, user: &User, permission: Permission) -> Result<(), ApiError> {
    if state.store.permits(user, permission) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "这个页面只供系统管理员使用",
        "this page is for the system administrator",
    ))
}

/// A done-message after a change, from the `done` query parameter.
#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

fn done_message(lang: Lang, done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "added" => lang.pick("已添加。", "Added."),
        "role" => lang.pick("角色已更改，该用户须重新登录。", "Role changed; the user logs in again."),
        "password" => lang.pick(
            "密码已重置，该用户的会话已结束；请当面或经安全渠道告知新密码。",
            "Password reset and the user's sessions ended; tell them the new password in person or over a safe channel.",
        ),
        "unlock" => lang.pick("已解锁。", "Unlocked."),
        "reset-totp" => lang.pick(
            "第二因素已清除，该用户须重新设置后才能查看专库。",
            "Second factor removed; the user sets up a new one before reading the store.",
        ),
        "disable" => lang.pick(
            "账号已停用：不能登录，会话结束，令牌吊销；其姓名仍保留在日志和记录中。",
            "Account disabled: no login, sessions ended, tokens revoked; its name stays in the ledger and the records.",
        ),
        "revoked" => lang.pick("令牌已吊销。", "Token revoked."),
        "requested" => lang.pick(
            "已提交安全保密管理员批准（双人规则），批准后生效。",
            "Asked of the security administrator (two-person rule); it takes effect when approved.",
        ),
        _ => return None,
    })
}

pub struct RoleOption {
    pub code: &'static str,
    pub name: &'static str,
}

fn role_options(lang: Lang) -> Vec<RoleOption> {
    Role::ALL.iter().map(|r| RoleOption { code: r.code(), name: lang.pick(r.zh(), r.en()) }).collect()
}

async fn courts_in_reach(state: &AppState, user: &User) -> Result<Vec<Court>, ApiError> {
    let reach = state.store.courts_under(&user.court_id).await?;
    Ok(state.store.courts().await?.into_iter().filter(|c| reach.contains(&c.id)).collect())
}

// ---- accounts ----

pub struct AccountRow {
    pub username: String,
    pub display_name: String,
    pub court: String,
    pub role: String,
    pub second_factor: bool,
    pub status: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    c: Chrome,
    rows: Vec<AccountRow>,
    courts: Vec<Court>,
    roles: Vec<RoleOption>,
    errors: FormErrors,
    form: NewUserFields,
    done: Option<&'static str>,
}

#[derive(Deserialize, Default, Clone)]
pub struct NewUserFields {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    court_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    reason: String,
}

fn status_of(a: &Account, lang: Lang) -> String {
    if let Some(at) = a.disabled_at {
        return format!("{} {}", lang.pick("已停用于", "disabled"), format_cst(at));
    }
    if let Some(until) = a.locked_until {
        return format!("{} {}", lang.pick("锁定至", "locked until"), format_cst(until));
    }
    lang.pick("正常", "active").to_string()
}

async fn users_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    errors: FormErrors,
    form: NewUserFields,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    require(state, user, Permission::AdminUsers)?;
    let courts = courts_in_reach(state, user).await?;
    let names: BTreeMap<&str, &str> = courts.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
    let reach: BTreeSet<String> = courts.iter().map(|c| c.id.clone()).collect();
    let rows = state
        .store
        .accounts(&reach)
        .await?
        .iter()
        .map(|a| AccountRow {
            username: a.user.username.clone(),
            display_name: a.user.display_name.clone(),
            court: names.get(a.user.court_id.as_str()).map_or(a.user.court_id.clone(), |n| n.to_string()),
            role: c.lang.pick(a.user.role.zh(), a.user.role.en()).to_string(),
            second_factor: a.user.second_factor,
            status: status_of(a, c.lang),
        })
        .collect();
    let roles = role_options(c.lang);
    let done = done_message(c.lang, done);
    let page = UsersPage { c, rows, courts, roles, errors, form, done };
    render_form(&page, &page.errors)
}

pub async fn users(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<Done>,
) -> Result<Response, ApiError> {
    users_page(&state, c, &user, FormErrors::default(), NewUserFields::default(), q.done.as_deref()).await
}

pub async fn add_user(
    State(state): State<AppState>,
    PageForm(c, user, f): PageForm<NewUserFields>,
) -> Result<Response, ApiError> {
    require(&state, &user, Permission::AdminUsers)?;
    let Some(role) = Role::from_code(&f.role) else {
        let e = ApiError::invalid(vec![liuhen_rules::Problem::new(
            "role",
            "S3",
            "required",
            "请选择角色",
            "choose a role",
        )]);
        let errors = FormErrors::from_error(&e, c.lang);
        return users_page(&state, c, &user, errors, f, None).await;
    };
    let new = NewUser {
        username: f.username.trim().to_string(),
        display_name: f.display_name.trim().to_string(),
        court_id: f.court_id.clone(),
        role,
        password: f.password.clone(),
        reason: f.reason.clone(),
    };
    match state.store.admin_by(&user).add_user(new).await {
        Ok(Change::Made) => {
            Ok(Redirect::to(&format!("/admin/users/{}?done=added", urlencode(f.username.trim()))).into_response())
        }
        Ok(Change::AwaitsApproval(_)) => Ok(Redirect::to("/admin/users?done=requested").into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::NotFound { .. } | StoreError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            let form = NewUserFields { password: String::new(), ..f };
            users_page(&state, c, &user, errors, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    c: Chrome,
    account: AccountRow,
    role_code: &'static str,
    locked: bool,
    disabled: bool,
    roles: Vec<RoleOption>,
    done: Option<&'static str>,
    errors: FormErrors,
    is_self: bool,
    /// A one-time enrolment code just made, shown this once.
    enrolment_code: Option<String>,
}

async fn user_page(
    state: &AppState,
    c: Chrome,
    admin: &User,
    username: &str,
    done: Option<&str>,
    errors: FormErrors,
    enrolment_code: Option<String>,
) -> Result<Response, ApiError> {
    require(state, admin, Permission::AdminUsers)?;
    let courts = courts_in_reach(state, admin).await?;
    let reach: BTreeSet<String> = courts.iter().map(|c| c.id.clone()).collect();
    let Some(a) = state.store.accounts(&reach).await?.into_iter().find(|a| a.user.username == username) else {
        return Err(StoreError::not_found(format!("没有用户 {username}"), format!("no user {username}")).into());
    };
    let court = courts.iter().find(|x| x.id == a.user.court_id).map_or(a.user.court_id.clone(), |x| x.name.clone());
    let page = UserPage {
        account: AccountRow {
            username: a.user.username.clone(),
            display_name: a.user.display_name.clone(),
            court,
            role: c.lang.pick(a.user.role.zh(), a.user.role.en()).to_string(),
            second_factor: a.user.second_factor,
            status: status_of(&a, c.lang),
        },
        role_code: a.user.role.code(),
        locked: a.locked_until.is_some(),
        disabled: a.disabled_at.is_some(),
        roles: role_options(c.lang),
        done: done_message(c.lang, done),
        errors,
        is_self: admin.username == a.user.username,
        enrolment_code,
        c,
    };
    render_form(&page, &page.errors)
}

pub async fn user(
    State(state): State<AppState>,
    Page(c, admin): Page,
    ApiPath(username): ApiPath<String>,
    ApiQuery(q): ApiQuery<Done>,
) -> Result<Response, ApiError> {
    user_page(&state, c, &admin, &username, q.done.as_deref(), FormErrors::default(), None).await
}

#[derive(Deserialize)]
pub struct AccountAction {
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    reason: String,
}

/// One of the account actions: `role`, `password`, `unlock`, `reset-totp`, `disable`,
/// `enrolment-code`. Those that need a second person are asked for and take effect on approval.
pub async fn user_action(
    State(state): State<AppState>,
    ApiPath((username, action)): ApiPath<(String, String)>,
    PageForm(c, admin, f): PageForm<AccountAction>,
) -> Result<Response, ApiError> {
    require(&state, &admin, Permission::AdminUsers)?;
    let by = state.store.admin_by(&admin);
    let result = match action.as_str() {
        "role" => match Role::from_code(&f.role) {
            Some(role) => by.set_role(&username, role, &f.reason).await,
            None => Err(StoreError::invalid(liuhen_rules::Problem::new(
                "role",
                "S3",
                "required",
                "请选择角色",
                "choose a role",
            ))),
        },
        "password" => by.reset_password(&username, &f.password, &f.reason).await,
        "unlock" => by.unlock_user(&username).await.map(|_| Change::Made),
        "reset-totp" => by.reset_second_factor(&username, &f.reason).await,
        "disable" => by.disable_user(&username).await.map(|_| Change::Made),
        "enrolment-code" => match by.enrolment_code(&username).await {
            Ok(code) => {
                return user_page(&state, c, &admin, &username, None, FormErrors::default(), Some(code)).await;
            }
            Err(e) => Err(e),
        },
        _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "没有这个地址", "no such address")),
    };
    match result {
        Ok(Change::Made) => {
            Ok(Redirect::to(&format!("/admin/users/{}?done={action}", urlencode(&username))).into_response())
        }
        Ok(Change::AwaitsApproval(_)) => {
            Ok(Redirect::to(&format!("/admin/users/{}?done=requested", urlencode(&username))).into_response())
        }
        Err(e @ (StoreError::Invalid(_) | StoreError::Forbidden { .. } | StoreError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            user_page(&state, c, &admin, &username, None, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- courts ----

pub struct LevelOption {
    pub code: &'static str,
    pub name: &'static str,
}

#[derive(Template)]
#[template(path = "admin_courts.html")]
struct CourtsPage {
    c: Chrome,
    courts: Vec<(Court, String)>,
    levels: Vec<LevelOption>,
    errors: FormErrors,
    form: NewCourtFields,
}

#[derive(Deserialize, Default)]
pub struct NewCourtFields {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    case_code: String,
}

async fn courts_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    errors: FormErrors,
    form: NewCourtFields,
) -> Result<Response, ApiError> {
    require(state, user, Permission::AdminCourts)?;
    let courts = courts_in_reach(state, user).await?;
    let names: BTreeMap<String, String> = courts.iter().map(|c| (c.id.clone(), c.name.clone())).collect();
    let courts = courts
        .into_iter()
        .map(|court| {
            let parent = court.parent_id.as_ref().and_then(|p| names.get(p)).cloned().unwrap_or_default();
            (court, parent)
        })
        .collect();
    let levels =
        CourtLevel::ALL.iter().map(|l| LevelOption { code: l.code(), name: c.lang.pick(l.zh(), l.en()) }).collect();
    let page = CourtsPage { c, courts, levels, errors, form };
    render_form(&page, &page.errors)
}

pub async fn courts(State(state): State<AppState>, Page(c, user): Page) -> Result<Response, ApiError> {
    courts_page(&state, c, &user, FormErrors::default(), NewCourtFields::default()).await
}

fn court_problems(f: &NewCourtFields) -> Vec<liuhen_rules::Problem> {
    let mut problems = Vec::new();
    let mut need = |field: &str, value: &str, zh: &str, en: &str| {
        if value.trim().is_empty() {
            problems.push(liuhen_rules::Problem::new(field, "S3", "required", zh, en));
        }
    };
    need("id", &f.id, "请填写法院标识（英文字母、数字）", "enter the court's identifier (letters, digits)");
    need("name", &f.name, "请填写法院名称", "enter the court's name");
    need("case_code", &f.case_code, "请填写法院代字（如 示0101）", "enter the court's case-number code (e.g. 示0101)");
    need("parent_id", &f.parent_id, "请选择上级法院", "choose the court above");
    if CourtLevel::from_code(&f.level).is_none() {
        problems.push(liuhen_rules::Problem::new(
            "level",
            "S3",
            "required",
            "请选择法院层级",
            "choose the court's level",
        ));
    }
    problems
}

pub async fn add_court(
    State(state): State<AppState>,
    PageForm(c, user, f): PageForm<NewCourtFields>,
) -> Result<Response, ApiError> {
    require(&state, &user, Permission::AdminCourts)?;
    let problems = court_problems(&f);
    let result = match CourtLevel::from_code(&f.level) {
        Some(level) if problems.is_empty() => {
            let court = NewCourt::new(f.id.trim(), f.name.trim(), level, Some(&f.parent_id), f.case_code.trim());
            state.store.admin_by(&user).add_court(&court).await
        }
        _ => Err(StoreError::Invalid(problems)),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/courts?done=added").into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::NotFound { .. } | StoreError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            courts_page(&state, c, &user, errors, f).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- API tokens ----

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub username: String,
    pub scopes: String,
    pub created: String,
    pub expires: String,
    pub revoked: Option<String>,
}

pub struct ScopeOption {
    pub code: &'static str,
    pub name: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    c: Chrome,
    rows: Vec<TokenRow>,
    usernames: Vec<String>,
    scopes: Vec<ScopeOption>,
    errors: FormErrors,
    form_username: String,
    form_name: String,
    form_days: String,
    issued: Option<(String, String)>,
    done: Option<&'static str>,
}

#[derive(Default)]
struct TokenForm {
    username: String,
    name: String,
    days: String,
    scopes: Vec<String>,
}

fn token_row(t: &ApiToken, lang: Lang) -> TokenRow {
    TokenRow {
        id: t.id.clone(),
        name: t.name.clone(),
        username: t.username.clone(),
        scopes: t.scopes.iter().map(|p| p.code()).collect::<Vec<_>>().join(" "),
        created: format_cst(t.created_at),
        expires: t.expires_at.map(format_cst).unwrap_or_else(|| lang.pick("不过期", "never").to_string()),
        revoked: t.revoked_at.map(format_cst),
    }
}

async fn tokens_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    errors: FormErrors,
    form: TokenForm,
    issued: Option<(String, String)>,
    done: Option<&str>,
) -> Result<Response, ApiError> {
    require(state, user, Permission::AdminUsers)?;
    let reach = state.store.courts_under(&user.court_id).await?;
    let usernames: Vec<String> = state
        .store
        .accounts(&reach)
        .await?
        .into_iter()
        .filter(|a| a.disabled_at.is_none())
        .map(|a| a.user.username)
        .collect();
    let rows = state
        .store
        .tokens()
        .await?
        .iter()
        .filter(|t| usernames.contains(&t.username))
        .map(|t| token_row(t, c.lang))
        .collect();
    // Only scopes an administrator may hand out: none that reads contents (issue 17).
    let scopes = Permission::ALL
        .iter()
        .filter(|p| !liuhen_rules::needs_second_factor(**p))
        .map(|p| ScopeOption {
            code: p.code(),
            name: c.lang.pick(p.zh(), p.en()),
            checked: form.scopes.iter().any(|s| s == p.code()),
        })
        .collect();
    let page = TokensPage {
        done: done_message(c.lang, done),
        c,
        rows,
        usernames,
        scopes,
        errors,
        form_username: form.username,
        form_name: form.name,
        form_days: form.days,
        issued,
    };
    render_form(&page, &page.errors)
}

pub async fn tokens(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<Done>,
) -> Result<Response, ApiError> {
    tokens_page(&state, c, &user, FormErrors::default(), TokenForm::default(), None, q.done.as_deref()).await
}

/// The issue form: scopes are repeated checkboxes, which a struct cannot take, so pairs.
pub async fn issue_token(
    State(state): State<AppState>,
    PageForm(c, user, pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    require(&state, &user, Permission::AdminUsers)?;
    let mut form = TokenForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "username" => form.username = v,
            "name" => form.name = v,
            "days" => form.days = v.trim().to_string(),
            "scope" => form.scopes.push(v),
            _ => {}
        }
    }
    let days = match form.days.as_str() {
        "" => Ok(None),
        d => d.parse::<i64>().ok().filter(|d| (1..=3650).contains(d)).map(Some).ok_or_else(|| {
            StoreError::invalid(liuhen_rules::Problem::new(
                "days",
                "S3",
                "invalid",
                "有效天数须是 1 到 3650 之间的整数，或留空表示不过期",
                "days valid must be a whole number from 1 to 3650, or empty for no expiry",
            ))
        }),
    };
    let result = match days {
        Ok(days) => state.store.admin_by(&user).issue_token(&form.username, &form.name, &form.scopes, days).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((token, listed)) => {
            let issued = Some((token, listed.name));
            tokens_page(&state, c, &user, FormErrors::default(), TokenForm::default(), issued, None).await
        }
        Err(e @ (StoreError::Invalid(_) | StoreError::NotFound { .. } | StoreError::Forbidden { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            tokens_page(&state, c, &user, errors, form, None, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    PageForm(_, user, NoFields {}): PageForm<NoFields>,
) -> Result<Response, ApiError> {
    require(&state, &user, Permission::AdminUsers)?;
    if !state.store.admin_by(&user).revoke_token(&id).await? {
        return Err(StoreError::not_found("没有这个有效的令牌", "no such live token").into());
    }
    Ok(Redirect::to("/admin/tokens?done=revoked").into_response())
}

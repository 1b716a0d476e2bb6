//! 三员分立 over HTTP (issue 17): a holder asks for their own content token; the security
//! administrator sees and decides what waits for a second person; the security auditor reads the
//! administrative and security audit trail. Pages and API side by side, both through the store's
//! checks.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use liuhen_rules::{Lang, Listed, period::format_cst};
use liuhen_store::{ApiToken, Approval, AuditEntry, Change, Decision, StoreError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ProblemDocument};
use crate::pages::chrome::{Chrome, FormErrors, Page, PageForm};
use crate::pages::render;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OwnTokenRequest {
    /// What it is for.
    pub name: String,
    /// Permission codes, within your own role (e.g. `log.entries` for `liuhen verify --url`).
    pub scopes: Vec<String>,
    pub valid_days: Option<i64>,
    /// Why, for the security administrator (needed when a scope reads contents).
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OwnToken {
    /// The token: shown this once, only its hash is kept.
    pub token: String,
    pub listing: ApiToken,
    /// Set when the token works only once the security administrator approves.
    pub awaits_approval: Option<Uuid>,
}

/// Ask for an API token of your own (never an administrator's doing): from a login with a second
/// factor, within your role; one with a content scope works once the security administrator
/// approves (two-person rule). The token carries your login's factor strength.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "session", request_body = OwnTokenRequest,
    responses((status = 201, body = OwnToken), (status = 403, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn request_own_token(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<OwnTokenRequest>,
) -> Result<(StatusCode, Json<OwnToken>), ApiError> {
    let (token, listing, change) =
        state.store.request_own_token(&user, &req.name, &req.scopes, req.valid_days, &req.reason).await?;
    let awaits_approval = match change {
        Change::Made => None,
        Change::AwaitsApproval(id) => Some(id),
    };
    Ok((StatusCode::CREATED, Json(OwnToken { token, listing, awaits_approval })))
}

/// What waits for the security administrator's decision in their court and the courts below
/// (and the most recent decided).
#[utoipa::path(get, path = "/api/v1/approvals", tag = "session",
    responses((status = 200, body = Vec<Approval>), (status = 403, body = ProblemDocument)))]
pub async fn approvals(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<Approval>>, ApiError> {
    Ok(Json(state.store.approvals(&user).await?))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct DecisionRequest {
    pub approve: bool,
    pub note: String,
}

/// Approve or refuse a request (never one's own). An approval that needs the person to enrol an
/// authenticator returns the one-time code, for the approver to hand over out of band.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/decision", tag = "session", request_body = DecisionRequest,
    responses((status = 200, body = Decision), (status = 403, body = ProblemDocument), (status = 404, body = ProblemDocument)))]
pub async fn decide(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<Json<Decision>, ApiError> {
    Ok(Json(state.store.decide_approval(&user, id, req.approve, &req.note).await?))
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    /// Entries before this ledger index (paging backwards).
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// The administrative and security audit trail (安全审计员): account, court, token, permission and
/// approval changes, and every view event — who read what, never the contents.
#[utoipa::path(get, path = "/api/v1/audit", tag = "session",
    params(("before" = Option<i64>, Query, description = "entries before this ledger index"),
           ("limit" = Option<i64>, Query, description = "at most this many (500)")),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = ProblemDocument)))]
pub async fn audit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let entries = state.store.audit_trail(&user, q.before, q.limit.unwrap_or(100)).await?;
    state.store.note_content_viewed(&user, "audit_trail", q.before.map(|b| b.to_string()), "api").await?;
    Ok(Json(entries))
}

// --- pages ---------------------------------------------------------------------------------

pub struct ApprovalRow {
    pub id: String,
    pub action: String,
    pub username: String,
    pub court: String,
    pub role: String,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: String,
    pub pending: bool,
    pub outcome: String,
    /// A matrix's changes or a token's scopes.
    pub what: Vec<String>,
}

fn approval_row(a: &Approval, lang: Lang) -> ApprovalRow {
    let outcome = match a.state.as_str() {
        "approved" => lang.pick("已批准", "approved"),
        "refused" => lang.pick("未批准", "refused"),
        _ => lang.pick("待批准", "pending"),
    };
    ApprovalRow {
        id: a.id.to_string(),
        action: lang.pick(a.action.zh(), a.action.en()).to_string(),
        username: match &a.display_name {
            Some(name) => format!("{}（{name}，{}）", a.username, lang.pick("新账号", "new account")),
            None => a.username.clone(),
        },
        court: a.court_id.clone(),
        role: a.role.map(|r| lang.pick(r.zh(), r.en()).to_string()).unwrap_or_default(),
        reason: a.reason.clone(),
        requested_by: a.requested_by.clone(),
        requested_at: format_cst(a.requested_at),
        pending: a.state == "pending",
        what: if a.changes.is_empty() {
            a.scopes.iter().map(|p| p.code().to_string()).collect()
        } else {
            a.changes.clone()
        },
        outcome: match &a.decided_by {
            Some(by) => format!("{outcome}（{by}）"),
            None => outcome.to_string(),
        },
    }
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    c: Chrome,
    rows: Vec<ApprovalRow>,
    errors: FormErrors,
    /// The decision just made: whether approved, and the enrolment code it produced.
    decided: Option<(bool, Option<String>)>,
}

async fn approvals_page(
    state: &AppState,
    c: Chrome,
    user: &liuhen_store::User,
    errors: FormErrors,
    decided: Option<(bool, Option<String>)>,
) -> Result<Response, ApiError> {
    let rows = state.store.approvals(user).await?.iter().map(|a| approval_row(a, c.lang)).collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut response = render(&ApprovalsPage { c, rows, errors, decided })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn approvals_list(State(state): State<AppState>, Page(c, user): Page) -> Result<Response, ApiError> {
    approvals_page(&state, c, &user, FormErrors::default(), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionFields {
    decision: String,
    note: String,
}

pub async fn approvals_decide(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    PageForm(c, user, f): PageForm<DecisionFields>,
) -> Result<Response, ApiError> {
    let approve = f.decision == "approve";
    match state.store.decide_approval(&user, id, approve, &f.note).await {
        // The code is shown on this answer only (never in a URL).
        Ok(d) => approvals_page(&state, c, &user, FormErrors::default(), Some((d.approved, d.enrolment_code))).await,
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            approvals_page(&state, c, &user, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub court: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<AuditRow>,
    older: Option<i64>,
}

pub async fn audit_page(
    State(state): State<AppState>,
    Page(c, user): Page,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    const PER_PAGE: i64 = 100;
    let entries = state.store.audit_trail(&user, q.before, PER_PAGE).await?;
    state.store.note_content_viewed(&user, "audit_trail", q.before.map(|b| b.to_string()), "page").await?;
    let older = (entries.len() as i64 == PER_PAGE).then(|| entries.last().map(|e| e.seq)).flatten();
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: format_cst(e.at),
            actor: e.actor,
            court: e.court,
            kind: e.kind,
            detail: e.detail.to_string(),
        })
        .collect();
    Ok(render(&AuditPage { c, rows, older })?.into_response())
}

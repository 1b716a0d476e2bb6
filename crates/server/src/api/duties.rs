//! 三员分立 over the API (issue 17): a holder asks for their own content token; the security
//! administrator sees and decides what waits for a second person; the security auditor reads the
//! administrative and security audit trail — all through the store's checks. The pages are in
//! `pages::security`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use liuhen_store::{ApiToken, Approval, AuditEntry, Change, Decision};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::api::{ApiJson, ApiPath, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ProblemDocument};

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
#[utoipa::path(post, path = "/api/v1/approvals/{id}/decision", tag = "session", operation_id = "decide_approval", params(("id" = Uuid, Path, description = "the approval request's id")), request_body = DecisionRequest,
    responses((status = 200, body = Decision), (status = 403, body = ProblemDocument), (status = 404, body = ProblemDocument)))]
pub async fn decide(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
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
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let entries = state.store.audit_trail(&user, q.before, q.limit.unwrap_or(100)).await?;
    state.store.note_content_viewed(&user, "audit_trail", q.before.map(|b| b.to_string()), "api").await?;
    Ok(Json(entries))
}

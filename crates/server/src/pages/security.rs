//! 三员分立 pages (issue 17): the security administrator's approvals and the security auditor's
//! trail, through the same store calls as `api::duties`.

use crate::api::{ApiPath, ApiQuery};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use liuhen_rules::{Lang, Listed, period::format_cst};
use liuhen_store::{Approval, StoreError};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::api::duties::AuditQuery;
use crate::error::ApiError;
use crate::pages::chrome::{Chrome, FormErrors, Page, PageForm};
use crate::pages::{render, render_form};

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
    let page = ApprovalsPage { c, rows, errors, decided };
    render_form(&page, &page.errors)
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
    ApiPath(id): ApiPath<Uuid>,
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
    ApiQuery(q): ApiQuery<AuditQuery>,
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

//! The HTTP API of holding to account and protecting (issue 8; R14–R17): screening and checks,
//! findings and appeals, retaliation complaints, zero reports and timeliness, the case system's
//! contacts, and cadre histories. The pages are in `pages::accountability`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use liuhen_rules::{FindingKind, Listed, Problem};
use liuhen_store::accountability::{
    CadreHistory, CadreSummary, ComplaintView, ContactInput, ContactView, FilingOverview, FindingInput, FindingView,
    RecordHandling, SanctionProposal, Timeliness,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::api::{ApiJson, ApiPath, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ProblemDocument};

/// The id of what was made, and the ledger index of its event where there is one.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Made {
    pub id: Uuid,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Step {
    /// The ledger index of the event.
    pub seq: i64,
}

fn created(id: Uuid) -> (StatusCode, Json<Made>) {
    (StatusCode::CREATED, Json(Made { id }))
}

fn step(seq: i64) -> (StatusCode, Json<Step>) {
    (StatusCode::CREATED, Json(Step { seq }))
}

// --- screening, checks, outcomes ----------------------------------------------------------

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct ScreeningRequest {
    /// ordinary_inquiry, circumstances_report, interference, c8_interference or c3_overreach.
    pub classification: String,
    pub reason: String,
}

/// Screen an entry (甄别): what it is, and why. For the store's maintainers.
#[utoipa::path(post, path = "/api/v1/records/{id}/screenings", tag = "accountability", params(("id" = Uuid, Path, description = "the record's id")), request_body = ScreeningRequest,
    responses((status = 201, body = Step), (status = 422, body = ProblemDocument)))]
pub async fn screen(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ScreeningRequest>,
) -> Result<(StatusCode, Json<Step>), ApiError> {
    Ok(step(state.store.screen_record(&user, id, &req.classification, &req.reason).await?))
}

/// Screenings, checks and outcomes of an entry.
#[utoipa::path(get, path = "/api/v1/records/{id}/handling", tag = "accountability", params(("id" = Uuid, Path, description = "the record's id")),
    responses((status = 200, body = RecordHandling), (status = 404, body = ProblemDocument)))]
pub async fn handling(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RecordHandling>, ApiError> {
    match state.store.record_handling(&user, id).await? {
        Some(h) => {
            state.store.note_content_viewed(&user, "handling", Some(id.to_string()), "api").await?;
            Ok(Json(h))
        }
        None => Err(liuhen_store::StoreError::forbidden(
            "您的角色不查看甄别核查情况",
            "your role does not see screenings and checks",
        )
        .into()),
    }
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct CheckRequest {
    pub subject: String,
}

/// Open a check (核查) of an entry.
#[utoipa::path(post, path = "/api/v1/records/{id}/checks", tag = "accountability", params(("id" = Uuid, Path, description = "the record's id")), request_body = CheckRequest,
    responses((status = 201, body = Made), (status = 422, body = ProblemDocument)))]
pub async fn open_check(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CheckRequest>,
) -> Result<(StatusCode, Json<Made>), ApiError> {
    Ok(created(state.store.open_check(&user, id, &req.subject).await?))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct ConclusionRequest {
    pub findings: String,
}

/// Conclude a check with its findings.
#[utoipa::path(post, path = "/api/v1/checks/{id}/conclusion", tag = "accountability", params(("id" = Uuid, Path, description = "the check's id")), request_body = ConclusionRequest,
    responses((status = 201, body = Step), (status = 409, body = ProblemDocument)))]
pub async fn conclude_check(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ConclusionRequest>,
) -> Result<(StatusCode, Json<Step>), ApiError> {
    Ok(step(state.store.conclude_check(&user, id, &req.findings).await?))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct OutcomeRequest {
    /// notified, disciplined, transferred or no_action.
    pub outcome: String,
    /// The body that decided (纪委监委、组织部、政法委…).
    pub body: String,
    pub note: String,
}

/// Note what an oversight body decided about an entry (R17).
#[utoipa::path(post, path = "/api/v1/records/{id}/outcomes", tag = "accountability", params(("id" = Uuid, Path, description = "the record's id")), request_body = OutcomeRequest,
    responses((status = 201, body = Step), (status = 422, body = ProblemDocument)))]
pub async fn report_outcome(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<OutcomeRequest>,
) -> Result<(StatusCode, Json<Step>), ApiError> {
    Ok(step(state.store.report_outcome(&user, id, &req.outcome, &req.body, &req.note).await?))
}

// --- findings (R14) -------------------------------------------------------------------------

/// Findings: all of the court's for discipline inspection, one's own for anyone else.
#[utoipa::path(get, path = "/api/v1/findings", tag = "accountability", responses((status = 200, body = Vec<FindingView>)))]
pub async fn findings(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<FindingView>>, ApiError> {
    let shown = state.store.findings(&user).await?;
    state.store.note_content_viewed(&user, "findings", None, "api").await?;
    Ok(Json(shown))
}

/// Record a finding of not recording (R14, S8) and the decision on it. The sequencer counts the
/// person's standing findings and records what the rule proposes beside what was decided.
#[utoipa::path(post, path = "/api/v1/findings", tag = "accountability", request_body = FindingInput,
    responses((status = 201, body = FindingView), (status = 422, body = ProblemDocument)))]
pub async fn record_finding(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<FindingInput>,
) -> Result<(StatusCode, Json<FindingView>), ApiError> {
    let id = state.store.record_finding(&user, &req).await?;
    Ok((StatusCode::CREATED, Json(state.store.finding(&user, id).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalQuery {
    /// The member of staff the finding would be against (their user name).
    #[param(min_length = 1)]
    pub subject: String,
    #[param(value_type = FindingKind)]
    pub kind: String,
}

/// What the rule proposes for a finding against `subject` now (S8).
#[utoipa::path(get, path = "/api/v1/findings/proposal", tag = "accountability", params(ProposalQuery),
    responses((status = 200, body = SanctionProposal), (status = 422, body = ProblemDocument)))]
pub async fn proposal(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<ProposalQuery>,
) -> Result<Json<SanctionProposal>, ApiError> {
    let kind = FindingKind::from_code(&q.kind).ok_or_else(|| {
        ApiError::invalid(vec![Problem::new("kind", "R14", "unknown_code", "没有这种认定", "no such kind of finding")])
    })?;
    let shown = state.store.sanction_proposal(&user, q.subject.trim(), kind).await?;
    state.store.note_content_viewed(&user, "finding_proposal", Some(q.subject.trim().to_string()), "api").await?;
    Ok(Json(shown))
}

#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "accountability", params(("id" = Uuid, Path, description = "the finding's id")),
    responses((status = 200, body = FindingView), (status = 404, body = ProblemDocument)))]
pub async fn finding(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<FindingView>, ApiError> {
    let shown = state.store.finding(&user, id).await?;
    state.store.note_content_viewed(&user, "finding", Some(id.to_string()), "api").await?;
    Ok(Json(shown))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct AppealRequest {
    pub grounds: String,
}

/// The person found against appeals.
#[utoipa::path(post, path = "/api/v1/findings/{id}/appeal", tag = "accountability", params(("id" = Uuid, Path, description = "the finding's id")), request_body = AppealRequest,
    responses((status = 201, body = Step), (status = 409, body = ProblemDocument)))]
pub async fn appeal(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<AppealRequest>,
) -> Result<(StatusCode, Json<Step>), ApiError> {
    Ok(step(state.store.appeal_finding(&user, id, &req.grounds).await?))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct DecisionRequest {
    /// upheld, varied or overturned.
    pub outcome: String,
    /// The new sanction, when varied.
    pub sanction: Option<String>,
    pub reason: String,
}

/// Another inspector decides an appeal.
#[utoipa::path(post, path = "/api/v1/findings/{id}/decision", tag = "accountability", params(("id" = Uuid, Path, description = "the finding's id")), request_body = DecisionRequest,
    responses((status = 201, body = Step), (status = 409, body = ProblemDocument)))]
pub async fn decide(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<(StatusCode, Json<Step>), ApiError> {
    Ok(step(state.store.decide_appeal(&user, id, &req.outcome, req.sanction.as_deref(), &req.reason).await?))
}

// --- complaints (R15) -----------------------------------------------------------------------

/// The complaints one may read: one's own, and those addressed to one's court for its handlers.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "accountability", responses((status = 200, body = Vec<ComplaintView>)))]
pub async fn complaints(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<ComplaintView>>, ApiError> {
    let shown = state.store.complaints(&user).await?;
    state.store.note_content_viewed(&user, "complaints", None, "api").await?;
    Ok(Json(shown))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct ComplaintRequest {
    /// What happened: who made it hard, struck back or retaliated, how, and when.
    pub account: String,
}

/// Complain of retaliation to the court one level up (S9); the own court cannot read it.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "accountability", request_body = ComplaintRequest,
    responses((status = 201, body = Made), (status = 422, body = ProblemDocument)))]
pub async fn file_complaint(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<ComplaintRequest>,
) -> Result<(StatusCode, Json<Made>), ApiError> {
    Ok(created(state.store.file_complaint(&user, &req.account).await?))
}

#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "accountability", params(("id" = Uuid, Path, description = "the complaint's id")),
    responses((status = 200, body = ComplaintView), (status = 404, body = ProblemDocument)))]
pub async fn complaint(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ComplaintView>, ApiError> {
    let shown = state.store.complaint(&user, id).await?;
    state.store.note_content_viewed(&user, "complaint", Some(id.to_string()), "api").await?;
    Ok(Json(shown))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct ComplaintStepRequest {
    /// received, reported_to_committee, escalated_to_supreme or concluded.
    pub step: String,
    pub note: String,
}

/// A step of handling a complaint, by the court it went to.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/steps", tag = "accountability", params(("id" = Uuid, Path, description = "the complaint's id")), request_body = ComplaintStepRequest,
    responses((status = 201, body = Step), (status = 404, body = ProblemDocument)))]
pub async fn handle_complaint(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ComplaintStepRequest>,
) -> Result<(StatusCode, Json<Step>), ApiError> {
    Ok(step(state.store.handle_complaint(&user, id, &req.step, &req.note).await?))
}

// --- zero reports and timeliness ----------------------------------------------------------

#[derive(Deserialize, utoipa::ToSchema, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PeriodRequest {
    /// `2026-11` (monthly, the default cycle) or `2026-Q4` (quarterly).
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$")]
    #[schema(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$")]
    pub period: String,
}

/// Attest a zero report (零报告): nothing to record in the period.
#[utoipa::path(post, path = "/api/v1/zero-reports", tag = "accountability", request_body = PeriodRequest,
    responses((status = 201, body = Step), (status = 409, body = ProblemDocument)))]
pub async fn attest(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<PeriodRequest>,
) -> Result<(StatusCode, Json<Step>), ApiError> {
    Ok(step(state.store.attest_zero_report(&user, &req.period).await?))
}

/// Who of the court's judges and judicial assistants has entries, a zero report, or neither.
#[utoipa::path(get, path = "/api/v1/filing", tag = "accountability", params(PeriodRequest),
    responses((status = 200, body = FilingOverview), (status = 422, body = ProblemDocument)))]
pub async fn filing(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<PeriodRequest>,
) -> Result<Json<FilingOverview>, ApiError> {
    let shown = state.store.filing_overview(&user, &q.period).await?;
    state.store.note_content_viewed(&user, "filing", Some(q.period.clone()), "api").await?;
    Ok(Json(shown))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Reminded {
    pub reminded: Vec<String>,
}

/// Remind everyone still missing for the period.
#[utoipa::path(post, path = "/api/v1/filing/reminders", tag = "accountability", request_body = PeriodRequest,
    responses((status = 201, body = Reminded)))]
pub async fn remind(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<PeriodRequest>,
) -> Result<(StatusCode, Json<Reminded>), ApiError> {
    Ok((StatusCode::CREATED, Json(Reminded { reminded: state.store.remind_missing(&user, &req.period).await? })))
}

/// How promptly the inquiries of a period were recorded; late entries, per court and division.
#[utoipa::path(get, path = "/api/v1/timeliness", tag = "accountability", params(PeriodRequest),
    responses((status = 200, body = Timeliness), (status = 422, body = ProblemDocument)))]
pub async fn timeliness(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<PeriodRequest>,
) -> Result<Json<Timeliness>, ApiError> {
    let shown = state.store.timeliness(&user, &q.period).await?;
    state.store.note_content_viewed(&user, "timeliness", Some(q.period.clone()), "api").await?;
    Ok(Json(shown))
}

// --- contacts (cross-checks) --------------------------------------------------------------

/// The case-management system sends a contact it logged; the same `external_id` again answers
/// 200 with the contact already taken.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "accountability", request_body = ContactInput,
    responses((status = 201, body = Made), (status = 200, body = Made), (status = 422, body = ProblemDocument)))]
pub async fn report_contact(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<Made>), ApiError> {
    let (id, new) = state.store.report_contact(&user, &req).await?;
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(Made { id })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactsQuery {
    /// true: the questions to me (the case's judge); false: the court's (for its overseers).
    #[serde(default)]
    pub mine: bool,
}

#[utoipa::path(get, path = "/api/v1/contacts", tag = "accountability", params(ContactsQuery),
    responses((status = 200, body = Vec<ContactView>)))]
pub async fn contacts(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<ContactsQuery>,
) -> Result<Json<Vec<ContactView>>, ApiError> {
    let shown = state.store.contacts(&user, q.mine).await?;
    state.store.note_content_viewed(&user, "contacts", None, "api").await?;
    Ok(Json(shown))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct AnswerRequest {
    /// The entry that records the contact, if there is one.
    pub record_id: Option<Uuid>,
    /// Why there is no entry (required without `record_id`).
    pub explanation: String,
}

/// The judge answers a question raised by a contact without an entry.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/answer", tag = "accountability", params(("id" = Uuid, Path, description = "the contact's id")), request_body = AnswerRequest,
    responses((status = 201, body = Step), (status = 404, body = ProblemDocument)))]
pub async fn answer_contact(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<AnswerRequest>,
) -> Result<(StatusCode, Json<Step>), ApiError> {
    Ok(step(state.store.answer_contact(&user, id, req.record_id, &req.explanation).await?))
}

// --- cadres (R16, R17) --------------------------------------------------------------------

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CadresQuery {
    /// Only those with two entries or more (the repeat-intervener list).
    #[serde(default)]
    pub repeat: bool,
}

#[utoipa::path(get, path = "/api/v1/cadres", tag = "accountability", params(CadresQuery),
    responses((status = 200, body = Vec<CadreSummary>)))]
pub async fn cadres(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<CadresQuery>,
) -> Result<Json<Vec<CadreSummary>>, ApiError> {
    let shown = state.store.cadres(&user, q.repeat).await?;
    state.store.note_content_viewed(&user, "cadres", None, "api").await?;
    Ok(Json(shown))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CadreQuery {
    /// A cadre's key (name/unit/post, as `GET /api/v1/cadres` gives it).
    pub key: String,
}

/// Every entry naming one cadre across courts and years, with outcomes (R16, R17).
#[utoipa::path(get, path = "/api/v1/cadres/history", tag = "accountability", params(CadreQuery),
    responses((status = 200, body = CadreHistory), (status = 404, body = ProblemDocument)))]
pub async fn cadre_history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<CadreQuery>,
) -> Result<Json<CadreHistory>, ApiError> {
    let shown = state.store.cadre_history(&user, &q.key, "api").await?;
    state.store.note_content_viewed(&user, "cadre_history", Some(q.key.clone()), "api").await?;
    Ok(Json(shown))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct MergeRequest {
    pub from_key: String,
    pub into_key: String,
    pub reason: String,
}

/// The office confirms that two keys name one cadre.
#[utoipa::path(post, path = "/api/v1/cadres/merges", tag = "accountability", request_body = MergeRequest,
    responses((status = 201, body = Step), (status = 422, body = ProblemDocument)))]
pub async fn merge(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<MergeRequest>,
) -> Result<(StatusCode, Json<Step>), ApiError> {
    Ok(step(state.store.merge_cadres(&user, &req.from_key, &req.into_key, &req.reason).await?))
}

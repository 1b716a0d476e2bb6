//! The HTTP API under `/api/v1` (R3: the store's flows of 录入、存储、查看 over HTTP).

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::TryStreamExt;
use liuhen_rules::{
    C8_KINDS, CaseNumber, Disposition, Form, Listed, ManagingLevel, MaterialCategory, Problem, RecordDraft, Register,
    RegulationItem, Relation, SPECIAL_ITEMS, Stage, UnitType, parse_case_number_with, period::parse_instant,
};
use liuhen_store::{
    Court, Created, MaterialMeta, Page, RecordFilter, RecordSummary, RecordView, Store, TotpEnrolment, User, ViewEntry,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::auth::{CurrentUser, SESSION_COOKIE, request_token};
use crate::error::{ApiError, ProblemDocument};

/// `Json` whose rejections are problem documents naming what is wrong with the body.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::invalid(vec![Problem::new(
                "body",
                "R4",
                "type",
                format!("请求体中有字段的类型不对：{}", e.body_text()),
                format!("a field of the request body has the wrong type: {}", e.body_text()),
            )])),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::bad_request(
                "请求须为 JSON（Content-Type: application/json）",
                "the request must be JSON (Content-Type: application/json)",
            )),
            Err(e) => Err(ApiError::bad_request(
                format!("请求体不是有效的 JSON：{}", e.body_text()),
                format!("the request body is not valid JSON: {}", e.body_text()),
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The 6-digit code of the TOTP second factor, for accounts that have one.
    pub code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for the API; pages use the HttpOnly cookie set with it.
    pub token: String,
    pub user: User,
}

/// Log in with a password (argon2id); returns a bearer token and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ProblemDocument)))]
pub async fn login(
    State(state): State<AppState>,
    connection: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let client = connection.map(|c| client_address(c.0.0.ip(), &headers, &state.trusted_proxies));
    let (token, user) = state.store.login(client, req.username.trim(), &req.password, req.code.as_deref()).await?;
    let cookie = session_cookie(&state, &token)?;
    let mut response = Json(LoginResponse { token, user }).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The session cookie: HttpOnly, SameSite=Strict, Secure when served over TLS (等保).
pub fn session_cookie(state: &AppState, token: &str) -> Result<HeaderValue, ApiError> {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        state.store.config().session_hours * 3600
    );
    HeaderValue::from_str(&cookie).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))
}

/// The address a request comes from: the peer, or — when the peer is a trusted reverse proxy —
/// the last address it put in `X-Forwarded-For`.
pub fn client_address(peer: std::net::IpAddr, headers: &HeaderMap, trusted: &[std::net::IpAddr]) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .next_back()
        .unwrap_or(peer)
}

/// End the session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    if let Some(token) = request_token(&parts)? {
        state.store.logout(&token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("liuhen_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TotpConfirmation {
    /// The 6 digits the authenticator shows.
    pub code: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TotpStart {
    /// The one-time enrolment code handed to you out of band (by the security administrator, or
    /// for accounts that read no contents, the administrator).
    pub enrolment_code: String,
}

/// Begin setting up a TOTP second factor (等保): a new secret and its otpauth URL for the
/// authenticator. It takes the one-time enrolment code and counts once confirmed.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "session", request_body = TotpStart,
    responses((status = 200, body = TotpEnrolment), (status = 409, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn start_totp(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<TotpStart>,
) -> Result<Json<TotpEnrolment>, ApiError> {
    Ok(Json(state.store.start_second_factor(&user, &req.enrolment_code).await?))
}

/// Confirm the second factor with a code; from then on logging in needs it. Other sessions of
/// the account end.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "session", request_body = TotpConfirmation,
    responses((status = 204), (status = 409, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    request: Request,
) -> Result<StatusCode, ApiError> {
    let (token, req): (String, TotpConfirmation) = token_and_json(request).await?;
    state.store.confirm_second_factor(&user, &req.code, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters of at least two kinds (letters, digits, signs).
    pub new_password: String,
}

/// Change your own password; your other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = ProblemDocument)))]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    request: Request,
) -> Result<StatusCode, ApiError> {
    let (token, req): (String, PasswordChange) = token_and_json(request).await?;
    state.store.change_password(&user, &req.current_password, &req.new_password, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The request's token and its JSON body (for changes that end the account's other sessions).
async fn token_and_json<T: serde::de::DeserializeOwned>(request: Request) -> Result<(String, T), ApiError> {
    let (parts, body) = request.into_parts();
    let token = request_token(&parts)?.ok_or_else(ApiError::unauthorized)?;
    let bytes =
        axum::body::to_bytes(body, 16 * 1024).await.map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(format!("请求正文不是有效的 JSON：{e}"), format!("the body is not valid JSON: {e}"))
    })?;
    Ok((token, value))
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = User), (status = 401, body = ProblemDocument)))]
pub async fn me(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(user)
}

// ---------------------------------------------------------------------------------------------
// Reference data

#[derive(Serialize, utoipa::ToSchema)]
pub struct ListEntry {
    pub code: String,
    pub zh: String,
    pub en: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NumberedItem {
    pub number: u8,
    pub numeral: String,
    pub short_zh: String,
    /// The full wording of the regulation.
    pub text_zh: String,
    pub text_en: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Lists {
    pub forms: Vec<ListEntry>,
    pub network_forms: Vec<String>,
    pub oral_forms: Vec<String>,
    pub unit_types: Vec<ListEntry>,
    pub stages: Vec<ListEntry>,
    pub relations: Vec<ListEntry>,
    pub managing_levels: Vec<ListEntry>,
    pub material_categories: Vec<ListEntry>,
    pub dispositions: Vec<ListEntry>,
    pub registers: Vec<ListEntry>,
    /// S7 (一)…(十五) with their full text.
    pub special_items: Vec<NumberedItem>,
    /// C8 (一)…(五).
    pub c8_kinds: Vec<NumberedItem>,
}

fn entries<T: Listed>() -> Vec<ListEntry> {
    T::ALL.iter().map(|t| ListEntry { code: t.code().into(), zh: t.zh().into(), en: t.en().into() }).collect()
}

fn numbered(items: &[RegulationItem]) -> Vec<NumberedItem> {
    items
        .iter()
        .map(|i| NumberedItem {
            number: i.number,
            numeral: i.numeral.into(),
            short_zh: i.short_zh.into(),
            text_zh: i.text_zh.into(),
            text_en: i.text_en.into(),
        })
        .collect()
}

/// The closed lists of the regulations, with labels and the full text of S7 and C8.
#[utoipa::path(get, path = "/api/v1/lists", tag = "reference", responses((status = 200, body = Lists)))]
pub async fn lists() -> Json<Lists> {
    Json(Lists {
        forms: entries::<Form>(),
        network_forms: Form::ALL.iter().filter(|f| f.is_network()).map(|f| f.code().into()).collect(),
        oral_forms: Form::ALL.iter().filter(|f| f.is_oral()).map(|f| f.code().into()).collect(),
        unit_types: entries::<UnitType>(),
        stages: entries::<Stage>(),
        relations: entries::<Relation>(),
        managing_levels: entries::<ManagingLevel>(),
        material_categories: entries::<MaterialCategory>(),
        dispositions: entries::<Disposition>(),
        registers: entries::<Register>(),
        special_items: numbered(&SPECIAL_ITEMS),
        c8_kinds: numbered(&C8_KINDS),
    })
}

/// The court hierarchy.
#[utoipa::path(get, path = "/api/v1/courts", tag = "reference", responses((status = 200, body = Vec<Court>)))]
pub async fn courts(State(state): State<AppState>, CurrentUser(_): CurrentUser) -> Result<Json<Vec<Court>>, ApiError> {
    Ok(Json(state.store.courts().await?))
}

/// Check a case number as it is typed: its parts, or a 422 saying what is wrong.
#[utoipa::path(get, path = "/api/v1/case-numbers/{case_number}", tag = "reference",
    params(("case_number" = String, Path, description = "案号, e.g. （2024）甘0191民初4488号")),
    responses((status = 200, body = CaseNumber), (status = 422, body = ProblemDocument)))]
pub async fn check_case_number(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    Path(text): Path<String>,
) -> Result<Json<CaseNumber>, ApiError> {
    parse_case_number_with(&text, &state.store.config().extra_regions).map(Json).map_err(|e| {
        ApiError::invalid(vec![Problem::new(
            "case_number",
            "R4",
            e.code,
            format!("案号“{text}”不符合案号规定：{}", e.zh),
            format!("case number \"{text}\" does not follow the rules: {}", e.en),
        )])
    })
}

// ---------------------------------------------------------------------------------------------
// Records

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateRecordRequest {
    #[serde(flatten)]
    pub record: RecordDraft,
    /// The case-management system's own id for this inquiry (R3).
    #[serde(default)]
    pub external_id: Option<String>,
}

fn header_text(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => {
            let text = v
                .to_str()
                .map_err(|_| {
                    ApiError::bad_request(
                        format!("请求头 {name} 只能含 ASCII 字符"),
                        format!("header {name} must be ASCII"),
                    )
                })?
                .trim()
                .to_string();
            if text.is_empty() || text.len() > 255 {
                return Err(ApiError::bad_request(
                    format!("请求头 {name} 应为 1–255 个字符"),
                    format!("header {name} must have 1–255 characters"),
                ));
            }
            Ok(Some(text))
        }
    }
}

/// Record an inquiry. With `Idempotency-Key`, a repeated push returns the record made the first
/// time (200) instead of creating another (R3).
#[utoipa::path(post, path = "/api/v1/records", tag = "records", request_body = CreateRecordRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "the case-management system's key for this push")),
    responses((status = 201, body = Created), (status = 200, description = "repeated push: the earlier record", body = Created),
        (status = 409, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn create_record(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateRecordRequest>,
) -> Result<Response, ApiError> {
    let key = header_text(&headers, "idempotency-key")?;
    let external_id = req.external_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if external_id.as_ref().is_some_and(|e| e.chars().count() > 100) {
        return Err(ApiError::invalid(vec![Problem::new(
            "external_id",
            "R3",
            "too_long",
            "案件系统编号最多 100 字符",
            "external_id may have at most 100 characters",
        )]));
    }
    let channel = if external_id.is_some() || key.is_some() { "case_system" } else { "api" };
    let created = state.store.create_record(&user, &req.record, channel, external_id, key.as_deref()).await?;
    let status = if created.replayed { StatusCode::OK } else { StatusCode::CREATED };
    let mut response = (status, Json(&created)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/records/{}", created.record_id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Court id (default and, for now, only: your own court).
    pub court: Option<String>,
    /// store (default), entrusted_opinion or internal_inquiry.
    pub register: Option<String>,
    /// Inquiries from this time (RFC 3339, `YYYY-MM-DD` or `YYYY-MM-DD HH:MM` China Standard Time).
    pub from: Option<String>,
    /// Inquiries before this time (a bare date includes that whole day).
    pub to: Option<String>,
    pub form: Option<String>,
    /// S7 item number, 1–15.
    pub special_item: Option<u8>,
    pub case_number: Option<String>,
    /// Part of the intervener's name or unit.
    pub intervener: Option<String>,
    pub recorder: Option<String>,
    pub serious: Option<bool>,
    /// Words to find anywhere in the record: content, handling, names, unit, place, case number.
    pub q: Option<String>,
    /// `-occurred_at` (default), `occurred_at`, `-created_at`, `created_at`.
    pub sort: Option<String>,
    /// From 1 (at most 4294967295; a page past the last is empty).
    pub page: Option<u64>,
    /// 1 to 200 (a larger number counts as 200).
    pub per_page: Option<u64>,
}

fn parse_bound(field: &str, text: &str, end: bool) -> Result<time::OffsetDateTime, Problem> {
    let date_only = text.len() == 10 && text.as_bytes().get(4) == Some(&b'-');
    let parsed = if date_only {
        parse_instant(&format!("{text} 00:00")).map(|t| if end { t + time::Duration::days(1) } else { t })
    } else {
        parse_instant(text)
    };
    parsed.ok_or_else(|| {
        Problem::new(
            field,
            "R4",
            "invalid",
            format!("时间“{text}”格式不对，应为 2026-03-31 或 2026-03-31 14:30"),
            format!("time \"{text}\" is not valid; use 2026-03-31 or 2026-03-31 14:30"),
        )
    })
}

impl ListQuery {
    pub(crate) fn to_filter(&self) -> Result<RecordFilter, ApiError> {
        let mut problems = Vec::new();
        let mut filter = RecordFilter {
            court_id: self.court.clone(),
            page: 1,
            per_page: self.per_page.unwrap_or(50).min(200) as u32,
            case_number: self.case_number.clone().filter(|c| !c.trim().is_empty()),
            intervener: self.intervener.clone(),
            recorder: self.recorder.clone(),
            serious: self.serious,
            special_item: self.special_item,
            text: self.q.clone(),
            ..Default::default()
        };
        match u32::try_from(self.page.unwrap_or(1)) {
            Ok(page) => filter.page = page,
            Err(_) => problems.push(Problem::new(
                "page",
                "R3",
                "invalid",
                format!("页码最大为 {}", u32::MAX),
                format!("the page number may be at most {}", u32::MAX),
            )),
        }
        if let Some(r) = &self.register {
            match Register::from_code(r) {
                Some(r) => filter.register = Some(r),
                None => problems.push(Problem::new(
                    "register",
                    "R6",
                    "invalid",
                    format!("登记类别“{r}”不存在"),
                    format!("unknown register \"{r}\""),
                )),
            }
        }
        if let Some(sort) = self.sort.as_deref().filter(|s| !s.is_empty()) {
            match liuhen_store::RecordSort::from_code(sort) {
                Some(s) => filter.sort = s,
                None => problems.push(Problem::new(
                    "sort",
                    "R6",
                    "invalid",
                    format!("排序方式“{sort}”不存在，可选：-occurred_at、occurred_at、-created_at、created_at"),
                    format!("unknown order \"{sort}\"; use -occurred_at, occurred_at, -created_at or created_at"),
                )),
            }
        }
        if let Some(f) = &self.form {
            match Form::from_code(f) {
                Some(f) => filter.form = Some(f),
                None => problems.push(Problem::new(
                    "form",
                    "R4",
                    "invalid",
                    format!("过问方式“{f}”不存在"),
                    format!("unknown form \"{f}\""),
                )),
            }
        }
        if let Some(item) = self.special_item
            && !(1..=15).contains(&item)
        {
            problems.push(Problem::new(
                "special_item",
                "R11",
                "invalid",
                "特别报告事项编号应为 1–15",
                "special items are numbered 1–15",
            ));
        }
        match self.from.as_deref().map(|t| parse_bound("from", t, false)).transpose() {
            Ok(t) => filter.from = t,
            Err(p) => problems.push(p),
        }
        match self.to.as_deref().map(|t| parse_bound("to", t, true)).transpose() {
            Ok(t) => filter.to = t,
            Err(p) => problems.push(p),
        }
        if problems.is_empty() { Ok(filter) } else { Err(ApiError::invalid(problems)) }
    }
}

/// Records of your court, newest inquiry first, with filters.
#[utoipa::path(get, path = "/api/v1/records", tag = "records", params(ListQuery),
    responses((status = 200, body = Page<RecordSummary>), (status = 422, body = ProblemDocument)))]
pub async fn list_records(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<RecordSummary>>, ApiError> {
    Ok(Json(state.store.list_records(&user, &q.to_filter()?, "api").await?))
}

/// A record with its whole history: versions, co-signatures, materials and ledger position.
#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records", params(("id" = Uuid, Path)),
    responses((status = 200, body = RecordView), (status = 404, body = ProblemDocument)))]
pub async fn get_record(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Json<RecordView>, ApiError> {
    Ok(Json(state.store.record(&user, id, "api").await?))
}

/// Who has read the record and when (查看留痕, S9): for its recorder, and for the store's
/// maintainers and discipline inspection.
#[utoipa::path(get, path = "/api/v1/records/{id}/views", tag = "records", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ViewEntry>), (status = 404, body = ProblemDocument)))]
pub async fn record_views(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<ViewEntry>>, ApiError> {
    Ok(Json(state.store.record_views(&user, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AmendRequest {
    /// The whole record as it should now read.
    pub record: RecordDraft,
    /// Why it is corrected (R1).
    pub reason: String,
    /// The version being corrected; a stale one is refused with 409.
    pub expected_version: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Appended {
    /// Index of the event in the ledger.
    pub seq: i64,
}

/// Correct a record: a new version pointing at the old one, with the reason. Only the recorder.
#[utoipa::path(post, path = "/api/v1/records/{id}/amendments", tag = "records", params(("id" = Uuid, Path)), request_body = AmendRequest,
    responses((status = 201, body = Appended), (status = 403, body = ProblemDocument), (status = 409, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn amend_record(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<AmendRequest>,
) -> Result<(StatusCode, Json<Appended>), ApiError> {
    let seq = state.store.amend_record(&user, id, &req.record, &req.reason, req.expected_version).await?;
    Ok((StatusCode::CREATED, Json(Appended { seq })))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(default)]
pub struct SignRequest {
    /// The version read; refused with 409 if the record has changed since.
    pub version: Option<u32>,
    /// Required for a dispute.
    pub reason: Option<String>,
}

/// Confirm an oral record you were present at (R4).
#[utoipa::path(post, path = "/api/v1/records/{id}/cosign", tag = "cosignature", params(("id" = Uuid, Path)), request_body = SignRequest,
    responses((status = 201, body = Appended), (status = 403, body = ProblemDocument), (status = 409, body = ProblemDocument)))]
pub async fn cosign(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<SignRequest>,
) -> Result<(StatusCode, Json<Appended>), ApiError> {
    let seq = state.store.cosign(&user, id, req.version).await?;
    Ok((StatusCode::CREATED, Json(Appended { seq })))
}

/// Dispute an oral record you were present at, with the reason (R4).
#[utoipa::path(post, path = "/api/v1/records/{id}/dispute", tag = "cosignature", params(("id" = Uuid, Path)), request_body = SignRequest,
    responses((status = 201, body = Appended), (status = 403, body = ProblemDocument), (status = 409, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn dispute(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    ApiJson(req): ApiJson<SignRequest>,
) -> Result<(StatusCode, Json<Appended>), ApiError> {
    let seq = state.store.dispute(&user, id, req.version, req.reason.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(Appended { seq })))
}

/// Records waiting for your confirmation (R4).
#[utoipa::path(get, path = "/api/v1/cosign-inbox", tag = "cosignature", responses((status = 200, body = Vec<RecordSummary>)))]
pub async fn cosign_inbox(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<RecordSummary>>, ApiError> {
    Ok(Json(state.store.cosign_inbox(&user, "api").await?))
}

// ---------------------------------------------------------------------------------------------
// Materials

/// Multipart form: the text fields first, then `file`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// official_letter, letter, audiovisual, electronic_data or other.
    category: String,
    /// filed_with_case or whereabouts (default by category).
    disposition: Option<String>,
    /// Where a non-written material went (required for whereabouts).
    whereabouts: Option<String>,
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MaterialAdded {
    pub material_id: Uuid,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub seq: i64,
}

fn field_problem(field: &str, zh: String, en: String) -> ApiError {
    ApiError::invalid(vec![Problem::new(field, "R5", "invalid", zh, en)])
}

/// Upload a material to a record (R5). The file is streamed into the content-addressed store and
/// its SHA-256 goes into the ledger event.
#[utoipa::path(post, path = "/api/v1/records/{id}/materials", tag = "materials", params(("id" = Uuid, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = MaterialAdded), (status = 413, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn upload_material(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<MaterialAdded>), ApiError> {
    Ok((StatusCode::CREATED, Json(receive_material(&state, &user, id, multipart, None).await?)))
}

/// The most a text field of an upload may hold (category, disposition, whereabouts, csrf): they
/// are read into memory, so not up to the upload's limit (issue 17).
pub const MAX_UPLOAD_TEXT_BYTES: usize = 4096;

/// A text field of a multipart upload, read chunk by chunk and refused (422, naming it) once it
/// passes `MAX_UPLOAD_TEXT_BYTES`.
async fn small_text(mut field: axum::extract::multipart::Field<'_>, name: &str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| ApiError::bad_request(format!("上传格式有误：{e}"), format!("malformed upload: {e}")))?
    {
        if bytes.len() + chunk.len() > MAX_UPLOAD_TEXT_BYTES {
            return Err(ApiError::invalid(vec![Problem::new(
                name,
                "R5",
                "too_long",
                format!("字段 {name} 过长（最多 {MAX_UPLOAD_TEXT_BYTES} 字节）"),
                format!("the field {name} is too long (at most {MAX_UPLOAD_TEXT_BYTES} bytes)"),
            )]));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| {
        ApiError::invalid(vec![Problem::new(
            name,
            "R5",
            "invalid",
            format!("字段 {name} 不是 UTF-8 文本"),
            format!("the field {name} is not UTF-8 text"),
        )])
    })
}

/// Stream an uploaded material into the store and record it. From a page (`csrf` given), the
/// form's `csrf` field must come before the file and match.
pub(crate) async fn receive_material(
    state: &AppState,
    user: &User,
    id: Uuid,
    mut multipart: Multipart,
    csrf: Option<&str>,
) -> Result<MaterialAdded, ApiError> {
    state.store.check_can_add_material(user, id).await?;
    let mut csrf_seen = false;
    let mut category = None;
    let mut disposition = None;
    let mut whereabouts = None;
    let bad_multipart = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!("上传格式有误：{e}"), format!("malformed upload: {e}"))
    };
    while let Some(field) = multipart.next_field().await.map_err(bad_multipart)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "category" => {
                let v = small_text(field, "category").await?;
                category = Some(MaterialCategory::from_code(v.trim()).ok_or_else(|| {
                    field_problem(
                        "category",
                        format!("材料类别“{v}”不存在，可选：{}", MaterialCategory::codes().join("、")),
                        format!("unknown category \"{v}\""),
                    )
                })?);
            }
            "disposition" => {
                let v = small_text(field, "disposition").await?;
                if !v.trim().is_empty() {
                    disposition = Some(Disposition::from_code(v.trim()).ok_or_else(|| {
                        field_problem(
                            "disposition",
                            format!("归档方式“{v}”不存在，可选：{}", Disposition::codes().join("、")),
                            format!("unknown disposition \"{v}\""),
                        )
                    })?);
                }
            }
            "whereabouts" => whereabouts = Some(small_text(field, "whereabouts").await?),
            "csrf" if csrf.is_some() => {
                let sent = small_text(field, "csrf").await?;
                csrf_seen = csrf.is_some_and(|expected| !expected.is_empty() && expected == sent);
            }
            "file" => {
                if csrf.is_some() && !csrf_seen {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "csrf",
                        "表单已失效（缺少或不符的防伪令牌）；请返回页面刷新后重新提交",
                        "the form has expired (missing or wrong anti-forgery token); reload the page and submit again",
                    ));
                }
                let Some(category) = category else {
                    return Err(field_problem(
                        "category",
                        "请先选择材料类别（category 字段须在文件之前）".into(),
                        "choose the category first (the category field must precede the file)".into(),
                    ));
                };
                // Keep only the last path component: browsers on some systems send full paths.
                let file_name = field.file_name().unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("").to_string();
                let meta = MaterialMeta { category, disposition, whereabouts: whereabouts.clone(), file_name };
                Store::check_material_meta(&meta)?;
                let limit = state.store.config().max_material_bytes;
                let stream = field.map_err(|e| e.to_string());
                let stored = state.store.material_store().put_stream(Box::pin(stream), limit).await?;
                let (material_id, seq) = state.store.add_material(user, id, &meta, &stored).await?;
                return Ok(MaterialAdded {
                    material_id,
                    sha256: stored.sha256,
                    size: stored.size,
                    media_type: stored.media_type,
                    seq,
                });
            }
            _ => {}
        }
    }
    Err(field_problem("file", "请选择要上传的文件".into(), "no file was uploaded".into()))
}

/// `Content-Disposition: attachment` naming the file `name` safely (RFC 6266): an ASCII `filename`
/// in which anything but letters, digits and `-._~` became `_`, and the exact name in UTF-8,
/// percent-encoded, as `filename*` (RFC 5987). Nothing of the name can end the header or add a
/// parameter to it (issue 17: court ids and file names went in raw).
pub(crate) fn attachment(name: &str) -> HeaderValue {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let name = if name.is_empty() { "download" } else { name };
    let fallback: String = name.chars().map(|c| if c.is_ascii() && plain(c as u8) { c } else { '_' }).collect();
    let encoded: String =
        name.bytes().map(|b| if plain(b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    HeaderValue::from_str(&format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"))
        .expect("only letters, digits and -._~%_ are in it")
}

/// Download a material. The content is checked against its recorded SHA-256 first; the hash is also
/// sent as `Repr-Digest` so the client can check it too.
#[utoipa::path(get, path = "/api/v1/materials/{id}", tag = "materials", params(("id" = Uuid, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = ProblemDocument)))]
pub async fn download_material(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let (_, material) = state.store.material(&user, id, "api").await?;
    let stream = state.store.material_store().get_verified(&material.sha256).await?;
    let digest = hex::decode(&material.sha256).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    let content_type =
        HeaderValue::from_str(&material.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(material.size));
    headers.insert(header::CONTENT_DISPOSITION, attachment(&material.file_name));
    if let Ok(v) =
        HeaderValue::from_str(&format!("sha-256=:{}:", base64::engine::general_purpose::STANDARD.encode(digest)))
    {
        headers.insert("repr-digest", v);
    }
    Ok(response)
}

//! Records over the API: recording, listing and reading, amending, co-signing or disputing (R3, R4).

use super::*;

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
    params(("Idempotency-Key" = Option<String>, Header, description = "the case-management system's key for this push: 1–255 printable ASCII characters",
        pattern = r"^[!-~]([ -~]{0,253}[!-~])?$")),
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
    #[param(value_type = Option<Register>)]
    pub register: Option<String>,
    /// Inquiries from this time (RFC 3339, `YYYY-MM-DD` or `YYYY-MM-DD HH:MM` China Standard Time).
    pub from: Option<String>,
    /// Inquiries before this time (a bare date includes that whole day).
    pub to: Option<String>,
    #[param(value_type = Option<Form>)]
    pub form: Option<String>,
    /// S7 item number, 1–15.
    #[param(minimum = 1, maximum = 15)]
    pub special_item: Option<u8>,
    pub case_number: Option<String>,
    /// Part of the intervener's name or unit.
    pub intervener: Option<String>,
    pub recorder: Option<String>,
    pub serious: Option<bool>,
    /// Words to find anywhere in the record: content, handling, names, unit, place, case number.
    pub q: Option<String>,
    /// `-occurred_at` (default, also when empty), `occurred_at`, `-created_at`, `created_at`.
    #[param(pattern = "^(-?(occurred_at|created_at))?$")]
    pub sort: Option<String>,
    /// From 1 (at most 4294967295; a page past the last is empty).
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub page: Option<u64>,
    /// 1 to 200 (a larger number counts as 200).
    #[param(minimum = 1, maximum = 4294967295_u64, format = Int64)]
    pub per_page: Option<u32>,
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

/// A text filter left empty (`?from=`, as a form with nothing typed in sends it) filters nothing;
/// a code (register, form) must be one of its list.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

impl ListQuery {
    pub(crate) fn to_filter(&self) -> Result<RecordFilter, ApiError> {
        let mut problems = Vec::new();
        let mut filter = RecordFilter {
            court_id: given(&self.court).map(str::to_string),
            page: 1,
            per_page: self.per_page.unwrap_or(50).min(200),
            case_number: given(&self.case_number).map(str::to_string),
            intervener: given(&self.intervener).map(str::to_string),
            recorder: given(&self.recorder).map(str::to_string),
            serious: self.serious,
            special_item: self.special_item,
            text: given(&self.q).map(str::to_string),
            ..Default::default()
        };
        match u32::try_from(self.page.unwrap_or(1)) {
            Ok(page @ 1..) => filter.page = page,
            _ => problems.push(Problem::new(
                "page",
                "R3",
                "invalid",
                format!("页码应为 1 至 {}", u32::MAX),
                format!("the page number must be from 1 to {}", u32::MAX),
            )),
        }
        if self.per_page == Some(0) {
            problems.push(Problem::new(
                "per_page",
                "R3",
                "invalid",
                "每页条数应为 1 至 200（更大的数按 200 计）",
                "per_page must be from 1 to 200 (a larger number counts as 200)",
            ));
        }
        if let Some(r) = self.register.as_deref() {
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
        if let Some(sort) = given(&self.sort) {
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
        if let Some(f) = self.form.as_deref() {
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
        match given(&self.from).map(|t| parse_bound("from", t, false)).transpose() {
            Ok(t) => filter.from = t,
            Err(p) => problems.push(p),
        }
        match given(&self.to).map(|t| parse_bound("to", t, true)).transpose() {
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
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<RecordSummary>>, ApiError> {
    Ok(Json(state.store.list_records(&user, &q.to_filter()?, "api").await?))
}

/// A record with its whole history: versions, co-signatures, materials and ledger position.
#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records", params(("id" = Uuid, Path)),
    responses((status = 200, body = RecordView), (status = 404, body = ProblemDocument)))]
pub async fn get_record(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
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
    ApiPath(id): ApiPath<Uuid>,
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
    ApiPath(id): ApiPath<Uuid>,
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
    ApiPath(id): ApiPath<Uuid>,
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
    ApiPath(id): ApiPath<Uuid>,
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

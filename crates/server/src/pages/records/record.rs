//! A record's page: versions, materials, co-signatures, who read it, its handling and ledger status;
//! and what is done from it (handling, materials, co-signing, disputing).

use super::*;

pub struct Signature {
    pub signer: String,
    pub state: String,
    pub reason: String,
    pub at: String,
}

pub struct VersionLine {
    pub version: u32,
    pub at: String,
    pub actor: String,
    pub reason: String,
    pub seq: i64,
    /// What this version said (earlier versions are kept and shown, never replaced).
    pub r: Shown,
}

pub struct MaterialLine {
    pub id: String,
    pub file_name: String,
    pub category: String,
    pub size: String,
    pub sha256: String,
    pub disposition: String,
    pub added_at: String,
}

pub struct ViewLine {
    pub viewer: String,
    pub at: String,
    pub part: String,
    pub seq: i64,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    c: Chrome,
    id: String,
    r: Shown,
    version: u32,
    recorder: String,
    created_at: String,
    cosign_status: String,
    signatures: Vec<Signature>,
    versions: Vec<VersionLine>,
    materials: Vec<MaterialLine>,
    views: Option<Vec<ViewLine>>,
    is_recorder: bool,
    my_signature_pending: bool,
    ledger_status: String,
    created_seq: i64,
    done: Option<&'static str>,
    errors: FormErrors,
    l: Lists,
    /// R9: the immediate reports of this entry with their chains, and whether one can be drafted.
    immediate: Vec<(String, bool, Vec<crate::pages::reports::StepLine>)>,
    may_report_immediately: bool,
    /// R12: the entry is of a C8 kind and the viewer sees reports: a draft notification exists.
    notification: bool,
    /// Issue 8: screenings, checks and oversight outcomes, for the office and inspectors; the
    /// office also gets the forms.
    handling: Option<HandlingLines>,
}

/// The entry's screenings, checks and outcomes as the record page shows them.
struct HandlingLines {
    may_act: bool,
    screenings: Vec<(String, String, String, String)>,
    /// id, subject, opened (by, at), findings when concluded.
    checks: Vec<(String, String, String, Option<String>)>,
    outcomes: Vec<(String, String, String, String)>,
    classifications: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
}

async fn handling_lines(
    state: &AppState,
    user: &User,
    id: Uuid,
    lang: Lang,
) -> Result<Option<HandlingLines>, ApiError> {
    let Some(h) = state.store.record_handling(user, id).await? else { return Ok(None) };
    let pick = |zh: &'static str, en: &'static str| lang.pick(zh, en);
    Ok(Some(HandlingLines {
        may_act: state.store.permits(user, Permission::RecordScreen),
        screenings: h
            .screenings
            .iter()
            .map(|s| {
                (
                    format_cst(s.screened_at),
                    s.screened_by.clone(),
                    pick(s.classification.zh(), s.classification.en()).into(),
                    s.reason.clone(),
                )
            })
            .collect(),
        checks: h
            .checks
            .iter()
            .map(|k| {
                (
                    k.id.to_string(),
                    k.subject.clone(),
                    format!("{} {}", k.opened_by, format_cst(k.opened_at)),
                    k.findings.clone(),
                )
            })
            .collect(),
        outcomes: h
            .outcomes
            .iter()
            .map(|o| (format_cst(o.at), o.body.clone(), pick(o.outcome.zh(), o.outcome.en()).into(), o.note.clone()))
            .collect(),
        classifications: liuhen_rules::Screening::ALL.iter().map(|s| (s.code(), pick(s.zh(), s.en()))).collect(),
        kinds: liuhen_rules::OversightOutcome::ALL.iter().map(|s| (s.code(), pick(s.zh(), s.en()))).collect(),
    }))
}

pub(super) fn cosign_status_name(status: &str, lang: Lang) -> String {
    lang.pick(
        match status {
            "pending" => "待在场人员确认",
            "confirmed" => "在场人员已确认",
            "disputed" => "在场人员有异议",
            _ => "无需确认",
        },
        match status {
            "pending" => "waiting for the staff present",
            "confirmed" => "confirmed by the staff present",
            "disputed" => "disputed by staff present",
            _ => "no co-signature needed",
        },
    )
    .to_string()
}

fn size_text(size: u64) -> String {
    match size {
        s if s >= 1_000_000 => format!("{:.1} MB", s as f64 / 1e6),
        s if s >= 1_000 => format!("{:.1} KB", s as f64 / 1e3),
        s => format!("{s} B"),
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

fn done_message(lang: Lang, done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => lang.pick(
            "已录入并写入可验证日志。可以打印回执，作为您已如实记录的凭证。",
            "Recorded and written to the verifiable log. Print the receipt as proof that you recorded it.",
        ),
        "material" => lang.pick("材料已上传，其哈希已写入日志。", "Material uploaded; its hash is in the log."),
        "cosigned" => lang.pick("已确认。", "Confirmed."),
        "disputed" => lang.pick("异议已记录。", "Dispute recorded."),
        "amended" => lang.pick(
            "已保存新版本；原版本保留，可随时查看。",
            "New version saved; the earlier one is kept and can be read.",
        ),
        "handled" => lang.pick("已记入日志。", "Written to the log."),
        _ => return None,
    })
}

async fn record_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    id: Uuid,
    done: Option<&str>,
    errors: FormErrors,
) -> Result<Response, ApiError> {
    let view: RecordView = state.store.record(user, id, "page").await?;
    let lang = c.lang;
    let name_of = |u: &str| u.to_string();
    let views =
        if state.store.permits(user, Permission::RecordViews) || view.recorder.as_deref() == Some(&user.username) {
            match state.store.record_views(user, id).await {
                Ok(v) => Some(
                    v.iter()
                        .map(|e| ViewLine {
                            viewer: e.viewer.clone(),
                            at: format_cst(e.at),
                            part: match e.part.as_str() {
                                "record" => lang.pick("记录", "record"),
                                "material" => lang.pick("材料", "material"),
                                "receipt" => lang.pick("回执", "receipt"),
                                _ => lang.pick("列表", "list"),
                            }
                            .to_string(),
                            seq: e.seq,
                        })
                        .collect(),
                ),
                Err(StoreError::Forbidden { .. } | StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
    let log = state.store.log_status().await?;
    let last = u64::try_from(view.ledger.last_seq).unwrap_or(0);
    let ledger_status = if !log.witnesses.is_empty() && log.witnessed_size > last {
        lang.pick(
            "已记入日志，已签入检查点，并经上级法院见证",
            "in the log, in a signed checkpoint, witnessed by the court above",
        )
    } else if log.latest_size > last {
        lang.pick("已记入日志并签入检查点（尚待见证）", "in the log and a signed checkpoint (not yet witnessed)")
    } else {
        lang.pick("已记入日志（等待下一个检查点）", "in the log (waiting for the next checkpoint)")
    };
    let my_signature_pending = view
        .cosignatures
        .iter()
        .any(|s| s.signer == user.username && s.version == view.version && s.state.code() == "pending");
    let mut immediate = Vec::new();
    for info in state.store.immediate_reports_of(user, id).await? {
        let steps = crate::pages::reports::chain_lines(state, &info).await?;
        immediate.push((info.id.to_string(), info.state == "sealed", steps));
    }
    let notification = view.record.c8_kind.is_some() && state.store.permits(user, Permission::ReportView);
    let may_report_immediately =
        view.record.serious && immediate.is_empty() && state.store.permits(user, Permission::ReportDraft);
    let handling = handling_lines(state, user, id, lang).await?;
    let page = RecordPage {
        handling,
        notification,
        immediate,
        may_report_immediately,
        id: id.to_string(),
        r: Shown::of(state, &view.record, lang).await?,
        version: view.version,
        recorder: view.recorder.clone().unwrap_or_else(|| lang.pick("（不向您显示）", "(not shown to you)").into()),
        created_at: format_cst(view.created_at),
        cosign_status: cosign_status_name(&view.cosign_status, lang),
        signatures: view
            .cosignatures
            .iter()
            .filter(|s| s.version == view.version)
            .map(|s| Signature {
                signer: name_of(&s.signer),
                state: lang.pick(s.state.zh(), s.state.en()).to_string(),
                reason: s.reason.clone().unwrap_or_default(),
                at: s.at.map(format_cst).unwrap_or_default(),
            })
            .collect(),
        versions: {
            let mut lines = Vec::new();
            for v in &view.versions {
                lines.push(VersionLine {
                    version: v.version,
                    at: format_cst(v.at),
                    actor: v.actor.clone().unwrap_or_default(),
                    reason: v.reason.clone().unwrap_or_default(),
                    seq: v.seq,
                    r: Shown::of(state, &v.record, lang).await?,
                });
            }
            lines
        },
        materials: view
            .materials
            .iter()
            .map(|m| MaterialLine {
                id: m.id.to_string(),
                file_name: m.file_name.clone(),
                category: lang.pick(m.category.zh(), m.category.en()).to_string(),
                size: size_text(m.size),
                sha256: m.sha256.clone(),
                disposition: lang.pick(m.disposition.zh(), m.disposition.en()).to_string(),
                added_at: format_cst(m.added_at),
            })
            .collect(),
        views,
        is_recorder: view.recorder.as_deref() == Some(&user.username),
        my_signature_pending,
        ledger_status: ledger_status.to_string(),
        created_seq: view.ledger.created_seq,
        done: done_message(lang, done),
        errors,
        l: lists(state, user, lang).await?,
        c,
    };
    render_form(&page, &page.errors)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HandlingFields {
    classification: String,
    reason: String,
    subject: String,
    check_id: String,
    findings: String,
    outcome: String,
    body: String,
    note: String,
}

/// The office screens the entry, opens or concludes a check, or notes an oversight body's
/// outcome, from the record's page (issue 8): `what` is `screen`, `check`, `conclude` or `outcome`.
pub async fn handle(
    State(state): State<AppState>,
    ApiPath((id, what)): ApiPath<(Uuid, String)>,
    PageForm(c, user, f): PageForm<HandlingFields>,
) -> Result<Response, ApiError> {
    let store = &state.store;
    let done = match what.as_str() {
        "screen" => store.screen_record(&user, id, &f.classification, &f.reason).await.map(|_| ()),
        "check" => store.open_check(&user, id, &f.subject).await.map(|_| ()),
        "conclude" => match f.check_id.parse::<Uuid>() {
            Ok(check) => store.conclude_check(&user, check, &f.findings).await.map(|_| ()),
            Err(_) => Err(StoreError::not_found("没有这项核查", "no such check")),
        },
        "outcome" => store.report_outcome(&user, id, &f.outcome, &f.body, &f.note).await.map(|_| ()),
        _ => return Err(StoreError::not_found("没有这个地址", "no such address").into()),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/records/{id}?done=handled")).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            record_page(&state, c, &user, id, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn record(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<Done>,
) -> Result<Response, ApiError> {
    record_page(&state, c, &user, id, q.done.as_deref(), FormErrors::default()).await
}

/// A material uploaded from the record's page (multipart: csrf, category, disposition,
/// whereabouts, then the file).
pub async fn upload(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiPath(id): ApiPath<Uuid>,
    upload: ApiMultipart,
) -> Result<Response, ApiError> {
    let csrf = (!c.by_bearer).then_some(c.csrf.as_str());
    match crate::api::receive_material(&state, &user, id, upload, csrf).await {
        Ok(_) => Ok(Redirect::to(&format!("/records/{id}?done=material")).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::PAYLOAD_TOO_LARGE => {
            let errors = FormErrors::from_error(&e, c.lang);
            record_page(&state, c, &user, id, None, errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct SignFields {
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    reason: String,
}

/// Confirm the record from its page (R4).
pub async fn cosign(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(c, user, f): PageForm<SignFields>,
) -> Result<Response, ApiError> {
    let result = state.store.cosign(&user, id, f.version).await;
    signed(&state, c, &user, id, result, "cosigned").await
}

/// Dispute the record from its page, with the reason (R4).
pub async fn dispute(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(c, user, f): PageForm<SignFields>,
) -> Result<Response, ApiError> {
    let result = state.store.dispute(&user, id, f.version, &f.reason).await;
    signed(&state, c, &user, id, result, "disputed").await
}

async fn signed(
    state: &AppState,
    c: Chrome,
    user: &User,
    id: Uuid,
    result: Result<i64, StoreError>,
    done: &str,
) -> Result<Response, ApiError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/records/{id}?done={done}")).into_response()),
        Err(e @ StoreError::Invalid(_)) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            record_page(state, c, user, id, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

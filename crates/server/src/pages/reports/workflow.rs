//! The quarterly report's workflow (R8): draft, approve and seal, deliver; the list of reports.

use super::*;

/// Whether `user` is shown the approve button: a draft of their court, by someone else (R8:
/// nobody approves their own), and a role that approves. The sequencer checks it again.
pub(super) fn may_approve(state: &AppState, user: &User, info: &liuhen_store::reports::ReportInfo) -> bool {
    info.state == "drafted"
        && info.drafted_by != user.username
        && info.court_id == user.court_id
        && state.store.permits(user, liuhen_rules::Permission::ReportApprove)
}

#[derive(Deserialize)]
pub struct DraftFields {
    year: i32,
    quarter: u8,
    #[serde(default)]
    narrative: String,
    #[serde(default)]
    supersedes: String,
}

/// The report a draft corrects, if any (R8: a sealed report never changes; a correction is a new
/// report that names it).
pub(super) fn supersedes(field: &str) -> Result<Option<uuid::Uuid>, ApiError> {
    match field.trim() {
        "" => Ok(None),
        s => Ok(Some(s.parse().map_err(|_| form_problem("supersedes", "被更正的报告编号不对", "not a report id"))?)),
    }
}

pub(super) fn form_problem(field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::invalid(vec![Problem::new(field, "R8", "invalid", zh, en)])
}

/// The office drafts the quarterly report: the numbers from the data as they are now, its own
/// narrative; recipients computed by rule.
pub async fn draft(
    State(state): State<AppState>,
    crate::pages::chrome::PageForm(_, user, f): crate::pages::chrome::PageForm<DraftFields>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    let quarter = QuarterQuery { year: Some(f.year), quarter: Some(f.quarter) }.quarter()?;
    if f.narrative.chars().count() > 20_000 {
        return Err(form_problem(
            "narrative",
            "分析说明最多 20000 字",
            "the narrative may have at most 20,000 characters",
        ));
    }
    let supersedes = supersedes(&f.supersedes)?;
    let report = build(&state, &user, quarter, "report").await?;
    let mut recipients: Vec<String> = report
        .routing
        .main
        .iter()
        .chain(&report.routing.main_leaders_part)
        .filter(|r| r.kind == "court")
        .map(|r| r.court_id.clone())
        .collect();
    recipients.dedup();
    let content =
        serde_json::to_vec(&Content { report, narrative: f.narrative.trim().to_string(), inspections: Vec::new() })
            .map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let period = format!("{}Q{}", quarter.year, quarter.q);
    let id = state.store.draft_report(&user, "quarterly", &period, content, recipients, supersedes).await?;
    Ok(axum::response::Redirect::to(&format!("/reports/{id}")).into_response())
}

async fn content_of(
    state: &AppState,
    user: &User,
    info: &liuhen_store::reports::ReportInfo,
) -> Result<Content, ApiError> {
    let bytes = state.store.report_object(user, info.id, &info.content_sha256).await?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    c: Chrome,
    info: liuhen_store::reports::ReportInfo,
    r: QuarterlyReport,
    narrative: String,
    inspections: Vec<liuhen_store::reports::Inspection>,
    may_approve: bool,
    own_court: bool,
    /// The reports that correct this one.
    superseded_by: Vec<uuid::Uuid>,
    may_correct: bool,
}

/// A report: its state, who drafted and approved it, its ledger entries, the files sent with
/// their hashes, and the content as drafted.
pub async fn report(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> Result<Response, ApiError> {
    let info = state.store.report(&user, id).await?;
    state.store.note_content_viewed(&user, "report", Some(id.to_string()), "page").await?;
    if info.kind == "immediate" {
        return immediate_page(&state, c, &user, info).await;
    }
    let content = content_of(&state, &user, &info).await?;
    let may_approve = may_approve(&state, &user, &info);
    let superseded_by =
        state.store.reports(&user).await?.iter().filter(|r| r.supersedes == Some(id)).map(|r| r.id).collect();
    render(&ReportPage {
        may_correct: info.state == "sealed"
            && info.court_id == user.court_id
            && state.store.permits(&user, liuhen_rules::Permission::ReportDraft),
        superseded_by,
        own_court: info.court_id == user.court_id,
        c,
        info,
        r: content.report,
        narrative: content.narrative,
        inspections: content.inspections,
        may_approve,
    })
}

/// A court leader (not the drafter) approves: the files to send are made from the frozen content
/// and sealed with it — their hashes go into the ledger.
pub async fn approve(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<uuid::Uuid>,
    crate::pages::chrome::PageForm(_, user, NoFields {}): crate::pages::chrome::PageForm<NoFields>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    // Held until the seal is in the ledger, so that the next approval counts this one.
    let _one_at_a_time = state.sealing.clone().lock_owned().await;
    let info = state.store.report(&user, id).await?;
    if info.kind == "immediate" {
        let json = state.store.report_object(&user, id, &info.content_sha256).await?;
        let content: ImmediateContent =
            serde_json::from_slice(&json).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
        let above = match info.recipients.first() {
            Some(court) => state.store.court(court).await?.map_or(court.clone(), |c| c.name),
            None => String::new(),
        };
        let meta = liuhen_reports::export::DocumentMeta {
            number: Some(document_number(&state, &user, &info).await?),
            signer: Some(user.display_name.clone()),
            draft: false,
            ..draft_meta()
        };
        let doc = immediate_document(&content, &above, &meta);
        let stem = format!("immediate-{}-{}", info.court_id, info.period);
        let files = vec![(format!("{stem}.json"), json), (format!("{stem}.docx"), docx_of(&doc)?)];
        state.store.seal_report(&user, id, files).await?;
        return Ok(axum::response::Redirect::to(&format!("/reports/{id}")).into_response());
    }
    let content = content_of(&state, &user, &info).await?;
    let xlsx = liuhen_reports::export::quarterly_xlsx(&content.report).map_err(|e| internal("表格", "workbook", e))?;
    let json = serde_json::to_vec_pretty(&content).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let names: BTreeMap<String, String> = state.store.courts().await?.into_iter().map(|c| (c.id, c.name)).collect();
    let inspections: Vec<liuhen_reports::export::InspectionNote> = content
        .inspections
        .iter()
        .map(|i| liuhen_reports::export::InspectionNote {
            court: names.get(&i.inspected_court).cloned().unwrap_or_else(|| i.inspected_court.clone()),
            on: i.inspected_on.clone(),
            subject: i.subject.clone(),
            findings: i.findings.clone(),
        })
        .collect();
    let corrects = match info.supersedes {
        Some(old) => {
            let old = state.store.report(&user, old).await?;
            let on = old.sealed_at.map_or(String::new(), |t| {
                liuhen_reports::document::date_zh(t.to_offset(liuhen_rules::period::CHINA_STANDARD_TIME).date())
            });
            Some(format!("本报告更正本院{on}报送的同期报告（报告编号 {}），请以本报告为准。", old.id))
        }
        None => None,
    };
    let meta = liuhen_reports::export::DocumentMeta {
        corrects,
        number: Some(document_number(&state, &user, &info).await?),
        signer: Some(user.display_name.clone()),
        draft: false,
        ..draft_meta()
    };
    let (main, part) =
        liuhen_reports::export::quarterly_documents(&content.report, &content.narrative, &inspections, &meta);
    let stem = format!("{}-{}-{}", info.kind.replace('_', "-"), info.court_id, info.period);
    let mut files =
        vec![(format!("{stem}.json"), json), (format!("{stem}.xlsx"), xlsx), (format!("{stem}.docx"), docx_of(&main)?)];
    if let Some(part) = part {
        files.push((format!("{stem}-main-leaders.docx"), docx_of(&part)?));
    }
    state.store.seal_report(&user, id, files).await?;
    Ok(axum::response::Redirect::to(&format!("/reports/{id}")).into_response())
}

/// 发文字号 of a report being sealed: the court's code, the year and the count of the court's
/// reports sealed in the year so far, as “示0101法〔2026〕3号”.
async fn document_number(
    state: &AppState,
    user: &User,
    info: &liuhen_store::reports::ReportInfo,
) -> Result<String, ApiError> {
    let year = |t: time::OffsetDateTime| t.to_offset(liuhen_rules::period::CHINA_STANDARD_TIME).year();
    let this_year = year(time::OffsetDateTime::now_utc());
    let code = state.store.court(&info.court_id).await?.map_or(info.court_id.clone(), |c| c.case_code);
    let sealed = state
        .store
        .reports(user)
        .await?
        .iter()
        .filter(|r| r.court_id == info.court_id && r.sealed_at.is_some_and(|t| year(t) == this_year))
        .count();
    Ok(format!("{code}法〔{this_year}〕{}号", sealed + 1))
}

/// A file of a report (its content or a sealed file), checked against its hash first.
pub async fn file(
    State(state): State<AppState>,
    Page(_, user): Page,
    ApiPath((id, sha256)): ApiPath<(uuid::Uuid, String)>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    let info = state.store.report(&user, id).await?;
    let name = info.files.iter().find(|f| f.sha256 == sha256).map_or("report.json".to_string(), |f| f.name.clone());
    let bytes = state.store.report_object(&user, id, &sha256).await?;
    state.store.note_content_viewed(&user, "report_file", Some(format!("{id}/{sha256}")), "page").await?;
    let kind = if name.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else if name.ends_with(".docx") {
        DOCX
    } else {
        "application/json"
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static(kind)),
            (axum::http::header::CONTENT_DISPOSITION, crate::api::attachment(&name)),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    c: Chrome,
    own: Vec<liuhen_store::reports::ReportInfo>,
    received: Vec<liuhen_store::reports::ReportInfo>,
    may_draft: bool,
    last: (i32, u8),
}

/// The court's reports, and the inbox of reports the courts below sent to it.
pub async fn list(State(state): State<AppState>, Page(c, user): Page) -> Result<Response, ApiError> {
    let all = state.store.reports(&user).await?;
    state.store.note_content_viewed(&user, "reports", None, "page").await?;
    let (own, received) = all.into_iter().partition(|r| r.court_id == user.court_id);
    let last = Quarter::of(time::OffsetDateTime::now_utc()).previous();
    render(&ReportsPage {
        may_draft: state.store.permits(&user, liuhen_rules::Permission::ReportDraft),
        c,
        own,
        received,
        last: (last.year, last.q),
    })
}

/// The charts of an analysis's main breakdowns, as SVG for the pages (the same drawing as in the
/// DOCX). The SVG is built from escaped text only, so the templates may include it as it is.
pub fn charts(r: &QuarterlyReport, lang: &liuhen_rules::Lang) -> Vec<String> {
    let a = &r.analysis;
    let en = *lang == liuhen_rules::Lang::En;
    let mut list = vec![
        (if en { "By Article 7 item" } else { "按第七条专项报告情形" }, &a.by_special_item),
        (if en { "By type of unit" } else { "按过问人单位类别" }, &a.by_unit_type),
        (if en { "By form" } else { "按过问方式" }, &a.by_form),
    ];
    if a.by_court.len() > 1 {
        list.push((if en { "By court" } else { "按法院" }, &a.by_court));
    }
    list.into_iter().filter_map(|(title, counts)| liuhen_reports::chart::bar_chart(title, counts, en)).collect()
}

/// China Standard Time for the templates, which hand instants over by reference.
pub fn cst(t: &time::OffsetDateTime) -> String {
    liuhen_rules::period::format_cst(*t)
}

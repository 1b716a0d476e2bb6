//! Reports over HTTP (issue 6, R8, R11): the quarterly analysis of the viewer's court — and of the
//! courts below it — with where it must go, as JSON and as a page.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use liuhen_reports::{CourtNode, Entry, HalfYear, Period, Quarter, QuarterlyReport};
use liuhen_rules::Problem;
use liuhen_store::User;
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::pages::chrome::{Chrome, NoFields, Page};
use crate::pages::render;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuarterQuery {
    /// Default: the quarter before the current one (the one to report on).
    pub year: Option<i32>,
    /// 1–4.
    pub quarter: Option<u8>,
}

impl QuarterQuery {
    fn quarter(&self) -> Result<Quarter, ApiError> {
        let last = Quarter::of(time::OffsetDateTime::now_utc()).previous();
        let year = self.year.unwrap_or(last.year);
        let q = self.quarter.unwrap_or(if self.year.is_some() { 1 } else { last.q });
        Quarter::new(year, q).filter(|_| (2015..=9999).contains(&year)).ok_or_else(|| {
            ApiError::invalid(vec![Problem::new(
                "quarter",
                "R8",
                "invalid",
                "季度应为 1–4，年份自 2015 年起",
                "the quarter is 1–4 and the year 2015 or later",
            )])
        })
    }
}

/// The analysis of `user`'s court (and the courts below) for a period, routed: what every report
/// page, export and draft starts from (public for the benchmark in `benches/reports.rs`).
pub async fn build(
    state: &AppState,
    user: &User,
    quarter: impl Period,
    via: &str,
) -> Result<QuarterlyReport, ApiError> {
    let comparisons = vec![quarter.previous().bounds(), quarter.year_before().bounds()];
    let data = state.store.report_data(user, quarter.bounds(), comparisons).await?;
    let entries: Vec<Entry> = data
        .entries
        .into_iter()
        .map(|e| Entry { id: e.id.to_string(), court_id: e.court_id, facts: e.facts })
        .collect();
    let earlier = liuhen_reports::Earlier {
        previous_total: data.comparison_totals[0],
        year_before_total: data.comparison_totals[1],
        entries: data
            .earlier
            .into_iter()
            .map(|e| liuhen_reports::EarlierEntry {
                name: e.name,
                unit: e.unit,
                occurred_at: e.occurred_at,
                case: e.case,
            })
            .collect(),
        aliases: data.aliases,
        screenings: data.screenings.into_iter().map(|(id, s)| (id.to_string(), s)).collect(),
    };
    let courts = state.store.courts().await?;
    let names: BTreeMap<String, String> =
        courts.iter().filter(|c| data.courts.contains(&c.id)).map(|c| (c.id.clone(), c.name.clone())).collect();
    let node = |c: &liuhen_store::Court| CourtNode { id: c.id.clone(), name: c.name.clone(), level: c.level };
    let own = courts
        .iter()
        .find(|c| c.id == user.court_id)
        .ok_or_else(|| ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "法院不存在", "no such court"))?;
    let chain: Vec<CourtNode> = state.store.courts_above(&user.court_id).await?.iter().map(node).collect();
    let report = QuarterlyReport {
        court_name: own.name.clone(),
        analysis: liuhen_reports::analyse(
            &user.court_id,
            quarter,
            &entries,
            &earlier,
            &names,
            &state.store.config().extra_regions,
        ),
        routing: liuhen_reports::route_with(&node(own), &chain, &state.report_routing),
    };
    // 查看留痕: the entries the report shows one by one (serious, S7 items, main leaders) are
    // recorded as read; the ones it only counts reveal nothing about themselves.
    let a = &report.analysis;
    let mut shown: Vec<uuid::Uuid> =
        a.serious.iter().chain(&a.special_items).chain(&a.main_leaders).filter_map(|l| l.id.parse().ok()).collect();
    shown.sort();
    shown.dedup();
    state.store.note_report_shown(user, shown, via).await?;
    state.store.note_content_viewed(user, "analysis", Some(quarter.code()), via).await?;
    Ok(report)
}

/// The quarterly analysis of your court (and the courts below), with its routing (R8, R11).
/// Reading it is recorded like reading the entries it shows.
#[utoipa::path(get, path = "/api/v1/reports/quarterly", tag = "reports", params(QuarterQuery),
    responses((status = 200, body = QuarterlyReport), (status = 403, body = crate::error::ProblemDocument)))]
pub async fn quarterly(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<QuarterQuery>,
) -> Result<Json<QuarterlyReport>, ApiError> {
    Ok(Json(build(&state, &user, q.quarter()?, "report").await?))
}

#[derive(Template)]
#[template(path = "quarterly.html")]
struct QuarterlyPage {
    c: Chrome,
    r: QuarterlyReport,
    previous: (i32, u8),
    next: Option<(i32, u8)>,
}

/// The same analysis as a page.
pub async fn quarterly_page(
    State(state): State<AppState>,
    Page(c, user): Page,
    Query(q): Query<QuarterQuery>,
) -> Result<Response, ApiError> {
    let quarter = q.quarter()?;
    let r = build(&state, &user, quarter, "report").await?;
    let previous = quarter.previous();
    let next = quarter.next();
    let current = Quarter::of(time::OffsetDateTime::now_utc());
    render(&QuarterlyPage {
        c,
        r,
        previous: (previous.year, previous.q),
        next: (next <= current).then_some((next.year, next.q)),
    })
}

/// The formats the analysis exports to.
#[derive(Clone, Copy)]
enum Format {
    Xlsx,
    Docx,
    Csv,
}

fn internal(what_zh: &str, what_en: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("{what_zh}生成失败：{e}"),
        format!("the {what_en} could not be made: {e}"),
    )
}

/// The analysis as CSV: one line per category of every breakdown, then the lists, with the same
/// quoting and formula neutralising as the store's export.
fn quarterly_csv(report: &QuarterlyReport) -> String {
    use crate::pages::records::csv_field;
    let a = &report.analysis;
    let mut out = String::from("\u{feff}分类,类别,条数\r\n");
    let mut line = |fields: &[&str]| {
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    };
    line(&["合计", &a.label_zh, &a.total.to_string()]);
    line(&["上一期", "", &a.previous_quarter_total.to_string()]);
    line(&["去年同期", "", &a.same_quarter_last_year_total.to_string()]);
    for (section, counts) in [
        ("第七条情形", &a.by_special_item),
        ("单位类别", &a.by_unit_type),
        ("干部管理权限", &a.by_managing_level),
        ("过问方式", &a.by_form),
        ("所处环节", &a.by_stage),
        ("案件类型", &a.by_case_type),
        ("处理情况", &a.by_handling),
        ("法院", &a.by_court),
    ] {
        for c in counts.iter() {
            line(&[section, &c.zh, &c.count.to_string()]);
        }
    }
    for p in &a.repeat_interveners {
        line(&["多次过问人员", &format!("{}（{}，{}）", p.name, p.unit, p.post), &p.total.to_string()]);
    }
    out
}

/// The draft documents of the analysis: not numbered, not signed, marked as a draft.
fn draft_meta() -> liuhen_reports::export::DocumentMeta {
    liuhen_reports::export::DocumentMeta {
        number: None,
        signer: None,
        corrects: None,
        date: time::OffsetDateTime::now_utc().to_offset(liuhen_rules::period::CHINA_STANDARD_TIME).date(),
        draft: true,
    }
}

fn docx_of(doc: &liuhen_reports::document::OfficialDocument) -> Result<Vec<u8>, ApiError> {
    liuhen_reports::document::to_docx(doc).map_err(|e| internal("公文", "document", e))
}

async fn quarterly_export(state: AppState, user: User, q: QuarterQuery, format: Format) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    let quarter = q.quarter()?;
    let report = build(&state, &user, quarter, "export").await?;
    let (bytes, kind, ext) = match format {
        Format::Xlsx => (
            liuhen_reports::export::quarterly_xlsx(&report).map_err(|e| internal("表格", "workbook", e))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Format::Docx => {
            let (main, _) = liuhen_reports::export::quarterly_documents(&report, "", &[], &draft_meta());
            (docx_of(&main)?, DOCX, "docx")
        }
        Format::Csv => (quarterly_csv(&report).into_bytes(), "text/csv; charset=utf-8", "csv"),
    };
    let file = format!("quarterly-{}-{}Q{}.{ext}", user.court_id, quarter.year, quarter.q);
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static(kind)),
            (axum::http::header::CONTENT_DISPOSITION, crate::api::attachment(&file)),
        ],
        bytes,
    )
        .into_response())
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The same analysis as an XLSX workbook: a sheet for the summary and routing, one for each
/// breakdown and list. Reading it is recorded like the page.
pub async fn quarterly_xlsx(
    State(state): State<AppState>,
    Page(_, user): Page,
    Query(q): Query<QuarterQuery>,
) -> Result<Response, ApiError> {
    quarterly_export(state, user, q, Format::Xlsx).await
}

/// The analysis as a draft official document (DOCX, GB/T 9704 layout, with charts): what the
/// office starts from; the numbered, signed one is made when a leader approves.
pub async fn quarterly_docx(
    State(state): State<AppState>,
    Page(_, user): Page,
    Query(q): Query<QuarterQuery>,
) -> Result<Response, ApiError> {
    quarterly_export(state, user, q, Format::Docx).await
}

/// The analysis as CSV, one line per category.
pub async fn quarterly_csv_file(
    State(state): State<AppState>,
    Page(_, user): Page,
    Query(q): Query<QuarterQuery>,
) -> Result<Response, ApiError> {
    quarterly_export(state, user, q, Format::Csv).await
}

// ---- the workflow: draft, approve and seal, deliver (R8) ----

/// Whether `user` is shown the approve button: a draft of their court, by someone else (R8:
/// nobody approves their own), and a role that approves. The sequencer checks it again.
fn may_approve(state: &AppState, user: &User, info: &liuhen_store::reports::ReportInfo) -> bool {
    info.state == "drafted"
        && info.drafted_by != user.username
        && info.court_id == user.court_id
        && state.store.permits(user, liuhen_rules::Permission::ReportApprove)
}

/// What a drafted report holds, frozen: the analysis with its routing, and the office's narrative.
#[derive(serde::Serialize, Deserialize)]
struct Content {
    report: QuarterlyReport,
    narrative: String,
    /// R10: the inspections of courts below in the period (half-year reports).
    #[serde(default)]
    inspections: Vec<liuhen_store::reports::Inspection>,
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
fn supersedes(field: &str) -> Result<Option<uuid::Uuid>, ApiError> {
    match field.trim() {
        "" => Ok(None),
        s => Ok(Some(s.parse().map_err(|_| form_problem("supersedes", "被更正的报告编号不对", "not a report id"))?)),
    }
}

fn form_problem(field: &str, zh: &str, en: &str) -> ApiError {
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
    axum::extract::Path(id): axum::extract::Path<uuid::Uuid>,
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
    axum::extract::Path(id): axum::extract::Path<uuid::Uuid>,
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
    axum::extract::Path((id, sha256)): axum::extract::Path<(uuid::Uuid, String)>,
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

// ---- immediate reports (R9) ----

/// What an immediate report says about the entry: no court staff names (issue 4: what leaves the
/// court carries none).
#[derive(serde::Serialize, Deserialize)]
struct ImmediateContent {
    court_name: String,
    record_id: String,
    case: String,
    occurred_at: String,
    intervener: String,
    form: String,
    content: String,
    handling: String,
    special_items: Vec<String>,
    narrative: String,
}

#[derive(Deserialize)]
pub struct ImmediateFields {
    record_id: uuid::Uuid,
    #[serde(default)]
    narrative: String,
}

/// The office drafts the immediate report of a serious entry (R9); it goes, once a leader seals
/// it, to every court above up to the Supreme People's Court, each acknowledging in turn.
pub async fn draft_immediate(
    State(state): State<AppState>,
    crate::pages::chrome::PageForm(_, user, f): crate::pages::chrome::PageForm<ImmediateFields>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    use liuhen_rules::Listed;
    let view = state.store.record(&user, f.record_id, "report").await?;
    let r = &view.record;
    if !r.serious {
        return Err(form_problem(
            "record_id",
            "只有情节严重、可能造成冤假错案或其他严重后果的记录须立即报告",
            "only a serious entry that may cause a wrongful judgment or other grave harm is reported at once",
        ));
    }
    let chain: Vec<String> = state.store.courts_above(&user.court_id).await?.into_iter().map(|c| c.id).collect();
    if chain.is_empty() {
        return Err(form_problem("record_id", "本院没有上级法院可报", "this court has no court above to report to"));
    }
    let i = &r.intervener;
    let content = ImmediateContent {
        court_name: state.store.court(&user.court_id).await?.map_or(user.court_id.clone(), |c| c.name),
        record_id: f.record_id.to_string(),
        case: r.case_number.clone().or_else(|| r.case_title.clone()).unwrap_or_default(),
        occurred_at: liuhen_rules::period::format_cst(r.occurred_at),
        intervener: i.described(),
        form: r.form.zh().into(),
        content: r.content.clone(),
        handling: r.handling.clone().unwrap_or_default(),
        special_items: r
            .special_items
            .iter()
            .filter_map(|n| liuhen_rules::special_item(*n))
            .map(|s| format!("{}{}", s.numeral, s.text_zh))
            .collect(),
        narrative: f.narrative.trim().to_string(),
    };
    let bytes = serde_json::to_vec(&content).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let id = state.store.draft_report(&user, "immediate", &f.record_id.to_string(), bytes, chain, None).await?;
    Ok(axum::response::Redirect::to(&format!("/reports/{id}")).into_response())
}

/// The immediate report as an official document (R9): to the court directly above, which sends
/// it on; no court staff names, as in its content.
fn immediate_document(
    r: &ImmediateContent,
    above: &str,
    meta: &liuhen_reports::export::DocumentMeta,
) -> liuhen_reports::document::OfficialDocument {
    use liuhen_reports::document::Block;
    let mut body = vec![
        Block::Paragraph(
            "根据《人民法院落实〈领导干部干预司法活动、插手具体案件处理的记录、通报和责任追究规定〉的实施办法》第六条，现将一起情节严重、可能造成冤假错案或者其他严重后果的领导干部过问案件情况报告如下。"
                .into(),
        ),
        Block::Heading("一、基本情况".into()),
        Block::Table {
            columns: vec!["项目".into(), "内容".into()],
            rows: vec![
                vec!["案件".into(), r.case.clone()],
                vec!["过问时间（北京时间）".into(), r.occurred_at.clone()],
                vec!["过问人".into(), r.intervener.clone()],
                vec!["过问方式".into(), r.form.clone()],
                vec!["专项报告情形".into(), r.special_items.join("；")],
            ],
        },
        Block::Heading("二、过问内容".into()),
        Block::Paragraph(r.content.clone()),
        Block::Heading("三、处理情况".into()),
        Block::Paragraph(if r.handling.is_empty() { "尚未记录处理情况。".into() } else { r.handling.clone() }),
    ];
    if !r.narrative.is_empty() {
        body.push(Block::Heading("四、说明".into()));
        body.extend(r.narrative.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| Block::Paragraph(l.into())));
    }
    body.push(Block::Paragraph("请逐级报送至最高人民法院。特此报告。".into()));
    liuhen_reports::document::OfficialDocument {
        issuer: r.court_name.clone(),
        number: meta.number.clone(),
        signer: meta.signer.clone(),
        title: format!("{}关于一起领导干部过问案件情况的紧急报告", r.court_name),
        addressees: vec![above.to_string()],
        body,
        attachments: vec![],
        date: liuhen_reports::document::date_zh(meta.date),
        copy_to: vec![],
        draft: meta.draft,
    }
}

pub struct StepLine {
    pub court: String,
    pub since: String,
    pub acknowledged: String,
    pub overdue: bool,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "report_immediate.html")]
struct ImmediatePage {
    c: Chrome,
    info: liuhen_store::reports::ReportInfo,
    r: ImmediateContent,
    steps: Vec<StepLine>,
    may_approve: bool,
    may_acknowledge: bool,
}

pub(crate) async fn chain_lines(
    state: &AppState,
    info: &liuhen_store::reports::ReportInfo,
) -> Result<Vec<StepLine>, ApiError> {
    let names: BTreeMap<String, String> = state.store.courts().await?.into_iter().map(|c| (c.id, c.name)).collect();
    let steps = state.store.report_chain(info).await?;
    let current = steps.iter().position(|s| s.acknowledged_at.is_none());
    Ok(steps
        .iter()
        .enumerate()
        .map(|(n, s)| StepLine {
            court: names.get(&s.court_id).cloned().unwrap_or_else(|| s.court_id.clone()),
            since: s.since.map(liuhen_rules::period::format_cst).unwrap_or_default(),
            acknowledged: match (&s.acknowledged_by, s.acknowledged_at) {
                (Some(by), Some(at)) => format!("{by} · {}", liuhen_rules::period::format_cst(at)),
                _ => String::new(),
            },
            overdue: s.overdue,
            current: Some(n) == current && info.state == "sealed",
        })
        .collect())
}

async fn immediate_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    info: liuhen_store::reports::ReportInfo,
) -> Result<Response, ApiError> {
    let bytes = state.store.report_object(user, info.id, &info.content_sha256).await?;
    let r: ImmediateContent =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let steps = chain_lines(state, &info).await?;
    let chain = state.store.report_chain(&info).await?;
    let current = chain.iter().find(|s| s.acknowledged_at.is_none()).map(|s| s.court_id.clone());
    let may_acknowledge = info.state == "sealed"
        && current.as_deref() == Some(user.court_id.as_str())
        && state.store.permits(user, liuhen_rules::Permission::ReportView);
    let may_approve = may_approve(state, user, &info);
    render(&ImmediatePage { c, info, r, steps, may_approve, may_acknowledge })
}

/// A court of the chain acknowledges the immediate report; the next court above is then the
/// one to acknowledge (R9).
pub async fn acknowledge(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<uuid::Uuid>,
    crate::pages::chrome::PageForm(_, user, NoFields {}): crate::pages::chrome::PageForm<NoFields>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    state.store.acknowledge_report(&user, id).await?;
    Ok(axum::response::Redirect::to(&format!("/reports/{id}")).into_response())
}

// ---- notifications (R12) ----

#[derive(Template)]
#[template(path = "notification.html")]
struct NotificationPage {
    c: Chrome,
    n: liuhen_reports::notification::Notification,
    record_id: String,
}

/// The draft 通报 of an entry of a C8 kind, for the political-legal committee, with every court
/// staff name removed (R12, S9).
pub async fn notification(
    State(state): State<AppState>,
    Page(c, user): Page,
    axum::extract::Path(record_id): axum::extract::Path<uuid::Uuid>,
) -> Result<Response, ApiError> {
    state.store.require_permission(
        &user,
        liuhen_rules::Permission::ReportView,
        "您的角色不查看报告",
        "your role does not see reports",
    )?;
    let view = state.store.record(&user, record_id, "report").await?;
    let court_name = state.store.court(&view.court_id).await?.map_or(view.court_id.clone(), |c| c.name);
    let staff: Vec<String> = state
        .store
        .users_of_court(&view.court_id)
        .await?
        .into_iter()
        .flat_map(|u| [u.display_name, u.username])
        .collect();
    let n = liuhen_reports::notification::draft(&view.record, &court_name, &staff).ok_or_else(|| {
        form_problem(
            "c8_kind",
            "这条记录未标明属于第八条所列情形，不生成通报",
            "this entry is of no Article 8 kind, so there is no notification",
        )
    })?;
    render(&NotificationPage { c, n, record_id: record_id.to_string() })
}

// ---- the half-year implementation report of a high court (R10) ----

#[derive(Deserialize)]
pub struct HalfQuery {
    pub year: Option<i32>,
    /// 1 or 2.
    pub half: Option<u8>,
}

impl HalfQuery {
    fn half(&self) -> Result<HalfYear, ApiError> {
        let last = HalfYear::of(time::OffsetDateTime::now_utc()).previous();
        let year = self.year.unwrap_or(last.year);
        let h = self.half.unwrap_or(if self.year.is_some() { 1 } else { last.h });
        HalfYear::new(year, h).filter(|_| (2015..=9999).contains(&year)).ok_or_else(|| {
            form_problem("half", "半年应为 1 或 2，年份自 2015 年起", "the half is 1 or 2 and the year 2015 or later")
        })
    }
}

/// R10: high courts report every half year to the provincial political-legal committee.
async fn require_high_court(state: &AppState, user: &User) -> Result<(), ApiError> {
    let court = state.store.court(&user.court_id).await?;
    if court.is_some_and(|c| c.level == liuhen_rules::CourtLevel::High) {
        return Ok(());
    }
    Err(liuhen_store::StoreError::forbidden(
        "半年报告由高级人民法院汇总辖区法院情况后报送省级党委政法委",
        "the half-year report is made by high courts, over the courts of their province",
    )
    .into())
}

#[derive(Template)]
#[template(path = "half_year.html")]
struct HalfYearPage {
    c: Chrome,
    r: QuarterlyReport,
    may_draft: bool,
    inspections: Vec<liuhen_store::reports::Inspection>,
    courts_below: Vec<(String, String)>,
}

/// The inspections this court made in the half-year (dates in CST).
async fn inspections_in(
    state: &AppState,
    user: &User,
    half: HalfYear,
) -> Result<Vec<liuhen_store::reports::Inspection>, ApiError> {
    let day = |t: time::OffsetDateTime| liuhen_rules::period::format_cst(t)[..10].to_string();
    let (from, to) = half.bounds();
    Ok(state.store.inspections(user, &day(from), &day(to)).await?)
}

/// The half-year analysis of a high court over every court of its province (R10).
pub async fn half_year_page(
    State(state): State<AppState>,
    Page(c, user): Page,
    Query(q): Query<HalfQuery>,
) -> Result<Response, ApiError> {
    require_high_court(&state, &user).await?;
    let half = q.half()?;
    let r = build(&state, &user, half, "report").await?;
    let inspections = inspections_in(&state, &user, half).await?;
    let below = state.store.courts_under(&user.court_id).await?;
    let courts_below = state
        .store
        .courts()
        .await?
        .into_iter()
        .filter(|c| c.id != user.court_id && below.contains(&c.id))
        .map(|c| (c.id, c.name))
        .collect();
    render(&HalfYearPage {
        may_draft: state.store.permits(&user, liuhen_rules::Permission::ReportDraft),
        c,
        r,
        inspections,
        courts_below,
    })
}

#[derive(Deserialize)]
pub struct InspectionFields {
    #[serde(default)]
    inspected_court: String,
    #[serde(default)]
    inspected_on: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    findings: String,
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    half: Option<u8>,
}

/// A high court records an inspection of a court below (督促检查, R10), a ledger event.
pub async fn record_inspection(
    State(state): State<AppState>,
    crate::pages::chrome::PageForm(_, user, f): crate::pages::chrome::PageForm<InspectionFields>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    require_high_court(&state, &user).await?;
    state.store.record_inspection(&user, &f.inspected_court, &f.inspected_on, &f.subject, &f.findings).await?;
    let back = match (f.year, f.half) {
        (Some(y), Some(h)) => format!("/reports/half-year?year={y}&half={h}"),
        _ => "/reports/half-year".into(),
    };
    Ok(axum::response::Redirect::to(&back).into_response())
}

#[derive(Deserialize)]
pub struct HalfDraftFields {
    year: i32,
    half: u8,
    #[serde(default)]
    narrative: String,
    #[serde(default)]
    supersedes: String,
}

/// The office of a high court drafts the half-year report; it is approved and sealed like the
/// quarterly one, for the provincial committee and the Supreme People's Court.
pub async fn draft_half_year(
    State(state): State<AppState>,
    crate::pages::chrome::PageForm(_, user, f): crate::pages::chrome::PageForm<HalfDraftFields>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    require_high_court(&state, &user).await?;
    let half = HalfQuery { year: Some(f.year), half: Some(f.half) }.half()?;
    let report = build(&state, &user, half, "report").await?;
    let recipients: Vec<String> =
        report.routing.main.iter().filter(|r| r.kind == "court").map(|r| r.court_id.clone()).collect();
    let inspections = inspections_in(&state, &user, half).await?;
    let content = serde_json::to_vec(&Content { report, narrative: f.narrative.trim().to_string(), inspections })
        .map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let supersedes = supersedes(&f.supersedes)?;
    let id = state.store.draft_report(&user, "half_year", &half.code(), content, recipients, supersedes).await?;
    Ok(axum::response::Redirect::to(&format!("/reports/{id}")).into_response())
}

//! Reports over HTTP (issue 6, R8, R11): the quarterly analysis of the viewer's court — and of the
//! courts below it — with where it must go, as JSON and as a page.

mod half_year;
mod immediate;
mod notification;
mod workflow;

pub use half_year::*;
pub use immediate::*;
pub use notification::*;
pub use workflow::*;

use std::collections::BTreeMap;

use crate::api::{ApiPath, ApiQuery};
use askama::Template;
use axum::Json;
use axum::extract::State;
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
    #[param(minimum = 2015, maximum = 9999)]
    pub year: Option<i32>,
    /// 1–4.
    #[param(minimum = 1, maximum = 4)]
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
        analysis: liuhen_reports::analyse(&user.court_id, quarter, &entries, &earlier, &names),
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
    responses((status = 200, body = QuarterlyReport), (status = 403, body = crate::error::ProblemDocument), (status = 422, body = crate::error::ProblemDocument)))]
pub async fn quarterly(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<QuarterQuery>,
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
    ApiQuery(q): ApiQuery<QuarterQuery>,
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
    ApiQuery(q): ApiQuery<QuarterQuery>,
) -> Result<Response, ApiError> {
    quarterly_export(state, user, q, Format::Xlsx).await
}

/// The analysis as a draft official document (DOCX, GB/T 9704 layout, with charts): what the
/// office starts from; the numbered, signed one is made when a leader approves.
pub async fn quarterly_docx(
    State(state): State<AppState>,
    Page(_, user): Page,
    ApiQuery(q): ApiQuery<QuarterQuery>,
) -> Result<Response, ApiError> {
    quarterly_export(state, user, q, Format::Docx).await
}

/// The analysis as CSV, one line per category.
pub async fn quarterly_csv_file(
    State(state): State<AppState>,
    Page(_, user): Page,
    ApiQuery(q): ApiQuery<QuarterQuery>,
) -> Result<Response, ApiError> {
    quarterly_export(state, user, q, Format::Csv).await
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

//! Reports over HTTP (issue 6, R8, R11): the quarterly analysis of the viewer's court — and of the
//! courts below it — with where it must go, as JSON and as a page.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use liuhen_reports::{CourtNode, Entry, Quarter, QuarterlyReport};
use liuhen_rules::Problem;
use liuhen_store::User;
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::pages::chrome::{Chrome, Page};
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

async fn build(state: &AppState, user: &User, quarter: Quarter, via: &str) -> Result<QuarterlyReport, ApiError> {
    let (from, to) = quarter.bounds();
    let entries: Vec<Entry> = state
        .store
        .report_entries(user, from, to, via)
        .await?
        .into_iter()
        .map(|e| Entry { id: e.id.to_string(), court_id: e.court_id, record: e.record })
        .collect();
    let courts = state.store.courts().await?;
    let reach = state.store.courts_under(&user.court_id).await?;
    let names: BTreeMap<String, String> =
        courts.iter().filter(|c| reach.contains(&c.id)).map(|c| (c.id.clone(), c.name.clone())).collect();
    let node = |c: &liuhen_store::Court| CourtNode { id: c.id.clone(), name: c.name.clone(), level: c.level };
    let by_id: BTreeMap<&str, &liuhen_store::Court> = courts.iter().map(|c| (c.id.as_str(), c)).collect();
    let own = by_id
        .get(user.court_id.as_str())
        .copied()
        .ok_or_else(|| ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "法院不存在", "no such court"))?;
    let mut chain = Vec::new();
    let mut up = own.parent_id.as_deref();
    while let Some(id) = up {
        let Some(c) = by_id.get(id) else { break };
        chain.push(node(c));
        up = c.parent_id.as_deref();
    }
    Ok(QuarterlyReport {
        court_name: own.name.clone(),
        analysis: liuhen_reports::analyse(
            &user.court_id,
            quarter,
            &entries,
            &names,
            &state.store.config().extra_regions,
        ),
        routing: liuhen_reports::route(&node(own), &chain),
    })
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

/// The same analysis as an XLSX workbook: a sheet for the summary and routing, one for each
/// breakdown and list. Reading it is recorded like the page.
pub async fn quarterly_xlsx(
    State(state): State<AppState>,
    Page(_, user): Page,
    Query(q): Query<QuarterQuery>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    let quarter = q.quarter()?;
    let report = build(&state, &user, quarter, "export").await?;
    let bytes = liuhen_reports::export::quarterly_xlsx(&report).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("表格生成失败：{e}"),
            format!("the workbook could not be made: {e}"),
        )
    })?;
    let file = format!("quarterly-{}-{}Q{}.xlsx", user.court_id, quarter.year, quarter.q);
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        bytes,
    )
        .into_response())
}

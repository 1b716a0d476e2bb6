//! The half-year implementation report of a high court (R10), and the inspections it counts.

use super::*;

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
    ApiQuery(q): ApiQuery<HalfQuery>,
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

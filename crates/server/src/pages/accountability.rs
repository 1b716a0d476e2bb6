//! Pages of holding to account and protecting (issue 8): 零报告 and questions (/filing), findings
//! (/findings), retaliation complaints (/complaints) and cadre histories (/cadres).

use crate::api::{ApiPath, ApiQuery};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use liuhen_rules::accountability::{period_code, previous_period};
use liuhen_rules::{
    AppealOutcome, ComplaintStep, FindingKind, Lang, Listed, Permission, Role, Sanction, period::format_cst,
};
use liuhen_store::accountability::{
    CadreHistory, CadreSummary, ComplaintView, ContactView, FilingOverview, FindingInput, FindingView, Timeliness,
};
use liuhen_store::{StoreError, User};
use serde::Deserialize;
use uuid::Uuid;

use super::chrome::{Chrome, FormErrors, Page, PageForm, urlencode};
use super::{render, render_form};
use crate::AppState;
use crate::error::ApiError;

/// A closed list as (code, label) pairs in the page's language.
fn options<T: Listed>(lang: Lang) -> Vec<(&'static str, &'static str)> {
    T::ALL.iter().map(|v| (v.code(), lang.pick(v.zh(), v.en()))).collect()
}

fn label<T: Listed>(code: &str, lang: Lang) -> String {
    T::from_code(code).map_or(code.to_string(), |v| lang.pick(v.zh(), v.en()).to_string())
}

/// A refused form shows its page again with the problems; anything else is an error page.
fn form_errors(e: StoreError, lang: Lang) -> Result<FormErrors, ApiError> {
    match e {
        e @ (StoreError::Invalid(_) | StoreError::Conflict { .. }) => {
            Ok(FormErrors::from_error(&ApiError::from(e), lang))
        }
        e => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// 零报告, questions and (for overseers) who is missing and how prompt the recording was

#[derive(Template)]
#[template(path = "filing.html")]
struct FilingPage {
    c: Chrome,
    done: Option<String>,
    errors: FormErrors,
    may_record: bool,
    cycle: String,
    /// The last period, when this user owes a zero report for it.
    due: Option<String>,
    /// Periods one may attest: the last and the current.
    periods: Vec<String>,
    questions: Vec<ContactView>,
    /// For those who oversee filing: the chosen period's overview and timeliness.
    period: String,
    overview: Option<FilingOverview>,
    timeliness: Option<Timeliness>,
}

#[derive(Deserialize, Default)]
pub struct FilingQuery {
    period: Option<String>,
    done: Option<String>,
}

async fn filing_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    period: Option<String>,
    done: Option<String>,
    errors: FormErrors,
) -> Result<Response, ApiError> {
    let store = &state.store;
    let cycle = store.reporting_cycle();
    let now = time::OffsetDateTime::now_utc();
    let last = previous_period(cycle, now);
    let period = period.filter(|p| !p.trim().is_empty()).unwrap_or_else(|| last.clone());
    let oversees = store.permits(user, Permission::FilingOversee);
    let (overview, timeliness) = if oversees {
        (Some(store.filing_overview(user, &period).await?), Some(store.timeliness(user, &period).await?))
    } else {
        (None, None)
    };
    let questions =
        store.contacts(user, true).await?.into_iter().filter(|q| q.status == "question").collect::<Vec<_>>();
    store.note_content_viewed(user, "filing", Some(period.clone()), "page").await?;
    let done = done.map(|d| match d.as_str() {
        "zero" => c.t("零报告已记录。", "Zero report recorded.").to_string(),
        "reminded" => c.t("已向未报告的人员发出提醒。", "Those missing have been reminded.").to_string(),
        "answered" => c.t("答复已记录。", "Answer recorded.").to_string(),
        _ => String::new(),
    });
    let page = FilingPage {
        may_record: store.permits(user, Permission::RecordCreate) && user.role == Role::Recorder,
        cycle: c.lang.pick(cycle.zh(), cycle.en()).to_string(),
        due: store.zero_report_due(user).await?,
        periods: vec![last, period_code(cycle, now)],
        questions,
        period,
        overview,
        timeliness,
        done: done.filter(|d| !d.is_empty()),
        errors,
        c,
    };
    render_form(&page, &page.errors)
}

pub async fn filing(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<FilingQuery>,
) -> Result<Response, ApiError> {
    filing_page(&state, c, &user, q.period, q.done, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct PeriodFields {
    #[serde(default)]
    period: String,
}

pub async fn attest(
    State(state): State<AppState>,
    PageForm(c, user, f): PageForm<PeriodFields>,
) -> Result<Response, ApiError> {
    match state.store.attest_zero_report(&user, &f.period).await {
        Ok(_) => Ok(Redirect::to("/filing?done=zero").into_response()),
        Err(e) => {
            let errors = form_errors(e, c.lang)?;
            filing_page(&state, c, &user, None, None, errors).await
        }
    }
}

pub async fn remind(
    State(state): State<AppState>,
    PageForm(_, user, f): PageForm<PeriodFields>,
) -> Result<Response, ApiError> {
    state.store.remind_missing(&user, &f.period).await?;
    Ok(Redirect::to(&format!("/filing?period={}&done=reminded", urlencode(f.period.trim()))).into_response())
}

#[derive(Deserialize)]
pub struct AnswerFields {
    #[serde(default)]
    record_id: String,
    #[serde(default)]
    explanation: String,
}

pub async fn answer(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(c, user, f): PageForm<AnswerFields>,
) -> Result<Response, ApiError> {
    let record_id = f.record_id.trim().parse::<Uuid>().ok();
    match state.store.answer_contact(&user, id, record_id, &f.explanation).await {
        Ok(_) => Ok(Redirect::to("/filing?done=answered").into_response()),
        Err(e) => {
            let errors = form_errors(e, c.lang)?;
            filing_page(&state, c, &user, None, None, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Findings (R14)

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    c: Chrome,
    done: Option<&'static str>,
    errors: FormErrors,
    inspector: bool,
    me: String,
    /// The court's staff, with how many findings stand against each (the tier follows from it).
    staff: Vec<(String, String, u32)>,
    kinds: Vec<(&'static str, &'static str)>,
    sanctions: Vec<(&'static str, &'static str)>,
    appeal_outcomes: Vec<(&'static str, &'static str)>,
    findings: Vec<FindingView>,
    form: FindingInput,
}

impl FindingsPage {
    fn kind(&self, k: &FindingKind) -> &'static str {
        self.c.lang.pick(k.zh(), k.en())
    }
    fn sanction(&self, s: &Sanction) -> &'static str {
        self.c.lang.pick(s.zh(), s.en())
    }
    fn sanctions_of(&self, list: &[Sanction]) -> String {
        list.iter().map(|s| self.sanction(s)).collect::<Vec<_>>().join(self.c.t("或", " or "))
    }
    fn state(&self, s: &str) -> String {
        match s {
            "standing" => self.c.t("有效", "standing").into(),
            "appealed" => self.c.t("申诉中", "under appeal").into(),
            other => label::<AppealOutcome>(other, self.c.lang),
        }
    }
    fn when(&self, f: &FindingView) -> String {
        format_cst(f.recorded_at)
    }
}

async fn findings_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    done: Option<&'static str>,
    errors: FormErrors,
    form: FindingInput,
) -> Result<Response, ApiError> {
    let store = &state.store;
    let inspector = store.permits(user, Permission::FindingRecord);
    let findings = store.findings(user).await?;
    store.note_content_viewed(user, "findings", None, "page").await?;
    let mut staff = Vec::new();
    if inspector {
        for u in store.users_of_court(&user.court_id).await? {
            if u.username == user.username || u.role == Role::SystemAdministrator {
                continue;
            }
            let p = store.sanction_proposal(user, &u.username, FindingKind::NotRecorded).await?;
            staff.push((u.username, u.display_name, p.prior_standing));
        }
    }
    let page = FindingsPage {
        kinds: options::<FindingKind>(c.lang),
        sanctions: options::<Sanction>(c.lang),
        appeal_outcomes: options::<AppealOutcome>(c.lang),
        inspector,
        me: user.username.clone(),
        staff,
        findings,
        form,
        done,
        c,
        errors,
    };
    render_form(&page, &page.errors)
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn findings(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<DoneQuery>,
) -> Result<Response, ApiError> {
    let done = match q.done.as_deref() {
        Some("recorded") => Some(c.t("认定及处理决定已记录。", "Finding and decision recorded.")),
        Some("appealed") => Some(c.t("申诉已提交。", "Appeal submitted.")),
        Some("decided") => Some(c.t("申诉决定已记录。", "Decision on the appeal recorded.")),
        _ => None,
    };
    findings_page(&state, c, &user, done, FormErrors::default(), FindingInput::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FindingFields {
    subject: String,
    kind: String,
    record_id: String,
    case_number: String,
    facts: String,
    decided: String,
    decision_reason: String,
}

pub async fn record_finding(
    State(state): State<AppState>,
    PageForm(c, user, f): PageForm<FindingFields>,
) -> Result<Response, ApiError> {
    let mut errors = FormErrors::default();
    let record_id = match f.record_id.trim() {
        "" => None,
        text => match text.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors = FormErrors::from_error(
                    &ApiError::invalid(vec![liuhen_rules::Problem::new(
                        "record_id",
                        "R14",
                        "invalid",
                        "记录编号格式不对（可留空）",
                        "not a record id (may be left empty)",
                    )]),
                    c.lang,
                );
                None
            }
        },
    };
    let input = FindingInput {
        subject: f.subject,
        kind: f.kind,
        record_id,
        case_number: Some(f.case_number),
        facts: f.facts,
        decided: f.decided,
        decision_reason: f.decision_reason,
    };
    if !errors.any() {
        match state.store.record_finding(&user, &input).await {
            Ok(_) => return Ok(Redirect::to("/findings?done=recorded").into_response()),
            Err(e) => errors = form_errors(e, c.lang)?,
        }
    }
    findings_page(&state, c, &user, None, errors, input).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AppealFields {
    grounds: String,
}

pub async fn appeal(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(c, user, f): PageForm<AppealFields>,
) -> Result<Response, ApiError> {
    match state.store.appeal_finding(&user, id, &f.grounds).await {
        Ok(_) => Ok(Redirect::to("/findings?done=appealed").into_response()),
        Err(e) => {
            let errors = form_errors(e, c.lang)?;
            findings_page(&state, c, &user, None, errors, FindingInput::default()).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionFields {
    outcome: String,
    sanction: String,
    reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(c, user, f): PageForm<DecisionFields>,
) -> Result<Response, ApiError> {
    match state.store.decide_appeal(&user, id, &f.outcome, Some(&f.sanction), &f.reason).await {
        Ok(_) => Ok(Redirect::to("/findings?done=decided").into_response()),
        Err(e) => {
            let errors = form_errors(e, c.lang)?;
            findings_page(&state, c, &user, None, errors, FindingInput::default()).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Retaliation complaints (R15)

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    c: Chrome,
    done: Option<&'static str>,
    errors: FormErrors,
    upper_court: Option<String>,
    handler: bool,
    mine: Vec<ComplaintView>,
    handled: Vec<ComplaintView>,
    steps: Vec<(&'static str, &'static str)>,
    courts: std::collections::BTreeMap<String, String>,
}

impl ComplaintsPage {
    fn step(&self, s: &ComplaintStep) -> &'static str {
        self.c.lang.pick(s.zh(), s.en())
    }
    fn state(&self, s: &str) -> String {
        if s == "filed" { self.c.t("已提出", "filed").into() } else { label::<ComplaintStep>(s, self.c.lang) }
    }
    fn when(&self, t: &time::OffsetDateTime) -> String {
        format_cst(*t)
    }
    fn court(&self, id: &str) -> String {
        self.courts.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

/// Court ids → names, for pages that list entries of several courts.
async fn court_names(state: &AppState) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    Ok(state.store.courts().await?.into_iter().map(|c| (c.id, c.name)).collect())
}

async fn complaints_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    done: Option<&'static str>,
    errors: FormErrors,
) -> Result<Response, ApiError> {
    let store = &state.store;
    let court = store.court(&user.court_id).await?;
    let upper_court = match court.and_then(|c| c.parent_id) {
        Some(p) => store.court(&p).await?.map(|c| c.name),
        None => None,
    };
    let all = store.complaints(user).await?;
    store.note_content_viewed(user, "complaints", None, "page").await?;
    let (mine, handled): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.complainant == user.username);
    let page = ComplaintsPage {
        handler: store.permits(user, Permission::ComplaintHandle),
        steps: options::<ComplaintStep>(c.lang),
        upper_court,
        courts: court_names(state).await?,
        mine,
        handled,
        done,
        errors,
        c,
    };
    render_form(&page, &page.errors)
}

pub async fn complaints(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<DoneQuery>,
) -> Result<Response, ApiError> {
    let done = match q.done.as_deref() {
        Some("filed") => Some(c.t(
            "控告已送上一级人民法院。本院领导和其他人员看不到它。",
            "The complaint has gone to the court above. Nobody at your own court can see it.",
        )),
        Some("step") => Some(c.t("办理情况已记录。", "Step recorded.")),
        _ => None,
    };
    complaints_page(&state, c, &user, done, FormErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ComplaintFields {
    account: String,
}

pub async fn file_complaint(
    State(state): State<AppState>,
    PageForm(c, user, f): PageForm<ComplaintFields>,
) -> Result<Response, ApiError> {
    match state.store.file_complaint(&user, &f.account).await {
        Ok(_) => Ok(Redirect::to("/complaints?done=filed").into_response()),
        Err(e) => {
            let errors = form_errors(e, c.lang)?;
            complaints_page(&state, c, &user, None, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepFields {
    step: String,
    note: String,
}

pub async fn complaint_step(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    PageForm(c, user, f): PageForm<StepFields>,
) -> Result<Response, ApiError> {
    match state.store.handle_complaint(&user, id, &f.step, &f.note).await {
        Ok(_) => Ok(Redirect::to("/complaints?done=step").into_response()),
        Err(e) => {
            let errors = form_errors(e, c.lang)?;
            complaints_page(&state, c, &user, None, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cadre histories (R16, R17)

#[derive(Template)]
#[template(path = "cadres.html")]
struct CadresPage {
    c: Chrome,
    done: Option<&'static str>,
    errors: FormErrors,
    repeat: bool,
    may_merge: bool,
    cadres: Vec<CadreSummary>,
}

impl CadresPage {
    fn when(&self, t: &time::OffsetDateTime) -> String {
        format_cst(*t)
    }
    fn link(&self, key: &str) -> String {
        format!("/cadres/history?key={}", urlencode(key))
    }
}

#[derive(Deserialize, Default)]
pub struct CadresQuery {
    #[serde(default)]
    repeat: bool,
    done: Option<String>,
}

async fn cadres_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    repeat: bool,
    done: Option<&'static str>,
    errors: FormErrors,
) -> Result<Response, ApiError> {
    let cadres = state.store.cadres(user, repeat).await?;
    state.store.note_content_viewed(user, "cadres", None, "page").await?;
    let page =
        CadresPage { may_merge: state.store.permits(user, Permission::RecordScreen), cadres, repeat, done, errors, c };
    render_form(&page, &page.errors)
}

pub async fn cadres(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<CadresQuery>,
) -> Result<Response, ApiError> {
    let done = (q.done.as_deref() == Some("merged"))
        .then(|| c.t("已确认为同一人并合并。", "Confirmed as one person and merged."));
    cadres_page(&state, c, &user, q.repeat, done, FormErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MergeFields {
    from_key: String,
    into_key: String,
    reason: String,
}

pub async fn merge(
    State(state): State<AppState>,
    PageForm(c, user, f): PageForm<MergeFields>,
) -> Result<Response, ApiError> {
    match state.store.merge_cadres(&user, &f.from_key, &f.into_key, &f.reason).await {
        Ok(_) => Ok(Redirect::to("/cadres?done=merged").into_response()),
        Err(e) => {
            let errors = form_errors(e, c.lang)?;
            cadres_page(&state, c, &user, false, None, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "cadre.html")]
struct CadrePage {
    c: Chrome,
    h: CadreHistory,
    csv: String,
    courts: std::collections::BTreeMap<String, String>,
}

impl CadrePage {
    fn when(&self, t: &time::OffsetDateTime) -> String {
        format_cst(*t)
    }
    fn outcome(&self, o: &liuhen_rules::OversightOutcome) -> &'static str {
        self.c.lang.pick(o.zh(), o.en())
    }
    fn court(&self, id: &str) -> String {
        self.courts.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
    fn screening(&self, s: &Option<liuhen_rules::Screening>) -> &'static str {
        s.map_or(self.c.t("未甄别", "not screened"), |s| self.c.lang.pick(s.zh(), s.en()))
    }
}

#[derive(Deserialize)]
pub struct KeyQuery {
    #[serde(default)]
    key: String,
}

pub async fn cadre(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<KeyQuery>,
) -> Result<Response, ApiError> {
    let h = state.store.cadre_history(&user, &q.key, "page").await?;
    state.store.note_content_viewed(&user, "cadre_history", Some(q.key.clone()), "page").await?;
    let csv = format!("/cadres/history.csv?key={}", urlencode(&h.key));
    render(&CadrePage { c, h, csv, courts: court_names(&state).await? })
}

/// The history as CSV, for integrity and performance evaluation (C11): one line per entry.
pub async fn cadre_csv(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<KeyQuery>,
) -> Result<Response, ApiError> {
    let h = state.store.cadre_history(&user, &q.key, "export").await?;
    state.store.note_content_viewed(&user, "cadre_history", Some(q.key.clone()), "export").await?;
    let courts = court_names(&state).await?;
    let lang = c.lang;
    let head = [
        lang.pick("过问时间", "when"),
        lang.pick("法院", "court"),
        lang.pick("案号", "case"),
        lang.pick("姓名", "name"),
        lang.pick("单位", "unit"),
        lang.pick("职务", "post"),
        lang.pick("身份", "as"),
        lang.pick("甄别", "screening"),
        lang.pick("处理结果", "outcomes"),
        lang.pick("记录编号", "record"),
    ];
    let mut lines = Vec::new();
    for e in &h.entries {
        let outcomes: Vec<String> = h
            .outcomes
            .iter()
            .filter(|o| o.record_id == e.record_id)
            .map(|o| format!("{}（{}）", lang.pick(o.outcome.zh(), o.outcome.en()), o.body))
            .collect();
        let role = if e.role == "principal" { lang.pick("身边人员或亲属所涉干部", "principal") } else { "" };
        let screening = e.screening.map_or("", |s| lang.pick(s.zh(), s.en()));
        lines.push(vec![
            format_cst(e.occurred_at),
            courts.get(&e.court_id).cloned().unwrap_or_else(|| e.court_id.clone()),
            e.case_number.clone().unwrap_or_default(),
            e.name.clone(),
            e.unit.clone(),
            e.post.clone(),
            role.into(),
            screening.into(),
            outcomes.join("；"),
            e.record_id.to_string(),
        ]);
    }
    Ok(super::records::csv_download("cadre-history.csv", &head, &lines))
}

//! What the store offers: the views and forms of holding to account.

use super::*;

/// A screening or a check of an entry, and what oversight bodies reported back: shown with the
/// record to those who maintain the store.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordHandling {
    pub screenings: Vec<ScreeningView>,
    pub checks: Vec<CheckView>,
    pub outcomes: Vec<OutcomeView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScreeningView {
    pub classification: Screening,
    pub reason: String,
    pub screened_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub screened_at: OffsetDateTime,
    pub seq: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckView {
    pub id: Uuid,
    pub subject: String,
    pub opened_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub findings: Option<String>,
    pub concluded_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutcomeView {
    pub record_id: Uuid,
    pub outcome: OversightOutcome,
    pub body: String,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A finding of not recording (R14) as the register shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FindingView {
    pub id: Uuid,
    pub court_id: String,
    pub subject: String,
    pub kind: FindingKind,
    pub record_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub facts: String,
    /// Earlier findings against the same person that stood when this one was made.
    pub prior_standing: u32,
    pub proposed: Vec<Sanction>,
    pub decided: Sanction,
    pub decision_reason: String,
    pub recorded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// standing, appealed, upheld, varied or overturned.
    pub state: String,
    /// The sanction in force after any appeal.
    pub final_sanction: Sanction,
    pub appeal_grounds: Option<String>,
    pub appeal_reason: Option<String>,
    pub seq: i64,
}

/// What a finding form sends (R14).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FindingInput {
    /// The user name of the member of staff found against (of the inspector's court).
    pub subject: String,
    /// not_recorded, recorded_untruthfully or instructed_not_to_record.
    pub kind: String,
    pub record_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub facts: String,
    /// The sanction decided: warning, criticism, discipline_art54, discipline_art76, no_sanction.
    pub decided: String,
    /// Required when the decision is not one the rule proposes.
    pub decision_reason: String,
}

/// What the rule proposes for a finding against `subject` now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SanctionProposal {
    pub prior_standing: u32,
    pub allowed: Vec<Sanction>,
    pub basis_zh: String,
    pub basis_en: String,
}

/// A retaliation complaint (R15). `complainant` is shown to the complainant and the handlers only
/// — nobody else can read the complaint at all.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComplaintView {
    pub id: Uuid,
    pub complainant: String,
    pub complainant_court: String,
    pub to_court: String,
    pub account: String,
    #[serde(with = "time::serde::rfc3339")]
    pub filed_at: OffsetDateTime,
    /// filed, or the last step taken.
    pub state: String,
    pub steps: Vec<ComplaintStepView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComplaintStepView {
    pub step: ComplaintStep,
    pub note: String,
    pub handled_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Where one judge or judicial assistant stands for a period (零报告).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FilingStatus {
    pub username: String,
    pub display_name: String,
    pub court_id: String,
    /// Entries they recorded about inquiries of the period.
    pub entries: i64,
    pub zero_report: bool,
    /// Neither entries nor a zero report.
    pub missing: bool,
    pub reminders: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FilingOverview {
    pub period: String,
    pub cycle: ReportingCycle,
    pub staff: Vec<FilingStatus>,
}

/// One late entry (S11 time limit).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LateEntry {
    pub record_id: Uuid,
    pub court_id: String,
    pub recorder: String,
    /// The trial division the case number names (民、刑、行、执…), or "—" without one.
    pub division: String,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub delay_hours: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Timeliness {
    pub period: String,
    pub limit_days: i64,
    pub entries: i64,
    pub late: Vec<LateEntry>,
    /// Entries and late entries per court.
    pub by_court: Vec<TimelinessCount>,
    /// … per trial division (the department the case belongs to).
    pub by_division: Vec<TimelinessCount>,
    pub median_delay_hours: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimelinessCount {
    pub key: String,
    pub entries: i64,
    pub late: i64,
}

/// A contact the case-management system logged.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ContactInput {
    /// The case-management system's own id: a repeated push is recognised by it.
    pub external_id: String,
    /// visit, letter, call or other.
    pub kind: String,
    pub case_number: String,
    /// The user name of the case's judge here.
    pub judge: String,
    pub person: Option<String>,
    pub unit: Option<String>,
    /// RFC 3339, or `YYYY-MM-DD HH:MM` in China Standard Time.
    pub occurred_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactView {
    pub id: Uuid,
    pub court_id: String,
    pub external_id: String,
    pub kind: ContactKind,
    pub case_number: String,
    pub judge: String,
    pub person: Option<String>,
    pub unit: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// matched (an entry records it), answered, question (due, no entry: the judge must answer) or
    /// waiting (the time limit for recording has not passed).
    pub status: String,
    pub matched_record: Option<Uuid>,
    pub answer: Option<String>,
    pub answer_record: Option<Uuid>,
}

/// One cadre (R16): the keys merged into one person, and every entry naming them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CadreSummary {
    pub key: String,
    pub name: String,
    pub unit: String,
    pub post: String,
    pub entries: i64,
    pub courts: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub last_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CadreHistory {
    pub key: String,
    /// The keys merged into this cadre by the office, with why.
    pub merged: Vec<(String, String)>,
    pub entries: Vec<CadreEntry>,
    pub outcomes: Vec<OutcomeView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CadreEntry {
    pub record_id: Uuid,
    pub court_id: String,
    pub case_number: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub name: String,
    pub unit: String,
    pub post: String,
    /// intervener, or principal (the cadre behind staff or relatives, R2).
    pub role: String,
    pub form: String,
    pub serious: bool,
    pub special_items: Vec<u8>,
    /// The latest screening, when there is one.
    pub screening: Option<Screening>,
}

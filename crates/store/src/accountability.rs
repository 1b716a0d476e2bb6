//! Holding to account and protecting (issue 8; R14–R17, S8, S9, C6, C9–C11): screening and
//! checking entries, findings of not recording and their sanctions, retaliation complaints to the
//! court above, zero reports and timeliness, cross-checks of the case-management system's contacts,
//! and cadre histories. Every step is a ledger event; the tables here are projections of them.

use std::collections::{BTreeMap, BTreeSet};

use liuhen_ledger::{Event, EventBody};
use liuhen_rules::accountability::{
    ContactFacts, EntryFacts, cadre_key, contact_is_due, entry_answers_contact, is_late, period_bounds, period_code,
    previous_period, propose_sanction, recording_delay, text_ok,
};
use liuhen_rules::{
    AppealOutcome, ComplaintStep, ContactKind, FindingKind, Listed, OversightOutcome, Permission, Problem, Record,
    Register, ReportingCycle, Role, Sanction, Screening, period::parse_instant,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::sql::{Db, DbExt, args};
use crate::{Result, Store, StoreError, User, now, parse_ts, ts};

/// Longest free text of these forms (facts, reasons, accounts), in characters.
const MAX_TEXT: usize = 4000;

fn problem(
    field: &str,
    rule: &'static str,
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> Problem {
    Problem::new(field, rule, code, zh, en)
}

fn required(problems: &mut Vec<Problem>, field: &str, rule: &'static str, value: &str, zh: &str, en: &str) {
    if !text_ok(value, MAX_TEXT) {
        problems.push(problem(
            field,
            rule,
            "required",
            format!("{zh}（不超过 {MAX_TEXT} 字）"),
            format!("{en} (at most {MAX_TEXT} characters)"),
        ));
    }
}

fn invalid_if(problems: Vec<Problem>) -> Result<()> {
    if problems.is_empty() { Ok(()) } else { Err(StoreError::Invalid(problems)) }
}

fn code_of<T: Listed>(problems: &mut Vec<Problem>, field: &str, rule: &'static str, code: &str) -> Option<T> {
    let found = T::from_code(code.trim());
    if found.is_none() {
        problems.push(problem(
            field,
            rule,
            "unknown_code",
            format!("请从列表中选择；可用：{}", T::ALL.iter().map(|v| v.zh()).collect::<Vec<_>>().join("、")),
            format!("choose from the list: {}", T::codes().join(", ")),
        ));
    }
    found
}

fn uuid_of(s: &str) -> Result<Uuid> {
    s.parse().map_err(|e: uuid::Error| StoreError::Internal(e.to_string()))
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

fn listed<T: Listed>(code: &str) -> Result<T> {
    T::from_code(code).ok_or_else(|| StoreError::Internal(format!("stored code {code}")))
}

// ---------------------------------------------------------------------------------------------
// What the sequencer checks in its transaction, and the projections

/// Check an accountability step against the state in the write transaction; a finding gets the
/// count of standing findings and the proposal as they are at that moment (two findings made at
/// once are counted in order).
pub(crate) fn check(conn: &dyn Db, actor: &User, body: EventBody) -> Result<EventBody> {
    match body {
        EventBody::FindingRecorded {
            finding_id,
            subject,
            kind,
            record_id,
            case_number,
            facts,
            decided,
            decision_reason,
            ..
        } => {
            let prior: i64 = conn.scalar(
                "SELECT COUNT(*) FROM findings WHERE subject = $1 AND state <> 'overturned'
                 AND kind <> 'instructed_not_to_record'",
                args![subject],
            )?;
            let prior = u32::try_from(prior).unwrap_or(u32::MAX);
            let proposal = propose_sanction(kind, prior);
            if !proposal.allowed.contains(&decided) && decision_reason.trim().is_empty() {
                return Err(StoreError::invalid(problem(
                    "decision_reason",
                    "R14",
                    "required",
                    format!(
                        "所作决定与规定不同（{}），须写明理由",
                        proposal.allowed.iter().map(|s| s.zh()).collect::<Vec<_>>().join("或")
                    ),
                    "the decision differs from what S8 provides: give the reason",
                )));
            }
            Ok(EventBody::FindingRecorded {
                finding_id,
                subject,
                kind,
                record_id,
                case_number,
                facts,
                prior_standing: prior,
                proposed: proposal.allowed,
                decided,
                decision_reason,
            })
        }
        EventBody::FindingAppealed { finding_id, grounds } => {
            let row = conn
                .row("SELECT subject, state FROM findings WHERE id = $1", args![finding_id.to_string()])?
                .ok_or_else(no_finding)?;
            let (subject, state): (String, String) = (row.get(0)?, row.get(1)?);
            if subject != actor.username {
                return Err(no_finding());
            }
            if state != "standing" {
                return Err(StoreError::conflict("这项认定已经申诉过", "this finding has been appealed already"));
            }
            Ok(EventBody::FindingAppealed { finding_id, grounds })
        }
        EventBody::AppealDecided { finding_id, outcome, sanction, reason } => {
            let row = conn
                .row(
                    "SELECT court_id, subject, state, recorded_by FROM findings WHERE id = $1",
                    args![finding_id.to_string()],
                )?
                .ok_or_else(no_finding)?;
            let (court, subject, state, recorder): (String, String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            if court != actor.court_id {
                return Err(no_finding());
            }
            if subject == actor.username {
                return Err(StoreError::forbidden("不能决定自己的申诉", "nobody decides their own appeal"));
            }
            // An appeal is a second look: not by whoever made the finding.
            if recorder == actor.username {
                return Err(StoreError::forbidden(
                    "申诉由作出认定以外的纪检监察人员决定",
                    "an appeal is decided by an inspector other than the one who made the finding",
                ));
            }
            if state != "appealed" {
                return Err(StoreError::conflict("这项认定没有待决定的申诉", "this finding has no appeal to decide"));
            }
            Ok(EventBody::AppealDecided { finding_id, outcome, sanction, reason })
        }
        EventBody::ComplaintHandled { complaint_id, step, note } => {
            let row = conn
                .row(
                    "SELECT to_court, state, escalated FROM complaints WHERE id = $1",
                    args![complaint_id.to_string()],
                )?
                .ok_or_else(no_complaint)?;
            let (to_court, state, escalated): (String, String, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let supreme: bool = conn.scalar(
                "SELECT EXISTS (SELECT 1 FROM courts WHERE id = $1 AND level = 'supreme')",
                args![actor.court_id],
            )?;
            if to_court != actor.court_id && !(escalated == 1 && supreme) {
                return Err(no_complaint());
            }
            if state == ComplaintStep::Concluded.code() {
                return Err(StoreError::conflict("这件控告已经办结", "this complaint is concluded"));
            }
            Ok(EventBody::ComplaintHandled { complaint_id, step, note })
        }
        EventBody::ContactAnswered { contact_id, record_id, explanation } => {
            let row = conn
                .row("SELECT judge, answered_seq FROM contacts WHERE id = $1", args![contact_id.to_string()])?
                .ok_or_else(no_contact)?;
            let (judge, answered): (String, Option<i64>) = (row.get(0)?, row.get(1)?);
            if judge != actor.username {
                return Err(no_contact());
            }
            if answered.is_some() {
                return Err(StoreError::conflict("这个问题已经答复", "this question is answered already"));
            }
            Ok(EventBody::ContactAnswered { contact_id, record_id, explanation })
        }
        EventBody::ZeroReportAttested { period } => {
            let done: bool = conn.scalar(
                "SELECT EXISTS (SELECT 1 FROM zero_reports WHERE username = $1 AND period = $2)",
                args![actor.username, period],
            )?;
            if done {
                return Err(StoreError::conflict(
                    format!("您已就 {period} 作出零报告"),
                    format!("you have attested a zero report for {period} already"),
                ));
            }
            Ok(EventBody::ZeroReportAttested { period })
        }
        EventBody::CadresMerged { from_key, into_key, reason } => {
            let merged: bool =
                conn.scalar("SELECT EXISTS (SELECT 1 FROM cadre_merges WHERE from_key = $1)", args![from_key])?;
            if merged {
                return Err(StoreError::conflict("这个干部已经合并过", "these entries are merged already"));
            }
            Ok(EventBody::CadresMerged { from_key, into_key, reason })
        }
        EventBody::CheckConcluded { check_id, findings } => {
            let row = conn
                .row("SELECT court_id, concluded_seq FROM checks WHERE id = $1", args![check_id.to_string()])?
                .ok_or_else(|| StoreError::not_found("没有这项核查", "no such check"))?;
            let (court, concluded): (String, Option<i64>) = (row.get(0)?, row.get(1)?);
            if court != actor.court_id {
                return Err(StoreError::not_found("没有这项核查", "no such check"));
            }
            if concluded.is_some() {
                return Err(StoreError::conflict("这项核查已经办结", "this check is concluded"));
            }
            Ok(EventBody::CheckConcluded { check_id, findings })
        }
        // Steps whose input checks, made before they were queued, are all they need.
        body @ (EventBody::RecordScreened { .. }
        | EventBody::CheckOpened { .. }
        | EventBody::ComplaintFiled { .. }
        | EventBody::ZeroReportReminded { .. }
        | EventBody::ContactReported { .. }
        | EventBody::OutcomeReported { .. }) => Ok(body),
        // Not steps of holding to account: the store never queues them as such.
        body @ (EventBody::RecordCreated { .. }
        | EventBody::RecordAmended { .. }
        | EventBody::RecordCosigned { .. }
        | EventBody::RecordDisputed { .. }
        | EventBody::MaterialAdded { .. }
        | EventBody::RecordViewed { .. }
        | EventBody::RecordsListed { .. }
        | EventBody::UserAdded { .. }
        | EventBody::CourtAdded { .. }
        | EventBody::TokenIssued { .. }
        | EventBody::TokenRevoked { .. }
        | EventBody::PasswordSet { .. }
        | EventBody::UserUnlocked { .. }
        | EventBody::RoleChanged { .. }
        | EventBody::UserDisabled { .. }
        | EventBody::SecondFactorReset { .. }
        | EventBody::PermissionsSet { .. }
        | EventBody::ReportDrafted { .. }
        | EventBody::ReportSealed { .. }
        | EventBody::ReportAcknowledged { .. }
        | EventBody::InspectionRecorded { .. }
        | EventBody::ContentViewed { .. }
        | EventBody::ApprovalRequested { .. }
        | EventBody::ApprovalDecided { .. }
        | EventBody::EnrolmentCodeIssued { .. }) => {
            Err(StoreError::Internal(format!("{} is not a step of holding to account", body.kind())))
        }
    }
}

fn no_finding() -> StoreError {
    StoreError::not_found("没有这项认定，或不在您可以查看的范围内", "no such finding, or not one you may see")
}

fn no_complaint() -> StoreError {
    StoreError::not_found("没有这件控告，或不在您可以查看的范围内", "no such complaint, or not one you may see")
}

fn no_contact() -> StoreError {
    StoreError::not_found("没有这条接触登记，或不是问您的", "no such contact, or not a question to you")
}

/// The rows of the cadres an entry of the store names (R16): none for the other registers.
/// `replacing`: the record may have rows already (an amendment, a resumed fill); a new record has
/// none, and its write (the sequencer's hot path) skips the delete.
pub(crate) fn write_cadre_rows(conn: &dyn Db, id: &str, record: &Record, court: &str, replacing: bool) -> Result<()> {
    if replacing {
        conn.exec("DELETE FROM record_cadres WHERE record_id = $1", args![id])?;
    }
    if record.register != Register::Store {
        return Ok(());
    }
    let i = &record.intervener;
    let mut cadres = vec![(i.name.as_str(), i.unit.as_str(), i.post.as_str(), "intervener")];
    if let Some(p) = &i.principal {
        cadres.push((&p.name, p.unit.as_deref().unwrap_or(""), p.post.as_deref().unwrap_or(""), "principal"));
    }
    let at = ts(record.occurred_at);
    for (name, unit, post, role) in cadres {
        conn.exec(
            "INSERT INTO record_cadres (record_id, cadre_key, role, court_id, occurred_at, name, unit, post)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            args![id, cadre_key(name, unit, post), role, court, at, name.trim(), unit.trim(), post.trim()],
        )?;
    }
    Ok(())
}

/// Apply an accountability event to its tables (called by `projection::apply`).
pub(crate) fn apply(conn: &dyn Db, seq: i64, event: &Event) -> Result<()> {
    let at = ts(event.at);
    match &event.body {
        EventBody::RecordScreened { record_id, classification, reason } => {
            conn.exec(
                "INSERT INTO screenings (record_id, seq, court_id, classification, reason, screened_by, screened_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![record_id.to_string(), seq, event.court, classification.code(), reason, event.actor, at],
            )?;
        }
        EventBody::CheckOpened { check_id, record_id, subject } => {
            conn.exec(
                "INSERT INTO checks (id, record_id, court_id, subject, opened_by, opened_at, opened_seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![check_id.to_string(), record_id.to_string(), event.court, subject, event.actor, at, seq],
            )?;
        }
        EventBody::CheckConcluded { check_id, findings } => {
            conn.exec(
                "UPDATE checks SET findings = $1, concluded_by = $2, concluded_at = $3, concluded_seq = $4 WHERE id = $5",
                args![findings, event.actor, at, seq, check_id.to_string()],
            )?;
        }
        EventBody::FindingRecorded {
            finding_id,
            subject,
            kind,
            record_id,
            case_number,
            facts,
            prior_standing,
            proposed,
            decided,
            decision_reason,
        } => {
            let proposed = proposed.iter().map(|s| s.code()).collect::<Vec<_>>().join(",");
            conn.exec(
                "INSERT INTO findings (id, court_id, subject, kind, record_id, case_number, facts, prior_standing,
                 proposed, decided, decision_reason, recorded_by, recorded_at, seq, state, final_sanction)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'standing', $10)",
                args![
                    finding_id.to_string(),
                    event.court,
                    subject,
                    kind.code(),
                    record_id.map(|r| r.to_string()),
                    case_number,
                    facts,
                    i64::from(*prior_standing),
                    proposed,
                    decided.code(),
                    decision_reason,
                    event.actor,
                    at,
                    seq
                ],
            )?;
        }
        EventBody::FindingAppealed { finding_id, grounds } => {
            conn.exec(
                "UPDATE findings SET state = 'appealed', appeal_grounds = $1, appealed_at = $2 WHERE id = $3",
                args![grounds, at, finding_id.to_string()],
            )?;
        }
        EventBody::AppealDecided { finding_id, outcome, sanction, reason } => {
            let id = finding_id.to_string();
            let final_sanction: String = match (outcome, sanction) {
                (AppealOutcome::Overturned, _) => Sanction::NoSanction.code().into(),
                (AppealOutcome::Varied, Some(s)) => s.code().into(),
                _ => conn.one("SELECT final_sanction FROM findings WHERE id = $1", args![id])?.get(0)?,
            };
            conn.exec(
                "UPDATE findings SET state = $1, final_sanction = $2, appeal_reason = $3, appeal_decided_by = $4,
                 appeal_decided_at = $5 WHERE id = $6",
                args![outcome.code(), final_sanction, reason, event.actor, at, id],
            )?;
        }
        EventBody::ComplaintFiled { complaint_id, to_court, account } => {
            conn.exec(
                "INSERT INTO complaints (id, complainant, complainant_court, to_court, account, filed_at, seq, state)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'filed')",
                args![complaint_id.to_string(), event.actor, event.court, to_court, account, at, seq],
            )?;
        }
        EventBody::ComplaintHandled { complaint_id, step, note } => {
            conn.exec(
                "INSERT INTO complaint_steps (complaint_id, seq, step, note, handled_by, at) VALUES ($1, $2, $3, $4, $5, $6)",
                args![complaint_id.to_string(), seq, step.code(), note, event.actor, at],
            )?;
            conn.exec("UPDATE complaints SET state = $1 WHERE id = $2", args![step.code(), complaint_id.to_string()])?;
            if *step == ComplaintStep::EscalatedToSupreme {
                conn.exec("UPDATE complaints SET escalated = 1 WHERE id = $1", args![complaint_id.to_string()])?;
            }
        }
        EventBody::ZeroReportAttested { period } => {
            conn.exec(
                "INSERT INTO zero_reports (username, period, court_id, attested_at, seq) VALUES ($1, $2, $3, $4, $5)",
                args![event.actor, period, event.court, at, seq],
            )?;
        }
        EventBody::ZeroReportReminded { period, usernames } => {
            for username in usernames {
                conn.exec(
                    "INSERT INTO zero_report_reminders (period, username, seq, court_id, reminded_by, at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    args![period, username, seq, event.court, event.actor, at],
                )?;
            }
        }
        EventBody::ContactReported { contact_id, external_id, kind, case_number, judge, person, unit, occurred_at } => {
            conn.exec(
                "INSERT INTO contacts (id, court_id, external_id, kind, case_number, judge, person, unit, occurred_at,
                 reported_by, reported_at, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                args![
                    contact_id.to_string(),
                    event.court,
                    external_id,
                    kind.code(),
                    case_number,
                    judge,
                    person,
                    unit,
                    ts(*occurred_at),
                    event.actor,
                    at,
                    seq
                ],
            )?;
        }
        EventBody::ContactAnswered { contact_id, record_id, explanation } => {
            conn.exec(
                "UPDATE contacts SET answer_record = $1, answer = $2, answered_at = $3, answered_seq = $4 WHERE id = $5",
                args![record_id.map(|r| r.to_string()), explanation, at, seq, contact_id.to_string()],
            )?;
        }
        EventBody::CadresMerged { from_key, into_key, reason } => {
            conn.exec(
                "INSERT INTO cadre_merges (from_key, into_key, reason, merged_by, court_id, at, seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![from_key, into_key, reason, event.actor, event.court, at, seq],
            )?;
        }
        EventBody::OutcomeReported { record_id, outcome, body, note } => {
            conn.exec(
                "INSERT INTO outcomes (record_id, seq, outcome, body, note, reported_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![record_id.to_string(), seq, outcome.code(), body, note, event.actor, at],
            )?;
        }
        // Projected by `projection::apply` itself, which sends only the kinds above here.
        EventBody::RecordCreated { .. }
        | EventBody::RecordAmended { .. }
        | EventBody::RecordCosigned { .. }
        | EventBody::RecordDisputed { .. }
        | EventBody::MaterialAdded { .. }
        | EventBody::RecordViewed { .. }
        | EventBody::RecordsListed { .. }
        | EventBody::UserAdded { .. }
        | EventBody::CourtAdded { .. }
        | EventBody::TokenIssued { .. }
        | EventBody::TokenRevoked { .. }
        | EventBody::PasswordSet { .. }
        | EventBody::UserUnlocked { .. }
        | EventBody::RoleChanged { .. }
        | EventBody::UserDisabled { .. }
        | EventBody::SecondFactorReset { .. }
        | EventBody::PermissionsSet { .. }
        | EventBody::ReportDrafted { .. }
        | EventBody::ReportSealed { .. }
        | EventBody::ReportAcknowledged { .. }
        | EventBody::InspectionRecorded { .. }
        | EventBody::ContentViewed { .. }
        | EventBody::ApprovalRequested { .. }
        | EventBody::ApprovalDecided { .. }
        | EventBody::EnrolmentCodeIssued { .. } => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What the store offers

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

/// The divisions of a case-type code, by its first character (民初 → 民).
fn division_of(case_type_code: Option<&str>) -> String {
    case_type_code.and_then(|c| c.chars().next()).map(String::from).unwrap_or_else(|| "—".into())
}

impl Store {
    async fn accountability_step(&self, actor: &User, body: EventBody) -> Result<i64> {
        self.append_op(crate::commands::Op::Accountability { actor: actor.clone(), body }).await
    }

    fn require(&self, user: &User, permission: Permission, zh: &str, en: &str) -> Result<()> {
        self.require_permission(user, permission, zh, en)
    }

    pub fn reporting_cycle(&self) -> ReportingCycle {
        self.config.zero_report_cycle
    }

    // --- screening and checks ------------------------------------------------------------

    /// Screen an entry of the maintainer's court (甄别; R3: the trial-management office maintains the
    /// store, and R7's C3 overreach is one of the classes).
    pub async fn screen_record(&self, by: &User, record_id: Uuid, classification: &str, reason: &str) -> Result<i64> {
        self.require(by, Permission::RecordScreen, "您的角色不甄别记录", "your role does not screen records")?;
        self.readable_record(by, record_id).await?;
        let mut problems = Vec::new();
        let classification = code_of::<Screening>(&mut problems, "classification", "R3", classification);
        required(&mut problems, "reason", "R3", reason, "请写明甄别理由", "give the reason");
        invalid_if(problems)?;
        let body = EventBody::RecordScreened {
            record_id,
            classification: classification.expect("checked"),
            reason: reason.trim().into(),
        };
        self.accountability_step(by, body).await
    }

    /// Open a check (核查) of an entry; returns its id.
    pub async fn open_check(&self, by: &User, record_id: Uuid, subject: &str) -> Result<Uuid> {
        self.require(by, Permission::RecordScreen, "您的角色不核查记录", "your role does not check records")?;
        self.readable_record(by, record_id).await?;
        let mut problems = Vec::new();
        required(&mut problems, "subject", "R1", subject, "请写明核查什么", "say what is to be checked");
        invalid_if(problems)?;
        let check_id = Uuid::now_v7();
        self.accountability_step(by, EventBody::CheckOpened { check_id, record_id, subject: subject.trim().into() })
            .await?;
        Ok(check_id)
    }

    pub async fn conclude_check(&self, by: &User, check_id: Uuid, findings: &str) -> Result<i64> {
        self.require(by, Permission::RecordScreen, "您的角色不核查记录", "your role does not check records")?;
        let mut problems = Vec::new();
        required(&mut problems, "findings", "R1", findings, "请写明核查结论", "give the findings");
        invalid_if(problems)?;
        self.accountability_step(by, EventBody::CheckConcluded { check_id, findings: findings.trim().into() }).await
    }

    /// Note what an oversight body decided about an entry (R17).
    pub async fn report_outcome(
        &self,
        by: &User,
        record_id: Uuid,
        outcome: &str,
        body: &str,
        note: &str,
    ) -> Result<i64> {
        self.require(by, Permission::RecordScreen, "您的角色不登记处理结果", "your role does not note outcomes")?;
        self.readable_record(by, record_id).await?;
        let mut problems = Vec::new();
        let outcome = code_of::<OversightOutcome>(&mut problems, "outcome", "R17", outcome);
        required(&mut problems, "body", "R17", body, "请写明作出处理的机关", "name the body that decided");
        if note.chars().count() > MAX_TEXT {
            problems.push(problem("note", "R17", "too_long", "说明过长", "the note is too long"));
        }
        invalid_if(problems)?;
        let body = EventBody::OutcomeReported {
            record_id,
            outcome: outcome.expect("checked"),
            body: body.trim().into(),
            note: note.trim().into(),
        };
        self.accountability_step(by, body).await
    }

    /// Screenings, checks and outcomes of an entry, for those who maintain the store or inspect.
    pub async fn record_handling(&self, viewer: &User, record_id: Uuid) -> Result<Option<RecordHandling>> {
        if !self.permits(viewer, Permission::RecordScreen) && !self.permits(viewer, Permission::FindingRecord) {
            return Ok(None);
        }
        self.readable_record(viewer, record_id).await?;
        let id = record_id.to_string();
        let screenings = sqlx::query("SELECT * FROM screenings WHERE record_id = $1 ORDER BY seq")
            .bind(&id)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                Ok(ScreeningView {
                    classification: listed(&r.try_get::<String, _>("classification")?)?,
                    reason: r.try_get("reason")?,
                    screened_by: r.try_get("screened_by")?,
                    screened_at: parse_ts(&r.try_get::<String, _>("screened_at")?)?,
                    seq: r.try_get("seq")?,
                })
            })
            .collect::<Result<_>>()?;
        let checks = sqlx::query("SELECT * FROM checks WHERE record_id = $1 ORDER BY opened_seq")
            .bind(&id)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                Ok(CheckView {
                    id: uuid_of(&r.try_get::<String, _>("id")?)?,
                    subject: r.try_get("subject")?,
                    opened_by: r.try_get("opened_by")?,
                    opened_at: parse_ts(&r.try_get::<String, _>("opened_at")?)?,
                    findings: r.try_get("findings")?,
                    concluded_by: r.try_get("concluded_by")?,
                })
            })
            .collect::<Result<_>>()?;
        let outcomes = self.outcomes_of(&[record_id]).await?;
        Ok(Some(RecordHandling { screenings, checks, outcomes }))
    }

    /// The outcomes reported about the entries `ids`, a few hundred ids to a query.
    async fn outcomes_of(&self, ids: &[Uuid]) -> Result<Vec<OutcomeView>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut query = crate::sql::Builder::new("SELECT * FROM outcomes WHERE record_id IN (");
            for (i, id) in chunk.iter().enumerate() {
                query.push(if i == 0 { "" } else { ", " }).push_bind(id.to_string());
            }
            query.push(") ORDER BY seq");
            for r in query.build().fetch_all(&self.reader).await? {
                out.push(OutcomeView {
                    record_id: uuid_of(&r.try_get::<String, _>("record_id")?)?,
                    outcome: listed(&r.try_get::<String, _>("outcome")?)?,
                    body: r.try_get("body")?,
                    note: r.try_get("note")?,
                    at: parse_ts(&r.try_get::<String, _>("at")?)?,
                });
            }
        }
        Ok(out)
    }

    // --- findings (R14) ---------------------------------------------------------------

    /// The sanction the rule proposes for a finding of `kind` against `subject` now.
    pub async fn sanction_proposal(&self, by: &User, subject: &str, kind: FindingKind) -> Result<SanctionProposal> {
        self.require(by, Permission::FindingRecord, "您的角色不作认定", "your role does not record findings")?;
        let prior: i64 = sqlx::query(
            "SELECT COUNT(*) FROM findings WHERE subject = $1 AND state <> 'overturned'
             AND kind <> 'instructed_not_to_record'",
        )
        .bind(subject)
        .fetch_one(&self.reader)
        .await?
        .try_get(0)?;
        let prior = u32::try_from(prior).unwrap_or(u32::MAX);
        let p = propose_sanction(kind, prior);
        Ok(SanctionProposal {
            prior_standing: prior,
            allowed: p.allowed,
            basis_zh: p.basis_zh.into(),
            basis_en: p.basis_en.into(),
        })
    }

    /// Record a finding and the decision on it; returns its id.
    pub async fn record_finding(&self, by: &User, input: &FindingInput) -> Result<Uuid> {
        self.require(by, Permission::FindingRecord, "您的角色不作认定", "your role does not record findings")?;
        let mut problems = Vec::new();
        let subject = input.subject.trim();
        let staff = self.user(subject).await?.filter(|u| u.court_id == by.court_id);
        if staff.is_none() {
            problems.push(problem(
                "subject",
                "R14",
                "unknown_user",
                "请选择本院的工作人员（用户名）",
                "choose a member of this court's staff (user name)",
            ));
        } else if subject == by.username {
            problems.push(problem(
                "subject",
                "R14",
                "self",
                "不能对自己作认定",
                "nobody records a finding against themselves",
            ));
        }
        let kind = code_of::<FindingKind>(&mut problems, "kind", "R14", &input.kind);
        let decided = code_of::<Sanction>(&mut problems, "decided", "R14", &input.decided);
        required(&mut problems, "facts", "R14", &input.facts, "请写明认定的事实", "state the facts found");
        if input.decision_reason.chars().count() > MAX_TEXT {
            problems.push(problem("decision_reason", "R14", "too_long", "理由过长", "the reason is too long"));
        }
        if let Some(id) = input.record_id {
            let ok = sqlx::query("SELECT 1 FROM records WHERE id = $1 AND court_id = $2")
                .bind(id.to_string())
                .bind(&by.court_id)
                .fetch_optional(&self.reader)
                .await?
                .is_some();
            if !ok {
                problems.push(problem(
                    "record_id",
                    "R14",
                    "unknown_record",
                    "本院没有这条记录",
                    "no such record in this court",
                ));
            }
        }
        invalid_if(problems)?;
        let finding_id = Uuid::now_v7();
        let body = EventBody::FindingRecorded {
            finding_id,
            subject: subject.into(),
            kind: kind.expect("checked"),
            record_id: input.record_id,
            case_number: input.case_number.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(String::from),
            facts: input.facts.trim().into(),
            // The sequencer counts and proposes in its transaction.
            prior_standing: 0,
            proposed: Vec::new(),
            decided: decided.expect("checked"),
            decision_reason: input.decision_reason.trim().into(),
        };
        self.accountability_step(by, body).await?;
        Ok(finding_id)
    }

    /// Findings `viewer` may see: all of their court's for discipline inspection, their own for
    /// anyone else. Newest first.
    pub async fn findings(&self, viewer: &User) -> Result<Vec<FindingView>> {
        self.findings_of(viewer, None).await
    }

    pub async fn finding(&self, viewer: &User, id: Uuid) -> Result<FindingView> {
        self.findings_of(viewer, Some(id)).await?.pop().ok_or_else(no_finding)
    }

    /// The findings `viewer` may see, all or the one `only`.
    async fn findings_of(&self, viewer: &User, only: Option<Uuid>) -> Result<Vec<FindingView>> {
        let (sql, who) = if self.permits(viewer, Permission::FindingRecord) {
            ("SELECT * FROM findings WHERE court_id = $1 AND ($2 = '' OR id = $2) ORDER BY seq DESC", &viewer.court_id)
        } else {
            ("SELECT * FROM findings WHERE subject = $1 AND ($2 = '' OR id = $2) ORDER BY seq DESC", &viewer.username)
        };
        let rows = sqlx::query(sql)
            .bind(who)
            .bind(only.map(|id| id.to_string()).unwrap_or_default())
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(finding_view).collect()
    }

    pub async fn appeal_finding(&self, by: &User, id: Uuid, grounds: &str) -> Result<i64> {
        let mut problems = Vec::new();
        required(&mut problems, "grounds", "R14", grounds, "请写明申诉理由", "give the grounds of the appeal");
        invalid_if(problems)?;
        self.accountability_step(by, EventBody::FindingAppealed { finding_id: id, grounds: grounds.trim().into() })
            .await
    }

    pub async fn decide_appeal(
        &self,
        by: &User,
        id: Uuid,
        outcome: &str,
        sanction: Option<&str>,
        reason: &str,
    ) -> Result<i64> {
        self.require(by, Permission::FindingRecord, "您的角色不决定申诉", "your role does not decide appeals")?;
        let mut problems = Vec::new();
        let outcome = code_of::<AppealOutcome>(&mut problems, "outcome", "R14", outcome);
        let sanction = match sanction.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => code_of::<Sanction>(&mut problems, "sanction", "R14", s),
            None if outcome == Some(AppealOutcome::Varied) => {
                problems.push(problem(
                    "sanction",
                    "R14",
                    "required",
                    "变更处理须选择新的处理",
                    "a varied sanction names the new one",
                ));
                None
            }
            None => None,
        };
        required(&mut problems, "reason", "R14", reason, "请写明决定理由", "give the reason");
        invalid_if(problems)?;
        let body = EventBody::AppealDecided {
            finding_id: id,
            outcome: outcome.expect("checked"),
            sanction,
            reason: reason.trim().into(),
        };
        self.accountability_step(by, body).await
    }

    // --- retaliation complaints (R15) -----------------------------------------------------

    /// A member of staff complains of retaliation to the court one level up (S9); returns its id.
    pub async fn file_complaint(&self, by: &User, account: &str) -> Result<Uuid> {
        if !by.role.is_court_staff() || by.via_token {
            return Err(StoreError::forbidden(
                "控告由法院工作人员本人提出",
                "a complaint is made by a member of court staff in person",
            ));
        }
        let court = self.court(&by.court_id).await?.ok_or_else(|| StoreError::Internal("no court".into()))?;
        let Some(to_court) = court.parent_id else {
            return Err(StoreError::conflict(
                "最高人民法院没有上一级法院；请向有关机关反映",
                "the Supreme People's Court has no court above it",
            ));
        };
        let mut problems = Vec::new();
        required(&mut problems, "account", "R15", account, "请写明遭遇刁难、打击、报复的情况", "say what happened");
        invalid_if(problems)?;
        let complaint_id = Uuid::now_v7();
        self.accountability_step(
            by,
            EventBody::ComplaintFiled { complaint_id, to_court, account: account.trim().into() },
        )
        .await?;
        Ok(complaint_id)
    }

    /// The complaints `viewer` may read: those addressed to their court if they handle
    /// complaints (at the Supreme People's Court also those reported up to it, S9), and their
    /// own. Nobody else — not their court's leadership — sees any.
    pub async fn complaints(&self, viewer: &User) -> Result<Vec<ComplaintView>> {
        self.complaints_of(viewer, None).await
    }

    pub async fn complaint(&self, viewer: &User, id: Uuid) -> Result<ComplaintView> {
        self.complaints_of(viewer, Some(id)).await?.pop().ok_or_else(no_complaint)
    }

    /// The complaints `viewer` may read, all or the one `only`.
    async fn complaints_of(&self, viewer: &User, only: Option<Uuid>) -> Result<Vec<ComplaintView>> {
        let handler = self.permits(viewer, Permission::ComplaintHandle);
        let supreme = self.court(&viewer.court_id).await?.is_some_and(|c| c.level == liuhen_rules::CourtLevel::Supreme);
        let rows = sqlx::query(
            "SELECT * FROM complaints
             WHERE (complainant = $1 OR ($3 = 1 AND (to_court = $2 OR (escalated = 1 AND $4 = 1))))
             AND ($5 = '' OR id = $5) ORDER BY seq DESC",
        )
        .bind(&viewer.username)
        .bind(&viewer.court_id)
        .bind(i64::from(handler))
        .bind(i64::from(supreme))
        .bind(only.map(|id| id.to_string()).unwrap_or_default())
        .fetch_all(&self.reader)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let steps = sqlx::query("SELECT * FROM complaint_steps WHERE complaint_id = $1 ORDER BY seq")
                .bind(&id)
                .fetch_all(&self.reader)
                .await?
                .iter()
                .map(|s| {
                    Ok(ComplaintStepView {
                        step: listed(&s.try_get::<String, _>("step")?)?,
                        note: s.try_get("note")?,
                        handled_by: s.try_get("handled_by")?,
                        at: parse_ts(&s.try_get::<String, _>("at")?)?,
                    })
                })
                .collect::<Result<_>>()?;
            out.push(ComplaintView {
                id: uuid_of(&id)?,
                complainant: r.try_get("complainant")?,
                complainant_court: r.try_get("complainant_court")?,
                to_court: r.try_get("to_court")?,
                account: r.try_get("account")?,
                filed_at: parse_ts(&r.try_get::<String, _>("filed_at")?)?,
                state: r.try_get("state")?,
                steps,
            });
        }
        Ok(out)
    }

    pub async fn handle_complaint(&self, by: &User, id: Uuid, step: &str, note: &str) -> Result<i64> {
        self.require(by, Permission::ComplaintHandle, "您的角色不办理控告", "your role does not handle complaints")?;
        let mut problems = Vec::new();
        let step = code_of::<ComplaintStep>(&mut problems, "step", "R15", step);
        required(&mut problems, "note", "R15", note, "请写明办理情况", "say what was done");
        invalid_if(problems)?;
        self.accountability_step(
            by,
            EventBody::ComplaintHandled { complaint_id: id, step: step.expect("checked"), note: note.trim().into() },
        )
        .await
    }

    // --- zero reports and timeliness --------------------------------------------------------

    /// Check a period code of this deployment's cycle, not in the future.
    pub fn check_period(&self, field: &str, code: &str) -> Result<(OffsetDateTime, OffsetDateTime)> {
        let cycle = self.reporting_cycle();
        let example = period_code(cycle, now());
        match period_bounds(cycle, code.trim()) {
            Some((from, to)) if from <= now() => Ok((from, to)),
            Some(_) => {
                Err(StoreError::invalid(problem(field, "S11", "future", "期间尚未开始", "that period has not begun")))
            }
            None => Err(StoreError::invalid(problem(
                field,
                "S11",
                "invalid",
                format!("期间格式应为 {example}（{}）", cycle.zh()),
                format!("a period is written like {example} ({})", cycle.en()),
            ))),
        }
    }

    /// Entries `username` recorded in the store about inquiries of `[from, to)`.
    async fn entries_in(&self, username: &str, from: OffsetDateTime, to: OffsetDateTime) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM records WHERE recorder = $1 AND register = 'store' AND occurred_at >= $2 AND occurred_at < $3",
        )
        .bind(username)
        .bind(ts(from))
        .bind(ts(to))
        .fetch_one(&self.reader)
        .await?
        .try_get(0)?)
    }

    /// A judge or judicial assistant attests that they had nothing to record in `period`.
    pub async fn attest_zero_report(&self, by: &User, period: &str) -> Result<i64> {
        if !self.permits(by, Permission::RecordCreate) || !by.role.is_court_staff() || by.via_token {
            return Err(StoreError::forbidden(
                "零报告由办案人员本人作出",
                "a zero report is made by the judge in person",
            ));
        }
        let (from, to) = self.check_period("period", period)?;
        if self.entries_in(&by.username, from, to).await? > 0 {
            return Err(StoreError::conflict(
                "您在这一期间录入过过问记录，无需零报告",
                "you recorded entries in this period: no zero report is due",
            ));
        }
        self.accountability_step(by, EventBody::ZeroReportAttested { period: period.trim().into() }).await
    }

    /// The judges and judicial assistants (recorders) of the viewer's court and where each stands.
    pub async fn filing_overview(&self, viewer: &User, period: &str) -> Result<FilingOverview> {
        self.require(
            viewer,
            Permission::FilingOversee,
            "您的角色不查看零报告情况",
            "your role does not oversee filing",
        )?;
        let (from, to) = self.check_period("period", period)?;
        let staff = sqlx::query(
            "SELECT username, display_name, court_id FROM users WHERE court_id = $1 AND role = $2 AND disabled_at IS NULL
             ORDER BY username",
        )
        .bind(&viewer.court_id)
        .bind(Role::Recorder.code())
        .fetch_all(&self.reader)
        .await?;
        // One query per kind for the whole court, not per person.
        let period = period.trim();
        let counts = |sql: &'static str, args: Vec<String>| {
            let (reader, court) = (&self.reader, viewer.court_id.clone());
            async move {
                let mut query = sqlx::query(sql).bind(court);
                for a in args {
                    query = query.bind(a);
                }
                query
                    .fetch_all(reader)
                    .await?
                    .iter()
                    .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
                    .collect::<Result<BTreeMap<String, i64>>>()
            }
        };
        let entries_of = counts(
            "SELECT recorder, COUNT(*) FROM records WHERE court_id = $1 AND register = 'store'
             AND occurred_at >= $2 AND occurred_at < $3 GROUP BY recorder",
            vec![ts(from), ts(to)],
        )
        .await?;
        let attested = counts(
            "SELECT username, COUNT(*) FROM zero_reports WHERE court_id = $1 AND period = $2 GROUP BY username",
            vec![period.into()],
        )
        .await?;
        let reminded = counts(
            "SELECT username, COUNT(*) FROM zero_report_reminders WHERE court_id = $1 AND period = $2 GROUP BY username",
            vec![period.into()],
        )
        .await?;
        // Service accounts (with API tokens) push for systems, not for a person.
        let services: BTreeSet<String> = sqlx::query("SELECT DISTINCT username FROM api_tokens")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::new();
        for s in staff {
            let username: String = s.try_get("username")?;
            if services.contains(&username) {
                continue;
            }
            let entries = entries_of.get(&username).copied().unwrap_or(0);
            let zero_report = attested.contains_key(&username);
            let reminders = reminded.get(&username).copied().unwrap_or(0);
            out.push(FilingStatus {
                display_name: s.try_get("display_name")?,
                court_id: s.try_get("court_id")?,
                missing: entries == 0 && !zero_report,
                username,
                entries,
                zero_report,
                reminders,
            });
        }
        Ok(FilingOverview { period: period.into(), cycle: self.reporting_cycle(), staff: out })
    }

    /// Remind everyone still missing for `period`; returns who was reminded.
    pub async fn remind_missing(&self, by: &User, period: &str) -> Result<Vec<String>> {
        let overview = self.filing_overview(by, period).await?;
        let usernames: Vec<String> = overview.staff.into_iter().filter(|s| s.missing).map(|s| s.username).collect();
        if !usernames.is_empty() {
            self.accountability_step(
                by,
                EventBody::ZeroReportReminded { period: period.trim().into(), usernames: usernames.clone() },
            )
            .await?;
        }
        Ok(usernames)
    }

    /// The last period, when `user` owes a zero report for it (neither entries nor a zero
    /// report): the reminder on their desk.
    pub async fn zero_report_due(&self, user: &User) -> Result<Option<String>> {
        if user.role != Role::Recorder || user.scopes.is_some() || self.is_service_account(&user.username).await? {
            return Ok(None);
        }
        let period = previous_period(self.reporting_cycle(), now());
        let (from, to) = period_bounds(self.reporting_cycle(), &period).expect("a period's own code parses");
        let created = self.user_created_at(&user.username).await?;
        if created.is_some_and(|c| c >= to) || self.entries_in(&user.username, from, to).await? > 0 {
            return Ok(None);
        }
        let attested = sqlx::query("SELECT 1 FROM zero_reports WHERE username = $1 AND period = $2")
            .bind(&user.username)
            .bind(&period)
            .fetch_optional(&self.reader)
            .await?
            .is_some();
        Ok((!attested).then_some(period))
    }

    /// Service accounts (with API tokens) push for systems, not for a person: they owe no zero report.
    async fn is_service_account(&self, username: &str) -> Result<bool> {
        let tokens: i64 = sqlx::query("SELECT COUNT(*) FROM api_tokens WHERE username = $1")
            .bind(username)
            .fetch_one(&self.reader)
            .await?
            .try_get(0)?;
        Ok(tokens > 0)
    }

    async fn user_created_at(&self, username: &str) -> Result<Option<OffsetDateTime>> {
        let row = sqlx::query("SELECT created_at FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| parse_ts(&r.try_get::<String, _>(0)?)).transpose()
    }

    /// How promptly the viewer's court and the courts below recorded the inquiries of `period`
    /// (S2 ¶1, S11): each entry's delay, the late ones, counts per court and per division.
    pub async fn timeliness(&self, viewer: &User, period: &str) -> Result<Timeliness> {
        self.require(
            viewer,
            Permission::FilingOversee,
            "您的角色不查看及时性情况",
            "your role does not oversee filing",
        )?;
        let (from, to) = self.check_period("period", period)?;
        let courts = self.courts_under(&viewer.court_id).await?;
        let limit = time::Duration::days(self.config.recording_time_limit_days);
        let mut by_court: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut by_division: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut late = Vec::new();
        let mut delays = Vec::new();
        for court in &courts {
            let rows = sqlx::query(
                "SELECT id, court_id, recorder, case_type_code, occurred_at, created_at FROM records
                 WHERE court_id = $1 AND register = 'store' AND occurred_at >= $2 AND occurred_at < $3 ORDER BY occurred_at",
            )
            .bind(court)
            .bind(ts(from))
            .bind(ts(to))
            .fetch_all(&self.reader)
            .await?;
            for r in rows {
                let occurred_at = parse_ts(&r.try_get::<String, _>("occurred_at")?)?;
                let recorded_at = parse_ts(&r.try_get::<String, _>("created_at")?)?;
                let division = division_of(r.try_get::<Option<String>, _>("case_type_code")?.as_deref());
                let is_late = is_late(occurred_at, recorded_at, limit);
                let delay_hours = recording_delay(occurred_at, recorded_at).whole_hours();
                delays.push(delay_hours);
                for (map, key) in [(&mut by_court, court.clone()), (&mut by_division, division.clone())] {
                    let c = map.entry(key).or_default();
                    c.0 += 1;
                    c.1 += i64::from(is_late);
                }
                if is_late {
                    late.push(LateEntry {
                        record_id: uuid_of(&r.try_get::<String, _>("id")?)?,
                        court_id: r.try_get("court_id")?,
                        recorder: r.try_get("recorder")?,
                        division,
                        occurred_at,
                        recorded_at,
                        delay_hours,
                    });
                }
            }
        }
        delays.sort_unstable();
        let counts = |m: BTreeMap<String, (i64, i64)>| {
            m.into_iter().map(|(key, (entries, late))| TimelinessCount { key, entries, late }).collect()
        };
        Ok(Timeliness {
            period: period.trim().into(),
            limit_days: self.config.recording_time_limit_days,
            entries: delays.len() as i64,
            median_delay_hours: delays.get(delays.len() / 2).copied().unwrap_or(0),
            late,
            by_court: counts(by_court),
            by_division: counts(by_division),
        })
    }

    // --- cross-checks ---------------------------------------------------------------------

    /// Take a contact the case-management system logged; a repeated push (same external id) is
    /// answered with the contact already taken. Returns its id and whether it is new.
    pub async fn report_contact(&self, by: &User, input: &ContactInput) -> Result<(Uuid, bool)> {
        self.require(by, Permission::ContactReport, "您的角色不报送接触登记", "your role does not send contacts")?;
        let mut problems = Vec::new();
        if !text_ok(&input.external_id, 200) {
            problems.push(problem(
                "external_id",
                "R3",
                "required",
                "请提供案件管理系统的登记编号",
                "give the case system's id",
            ));
        }
        let kind = code_of::<ContactKind>(&mut problems, "kind", "R3", &input.kind);
        // Kept in the canonical form entries are stored in, so that matching compares like with like.
        let case_number = match liuhen_rules::parse_case_number_with(&input.case_number, &self.config.extra_regions) {
            Ok(parsed) => Some(parsed.text),
            Err(e) => {
                problems.push(problem("case_number", "R3", e.code, e.zh, e.en));
                None
            }
        };
        let judge = self.user(input.judge.trim()).await?.filter(|u| u.court_id == by.court_id);
        if judge.is_none() {
            problems.push(problem(
                "judge",
                "R3",
                "unknown_user",
                "本院没有这位承办法官（用户名）",
                "no such judge in this court",
            ));
        }
        let occurred_at = parse_instant(&input.occurred_at).filter(|t| *t <= now() + time::Duration::minutes(5));
        if occurred_at.is_none() {
            problems.push(problem(
                "occurred_at",
                "R3",
                "invalid",
                "接触时间格式应为 2026-05-20 09:30，且不晚于现在",
                "the time is like 2026-05-20 09:30 and not in the future",
            ));
        }
        invalid_if(problems)?;
        let external_id = input.external_id.trim();
        if let Some(r) = sqlx::query("SELECT id FROM contacts WHERE court_id = $1 AND external_id = $2")
            .bind(&by.court_id)
            .bind(external_id)
            .fetch_optional(&self.reader)
            .await?
        {
            return Ok((uuid_of(&r.try_get::<String, _>(0)?)?, false));
        }
        let contact_id = Uuid::now_v7();
        let trimmed = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let body = EventBody::ContactReported {
            contact_id,
            external_id: external_id.into(),
            kind: kind.expect("checked"),
            case_number: case_number.expect("checked"),
            judge: input.judge.trim().into(),
            person: trimmed(&input.person),
            unit: trimmed(&input.unit),
            occurred_at: occurred_at.expect("checked"),
        };
        self.accountability_step(by, body).await?;
        Ok((contact_id, true))
    }

    /// Contacts with where each stands: the judge's own (`mine`), or the whole court's for those
    /// who oversee filing. A contact due without an entry is a question for the judge.
    pub async fn contacts(&self, viewer: &User, mine: bool) -> Result<Vec<ContactView>> {
        let rows = if mine {
            sqlx::query("SELECT * FROM contacts WHERE judge = $1 AND court_id = $2 ORDER BY occurred_at DESC")
                .bind(&viewer.username)
                .bind(&viewer.court_id)
                .fetch_all(&self.reader)
                .await?
        } else {
            self.require(
                viewer,
                Permission::FilingOversee,
                "您的角色不查看交叉核对",
                "your role does not oversee filing",
            )?;
            sqlx::query("SELECT * FROM contacts WHERE court_id = $1 ORDER BY occurred_at DESC")
                .bind(&viewer.court_id)
                .fetch_all(&self.reader)
                .await?
        };
        let limit = time::Duration::days(self.config.recording_time_limit_days);
        // The court's entries of the contacts' cases, once per case, by the case-number index (both
        // sides hold the canonical case number).
        let mut entries: BTreeMap<String, Vec<(Uuid, OffsetDateTime, String)>> = BTreeMap::new();
        for r in &rows {
            let case: String = r.try_get("case_number")?;
            if entries.contains_key(&case) {
                continue;
            }
            let candidates = sqlx::query(
                "SELECT id, occurred_at, intervener_name FROM records
                 WHERE case_number = $1 AND court_id = $2 AND register <> 'internal_inquiry'",
            )
            .bind(&case)
            .bind(&viewer.court_id)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|c| {
                Ok((
                    uuid_of(&c.try_get::<String, _>("id")?)?,
                    parse_ts(&c.try_get::<String, _>("occurred_at")?)?,
                    c.try_get("intervener_name")?,
                ))
            })
            .collect::<Result<_>>()?;
            entries.insert(case, candidates);
        }
        let mut out = Vec::new();
        for r in rows {
            let case_number: String = r.try_get("case_number")?;
            let person: Option<String> = r.try_get("person")?;
            let occurred_at = parse_ts(&r.try_get::<String, _>("occurred_at")?)?;
            let court_id: String = r.try_get("court_id")?;
            let facts = ContactFacts { case_number: &case_number, occurred_at, person: person.as_deref() };
            let same_case = entries.get(&case_number);
            let matched = same_case.into_iter().flatten().find_map(|(id, at, name)| {
                let entry = EntryFacts { case_number: Some(&case_number), occurred_at: *at, intervener_name: name };
                entry_answers_contact(&facts, &entry, limit).then_some(*id)
            });
            let answer: Option<String> = r.try_get("answer")?;
            let answer_record = r.try_get::<Option<String>, _>("answer_record")?.as_deref().map(uuid_of).transpose()?;
            let status = if matched.is_some() {
                "matched"
            } else if r.try_get::<Option<i64>, _>("answered_seq")?.is_some() {
                "answered"
            } else if contact_is_due(occurred_at, limit, now()) {
                "question"
            } else {
                "waiting"
            };
            out.push(ContactView {
                id: uuid_of(&r.try_get::<String, _>("id")?)?,
                court_id,
                external_id: r.try_get("external_id")?,
                kind: listed(&r.try_get::<String, _>("kind")?)?,
                case_number,
                judge: r.try_get("judge")?,
                person,
                unit: r.try_get("unit")?,
                occurred_at,
                status: status.into(),
                matched_record: matched,
                answer,
                answer_record,
            });
        }
        Ok(out)
    }

    /// The judge answers a question: the entry that records the contact, or why none is due.
    pub async fn answer_contact(&self, by: &User, id: Uuid, record_id: Option<Uuid>, explanation: &str) -> Result<i64> {
        let mut problems = Vec::new();
        if record_id.is_none() {
            required(
                &mut problems,
                "explanation",
                "R1",
                explanation,
                "请说明为何没有过问记录，或指明记录",
                "say why there is no entry, or name the entry",
            );
        }
        if let Some(r) = record_id
            && self.readable_record(by, r).await.is_err()
        {
            problems.push(problem("record_id", "R1", "unknown_record", "没有这条记录", "no such record"));
        }
        invalid_if(problems)?;
        self.accountability_step(
            by,
            EventBody::ContactAnswered { contact_id: id, record_id, explanation: explanation.trim().into() },
        )
        .await
    }

    // --- cadre histories (R16, R17) ---------------------------------------------------------

    /// Where each key ends after the office's merges (a chain of merges is followed).
    async fn merge_map(&self) -> Result<BTreeMap<String, String>> {
        let rows = sqlx::query("SELECT from_key, into_key FROM cadre_merges").fetch_all(&self.reader).await?;
        let direct: BTreeMap<String, String> =
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_>>()?;
        Ok(resolve_merges(&direct))
    }

    fn require_cadre_reader(&self, viewer: &User) -> Result<()> {
        self.require_permission(
            viewer,
            Permission::RecordReadCourt,
            "您的角色不查看干部过问情况",
            "your role does not see cadre histories",
        )
    }

    /// Every (merged) cadre named in the store of the viewer's court and the courts below, most
    /// entries first; `repeat_only` keeps those with two entries or more (the repeat-intervener list).
    pub async fn cadres(&self, viewer: &User, repeat_only: bool) -> Result<Vec<CadreSummary>> {
        self.require_cadre_reader(viewer)?;
        let courts = self.courts_under(&viewer.court_id).await?;
        let merges = self.merge_map().await?;
        let mut by_key: BTreeMap<String, (CadreSummary, BTreeSet<String>)> = BTreeMap::new();
        for court in &courts {
            // The copies in record_cadres: a province's entries are read without decoding them.
            let rows = sqlx::query(
                "SELECT cadre_key, occurred_at, name, unit, post FROM record_cadres
                 WHERE court_id = $1 AND role = 'intervener'",
            )
            .bind(court)
            .fetch_all(&self.reader)
            .await?;
            for r in rows {
                let key: String = r.try_get(0)?;
                let key = merges.get(&key).cloned().unwrap_or(key);
                let at = parse_ts(&r.try_get::<String, _>(1)?)?;
                let (name, unit, post): (String, String, String) = (r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
                let entry = by_key.entry(key.clone()).or_insert_with(|| {
                    let summary = CadreSummary {
                        key,
                        name: name.clone(),
                        unit: unit.clone(),
                        post: post.clone(),
                        entries: 0,
                        courts: 0,
                        last_at: at,
                    };
                    (summary, BTreeSet::new())
                });
                entry.0.entries += 1;
                entry.1.insert(court.clone());
                if at >= entry.0.last_at {
                    entry.0.last_at = at;
                    (entry.0.name, entry.0.unit, entry.0.post) = (name, unit, post);
                }
            }
        }
        let mut out: Vec<CadreSummary> = by_key
            .into_values()
            .map(|(mut s, courts)| {
                s.courts = courts.len() as i64;
                s
            })
            .filter(|s| !repeat_only || s.entries >= 2)
            .collect();
        out.sort_by(|a, b| b.entries.cmp(&a.entries).then(b.last_at.cmp(&a.last_at)));
        Ok(out)
    }

    /// Every entry naming the cadre `key` (after merges), across the viewer's courts and years;
    /// the listing is noted in the ledger (查看留痕).
    pub async fn cadre_history(&self, viewer: &User, key: &str, via: &str) -> Result<CadreHistory> {
        self.require_cadre_reader(viewer)?;
        let courts = self.courts_under(&viewer.court_id).await?;
        let merges = self.merge_map().await?;
        let target = merges.get(key).cloned().unwrap_or_else(|| key.to_string());
        let keys: Vec<String> = std::iter::once(target.clone())
            .chain(merges.iter().filter(|(_, to)| **to == target).map(|(from, _)| from.clone()))
            .collect();
        let mut entries = Vec::new();
        for k in &keys {
            let rows = sqlx::query(
                "SELECT c.role, r.id, r.court_id, r.occurred_at, v.data,
                 (SELECT s.classification FROM screenings s WHERE s.record_id = r.id ORDER BY s.seq DESC LIMIT 1) AS screening
                 FROM record_cadres c JOIN records r ON r.id = c.record_id
                 JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                 WHERE c.cadre_key = $1",
            )
            .bind(k)
            .fetch_all(&self.reader)
            .await?;
            for r in rows {
                let court_id: String = r.try_get(2)?;
                if !courts.contains(&court_id) {
                    continue;
                }
                let record = crate::records::decode_record(&r.try_get::<String, _>(4)?)?;
                let screening: Option<String> = r.try_get(5)?;
                entries.push(CadreEntry {
                    record_id: uuid_of(&r.try_get::<String, _>(1)?)?,
                    court_id,
                    case_number: record.case_number.clone(),
                    occurred_at: parse_ts(&r.try_get::<String, _>(3)?)?,
                    name: record.intervener.name.clone(),
                    unit: record.intervener.unit.clone(),
                    post: record.intervener.post.clone(),
                    role: r.try_get(0)?,
                    form: record.form.code().into(),
                    serious: record.serious,
                    special_items: record.special_items.clone(),
                    screening: screening.as_deref().map(listed).transpose()?,
                });
            }
        }
        if entries.is_empty() {
            return Err(StoreError::not_found("没有这位干部的过问记录", "no entries name this cadre"));
        }
        entries.sort_by_key(|e| e.occurred_at);
        let ids: Vec<Uuid> = entries.iter().map(|e| e.record_id).collect();
        let outcomes = self.outcomes_of(&ids).await?;
        self.note_listed_ids(viewer, ids, via).await?;
        let mut merged = Vec::new();
        for (from, reason) in sqlx::query("SELECT from_key, reason FROM cadre_merges ORDER BY seq")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
            .collect::<Result<Vec<_>>>()?
        {
            // A spelling merged in by a court above, named only in another court's entries, is
            // not shown here (issue 17).
            if keys.contains(&from) && self.cadre_known_in(&from, &courts).await? {
                merged.push((from, reason));
            }
        }
        Ok(CadreHistory { key: target, merged, entries, outcomes })
    }

    /// Whether `key` names a cadre in an entry of the store of one of `courts` (the caller's court
    /// and the courts below): a cadre named only elsewhere is unknown to the caller, exactly as
    /// one nobody ever wrote of.
    async fn cadre_known_in(&self, key: &str, courts: &BTreeSet<String>) -> Result<bool> {
        let mut query = crate::sql::Builder::new("SELECT 1 FROM record_cadres WHERE cadre_key = ");
        query.push_bind(key.to_string()).push(" AND court_id IN (");
        for (i, court) in courts.iter().enumerate() {
            query.push(if i == 0 { "" } else { ", " }).push_bind(court.clone());
        }
        query.push(") LIMIT 1");
        Ok(query.build().fetch_optional(&self.reader).await?.is_some())
    }

    /// The office confirms that two keys name one cadre (R16). Both keys must be known in the
    /// office's court or the courts below (issue 17): the answer for a key of another court is
    /// the answer for a key that does not exist, so nobody learns where else a cadre was named.
    pub async fn merge_cadres(&self, by: &User, from_key: &str, into_key: &str, reason: &str) -> Result<i64> {
        self.require(by, Permission::RecordScreen, "您的角色不合并干部", "your role does not merge cadres")?;
        let mut problems = Vec::new();
        let (from_key, into_key) = (from_key.trim(), into_key.trim());
        let courts = self.courts_under(&by.court_id).await?;
        let mut known = true;
        for (field, key) in [("from_key", from_key), ("into_key", into_key)] {
            if !self.cadre_known_in(key, &courts).await? {
                known = false;
                problems.push(problem(field, "R16", "unknown", "没有这位干部的记录", "no entries name this cadre"));
            }
        }
        // Only between keys the caller may see does an earlier merge say anything.
        let merges = self.merge_map().await?;
        if from_key == into_key || (known && merges.get(into_key).is_some_and(|k| k == from_key)) {
            problems.push(problem("into_key", "R16", "same", "请选择另一位干部", "choose another cadre"));
        }
        required(&mut problems, "reason", "R16", reason, "请写明确认为同一人的依据", "say why they are one person");
        invalid_if(problems)?;
        self.accountability_step(
            by,
            EventBody::CadresMerged {
                from_key: from_key.into(),
                into_key: into_key.into(),
                reason: reason.trim().into(),
            },
        )
        .await
    }
}

/// Each merged key → the key it ends in, following chains (a → b → c) and stopping at a cycle.
fn resolve_merges(direct: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut resolved = BTreeMap::new();
    for from in direct.keys() {
        let mut to = from.clone();
        let mut seen = BTreeSet::new();
        while let Some(next) = direct.get(&to) {
            if !seen.insert(to.clone()) {
                break;
            }
            to = next.clone();
        }
        resolved.insert(from.clone(), to);
    }
    resolved
}

/// R16 in the quarterly report: each (name, unit) as written in entries of a cadre the office
/// merged → one (name, unit) of the cadre it was merged into, so that the repeat list counts one
/// person. Spellings of one key that differ only in white space map together as well.
pub(crate) fn cadre_aliases(conn: &dyn Db) -> Result<std::collections::HashMap<(String, String), (String, String)>> {
    let direct: BTreeMap<String, String> = conn
        .rows("SELECT from_key, into_key FROM cadre_merges", args![])?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?)))
        .collect::<Result<_>>()?;
    let resolved = resolve_merges(&direct);
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in &resolved {
        groups.entry(to.as_str()).or_default().push(from.as_str());
    }
    let spellings = |key: &str| -> Result<Vec<(String, String)>> {
        let mut pairs: Vec<(String, String)> = conn
            .rows(
                "SELECT DISTINCT r.intervener_name, r.intervener_unit FROM record_cadres c
                 JOIN records r ON r.id = c.record_id WHERE c.cadre_key = $1 AND c.role = 'intervener'",
                args![key],
            )?
            .iter()
            .map(|r| Ok((r.get::<String>(0)?.trim().to_string(), r.get::<String>(1)?.trim().to_string())))
            .collect::<Result<_>>()?;
        pairs.sort();
        Ok(pairs)
    };
    let mut aliases = std::collections::HashMap::new();
    for (target, froms) in groups {
        let own = spellings(target)?;
        let Some(canonical) = own.first().cloned() else { continue };
        for key in froms {
            for pair in spellings(key)? {
                aliases.insert(pair, canonical.clone());
            }
        }
        for pair in own {
            aliases.insert(pair, canonical.clone());
        }
    }
    aliases.retain(|k, v| k != v);
    Ok(aliases)
}

/// The latest screening of each entry of `court` that occurred in [`from`, `until`).
pub(crate) fn screenings_in(conn: &dyn Db, court: &str, from: &str, until: &str) -> Result<Vec<(String, Screening)>> {
    conn.rows(
        "SELECT s.record_id, s.classification FROM screenings s
         JOIN record_facts f ON f.record_id = s.record_id AND f.court_id = s.court_id
         WHERE f.court_id = $1 AND f.occurred_at >= $2 AND f.occurred_at < $3 ORDER BY s.seq",
        args![court, from, until],
    )?
    .iter()
    .map(|r| Ok((r.get(0)?, listed(&r.get::<String>(1)?)?)))
    .collect()
}

fn finding_view(r: &sqlx::any::AnyRow) -> Result<FindingView> {
    let proposed: String = r.try_get("proposed")?;
    Ok(FindingView {
        id: uuid_of(&r.try_get::<String, _>("id")?)?,
        court_id: r.try_get("court_id")?,
        subject: r.try_get("subject")?,
        kind: listed(&r.try_get::<String, _>("kind")?)?,
        record_id: r.try_get::<Option<String>, _>("record_id")?.as_deref().map(uuid_of).transpose()?,
        case_number: r.try_get("case_number")?,
        facts: r.try_get("facts")?,
        prior_standing: u32::try_from(r.try_get::<i64, _>("prior_standing")?).map_err(internal)?,
        proposed: proposed.split(',').filter(|s| !s.is_empty()).map(listed).collect::<Result<_>>()?,
        decided: listed(&r.try_get::<String, _>("decided")?)?,
        decision_reason: r.try_get("decision_reason")?,
        recorded_by: r.try_get("recorded_by")?,
        recorded_at: parse_ts(&r.try_get::<String, _>("recorded_at")?)?,
        state: r.try_get("state")?,
        final_sanction: listed(&r.try_get::<String, _>("final_sanction")?)?,
        appeal_grounds: r.try_get("appeal_grounds")?,
        appeal_reason: r.try_get("appeal_reason")?,
        seq: r.try_get("seq")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisions_come_from_the_case_type() {
        assert_eq!(division_of(Some("民初")), "民");
        assert_eq!(division_of(Some("执")), "执");
        assert_eq!(division_of(None), "—");
    }
}

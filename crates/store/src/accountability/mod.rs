//! Holding to account and protecting (issue 8; R14–R17, S8, S9, C6, C9–C11): screening and
//! checking entries, findings of not recording and their sanctions, retaliation complaints to the
//! court above, zero reports and timeliness, cross-checks of the case-management system's contacts,
//! and cadre histories. Every step is a ledger event; the tables here are projections of them.

mod cadres;
mod checks;
mod complaints;
mod contacts;
mod findings;
mod projection;
mod screening;
mod views;
mod zero_reports;

pub(crate) use cadres::cadre_aliases;
pub(crate) use checks::check;
pub(crate) use projection::{apply, write_cadre_rows};
pub(crate) use screening::screenings_in;
pub use views::*;

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

/// The values a form's fields were read into, handed back only when the form has no problem (a
/// field that could not be read always noted one): what passed the rules comes out typed.
fn parsed<T>(problems: Vec<Problem>, values: Option<T>) -> Result<T> {
    match (values, problems.is_empty()) {
        (Some(values), true) => Ok(values),
        (_, false) => Err(StoreError::Invalid(problems)),
        (None, true) => Err(StoreError::Internal("a field was not read and no problem was noted".into())),
    }
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

fn no_finding() -> StoreError {
    StoreError::not_found("没有这项认定，或不在您可以查看的范围内", "no such finding, or not one you may see")
}

fn no_complaint() -> StoreError {
    StoreError::not_found("没有这件控告，或不在您可以查看的范围内", "no such complaint, or not one you may see")
}

fn no_contact() -> StoreError {
    StoreError::not_found("没有这条接触登记，或不是问您的", "no such contact, or not a question to you")
}

/// The divisions of a case-type code, by its first character (民初 → 民).
fn division_of(case_type_code: Option<&str>) -> String {
    case_type_code.and_then(|c| c.chars().next()).map(String::from).unwrap_or_else(|| "—".into())
}

impl Store {
    async fn accountability_step(&self, actor: &User, body: EventBody) -> Result<i64> {
        self.append_op(crate::sequencer::Op::Accountability { actor: actor.clone(), body }).await
    }

    fn require(&self, user: &User, permission: Permission, zh: &str, en: &str) -> Result<()> {
        self.require_permission(user, permission, zh, en)
    }

    pub fn reporting_cycle(&self) -> ReportingCycle {
        self.config.policy.zero_report_cycle
    }
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

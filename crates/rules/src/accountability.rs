//! Holding to account and protecting (issue 8): screening (甄别), findings of not recording (R14,
//! S8, C10) and the sanction each calls for, zero reports and timeliness (S11), cross-checks of the
//! case-management system's contacts, and who is the same cadre across entries (R16). Pure
//! functions; the store records what people decide with them.

use time::{Duration, OffsetDateTime};

use crate::Listed;
use crate::period::{month_of, quarter_of};

closed_list! {
    /// What the store's maintainers find an entry to be on screening (甄别).
    Screening {
        OrdinaryInquiry = "ordinary_inquiry", "正常履职范围内的了解情况", "an ordinary inquiry within duties";
        CircumstancesReport = "circumstances_report", "反映情况", "a report of circumstances";
        Interference = "interference", "干预司法活动、插手具体案件处理", "interference in the case";
        C8Interference = "c8_interference", "违法干预（第八条所列情形）", "illegal interference of a kind C8 lists";
        C3Overreach = "c3_overreach", "超越职权（第三条）", "overreach by a body leading judicial work (C3)";
    }
}

closed_list! {
    /// What discipline inspection found a member of staff did (S8, C10).
    FindingKind {
        NotRecorded = "not_recorded", "不记录", "did not record";
        RecordedUntruthfully = "recorded_untruthfully", "不如实记录", "recorded untruthfully";
        InstructedNotToRecord = "instructed_not_to_record", "主管领导授意不记录或者不如实记录", "as supervisor, instructed others not to record or to record untruthfully";
    }
}

closed_list! {
    /// The consequence of a finding (S8): the first two for a first finding, art. 54 for the
    /// second and later, art. 76 for the supervisor who instructed; or none, when the person who
    /// decides says why.
    Sanction {
        Warning = "warning", "警告", "warning";
        Criticism = "criticism", "通报批评", "notice of criticism";
        DisciplineArt54 = "discipline_art54", "依《人民法院工作人员处分条例》第五十四条给予纪律处分", "discipline under art. 54 of the court staff sanctions rules";
        DisciplineArt76 = "discipline_art76", "依《人民法院工作人员处分条例》第七十六条给予纪律处分", "discipline under art. 76 of the court staff sanctions rules";
        NoSanction = "no_sanction", "不予处分", "no sanction";
    }
}

closed_list! {
    /// How an appeal against a finding ended; nothing is deleted either way.
    AppealOutcome {
        Upheld = "upheld", "维持原认定", "finding upheld";
        Varied = "varied", "变更处理", "sanction varied";
        Overturned = "overturned", "撤销认定", "finding overturned";
    }
}

closed_list! {
    /// What oversight bodies reported back about an entry (R17, C9).
    OversightOutcome {
        Notified = "notified", "通报", "notified (通报)";
        Disciplined = "disciplined", "给予处分", "disciplined";
        Transferred = "transferred", "移送司法机关", "transferred for prosecution";
        NoAction = "no_action", "不予处理", "no action";
    }
}

closed_list! {
    /// The steps of handling a retaliation complaint at the court above (S9).
    ComplaintStep {
        Received = "received", "受理", "received";
        ReportedToCommittee = "reported_to_committee", "已报告同级党委政法委", "reported to the political-legal committee";
        EscalatedToSupreme = "escalated_to_supreme", "已层报最高人民法院", "reported up to the Supreme People's Court";
        Concluded = "concluded", "办结", "concluded";
    }
}

closed_list! {
    /// What the case-management system saw (a visit at reception, a letter at the filing office).
    ContactKind {
        Visit = "visit", "来访登记", "visit logged at reception";
        Letter = "letter", "来信登记", "letter registered";
        Call = "call", "来电登记", "call logged";
        Other = "other", "其他", "other";
    }
}

closed_list! {
    /// How often every judge and judicial assistant files or attests a zero report (S11: a
    /// province's choice; monthly by default).
    ReportingCycle {
        Monthly = "monthly", "每月", "monthly";
        Quarterly = "quarterly", "每季度", "quarterly";
    }
}

/// A sanction the system proposes for a finding, and the rule it follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The sanctions the rule allows; the first is the default.
    pub allowed: Vec<Sanction>,
    pub basis_zh: &'static str,
    pub basis_en: &'static str,
}

/// S8, C10 (R14): the sanction a finding calls for, given how many findings against the same person
/// stand already (not overturned on appeal). The system proposes; a person decides.
pub fn propose_sanction(kind: FindingKind, prior_standing: u32) -> Proposal {
    match kind {
        FindingKind::InstructedNotToRecord => Proposal {
            allowed: vec![Sanction::DisciplineArt76],
            basis_zh: "实施办法第八条：主管领导授意不记录或者不如实记录的，依照《人民法院工作人员处分条例》第七十六条给予纪律处分",
            basis_en: "S8: a supervisor who instructed not to record is disciplined under art. 76",
        },
        _ if prior_standing == 0 => Proposal {
            allowed: vec![Sanction::Warning, Sanction::Criticism],
            basis_zh: "实施办法第八条：不记录或者不如实记录的，予以警告、通报批评",
            basis_en: "S8: a first finding of not recording or recording untruthfully: warning or notice of criticism",
        },
        _ => Proposal {
            allowed: vec![Sanction::DisciplineArt54],
            basis_zh: "实施办法第八条：有两次以上不记录或者不如实记录情形的，依照《人民法院工作人员处分条例》第五十四条给予纪律处分",
            basis_en: "S8: twice or more: discipline under art. 54",
        },
    }
}

/// The period a zero report or an entry belongs to: `2026-11` (monthly) or `2026-Q4` (quarterly),
/// cut in China Standard Time.
pub fn period_code(cycle: ReportingCycle, t: OffsetDateTime) -> String {
    match cycle {
        ReportingCycle::Monthly => {
            let (y, m) = month_of(t);
            format!("{y}-{m:02}")
        }
        ReportingCycle::Quarterly => {
            let (y, q) = quarter_of(t);
            format!("{y}-Q{q}")
        }
    }
}

/// The instants a period code covers, `[from, to)`; None when the code is not one of `cycle`.
pub fn period_bounds(cycle: ReportingCycle, code: &str) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let (year, rest) = code.split_once('-')?;
    let year: i32 = year.parse().ok()?;
    if !(2015..=9999).contains(&year) {
        return None;
    }
    let (first_month, months) = match cycle {
        ReportingCycle::Monthly => {
            let m: u8 = rest.parse().ok().filter(|m| (1..=12).contains(m) && rest.len() == 2)?;
            (m, 1)
        }
        ReportingCycle::Quarterly => {
            let q: u8 = rest.strip_prefix('Q')?.parse().ok().filter(|q| (1..=4).contains(q))?;
            ((q - 1) * 3 + 1, 3)
        }
    };
    let start = |y: i32, m: u8| {
        let (y, m) = if m > 12 { (y + 1, m - 12) } else { (y, m) };
        let month = time::Month::try_from(m).ok()?;
        let date = time::Date::from_calendar_date(y, month, 1).ok()?;
        Some(date.midnight().assume_offset(crate::period::CHINA_STANDARD_TIME).to_offset(time::UtcOffset::UTC))
    };
    Some((start(year, first_month)?, start(year, first_month + months)?))
}

/// The period before the one `t` falls in: the one a reminder is about.
pub fn previous_period(cycle: ReportingCycle, t: OffsetDateTime) -> String {
    let (from, _) = period_bounds(cycle, &period_code(cycle, t)).expect("a period's own code parses");
    period_code(cycle, from - Duration::seconds(1))
}

/// S2 ¶1 asks for prompt recording; S11 lets a province set the limit. The delay is what passed
/// between the inquiry and its recording; an entry is late when that is over the limit.
pub fn recording_delay(occurred_at: OffsetDateTime, recorded_at: OffsetDateTime) -> Duration {
    (recorded_at - occurred_at).max(Duration::ZERO)
}

pub fn is_late(occurred_at: OffsetDateTime, recorded_at: OffsetDateTime, limit: Duration) -> bool {
    recording_delay(occurred_at, recorded_at) > limit
}

/// A contact the case-management system saw, and an entry of the store.
pub struct ContactFacts<'a> {
    pub case_number: &'a str,
    pub occurred_at: OffsetDateTime,
    pub person: Option<&'a str>,
}

pub struct EntryFacts<'a> {
    pub case_number: Option<&'a str>,
    pub occurred_at: OffsetDateTime,
    pub intervener_name: &'a str,
}

/// Whether an entry answers a contact: the same case, an inquiry within `window` of the contact,
/// and, where the contact names a person, that person (the name written either way round).
pub fn entry_answers_contact(contact: &ContactFacts<'_>, entry: &EntryFacts<'_>, window: Duration) -> bool {
    // Both case numbers are in the canonical form `parse_case_number_with` gives (the store keeps
    // entries' and contacts' that way).
    let same_case = entry.case_number == Some(contact.case_number);
    let near = (entry.occurred_at - contact.occurred_at).abs() <= window;
    let person = contact.person.map(squeeze).filter(|p| !p.is_empty());
    let same_person = person.is_none_or(|p| {
        let name = squeeze(entry.intervener_name);
        name.contains(&p) || p.contains(&name)
    });
    same_case && near && same_person
}

/// A contact without an entry becomes a question to the case's judge once the time limit for
/// recording has passed.
pub fn contact_is_due(contact_at: OffsetDateTime, limit: Duration, now: OffsetDateTime) -> bool {
    now - contact_at > limit
}

/// Who an entry names, as one key: name, unit and post with white space and full-width forms
/// folded, so that "张某 / 某区人民政府 / 区长" and "张某／某区人民政府／区长" are one cadre. The office
/// confirms merges of keys that differ (a new post, a renamed unit): the system never guesses.
pub fn cadre_key(name: &str, unit: &str, post: &str) -> String {
    [name, unit, post].iter().map(|s| squeeze(s)).collect::<Vec<_>>().join("/")
}

/// Without white space, full-width ASCII folded to half-width, Latin letters in lower case.
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// A field that is required and at most `max` characters, as the finding and complaint forms
/// check it.
pub fn text_ok(value: &str, max: usize) -> bool {
    let n = value.trim().chars().count();
    n > 0 && n <= max
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_first_finding_calls_for_warning_or_criticism() {
        let p = propose_sanction(FindingKind::NotRecorded, 0);
        assert_eq!(p.allowed, [Sanction::Warning, Sanction::Criticism]);
        assert!(p.basis_zh.contains("警告、通报批评"));
        assert_eq!(propose_sanction(FindingKind::RecordedUntruthfully, 0).allowed, p.allowed);
    }

    #[test]
    fn a_second_finding_calls_for_discipline_under_article_54() {
        for prior in [1, 2, 7] {
            for kind in [FindingKind::NotRecorded, FindingKind::RecordedUntruthfully] {
                assert_eq!(propose_sanction(kind, prior).allowed, [Sanction::DisciplineArt54], "{kind:?} {prior}");
            }
        }
    }

    #[test]
    fn the_instructing_supervisor_is_disciplined_under_article_76_at_once() {
        assert_eq!(propose_sanction(FindingKind::InstructedNotToRecord, 0).allowed, [Sanction::DisciplineArt76]);
        assert_eq!(propose_sanction(FindingKind::InstructedNotToRecord, 3).allowed, [Sanction::DisciplineArt76]);
    }

    #[test]
    fn periods_are_cut_in_china_standard_time() {
        // 16:30 UTC on 31 October is already 1 November in Beijing.
        let t = datetime!(2026-10-31 16:30 UTC);
        assert_eq!(period_code(ReportingCycle::Monthly, t), "2026-11");
        assert_eq!(period_code(ReportingCycle::Quarterly, t), "2026-Q4");
        let (from, to) = period_bounds(ReportingCycle::Monthly, "2026-12").unwrap();
        assert_eq!(from, datetime!(2026-11-30 16:00 UTC));
        assert_eq!(to, datetime!(2026-12-31 16:00 UTC));
        let (from, to) = period_bounds(ReportingCycle::Quarterly, "2026-Q4").unwrap();
        assert_eq!((from, to), (datetime!(2026-09-30 16:00 UTC), datetime!(2026-12-31 16:00 UTC)));
        assert_eq!(previous_period(ReportingCycle::Monthly, datetime!(2026-01-05 00:00 UTC)), "2025-12");
        assert_eq!(previous_period(ReportingCycle::Quarterly, t), "2026-Q3");
        for bad in ["2026-13", "2026-1", "2026-Q4", "x-01", "2026", "1999-01"] {
            assert!(period_bounds(ReportingCycle::Monthly, bad).is_none(), "{bad}");
        }
        for bad in ["2026-11", "2026-Q5", "2026-Q0"] {
            assert!(period_bounds(ReportingCycle::Quarterly, bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn an_entry_over_the_limit_is_late() {
        let at = datetime!(2026-05-01 09:00 UTC);
        let limit = Duration::days(3);
        assert!(!is_late(at, at + Duration::days(3), limit));
        assert!(is_late(at, at + Duration::days(3) + Duration::minutes(1), limit));
        // A recording time before the inquiry (a clock's error) is no delay, not a negative one.
        assert_eq!(recording_delay(at, at - Duration::hours(1)), Duration::ZERO);
    }

    #[test]
    fn a_contact_is_answered_by_an_entry_of_the_same_case_person_and_time() {
        let contact = ContactFacts {
            case_number: "（2026）示0101民初100号",
            occurred_at: datetime!(2026-05-01 09:00 UTC),
            person: Some("张某"),
        };
        let entry = |case: Option<&'static str>, days: i64, name: &'static str| EntryFacts {
            case_number: case,
            occurred_at: datetime!(2026-05-01 09:00 UTC) + Duration::days(days),
            intervener_name: name,
        };
        let window = Duration::days(3);
        assert!(entry_answers_contact(&contact, &entry(Some("（2026）示0101民初100号"), 1, "张某"), window));
        assert!(!entry_answers_contact(&contact, &entry(Some("（2026）示0101民初101号"), 0, "张某"), window));
        assert!(!entry_answers_contact(&contact, &entry(Some("（2026）示0101民初100号"), 5, "张某"), window));
        assert!(!entry_answers_contact(&contact, &entry(Some("（2026）示0101民初100号"), 0, "李某"), window));
        assert!(!entry_answers_contact(&contact, &entry(None, 0, "张某"), window));
        let anyone = ContactFacts { person: None, ..contact };
        assert!(entry_answers_contact(&anyone, &entry(Some("（2026）示0101民初100号"), -2, "李某"), window));
        assert!(contact_is_due(datetime!(2026-05-01 09:00 UTC), window, datetime!(2026-05-04 09:01 UTC)));
        assert!(!contact_is_due(datetime!(2026-05-01 09:00 UTC), window, datetime!(2026-05-04 09:00 UTC)));
    }

    #[test]
    fn the_same_cadre_written_differently_has_one_key() {
        assert_eq!(cadre_key("张某", "某区人民政府", "区长"), cadre_key(" 张 某", "某区人民政府 ", "区长"));
        assert_eq!(cadre_key("ＺＨＡＮＧ", "Unit", "x"), cadre_key("zhang", "unit", "X"));
        assert_ne!(cadre_key("张某", "某区人民政府", "区长"), cadre_key("张某", "某区人民政府", "副区长"));
    }
}

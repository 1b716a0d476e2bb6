//! The quarterly analysis (R8, S6 ¶1; R11, S7): from the store's leading-cadre entries of a court
//! (and, for an upper court, the courts below it), totals and breakdowns, repeat interveners, the
//! serious entries, the S7 items one by one, the separate part on same-level main leaders, and
//! comparisons with the previous quarter and the same quarter a year before. A quarter without
//! entries is a 零报告 that says so. Quarters are cut in China Standard Time.

use std::collections::BTreeMap;

use liuhen_rules::period::{CHINA_STANDARD_TIME, format_cst};
use liuhen_rules::{Form, Listed, ManagingLevel, Stage, UnitType, parse_recorded_case_number};
use serde::Serialize;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

use crate::{Count, Entry};

/// A period a report covers: a quarter (R8) or a half-year (R10), cut in China Standard Time.
pub trait Period: Copy {
    /// The first instant and the first after it, in UTC.
    fn bounds(self) -> (OffsetDateTime, OffsetDateTime);
    fn previous(self) -> Self;
    /// The same period a year before.
    fn year_before(self) -> Self;
    fn year(self) -> i32;
    /// The quarter (1–4) or half (1–2).
    fn number(self) -> u8;
    /// `2026Q1`, `2026H1`.
    fn code(self) -> String;
    fn zh(self) -> String;
    fn en(self) -> String;
    fn contains(self, t: OffsetDateTime) -> bool {
        let (from, to) = self.bounds();
        from <= t && t < to
    }
}

fn month_start(year: i32, month: u8) -> OffsetDateTime {
    Date::from_calendar_date(year, Month::try_from(month).expect("a month"), 1)
        .expect("the first of a month")
        .with_time(Time::MIDNIGHT)
        .assume_offset(CHINA_STANDARD_TIME)
        .to_offset(UtcOffset::UTC)
}

/// A half-year (S6 ¶2, R10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HalfYear {
    pub year: i32,
    /// 1 or 2.
    pub h: u8,
}

impl HalfYear {
    pub fn new(year: i32, h: u8) -> Option<HalfYear> {
        (1..=2).contains(&h).then_some(HalfYear { year, h })
    }
    pub fn of(t: OffsetDateTime) -> HalfYear {
        let (year, h) = liuhen_rules::period::half_year_of(t);
        HalfYear { year, h }
    }
}

impl Period for HalfYear {
    fn bounds(self) -> (OffsetDateTime, OffsetDateTime) {
        let end = if self.h == 1 { month_start(self.year, 7) } else { month_start(self.year + 1, 1) };
        (month_start(self.year, if self.h == 1 { 1 } else { 7 }), end)
    }
    fn previous(self) -> HalfYear {
        if self.h == 1 { HalfYear { year: self.year - 1, h: 2 } } else { HalfYear { year: self.year, h: 1 } }
    }
    fn year_before(self) -> HalfYear {
        HalfYear { year: self.year - 1, h: self.h }
    }
    fn year(self) -> i32 {
        self.year
    }
    fn number(self) -> u8 {
        self.h
    }
    fn code(self) -> String {
        format!("{}H{}", self.year, self.h)
    }
    fn zh(self) -> String {
        format!("{}年{}", self.year, if self.h == 1 { "上半年" } else { "下半年" })
    }
    fn en(self) -> String {
        format!("H{} {}", self.h, self.year)
    }
}

/// A quarter of a year, cut in China Standard Time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1–4.
    pub q: u8,
}

impl Quarter {
    pub fn new(year: i32, q: u8) -> Option<Quarter> {
        (1..=4).contains(&q).then_some(Quarter { year, q })
    }

    pub fn of(t: OffsetDateTime) -> Quarter {
        let (year, q) = liuhen_rules::period::quarter_of(t);
        Quarter { year, q }
    }

    /// The first instant of the quarter and the first after it, in UTC.
    pub fn bounds(self) -> (OffsetDateTime, OffsetDateTime) {
        let next = self.next();
        (month_start(self.year, (self.q - 1) * 3 + 1), month_start(next.year, (next.q - 1) * 3 + 1))
    }

    pub fn next(self) -> Quarter {
        if self.q == 4 { Quarter { year: self.year + 1, q: 1 } } else { Quarter { year: self.year, q: self.q + 1 } }
    }

    pub fn previous(self) -> Quarter {
        if self.q == 1 { Quarter { year: self.year - 1, q: 4 } } else { Quarter { year: self.year, q: self.q - 1 } }
    }

    pub fn zh(self) -> String {
        format!("{}年第{}季度", self.year, ["一", "二", "三", "四"][usize::from(self.q - 1)])
    }

    pub fn en(self) -> String {
        format!("Q{} {}", self.q, self.year)
    }
}

impl Period for Quarter {
    fn bounds(self) -> (OffsetDateTime, OffsetDateTime) {
        Quarter::bounds(self)
    }
    fn previous(self) -> Quarter {
        Quarter::previous(self)
    }
    fn year_before(self) -> Quarter {
        Quarter { year: self.year - 1, q: self.q }
    }
    fn year(self) -> i32 {
        self.year
    }
    fn number(self) -> u8 {
        self.q
    }
    fn code(self) -> String {
        format!("{}Q{}", self.year, self.q)
    }
    fn zh(self) -> String {
        Quarter::zh(self)
    }
    fn en(self) -> String {
        Quarter::en(self)
    }
}

/// One entry as a report lists it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Line {
    pub id: String,
    pub court_id: String,
    /// China Standard Time.
    pub occurred_at: String,
    pub case_number: String,
    pub intervener: String,
    pub form_zh: String,
    pub special_items: Vec<u8>,
    pub serious: bool,
    /// C7 ¶2, R13: where the entry must go next — the Party committee that manages the cadre.
    pub next_zh: String,
    pub next_en: String,
}

/// Someone who inquired more than once, across cases and quarters (up to this quarter's end).
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RepeatIntervener {
    pub name: String,
    pub unit: String,
    /// The post as last recorded.
    pub post: String,
    pub total: u64,
    pub this_quarter: u64,
    /// Distinct case numbers (or titles) inquired about.
    pub cases: Vec<String>,
    /// The quarters with entries, e.g. `2026年第一季度`.
    pub quarters: Vec<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct QuarterlyAnalysis {
    pub court_id: String,
    /// `2026Q1` for a quarter, `2026H1` for a half-year.
    pub period: String,
    pub year: i32,
    /// The quarter, or the half of a half-year report.
    pub quarter: u8,
    pub label_zh: String,
    pub label_en: String,
    /// The quarter's first instant and the first after it, China Standard Time.
    pub from: String,
    pub to: String,
    /// Leading-cadre entries of the store in the quarter.
    pub total: u64,
    /// 零报告: no entries this quarter, and the report says so.
    pub zero_report: bool,
    pub previous_quarter_total: u64,
    pub same_quarter_last_year_total: u64,
    pub entries_with_special_items: u64,
    pub by_special_item: Vec<Count>,
    pub by_unit_type: Vec<Count>,
    pub by_managing_level: Vec<Count>,
    pub by_form: Vec<Count>,
    pub by_stage: Vec<Count>,
    pub by_case_type: Vec<Count>,
    pub by_handling: Vec<Count>,
    /// For an upper court: each court below (and itself).
    pub by_court: Vec<Count>,
    /// How the store's maintainers screened the period's entries (甄别, issue 8), with those not yet
    /// screened; absent from reports sealed before it existed.
    #[serde(default)]
    pub by_screening: Vec<Count>,
    pub repeat_interveners: Vec<RepeatIntervener>,
    pub serious: Vec<Line>,
    /// Each entry with S7 items, listed one by one (R11).
    pub special_items: Vec<Line>,
    /// Entries involving main leaders of the same-level Party or political-legal committee: the
    /// separate part that goes one level up (R8, C7).
    pub main_leaders: Vec<Line>,
}

fn listed<T: Listed + PartialEq>(entries: &[&Entry], of: impl Fn(&Entry) -> Option<T>) -> Vec<Count> {
    T::ALL
        .iter()
        .map(|t| Count {
            code: t.code().into(),
            zh: t.zh().into(),
            en: t.en().into(),
            count: entries.iter().filter(|e| of(e) == Some(*t)).count() as u64,
        })
        .collect()
}

fn tally(keys: impl Iterator<Item = (String, String, String)>) -> Vec<Count> {
    let mut map: BTreeMap<String, Count> = BTreeMap::new();
    for (code, zh, en) in keys {
        map.entry(code.clone()).or_insert(Count { code, zh, en, count: 0 }).count += 1;
    }
    let mut counts: Vec<Count> = map.into_values().collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    counts
}

fn line(e: &Entry) -> Line {
    let r = &e.facts;
    let i = &r.intervener;
    let (next_zh, next_en) = crate::routing::next_for(i.managing_level);
    Line {
        id: e.id.clone(),
        court_id: e.court_id.clone(),
        occurred_at: format_cst(r.occurred_at),
        case_number: r.case_number.clone().or_else(|| r.case_title.clone()).unwrap_or_default(),
        intervener: i.described(),
        form_zh: r.form.zh().into(),
        special_items: r.special_items.clone(),
        serious: r.serious,
        next_zh: next_zh.into(),
        next_en: next_en.into(),
    }
}

/// What the analysis needs besides the period's entries, which the store counts and looks up
/// rather than hands over entry by entry (a province holds millions): the totals of the previous
/// period and of the same period a year before, the earlier entries of the period's interveners,
/// the office's confirmed merges of cadres, and how the period's entries were screened (issue 8).
#[derive(Debug, Clone, Default)]
pub struct Earlier {
    pub previous_total: u64,
    pub year_before_total: u64,
    /// Entries that count in the analysis (see [`liuhen_rules::Record::counts_in_analysis`]), before the period, by the
    /// same name and unit as an intervener of the period (or one merged with them).
    pub entries: Vec<EarlierEntry>,
    /// R16: (name, unit) as written in entries → the (name, unit) the office confirmed is the same
    /// cadre; the repeat list counts them as one person.
    pub aliases: std::collections::HashMap<(String, String), (String, String)>,
    /// The latest screening (甄别) of each of the period's entries that has one, by entry id.
    pub screenings: std::collections::HashMap<String, liuhen_rules::Screening>,
}

/// An earlier entry of a repeat intervener, as the repeat list needs it.
#[derive(Debug, Clone)]
pub struct EarlierEntry {
    pub name: String,
    pub unit: String,
    pub occurred_at: OffsetDateTime,
    /// The case number, or the case's title when it has none yet.
    pub case: Option<String>,
}

/// The analysis of `court_id`'s `quarter` from `entries`, every entry of the court and the courts
/// below that counts in the analysis and occurred in the period (others are ignored), and `earlier`, what came
/// before. `court_names` labels the breakdown by court.
pub fn analyse<'a>(
    court_id: &str,
    quarter: impl Period,
    entries: &'a [Entry],
    earlier: &'a Earlier,
    court_names: &BTreeMap<String, String>,
) -> QuarterlyAnalysis {
    let now: Vec<&Entry> = entries.iter().filter(|e| quarter.contains(e.facts.occurred_at)).collect();

    let by_special_item = liuhen_rules::SPECIAL_ITEMS
        .iter()
        .map(|item| Count {
            code: item.number.to_string(),
            zh: format!("{}{}", item.numeral, item.short_zh),
            en: item.text_en.into(),
            count: now.iter().filter(|e| e.facts.special_items.contains(&item.number)).count() as u64,
        })
        .collect();
    let by_case_type =
        tally(now.iter().map(
            |e| match e.facts.case_number.as_deref().and_then(|c| parse_recorded_case_number(c).ok()) {
                Some(c) => {
                    let name = c.case_type_name.clone().unwrap_or_else(|| c.case_type_code.clone());
                    (c.case_type_code.clone(), name.clone(), name)
                }
                None => ("none".into(), "尚无案号".into(), "no case number yet".into()),
            },
        ));
    let handled = now.iter().filter(|e| e.facts.handled).count();
    let by_handling = vec![
        Count {
            code: "recorded".into(),
            zh: "已记录处理情况".into(),
            en: "handling recorded".into(),
            count: handled as u64,
        },
        Count {
            code: "missing".into(),
            zh: "未记录处理情况".into(),
            en: "handling not recorded".into(),
            count: (now.len() - handled) as u64,
        },
    ];
    // One pass over the entries, not one per court: a province has over a hundred.
    let mut per_court: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for e in &now {
        *per_court.entry(e.court_id.as_str()).or_default() += 1;
    }
    let mut by_court: Vec<Count> = court_names
        .iter()
        .map(|(id, name)| Count {
            code: id.clone(),
            zh: name.clone(),
            en: name.clone(),
            count: per_court.get(id.as_str()).copied().unwrap_or(0),
        })
        .collect();
    by_court.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));

    // Repeat interveners: the same name and unit more than once up to the period's end, among
    // those who inquired in the period. Keyed by borrowed, trimmed text: a province's quarter has
    // tens of thousands of interveners and their earlier entries several times that.
    struct Person<'a> {
        seen: Vec<(OffsetDateTime, Option<&'a str>)>,
        this_quarter: u64,
        /// The post as last recorded, and when.
        post: (OffsetDateTime, &'a str),
    }
    let mut people: std::collections::HashMap<(&str, &str), Person> =
        std::collections::HashMap::with_capacity(now.len());
    // The office's merges (R16): a cadre written under another name or unit is the same person.
    let alias = |name: &'a str, unit: &'a str| -> (&'a str, &'a str) {
        if earlier.aliases.is_empty() {
            return (name, unit);
        }
        match earlier.aliases.get(&(name.to_string(), unit.to_string())) {
            Some((n, u)) => (n.as_str(), u.as_str()),
            None => (name, unit),
        }
    };
    for e in &now {
        let (i, at) = (&e.facts.intervener, e.facts.occurred_at);
        let person = people.entry(alias(i.name.trim(), i.unit.trim())).or_insert_with(|| Person {
            seen: Vec::new(),
            this_quarter: 0,
            post: (at, &i.post),
        });
        person.seen.push((at, e.facts.case_number.as_deref().or(e.facts.case_title.as_deref())));
        person.this_quarter += 1;
        if at >= person.post.0 {
            person.post = (at, &i.post);
        }
    }
    for e in &earlier.entries {
        if let Some(person) = people.get_mut(&alias(e.name.trim(), e.unit.trim())) {
            person.seen.push((e.occurred_at, e.case.as_deref()));
        }
    }
    let mut repeat_interveners: Vec<RepeatIntervener> = people
        .into_iter()
        .filter(|(_, person)| person.seen.len() > 1)
        .map(|((name, unit), mut person)| {
            person.seen.sort_by_key(|s| s.0);
            let mut cases: Vec<&str> = person.seen.iter().filter_map(|s| s.1).collect();
            cases.sort_unstable();
            cases.dedup();
            let mut quarters: Vec<Quarter> = person.seen.iter().map(|s| Quarter::of(s.0)).collect();
            quarters.dedup();
            RepeatIntervener {
                name: name.to_string(),
                unit: unit.to_string(),
                post: person.post.1.to_string(),
                total: person.seen.len() as u64,
                this_quarter: person.this_quarter,
                cases: cases.into_iter().map(str::to_string).collect(),
                quarters: quarters.into_iter().map(Quarter::zh).collect(),
            }
        })
        .collect();
    repeat_interveners.sort_unstable_by(|a, b| {
        b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)).then_with(|| a.unit.cmp(&b.unit))
    });

    let mut by_screening: Vec<Count> = liuhen_rules::Screening::ALL
        .iter()
        .map(|s| Count {
            code: s.code().into(),
            zh: s.zh().into(),
            en: s.en().into(),
            count: now.iter().filter(|e| earlier.screenings.get(&e.id) == Some(s)).count() as u64,
        })
        .collect();
    by_screening.push(Count {
        code: "not_screened".into(),
        zh: "尚未甄别".into(),
        en: "not screened yet".into(),
        count: now.iter().filter(|e| !earlier.screenings.contains_key(&e.id)).count() as u64,
    });

    let mut sorted = now.clone();
    sorted.sort_by(|a, b| a.facts.occurred_at.cmp(&b.facts.occurred_at).then_with(|| a.id.cmp(&b.id)));
    let (from, to) = quarter.bounds();
    QuarterlyAnalysis {
        court_id: court_id.to_string(),
        period: quarter.code(),
        year: quarter.year(),
        quarter: quarter.number(),
        label_zh: quarter.zh(),
        label_en: quarter.en(),
        from: format_cst(from),
        to: format_cst(to),
        total: now.len() as u64,
        zero_report: now.is_empty(),
        previous_quarter_total: earlier.previous_total,
        same_quarter_last_year_total: earlier.year_before_total,
        entries_with_special_items: now.iter().filter(|e| !e.facts.special_items.is_empty()).count() as u64,
        by_special_item,
        by_unit_type: listed::<UnitType>(&now, |e| Some(e.facts.intervener.unit_type)),
        by_managing_level: listed::<ManagingLevel>(&now, |e| e.facts.intervener.managing_level),
        by_form: listed::<Form>(&now, |e| Some(e.facts.form)),
        by_stage: listed::<Stage>(&now, |e| Some(e.facts.stage)),
        by_case_type,
        by_handling,
        by_court,
        by_screening,
        repeat_interveners,
        serious: sorted.iter().filter(|e| e.facts.serious).map(|e| line(e)).collect(),
        special_items: sorted.iter().filter(|e| !e.facts.special_items.is_empty()).map(|e| line(e)).collect(),
        main_leaders: sorted.iter().filter(|e| e.facts.same_level_main_leader).map(|e| line(e)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn quarters_are_cut_in_china_standard_time() {
        // 2026-03-31 23:30 in Beijing is 15:30 UTC: the first quarter.
        assert_eq!(Quarter::of(datetime!(2026-03-31 15:30 UTC)), Quarter { year: 2026, q: 1 });
        // 2026-03-31 16:00 UTC is 2026-04-01 00:00 in Beijing: the second.
        assert_eq!(Quarter::of(datetime!(2026-03-31 16:00 UTC)), Quarter { year: 2026, q: 2 });
        let (from, to) = Quarter { year: 2026, q: 1 }.bounds();
        assert_eq!(from, datetime!(2025-12-31 16:00 UTC));
        assert_eq!(to, datetime!(2026-03-31 16:00 UTC));
        assert_eq!(Quarter { year: 2026, q: 1 }.previous(), Quarter { year: 2025, q: 4 });
        assert_eq!(Quarter { year: 2026, q: 4 }.next(), Quarter { year: 2027, q: 1 });
        assert_eq!(Quarter { year: 2026, q: 1 }.zh(), "2026年第一季度");
        assert!(Quarter::new(2026, 5).is_none());
        let h1 = HalfYear { year: 2026, h: 1 };
        assert_eq!(h1.bounds(), (datetime!(2025-12-31 16:00 UTC), datetime!(2026-06-30 16:00 UTC)));
        assert_eq!(h1.previous(), HalfYear { year: 2025, h: 2 });
        assert_eq!((h1.zh(), h1.code()), ("2026年上半年".to_string(), "2026H1".to_string()));
        assert_eq!(HalfYear::of(datetime!(2026-06-30 16:00 UTC)), HalfYear { year: 2026, h: 2 }, "1 July in Beijing");
    }
}

//! The record of one inquiry (S4) and the rules a record must meet before it is stored.
//! `RecordDraft` is what arrives (every field optional, codes as text) so that every problem can be
//! reported at once; `Record` is what is stored, typed and normalised.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::lists::{Form, Listed, ManagingLevel, Register, Relation, Stage, UnitType};

pub(crate) mod checker;
mod validate;

pub use validate::validate_record;

/// Longest texts, in characters. One event must stay below the 64 KiB a tlog entry can hold
/// (docs/ledger.md); anything longer belongs in a material, whose hash is in the event.
pub const MAX_CONTENT_CHARS: usize = 8000;
pub const MAX_HANDLING_CHARS: usize = 4000;
pub const MAX_BASIS_CHARS: usize = 2000;
pub const MAX_SHORT_CHARS: usize = 100;
pub const MAX_MEDIUM_CHARS: usize = 500;
pub const MAX_PERSONS: usize = 50;

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PrincipalDraft {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub post: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IntervenerDraft {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub post: Option<String>,
    /// A code of the C12 unit-type list.
    pub unit_type: Option<String>,
    pub leading_cadre: Option<bool>,
    pub retired: Option<bool>,
    /// A code: self, in_name_of_organisation, cadre_staff, relative, other.
    pub relation: Option<String>,
    /// The cadre behind staff or relatives, when known (R2).
    pub principal: Option<PrincipalDraft>,
    /// Which Party committee manages the cadre (R13); required for leading cadres.
    pub managing_level: Option<String>,
}

/// A record as submitted by a page, the API or the case-management system.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RecordDraft {
    /// store (default), entrusted_opinion (S5) or internal_inquiry (S10 ¶3).
    pub register: Option<String>,
    /// 案号; may be left out only at the filing stage, with a case title instead.
    pub case_number: Option<String>,
    pub case_title: Option<String>,
    pub stage: Option<String>,
    pub intervener: Option<IntervenerDraft>,
    /// When the inquiry happened: RFC 3339, or `YYYY-MM-DD HH:MM` in China Standard Time.
    pub occurred_at: Option<String>,
    pub form: Option<String>,
    /// What was said or asked.
    pub content: Option<String>,
    /// How the court handled it.
    pub handling: Option<String>,
    /// Network forms: 信息存储介质情况.
    pub storage_medium: Option<String>,
    /// Oral forms: where it happened.
    pub place: Option<String>,
    /// Oral forms: the people present.
    pub persons_present: Option<Vec<String>>,
    /// Oral forms: the other court staff present (their user names); each co-signs (R4).
    pub court_staff_present: Option<Vec<String>>,
    /// S7 items, 1–15.
    #[schema(value_type = Option<Vec<SpecialItemNumber>>)]
    pub special_items: Option<Vec<u8>>,
    /// C8 kind, 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub c8_kind: Option<u8>,
    /// Serious interference that may cause a wrongful judgment (R9).
    pub serious: Option<bool>,
    /// R8, C7: the intervener is (or acts for) a main leader of the same-level Party committee or
    /// its political-legal committee; such entries are reported one level up, as a separate part.
    pub same_level_main_leader: Option<bool>,
    /// S5: the court's request or permission the opinion was given under.
    pub entrusted_basis: Option<String>,
}

/// The number of an item of S7's list, as the API describes it; the draft itself takes any byte so
/// that a number out of range is one of the problems reported together.
pub struct SpecialItemNumber;

impl utoipa::PartialSchema for SpecialItemNumber {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(15)).into()
    }
}

impl utoipa::ToSchema for SpecialItemNumber {}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Principal {
    pub name: String,
    pub unit: Option<String>,
    pub post: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Intervener {
    pub name: String,
    pub unit: String,
    pub post: String,
    pub unit_type: UnitType,
    pub leading_cadre: bool,
    pub retired: bool,
    pub relation: Relation,
    pub principal: Option<Principal>,
    pub managing_level: Option<ManagingLevel>,
}

/// A valid record, as it goes into an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Record {
    pub register: Register,
    pub case_number: Option<String>,
    pub case_title: Option<String>,
    pub stage: Stage,
    pub intervener: Intervener,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub form: Form,
    pub content: String,
    pub handling: Option<String>,
    pub storage_medium: Option<String>,
    pub place: Option<String>,
    pub persons_present: Vec<String>,
    pub court_staff_present: Vec<String>,
    pub special_items: Vec<u8>,
    pub c8_kind: Option<u8>,
    pub serious: bool,
    pub entrusted_basis: Option<String>,
    /// R8, C7: involves a main leader of the same-level Party committee or political-legal
    /// committee. Written into an entry only when true, so entries made before it existed keep
    /// their exact bytes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same_level_main_leader: bool,
}

/// What validation needs to know besides the draft.
pub struct Context<'a> {
    pub now: OffsetDateTime,
    /// The user name of the person recording: they cannot co-sign their own record.
    pub recorder: &'a str,
    /// Region abbreviations the deployment adds to the case-number rules (S11).
    pub extra_regions: &'a [String],
}

impl Intervener {
    /// As reports, receipts and notices name them: 张某（某区人民政府，副区长）.
    pub fn described(&self) -> String {
        format!("{}（{}，{}）", self.name, self.unit, self.post)
    }
}

impl Record {
    /// Whether the record counts in the store and its statistics (S5 and S10 ¶3 paths do not).
    pub fn in_store(&self) -> bool {
        self.register == Register::Store
    }

    /// Whether the record counts in the reports' analysis (R8, S6 ¶1): a store entry of a leading
    /// cadre's own, or made for a named cadre by their staff or relatives (S2 ¶2).
    pub fn counts_in_analysis(&self) -> bool {
        self.in_store() && (self.intervener.leading_cadre || self.intervener.principal.is_some())
    }

    /// What reports read of this record.
    pub fn facts(&self) -> RecordFacts {
        RecordFacts {
            case_number: self.case_number.clone(),
            case_title: self.case_title.clone(),
            stage: self.stage,
            intervener: self.intervener.clone(),
            occurred_at: self.occurred_at,
            form: self.form,
            handled: self.handling.as_deref().is_some_and(|h| !h.trim().is_empty()),
            special_items: self.special_items.clone(),
            serious: self.serious,
            same_level_main_leader: self.same_level_main_leader,
        }
    }
}

/// What the reports count and list of a record (R8, R11): everything but its free text (what was
/// said, the handling as written, places and persons present). The store keeps these beside each
/// entry that counts in the analysis, so that a province's quarter is read without decoding
/// every record whole.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RecordFacts {
    pub case_number: Option<String>,
    pub case_title: Option<String>,
    pub stage: Stage,
    pub intervener: Intervener,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub form: Form,
    /// Whether the handling (处理情况) was recorded.
    pub handled: bool,
    pub special_items: Vec<u8>,
    pub serious: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same_level_main_leader: bool,
}

impl From<&Record> for RecordDraft {
    fn from(r: &Record) -> Self {
        RecordDraft {
            register: Some(r.register.code().into()),
            case_number: r.case_number.clone(),
            case_title: r.case_title.clone(),
            stage: Some(r.stage.code().into()),
            intervener: Some(IntervenerDraft {
                name: Some(r.intervener.name.clone()),
                unit: Some(r.intervener.unit.clone()),
                post: Some(r.intervener.post.clone()),
                unit_type: Some(r.intervener.unit_type.code().into()),
                leading_cadre: Some(r.intervener.leading_cadre),
                retired: Some(r.intervener.retired),
                relation: Some(r.intervener.relation.code().into()),
                principal: r.intervener.principal.as_ref().map(|p| PrincipalDraft {
                    name: Some(p.name.clone()),
                    unit: p.unit.clone(),
                    post: p.post.clone(),
                }),
                managing_level: r.intervener.managing_level.map(|m| m.code().into()),
            }),
            occurred_at: Some(crate::period::format_utc(r.occurred_at)),
            form: Some(r.form.code().into()),
            content: Some(r.content.clone()),
            handling: r.handling.clone(),
            storage_medium: r.storage_medium.clone(),
            place: r.place.clone(),
            persons_present: Some(r.persons_present.clone()),
            court_staff_present: Some(r.court_staff_present.clone()),
            special_items: Some(r.special_items.clone()),
            c8_kind: r.c8_kind,
            serious: Some(r.serious),
            entrusted_basis: r.entrusted_basis.clone(),
            same_level_main_leader: Some(r.same_level_main_leader),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Problem;
    use time::macros::datetime;

    fn ctx() -> Context<'static> {
        Context { now: datetime!(2026-06-01 08:00 UTC), recorder: "clerk1", extra_regions: &[] }
    }

    fn letter() -> RecordDraft {
        RecordDraft {
            case_number: Some("（2026）京0105民初12号".into()),
            stage: Some("trial".into()),
            intervener: Some(IntervenerDraft {
                name: Some("张某".into()),
                unit: Some("某区人民政府".into()),
                post: Some("副区长".into()),
                unit_type: Some("government".into()),
                leading_cadre: Some(true),
                relation: Some("self".into()),
                managing_level: Some("municipal".into()),
                ..Default::default()
            }),
            occurred_at: Some("2026-05-20 10:00".into()),
            form: Some("letter".into()),
            content: Some("来信要求对某公司从轻处理".into()),
            ..Default::default()
        }
    }

    fn fields(r: Result<Record, Vec<Problem>>) -> Vec<(String, &'static str)> {
        r.expect_err("should fail").into_iter().map(|p| (p.field, p.rule)).collect()
    }

    #[test]
    fn a_complete_letter_is_valid() {
        let r = validate_record(&letter(), &ctx()).unwrap();
        assert_eq!(r.form, Form::Letter);
        assert_eq!(r.register, Register::Store);
        assert_eq!(r.occurred_at, datetime!(2026-05-20 02:00 UTC));
        assert!(r.in_store());
    }

    #[test]
    fn the_reports_facts_keep_what_is_counted_and_leave_the_free_text() {
        let mut r = validate_record(&letter(), &ctx()).unwrap();
        assert!(r.counts_in_analysis());
        let facts = r.facts();
        assert_eq!((facts.occurred_at, facts.form, &facts.intervener), (r.occurred_at, r.form, &r.intervener));
        assert!(!facts.handled, "no handling recorded");
        let json = serde_json::to_string(&facts).unwrap();
        assert!(!json.contains("从轻处理"), "what was said stays in the record: {json}");
        assert!(!json.contains("same_level_main_leader"), "written only when true, as in the record");
        assert_eq!(serde_json::from_str::<RecordFacts>(&json).unwrap(), facts);

        r.handling = Some("  ".into());
        assert!(!r.facts().handled, "blank handling is no handling");
        r.handling = Some("已告知依法办理".into());
        assert!(r.facts().handled);

        // Staff acting for a named cadre count (S2 ¶2); someone else's do not; nor S5 entries.
        r.intervener.leading_cadre = false;
        assert!(!r.counts_in_analysis());
        r.intervener.principal = Some(Principal { name: "王某".into(), unit: None, post: None });
        assert!(r.counts_in_analysis());
        r.register = Register::EntrustedOpinion;
        assert!(!r.counts_in_analysis());
    }

    #[test]
    fn an_empty_draft_reports_every_missing_field_at_once() {
        let f = fields(validate_record(&RecordDraft::default(), &ctx()));
        for want in [
            "stage",
            "case_number",
            "intervener.name",
            "intervener.unit",
            "intervener.post",
            "intervener.unit_type",
            "intervener.relation",
            "intervener.leading_cadre",
            "occurred_at",
            "form",
            "content",
        ] {
            assert!(f.iter().any(|(field, _)| field == want), "missing problem for {want}: {f:?}");
        }
    }

    #[test]
    fn network_forms_need_the_storage_medium() {
        for form in Form::ALL.iter().filter(|f| f.is_network()) {
            let mut d = letter();
            d.form = Some(form.code().into());
            assert_eq!(fields(validate_record(&d, &ctx())), vec![("storage_medium".to_string(), "R4")], "{form:?}");
            d.storage_medium = Some("截屏保存于U盘".into());
            assert!(validate_record(&d, &ctx()).is_ok());
        }
    }

    #[test]
    fn oral_forms_need_place_persons_and_court_staff() {
        let mut d = letter();
        d.form = Some("in_person".into());
        let f = fields(validate_record(&d, &ctx()));
        assert_eq!(
            f,
            vec![("place".into(), "R4"), ("persons_present".into(), "R4"), ("court_staff_present".into(), "R4")]
        );
        d.place = Some("某区政府会议室".into());
        d.persons_present = Some(vec!["张某".into(), "李某".into()]);
        d.court_staff_present = Some(vec!["judge2".into()]);
        assert_eq!(validate_record(&d, &ctx()).unwrap().court_staff_present, vec!["judge2"]);
        // A telephone call needs only the court staff list.
        let mut p = letter();
        p.form = Some("phone".into());
        assert_eq!(fields(validate_record(&p, &ctx())), vec![("court_staff_present".into(), "R4")]);
        p.court_staff_present = Some(vec![]);
        assert!(validate_record(&p, &ctx()).is_ok());
    }

    #[test]
    fn nobody_cosigns_their_own_record() {
        let mut d = letter();
        d.form = Some("phone".into());
        d.court_staff_present = Some(vec!["clerk1".into()]);
        assert_eq!(fields(validate_record(&d, &ctx())), vec![("court_staff_present".into(), "R4")]);
    }

    #[test]
    fn court_interveners_go_to_the_internal_register() {
        let mut d = letter();
        d.intervener.as_mut().unwrap().unit_type = Some("court".into());
        assert_eq!(fields(validate_record(&d, &ctx())), vec![("intervener.unit_type".into(), "R18")]);
        d.register = Some("internal_inquiry".into());
        assert!(!validate_record(&d, &ctx()).unwrap().in_store());
    }

    #[test]
    fn entrusted_opinions_need_their_basis() {
        let mut d = letter();
        d.register = Some("entrusted_opinion".into());
        assert_eq!(fields(validate_record(&d, &ctx())), vec![("entrusted_basis".into(), "R6")]);
        d.entrusted_basis = Some("本院（2026）京0105民初12号征询意见函".into());
        assert!(!validate_record(&d, &ctx()).unwrap().in_store());
        d.intervener.as_mut().unwrap().unit_type = Some("enterprise".into());
        assert_eq!(fields(validate_record(&d, &ctx())), vec![("intervener.unit_type".into(), "R6")]);
    }

    #[test]
    fn leading_cadres_need_a_managing_level() {
        let mut d = letter();
        d.intervener.as_mut().unwrap().managing_level = None;
        assert_eq!(fields(validate_record(&d, &ctx())), vec![("intervener.managing_level".into(), "R13")]);
        d.intervener.as_mut().unwrap().leading_cadre = Some(false);
        assert!(validate_record(&d, &ctx()).is_ok());
    }

    #[test]
    fn staff_and_relatives_may_name_their_principal() {
        let mut d = letter();
        let iv = d.intervener.as_mut().unwrap();
        iv.relation = Some("relative".into());
        iv.principal =
            Some(PrincipalDraft { name: Some("王某".into()), unit: Some("某市人民政府".into()), post: None });
        let r = validate_record(&d, &ctx()).unwrap();
        assert_eq!(r.intervener.principal.unwrap().name, "王某");
        d.intervener.as_mut().unwrap().relation = Some("self".into());
        assert_eq!(fields(validate_record(&d, &ctx())), vec![("intervener.principal".into(), "R2")]);
    }

    #[test]
    fn special_items_and_c8_kinds_are_checked() {
        let mut d = letter();
        d.special_items = Some(vec![4, 1, 4]);
        assert_eq!(validate_record(&d, &ctx()).unwrap().special_items, vec![1, 4]);
        d.special_items = Some(vec![16]);
        d.c8_kind = Some(6);
        assert_eq!(
            fields(validate_record(&d, &ctx())),
            vec![("special_items".into(), "R11"), ("c8_kind".into(), "R12")]
        );
        let mut ordinary = letter();
        let iv = ordinary.intervener.as_mut().unwrap();
        iv.leading_cadre = Some(false);
        iv.relation = Some("other".into());
        ordinary.special_items = Some(vec![1]);
        assert_eq!(fields(validate_record(&ordinary, &ctx())), vec![("special_items".into(), "R11")]);
    }

    #[test]
    fn case_numbers_and_times_are_checked() {
        let mut d = letter();
        d.case_number = Some("（2026）京105民初12号".into());
        d.occurred_at = Some("2026-07-01 10:00".into());
        let problems = validate_record(&d, &ctx()).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].zh.contains("中级法院 2 位"), "{}", problems[0].zh);
        assert_eq!(problems[1].field, "occurred_at");
        // Filing stage without a case number needs a title.
        let mut f = letter();
        f.case_number = None;
        f.stage = Some("filing_review".into());
        assert_eq!(fields(validate_record(&f, &ctx())), vec![("case_title".into(), "R4")]);
        f.case_title = Some("某公司诉某区人民政府合同纠纷（尚未立案）".into());
        assert!(validate_record(&f, &ctx()).is_ok());
    }

    #[test]
    fn long_text_is_refused_with_the_limit() {
        let mut d = letter();
        d.content = Some("某".repeat(MAX_CONTENT_CHARS + 1));
        let p = validate_record(&d, &ctx()).unwrap_err();
        assert_eq!(p[0].code, "too_long");
        assert!(p[0].zh.contains("8000"));
    }

    #[test]
    fn a_record_round_trips_through_a_draft() {
        let r = validate_record(&letter(), &ctx()).unwrap();
        let again = validate_record(&RecordDraft::from(&r), &ctx()).unwrap();
        assert_eq!(r, again);
    }
}

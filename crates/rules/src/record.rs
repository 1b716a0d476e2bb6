//! The record of one inquiry (S4) and the rules a record must meet before it is stored.
//! `RecordDraft` is what arrives (every field optional, codes as text) so that every problem can be
//! reported at once; `Record` is what is stored, typed and normalised.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::case_number::parse_case_number_with;
use crate::lists::{Form, Listed, ManagingLevel, Register, Relation, Stage, UnitType};
use crate::period::{CHINA_STANDARD_TIME, parse_instant};
use crate::problem::Problem;

/// Longest texts, in characters. One event must stay below the 64 KiB a tlog entry can hold
/// (GLOSSARY, "Limits"); anything longer belongs in a material, whose hash is in the event.
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
    pub special_items: Option<Vec<u8>>,
    /// C8 kind, 1–5.
    pub c8_kind: Option<u8>,
    /// Serious interference that may cause a wrongful judgment (R9).
    pub serious: Option<bool>,
    /// R8, C7: the intervener is (or acts for) a main leader of the same-level Party committee or
    /// its political-legal committee; such entries are reported one level up, as a separate part.
    pub same_level_main_leader: Option<bool>,
    /// S5: the court's request or permission the opinion was given under.
    pub entrusted_basis: Option<String>,
}

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

struct Checker {
    problems: Vec<Problem>,
}

fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl Checker {
    fn required(
        &mut self,
        field: &str,
        rule: &'static str,
        label_zh: &str,
        label_en: &str,
        v: &Option<String>,
        max: usize,
    ) -> Option<String> {
        match trimmed(v) {
            None => {
                self.problems.push(Problem::new(
                    field,
                    rule,
                    "required",
                    format!("请填写{label_zh}"),
                    format!("{label_en} is required"),
                ));
                None
            }
            Some(s) => self.length(field, rule, label_zh, label_en, s, max),
        }
    }

    fn optional(
        &mut self,
        field: &str,
        rule: &'static str,
        label_zh: &str,
        label_en: &str,
        v: &Option<String>,
        max: usize,
    ) -> Option<String> {
        trimmed(v).and_then(|s| self.length(field, rule, label_zh, label_en, s, max))
    }

    fn length(
        &mut self,
        field: &str,
        rule: &'static str,
        label_zh: &str,
        label_en: &str,
        s: String,
        max: usize,
    ) -> Option<String> {
        let n = s.chars().count();
        if n > max {
            self.problems.push(Problem::new(
                field,
                rule,
                "too_long",
                format!("{label_zh}最多 {max} 字，现为 {n} 字；更长的内容请作为材料上传"),
                format!("{label_en} may have at most {max} characters, it has {n}; upload longer text as a material"),
            ));
            return None;
        }
        Some(s)
    }

    fn code<T: Listed>(
        &mut self,
        field: &str,
        rule: &'static str,
        label_zh: &str,
        label_en: &str,
        v: &Option<String>,
    ) -> Option<T> {
        let Some(code) = trimmed(v) else {
            self.problems.push(Problem::new(
                field,
                rule,
                "required",
                format!("请选择{label_zh}"),
                format!("{label_en} is required"),
            ));
            return None;
        };
        let found = T::from_code(&code);
        if found.is_none() {
            let allowed_zh: Vec<String> = T::ALL.iter().map(|t| format!("{}（{}）", t.code(), t.zh())).collect();
            self.problems.push(Problem::new(
                field,
                rule,
                "invalid",
                format!("{label_zh}“{code}”不在列表中，可选：{}", allowed_zh.join("、")),
                format!("{label_en} \"{code}\" is not one of: {}", T::codes().join(", ")),
            ));
        }
        found
    }

    fn push(
        &mut self,
        field: &str,
        rule: &'static str,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.problems.push(Problem::new(field, rule, code, zh, en));
    }

    fn persons(&mut self, field: &str, label_zh: &str, label_en: &str, v: &Option<Vec<String>>) -> Vec<String> {
        let list: Vec<String> = v.iter().flatten().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if list.len() > MAX_PERSONS {
            self.push(
                field,
                "R4",
                "too_long",
                format!("{label_zh}最多 {MAX_PERSONS} 人"),
                format!("{label_en} may list at most {MAX_PERSONS} people"),
            );
        }
        for (i, p) in list.iter().enumerate() {
            if p.chars().count() > MAX_SHORT_CHARS {
                self.push(
                    &format!("{field}[{i}]"),
                    "R4",
                    "too_long",
                    format!("{label_zh}中的姓名过长"),
                    format!("a name in {label_en} is too long"),
                );
            }
        }
        let mut unique = list.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != list.len() {
            self.push(
                field,
                "R4",
                "duplicate",
                format!("{label_zh}中有重复的人"),
                format!("{label_en} names someone twice"),
            );
        }
        list
    }
}

/// Check a draft against S2, S4, S5, S7, S10 and C8 and return the typed record, or every problem.
pub fn validate_record(draft: &RecordDraft, ctx: &Context) -> Result<Record, Vec<Problem>> {
    let mut c = Checker { problems: Vec::new() };

    let register = match trimmed(&draft.register) {
        None => Some(Register::Store),
        Some(_) => c.code::<Register>("register", "R6", "登记类别", "register", &draft.register),
    };
    let stage = c.code::<Stage>("stage", "R4", "案件所处阶段", "case stage", &draft.stage);

    // Case number: required except at the filing stage, where a case may not have one yet.
    let case_number = match trimmed(&draft.case_number) {
        Some(text) => match parse_case_number_with(&text, ctx.extra_regions) {
            Ok(parsed) => {
                let this_year = ctx.now.to_offset(CHINA_STANDARD_TIME).year();
                if i32::from(parsed.year) > this_year {
                    c.push(
                        "case_number",
                        "R4",
                        "invalid",
                        format!("案号的收案年度 {} 晚于今年", parsed.year),
                        format!("the case number's year {} is in the future", parsed.year),
                    );
                    None
                } else {
                    Some(parsed.text)
                }
            }
            Err(e) => {
                c.push(
                    "case_number",
                    "R4",
                    "invalid",
                    format!("案号“{text}”不符合案号规定：{}", e.zh),
                    format!("case number \"{text}\" does not follow the case-number rules: {}", e.en),
                );
                None
            }
        },
        None => {
            if stage != Some(Stage::FilingReview) {
                c.push("case_number", "R4", "required", "请填写案号（尚未立案的案件，阶段选“立案”并填写案件名称）", "the case number is required (for a case not yet filed, choose the filing stage and give a case title)");
            }
            None
        }
    };
    let case_title = c.optional("case_title", "R4", "案件名称", "case title", &draft.case_title, MAX_SHORT_CHARS * 2);
    if case_number.is_none()
        && case_title.is_none()
        && trimmed(&draft.case_number).is_none()
        && stage == Some(Stage::FilingReview)
    {
        c.push(
            "case_title",
            "R4",
            "required",
            "未填写案号时，请填写案件名称或当事人与案由",
            "without a case number, give a case title (parties and cause)",
        );
    }

    // The intervener (S4: name, unit and post; R2 relation; R13 managing level; S10 retired).
    let empty = IntervenerDraft::default();
    let iv = draft.intervener.as_ref().unwrap_or(&empty);
    let name = c.required("intervener.name", "R4", "过问人姓名", "intervener's name", &iv.name, MAX_SHORT_CHARS);
    let unit = c.required("intervener.unit", "R4", "过问人所在单位", "intervener's unit", &iv.unit, MAX_SHORT_CHARS);
    let post = c.required("intervener.post", "R4", "过问人职务", "intervener's post", &iv.post, MAX_SHORT_CHARS);
    let unit_type = c.code::<UnitType>("intervener.unit_type", "R18", "单位类型", "unit type", &iv.unit_type);
    let relation =
        c.code::<Relation>("intervener.relation", "R2", "与领导干部的关系", "relation to the cadre", &iv.relation);
    let leading_cadre = iv.leading_cadre;
    if leading_cadre.is_none() {
        c.push(
            "intervener.leading_cadre",
            "R18",
            "required",
            "请选择过问人是否为领导干部",
            "say whether the intervener is a leading cadre",
        );
    }
    let retired = iv.retired.unwrap_or(false);
    let managing_level = match trimmed(&iv.managing_level) {
        Some(_) => c.code::<ManagingLevel>(
            "intervener.managing_level",
            "R13",
            "干部管理权限",
            "managing level",
            &iv.managing_level,
        ),
        None => {
            if leading_cadre == Some(true) {
                c.push(
                    "intervener.managing_level",
                    "R13",
                    "required",
                    "领导干部须填写干部管理权限（不详可选“不详”）",
                    "a leading cadre needs the level that manages them (choose \"unknown\" if not known)",
                );
            }
            None
        }
    };
    let principal = match (&iv.principal, relation) {
        (Some(p), Some(rel))
            if trimmed(&p.name).is_some() || trimmed(&p.unit).is_some() || trimmed(&p.post).is_some() =>
        {
            if !rel.has_principal() {
                c.push(
                    "intervener.principal",
                    "R2",
                    "not_allowed",
                    "只有身边工作人员或亲属过问时才填写所关联的领导干部",
                    "a principal cadre is given only for the cadre's staff or relatives",
                );
                None
            } else {
                let pname = c.required(
                    "intervener.principal.name",
                    "R2",
                    "所关联领导干部的姓名",
                    "principal's name",
                    &p.name,
                    MAX_SHORT_CHARS,
                );
                let punit = c.optional(
                    "intervener.principal.unit",
                    "R2",
                    "所关联领导干部的单位",
                    "principal's unit",
                    &p.unit,
                    MAX_SHORT_CHARS,
                );
                let ppost = c.optional(
                    "intervener.principal.post",
                    "R2",
                    "所关联领导干部的职务",
                    "principal's post",
                    &p.post,
                    MAX_SHORT_CHARS,
                );
                pname.map(|name| Principal { name, unit: punit, post: ppost })
            }
        }
        _ => None,
    };

    // When and how.
    let occurred_at = match trimmed(&draft.occurred_at) {
        None => {
            c.push("occurred_at", "R4", "required", "请填写过问时间", "the time of the inquiry is required");
            None
        }
        Some(text) => match parse_instant(&text) {
            None => {
                c.push(
                    "occurred_at",
                    "R4",
                    "invalid",
                    format!("过问时间“{text}”格式不对，应为 2026-03-31 14:30（北京时间）或 RFC 3339"),
                    format!("the time \"{text}\" is not valid; use 2026-03-31 14:30 (China Standard Time) or RFC 3339"),
                );
                None
            }
            Some(t) if t > ctx.now + time::Duration::minutes(5) => {
                c.push(
                    "occurred_at",
                    "R4",
                    "invalid",
                    "过问时间晚于当前时间",
                    "the time of the inquiry is in the future",
                );
                None
            }
            Some(t) if t.year() < 2015 => {
                c.push(
                    "occurred_at",
                    "R20",
                    "invalid",
                    "过问时间早于《规定》施行日期（2015年）",
                    "the time is before the regulations came into force (2015)",
                );
                None
            }
            Some(t) => Some(t),
        },
    };
    let form = c.code::<Form>("form", "R4", "过问方式", "form of inquiry", &draft.form);
    let content = c.required("content", "R4", "过问内容", "content of the inquiry", &draft.content, MAX_CONTENT_CHARS);
    let handling = c.optional("handling", "R4", "处理情况", "handling", &draft.handling, MAX_HANDLING_CHARS);

    // Form-dependent fields (S4 ¶1, R4).
    let storage_medium = c.optional(
        "storage_medium",
        "R4",
        "信息存储介质情况",
        "storage medium",
        &draft.storage_medium,
        MAX_MEDIUM_CHARS,
    );
    let place = c.optional("place", "R4", "过问地点", "place", &draft.place, MAX_SHORT_CHARS * 2);
    let persons_present = c.persons("persons_present", "在场人员", "persons present", &draft.persons_present);
    let court_staff_present =
        c.persons("court_staff_present", "在场法院工作人员", "court staff present", &draft.court_staff_present);
    if let Some(form) = form {
        if form.is_network() && storage_medium.is_none() && trimmed(&draft.storage_medium).is_none() {
            c.push(
                "storage_medium",
                "R4",
                "required",
                format!("以{}方式过问的，须记录信息存储介质情况（S4）", form.zh()),
                format!("an inquiry by {} needs the storage medium recorded (S4)", form.en()),
            );
        }
        if form.needs_place() && place.is_none() && trimmed(&draft.place).is_none() {
            c.push(
                "place",
                "R4",
                "required",
                format!("以{}方式过问的，须记录地点（S4）", form.zh()),
                format!("an inquiry by {} needs the place (S4)", form.en()),
            );
        }
        if form.needs_place() && persons_present.is_empty() {
            c.push(
                "persons_present",
                "R4",
                "required",
                format!("以{}方式过问的，须记录在场人员（S4）", form.zh()),
                format!("an inquiry by {} needs the persons present (S4)", form.en()),
            );
        }
        if form.is_oral() && draft.court_staff_present.is_none() {
            c.push("court_staff_present", "R4", "required", "口头过问须列明其他在场的法院工作人员（无人在场请填空列表），他们须签字确认（S4）", "an oral inquiry must list the other court staff present (an empty list if none); each must confirm (S4)");
        }
        if !form.is_oral() && !court_staff_present.is_empty() {
            c.push(
                "court_staff_present",
                "R4",
                "not_allowed",
                "只有口头过问需要在场法院工作人员签字确认",
                "only oral inquiries are co-signed by court staff present",
            );
        }
    }
    if court_staff_present.iter().any(|u| u == ctx.recorder) {
        c.push(
            "court_staff_present",
            "R4",
            "not_allowed",
            "录入人不能为自己的记录签字确认，请只列其他在场人员",
            "the recorder cannot co-sign their own record; list only the others present",
        );
    }

    // S7 special report items, C8 kind, serious flag.
    let mut special_items = draft.special_items.clone().unwrap_or_default();
    special_items.sort_unstable();
    special_items.dedup();
    if let Some(bad) = special_items.iter().find(|n| !(1..=15).contains(*n)) {
        c.push(
            "special_items",
            "R11",
            "invalid",
            format!("特别报告事项编号 {bad} 无效，应为 1–15（S7 第一至十五项）"),
            format!("special report item {bad} is invalid; items are 1–15 (S7)"),
        );
    }
    let cadre_related = leading_cadre == Some(true)
        || relation.is_some_and(|r| r.has_principal() || r == Relation::InNameOfOrganisation);
    if !special_items.is_empty() && leading_cadre.is_some() && relation.is_some() && !cadre_related {
        c.push(
            "special_items",
            "R11",
            "not_allowed",
            "特别报告事项针对领导干部（含其身边工作人员、亲属或以组织名义）的行为（S7）",
            "special report items concern leading cadres, their staff or relatives, or organisations (S7)",
        );
    }
    if let Some(kind) = draft.c8_kind
        && !(1..=5).contains(&kind)
    {
        c.push(
            "c8_kind",
            "R12",
            "invalid",
            format!("违法干预类型 {kind} 无效，应为 1–5（C8 第一至五项）"),
            format!("C8 kind {kind} is invalid; kinds are 1–5"),
        );
    }
    let serious = draft.serious.unwrap_or(false);

    // The two paths outside the store (S5, S10 ¶3).
    let entrusted_basis = c.optional(
        "entrusted_basis",
        "R6",
        "委托或许可依据",
        "basis of the request or permission",
        &draft.entrusted_basis,
        MAX_BASIS_CHARS,
    );
    match (register, unit_type) {
        (Some(Register::Store), Some(UnitType::Court)) => c.push(
            "intervener.unit_type",
            "R18",
            "not_allowed",
            "人民法院领导干部过问案件适用内部人员过问的规定（S10 第三款），请改记入内部人员过问登记",
            "inquiries by people's court leaders fall under the internal-personnel rules (S10 ¶3): use the internal register",
        ),
        (Some(Register::InternalInquiry), Some(t)) if t != UnitType::Court => c.push(
            "register",
            "R18",
            "not_allowed",
            "内部人员过问登记只用于人民法院人员的过问；外部人员的过问请记入专库",
            "the internal register is only for inquiries by court personnel; record outsiders in the store",
        ),
        (Some(Register::EntrustedOpinion), t) => {
            if entrusted_basis.is_none() && trimmed(&draft.entrusted_basis).is_none() {
                c.push("entrusted_basis", "R6", "required", "受托或许可提出的参考意见，须写明人民法院委托或许可的依据（S5）", "an entrusted or permitted opinion needs the basis of the court's request or permission (S5)");
            }
            if let Some(t) = t
                && matches!(t, UnitType::Court | UnitType::Procuratorate | UnitType::Military | UnitType::Enterprise | UnitType::Other)
            {
                c.push("intervener.unit_type", "R6", "not_allowed", format!("S5 只适用于党政机关、行业协会商会、社会公益组织和承担行政职能的事业单位，不适用于{}", t.zh()), format!("S5 covers Party and government organs, associations, public-interest organisations and public institutions, not {}", t.en()));
            }
        }
        _ => {}
    }
    if entrusted_basis.is_some() && register != Some(Register::EntrustedOpinion) {
        c.push(
            "entrusted_basis",
            "R6",
            "not_allowed",
            "只有受托/许可参考意见才填写委托依据",
            "the basis is given only for entrusted or permitted opinions",
        );
    }

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    // Every Option below is Some: a None always pushed a problem above.
    let (
        Some(register),
        Some(stage),
        Some(name),
        Some(unit),
        Some(post),
        Some(unit_type),
        Some(relation),
        Some(leading_cadre),
        Some(occurred_at),
        Some(form),
        Some(content),
    ) = (register, stage, name, unit, post, unit_type, relation, leading_cadre, occurred_at, form, content)
    else {
        unreachable!("a missing field always records a problem");
    };
    Ok(Record {
        register,
        case_number,
        case_title,
        stage,
        intervener: Intervener {
            name,
            unit,
            post,
            unit_type,
            leading_cadre,
            retired,
            relation,
            principal,
            managing_level,
        },
        occurred_at,
        form,
        content,
        handling,
        storage_medium,
        place,
        persons_present,
        court_staff_present,
        special_items,
        c8_kind: draft.c8_kind,
        serious,
        entrusted_basis,
        same_level_main_leader: draft.same_level_main_leader.unwrap_or(false),
    })
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

//! The rules a draft must meet before it is a [`Record`] (S2, S4, S5, S7, S10, C8), one function per
//! group of fields. Each notes its problems and returns what it could read, so that a draft's
//! problems are all reported at once; a [`Record`] is made only when there are none.

use time::OffsetDateTime;

use super::checker::{Checker, field, trimmed};
use super::*;
use crate::case_number::parse_case_number_with;
use crate::period::{CHINA_STANDARD_TIME, parse_instant};
use crate::problem::Problem;

/// Check a draft against S2, S4, S5, S7, S10 and C8 and return the typed record, or every problem.
pub fn validate_record(draft: &RecordDraft, ctx: &Context) -> Result<Record, Vec<Problem>> {
    let mut c = Checker::default();
    let register = match trimmed(&draft.register) {
        None => Some(Register::Store),
        Some(_) => c.code::<Register>(field("register", "R6", "登记类别", "register"), &draft.register),
    };
    let (stage, case_number, case_title) = case(&mut c, draft, ctx);
    let intervener = intervener(&mut c, draft);
    let occurred_at = occurred_at(&mut c, draft, ctx);
    let form = c.code::<Form>(field("form", "R4", "过问方式", "form of inquiry"), &draft.form);
    let content =
        c.required(field("content", "R4", "过问内容", "content of the inquiry"), &draft.content, MAX_CONTENT_CHARS);
    let handling = c.optional(field("handling", "R4", "处理情况", "handling"), &draft.handling, MAX_HANDLING_CHARS);
    let oral = form_fields(&mut c, draft, ctx, form);
    let special_items = special_items(&mut c, draft, &intervener);
    let entrusted_basis = register_paths(&mut c, draft, register, intervener.unit_type);

    match (register, stage, intervener.complete(), occurred_at, form, content) {
        (Some(register), Some(stage), Some(intervener), Some(occurred_at), Some(form), Some(content))
            if c.problems.is_empty() =>
        {
            Ok(Record {
                register,
                case_number,
                case_title,
                stage,
                intervener,
                occurred_at,
                form,
                content,
                handling,
                storage_medium: oral.storage_medium,
                place: oral.place,
                persons_present: oral.persons_present,
                court_staff_present: oral.court_staff_present,
                special_items,
                c8_kind: draft.c8_kind,
                serious: draft.serious.unwrap_or(false),
                entrusted_basis,
                same_level_main_leader: draft.same_level_main_leader.unwrap_or(false),
            })
        }
        // A field left unread always noted a problem.
        _ => Err(c.problems),
    }
}

/// The case: its stage, its number (required except at the filing stage, where a case may not have
/// one yet) and its title.
fn case(c: &mut Checker, draft: &RecordDraft, ctx: &Context) -> (Option<Stage>, Option<String>, Option<String>) {
    let stage = c.code::<Stage>(field("stage", "R4", "案件所处阶段", "case stage"), &draft.stage);

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
    let case_title =
        c.optional(field("case_title", "R4", "案件名称", "case title"), &draft.case_title, MAX_SHORT_CHARS * 2);
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

    (stage, case_number, case_title)
}

/// The intervener's fields as far as they could be read.
struct IntervenerFields {
    name: Option<String>,
    unit: Option<String>,
    post: Option<String>,
    unit_type: Option<UnitType>,
    relation: Option<Relation>,
    leading_cadre: Option<bool>,
    retired: bool,
    managing_level: Option<ManagingLevel>,
    principal: Option<Principal>,
}

impl IntervenerFields {
    /// The intervener, when every required field was read.
    fn complete(self) -> Option<Intervener> {
        Some(Intervener {
            name: self.name?,
            unit: self.unit?,
            post: self.post?,
            unit_type: self.unit_type?,
            leading_cadre: self.leading_cadre?,
            retired: self.retired,
            relation: self.relation?,
            principal: self.principal,
            managing_level: self.managing_level,
        })
    }
}

/// The intervener (S4: name, unit and post; R2 relation and the cadre behind staff or relatives;
/// R13 managing level; S10 retired).
fn intervener(c: &mut Checker, draft: &RecordDraft) -> IntervenerFields {
    let empty = IntervenerDraft::default();
    let iv = draft.intervener.as_ref().unwrap_or(&empty);
    let name = c.required(field("intervener.name", "R4", "过问人姓名", "intervener's name"), &iv.name, MAX_SHORT_CHARS);
    let unit =
        c.required(field("intervener.unit", "R4", "过问人所在单位", "intervener's unit"), &iv.unit, MAX_SHORT_CHARS);
    let post = c.required(field("intervener.post", "R4", "过问人职务", "intervener's post"), &iv.post, MAX_SHORT_CHARS);
    let unit_type = c.code::<UnitType>(field("intervener.unit_type", "R18", "单位类型", "unit type"), &iv.unit_type);
    let relation = c.code::<Relation>(
        field("intervener.relation", "R2", "与领导干部的关系", "relation to the cadre"),
        &iv.relation,
    );
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
            field("intervener.managing_level", "R13", "干部管理权限", "managing level"),
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
                    field("intervener.principal.name", "R2", "所关联领导干部的姓名", "principal's name"),
                    &p.name,
                    MAX_SHORT_CHARS,
                );
                let punit = c.optional(
                    field("intervener.principal.unit", "R2", "所关联领导干部的单位", "principal's unit"),
                    &p.unit,
                    MAX_SHORT_CHARS,
                );
                let ppost = c.optional(
                    field("intervener.principal.post", "R2", "所关联领导干部的职务", "principal's post"),
                    &p.post,
                    MAX_SHORT_CHARS,
                );
                pname.map(|name| Principal { name, unit: punit, post: ppost })
            }
        }
        _ => None,
    };

    IntervenerFields { name, unit, post, unit_type, relation, leading_cadre, retired, managing_level, principal }
}

/// When the inquiry happened: not in the future, not before the regulations (2015).
fn occurred_at(c: &mut Checker, draft: &RecordDraft, ctx: &Context) -> Option<OffsetDateTime> {
    match trimmed(&draft.occurred_at) {
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
    }
}

/// The fields that depend on the form of the inquiry (S4 ¶1, R4).
struct FormFields {
    storage_medium: Option<String>,
    place: Option<String>,
    persons_present: Vec<String>,
    court_staff_present: Vec<String>,
}

/// The storage medium of network forms; the place and persons present of oral ones, and the other
/// court staff present, who co-sign (R4) — never the recorder.
fn form_fields(c: &mut Checker, draft: &RecordDraft, ctx: &Context, form: Option<Form>) -> FormFields {
    let storage_medium = c.optional(
        field("storage_medium", "R4", "信息存储介质情况", "storage medium"),
        &draft.storage_medium,
        MAX_MEDIUM_CHARS,
    );
    let place = c.optional(field("place", "R4", "过问地点", "place"), &draft.place, MAX_SHORT_CHARS * 2);
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

    FormFields { storage_medium, place, persons_present, court_staff_present }
}

/// S7 special report items (only for cadres' conduct) and the C8 kind.
fn special_items(c: &mut Checker, draft: &RecordDraft, intervener: &IntervenerFields) -> Vec<u8> {
    let (leading_cadre, relation) = (intervener.leading_cadre, intervener.relation);
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
    special_items
}

/// The two paths outside the store (S5 entrusted opinions, S10 ¶3 internal inquiries) and the
/// basis an entrusted opinion needs.
fn register_paths(
    c: &mut Checker,
    draft: &RecordDraft,
    register: Option<Register>,
    unit_type: Option<UnitType>,
) -> Option<String> {
    let entrusted_basis = c.optional(
        field("entrusted_basis", "R6", "委托或许可依据", "basis of the request or permission"),
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

    entrusted_basis
}

//! The pages court staff record and find inquiries with (issue 5): the entry form with a review
//! step, a record's page (versions, materials, co-signatures, who read it, ledger status), the
//! co-signature inbox, amendments, and the records list that is the office's store (filters,
//! search, paging, CSV). Every form works without JavaScript; `/assets/entry.js` only helps.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use liuhen_rules::{
    C8_KINDS, Disposition, Form, Lang, Listed, ManagingLevel, MaterialCategory, Permission, Record, RecordDraft,
    Register, Relation, SPECIAL_ITEMS, Stage, UnitType, period::format_cst,
};
use liuhen_store::{RecordSummary, RecordView, StoreError, User};
use serde::Deserialize;
use uuid::Uuid;

use super::chrome::{Chrome, FormErrors, Page, PageForm, urlencode};
use super::render;
use crate::AppState;
use crate::api::ListQuery;
use crate::error::ApiError;

/// What was typed into a form, as name → values, to fill it in again.
#[derive(Default)]
pub struct Values(BTreeMap<String, Vec<String>>);

impl Values {
    fn from_pairs(pairs: &[(String, String)]) -> Values {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            map.entry(k.clone()).or_default().push(v.clone());
        }
        Values(map)
    }
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).and_then(|v| v.first()).map_or("", String::as_str)
    }
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.get(name).is_some_and(|v| v.iter().any(|x| x == value))
    }
    /// Every (name, value) pair, for the hidden fields of the review step.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.0.iter().flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str()))).collect()
    }
    fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_string()).filter(|v| !v.is_empty())
    }
    fn lines(&self, name: &str) -> Option<Vec<String>> {
        let items: Vec<String> =
            self.get(name).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        Some(items).filter(|i| !i.is_empty())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0.get(name).cloned().unwrap_or_default()
    }

    /// The draft the form describes; field names are the draft's paths (`intervener.name`).
    fn draft(&self) -> RecordDraft {
        let flag = |name: &str| Some(self.get(name) == "true");
        let principal = (self.opt("intervener.principal.name").is_some()).then(|| liuhen_rules::PrincipalDraft {
            name: self.opt("intervener.principal.name"),
            unit: self.opt("intervener.principal.unit"),
            post: self.opt("intervener.principal.post"),
        });
        let form = self.opt("form");
        let oral = form.as_deref().and_then(Form::from_code).is_some_and(Form::is_oral);
        let network = form.as_deref().and_then(Form::from_code).is_some_and(Form::is_network);
        RecordDraft {
            register: self.opt("register"),
            case_number: self.opt("case_number"),
            case_title: self.opt("case_title"),
            stage: self.opt("stage"),
            intervener: Some(liuhen_rules::IntervenerDraft {
                name: self.opt("intervener.name"),
                unit: self.opt("intervener.unit"),
                post: self.opt("intervener.post"),
                unit_type: self.opt("intervener.unit_type"),
                leading_cadre: flag("intervener.leading_cadre"),
                retired: flag("intervener.retired"),
                relation: self.opt("intervener.relation"),
                principal,
                managing_level: self.opt("intervener.managing_level"),
            }),
            // The browser's date-time field sends 2026-03-31T14:30.
            occurred_at: self.opt("occurred_at").map(|t| t.replacen('T', " ", 1)),
            form,
            content: self.opt("content"),
            handling: self.opt("handling"),
            // Fields of the other kind of form are left out, so that a switch of form does not
            // leave stale entries behind (the page without JavaScript shows all of them).
            storage_medium: self.opt("storage_medium").filter(|_| network),
            place: self.opt("place").filter(|_| oral),
            persons_present: self.lines("persons_present").filter(|_| oral),
            // On the form the boxes are the statement: none ticked means no other staff were there.
            court_staff_present: Some(self.all("court_staff_present")).filter(|_| oral),
            special_items: Some(self.all("special_items").iter().filter_map(|n| n.parse().ok()).collect()),
            c8_kind: self.opt("c8_kind").and_then(|k| k.parse().ok()),
            serious: flag("serious"),
            entrusted_basis: self.opt("entrusted_basis"),
            same_level_main_leader: flag("same_level_main_leader"),
        }
    }

    /// The form filled in from a stored record (for an amendment).
    fn of_record(r: &Record) -> Values {
        let mut pairs: Vec<(String, String)> = vec![
            ("register".into(), r.register.code().into()),
            ("stage".into(), r.stage.code().into()),
            ("intervener.name".into(), r.intervener.name.clone()),
            ("intervener.unit".into(), r.intervener.unit.clone()),
            ("intervener.post".into(), r.intervener.post.clone()),
            ("intervener.unit_type".into(), r.intervener.unit_type.code().into()),
            ("intervener.relation".into(), r.intervener.relation.code().into()),
            ("occurred_at".into(), format_cst(r.occurred_at).replacen(' ', "T", 1)),
            ("form".into(), r.form.code().into()),
            ("content".into(), r.content.clone()),
            ("persons_present".into(), r.persons_present.join("\n")),
        ];
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                pairs.push((k.into(), v));
            }
        };
        add("case_number", r.case_number.clone());
        add("case_title", r.case_title.clone());
        add("handling", r.handling.clone());
        add("storage_medium", r.storage_medium.clone());
        add("place", r.place.clone());
        add("entrusted_basis", r.entrusted_basis.clone());
        add("c8_kind", r.c8_kind.map(|k| k.to_string()));
        add("intervener.managing_level", r.intervener.managing_level.map(|m| m.code().into()));
        add("intervener.leading_cadre", r.intervener.leading_cadre.then(|| "true".into()));
        add("intervener.retired", r.intervener.retired.then(|| "true".into()));
        add("serious", r.serious.then(|| "true".into()));
        add("same_level_main_leader", r.same_level_main_leader.then(|| "true".into()));
        if let Some(p) = &r.intervener.principal {
            add("intervener.principal.name", Some(p.name.clone()));
            add("intervener.principal.unit", p.unit.clone());
            add("intervener.principal.post", p.post.clone());
        }
        for s in &r.court_staff_present {
            pairs.push(("court_staff_present".into(), s.clone()));
        }
        for i in &r.special_items {
            pairs.push(("special_items".into(), i.to_string()));
        }
        Values::from_pairs(&pairs)
    }
}

pub struct Choice {
    pub code: String,
    pub label: String,
}

fn choices<T: Listed>(lang: Lang) -> Vec<Choice> {
    T::ALL.iter().map(|t| Choice { code: t.code().into(), label: lang.pick(t.zh(), t.en()).into() }).collect()
}

pub struct Numbered {
    pub number: String,
    pub numeral: &'static str,
    pub short: &'static str,
    pub text: &'static str,
}

/// The lists a record's form chooses from.
pub struct Lists {
    pub registers: Vec<Choice>,
    pub stages: Vec<Choice>,
    pub forms: Vec<Choice>,
    pub oral_forms: String,
    pub network_forms: String,
    pub unit_types: Vec<Choice>,
    pub relations: Vec<Choice>,
    pub managing_levels: Vec<Choice>,
    pub special_items: Vec<Numbered>,
    pub c8_kinds: Vec<Numbered>,
    pub colleagues: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub dispositions: Vec<Choice>,
}

fn numbered(items: &'static [liuhen_rules::RegulationItem], lang: Lang) -> Vec<Numbered> {
    items
        .iter()
        .map(|i| Numbered {
            number: i.number.to_string(),
            numeral: i.numeral,
            short: if lang == Lang::En { i.text_en } else { i.short_zh },
            text: if lang == Lang::En { i.text_en } else { i.text_zh },
        })
        .collect()
}

async fn lists(state: &AppState, user: &User, lang: Lang) -> Result<Lists, ApiError> {
    let colleagues = state
        .store
        .users_of_court(&user.court_id)
        .await?
        .into_iter()
        .filter(|u| u.username != user.username && state.store.permits(u, Permission::RecordCosign))
        .map(|u| Choice { label: format!("{}（{}）", u.display_name, u.username), code: u.username })
        .collect();
    let codes =
        |f: fn(Form) -> bool| Form::ALL.iter().filter(|x| f(**x)).map(|x| x.code()).collect::<Vec<_>>().join(" ");
    Ok(Lists {
        registers: choices::<Register>(lang),
        stages: choices::<Stage>(lang),
        forms: choices::<Form>(lang),
        oral_forms: codes(Form::is_oral),
        network_forms: codes(Form::is_network),
        unit_types: choices::<UnitType>(lang),
        relations: choices::<Relation>(lang),
        managing_levels: choices::<ManagingLevel>(lang),
        special_items: numbered(&SPECIAL_ITEMS, lang),
        c8_kinds: numbered(&C8_KINDS, lang),
        colleagues,
        categories: choices::<MaterialCategory>(lang),
        dispositions: choices::<Disposition>(lang),
    })
}

// ---- the entry form ----

#[derive(Template)]
#[template(path = "record_form.html")]
struct EntryPage {
    c: Chrome,
    l: Lists,
    v: Values,
    errors: FormErrors,
    /// `None` for a new record; the record and its version for an amendment.
    amend: Option<(String, u32)>,
}

#[derive(Template)]
#[template(path = "record_review.html")]
struct ReviewPage {
    c: Chrome,
    v: Values,
    r: Shown,
    action: String,
}

async fn entry_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    v: Values,
    errors: FormErrors,
    amend: Option<(String, u32)>,
) -> Result<Response, ApiError> {
    if !state.store.permits(user, Permission::RecordCreate) {
        return Err(StoreError::forbidden("您的角色不录入过问记录", "your role does not record inquiries").into());
    }
    let l = lists(state, user, c.lang).await?;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut response = render(&EntryPage { c, l, v, errors, amend })?;
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Deserialize, Default)]
pub struct EntryQuery {
    draft: Option<Uuid>,
}

/// The empty entry form, or a saved draft of the user's filled in again.
pub async fn new_record(
    State(state): State<AppState>,
    Page(c, user): Page,
    Query(q): Query<EntryQuery>,
) -> Result<Response, ApiError> {
    let v = match q.draft {
        Some(id) => match state.store.draft(&user, id).await? {
            Some(d) => {
                let mut pairs = d.fields;
                pairs.push(("draft".into(), id.to_string()));
                Values::from_pairs(&pairs)
            }
            None => return Err(StoreError::not_found("没有这份草稿", "no such draft").into()),
        },
        None => Values::from_pairs(&[("register".into(), "store".into())]),
    };
    entry_page(&state, c, &user, v, FormErrors::default(), None).await
}

/// The entry form posted: `action=review` shows the record as it will be stored (or the form
/// again with every problem), `action=submit` records it, `action=edit` goes back to the form.
pub async fn post_record(
    State(state): State<AppState>,
    PageForm(c, user, pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| k != "csrf").collect();
    let action = pairs.iter().find(|(k, _)| k == "action").map(|(_, v)| v.clone()).unwrap_or_default();
    let v = Values::from_pairs(&pairs.into_iter().filter(|(k, _)| k != "action").collect::<Vec<_>>());
    let draft_id: Option<Uuid> = v.get("draft").parse().ok();
    if action == "edit" {
        return entry_page(&state, c, &user, v, FormErrors::default(), None).await;
    }
    if action == "save_draft" {
        if !state.store.permits(&user, Permission::RecordCreate) {
            return Err(StoreError::forbidden("您的角色不录入过问记录", "your role does not record inquiries").into());
        }
        let fields: Vec<(String, String)> =
            v.pairs().into_iter().filter(|(k, _)| *k != "draft").map(|(k, x)| (k.to_string(), x.to_string())).collect();
        let id = state.store.save_draft(&user, draft_id, &fields).await?;
        return Ok(Redirect::to(&format!("/?done=draft#draft-{id}")).into_response());
    }
    let draft = v.draft();
    if action == "submit" {
        return match state.store.create_record(&user, &draft, "page", None, None).await {
            Ok(created) => {
                // Recorded: the working copy has served its purpose.
                if let Some(id) = draft_id {
                    state.store.delete_draft(&user, id).await?;
                }
                Ok(Redirect::to(&format!("/records/{}?done=created", created.record_id)).into_response())
            }
            Err(e @ StoreError::Invalid(_)) => {
                let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
                entry_page(&state, c, &user, v, errors, None).await
            }
            Err(e) => Err(e.into()),
        };
    }
    match state.store.check_draft(&user, &draft) {
        Ok(record) => {
            let r = Shown::of(&state, &record, c.lang).await?;
            render(&ReviewPage { c, v, r, action: "/records/new".into() })
        }
        Err(e @ StoreError::Invalid(_)) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            entry_page(&state, c, &user, v, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A record put into words for a page.
pub struct Shown {
    pub register: String,
    pub case: String,
    pub stage: String,
    pub intervener: String,
    pub principal: String,
    pub leading_cadre: bool,
    pub managing_level: String,
    pub occurred_at: String,
    pub form: String,
    pub oral: bool,
    pub network: bool,
    pub place: String,
    pub persons_present: String,
    pub court_staff_present: String,
    pub storage_medium: String,
    pub content: String,
    pub handling: String,
    pub special_items: Vec<String>,
    pub c8_kind: String,
    pub serious: bool,
    pub entrusted_basis: String,
    pub same_level_main_leader: bool,
}

impl Shown {
    async fn of(state: &AppState, r: &Record, lang: Lang) -> Result<Shown, ApiError> {
        let mut staff = Vec::new();
        for name in &r.court_staff_present {
            staff.push(match state.store.user(name).await? {
                Some(u) => format!("{}（{}）", u.display_name, u.username),
                None => name.clone(),
            });
        }
        let pick = |zh: &'static str, en: &'static str| lang.pick(zh, en).to_string();
        let i = &r.intervener;
        Ok(Shown {
            register: pick(r.register.zh(), r.register.en()),
            case: r.case_number.clone().or_else(|| r.case_title.clone()).unwrap_or_default(),
            stage: pick(r.stage.zh(), r.stage.en()),
            intervener: format!(
                "{}（{}，{}；{}）",
                i.name,
                i.unit,
                i.post,
                lang.pick(i.unit_type.zh(), i.unit_type.en())
            ),
            principal: i.principal.as_ref().map_or(String::new(), |p| {
                format!("{} {} {}", p.name, p.unit.as_deref().unwrap_or(""), p.post.as_deref().unwrap_or(""))
            }),
            leading_cadre: i.leading_cadre,
            managing_level: i.managing_level.map_or(String::new(), |m| pick(m.zh(), m.en())),
            occurred_at: format_cst(r.occurred_at),
            form: pick(r.form.zh(), r.form.en()),
            oral: r.form.is_oral(),
            network: r.form.is_network(),
            place: r.place.clone().unwrap_or_default(),
            persons_present: r.persons_present.join("、"),
            court_staff_present: staff.join("、"),
            storage_medium: r.storage_medium.clone().unwrap_or_default(),
            content: r.content.clone(),
            handling: r.handling.clone().unwrap_or_default(),
            special_items: r
                .special_items
                .iter()
                .filter_map(|n| liuhen_rules::special_item(*n))
                .map(|i| format!("{}{}", i.numeral, lang.pick(i.text_zh, i.text_en)))
                .collect(),
            c8_kind: r
                .c8_kind
                .and_then(liuhen_rules::c8_kind)
                .map_or(String::new(), |k| format!("{}{}", k.numeral, lang.pick(k.text_zh, k.text_en))),
            serious: r.serious,
            entrusted_basis: r.entrusted_basis.clone().unwrap_or_default(),
            same_level_main_leader: r.same_level_main_leader,
        })
    }
}

// ---- a record ----

pub struct Signature {
    pub signer: String,
    pub state: String,
    pub reason: String,
    pub at: String,
}

pub struct VersionLine {
    pub version: u32,
    pub at: String,
    pub actor: String,
    pub reason: String,
    pub seq: i64,
    /// What this version said (earlier versions are kept and shown, never replaced).
    pub r: Shown,
}

pub struct MaterialLine {
    pub id: String,
    pub file_name: String,
    pub category: String,
    pub size: String,
    pub sha256: String,
    pub disposition: String,
    pub added_at: String,
}

pub struct ViewLine {
    pub viewer: String,
    pub at: String,
    pub part: String,
    pub seq: i64,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    c: Chrome,
    id: String,
    r: Shown,
    version: u32,
    recorder: String,
    created_at: String,
    cosign_status: String,
    signatures: Vec<Signature>,
    versions: Vec<VersionLine>,
    materials: Vec<MaterialLine>,
    views: Option<Vec<ViewLine>>,
    is_recorder: bool,
    my_signature_pending: bool,
    ledger_status: String,
    created_seq: i64,
    done: Option<&'static str>,
    errors: FormErrors,
    l: Lists,
    /// R9: the immediate reports of this entry with their chains, and whether one can be drafted.
    immediate: Vec<(String, bool, Vec<crate::reports::StepLine>)>,
    may_report_immediately: bool,
    /// R12: the entry is of a C8 kind and the viewer sees reports: a draft notification exists.
    notification: bool,
    /// Issue 8: screenings, checks and oversight outcomes, for the office and inspectors; the
    /// office also gets the forms.
    handling: Option<HandlingLines>,
}

/// The entry's screenings, checks and outcomes as the record page shows them.
struct HandlingLines {
    may_act: bool,
    screenings: Vec<(String, String, String, String)>,
    /// id, subject, opened (by, at), findings when concluded.
    checks: Vec<(String, String, String, Option<String>)>,
    outcomes: Vec<(String, String, String, String)>,
    classifications: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
}

async fn handling_lines(
    state: &AppState,
    user: &User,
    id: Uuid,
    lang: Lang,
) -> Result<Option<HandlingLines>, ApiError> {
    let Some(h) = state.store.record_handling(user, id).await? else { return Ok(None) };
    let pick = |zh: &'static str, en: &'static str| lang.pick(zh, en);
    Ok(Some(HandlingLines {
        may_act: state.store.permits(user, Permission::RecordScreen),
        screenings: h
            .screenings
            .iter()
            .map(|s| {
                (
                    format_cst(s.screened_at),
                    s.screened_by.clone(),
                    pick(s.classification.zh(), s.classification.en()).into(),
                    s.reason.clone(),
                )
            })
            .collect(),
        checks: h
            .checks
            .iter()
            .map(|k| {
                (
                    k.id.to_string(),
                    k.subject.clone(),
                    format!("{} {}", k.opened_by, format_cst(k.opened_at)),
                    k.findings.clone(),
                )
            })
            .collect(),
        outcomes: h
            .outcomes
            .iter()
            .map(|o| (format_cst(o.at), o.body.clone(), pick(o.outcome.zh(), o.outcome.en()).into(), o.note.clone()))
            .collect(),
        classifications: liuhen_rules::Screening::ALL.iter().map(|s| (s.code(), pick(s.zh(), s.en()))).collect(),
        kinds: liuhen_rules::OversightOutcome::ALL.iter().map(|s| (s.code(), pick(s.zh(), s.en()))).collect(),
    }))
}

fn cosign_status_name(status: &str, lang: Lang) -> String {
    lang.pick(
        match status {
            "pending" => "待在场人员确认",
            "confirmed" => "在场人员已确认",
            "disputed" => "在场人员有异议",
            _ => "无需确认",
        },
        match status {
            "pending" => "waiting for the staff present",
            "confirmed" => "confirmed by the staff present",
            "disputed" => "disputed by staff present",
            _ => "no co-signature needed",
        },
    )
    .to_string()
}

fn size_text(size: u64) -> String {
    match size {
        s if s >= 1_000_000 => format!("{:.1} MB", s as f64 / 1e6),
        s if s >= 1_000 => format!("{:.1} KB", s as f64 / 1e3),
        s => format!("{s} B"),
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

fn done_message(lang: Lang, done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => lang.pick(
            "已录入并写入可验证日志。可以打印回执，作为您已如实记录的凭证。",
            "Recorded and written to the verifiable log. Print the receipt as proof that you recorded it.",
        ),
        "material" => lang.pick("材料已上传，其哈希已写入日志。", "Material uploaded; its hash is in the log."),
        "cosigned" => lang.pick("已确认。", "Confirmed."),
        "disputed" => lang.pick("异议已记录。", "Dispute recorded."),
        "amended" => lang.pick(
            "已保存新版本；原版本保留，可随时查看。",
            "New version saved; the earlier one is kept and can be read.",
        ),
        "handled" => lang.pick("已记入日志。", "Written to the log."),
        _ => return None,
    })
}

async fn record_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    id: Uuid,
    done: Option<&str>,
    errors: FormErrors,
) -> Result<Response, ApiError> {
    let view: RecordView = state.store.record(user, id, "page").await?;
    let lang = c.lang;
    let name_of = |u: &str| u.to_string();
    let views =
        if state.store.permits(user, Permission::RecordViews) || view.recorder.as_deref() == Some(&user.username) {
            match state.store.record_views(user, id).await {
                Ok(v) => Some(
                    v.iter()
                        .map(|e| ViewLine {
                            viewer: e.viewer.clone(),
                            at: format_cst(e.at),
                            part: match e.part.as_str() {
                                "record" => lang.pick("记录", "record"),
                                "material" => lang.pick("材料", "material"),
                                "receipt" => lang.pick("回执", "receipt"),
                                _ => lang.pick("列表", "list"),
                            }
                            .to_string(),
                            seq: e.seq,
                        })
                        .collect(),
                ),
                Err(StoreError::Forbidden { .. } | StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
    let log = state.store.log_status().await?;
    let last = u64::try_from(view.ledger.last_seq).unwrap_or(0);
    let ledger_status = if !log.witnesses.is_empty() && log.witnessed_size > last {
        lang.pick(
            "已记入日志，已签入检查点，并经上级法院见证",
            "in the log, in a signed checkpoint, witnessed by the court above",
        )
    } else if log.latest_size > last {
        lang.pick("已记入日志并签入检查点（尚待见证）", "in the log and a signed checkpoint (not yet witnessed)")
    } else {
        lang.pick("已记入日志（等待下一个检查点）", "in the log (waiting for the next checkpoint)")
    };
    let my_signature_pending = view
        .cosignatures
        .iter()
        .any(|s| s.signer == user.username && s.version == view.version && s.state.code() == "pending");
    let mut immediate = Vec::new();
    for info in state.store.immediate_reports_of(user, id).await? {
        let steps = crate::reports::chain_lines(state, &info).await?;
        immediate.push((info.id.to_string(), info.state == "sealed", steps));
    }
    let notification = view.record.c8_kind.is_some() && state.store.permits(user, Permission::ReportView);
    let may_report_immediately =
        view.record.serious && immediate.is_empty() && state.store.permits(user, Permission::ReportDraft);
    let handling = handling_lines(state, user, id, lang).await?;
    let page = RecordPage {
        handling,
        notification,
        immediate,
        may_report_immediately,
        id: id.to_string(),
        r: Shown::of(state, &view.record, lang).await?,
        version: view.version,
        recorder: view.recorder.clone().unwrap_or_else(|| lang.pick("（不向您显示）", "(not shown to you)").into()),
        created_at: format_cst(view.created_at),
        cosign_status: cosign_status_name(&view.cosign_status, lang),
        signatures: view
            .cosignatures
            .iter()
            .filter(|s| s.version == view.version)
            .map(|s| Signature {
                signer: name_of(&s.signer),
                state: lang.pick(s.state.zh(), s.state.en()).to_string(),
                reason: s.reason.clone().unwrap_or_default(),
                at: s.at.map(format_cst).unwrap_or_default(),
            })
            .collect(),
        versions: {
            let mut lines = Vec::new();
            for v in &view.versions {
                lines.push(VersionLine {
                    version: v.version,
                    at: format_cst(v.at),
                    actor: v.actor.clone().unwrap_or_default(),
                    reason: v.reason.clone().unwrap_or_default(),
                    seq: v.seq,
                    r: Shown::of(state, &v.record, lang).await?,
                });
            }
            lines
        },
        materials: view
            .materials
            .iter()
            .map(|m| MaterialLine {
                id: m.id.to_string(),
                file_name: m.file_name.clone(),
                category: lang.pick(m.category.zh(), m.category.en()).to_string(),
                size: size_text(m.size),
                sha256: m.sha256.clone(),
                disposition: lang.pick(m.disposition.zh(), m.disposition.en()).to_string(),
                added_at: format_cst(m.added_at),
            })
            .collect(),
        views,
        is_recorder: view.recorder.as_deref() == Some(&user.username),
        my_signature_pending,
        ledger_status: ledger_status.to_string(),
        created_seq: view.ledger.created_seq,
        done: done_message(lang, done),
        errors,
        l: lists(state, user, lang).await?,
        c,
    };
    let status = if page.errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HandlingFields {
    classification: String,
    reason: String,
    subject: String,
    check_id: String,
    findings: String,
    outcome: String,
    body: String,
    note: String,
}

/// The office screens the entry, opens or concludes a check, or notes an oversight body's
/// outcome, from the record's page (issue 8): `what` is `screen`, `check`, `conclude` or `outcome`.
pub async fn handle(
    State(state): State<AppState>,
    Path((id, what)): Path<(Uuid, String)>,
    PageForm(c, user, f): PageForm<HandlingFields>,
) -> Result<Response, ApiError> {
    let store = &state.store;
    let done = match what.as_str() {
        "screen" => store.screen_record(&user, id, &f.classification, &f.reason).await.map(|_| ()),
        "check" => store.open_check(&user, id, &f.subject).await.map(|_| ()),
        "conclude" => match f.check_id.parse::<Uuid>() {
            Ok(check) => store.conclude_check(&user, check, &f.findings).await.map(|_| ()),
            Err(_) => Err(StoreError::not_found("没有这项核查", "no such check")),
        },
        "outcome" => store.report_outcome(&user, id, &f.outcome, &f.body, &f.note).await.map(|_| ()),
        _ => return Err(StoreError::not_found("没有这个地址", "no such address").into()),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/records/{id}?done=handled")).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            record_page(&state, c, &user, id, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn record(
    State(state): State<AppState>,
    Page(c, user): Page,
    Path(id): Path<Uuid>,
    Query(q): Query<Done>,
) -> Result<Response, ApiError> {
    record_page(&state, c, &user, id, q.done.as_deref(), FormErrors::default()).await
}

/// A material uploaded from the record's page (multipart: csrf, category, disposition,
/// whereabouts, then the file).
pub async fn upload(
    State(state): State<AppState>,
    Page(c, user): Page,
    Path(id): Path<Uuid>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let csrf = (!c.by_bearer).then_some(c.csrf.as_str());
    match crate::api::receive_material(&state, &user, id, multipart, csrf).await {
        Ok(_) => Ok(Redirect::to(&format!("/records/{id}?done=material")).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::PAYLOAD_TOO_LARGE => {
            let errors = FormErrors::from_error(&e, c.lang);
            record_page(&state, c, &user, id, None, errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct SignFields {
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    reason: String,
}

/// Confirm the record from its page (R4).
pub async fn cosign(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    PageForm(c, user, f): PageForm<SignFields>,
) -> Result<Response, ApiError> {
    let result = state.store.cosign(&user, id, f.version).await;
    signed(&state, c, &user, id, result, "cosigned").await
}

/// Dispute the record from its page, with the reason (R4).
pub async fn dispute(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    PageForm(c, user, f): PageForm<SignFields>,
) -> Result<Response, ApiError> {
    let result = state.store.dispute(&user, id, f.version, &f.reason).await;
    signed(&state, c, &user, id, result, "disputed").await
}

async fn signed(
    state: &AppState,
    c: Chrome,
    user: &User,
    id: Uuid,
    result: Result<i64, StoreError>,
    done: &str,
) -> Result<Response, ApiError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/records/{id}?done={done}")).into_response()),
        Err(e @ StoreError::Invalid(_)) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            record_page(state, c, user, id, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- amendments ----

pub async fn amend_form(
    State(state): State<AppState>,
    Page(c, user): Page,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    state.store.check_can_amend(&user, id).await?;
    let view = state.store.record(&user, id, "page").await?;
    let v = Values::of_record(&view.record);
    entry_page(&state, c, &user, v, FormErrors::default(), Some((id.to_string(), view.version))).await
}

pub async fn amend(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    PageForm(c, user, pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let v = Values::from_pairs(&pairs.into_iter().filter(|(k, _)| k != "csrf" && k != "action").collect::<Vec<_>>());
    let expected: Option<u32> = v.get("expected_version").parse().ok();
    let draft = v.draft();
    match state.store.amend_record(&user, id, &draft, v.get("reason"), expected).await {
        Ok(_) => Ok(Redirect::to(&format!("/records/{id}?done=amended")).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            let amend = Some((id.to_string(), expected.unwrap_or(1)));
            entry_page(&state, c, &user, v, errors, amend).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- lists: my records, the store, the inbox ----

pub struct Line {
    pub id: String,
    pub occurred_at: String,
    pub case_number: String,
    pub intervener: String,
    pub form: String,
    pub special_items: String,
    pub serious: bool,
    pub cosign_status: String,
    pub recorder: String,
}

fn line(s: &RecordSummary, lang: Lang) -> Line {
    Line {
        id: s.id.to_string(),
        occurred_at: format_cst(s.occurred_at),
        case_number: s.case_number.clone().unwrap_or_default(),
        intervener: format!("{}（{}）", s.intervener_name, s.intervener_unit),
        form: lang.pick(s.form.zh(), s.form.en()).to_string(),
        special_items: s.special_items.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("、"),
        serious: s.serious,
        cosign_status: cosign_status_name(&s.cosign_status, lang),
        recorder: s.recorder.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "records.html")]
struct ListPage {
    c: Chrome,
    whole_store: bool,
    lines: Vec<Line>,
    total: i64,
    page: u32,
    pages: u32,
    query: Values,
    /// The query string of the current view without the page, for paging and CSV links.
    base_query: String,
    forms: Vec<Choice>,
    special_items: Vec<Numbered>,
    errors: FormErrors,
    show_recorder: bool,
}

fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .filter(|(k, v)| k != "page" && !v.is_empty())
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn list(
    State(state): State<AppState>,
    Page(c, user): Page,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let query: ListQuery = serde_urlencoded::from_str(&query_string(&pairs))
        .map_err(|e| ApiError::bad_request(format!("查询条件有误：{e}"), format!("bad query: {e}")))?;
    let page_no: u32 = pairs.iter().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()).unwrap_or(1);
    let whole_store = state.store.permits(&user, Permission::RecordReadCourt);
    let values = Values::from_pairs(&pairs);
    let (result, errors) = match query.to_filter() {
        Ok(mut filter) => {
            filter.page = page_no;
            filter.per_page = 50;
            match state.store.list_records(&user, &filter, "page").await {
                Ok(page) => (Some(page), FormErrors::default()),
                // A filter the caller may not use (the recorder, S9): shown beside the form.
                Err(e @ StoreError::Invalid(_)) => (None, FormErrors::from_error(&ApiError::from(e), c.lang)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => (None, FormErrors::from_error(&e, c.lang)),
    };
    let refused = errors.any();
    let (lines, total) = match &result {
        Some(p) => (p.items.iter().map(|s| line(s, c.lang)).collect(), p.total),
        None => (Vec::new(), 0),
    };
    let pages = u32::try_from((total + 49) / 50).unwrap_or(1).max(1);
    let show_recorder = state.store.permits(&user, Permission::RecordSeeRecorder);
    let page = ListPage {
        whole_store,
        lines,
        total,
        page: page_no,
        pages,
        base_query: query_string(&pairs),
        query: values,
        forms: choices::<Form>(c.lang),
        special_items: numbered(&SPECIAL_ITEMS, c.lang),
        errors,
        show_recorder,
        c,
    };
    let mut response = render(&page)?;
    if refused {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The current view as CSV (UTF-8 with a byte-order mark, so that spreadsheet programs on
/// Chinese Windows read it right); every line is a listed view in the ledger.
pub async fn export_csv(
    State(state): State<AppState>,
    Page(c, user): Page,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let mut filter = query.to_filter()?;
    filter.per_page = 200;
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        filter.page = page;
        let result = state.store.list_records(&user, &filter, "export").await?;
        let n = result.items.len();
        rows.extend(result.items);
        if n < 200 || rows.len() >= 100_000 {
            break;
        }
        page += 1;
    }
    let lang = c.lang;
    let header = [
        lang.pick("记录编号", "record id"),
        lang.pick("过问时间", "occurred at"),
        lang.pick("案号", "case number"),
        lang.pick("过问人", "intervener"),
        lang.pick("单位", "unit"),
        lang.pick("过问方式", "form"),
        lang.pick("特别报告事项", "special items"),
        lang.pick("情节严重", "serious"),
        lang.pick("确认状态", "co-signature"),
        lang.pick("录入人", "recorder"),
    ];
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                format_cst(s.occurred_at),
                s.case_number.clone().unwrap_or_default(),
                s.intervener_name.clone(),
                s.intervener_unit.clone(),
                lang.pick(s.form.zh(), s.form.en()).to_string(),
                s.special_items.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" "),
                if s.serious { lang.pick("是", "yes") } else { "" }.to_string(),
                cosign_status_name(&s.cosign_status, lang),
                s.recorder.clone().unwrap_or_default(),
            ]
        })
        .collect();
    Ok(csv_download("liuhen-records.csv", &header, &lines))
}

/// A CSV download: UTF-8 with a BOM (so that spreadsheets read the Chinese), CRLF lines, every
/// field quoted and neutralised by `csv_field`.
pub(crate) fn csv_download(file_name: &'static str, header: &[&str], lines: &[Vec<String>]) -> Response {
    let mut out = String::from("\u{feff}");
    for line in std::iter::once(header.iter().map(|h| csv_field(h)).collect::<Vec<_>>())
        .chain(lines.iter().map(|l| l.iter().map(|f| csv_field(f)).collect()))
    {
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    let mut response = out.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CONTENT_DISPOSITION, crate::api::attachment(file_name));
    response
}

/// RFC 4180 quoting; a leading = + - @ is neutralised so that a spreadsheet does not run it as a
/// formula (CSV injection).
pub(crate) fn csv_field(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[derive(Template)]
#[template(path = "cosign_inbox.html")]
struct InboxPage {
    c: Chrome,
    lines: Vec<Line>,
}

pub async fn inbox(State(state): State<AppState>, Page(c, user): Page) -> Result<Response, ApiError> {
    let lines = state.store.cosign_inbox(&user, "page").await?.iter().map(|s| line(s, c.lang)).collect();
    render(&InboxPage { c, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("张某"), "张某");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
    }

    #[test]
    fn a_form_becomes_a_draft() {
        let pairs: Vec<(String, String)> = [
            ("form", "phone"),
            ("intervener.name", "张某"),
            ("intervener.leading_cadre", "true"),
            ("occurred_at", "2026-03-31T23:30"),
            ("persons_present", "张某\n\n某秘书 "),
            ("court_staff_present", "judge_a"),
            ("court_staff_present", "judge_b"),
            ("storage_medium", "left over from another form"),
            ("special_items", "1"),
            ("special_items", "4"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let d = Values::from_pairs(&pairs).draft();
        assert_eq!(d.occurred_at.as_deref(), Some("2026-03-31 23:30"));
        assert_eq!(d.persons_present, Some(vec!["张某".to_string(), "某秘书".to_string()]));
        assert_eq!(d.court_staff_present, Some(vec!["judge_a".to_string(), "judge_b".to_string()]));
        assert_eq!(d.storage_medium, None, "a phone call has no storage medium");
        let alone = Values::from_pairs(&[("form".to_string(), "phone".to_string())]).draft();
        assert_eq!(alone.court_staff_present, Some(vec![]), "no box ticked: nobody else was there");
        assert_eq!(d.special_items, Some(vec![1, 4]));
        assert_eq!(d.intervener.unwrap().leading_cadre, Some(true));
    }
}

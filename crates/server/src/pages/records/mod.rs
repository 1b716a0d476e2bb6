//! The pages court staff record and find inquiries with (issue 5): the entry form with a review
//! step, a record's page (versions, materials, co-signatures, who read it, ledger status), the
//! co-signature inbox, amendments, and the records list that is the office's store (filters,
//! search, paging, CSV). Every form works without JavaScript; `/assets/entry.js` only helps.

mod entry;
mod lists;
mod record;

pub use entry::*;
pub use lists::*;
pub use record::*;

use std::collections::BTreeMap;

use crate::api::{ApiMultipart, ApiPath, ApiQuery};
use askama::Template;
use axum::extract::State;
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
use super::{render, render_form};
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

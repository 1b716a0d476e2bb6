//! The entry form with its review step, and amendments through the same form.

use super::*;

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
    let page = EntryPage { c, l, v, errors, amend };
    render_form(&page, &page.errors)
}

#[derive(Deserialize, Default)]
pub struct EntryQuery {
    draft: Option<Uuid>,
}

/// The empty entry form, or a saved draft of the user's filled in again.
pub async fn new_record(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<EntryQuery>,
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
    pub(super) async fn of(state: &AppState, r: &Record, lang: Lang) -> Result<Shown, ApiError> {
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
                .map(|i| i.label(lang))
                .collect(),
            c8_kind: r.c8_kind.and_then(liuhen_rules::c8_kind).map_or(String::new(), |k| k.label(lang)),
            serious: r.serious,
            entrusted_basis: r.entrusted_basis.clone().unwrap_or_default(),
            same_level_main_leader: r.same_level_main_leader,
        })
    }
}

pub async fn amend_form(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    state.store.check_can_amend(&user, id).await?;
    let view = state.store.record(&user, id, "page").await?;
    let v = Values::of_record(&view.record);
    entry_page(&state, c, &user, v, FormErrors::default(), Some((id.to_string(), view.version))).await
}

pub async fn amend(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
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

//! Immediate reports of serious cases (R9), and the chain of courts that acknowledge them.

use super::*;

/// What an immediate report says about the entry: no court staff names (issue 4: what leaves the
/// court carries none).
#[derive(serde::Serialize, Deserialize)]
pub(super) struct ImmediateContent {
    court_name: String,
    record_id: String,
    case: String,
    occurred_at: String,
    intervener: String,
    form: String,
    content: String,
    handling: String,
    special_items: Vec<String>,
    narrative: String,
}

#[derive(Deserialize)]
pub struct ImmediateFields {
    record_id: uuid::Uuid,
    #[serde(default)]
    narrative: String,
}

/// The office drafts the immediate report of a serious entry (R9); it goes, once a leader seals
/// it, to every court above up to the Supreme People's Court, each acknowledging in turn.
pub async fn draft_immediate(
    State(state): State<AppState>,
    crate::pages::chrome::PageForm(_, user, f): crate::pages::chrome::PageForm<ImmediateFields>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    use liuhen_rules::Listed;
    let view = state.store.record(&user, f.record_id, "report").await?;
    let r = &view.record;
    if !r.serious {
        return Err(form_problem(
            "record_id",
            "只有情节严重、可能造成冤假错案或其他严重后果的记录须立即报告",
            "only a serious entry that may cause a wrongful judgment or other grave harm is reported at once",
        ));
    }
    let chain: Vec<String> = state.store.courts_above(&user.court_id).await?.into_iter().map(|c| c.id).collect();
    if chain.is_empty() {
        return Err(form_problem("record_id", "本院没有上级法院可报", "this court has no court above to report to"));
    }
    let i = &r.intervener;
    let content = ImmediateContent {
        court_name: state.store.court(&user.court_id).await?.map_or(user.court_id.clone(), |c| c.name),
        record_id: f.record_id.to_string(),
        case: r.case_number.clone().or_else(|| r.case_title.clone()).unwrap_or_default(),
        occurred_at: liuhen_rules::period::format_cst(r.occurred_at),
        intervener: i.described(),
        form: r.form.zh().into(),
        content: r.content.clone(),
        handling: r.handling.clone().unwrap_or_default(),
        special_items: r
            .special_items
            .iter()
            .filter_map(|n| liuhen_rules::special_item(*n))
            .map(|s| s.label(liuhen_rules::Lang::Zh))
            .collect(),
        narrative: f.narrative.trim().to_string(),
    };
    let bytes = serde_json::to_vec(&content).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let id = state.store.draft_report(&user, "immediate", &f.record_id.to_string(), bytes, chain, None).await?;
    Ok(axum::response::Redirect::to(&format!("/reports/{id}")).into_response())
}

/// The immediate report as an official document (R9): to the court directly above, which sends
/// it on; no court staff names, as in its content.
pub(super) fn immediate_document(
    r: &ImmediateContent,
    above: &str,
    meta: &liuhen_reports::export::DocumentMeta,
) -> liuhen_reports::document::OfficialDocument {
    use liuhen_reports::document::Block;
    let mut body = vec![
        Block::Paragraph(
            "根据《人民法院落实〈领导干部干预司法活动、插手具体案件处理的记录、通报和责任追究规定〉的实施办法》第六条，现将一起情节严重、可能造成冤假错案或者其他严重后果的领导干部过问案件情况报告如下。"
                .into(),
        ),
        Block::Heading("一、基本情况".into()),
        Block::Table {
            columns: vec!["项目".into(), "内容".into()],
            rows: vec![
                vec!["案件".into(), r.case.clone()],
                vec!["过问时间（北京时间）".into(), r.occurred_at.clone()],
                vec!["过问人".into(), r.intervener.clone()],
                vec!["过问方式".into(), r.form.clone()],
                vec!["专项报告情形".into(), r.special_items.join("；")],
            ],
        },
        Block::Heading("二、过问内容".into()),
        Block::Paragraph(r.content.clone()),
        Block::Heading("三、处理情况".into()),
        Block::Paragraph(if r.handling.is_empty() { "尚未记录处理情况。".into() } else { r.handling.clone() }),
    ];
    if !r.narrative.is_empty() {
        body.push(Block::Heading("四、说明".into()));
        body.extend(r.narrative.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| Block::Paragraph(l.into())));
    }
    body.push(Block::Paragraph("请逐级报送至最高人民法院。特此报告。".into()));
    liuhen_reports::document::OfficialDocument {
        issuer: r.court_name.clone(),
        number: meta.number.clone(),
        signer: meta.signer.clone(),
        title: format!("{}关于一起领导干部过问案件情况的紧急报告", r.court_name),
        addressees: vec![above.to_string()],
        body,
        attachments: vec![],
        date: liuhen_reports::document::date_zh(meta.date),
        copy_to: vec![],
        draft: meta.draft,
    }
}

pub struct StepLine {
    pub court: String,
    pub since: String,
    pub acknowledged: String,
    pub overdue: bool,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "report_immediate.html")]
struct ImmediatePage {
    c: Chrome,
    info: liuhen_store::reports::ReportInfo,
    r: ImmediateContent,
    steps: Vec<StepLine>,
    may_approve: bool,
    may_acknowledge: bool,
}

pub(crate) async fn chain_lines(
    state: &AppState,
    info: &liuhen_store::reports::ReportInfo,
) -> Result<Vec<StepLine>, ApiError> {
    let names: BTreeMap<String, String> = state.store.courts().await?.into_iter().map(|c| (c.id, c.name)).collect();
    let steps = state.store.report_chain(info).await?;
    let current = steps.iter().position(|s| s.acknowledged_at.is_none());
    Ok(steps
        .iter()
        .enumerate()
        .map(|(n, s)| StepLine {
            court: names.get(&s.court_id).cloned().unwrap_or_else(|| s.court_id.clone()),
            since: s.since.map(liuhen_rules::period::format_cst).unwrap_or_default(),
            acknowledged: match (&s.acknowledged_by, s.acknowledged_at) {
                (Some(by), Some(at)) => format!("{by} · {}", liuhen_rules::period::format_cst(at)),
                _ => String::new(),
            },
            overdue: s.overdue,
            current: Some(n) == current && info.state == "sealed",
        })
        .collect())
}

pub(super) async fn immediate_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    info: liuhen_store::reports::ReportInfo,
) -> Result<Response, ApiError> {
    let bytes = state.store.report_object(user, info.id, &info.content_sha256).await?;
    let r: ImmediateContent =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let steps = chain_lines(state, &info).await?;
    let chain = state.store.report_chain(&info).await?;
    let current = chain.iter().find(|s| s.acknowledged_at.is_none()).map(|s| s.court_id.clone());
    let may_acknowledge = info.state == "sealed"
        && current.as_deref() == Some(user.court_id.as_str())
        && state.store.permits(user, liuhen_rules::Permission::ReportView);
    let may_approve = may_approve(state, user, &info);
    render(&ImmediatePage { c, info, r, steps, may_approve, may_acknowledge })
}

/// A court of the chain acknowledges the immediate report; the next court above is then the
/// one to acknowledge (R9).
pub async fn acknowledge(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<uuid::Uuid>,
    crate::pages::chrome::PageForm(_, user, NoFields {}): crate::pages::chrome::PageForm<NoFields>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    state.store.acknowledge_report(&user, id).await?;
    Ok(axum::response::Redirect::to(&format!("/reports/{id}")).into_response())
}

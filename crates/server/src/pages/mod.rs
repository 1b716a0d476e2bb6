//! Server-rendered pages (askama templates, which escape by default): the start page with the
//! log's public key, login, the administrator's pages, and the printable receipt with its QR code.
//! Every form works without JavaScript.

pub mod account;
pub mod accountability;
pub mod admin;
pub mod chrome;
pub mod records;
pub mod reports;
pub mod security;
pub mod session;

use crate::api::{ApiPath, ApiQuery};
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use liuhen_ledger::Event;
use liuhen_ledger::EventBody;
use liuhen_rules::Listed;
use liuhen_rules::period::format_cst;
use uuid::Uuid;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;

pub struct DraftLine {
    pub id: String,
    pub saved_at: String,
    pub label: String,
    /// Saved more than a day ago and not submitted: the rules ask for prompt recording.
    pub late: bool,
}

/// What the desk (工作台) shows a logged-in user: numbers only, so that opening it reads no record.
pub struct Desk {
    pub can_record: bool,
    pub pending: i64,
    /// Co-signatures waiting longer than the configured days.
    pub overdue: i64,
    pub drafts: Vec<DraftLine>,
    pub done: Option<&'static str>,
    /// The quarter's label and counts: records, serious ones, special-report ones.
    pub quarter: String,
    pub whole_store: bool,
    pub records: i64,
    pub serious: i64,
    pub special: i64,
    /// The last period, when the user owes a zero report for it (issue 8).
    pub zero_due: Option<String>,
    /// Contacts the case system logged that wait for this judge's answer.
    pub questions: usize,
    /// The login has no second factor, so the role's content permissions wait for one (issue 17).
    pub needs_second_factor: bool,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    c: chrome::Chrome,
    desk: Option<Desk>,
    origin: String,
    verifier_keys: Vec<String>,
    size: u64,
}

/// A form's page: 422 while it shows what was wrong with what was sent, so that a client (and a
/// test) sees the refusal without reading the page.
pub(crate) fn render_form(t: &impl Template, errors: &chrome::FormErrors) -> Result<Response, ApiError> {
    let mut response = render(t)?;
    if errors.any() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub(crate) fn render(t: &impl Template) -> Result<Response, ApiError> {
    let html = t.render().map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("页面生成失败：{e}"),
            format!("page failed: {e}"),
        )
    })?;
    Ok(Html(html).into_response())
}

async fn desk(
    state: &AppState,
    user: &liuhen_store::User,
    lang: liuhen_rules::Lang,
    done: Option<&str>,
) -> Result<Desk, ApiError> {
    use liuhen_rules::Permission;
    let now = time::OffsetDateTime::now_utc();
    let (year, quarter) = liuhen_rules::period::quarter_of(now);
    let start_month = (quarter - 1) * 3 + 1;
    let from = liuhen_rules::period::parse_instant(&format!("{year}-{start_month:02}-01 00:00"));
    let whole_store = state.store.permits(user, Permission::RecordReadCourt);
    let reads = whole_store || state.store.permits(user, Permission::RecordReadOwn);
    let mut filter = liuhen_store::RecordFilter { from, ..Default::default() };
    if !whole_store {
        filter.recorder = Some(user.username.clone());
    }
    let count = |f: liuhen_store::RecordFilter| async move {
        if !reads {
            return Ok::<i64, ApiError>(0);
        }
        match state.store.count_records(user, &f).await {
            Ok(n) => Ok(n),
            // A store reader without a second factor yet: the numbers wait too.
            Err(liuhen_store::StoreError::Forbidden { .. }) => Ok(0),
            Err(e) => Err(e.into()),
        }
    };
    let records = count(filter.clone()).await?;
    let serious = count(liuhen_store::RecordFilter { serious: Some(true), ..filter.clone() }).await?;
    let special = count(liuhen_store::RecordFilter { any_special_item: Some(true), ..filter.clone() }).await?;
    let (pending, overdue) = if state.store.permits(user, Permission::RecordCosign) {
        state.store.pending_cosignatures(user).await?
    } else {
        (0, 0)
    };
    let drafts = state
        .store
        .drafts(user)
        .await?
        .iter()
        .map(|d| {
            let who = [d.field("intervener.name"), d.field("intervener.unit")].join(" ");
            let case = d.field("case_number");
            DraftLine {
                id: d.id.to_string(),
                saved_at: liuhen_rules::period::format_cst(d.saved_at),
                label: format!("{} {}", case, who).trim().to_string(),
                late: now - d.saved_at > time::Duration::days(1),
            }
        })
        .collect();
    Ok(Desk {
        needs_second_factor: user.factor_limited,
        can_record: state.store.permits(user, Permission::RecordCreate),
        pending,
        overdue,
        drafts,
        done: (done == Some("draft")).then(|| {
            lang.pick(
                "草稿已保存。草稿只有您能看到，尚未记入专库；请尽快提交。",
                "Draft saved. Only you see it and it is not in the store yet; submit it soon.",
            )
        }),
        quarter: if lang == liuhen_rules::Lang::En {
            format!("Q{quarter} {year}")
        } else {
            format!("{year}年第{quarter}季度")
        },
        whole_store,
        records,
        serious,
        special,
        zero_due: state.store.zero_report_due(user).await?,
        questions: state.store.contacts(user, true).await?.iter().filter(|q| q.status == "question").count(),
    })
}

#[derive(serde::Deserialize)]
pub struct DeskQuery {
    done: Option<String>,
}

pub async fn index(
    State(state): State<AppState>,
    chrome::AnyPage(c): chrome::AnyPage,
    ApiQuery(q): ApiQuery<DeskQuery>,
) -> Result<Response, ApiError> {
    let size = state.store.latest_checkpoint().await?.map_or(0, |c| c.size);
    let desk = match &c.user {
        Some(u) => Some(desk(&state, u, c.lang, q.done.as_deref()).await?),
        None => None,
    };
    render(&IndexPage {
        c,
        desk,
        origin: state.store.log_origin().into(),
        verifier_keys: state.store.verifier_keys(),
        size,
    })
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    c: chrome::Chrome,
    status: liuhen_store::witness::LogStatus,
    verifier_keys: Vec<String>,
    checkpoint: String,
}

/// The ledger page: the current signed checkpoint, the keys to check it with, and the witnesses.
pub async fn ledger(State(state): State<AppState>, chrome::Page(c, _): chrome::Page) -> Result<Response, ApiError> {
    let status = state.store.log_status().await?;
    let checkpoint = state.store.cosigned_checkpoint().await?.unwrap_or_default();
    render(&LedgerPage { c, status, verifier_keys: state.store.verifier_keys(), checkpoint })
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    record_id: String,
    case_number: String,
    intervener: String,
    form: String,
    occurred_at: String,
    recorder: String,
    recorded_at: String,
    origin: String,
    index: u64,
    leaf_hash: String,
    checkpoint_size: u64,
    root: String,
    verifier_key: String,
    checkpoint: String,
    qr_svg: String,
}

/// What the QR code carries: enough to find the entry and check it against a checkpoint.
pub fn receipt_qr_text(origin: &str, index: u64, leaf_hash: &str, size: u64, root: &str) -> String {
    format!("liuhen-receipt:v1;origin={origin};index={index};leaf={leaf_hash};size={size};root={root}")
}

/// The printable receipt (回执) of a record, for its recorder.
pub async fn receipt(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let receipt = state.store.record_receipt(&user, id, "page").await?;
    let entry = base64::engine::general_purpose::STANDARD
        .decode(&receipt.entry)
        .map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let event = Event::decode(&entry).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let EventBody::RecordCreated { record, .. } = &event.body else {
        return Err(ApiError::bad_request("不是记录的创建事件", "not a record's creation event"));
    };
    let mut lines = receipt.checkpoint.lines();
    let (_, size, root) =
        (lines.next(), lines.next().and_then(|s| s.parse().ok()).unwrap_or(0), lines.next().unwrap_or("").to_string());
    let recorder = match state.store.user(&event.actor).await? {
        Some(u) => format!("{}（{}）", u.display_name, u.username),
        None => event.actor.clone(),
    };
    let qr_text = receipt_qr_text(&receipt.origin, receipt.index, &receipt.leaf_hash, size, &root);
    let qr =
        qrcode::QrCode::new(qr_text.as_bytes()).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let qr_svg = qr.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
    render(&ReceiptPage {
        record_id: id.to_string(),
        case_number: record.case_number.clone().or_else(|| record.case_title.clone()).unwrap_or_default(),
        intervener: record.intervener.described(),
        form: record.form.zh().into(),
        occurred_at: format_cst(record.occurred_at),
        recorder,
        recorded_at: format_cst(event.at),
        origin: receipt.origin,
        index: receipt.index,
        leaf_hash: receipt.leaf_hash,
        checkpoint_size: size,
        root,
        verifier_key: receipt.verifier_key,
        checkpoint: receipt.checkpoint,
        qr_svg,
    })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: chrome::Chrome,
    title: String,
    detail: String,
    problems: Vec<(String, String)>,
}

/// An error as a page in the site's frame, with the status it had.
pub async fn error_page(state: &AppState, headers: &axum::http::HeaderMap, path: &str, e: &ApiError) -> Response {
    let c = match chrome::Chrome::for_request(state, headers, path).await {
        Ok(c) => c,
        Err(_) => return e.render(chrome::request_lang(headers)),
    };
    let lang = c.lang;
    let title = match e.status.as_u16() {
        403 => lang.pick("无权访问", "Not allowed"),
        404 => lang.pick("找不到", "Not found"),
        422 | 400 => lang.pick("请修改后再提交", "Please correct and submit again"),
        429 | 423 => lang.pick("请稍后再试", "Try again later"),
        _ => lang.pick("出错了", "Something went wrong"),
    };
    let page = ErrorPage {
        title: title.to_string(),
        detail: lang.pick(&e.zh, &e.en).to_string(),
        problems: e.problems.iter().map(|p| (p.field.clone(), p.message(lang).to_string())).collect(),
        c,
    };
    match render(&page) {
        Ok(mut r) => {
            *r.status_mut() = e.status;
            r
        }
        Err(_) => e.render(lang),
    }
}

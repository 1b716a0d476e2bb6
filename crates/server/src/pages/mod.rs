//! Server-rendered pages (askama templates, which escape by default): the start page with the
//! log's public key, login, the administrator's pages, and the printable receipt with its QR code.
//! Every form works without JavaScript.

pub mod admin;
pub mod chrome;
pub mod session;

use askama::Template;
use axum::extract::{Path, State};
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

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    c: chrome::Chrome,
    origin: String,
    verifier_keys: Vec<String>,
    size: u64,
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

pub async fn index(State(state): State<AppState>, chrome::AnyPage(c): chrome::AnyPage) -> Result<Response, ApiError> {
    let size = state.store.latest_checkpoint().await?.map_or(0, |c| c.size);
    render(&IndexPage { c, origin: state.store.log_origin().into(), verifier_keys: state.store.verifier_keys(), size })
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
    Path(id): Path<Uuid>,
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
        intervener: format!("{}（{}，{}）", record.intervener.name, record.intervener.unit, record.intervener.post),
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

//! The one error type of the HTTP layer: every failure becomes `application/problem+json`
//! (RFC 9457) in the client's language, with each problem naming its field and rule.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liuhen_rules::{Lang, Problem};
use liuhen_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub zh: String,
    pub en: String,
    pub problems: Vec<Problem>,
    pub lang: Lang,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// JSON path of the field, e.g. `intervener.name`.
    pub field: String,
    /// The requirement (docs/regulations.md), e.g. `R4`.
    pub rule: String,
    pub code: String,
    pub message: String,
}

/// RFC 9457 problem details.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDocument {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError { status, kind, zh: zh.into(), en: en.into(), problems: Vec::new(), lang: Lang::Zh }
    }
    pub fn unauthorized() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "请先登录", "log in first")
    }
    pub fn invalid(problems: Vec<Problem>) -> Self {
        let n = problems.len();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "validation",
            zh: format!("有 {n} 处需要修改"),
            en: format!("{n} field(s) need correcting"),
            problems,
            lang: Lang::Zh,
        }
    }
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", zh, en)
    }
    /// A page's form without the session's anti-forgery token (forms and uploads alike).
    pub fn form_expired() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "表单已失效（缺少或不符的防伪令牌）；请返回页面刷新后重新提交",
            "the form has expired (missing or wrong anti-forgery token); reload the page and submit again",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(problems) => ApiError::invalid(problems),
            // Every field within its own limit can still add up to an event larger than one log
            // entry holds: the request's fault, said as such (issue 17: was a 500).
            StoreError::Ledger(liuhen_ledger::LedgerError::EntryTooLarge(size)) => {
                ApiError::invalid(vec![Problem::new(
                    "record",
                    "R1",
                    "too_large",
                    format!(
                        "记录编码后为 {size} 字节，超过日志条目上限 65535 字节；请缩短过问内容、处理情况等长文本，或把长文本作为材料上传"
                    ),
                    format!(
                        "the record is {size} bytes once encoded, over the log's 65,535-byte entry limit; shorten the content, handling or other long texts, or upload long texts as a material"
                    ),
                )])
            }
            StoreError::NotFound { zh, en } => ApiError::new(StatusCode::NOT_FOUND, "not_found", zh, en),
            StoreError::Forbidden { zh, en } => ApiError::new(StatusCode::FORBIDDEN, "forbidden", zh, en),
            StoreError::Conflict { zh, en } => ApiError::new(StatusCode::CONFLICT, "conflict", zh, en),
            // One answer for a wrong password, an unknown or disabled name and a locked account:
            // a distinct one would tell which names exist (issue 17).
            StoreError::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "用户名或密码错误；连续登录失败过多的账号会暂时锁定，请稍后再试或联系系统管理员解锁",
                "wrong user name or password; an account is locked for a while after too many failed logins — try again later or ask the system administrator to unlock it",
            ),
            StoreError::NoFederatedAccount(name) => ApiError::new(
                StatusCode::FORBIDDEN,
                "no_account",
                format!("统一身份认证已确认您是“{name}”，但本系统没有这个账号或账号已停用；请系统管理员建立或启用账号"),
                format!(
                    "the identity provider says you are \"{name}\", but there is no such account here or it is disabled; ask the system administrator"
                ),
            ),
            StoreError::TooManyAttempts { retry_after } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("此地址登录失败次数过多，请 {retry_after} 秒后再试"),
                format!("too many failed logins from this address; try again in {retry_after} seconds"),
            ),
            StoreError::SecondFactorRequired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "totp_required",
                "请输入验证器显示的 6 位验证码（第二因素）",
                "enter the 6-digit code your authenticator shows (second factor)",
            ),
            StoreError::SecondFactorWrong => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "totp_invalid",
                "验证码不对或已用过；请等验证器显示新的验证码",
                "wrong or already used code; wait for your authenticator to show a new one",
            ),
            StoreError::Locked { until } => {
                let when = liuhen_rules::period::format_cst(until);
                ApiError::new(
                    StatusCode::LOCKED,
                    "locked",
                    format!("登录失败次数过多，账号已锁定至 {when}（北京时间）；如需提前解锁，请联系系统管理员"),
                    format!(
                        "too many failed logins: the account is locked until {when} China Standard Time; the system administrator can unlock it sooner"
                    ),
                )
            }
            StoreError::TooLarge { limit } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("材料超过大小上限（{} MB）", limit / 1_000_000),
                format!("the material is larger than the limit ({} MB)", limit / 1_000_000),
            ),
            StoreError::Upload(reason) => ApiError::bad_request(
                format!("上传中断，未保存：{reason}"),
                format!("the upload was interrupted and not stored: {reason}"),
            ),
            StoreError::MaterialCorrupt { sha256 } => {
                tracing::error!(%sha256, "material does not match its hash");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "material_corrupt",
                    "材料文件与登记的哈希不符，可能已被改动或损坏；已拒绝提供，请通知专库管理员",
                    "the material no longer matches its recorded hash; it was not served — tell the store maintainer",
                )
            }
            StoreError::ConnectionLost(detail) => {
                tracing::error!(%detail, "the database connection was lost");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "与数据库的连接中断，本次请求没有完成；请稍后重试",
                    "the connection to the database was lost and the request was not carried out; try again shortly",
                )
            }
            StoreError::OutcomeUnknown(detail) => {
                tracing::error!(%detail, "a commit's outcome is unknown: the connection was lost while committing");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "outcome_unknown",
                    "提交时与数据库的连接中断，无法确定本次提交是否已保存。请先查看是否已登记；重新提交时使用同一个 Idempotency-Key，不会重复登记",
                    "the connection to the database was lost while committing, so whether this was stored is unknown; look before resubmitting, and resubmit with the same Idempotency-Key so that nothing is recorded twice",
                )
            }
            full if full.is_storage_full() => {
                tracing::error!(error = %full, "no space left: a write was refused");
                ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "storage_full",
                    "服务器存储空间已满，本次提交没有写入任何内容；已登记的内容不受影响。请通知系统管理员释放空间后重新提交",
                    "the server has no space left: nothing of this request was written, and what was recorded before is unaffected; ask the administrator to free space, then submit again",
                )
            }
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，请稍后再试或联系管理员",
                    "internal server error; try again later or contact the administrator",
                )
            }
        }
    }
}

impl ApiError {
    /// The problem document in one language.
    pub fn render(&self, lang: Lang) -> Response {
        let doc = ProblemDocument {
            kind: format!("/problems/{}", self.kind),
            title: lang.pick(&self.zh, &self.en).to_string(),
            status: self.status.as_u16(),
            detail: lang.pick(&self.zh, &self.en).to_string(),
            errors: self
                .problems
                .iter()
                .map(|p| FieldProblem {
                    field: p.field.clone(),
                    rule: p.rule.to_string(),
                    code: p.code.to_string(),
                    message: p.message(lang).to_string(),
                })
                .collect(),
        };
        let body = serde_json::to_vec(&doc).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        headers
            .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(if lang == Lang::En { "en" } else { "zh-CN" }));
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
        response
    }
}

/// Handlers return errors without knowing the client's language; the response carries the error and
/// the `localise_problems` middleware renders it in the language the request asked for.
#[derive(Clone)]
pub struct PendingProblem(pub std::sync::Arc<ApiError>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.render(self.lang);
        response.extensions_mut().insert(PendingProblem(std::sync::Arc::new(self)));
        response
    }
}

/// Renders a handler's error in the request's language; for a browser asking for a page (not the
/// API), as an HTML page in the site's frame — and a page that needs a login sends it to log in.
pub async fn localise_problems(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use crate::pages::chrome;
    let lang = chrome::request_lang(request.headers());
    let path = request.uri().path().to_string();
    let is_api = ["/api/", "/log/", "/witness/"].iter().any(|p| path.starts_with(p));
    let page_headers = (!is_api && chrome::wants_html(request.headers())).then(|| request.headers().clone());
    let get = request.method() == axum::http::Method::GET;
    let response = next.run(request).await;
    let Some(problem) = response.extensions().get::<PendingProblem>().cloned() else { return response };
    if let Some(headers) = page_headers {
        if problem.0.status == StatusCode::UNAUTHORIZED && get {
            return axum::response::Redirect::to(&format!("/login?next={}", chrome::urlencode(&path))).into_response();
        }
        return crate::pages::error_page(&state, &headers, &path, &problem.0).await;
    }
    if lang != problem.0.lang { problem.0.render(lang) } else { response }
}

//! What every page shares: who is logged in, the language, the navigation, and the CSRF token
//! its forms carry. Pages read the session cookie (or a bearer token, for scripts and tests); a
//! form posted with the cookie must carry the session's CSRF token in its `csrf` field, which a
//! page of another site cannot know.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use liuhen_rules::{Lang, Permission};
use liuhen_store::User;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::{SESSION_COOKIE, bearer_from_headers, cookie_value};
use crate::error::ApiError;

pub const LANG_COOKIE: &str = "liuhen_lang";

/// The language a request wants: the switch on the pages (a cookie), else `Accept-Language`,
/// else Chinese.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    match cookie_value(headers, LANG_COOKIE).as_deref() {
        Some("en") => Lang::En,
        Some("zh") => Lang::Zh,
        _ => Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())),
    }
}

/// The CSRF token of a session: derived from the session token, which only this browser holds.
pub fn csrf_for(session_token: &str) -> String {
    hex::encode(&Sha256::digest(format!("liuhen-csrf\0{session_token}").as_bytes())[..16])
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The frame of a page: header, navigation, language switch, logout.
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<User>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// This page's path, for the language switch to come back to.
    pub path: String,
    /// Authenticated by a bearer token (a script), not a browser's cookie: no CSRF to check.
    pub by_bearer: bool,
}

impl Chrome {
    /// The text in the page's language; both stand side by side in the templates.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }

    pub fn html_lang(&self) -> &'static str {
        if self.lang == Lang::En { "en" } else { "zh-CN" }
    }

    pub fn other_lang(&self) -> (&'static str, &'static str) {
        if self.lang == Lang::En { ("zh", "中文") } else { ("en", "English") }
    }

    pub fn role_name(&self) -> &str {
        use liuhen_rules::Listed;
        self.user.as_ref().map_or("", |u| self.lang.pick(u.role.zh(), u.role.en()))
    }

    fn build(state: &AppState, headers: &HeaderMap, path: &str, user: Option<User>, token: Option<&str>) -> Chrome {
        let lang = request_lang(headers);
        let mut nav = Vec::new();
        if let Some(u) = &user {
            let reads_store = state.store.permits(u, Permission::RecordReadCourt);
            let items: [(&'static str, &'static str, &'static str, bool); 17] = [
                ("/", "工作台", "Desk", true),
                ("/records/new", "录入", "Record", state.store.permits(u, Permission::RecordCreate)),
                (
                    "/records",
                    if reads_store { "专库" } else { "我的记录" },
                    if reads_store { "Store" } else { "My records" },
                    state.store.permits(u, Permission::RecordReadOwn) || reads_store,
                ),
                ("/cosign", "待我确认", "To confirm", state.store.permits(u, Permission::RecordCosign)),
                ("/reports/quarterly", "季度分析", "Quarterly", state.store.permits(u, Permission::ReportView)),
                ("/reports", "报告", "Reports", state.store.permits(u, Permission::ReportView)),
                (
                    "/filing",
                    "零报告",
                    "Zero reports",
                    (u.role == liuhen_rules::Role::Recorder && !u.via_token)
                        || state.store.permits(u, Permission::FilingOversee),
                ),
                ("/findings", "追责", "Findings", state.store.permits(u, Permission::FindingRecord)),
                ("/complaints", "控告", "Complaints", state.store.permits(u, Permission::ComplaintHandle)),
                ("/cadres", "干部档案", "Cadres", state.store.permits(u, Permission::RecordReadCourt)),
                ("/ledger", "日志", "Log", true),
                ("/account", "我的账号", "My account", true),
                ("/admin/users", "用户", "Users", state.store.permits(u, Permission::AdminUsers)),
                ("/admin/courts", "法院", "Courts", state.store.permits(u, Permission::AdminCourts)),
                ("/admin/tokens", "接口令牌", "API tokens", state.store.permits(u, Permission::AdminUsers)),
                ("/security/approvals", "待批准", "Approvals", state.store.permits(u, Permission::SecurityApprove)),
                ("/audit", "审计记录", "Audit trail", state.store.permits(u, Permission::AuditRead)),
            ];
            for (href, zh, en, shown) in items {
                if shown {
                    let current = match href {
                        "/" => path == "/",
                        "/records" => path == "/records" || (path.starts_with("/records/") && path != "/records/new"),
                        "/reports" => {
                            path == "/reports"
                                || (path.starts_with("/reports/") && !path.starts_with("/reports/quarterly"))
                        }
                        _ => path.starts_with(href),
                    };
                    nav.push(NavItem { href, label: lang.pick(zh, en), current });
                }
            }
        }
        Chrome {
            lang,
            user,
            csrf: token.map(csrf_for).unwrap_or_default(),
            nav,
            path: path.to_string(),
            by_bearer: bearer_from_headers(headers).is_some(),
        }
    }
}

/// The session's token, from a bearer header or the cookie, and whether it was the header.
fn token_of(headers: &HeaderMap) -> (Option<String>, bool) {
    match bearer_from_headers(headers) {
        Some(t) => (Some(t), true),
        None => (cookie_value(headers, SESSION_COOKIE), false),
    }
}

impl Chrome {
    /// The frame for a request: who is logged in (if anyone), language, navigation.
    pub async fn for_request(state: &AppState, headers: &HeaderMap, path: &str) -> Result<Chrome, ApiError> {
        let (token, _) = token_of(headers);
        let user = match &token {
            Some(t) => state.store.session_user(t).await?,
            None => None,
        };
        let token = token.filter(|_| user.is_some());
        Ok(Chrome::build(state, headers, path, user, token.as_deref()))
    }
}

/// A page anyone may see; `chrome.user` is set when someone is logged in.
pub struct AnyPage(pub Chrome);

impl FromRequestParts<AppState> for AnyPage {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(AnyPage(Chrome::for_request(state, &parts.headers, parts.uri.path()).await?))
    }
}

/// A page for logged-in users. A browser that is not logged in is sent to the login page and back.
pub struct Page(pub Chrome, pub User);

/// Not logged in: a browser goes to the login page, a script gets 401.
pub struct LoginFirst(ApiError, Option<String>);

impl IntoResponse for LoginFirst {
    fn into_response(self) -> Response {
        match self.1 {
            Some(next) => Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response(),
            None => self.0.into_response(),
        }
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

impl FromRequestParts<AppState> for Page {
    type Rejection = LoginFirst;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let AnyPage(chrome) = AnyPage::from_request_parts(parts, state).await.map_err(|e| LoginFirst(e, None))?;
        match chrome.user.clone() {
            Some(user) => Ok(Page(chrome, user)),
            None => {
                let next = parts.uri.path_and_query().map(|p| p.as_str().to_string());
                Err(LoginFirst(ApiError::unauthorized(), next.filter(|_| wants_html(&parts.headers))))
            }
        }
    }
}

/// A form whose only field is its CSRF token (a button: log out, approve, revoke …).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A form posted from one of our pages by a logged-in user: the CSRF token checked, then the
/// fields parsed into `T`.
pub struct PageForm<T>(pub Chrome, pub User, pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let (_, by_bearer) = token_of(&parts.headers);
        let Page(chrome, user) =
            Page::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let bytes = axum::body::to_bytes(body, 1 << 20).await.map_err(|e| {
            ApiError::bad_request(format!("表单读取失败：{e}"), format!("could not read the form: {e}")).into_response()
        })?;
        #[derive(serde::Deserialize)]
        struct Csrf {
            #[serde(default)]
            csrf: String,
        }
        // A bearer token is not sent by browsers on their own, so only cookie sessions need it.
        if !by_bearer {
            let sent = serde_urlencoded::from_bytes::<Csrf>(&bytes).map(|c| c.csrf).unwrap_or_default();
            if sent.is_empty() || sent != chrome.csrf {
                return Err(ApiError::form_expired().into_response());
            }
        }
        let fields = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            ApiError::bad_request(format!("表单内容有误：{e}"), format!("the form is not valid: {e}")).into_response()
        })?;
        Ok(PageForm(chrome, user, fields))
    }
}

/// Field problems of a refused form, by field, in the page's language; shown at the top and
/// beside each field.
#[derive(Default)]
pub struct FormErrors(Vec<(String, String)>);

impl FormErrors {
    pub fn from_error(e: &ApiError, lang: Lang) -> FormErrors {
        if e.problems.is_empty() {
            return FormErrors(vec![(String::new(), lang.pick(&e.zh, &e.en).to_string())]);
        }
        // A problem of one item of a list (`persons_present[1]`) shows beside the list's field.
        let field = |f: &str| f.split('[').next().unwrap_or(f).to_string();
        FormErrors(e.problems.iter().map(|p| (field(&p.field), p.message(lang).to_string())).collect())
    }
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
    pub fn all(&self) -> &[(String, String)] {
        &self.0
    }
    /// Show a store field's problem under this form's name for it.
    pub fn rename(&mut self, from: &str, to: &str) {
        for (field, _) in &mut self.0 {
            if field == from {
                *field = to.to_string();
            }
        }
    }
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

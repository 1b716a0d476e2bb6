//! Logging in and out on the pages, and the language switch.

use crate::api::{ApiForm, ApiPath, ApiQuery};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use serde::Deserialize;

use super::chrome::{AnyPage, Chrome, LANG_COOKIE, NoFields, PageForm};
use super::render;
use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie_value};
use crate::error::ApiError;

/// A random value in a cookie and in the login form (double submit): a login form posted from
/// another site lacks it, so nobody can log a browser into an account of theirs (login CSRF).
const LOGIN_COOKIE: &str = "liuhen_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    login_csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    error_field: &'static str,
    sso_label: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only a plain path on this site, so the login cannot be used to send someone elsewhere (issue
/// 17): printable ASCII without spaces or backslashes, beginning with one `/` — browsers drop tabs
/// and line breaks and read `\` as `/`, so `/\t/evil.example` or `/\evil.example` would lead
/// off the site — and the same once percent-decoded (`/%2F/evil.example`), in case something
/// between decodes it. Anything else goes to `/`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_plain_path(n) && is_plain_path(&percent_decoded(n)) => n.to_string(),
        _ => "/".to_string(),
    }
}

fn is_plain_path(path: &str) -> bool {
    let b = path.as_bytes();
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/' | b'\\'))
        && b.iter().all(|&c| c.is_ascii_graphic() && c != b'\\' || c >= 0x80)
}

/// `%XX` decoded once (bytes that are not valid UTF-8 become U+FFFD).
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn login_page(
    state: &AppState,
    c: Chrome,
    next: String,
    username: String,
    error: Option<(String, &'static str)>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let login_csrf = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>());
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{LOGIN_COOKIE}={login_csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}");
    let (error, error_field) = match error {
        Some((message, field)) => (Some(message), field),
        None => (None, ""),
    };
    let page = LoginPage {
        c,
        login_csrf,
        next,
        username,
        error,
        error_field,
        sso_label: state.oidc.as_ref().map(|o| o.label().to_string()),
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?,
    );
    Ok(response)
}

pub async fn login_form(
    State(state): State<AppState>,
    AnyPage(c): AnyPage,
    ApiQuery(q): ApiQuery<LoginQuery>,
) -> Result<Response, ApiError> {
    let next = safe_next(q.next.as_deref());
    if c.user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    login_page(&state, c, next, String::new(), None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginFields {
    #[serde(default)]
    login_csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    AnyPage(c): AnyPage,
    connection: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    ApiForm(f): ApiForm<LoginFields>,
) -> Result<Response, ApiError> {
    let next = safe_next(Some(&f.next));
    let username = f.username.trim().to_string();
    if f.login_csrf.is_empty() || cookie_value(&headers, LOGIN_COOKIE).as_deref() != Some(f.login_csrf.as_str()) {
        let message =
            c.t("登录页面已过期，请重新输入后登录", "the login page had expired; enter your details again").into();
        return login_page(&state, c, next, username, Some((message, "")), StatusCode::FORBIDDEN);
    }
    let client = connection.map(|x| crate::api::client_address(x.0.0.ip(), &headers, &state.trusted_proxies));
    let code = Some(f.code.trim()).filter(|c| !c.is_empty());
    match state.store.login(client, &username, &f.password, code).await {
        Ok((token, _)) => {
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(header::SET_COOKIE, crate::api::session_cookie(&state, &token)?);
            Ok(response)
        }
        Err(e) => {
            let e = ApiError::from(e);
            let field = match e.kind {
                "totp_required" | "totp_invalid" => "code",
                "bad_credentials" => "password",
                _ => "",
            };
            let message = c.lang.pick(&e.zh, &e.en).to_string();
            login_page(&state, c, next, username, Some((message, field)), e.status)
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(_, _, NoFields {}): PageForm<NoFields>,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
        state.store.logout(&token).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("liuhen_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

/// The language switch: remembered in a cookie for a year.
pub async fn switch_language(ApiPath(code): ApiPath<String>, ApiQuery(q): ApiQuery<LoginQuery>) -> Response {
    let code = if code == "en" { "en" } else { "zh" };
    let mut response = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    let cookie = format!("{LANG_COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

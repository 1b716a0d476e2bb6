//! Who is asking: a bearer token (API clients, the case-management system) or the session cookie
//! (pages). A cookie alone never authorises a state change: such requests must also carry the
//! `X-Liuhen-CSRF` header, which a cross-site form cannot set.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use liuhen_store::User;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "liuhen_session";
pub const CSRF_HEADER: &str = "x-liuhen-csrf";

pub struct CurrentUser(pub User);

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn cookie_token(parts: &Parts) -> Option<String> {
    cookie_value(&parts.headers, SESSION_COOKIE)
}

pub fn bearer_token(parts: &Parts) -> Option<String> {
    bearer_from_headers(&parts.headers)
}

pub fn bearer_from_headers(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_string())
}

/// The token of the request, from the Authorization header or the cookie.
pub fn request_token(parts: &Parts) -> Result<Option<String>, ApiError> {
    if let Some(token) = bearer_token(parts) {
        return Ok(Some(token));
    }
    let Some(token) = cookie_token(parts) else { return Ok(None) };
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !parts.headers.contains_key(CSRF_HEADER) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "csrf",
            "以登录 Cookie 提交的修改请求须带 X-Liuhen-CSRF 请求头",
            "a state-changing request authenticated by cookie must carry the X-Liuhen-CSRF header",
        ));
    }
    Ok(Some(token))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = request_token(parts)?.ok_or_else(ApiError::unauthorized)?;
        let user = state.store.session_user(&token).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(CurrentUser(user))
    }
}

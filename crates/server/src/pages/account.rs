//! 我的账号: a user's own account — change the password, set up the TOTP second factor that
//! reading the whole store needs (等保). Nothing here shows any record.

use crate::api::ApiQuery;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use liuhen_rules::Listed;
use liuhen_store::{StoreError, User};
use serde::Deserialize;

use super::chrome::{Chrome, FormErrors, Page, PageForm};
use super::render_form;
use crate::AppState;
use crate::auth::{SESSION_COOKIE, bearer_from_headers, cookie_value};
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    court: String,
    role: String,
    second_factor: bool,
    /// Whether this role must log in with a second factor to read the store.
    store_reader: bool,
    /// While setting up: the secret to type in, and the QR code of its otpauth URL.
    enrolment: Option<(String, String)>,
    done: Option<&'static str>,
    errors: FormErrors,
}

async fn account_page(
    state: &AppState,
    c: Chrome,
    user: &User,
    enrolment: Option<(String, String)>,
    done: Option<&'static str>,
    errors: FormErrors,
) -> Result<Response, ApiError> {
    let court = state.store.court(&user.court_id).await?.map_or(user.court_id.clone(), |c| c.name);
    let page = AccountPage {
        court,
        role: c.lang.pick(user.role.zh(), user.role.en()).to_string(),
        second_factor: user.second_factor,
        store_reader: state.store.permissions().reads_contents(user.role),
        enrolment,
        done,
        errors,
        c,
    };
    render_form(&page, &page.errors)
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

pub async fn account(
    State(state): State<AppState>,
    Page(c, user): Page,
    ApiQuery(q): ApiQuery<Done>,
) -> Result<Response, ApiError> {
    let done = match q.done.as_deref() {
        Some("password") => Some(c.t("密码已更改；您在其他设备上的会话已结束。", "Password changed; your sessions elsewhere have ended.")),
        Some("totp") => Some(c.t(
            "第二因素已启用：此后登录须输入验证器显示的验证码；其他会话已结束。",
            "Second factor set up: from now on, logging in needs the code your authenticator shows; other sessions have ended.",
        )),
        _ => None,
    };
    account_page(&state, c, &user, None, done, FormErrors::default()).await
}

/// The session token of this browser (the password change and the second factor keep it open).
fn this_session(headers: &HeaderMap) -> String {
    bearer_from_headers(headers).or_else(|| cookie_value(headers, SESSION_COOKIE)).unwrap_or_default()
}

#[derive(Deserialize)]
pub struct PasswordFields {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(c, user, f): PageForm<PasswordFields>,
) -> Result<Response, ApiError> {
    match state.store.change_password(&user, &f.current_password, &f.new_password, &this_session(&headers)).await {
        Ok(()) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(e @ StoreError::Invalid(_)) => {
            let mut errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            // The policy speaks of "password"; on this form that is the new one.
            errors.rename("password", "new_password");
            account_page(&state, c, &user, None, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct EnrolmentFields {
    #[serde(default)]
    enrolment_code: String,
}

/// Begin setting up the authenticator with the one-time enrolment code: a new secret, shown as
/// text and as a QR code.
pub async fn start_totp(
    State(state): State<AppState>,
    PageForm(c, user, f): PageForm<EnrolmentFields>,
) -> Result<Response, ApiError> {
    let enrolment = match state.store.start_second_factor(&user, &f.enrolment_code).await {
        Ok(enrolment) => enrolment,
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            return account_page(&state, c, &user, None, None, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    let qr = qrcode::QrCode::new(enrolment.otpauth_url.as_bytes())
        .map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    account_page(&state, c, &user, Some((enrolment.secret, qr)), None, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct CodeFields {
    #[serde(default)]
    code: String,
}

pub async fn confirm_totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(c, user, f): PageForm<CodeFields>,
) -> Result<Response, ApiError> {
    match state.store.confirm_second_factor(&user, &f.code, &this_session(&headers)).await {
        Ok(()) => Ok(Redirect::to("/account?done=totp").into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let errors = FormErrors::from_error(&ApiError::from(e), c.lang);
            account_page(&state, c, &user, None, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

//! Sessions over the API: login and logout, the second factor, the own password, who I am.

use super::*;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The 6-digit code of the TOTP second factor, for accounts that have one.
    pub code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for the API; pages use the HttpOnly cookie set with it.
    pub token: String,
    pub user: User,
}

/// Log in with a password (argon2id); returns a bearer token and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", security(()), request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ProblemDocument), (status = 429, description = "此地址登录失败过多 / too many failed logins from this address", body = ProblemDocument)))]
pub async fn login(
    State(state): State<AppState>,
    connection: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let client = connection.map(|c| client_address(c.0.0.ip(), &headers, &state.trusted_proxies));
    let (token, user) = state.store.login(client, req.username.trim(), &req.password, req.code.as_deref()).await?;
    let cookie = session_cookie(&state, &token)?;
    let mut response = Json(LoginResponse { token, user }).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The session cookie: HttpOnly, SameSite=Strict, Secure when served over TLS (等保).
pub fn session_cookie(state: &AppState, token: &str) -> Result<HeaderValue, ApiError> {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        state.store.config().policy.session_hours * 3600
    );
    HeaderValue::from_str(&cookie).map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))
}

/// The address a request comes from: the peer, or — when the peer is a trusted reverse proxy —
/// the last address it put in `X-Forwarded-For`.
pub fn client_address(peer: std::net::IpAddr, headers: &HeaderMap, trusted: &[std::net::IpAddr]) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .next_back()
        .unwrap_or(peer)
}

/// End the session.
/// Without a session there is nothing to end, and the answer is the same.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", security((), ("bearer" = [])), responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    if let Some(token) = request_token(&parts)? {
        state.store.logout(&token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("liuhen_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TotpConfirmation {
    /// The 6 digits the authenticator shows.
    pub code: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TotpStart {
    /// The one-time enrolment code handed to you out of band (by the security administrator, or
    /// for accounts that read no contents, the administrator).
    pub enrolment_code: String,
}

/// Begin setting up a TOTP second factor (等保): a new secret and its otpauth URL for the
/// authenticator. It takes the one-time enrolment code and counts once confirmed.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "session", request_body = TotpStart,
    responses((status = 200, body = TotpEnrolment), (status = 409, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn start_totp(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<TotpStart>,
) -> Result<Json<TotpEnrolment>, ApiError> {
    Ok(Json(state.store.start_second_factor(&user, &req.enrolment_code).await?))
}

/// Confirm the second factor with a code; from then on logging in needs it. Other sessions of
/// the account end.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "session", request_body = TotpConfirmation,
    responses((status = 204), (status = 409, body = ProblemDocument), (status = 422, body = ProblemDocument)))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    request: Request,
) -> Result<StatusCode, ApiError> {
    let (token, req): (String, TotpConfirmation) = token_and_json(request).await?;
    state.store.confirm_second_factor(&user, &req.code, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters of at least two kinds (letters, digits, signs).
    pub new_password: String,
}

/// Change your own password; your other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = ProblemDocument)))]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    request: Request,
) -> Result<StatusCode, ApiError> {
    let (token, req): (String, PasswordChange) = token_and_json(request).await?;
    state.store.change_password(&user, &req.current_password, &req.new_password, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The request's token and its JSON body (for changes that end the account's other sessions).
async fn token_and_json<T: serde::de::DeserializeOwned>(request: Request) -> Result<(String, T), ApiError> {
    let (parts, body) = request.into_parts();
    let token = request_token(&parts)?.ok_or_else(ApiError::unauthorized)?;
    let bytes =
        axum::body::to_bytes(body, 16 * 1024).await.map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?;
    let value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(format!("请求正文不是有效的 JSON：{e}"), format!("the body is not valid JSON: {e}"))
    })?;
    Ok((token, value))
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = User), (status = 401, body = ProblemDocument)))]
pub async fn me(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(user)
}

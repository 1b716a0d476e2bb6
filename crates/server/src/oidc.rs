//! Single sign-on through the court's identity provider (OpenID Connect authorization-code flow
//! with PKCE, issue 4). The provider says who someone is; this register keeps saying what they may
//! do: only existing, enabled accounts can sign in this way, matched by a configured claim.
//!
//! The login's state, nonce and PKCE verifier travel in a short-lived HttpOnly cookie scoped to
//! `/auth/oidc` (SameSite=Lax, as the provider's redirect back is a cross-site navigation), so any
//! server of a deployment can finish a login another began.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::ApiQuery;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use crate::AppState;
use crate::error::ApiError;

pub const FLOW_COOKIE: &str = "liuhen_oidc";

/// `[oidc]` in the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcConfig {
    /// The provider's issuer URL; its discovery document is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The client secret, or better a file holding it (`client_secret_file`), kept out of the
    /// configuration file.
    pub client_secret: String,
    pub client_secret_file: Option<std::path::PathBuf>,
    /// This server's callback as registered at the provider, e.g.
    /// `https://liuhen.example-court.cn/auth/oidc/callback`.
    pub redirect_url: String,
    /// The ID-token claim whose value is the account's user name here. Default `sub`: the
    /// provider's identifier for the person, which they cannot change (OIDC Core §5.7: only `iss`
    /// and `sub` identify someone reliably). Choose another only if users cannot edit it
    /// themselves (an employee number, not `preferred_username`, `nickname` or `email`).
    pub username_claim: String,
    pub scopes: Vec<String>,
    /// `amr` values (RFC 8176) that count as a second factor for the login (等保: store readers
    /// must log in with one).
    pub second_factor_amr: Vec<String>,
    /// The button's text on the login page.
    pub label: String,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            client_secret_file: None,
            redirect_url: String::new(),
            username_claim: "sub".into(),
            scopes: vec!["openid".into(), "profile".into()],
            second_factor_amr: ["mfa", "otp", "hwk", "swk", "sc"].map(String::from).to_vec(),
            label: "统一身份认证登录".into(),
        }
    }
}

/// The provider's endpoints, from its discovery document.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// Signature algorithms accepted on ID tokens: asymmetric only, so a public key can never be
/// misused as an HMAC secret.
const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

/// Keys are fetched again at most this often when a token names a key not yet known (rotation).
const JWKS_REFRESH: Duration = Duration::from_secs(60);

pub struct Oidc {
    config: OidcConfig,
    client_secret: String,
    http: reqwest::Client,
    discovery: RwLock<Option<Discovery>>,
    keys: RwLock<(JwkSet, Option<Instant>)>,
}

impl Oidc {
    /// Checks the configuration (every problem named) and reads the secret file; the provider is
    /// asked for its endpoints at the first login, so the register starts when it is away.
    pub fn new(config: OidcConfig) -> Result<Oidc, String> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("oidc.issuer", &config.issuer),
            ("oidc.client_id", &config.client_id),
            ("oidc.redirect_url", &config.redirect_url),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{field}: 必填 (required)"));
            }
        }
        for (field, value) in [("oidc.issuer", &config.issuer), ("oidc.redirect_url", &config.redirect_url)] {
            if !value.is_empty() && reqwest::Url::parse(value).is_err() {
                problems.push(format!("{field}: 不是有效的网址 (not a valid URL): {value}"));
            }
        }
        if !config.scopes.iter().any(|s| s == "openid") {
            problems.push("oidc.scopes: 须含 openid (must include openid)".into());
        }
        let client_secret = match &config.client_secret_file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(s) => s.trim().to_string(),
                Err(e) => {
                    problems.push(format!("oidc.client_secret_file: 读不出 {} (cannot read): {e}", path.display()));
                    String::new()
                }
            },
            None => config.client_secret.clone(),
        };
        if client_secret.is_empty() && problems.is_empty() {
            problems.push("oidc.client_secret / client_secret_file: 必填其一 (one is required)".into());
        }
        if !problems.is_empty() {
            return Err(problems.join("\n"));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Oidc {
            config,
            client_secret,
            http,
            discovery: RwLock::new(None),
            keys: RwLock::new((JwkSet { keys: Vec::new() }, None)),
        })
    }

    pub fn label(&self) -> &str {
        &self.config.label
    }

    async fn discovery(&self) -> Result<Discovery, ApiError> {
        if let Some(d) = self.discovery.read().await.clone() {
            return Ok(d);
        }
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer.trim_end_matches('/'));
        let d: Discovery = self.fetch_json(&url).await?;
        // OpenID Connect Discovery §4.3: the document must be the issuer's own.
        if d.issuer.trim_end_matches('/') != self.config.issuer.trim_end_matches('/') {
            return Err(provider_error(format!("discovery names issuer {} instead of the configured one", d.issuer)));
        }
        *self.discovery.write().await = Some(d.clone());
        Ok(d)
    }

    async fn fetch_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, ApiError> {
        let response = self.http.get(url).send().await.map_err(|e| provider_error(format!("{url}: {e}")))?;
        if !response.status().is_success() {
            return Err(provider_error(format!("{url}: HTTP {}", response.status())));
        }
        response.json().await.map_err(|e| provider_error(format!("{url}: {e}")))
    }

    /// The key that signed a token, fetching the provider's keys again when it is not known yet.
    async fn key_for(&self, kid: Option<&str>, jwks_uri: &str) -> Result<DecodingKey, ApiError> {
        for attempt in 0..2 {
            {
                let keys = self.keys.read().await;
                let found = match kid {
                    Some(kid) => keys.0.find(kid),
                    None if keys.0.keys.len() == 1 => keys.0.keys.first(),
                    None => None,
                };
                if let Some(jwk) = found {
                    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                        return Err(token_error("symmetric keys are not accepted"));
                    }
                    return DecodingKey::from_jwk(jwk).map_err(|e| token_error(e.to_string()));
                }
                if attempt == 1 || keys.1.is_some_and(|at| at.elapsed() < JWKS_REFRESH) {
                    break;
                }
            }
            let set: JwkSet = self.fetch_json(jwks_uri).await?;
            *self.keys.write().await = (set, Some(Instant::now()));
        }
        Err(token_error(format!("no key {} at the provider", kid.unwrap_or("(none named)"))))
    }

    /// Exchange the code for tokens and check the ID token: signature by the provider's key,
    /// issuer, audience (and authorised party), expiry, and the nonce of this login.
    async fn identify(&self, code: &str, verifier: &str, nonce: &str) -> Result<Identity, ApiError> {
        let d = self.discovery().await?;
        let response = self
            .http
            .post(&d.token_endpoint)
            .basic_auth(&self.config.client_id, Some(&self.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.config.redirect_url),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .map_err(|e| provider_error(format!("token endpoint: {e}")))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(provider_error(format!(
                "token endpoint: HTTP {status}: {}",
                body.chars().take(200).collect::<String>()
            )));
        }
        #[derive(Deserialize)]
        struct Tokens {
            id_token: String,
        }
        let tokens: Tokens = response.json().await.map_err(|e| provider_error(format!("token response: {e}")))?;
        let header = jsonwebtoken::decode_header(&tokens.id_token).map_err(|e| token_error(e.to_string()))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(token_error(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let key = self.key_for(header.kid.as_deref(), &d.jwks_uri).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&d.issuer]);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims =
            jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(&tokens.id_token, &key, &validation)
                .map_err(|e| token_error(e.to_string()))?
                .claims;
        if claims.get("nonce").and_then(|n| n.as_str()) != Some(nonce) {
            return Err(token_error("the nonce does not match this login"));
        }
        // Core §3.1.3.7: with several audiences, the token must have been issued to us.
        if claims.get("aud").is_some_and(|a| a.as_array().is_some_and(|a| a.len() > 1))
            && claims.get("azp").and_then(|a| a.as_str()) != Some(self.config.client_id.as_str())
        {
            return Err(token_error("the token was issued to another party (azp)"));
        }
        let username = claims
            .get(&self.config.username_claim)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| token_error(format!("the token has no claim {}", self.config.username_claim)))?
            .to_string();
        let accepted: BTreeSet<&str> = self.config.second_factor_amr.iter().map(String::as_str).collect();
        let second_factor = claims
            .get("amr")
            .and_then(|a| a.as_array())
            .is_some_and(|a| a.iter().filter_map(|v| v.as_str()).any(|v| accepted.contains(v)));
        Ok(Identity { username, second_factor })
    }
}

struct Identity {
    username: String,
    second_factor: bool,
}

fn provider_error(detail: impl std::fmt::Display) -> ApiError {
    tracing::warn!(%detail, "identity provider");
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "identity_provider",
        format!("统一身份认证服务暂时无法完成登录，请稍后再试或用密码登录（{detail}）"),
        format!(
            "the identity provider could not complete the login; try again later or log in with a password ({detail})"
        ),
    )
}

fn token_error(detail: impl std::fmt::Display) -> ApiError {
    tracing::warn!(%detail, "ID token refused");
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "identity_token",
        format!("统一身份认证返回的身份凭证未通过检查，未登录（{detail}）"),
        format!("the identity provider's token did not pass the checks; you are not logged in ({detail})"),
    )
}

fn random_b64() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn flow_cookie(value: &str, max_age: u32, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}={value}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie characters are URL-safe base64")
}

fn configured(state: &AppState) -> Result<Arc<Oidc>, ApiError> {
    state.oidc.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "本系统未启用统一身份认证",
            "single sign-on is not set up here",
        )
    })
}

/// Start a login: off to the provider with a fresh state, nonce and PKCE challenge (S256).
pub async fn begin(State(state): State<AppState>) -> Result<Response, ApiError> {
    let oidc = configured(&state)?;
    let d = oidc.discovery().await?;
    let (flow_state, nonce, verifier) = (random_b64(), random_b64(), random_b64());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = reqwest::Url::parse(&d.authorization_endpoint)
        .map_err(|e| provider_error(format!("authorization endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &oidc.config.client_id)
        .append_pair("redirect_uri", &oidc.config.redirect_url)
        .append_pair("scope", &oidc.config.scopes.join(" "))
        .append_pair("state", &flow_state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut response = Redirect::to(url.as_str()).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        flow_cookie(&format!("{flow_state}.{nonce}.{verifier}"), 600, state.secure_cookies),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Template)]
#[template(path = "signed_in.html")]
struct SignedIn<'a> {
    display_name: &'a str,
}

/// The provider sends the browser back here with a code. On success the session cookie is set
/// and a small page moves on to the start page: a same-site navigation, so the SameSite=Strict
/// session cookie goes with it (a redirect straight from the provider's site would not carry it).
pub async fn callback(
    State(state): State<AppState>,
    connection: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<Callback>,
) -> Result<Response, ApiError> {
    let oidc = configured(&state)?;
    if let Some(error) = query.error {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "identity_provider_refused",
            format!("统一身份认证未通过：{error} {}", query.error_description.as_deref().unwrap_or("")),
            format!(
                "the identity provider refused the login: {error} {}",
                query.error_description.as_deref().unwrap_or("")
            ),
        ));
    }
    let flow = crate::auth::cookie_value(&headers, FLOW_COOKIE).unwrap_or_default();
    let mut parts = flow.splitn(3, '.');
    let (Some(expected_state), Some(nonce), Some(verifier)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(flow_error());
    };
    let (Some(code), Some(returned_state)) = (query.code, query.state) else { return Err(flow_error()) };
    if returned_state != expected_state {
        return Err(flow_error());
    }
    let identity = oidc.identify(&code, verifier, nonce).await?;
    let client = connection.map(|c| crate::api::client_address(c.0.0.ip(), &headers, &state.trusted_proxies));
    let (token, user) = state.store.login_federated(client, &identity.username, identity.second_factor).await?;
    tracing::info!(user = %user.username, second_factor = identity.second_factor, "signed in through the identity provider");
    let html = SignedIn { display_name: &user.display_name }.render().map_err(|e| provider_error(e.to_string()))?;
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, crate::api::session_cookie(&state, &token)?);
    headers.append(header::SET_COOKIE, flow_cookie("", 0, state.secure_cookies));
    Ok(response)
}

fn flow_error() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "login_flow",
        "登录流程已失效或不是从本系统开始的，请重新点击“统一身份认证登录”",
        "this login was not started here or has expired; start again from the login page",
    )
}

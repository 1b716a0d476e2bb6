//! Single sign-on through an OpenID Connect provider (issue 4, 等保): a small provider of our own
//! (discovery, keys, authorize, token; RS256 ID tokens) drives the whole browser flow against the
//! server, then each check the server must make on what comes back is broken in turn.
// The provider stands in for another party's server: axum's own extractors are fine for it.
#![allow(clippy::disallowed_types)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk, jwk::JwkSet};
use liuhen_server::oidc::{Oidc, OidcConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CLIENT_ID: &str = "liuhen-test";
const CLIENT_SECRET: &str = "test-client-secret";
/// A key made for these tests only (PKCS#1 DER), never used anywhere else.
const KEY_DER: &[u8] = include_bytes!("fixtures/oidc-test-idp-key.der");

/// How the provider misbehaves for the next login.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Fault {
    None,
    WrongNonce,
    WrongAudience,
    Expired,
    UnknownKey,
    WrongIssuer,
}

struct Provider {
    issuer: String,
    /// Who the next person to log in is (their `sub`, the provider's immutable identifier), and
    /// how they authenticated (RFC 8176 amr).
    username: String,
    /// The `preferred_username` the person set for themselves at the provider (default: the same).
    preferred: Option<String>,
    amr: Vec<&'static str>,
    fault: Fault,
    /// code → (nonce, PKCE challenge, redirect_uri)
    codes: HashMap<String, (String, String, String)>,
}

type Shared = Arc<Mutex<Provider>>;

fn encoding_key() -> EncodingKey {
    EncodingKey::from_rsa_der(KEY_DER)
}

async fn discovery(State(p): State<Shared>) -> Response {
    let issuer = p.lock().unwrap().issuer.clone();
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .into_response()
}

async fn jwks() -> Response {
    let mut jwk = Jwk::from_encoding_key(&encoding_key(), Algorithm::RS256).unwrap();
    jwk.common.key_id = Some("test-key-1".into());
    axum::Json(JwkSet { keys: vec![jwk] }).into_response()
}

/// The person is taken as logged in at the provider: back to the client with a code.
async fn authorize(State(p): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256", "PKCE with S256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
    let code = format!("code-{}", uuid::Uuid::new_v4());
    p.lock()
        .unwrap()
        .codes
        .insert(code.clone(), (q["nonce"].clone(), q["code_challenge"].clone(), q["redirect_uri"].clone()));
    let state = &q["state"];
    Redirect::to(&format!("{}?code={code}&state={state}", q["redirect_uri"])).into_response()
}

async fn token(State(p): State<Shared>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let expected =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"}))).into_response();
    }
    let mut p = p.lock().unwrap();
    let Some((nonce, challenge, redirect_uri)) = p.codes.remove(&f["code"]) else {
        return (axum::http::StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_grant"}))).into_response();
    };
    let verified =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(f["code_verifier"].as_bytes()));
    assert_eq!(verified, challenge, "the PKCE verifier matches the challenge");
    assert_eq!(f["redirect_uri"], redirect_uri);
    assert_eq!(f["grant_type"], "authorization_code");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({
        "iss": if p.fault == Fault::WrongIssuer { "https://elsewhere.example".to_string() } else { p.issuer.clone() },
        "sub": p.username,
        "aud": if p.fault == Fault::WrongAudience { "another-client" } else { CLIENT_ID },
        "iat": now,
        "exp": if p.fault == Fault::Expired { now - 3600 } else { now + 300 },
        "nonce": if p.fault == Fault::WrongNonce { "not-the-nonce".to_string() } else { nonce },
        "preferred_username": p.preferred.clone().unwrap_or_else(|| p.username.clone()),
        "amr": p.amr,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(if p.fault == Fault::UnknownKey { "rotated-away" } else { "test-key-1" }.into());
    let id_token = jsonwebtoken::encode(&header, &claims, &encoding_key()).unwrap();
    axum::Json(json!({"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}))
        .into_response()
}

async fn spawn_provider() -> Shared {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let shared = Arc::new(Mutex::new(Provider {
        issuer,
        username: String::new(),
        preferred: None,
        amr: vec!["pwd"],
        fault: Fault::None,
        codes: HashMap::new(),
    }));
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    shared
}

/// The register, with single sign-on through `provider`, and store readers needing a second factor.
async fn spawn_with_sso(provider: &Shared) -> common::TestApp {
    let issuer = provider.lock().unwrap().issuer.clone();
    let dir = tempfile::tempdir().unwrap();
    // The callback's address is only known once the app listens; the provider sends the browser
    // wherever redirect_uri says, so `sign_in` puts the real address in place of the placeholder.
    common::spawn_app_full(
        dir,
        true,
        |c| c.policy.second_factor_for_contents = true,
        |state| {
            state.oidc = Some(Arc::new(
                Oidc::new(OidcConfig {
                    issuer,
                    client_id: CLIENT_ID.into(),
                    client_secret: CLIENT_SECRET.into(),
                    redirect_url: "http://placeholder/auth/oidc/callback".into(),
                    ..OidcConfig::default()
                })
                .unwrap(),
            ))
        },
    )
    .await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(String::from)
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

/// The browser's round trip: begin at the register, through the provider, back to the callback.
/// Returns the callback's response.
async fn sign_in(
    app: &common::TestApp,
    provider: &Shared,
    username: &str,
    amr: &[&'static str],
    fault: Fault,
) -> reqwest::Response {
    {
        let mut p = provider.lock().unwrap();
        p.username = username.into();
        p.amr = amr.to_vec();
        p.fault = fault;
    }
    let browser = no_redirects();
    let begin = browser.get(app.url("/auth/oidc/login")).send().await.unwrap();
    assert_eq!(begin.status(), 303);
    let flow = set_cookie(&begin, "liuhen_oidc").expect("the login's state travels in a cookie");
    assert!(flow.contains("HttpOnly") && flow.contains("SameSite=Lax") && flow.contains("Path=/auth/oidc"), "{flow}");
    let to_provider = begin.headers()["location"].to_str().unwrap().to_string();
    let back = browser.get(&to_provider).send().await.unwrap();
    assert_eq!(back.status(), 303);
    let callback = back.headers()["location"].to_str().unwrap().replace("http://placeholder", &app.base);
    browser
        .get(&callback)
        .header("cookie", cookie_pair(&flow))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
}

async fn me(app: &common::TestApp, session_cookie: &str) -> (u16, Value) {
    let r = app.client.get(app.url("/api/v1/me")).header("cookie", cookie_pair(session_cookie)).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_court_user_signs_in_through_the_identity_provider() {
    let provider = spawn_provider().await;
    let app = spawn_with_sso(&provider).await;

    let r = sign_in(&app, &provider, "clerk", &["pwd"], Fault::None).await;
    assert_eq!(r.status(), 200);
    let session = set_cookie(&r, "liuhen_session").expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    let cleared = set_cookie(&r, "liuhen_oidc").unwrap();
    assert!(cleared.contains("Max-Age=0"), "the login's one-time values are dropped: {cleared}");
    let page = r.text().await.unwrap();
    assert!(page.contains("测试clerk") && page.contains("http-equiv=\"refresh\""), "{page}");
    let (status, me) = me(&app, &session).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "clerk");

    // The recorder records with this session as with a password login (cookie + CSRF header).
    let r = app
        .client
        .post(app.url("/api/v1/records"))
        .header("cookie", cookie_pair(&session))
        .header("x-liuhen-csrf", "1")
        .json(&common::letter())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// Issue 17: by default the account is the one the token's `sub` names (immutable, assigned by the
/// provider), not `preferred_username`, which many providers let people change themselves.
#[tokio::test]
async fn by_default_the_account_is_the_one_the_subject_names() {
    assert_eq!(OidcConfig::default().username_claim, "sub");
    let provider = spawn_provider().await;
    let app = spawn_with_sso(&provider).await;

    // The clerk renamed themselves "office" at the provider: still the clerk here.
    provider.lock().unwrap().preferred = Some("office".into());
    let r = sign_in(&app, &provider, "clerk", &["pwd"], Fault::None).await;
    assert_eq!(r.status(), 200);
    let session = set_cookie(&r, "liuhen_session").expect("a session cookie");
    let (status, me) = me(&app, &session).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "clerk", "the subject, not the name the person chose");
}

#[tokio::test]
async fn reading_the_store_needs_the_provider_to_confirm_a_second_factor() {
    let provider = spawn_provider().await;
    let app = spawn_with_sso(&provider).await;
    let list = |cookie: String| {
        let app = &app;
        async move {
            app.client.get(app.url("/api/v1/records")).header("cookie", cookie).send().await.unwrap().status().as_u16()
        }
    };

    let r = sign_in(&app, &provider, "office", &["pwd"], Fault::None).await;
    let password_only = cookie_pair(&set_cookie(&r, "liuhen_session").unwrap());
    assert_eq!(list(password_only).await, 403, "a password at the provider is not enough for the store");

    let r = sign_in(&app, &provider, "office", &["pwd", "otp"], Fault::None).await;
    let with_otp = cookie_pair(&set_cookie(&r, "liuhen_session").unwrap());
    assert_eq!(list(with_otp).await, 200, "the provider's one-time code counts as the second factor");
}

#[tokio::test]
async fn the_server_refuses_what_it_cannot_trust() {
    let provider = spawn_provider().await;
    let app = spawn_with_sso(&provider).await;

    for (fault, status) in [
        (Fault::WrongNonce, 401),
        (Fault::WrongAudience, 401),
        (Fault::Expired, 401),
        (Fault::UnknownKey, 401),
        (Fault::WrongIssuer, 401),
    ] {
        let r = sign_in(&app, &provider, "clerk", &["pwd"], fault).await;
        assert_eq!(r.status(), status, "{fault:?}");
        assert!(set_cookie(&r, "liuhen_session").is_none(), "{fault:?}: no session");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["type"], "/problems/identity_token", "{fault:?}: {body}");
    }

    // Someone the provider knows but the register does not: no account is made for them.
    let r = sign_in(&app, &provider, "stranger", &["pwd", "otp"], Fault::None).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("stranger"), "{body}");

    // A disabled account cannot come in through the provider either.
    app.store.console().disable_user("judge_b").await.unwrap();
    let r = sign_in(&app, &provider, "judge_b", &["pwd"], Fault::None).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_callback_not_begun_here_is_refused() {
    let provider = spawn_provider().await;
    let app = spawn_with_sso(&provider).await;
    let browser = no_redirects();

    // A code and state pushed at the callback without this browser having begun the login (login
    // CSRF): no cookie, or a cookie from another login.
    let begin = browser.get(app.url("/auth/oidc/login")).send().await.unwrap();
    let flow = cookie_pair(&set_cookie(&begin, "liuhen_oidc").unwrap());
    for cookie in [None, Some(flow.clone())] {
        let mut req =
            browser.get(app.url("/auth/oidc/callback?code=c&state=forged")).header("accept", "application/json");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["type"], "/problems/login_flow");
    }

    // The provider's own refusal is passed on.
    let r = browser
        .get(app.url("/auth/oidc/callback?error=access_denied&error_description=cancelled"))
        .header("cookie", flow)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn without_configuration_there_is_no_single_sign_on() {
    let app = common::spawn_app().await;
    let r = no_redirects().get(app.url("/auth/oidc/login")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let e = Oidc::new(OidcConfig { issuer: "not a url".into(), ..OidcConfig::default() }).err().unwrap();
    for field in ["oidc.issuer", "oidc.client_id", "oidc.redirect_url"] {
        assert!(e.contains(field), "{field} named in: {e}");
    }
}

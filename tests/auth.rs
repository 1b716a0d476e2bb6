//! Authentication fit for 等保 level 3 (issue 4): lockout after failed logins, sessions that end
//! after idling and at their absolute expiry.

mod common;

use serde_json::{Value, json};

async fn login(app: &common::TestApp, username: &str, password: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn repeated_failures_lock_the_account_until_unlocked() {
    let app = common::spawn_app_with(|c| c.max_failed_logins = 3).await;
    // Failures below the limit are forgotten by a success.
    assert_eq!(login(&app, "clerk", "wrong").await.0, 401);
    assert_eq!(login(&app, "clerk", "wrong").await.0, 401);
    assert_eq!(login(&app, "clerk", common::PASSWORD).await.0, 200);

    assert_eq!(login(&app, "clerk", "wrong-1").await.0, 401);
    assert_eq!(login(&app, "clerk", "wrong-2").await.0, 401);
    let (status, body) = login(&app, "clerk", "wrong-3").await;
    assert_eq!(status, 423, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("锁定"), "{body}");
    let (status, _) = login(&app, "clerk", common::PASSWORD).await;
    assert_eq!(status, 423, "while locked even the right password is refused");
    assert_eq!(login(&app, "judge_a", common::PASSWORD).await.0, 200, "other accounts are not affected");
    assert_eq!(login(&app, "nobody", "wrong").await.0, 401, "unknown names look like wrong passwords");

    assert!(app.store.unlock_user("clerk").await.unwrap());
    assert_eq!(login(&app, "clerk", common::PASSWORD).await.0, 200, "the administrator unlocked it");
}

#[tokio::test]
async fn sessions_end_after_idling_and_at_their_absolute_expiry() {
    let app = common::spawn_app().await;
    let token = app.token("clerk").await;
    assert_eq!(app.get(&token, "/api/v1/me").await.0, 200, "a session in use stays open");

    let idle = common::spawn_app_with(|c| c.session_idle_minutes = 0).await;
    let token = idle.token("clerk").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(idle.get(&token, "/api/v1/me").await.0, 401, "idle longer than allowed");
    assert_eq!(idle.get(&token, "/api/v1/me").await.0, 401, "and it stays ended");

    let expired = common::spawn_app_with(|c| c.session_hours = 0).await;
    let token = expired.token("clerk").await;
    assert_eq!(expired.get(&token, "/api/v1/me").await.0, 401, "past its absolute expiry");
}

/// The code an authenticator with `secret` shows at `unix` seconds (RFC 6238 defaults).
fn code(secret: &str, unix: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new().with_secret(secret).build().unwrap().generate(unix).to_string()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn store_readers_enrol_a_second_factor_and_log_in_with_it() {
    let app = common::spawn_app_with(|c| c.second_factor_for_store = true).await;
    let clerk = app.token("clerk").await;
    app.create(&clerk, &common::letter()).await;
    assert_eq!(app.get(&clerk, "/api/v1/records").await.0, 200, "a clerk's own records need no second factor");

    let office = app.token("office").await;
    let other_session = app.token("office").await;
    let (status, refused) = app.get(&office, "/api/v1/records").await;
    assert_eq!(status, 403, "the store needs a second factor: {refused}");
    assert!(refused["detail"].as_str().unwrap().contains("第二因素"), "{refused}");

    // Enrolment: a secret and an otpauth URL, then a code from it.
    let (status, enrolment) = app.post(&office, "/api/v1/me/totp", &json!({})).await;
    assert_eq!(status, 200, "{enrolment}");
    let secret = enrolment["secret"].as_str().unwrap().to_string();
    assert!(enrolment["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/liuhen:office?"), "{enrolment}");
    let (status, wrong) = app.post(&office, "/api/v1/me/totp/confirm", &json!({"code": "12345"})).await;
    assert_eq!((status, wrong["errors"][0]["field"].as_str()), (422, Some("code")), "{wrong}");
    let now = unix_now();
    let (status, _) = app.post(&office, "/api/v1/me/totp/confirm", &json!({"code": code(&secret, now)})).await;
    assert_eq!(status, 204);
    assert_eq!(app.get(&office, "/api/v1/me").await.1["second_factor"], true);
    assert_eq!(app.get(&office, "/api/v1/records").await.0, 200, "this session showed both factors");
    assert_eq!(app.get(&other_session, "/api/v1/me").await.0, 401, "a password-only session ended");

    // Logging in now needs the code; each code is accepted once.
    let (status, asked) = login(&app, "office", common::PASSWORD).await;
    assert_eq!((status, asked["type"].as_str()), (401, Some("/problems/totp_required")), "{asked}");
    let with = |code: String| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/session"))
                .json(&json!({"username": "office", "password": common::PASSWORD, "code": code}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = with("000000".into()).await;
    assert_eq!((status, body["type"].as_str()), (401, Some("/problems/totp_invalid")), "{body}");
    // The confirmation used this step's code; the next step's is new (one step of skew allowed).
    let next = code(&secret, now + 30);
    let (status, body) = with(next.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get(body["token"].as_str().unwrap(), "/api/v1/records").await.0, 200);
    let (status, body) = with(next).await;
    assert_eq!((status, body["type"].as_str()), (401, Some("/problems/totp_invalid")), "a replayed code: {body}");
}

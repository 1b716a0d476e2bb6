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

//! Authentication fit for 等保 level 3 (issue 4): lockout after failed logins, sessions that end
//! after idling and at their absolute expiry.

mod common;

use serde_json::{Value, json};

#[tokio::test]
async fn repeated_failures_lock_the_account_until_unlocked() {
    let app = common::spawn_app_with(|c| c.policy.max_failed_logins = 3).await;
    // Failures below the limit are forgotten by a success.
    assert_eq!(app.login("clerk", "wrong").await.0, 401);
    assert_eq!(app.login("clerk", "wrong").await.0, 401);
    assert_eq!(app.login("clerk", common::PASSWORD).await.0, 200);

    assert_eq!(app.login("clerk", "wrong-1").await.0, 401);
    assert_eq!(app.login("clerk", "wrong-2").await.0, 401);
    // The lock is not announced (a 423 would tell that the name exists): the answer is the one
    // for a wrong password or an unknown name, and says that the account may be locked.
    let (status, body) = app.login("clerk", "wrong-3").await;
    assert_eq!(status, 401, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("锁定"), "{body}");
    let (status, _) = app.login("clerk", common::PASSWORD).await;
    assert_eq!(status, 401, "while locked even the right password is refused");
    assert_eq!(app.login("judge_a", common::PASSWORD).await.0, 200, "other accounts are not affected");
    assert_eq!(app.login("nobody", "wrong").await.0, 401, "unknown names look like wrong passwords");

    assert!(app.store.console().unlock_user("clerk").await.unwrap());
    assert_eq!(app.login("clerk", common::PASSWORD).await.0, 200, "the administrator unlocked it");
}

#[tokio::test]
async fn sessions_end_after_idling_and_at_their_absolute_expiry() {
    let app = common::spawn_app().await;
    let token = app.token("clerk").await;
    assert_eq!(app.get(&token, "/api/v1/me").await.0, 200, "a session in use stays open");

    let idle = common::spawn_app_with(|c| c.policy.session_idle_minutes = 0).await;
    let token = idle.token("clerk").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(idle.get(&token, "/api/v1/me").await.0, 401, "idle longer than allowed");
    assert_eq!(idle.get(&token, "/api/v1/me").await.0, 401, "and it stays ended");

    let expired = common::spawn_app_with(|c| c.policy.session_hours = 0).await;
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
async fn content_readers_enrol_a_second_factor_and_log_in_with_it() {
    let app = common::spawn_app_with(|c| c.policy.second_factor_for_contents = true).await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &common::letter()).await;
    // Issue 17: recording needs no second factor, reading back — even one's own — does.
    let (status, refused) = app.get(&clerk, "/api/v1/records").await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("第二因素"), "{refused}");
    assert_eq!(app.get(&clerk, &format!("/api/v1/records/{id}")).await.0, 403);
    assert_eq!(app.get(&clerk, &format!("/api/v1/records/{id}/receipt")).await.0, 403);

    let office = app.token("office").await;
    let other_session = app.token("office").await;
    let (status, refused) = app.get(&office, "/api/v1/records").await;
    assert_eq!(status, 403, "the store needs a second factor: {refused}");
    assert!(refused["detail"].as_str().unwrap().contains("第二因素"), "{refused}");

    // Enrolment takes the one-time code handed over out of band: a password alone enrols nothing.
    let (status, refused) = app.post(&office, "/api/v1/me/totp", &json!({"enrolment_code": "AAAA-BBBB"})).await;
    assert_eq!((status, refused["errors"][0]["field"].as_str()), (422, Some("enrolment_code")), "{refused}");
    let enrolment_code = app.enrolment_code("office").await;
    let (status, enrolment) = app.post(&office, "/api/v1/me/totp", &json!({"enrolment_code": enrolment_code})).await;
    assert_eq!(status, 200, "{enrolment}");
    let (status, _) = app.post(&other_session, "/api/v1/me/totp", &json!({"enrolment_code": enrolment_code})).await;
    assert_eq!(status, 422, "a code works once");
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
    let (status, asked) = app.login("office", common::PASSWORD).await;
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

    // A lost authenticator: the administrator removes the factor; sessions end, the password
    // alone logs in again, and the store stays closed until a new factor is set up.
    app.store.console().reset_second_factor("office", "验证器丢失").await.unwrap();
    assert_eq!(app.get(&office, "/api/v1/me").await.0, 401);
    let (status, body) = app.login("office", common::PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get(body["token"].as_str().unwrap(), "/api/v1/records").await.0, 403);
}

#[tokio::test]
async fn api_tokens_act_within_their_scopes_until_revoked() {
    let app = common::spawn_app().await;
    app.user("casesys", "basic1", liuhen_rules::Role::CaseSystem).await;

    // A token never does more than its account could, and an administrator never mints one that
    // reads contents (issue 17).
    let refused = app.store.console().issue_token("casesys", "案件系统", &["record.read_court".into()], None).await;
    assert!(
        matches!(&refused, Err(liuhen_store::StoreError::Invalid(p)) if p[0].code == "content_scope"),
        "{refused:?}"
    );
    let refused = app.store.console().issue_token("casesys", "案件系统", &["admin.users".into()], None).await;
    assert!(matches!(&refused, Err(liuhen_store::StoreError::Invalid(p)) if p[0].code == "beyond_role"), "{refused:?}");
    let refused = app.store.console().issue_token("admin", "运维", &["record.create".into()], None).await;
    assert!(refused.is_err(), "the administrator's role holds no content permission to hand on");

    let (token, listed) =
        app.store.console().issue_token("casesys", "案件管理系统推送", &["record.create".into()], None).await.unwrap();
    assert!(token.starts_with("lht_"));
    let (status, created) = app.post(&token, "/api/v1/records", &common::letter()).await;
    assert_eq!(status, 201, "{created}");
    let id = created["record_id"].as_str().unwrap();
    assert_eq!(app.get(&token, "/api/v1/records").await.0, 403, "reading is outside the token's scope");
    assert_eq!(app.get(&token, &format!("/api/v1/records/{id}")).await.0, 403);
    assert_eq!(app.get(&token, "/log/checkpoint").await.0, 403, "so is the log");
    let me = app.get(&token, "/api/v1/me").await.1;
    assert_eq!((me["username"].as_str(), me["scopes"].clone()), (Some("casesys"), json!(["record.create"])));

    assert!(app.store.console().revoke_token(&listed.id).await.unwrap());
    assert_eq!(app.post(&token, "/api/v1/records", &common::letter()).await.0, 401, "revoked at once");
    assert!(!app.store.console().revoke_token(&listed.id).await.unwrap(), "revoking twice changes nothing");

    let (expired, _) =
        app.store.console().issue_token("casesys", "过期", &["record.create".into()], Some(0)).await.unwrap();
    assert_eq!(app.post(&expired, "/api/v1/records", &common::letter()).await.0, 401, "expired");
    let tokens = app.store.tokens().await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(tokens.iter().any(|t| t.id == listed.id && t.revoked_at.is_some()), "revoked tokens stay listed");
}

#[tokio::test]
async fn the_cli_issues_lists_and_revokes_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::cli(dir.path(), "a-long-enough-password");
    assert!(run(&["court-add", "--id", "c", "--name", "示例市甲区人民法院", "--level", "basic", "--code", "示0101"]).0);
    assert!(run(&["user-add", "--username", "auditor1", "--name", "审计", "--court", "c", "--role", "auditor"]).0);
    assert!(run(&["user-add", "--username", "witness1", "--name", "见证", "--court", "c", "--role", "witness"]).0);
    // Issue 17: the console never mints a token that reads contents, not even the auditor's own
    // scope: its holder asks for one from a login with a second factor.
    let (ok, said) = run(&["token", "issue", "--username", "auditor1", "--name", "外部审计", "--scope", "log.entries"]);
    assert!(!ok && said.contains("管理员只为服务账号"), "{said}");
    let (ok, said) = run(&["token", "issue", "--username", "witness1", "--name", "外部审计", "--scope", "log.entries"]);
    assert!(!ok && said.contains("scopes") && said.contains("持有人本人"), "{said}");
    let (ok, said) =
        run(&["token", "issue", "--username", "witness1", "--name", "上级法院见证", "--scope", "log.tiles"]);
    assert!(ok, "{said}");
    let token = said.lines().find(|l| l.starts_with("lht_")).expect("the token is printed");
    assert!(token.len() > 40);
    let (ok, said) = run(&["token", "issue", "--username", "witness1", "--name", "越权", "--scope", "admin.users"]);
    assert!(!ok && said.contains("scopes") && said.contains("令牌不能超出"), "{said}");
    let (ok, listed) = run(&["token", "list"]);
    assert!(
        ok && listed.contains("上级法院见证") && listed.contains("log.tiles") && !listed.contains(token),
        "{listed}"
    );
    let id = listed.split_whitespace().next().unwrap();
    assert!(run(&["token", "revoke", "--id", id]).0);
    assert!(run(&["token", "list"]).1.contains("已撤销"));

    // Each change is a ledger event naming the account at the console.
    let store = liuhen::storage::open(liuhen_store::StoreConfig::new(dir.path())).await.unwrap();
    let entries: Vec<Vec<u8>> = common::column(&store, "SELECT entry FROM events ORDER BY seq").await;
    let events: Vec<liuhen_ledger::Event> = entries.iter().map(|e| liuhen_ledger::Event::decode(e).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.body.kind()).collect();
    assert_eq!(kinds, ["court_added", "user_added", "user_added", "token_issued", "token_revoked"]);
    assert!(events.iter().all(|e| e.actor == "console:registrar"), "{events:?}");
    store.close().await;
}

#[tokio::test]
async fn passwords_follow_the_policy_and_changing_one_ends_other_sessions() {
    let app = common::spawn_app().await;
    for weak in ["short-1", "onlyletterslong", "1234567890123", "judge_b"] {
        let refused = app
            .store
            .console()
            .add_user(liuhen_store::NewUser {
                username: "judge_b".into(),
                display_name: "弱".into(),
                court_id: "basic1".into(),
                role: liuhen_rules::Role::Recorder,
                password: weak.into(),
                reason: String::new(),
            })
            .await;
        assert!(
            matches!(&refused, Err(liuhen_store::StoreError::Invalid(p)) if p[0].code == "weak_password"),
            "{weak}: {refused:?}"
        );
    }

    let clerk = app.token("clerk").await;
    let elsewhere = app.token("clerk").await;
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let (status, body) =
        app.post(&clerk, "/api/v1/me/password", &change("wrong-password-9", "new-password-2026")).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("current_password")), "{body}");
    let (status, body) = app.post(&clerk, "/api/v1/me/password", &change(common::PASSWORD, "weak")).await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("weak_password")), "{body}");
    let (status, _) = app.post(&clerk, "/api/v1/me/password", &change(common::PASSWORD, "new-password-2026")).await;
    assert_eq!(status, 204);
    assert_eq!(app.get(&clerk, "/api/v1/me").await.0, 200, "this session goes on");
    assert_eq!(app.get(&elsewhere, "/api/v1/me").await.0, 401, "the others end");
    assert_eq!(app.login("clerk", common::PASSWORD).await.0, 401);
    assert_eq!(app.login("clerk", "new-password-2026").await.0, 200);

    // The administrator's reset ends every session and lifts a lock.
    app.store.console().reset_password("clerk", "reset-by-admin-1", "忘记密码").await.unwrap();
    assert_eq!(app.get(&clerk, "/api/v1/me").await.0, 401);
    assert_eq!(app.login("clerk", "reset-by-admin-1").await.0, 200);
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_whatever_the_account() {
    let app = common::spawn_app_with(|c| c.policy.login_failures_per_minute = 3).await;
    // Trying several accounts (no one account reaches its lockout).
    for name in ["clerk", "judge_a", "nobody"] {
        assert_eq!(app.login(name, "guess-1234").await.0, 401);
    }
    let (status, body) = app.login("judge_b", common::PASSWORD).await;
    assert_eq!(status, 429, "even a right password waits: {body}");
    assert!(body["detail"].as_str().unwrap().contains("秒后再试"), "{body}");
    let locked: Option<String> =
        common::scalar(&app.store, "SELECT locked_until FROM users WHERE username = 'clerk'").await;
    assert_eq!(locked, None, "the accounts themselves are not locked: the address is held back");
}

#[tokio::test]
async fn a_role_change_holds_at_once_and_a_disabled_account_is_shut_out() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &common::letter()).await;
    let office = app.token("office").await;
    assert_eq!(app.get(&office, &format!("/api/v1/records/{id}")).await.0, 200);

    app.store.console().set_role("office", liuhen_rules::Role::Recorder, "调岗").await.unwrap();
    assert_eq!(app.get(&office, "/api/v1/me").await.0, 401, "the old session ended with the old role");
    let office = app.token("office").await;
    assert_eq!(app.get(&office, &format!("/api/v1/records/{id}")).await.0, 404, "a recorder now");
    let same = app.store.console().set_role("office", liuhen_rules::Role::Recorder, "调岗").await;
    assert!(matches!(same, Err(liuhen_store::StoreError::Conflict { .. })), "{same:?}");

    // An administrator mints no token in a member of staff's name; the judge asks for their own.
    let refused = app.store.console().issue_token("judge_a", "推送", &["record.create".into()], None).await;
    assert!(
        matches!(&refused, Err(liuhen_store::StoreError::Invalid(p)) if p[0].code == "staff_account"),
        "{refused:?}"
    );
    let judge = app.token("judge_a").await;
    let (status, own) =
        app.post(&judge, "/api/v1/me/tokens", &json!({"name": "推送", "scopes": ["record.create"]})).await;
    assert_eq!((status, own["awaits_approval"].clone()), (201, Value::Null), "{own}");
    let token = own["token"].as_str().unwrap().to_string();
    app.store.console().disable_user("judge_a").await.unwrap();
    assert_eq!(app.get(&judge, "/api/v1/me").await.0, 401, "sessions end");
    assert_eq!(app.post(&token, "/api/v1/records", &common::letter()).await.0, 401, "tokens end");
    assert_eq!(app.login("judge_a", common::PASSWORD).await.0, 401, "and it cannot log in again");

    let kinds: Vec<String> = common::column(&app.store, "SELECT kind FROM events ORDER BY seq").await;
    assert!(kinds.contains(&"role_changed".to_string()) && kinds.last().unwrap() == "user_disabled", "{kinds:?}");
}

#[tokio::test]
async fn a_store_reader_sets_up_the_second_factor_on_the_account_page() {
    let app = common::spawn_app_with(|c| c.policy.second_factor_for_contents = true).await;
    let mut office = common::Browser::logged_in(&app, "office").await;
    let refused = office.get("/records").await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("/account"), "the refusal says where to go: {}", refused.body);

    let refused = office.submit("/account", "/account/totp", &[("enrolment_code", "not-the-code")]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("id=\"enrolment_code-error\""), "{}", refused.body);
    let enrolment_code = app.enrolment_code("office").await;
    let started = office.submit("/account", "/account/totp", &[("enrolment_code", &enrolment_code)]).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(started.body.contains("<svg"), "a QR code of the otpauth URL");
    let start = started.body.find("<code id=\"totp-secret\">").unwrap() + "<code id=\"totp-secret\">".len();
    let secret = started.body[start..].split('<').next().unwrap().to_string();

    let csrf = common::hidden(&started.body, "csrf");
    let wrong = office.post("/account/totp/confirm", &[("csrf", &csrf), ("code", "000000")]).await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("id=\"code-error\""), "{}", wrong.body);
    let confirmed =
        office.post("/account/totp/confirm", &[("csrf", &csrf), ("code", &code(&secret, unix_now()))]).await;
    assert_eq!((confirmed.status, confirmed.location.as_str()), (303, "/account?done=totp"), "{}", confirmed.body);
    assert_eq!(office.get("/records").await.status, 200, "this session showed both factors");

    // Next time the login form asks for the code.
    let mut again = common::Browser::new(&app);
    let page = again.get("/login").await;
    let login_csrf = common::hidden(&page.body, "login_csrf");
    let without = again
        .post("/login", &[("login_csrf", &login_csrf), ("username", "office"), ("password", common::PASSWORD)])
        .await;
    assert_eq!(without.status, 401);
    assert!(without.body.contains("id=\"code-error\""), "{}", without.body);
    let page = again.get("/login").await;
    let login_csrf = common::hidden(&page.body, "login_csrf");
    // The code just used is refused (each once); the next step's is accepted.
    let next = code(&secret, unix_now() + 30);
    let with = again
        .post(
            "/login",
            &[("login_csrf", &login_csrf), ("username", "office"), ("password", common::PASSWORD), ("code", &next)],
        )
        .await;
    assert_eq!(with.status, 303, "{}", with.body);

    // The password from the page: the current one is checked, the policy applies to the new one.
    let short = office
        .submit("/account", "/account/password", &[("current_password", common::PASSWORD), ("new_password", "short")])
        .await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("id=\"new_password-error\""), "{}", short.body);
    let changed = office
        .submit(
            "/account",
            "/account/password",
            &[("current_password", common::PASSWORD), ("new_password", "office-new-pass-2")],
        )
        .await;
    assert_eq!((changed.status, changed.location.as_str()), (303, "/account?done=password"));
    assert_eq!(again.get("/account").await.status, 303, "the other session ended");
}

async fn login_with_code(app: &common::TestApp, username: &str, password: &str, code: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": username, "password": password, "code": code}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// `username` (logged in as `token`) sets up a second factor; returns its secret. The code used
/// to confirm it is spent.
async fn enrol(app: &common::TestApp, token: &str) -> String {
    let username = app.get(token, "/api/v1/me").await.1["username"].as_str().unwrap().to_string();
    let enrolment_code = app.enrolment_code(&username).await;
    let (status, enrolment) = app.post(token, "/api/v1/me/totp", &json!({"enrolment_code": enrolment_code})).await;
    assert_eq!(status, 200, "{enrolment}");
    let secret = enrolment["secret"].as_str().unwrap().to_string();
    let (status, _) = app.post(token, "/api/v1/me/totp/confirm", &json!({"code": code(&secret, unix_now())})).await;
    assert_eq!(status, 204);
    secret
}

/// A six-digit code no authenticator with `secret` accepts around now.
fn wrong_code(secret: &str) -> String {
    let now = unix_now();
    let valid: Vec<String> = (0..7).map(|i| code(secret, now + i * 30 - 90)).collect();
    (0..).map(|n: u32| format!("{n:06}")).find(|c| !valid.contains(c)).unwrap()
}

/// Issue 17, item 7: a burst of guesses at one account is evaluated no more than
/// `max_failed_logins` times — each attempt reserves its place before the password is hashed.
/// Seen from outside with the password known and the second factor guessed: every evaluated
/// attempt says "wrong code"; the others are refused unevaluated.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_guesses_gets_no_more_evaluations_than_the_lockout_allows() {
    let app = common::spawn_app_with(|c| {
        c.policy.max_failed_logins = 3;
        c.policy.login_failures_per_minute = 1_000;
    })
    .await;
    let secret = enrol(&app, &app.token("office").await).await;
    let wrong = wrong_code(&secret);
    let burst = (0..12).map(|_| login_with_code(&app, "office", common::PASSWORD, &wrong));
    let answers = futures::future::join_all(burst).await;
    let evaluated = answers.iter().filter(|(_, b)| b["type"] == "/problems/totp_invalid").count();
    assert!(evaluated <= 3, "{evaluated} code guesses evaluated: {answers:?}");
    assert!(answers.iter().all(|(status, _)| *status == 401), "{answers:?}");
    // Locked now: the right code is refused too, and nothing tells it is right.
    let right = code(&secret, unix_now() + 30);
    let (status, body) = login_with_code(&app, "office", common::PASSWORD, &right).await;
    assert_eq!((status, body["type"].as_str()), (401, Some("/problems/bad_credentials")), "{body}");

    // Wrong passwords: every answer the same, the account locked, never more failures counted
    // than the limit.
    let burst = (0..16).map(|i| {
        let app = &app;
        async move { app.login("clerk", &format!("guess-{i}-1234")).await }
    });
    let answers = futures::future::join_all(burst).await;
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 401);
    assert_eq!(app.login("clerk", common::PASSWORD).await, answers[0], "locked: the right password too");
    let row =
        common::one_row(&app.store, "SELECT failed_logins, locked_until FROM users WHERE username = 'clerk'").await;
    let (failed, locked): (i64, Option<String>) = (row[0].get().unwrap(), row[1].get().unwrap());
    assert!(locked.is_some() && failed <= 3, "failed {failed}, locked {locked:?}");
}

/// Issue 17, item 7: one code logs in once, however many logins present it at the same moment
/// (the step is taken with a compare-and-set).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_presented_by_concurrent_logins_logs_in_once() {
    let app = common::spawn_app_with(|c| c.policy.login_failures_per_minute = 1_000).await;
    let secret = enrol(&app, &app.token("office").await).await;
    let next = code(&secret, unix_now() + 30);
    let burst = (0..4).map(|_| login_with_code(&app, "office", common::PASSWORD, &next));
    let answers = futures::future::join_all(burst).await;
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{answers:?}");
    assert!(
        answers.iter().filter(|(s, _)| *s != 200).all(|(_, b)| b["type"] == "/problems/totp_invalid"),
        "{answers:?}"
    );
}

/// Issue 17, item 7: whether a name exists is not told by the lock — a locked account, with the
/// right password or a wrong one, answers exactly as a name that does not exist.
#[tokio::test]
async fn a_locked_account_answers_as_an_unknown_name() {
    let app = common::spawn_app_with(|c| c.policy.max_failed_logins = 2).await;
    for _ in 0..2 {
        app.login("clerk", "wrong-guess-1").await;
    }
    let unknown = app.login("nobody", "wrong-guess-1").await;
    assert_eq!(unknown.0, 401, "{unknown:?}");
    assert_eq!(app.login("clerk", "wrong-guess-1").await, unknown);
    assert_eq!(app.login("clerk", common::PASSWORD).await, unknown);
    // The form says the same.
    let mut browser = common::Browser::new(&app);
    let locked = browser.log_in("clerk", common::PASSWORD).await;
    let mut browser = common::Browser::new(&app);
    let nobody = browser.log_in("nobody", common::PASSWORD).await;
    assert_eq!(locked.status, nobody.status);
    let same = |page: &common::Answer, name: &str| {
        page.body.replace(&common::hidden(&page.body, "login_csrf"), "CSRF").replace(name, "NAME")
    };
    assert_eq!(same(&locked, "clerk"), same(&nobody, "nobody"));
}

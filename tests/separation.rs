//! 三员分立 and the two-person rule (issue 17), walked as the administrator would walk them: by the
//! pages, the API and the command line the administrator reaches no record's content, mints no
//! token that reads contents, and takes over no account that reads contents without the security
//! administrator's approval; the security administrator approves (never their own request) and
//! hands the person the code to enrol an authenticator; the security auditor reads the trail, not
//! the contents.

mod common;

use liuhen_rules::Role;
use serde_json::{Value, json};

/// The code an authenticator with `secret` shows now (RFC 6238 defaults).
fn totp_now(secret: &str) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    totp_rs::Builder::new().with_secret(secret).build().unwrap().generate(now).to_string()
}

/// A session with a second factor, as the identity provider opens it.
async fn strong(app: &common::TestApp, who: &str) -> String {
    app.store.login_federated(None, who, true).await.unwrap().0
}

async fn pending(app: &common::TestApp, security: &str) -> Vec<Value> {
    let (status, list) = app.get(security, "/api/v1/approvals").await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().iter().filter(|a| a["state"] == "pending").cloned().collect()
}

#[tokio::test]
async fn the_administrator_takes_over_no_content_account_without_a_second_person() {
    let app = common::spawn_app_with(|c| c.policy.second_factor_for_contents = true).await;
    let mut record = common::letter();
    record["intervener"]["name"] = json!("钱某某");
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &record).await;
    // Until the deployment has a security administrator its console sets it up alone; from the
    // first one on, the rule holds.
    app.user("auditor", "high", Role::Auditor).await;
    app.user("secaudit", "high", Role::SecurityAuditor).await;
    assert!(!app.store.two_person_rule().await.unwrap());
    app.user("security", "high", Role::SecurityAdministrator).await;
    assert!(app.store.two_person_rule().await.unwrap());
    let security = strong(&app, "security").await;

    // The administrator's own session reads nothing of the record, by any route.
    let admin = app.token("admin").await;
    for path in [
        "/api/v1/records".to_string(),
        format!("/api/v1/records/{id}"),
        format!("/api/v1/records/{id}/receipt"),
        format!("/api/v1/records/{id}/handling"),
        "/api/v1/cadres".into(),
        "/api/v1/reports/quarterly".into(),
        "/api/v1/timeliness?period=2026-11".into(),
        "/log/tile/entries/000.p/1".into(),
        "/api/v1/audit".into(),
        "/api/v1/approvals".into(),
    ] {
        let (status, body) = app.get(&admin, &path).await;
        assert!(matches!(status, 403 | 404), "{path}: {status} {body}");
        assert!(!body.to_string().contains("钱某某"), "{path}");
    }

    // Pages: an account that reads contents is asked for, not made.
    let mut pages = common::Browser::logged_in(&app, "admin").await;
    let fields = [
        ("username", "office2"),
        ("display_name", "测试新审管办"),
        ("court_id", "basic1"),
        ("role", "store_maintainer"),
        ("password", "chosen-by-admin-1"),
    ];
    let r = pages.submit("/admin/users", "/admin/users", &fields).await;
    assert_eq!(r.status, 422, "a reason for the approver is required");
    assert!(r.body.contains("id=\"reason-error\""), "{}", r.body);
    let mut with_reason = fields.to_vec();
    with_reason.push(("reason", "审管办新进人员"));
    let r = pages.submit("/admin/users", "/admin/users", &with_reason).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/admin/users?done=requested"), "{}", r.body);
    assert!(app.store.user("office2").await.unwrap().is_none(), "made only when approved");
    assert_eq!(app.login("office2", "chosen-by-admin-1").await.0, 401);

    // Resetting the password or the second factor of an account that reads contents, or giving
    // a colleague such a role: asked for, not done.
    let act = |action: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let mut fields = vec![("reason", "本人申请")];
        fields.extend(extra);
        (action, fields)
    };
    for (action, fields) in [
        act("password", vec![("password", "taken-over-by-admin-1")]),
        act("reset-totp", vec![]),
        act("role", vec![("role", "store_maintainer")]),
    ] {
        let user = if action == "role" { "judge_b" } else { "office" };
        let page = format!("/admin/users/{user}");
        let r = pages.submit(&page, &format!("{page}/{action}"), &fields).await;
        assert_eq!((r.status, r.location.as_str()), (303, format!("{page}?done=requested").as_str()), "{action}");
    }
    assert_eq!(app.login("office", "taken-over-by-admin-1").await.0, 401, "the old password stands");
    assert_eq!(app.login("office", common::PASSWORD).await.0, 200);
    assert_eq!(app.store.user("judge_b").await.unwrap().unwrap().role, Role::Recorder);
    // No enrolment code for such an account from the administrator either.
    let r = pages.submit("/admin/users/office", "/admin/users/office/enrolment-code", &[]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("启用码由安全保密管理员"), "{}", r.body);

    // Tokens: the administrator mints none that reads contents, for anyone.
    app.user("casesys", "basic1", Role::CaseSystem).await;
    for (user, scope, said) in [
        ("office", "record.read_court", "管理员只为服务账号"),
        ("clerk", "record.create", "管理员只为服务账号"),
        ("casesys", "record.read_court", "持有人本人"),
        ("casesys", "log.entries", "持有人本人"),
    ] {
        let r = pages
            .submit("/admin/tokens", "/admin/tokens", &[("username", user), ("name", "运维"), ("scope", scope)])
            .await;
        assert_eq!(r.status, 422, "{user} {scope}: {}", r.body);
        assert!(r.body.contains(said), "{}", r.body);
    }
    // Nor approves: that is the security administrator's duty.
    let asked = pending(&app, &security).await;
    assert_eq!(asked.len(), 4, "{asked:?}");
    let account = asked.iter().find(|a| a["username"] == "office2").unwrap();
    let account_id = account["id"].as_str().unwrap();
    let (status, _) =
        app.post(&admin, &format!("/api/v1/approvals/{account_id}/decision"), &json!({"approve": true})).await;
    assert_eq!(status, 403);

    // The security administrator approves the account: the enrolment code goes to them, to hand
    // over. With the password the administrator chose, the account reads nothing: a second
    // factor needs the code.
    let (status, decision) =
        app.post(&security, &format!("/api/v1/approvals/{account_id}/decision"), &json!({"approve": true})).await;
    assert_eq!(status, 200, "{decision}");
    let code = decision["enrolment_code"].as_str().expect("an enrolment code for the new account").to_string();
    let (status, session) = app.login("office2", "chosen-by-admin-1").await;
    assert_eq!(status, 200);
    let office2 = session["token"].as_str().unwrap().to_string();
    let (status, refused) = app.get(&office2, "/api/v1/records").await;
    assert_eq!(status, 403, "{refused}");
    let (status, _) = app.post(&office2, "/api/v1/me/totp", &json!({"enrolment_code": "WRONG-CODE"})).await;
    assert_eq!(status, 422, "the password alone enrols no authenticator");
    // The person, with the code handed to them, enrols and reads.
    let (status, enrolment) = app.post(&office2, "/api/v1/me/totp", &json!({"enrolment_code": code})).await;
    assert_eq!(status, 200, "{enrolment}");
    let secret = enrolment["secret"].as_str().unwrap();
    let (status, _) = app.post(&office2, "/api/v1/me/totp/confirm", &json!({"code": totp_now(secret)})).await;
    assert_eq!(status, 204);
    let (status, list) = app.get(&office2, "/api/v1/records").await;
    assert_eq!(status, 200, "{list}");
    assert!(list.to_string().contains(&id));

    // The password reset takes effect on approval; a refusal leaves the role as it was.
    let reset = asked.iter().find(|a| a["action"] == "reset_password").unwrap()["id"].as_str().unwrap().to_string();
    app.post(&security, &format!("/api/v1/approvals/{reset}/decision"), &json!({"approve": true})).await;
    assert_eq!(app.login("office", "taken-over-by-admin-1").await.0, 200, "approved: the new password holds");
    let role = asked.iter().find(|a| a["action"] == "grant_role" && a["username"] == "judge_b").unwrap();
    let role = role["id"].as_str().unwrap();
    let (status, decision) = app
        .post(&security, &format!("/api/v1/approvals/{role}/decision"), &json!({"approve": false, "note": "理由不足"}))
        .await;
    assert_eq!((status, decision["approved"].as_bool()), (200, Some(false)));
    assert_eq!(app.store.user("judge_b").await.unwrap().unwrap().role, Role::Recorder);
    let (status, _) =
        app.post(&security, &format!("/api/v1/approvals/{role}/decision"), &json!({"approve": true})).await;
    assert_eq!(status, 404, "decided once");

    // Nobody approves their own request: the security administrator's own content token waits
    // for another.
    let (status, own) = app
        .post(
            &security,
            "/api/v1/me/tokens",
            &json!({"name": "审批脚本", "scopes": ["security.approve"], "reason": "批量审批"}),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    let own_id = own["awaits_approval"].as_str().unwrap();
    let (status, refused) =
        app.post(&security, &format!("/api/v1/approvals/{own_id}/decision"), &json!({"approve": true})).await;
    assert_eq!(status, 403, "{refused}");

    // The ledger has every request and decision, and no secret.
    let entries: Vec<Vec<u8>> = common::column(&app.store, "SELECT entry FROM events ORDER BY seq").await;
    let text: String = entries.iter().map(|e| String::from_utf8_lossy(e).into_owned()).collect();
    for kind in ["approval_requested", "approval_decided", "enrolment_code_issued"] {
        assert!(text.contains(kind), "{kind}");
    }
    assert!(!text.contains(&code) && !text.contains("argon2") && !text.contains("taken-over-by-admin-1"));

    // The security auditor reads the trail — who asked, who decided, who read what — and no
    // content.
    let secaudit = strong(&app, "secaudit").await;
    let (status, trail) = app.get(&secaudit, "/api/v1/audit?limit=500").await;
    assert_eq!(status, 200, "{trail}");
    let trail = trail.to_string();
    assert!(trail.contains("approval_decided") && trail.contains("records_listed") && trail.contains("office2"));
    assert!(!trail.contains("钱某某"), "the trail holds no record contents");
    assert!(!trail.contains(&id), "records appear by pseudonym: which one, and so who recorded it, stays hidden");
    let (status, _) = app.get(&secaudit, &format!("/api/v1/records/{id}")).await;
    assert_eq!(status, 403);
    let weak = app.token("secaudit").await;
    assert_eq!(app.get(&weak, "/api/v1/audit").await.0, 403, "the trail needs a second factor too");
}

#[tokio::test]
async fn a_content_token_is_asked_for_by_its_holder_and_works_once_approved() {
    let app = common::spawn_app_with(|c| c.policy.second_factor_for_contents = true).await;
    let clerk = app.token("clerk").await;
    app.create(&clerk, &common::letter()).await;
    app.user("auditor", "high", Role::Auditor).await;
    app.user("security", "high", Role::SecurityAdministrator).await;
    let security = strong(&app, "security").await;

    // From a login without a second factor the holder cannot ask for one.
    let weak = app.token("auditor").await;
    let ask = json!({"name": "liuhen verify --url", "scopes": ["log.tiles", "log.entries"], "reason": "季度核验"});
    let (status, refused) = app.post(&weak, "/api/v1/me/tokens", &ask).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.to_string().contains("第二因素"), "{refused}");

    let auditor = strong(&app, "auditor").await;
    let (status, asked) = app.post(&auditor, "/api/v1/me/tokens", &ask).await;
    assert_eq!(status, 201, "{asked}");
    let token = asked["token"].as_str().unwrap().to_string();
    let approval = asked["awaits_approval"].as_str().expect("a content token waits").to_string();
    assert_eq!(app.get(&token, "/log/tile/entries/000.p/1").await.0, 401, "not live before approval");

    let (status, decision) =
        app.post(&security, &format!("/api/v1/approvals/{approval}/decision"), &json!({"approve": true})).await;
    assert_eq!((status, decision["enrolment_code"].clone()), (200, Value::Null), "{decision}");
    let before: i64 = common::scalar(&app.store, "SELECT COUNT(*) FROM events WHERE kind = 'content_viewed'").await;
    let r = app.client.get(app.url("/log/tile/entries/000.p/1")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200, "the token carries its holder's second factor: {:?}", r.text().await);
    let after: i64 = common::scalar(&app.store, "SELECT COUNT(*) FROM events WHERE kind = 'content_viewed'").await;
    assert_eq!(after, before + 1, "the bundle's read is in the ledger");
    let (status, _) = app.post(&token, "/api/v1/me/tokens", &ask).await;
    assert_eq!(status, 403, "a token issues no tokens");
}

#[tokio::test]
async fn the_console_asks_too_once_the_deployment_has_a_security_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::cli(dir.path(), "a-long-enough-password-1");
    assert!(run(&["court-add", "--id", "c", "--name", "示例市甲区人民法院", "--level", "basic", "--code", "示0101"]).0);
    // Setting up: the console alone, and it may hand the first codes out.
    let (ok, said) =
        run(&["user-add", "--username", "office", "--name", "审管办", "--court", "c", "--role", "store_maintainer"]);
    assert!(ok && said.contains("已添加用户"), "{said}");
    let (ok, said) = run(&["user-enrolment-code", "--username", "office"]);
    assert!(ok && said.contains("启用码"), "{said}");
    let (ok, said) = run(&[
        "user-add",
        "--username",
        "security",
        "--name",
        "安全保密",
        "--court",
        "c",
        "--role",
        "security_administrator",
    ]);
    assert!(ok, "{said}");
    // From now on: asked, not done.
    let (ok, said) = run(&[
        "user-add",
        "--username",
        "inspector",
        "--name",
        "纪检",
        "--court",
        "c",
        "--role",
        "discipline_inspector",
        "--reason",
        "新任纪检监察员",
    ]);
    assert!(ok && said.contains("已提交安全保密管理员批准"), "{said}");
    let (ok, said) = run(&["user-password", "--username", "office", "--reason", "遗忘"]);
    assert!(ok && said.contains("已提交安全保密管理员批准"), "{said}");
    let (ok, said) = run(&["user-reset-totp", "--username", "office", "--reason", "手机丢失"]);
    assert!(ok && said.contains("已提交安全保密管理员批准"), "{said}");
    let (ok, said) = run(&["user-enrolment-code", "--username", "office"]);
    assert!(!ok && said.contains("安全保密管理员"), "{said}");
    let (ok, said) = run(&["token", "issue", "--username", "office", "--name", "导出", "--scope", "record.read_court"]);
    assert!(!ok && said.contains("管理员只为服务账号"), "{said}");
    let (ok, said) = run(&["user-role", "--username", "security", "--role", "recorder", "--reason", "调岗"]);
    assert!(ok && said.contains("已提交安全保密管理员批准"), "taking the role away needs approval too: {said}");

    let store = liuhen::storage::open(liuhen_store::StoreConfig::new(dir.path())).await.unwrap();
    assert!(store.user("inspector").await.unwrap().is_none());
    assert_eq!(store.user("security").await.unwrap().unwrap().role, Role::SecurityAdministrator);
    store.close().await;
}

#[tokio::test]
async fn a_changed_permission_matrix_waits_for_the_security_administrator() {
    let app = common::spawn_app().await;
    app.user("leader", "basic1", Role::CourtLeader).await;
    app.user("security", "high", Role::SecurityAdministrator).await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &common::letter()).await;
    let leader = app.token("leader").await;
    assert_eq!(app.get(&leader, &format!("/api/v1/records/{id}")).await.0, 404, "leaders do not read the store");

    // The configuration now widens the leaders' role: recorded and in force only once the
    // security administrator approves (三员分立: they set the matrix).
    let dir = app.stop().await;
    let widen = |c: &mut liuhen_store::StoreConfig| {
        let grants = [(
            "court_leader".to_string(),
            ["record.create", "record.read_own", "record.read_court", "report.view", "log.tiles"]
                .map(String::from)
                .to_vec(),
        )];
        c.permissions = liuhen_rules::PermissionMatrix::with_overrides(&grants.into_iter().collect()).unwrap();
    };
    let app = common::spawn_app_in(dir, false, widen).await;
    let leader = app.token("leader").await;
    assert_eq!(app.get(&leader, &format!("/api/v1/records/{id}")).await.0, 404, "not yet in force");
    let security = strong(&app, "security").await;
    let asked = pending(&app, &security).await;
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0]["action"], "set_permissions");
    assert_eq!(
        asked[0]["changes"],
        json!(["court_leader: +record.read_court −record.cosign −report.approve"]),
        "what changes is shown"
    );
    let dir = app.stop().await;
    // Starting again with the same configuration asks once, not twice.
    let app = common::spawn_app_in(dir, false, widen).await;
    let security = strong(&app, "security").await;
    let asked = pending(&app, &security).await;
    assert_eq!(asked.len(), 1, "{asked:?}");
    let approval = asked[0]["id"].as_str().unwrap();
    let (status, _) =
        app.post(&security, &format!("/api/v1/approvals/{approval}/decision"), &json!({"approve": true})).await;
    assert_eq!(status, 200);
    let leader = app.token("leader").await;
    assert_eq!(app.get(&leader, &format!("/api/v1/records/{id}")).await.0, 200, "in force once approved");
    let kinds: Vec<String> = common::column(&app.store, "SELECT kind FROM events ORDER BY seq").await;
    let tail: Vec<&str> = kinds.iter().rev().take(3).map(String::as_str).collect();
    assert!(tail.contains(&"permissions_set") && tail.contains(&"approval_decided"), "{kinds:?}");
}

#[tokio::test]
async fn a_content_role_comes_with_a_fresh_authenticator_whoever_enrolled_the_old_one() {
    let app = common::spawn_app_with(|c| c.policy.second_factor_for_contents = true).await;
    // An account that reads nothing: the administrator makes it and its enrolment code alone,
    // and could enrol an authenticator of their own on it.
    app.user("helper", "basic1", Role::Witness).await;
    app.user("security", "high", Role::SecurityAdministrator).await;
    let code = app.store.console().enrolment_code("helper").await.unwrap();
    let helper = app.token("helper").await;
    let (status, enrolment) = app.post(&helper, "/api/v1/me/totp", &json!({"enrolment_code": code})).await;
    assert_eq!(status, 200, "{enrolment}");
    let secret = enrolment["secret"].as_str().unwrap().to_string();
    let (status, _) = app.post(&helper, "/api/v1/me/totp/confirm", &json!({"code": totp_now(&secret)})).await;
    assert_eq!(status, 204);
    assert!(app.store.user("helper").await.unwrap().unwrap().second_factor);

    // Now the role that reads the store: approved, it comes with a new authenticator only the
    // person handed the approver's code can enrol.
    let asked = app.store.console().set_role("helper", Role::StoreMaintainer, "调入审管办").await.unwrap();
    let liuhen_store::Change::AwaitsApproval(id) = asked else { panic!("{asked:?}") };
    let security = strong(&app, "security").await;
    let (status, decision) =
        app.post(&security, &format!("/api/v1/approvals/{id}/decision"), &json!({"approve": true})).await;
    assert_eq!(status, 200, "{decision}");
    assert!(decision["enrolment_code"].is_string(), "{decision}");
    let helper = app.store.user("helper").await.unwrap().unwrap();
    assert_eq!((helper.role, helper.second_factor), (Role::StoreMaintainer, false), "the old authenticator is gone");

    // The last security administrator's role stays.
    let asked = app.store.console().set_role("security", Role::Recorder, "调岗").await.unwrap();
    let liuhen_store::Change::AwaitsApproval(id) = asked else { panic!("{asked:?}") };
    let (status, refused) =
        app.post(&security, &format!("/api/v1/approvals/{id}/decision"), &json!({"approve": true})).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("唯一的安全保密管理员"), "{refused}");
}

#[tokio::test]
async fn the_demo_runs_only_on_its_own_data_and_serve_keeps_second_factors() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::cli(dir.path(), "a-long-enough-password-1");
    assert!(run(&["court-add", "--id", "c", "--name", "示例市甲区人民法院", "--level", "basic", "--code", "示0101"]).0);
    let (ok, said) = run(&[
        "user-add",
        "--username",
        "sec1",
        "--name",
        "安全保密",
        "--court",
        "c",
        "--role",
        "security_administrator",
    ]);
    assert!(ok, "{said}");
    // The demo refuses a store it did not make (it would serve it without second factors).
    let (ok, said) = run(&["demo", "--no-serve"]);
    assert!(!ok && said.contains("不是演示数据"), "{said}");
    let (ok, said) = run(&["demo", "--no-serve", "--reset"]);
    assert!(!ok && said.contains("不是演示数据"), "{said}");
    assert!(dir.path().join("liuhen.db").exists(), "nothing was removed");
    // And serve will not run it so either.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("LIUHEN_SECOND_FACTOR_FOR_CONTENTS", "false")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("只用于演示"), "{said}");
}

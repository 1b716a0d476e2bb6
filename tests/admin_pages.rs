//! The system administrator's pages, driven as a browser drives them (issue 4, S3): log in on the
//! login form, manage accounts, courts and tokens with forms that carry the session's CSRF token,
//! and never see a record's content. Each change is a ledger event naming the administrator.

mod common;

use liuhen_ledger::EventBody;
use liuhen_rules::Role;

#[tokio::test]
async fn the_administrator_manages_accounts_from_the_pages() {
    let app = common::spawn_app().await;
    // A record with a name in it, which no administrator page may show.
    let mut record = common::letter();
    record["intervener"]["name"] = serde_json::json!("钱某某");
    let clerk = app.token("clerk").await;
    let (status, _) = app.post(&clerk, "/api/v1/records", &record).await;
    assert_eq!(status, 201);

    let mut admin = common::Browser::new(&app);
    // Not logged in: to the login page, and back afterwards.
    let r = admin.get("/admin/users").await;
    assert_eq!((r.status, r.location.as_str()), (303, "/login?next=/admin/users"));
    let r = admin.log_in("admin", common::PASSWORD).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/admin/users"), "{}", r.body);

    let list = admin.get("/admin/users").await;
    assert_eq!(list.status, 200);
    for name in ["clerk", "judge_b", "测试office"] {
        assert!(list.body.contains(name), "{name} listed");
    }
    assert!(!list.body.contains("other_court"), "another court's accounts are out of reach");

    // A form without the session's CSRF token is refused, and nothing is made.
    let r = admin
        .post(
            "/admin/users",
            &[
                ("username", "forged"),
                ("display_name", "伪造"),
                ("court_id", "basic1"),
                ("role", "recorder"),
                ("password", "forged-pass-1"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("防伪令牌"), "{}", r.body);
    assert!(app.store.user("forged").await.unwrap().is_none());

    // A refused password: the page again, the problem beside the field, the other fields kept.
    let fields =
        [("username", "newclerk"), ("display_name", "测试新书记员"), ("court_id", "basic1"), ("role", "recorder")];
    let mut short = fields.to_vec();
    short.push(("password", "short"));
    let r = admin.submit("/admin/users", "/admin/users", &short).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"password-error\""), "{}", r.body);
    assert!(r.body.contains("value=\"newclerk\""), "what was typed stays");
    assert!(app.store.user("newclerk").await.unwrap().is_none());

    let mut good = fields.to_vec();
    good.push(("password", "newclerk-pass-1"));
    let r = admin.submit("/admin/users", "/admin/users", &good).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/admin/users/newclerk?done=added"), "{}", r.body);
    assert_eq!(app.store.user("newclerk").await.unwrap().unwrap().role, Role::Recorder);

    // Role change, password reset and disabling, each named in the ledger as the administrator's.
    let r = admin.submit("/admin/users/judge_b", "/admin/users/judge_b/role", &[("role", "store_maintainer")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(app.store.user("judge_b").await.unwrap().unwrap().role, Role::StoreMaintainer);
    let r = admin
        .submit("/admin/users/judge_a", "/admin/users/judge_a/password", &[("password", "new-judge-pass-1")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = admin.submit("/admin/users/newclerk", "/admin/users/newclerk/disable", &[]).await;
    assert_eq!(r.status, 303);
    let page = admin.get("/admin/users/newclerk?done=disable").await;
    assert!(page.body.contains("账号已停用") && page.body.contains("已停用于"), "{}", page.body);
    let log = common::events(&app).await;
    let by_admin: Vec<&str> = log.iter().filter(|e| e.actor == "admin").map(|e| e.body.kind()).collect();
    assert_eq!(by_admin, ["user_added", "role_changed", "password_set", "user_disabled"]);
    assert!(log.iter().any(|e| matches!(&e.body, EventBody::RoleChanged { username, .. } if username == "judge_b")));

    // Not their own account: another administrator does that (separation of duties).
    let own = admin.get("/admin/users/admin").await;
    assert!(own.body.contains("另一位系统管理员"), "{}", own.body);
    assert!(!own.body.contains("/admin/users/admin/role"), "no role form on one's own account");
    let csrf = common::hidden(&own.body, "csrf");
    let r = admin.post("/admin/users/admin/role", &[("csrf", &csrf), ("role", "store_maintainer")]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("另一位系统管理员"));
    assert_eq!(app.store.user("admin").await.unwrap().unwrap().role, Role::SystemAdministrator);

    // Another court's account does not exist as far as this administrator can tell.
    assert_eq!(admin.get("/admin/users/other_court").await.status, 404);
    let r = admin.post("/admin/users/other_court/disable", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 404);

    // No page of the administrator's shows anything of a record.
    for page in ["/", "/admin/users", "/admin/users/clerk", "/admin/courts", "/admin/tokens"] {
        let r = admin.get(page).await;
        assert_eq!(r.status, 200, "{page}");
        assert!(!r.body.contains("钱某某"), "{page} shows no record content");
    }

    // Logging out ends the session.
    let r = admin.submit("/admin/users", "/logout", &[]).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/login"));
    assert_eq!(admin.get("/admin/users").await.status, 303);
}

#[tokio::test]
async fn courts_and_tokens_from_the_pages() {
    let app = common::spawn_app().await;
    let mut admin = common::Browser::logged_in(&app, "admin").await;

    // A court below the administrator's own; none above it.
    let court = [("id", "basic1a"), ("name", "示例区人民法院某法庭"), ("level", "basic"), ("case_code", "示0199")];
    let mut below = court.to_vec();
    below.push(("parent_id", "basic1"));
    let r = admin.submit("/admin/courts", "/admin/courts", &below).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/admin/courts?done=added"), "{}", r.body);
    assert!(app.store.court("basic1a").await.unwrap().is_some());
    let mut above = court.to_vec();
    above[0] = ("id", "sneaky");
    above.push(("parent_id", "high"));
    let r = admin.submit("/admin/courts", "/admin/courts", &above).await;
    assert_eq!(r.status, 422);
    assert!(app.store.court("sneaky").await.unwrap().is_none());
    let r = admin.submit("/admin/courts", "/admin/courts", &[("id", ""), ("level", "")]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("请填写法院名称") && r.body.contains("请选择法院层级"), "every problem named");

    // A token is shown once, works, and is revoked from the list — for a service account only: a
    // member of staff asks for their own (issue 17).
    let r = admin
        .submit(
            "/admin/tokens",
            "/admin/tokens",
            &[("username", "judge_b"), ("name", "测试推送"), ("scope", "record.create"), ("days", "30")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("管理员只为服务账号"), "{}", r.body);
    app.user("casesys", "basic1", Role::CaseSystem).await;
    let r = admin
        .submit(
            "/admin/tokens",
            "/admin/tokens",
            &[("username", "casesys"), ("name", "测试推送"), ("scope", "record.create"), ("days", "30")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let start = r.body.find("<code id=\"issued-token\">").unwrap() + "<code id=\"issued-token\">".len();
    let token = r.body[start..].split('<').next().unwrap().to_string();
    assert!(token.starts_with("lht_"));
    let me = app.client.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let again = admin.get("/admin/tokens").await;
    assert!(!again.body.contains(&token), "the token is shown only once");
    let id = app.store.tokens().await.unwrap()[0].id.clone();
    let r = admin.submit("/admin/tokens", &format!("/admin/tokens/{id}/revoke"), &[]).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/admin/tokens?done=revoked"));
    let me = app.client.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 401);

    // Scopes beyond the account's role are refused beside the field.
    let r = admin
        .submit(
            "/admin/tokens",
            "/admin/tokens",
            &[("username", "casesys"), ("name", "越权"), ("scope", "admin.users")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"scopes-error\""), "{}", r.body);
}

#[tokio::test]
async fn the_login_page_and_other_roles() {
    let app = common::spawn_app().await;
    let mut clerk = common::Browser::new(&app);

    // A wrong password: the form again, the message beside the password.
    let r = clerk.log_in("clerk", "not-the-password-1").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("id=\"password-error\"") && r.body.contains("用户名或密码错误"), "{}", r.body);
    assert!(!clerk.cookies.contains_key("liuhen_session"));

    // A login form posted from elsewhere lacks the login page's value: refused (login CSRF).
    let mut other = common::Browser::new(&app);
    let r = other.post("/login", &[("username", "clerk"), ("password", common::PASSWORD)]).await;
    assert_eq!(r.status, 403);
    assert!(!other.cookies.contains_key("liuhen_session"));

    // Only a path on this site after login.
    let page = clerk.get("/login?next=//evil.example/").await;
    assert!(page.body.contains("name=\"next\" value=\"/\""), "{}", page.body);

    let r = clerk.log_in("clerk", common::PASSWORD).await;
    assert_eq!(r.status, 303);
    assert!(clerk.cookies.contains_key("liuhen_session"));
    let r = clerk.get("/admin/users").await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("只供系统管理员使用") && r.body.contains("<html"), "an HTML page: {}", r.body);
    let home = clerk.get("/").await;
    assert!(!home.body.contains("/admin/users"), "no administrator links for a clerk");

    // English on request, remembered.
    let r = clerk.get("/lang/en?next=/").await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"));
    let home = clerk.get("/").await;
    assert!(home.body.contains("lang=\"en\"") && home.body.contains("Log out"), "{}", home.body);
    let r = clerk.get("/admin/users").await;
    assert!(r.body.contains("this page is for the system administrator"), "{}", r.body);
}

//! Who may read what (issue 4, S3, S9): scopes per role, ids guessed across courts, the recorder's
//! identity, the administrator, and a province's own permission matrix.

mod common;

use std::collections::BTreeMap;

use liuhen_rules::{PermissionMatrix, Role};
use serde_json::Value;

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_recorder_reads_only_what_they_recorded_or_were_present_at() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let judge_a = app.token("judge_a").await;
    let judge_b = app.token("judge_b").await;
    let own = app.create(&clerk, &common::letter()).await;
    let present = app.create(&judge_b, &common::in_person(&["clerk"])).await;
    let others = app.create(&judge_a, &common::letter()).await;

    assert_eq!(app.get(&clerk, &format!("/api/v1/records/{own}")).await.0, 200);
    let (status, seen) = app.get(&clerk, &format!("/api/v1/records/{present}")).await;
    assert_eq!(status, 200, "present at the inquiry: {seen}");
    assert!(seen["recorder"].is_null(), "a colleague present does not learn who recorded it (S9): {seen}");
    assert!(seen["versions"][0]["actor"].is_null());
    let (status, body) = app.get(&clerk, &format!("/api/v1/records/{others}")).await;
    assert_eq!(status, 404, "another's record is not revealed, not even as forbidden: {body}");

    let (status, page) = app.get(&clerk, "/api/v1/records").await;
    assert_eq!(status, 200);
    let mut listed = ids(&page);
    listed.sort();
    let mut expected = vec![own.clone(), present.clone()];
    expected.sort();
    assert_eq!(listed, expected, "a clerk's list holds their own records and those they were present at");
    let mine = app.get(&clerk, &format!("/api/v1/records/{own}")).await.1;
    assert_eq!(mine["recorder"], "clerk", "the recorder sees their own name");
}

#[tokio::test]
async fn maintainers_and_inspectors_read_the_store_with_recorders_leaders_do_not() {
    let app = common::spawn_app().await;
    let judge_a = app.token("judge_a").await;
    let id = app.create(&judge_a, &common::letter()).await;
    let office = app.token("office").await;
    let inspector = app.user("inspector", "basic1", Role::DisciplineInspector).await;
    let leader = app.user("leader", "basic1", Role::CourtLeader).await;

    for token in [&office, &inspector] {
        let (status, record) = app.get(token, &format!("/api/v1/records/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(record["recorder"], "judge_a");
        let (_, page) = app.get(token, "/api/v1/records").await;
        assert_eq!(ids(&page), std::slice::from_ref(&id));
        assert_eq!(page["items"][0]["recorder"], "judge_a");
    }
    assert_eq!(app.get(&leader, &format!("/api/v1/records/{id}")).await.0, 404, "leaders see reports, not the store");
    assert!(ids(&app.get(&leader, "/api/v1/records").await.1).is_empty());
}

#[tokio::test]
async fn ids_guessed_across_courts_are_not_found() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &common::in_person(&["judge_a"])).await;
    let fields = [("category", "other"), ("disposition", "filed_with_case")];
    let (material_status, material) = app.upload(&clerk, &id, &fields, "a.pdf", b"%PDF-1.4 test".to_vec()).await;
    assert_eq!(material_status, 201, "{material}");
    let material_id = material["material_id"].as_str().unwrap();

    let outsider = app.token("other_court").await;
    let office_elsewhere = app.user("office2", "basic2", Role::StoreMaintainer).await;
    for token in [&outsider, &office_elsewhere] {
        assert_eq!(app.get(token, &format!("/api/v1/records/{id}")).await.0, 404);
        assert_eq!(app.get(token, &format!("/api/v1/materials/{material_id}")).await.0, 404);
        assert_eq!(app.get(token, &format!("/api/v1/records/{id}/receipt")).await.0, 404);
        let (status, _) = app.post(token, &format!("/api/v1/records/{id}/cosign"), &serde_json::json!({})).await;
        assert_eq!(status, 404);
    }
    // A colleague of the same court who was not present cannot fetch the material either.
    let judge_b = app.token("judge_b").await;
    assert_eq!(app.get(&judge_b, &format!("/api/v1/materials/{material_id}")).await.0, 404);
    let judge_a = app.token("judge_a").await;
    assert_eq!(app.get(&judge_a, &format!("/api/v1/materials/{material_id}")).await.0, 200, "present, so readable");
}

#[tokio::test]
async fn the_administrator_reads_no_contents_anywhere() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &common::letter()).await;
    let admin = app.token("admin").await;
    for path in [format!("/api/v1/records/{id}"), "/api/v1/records".into(), "/api/v1/cosign-inbox".into()] {
        let (status, body) = app.get(&admin, &path).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("职责分离") || body["title"].is_string(), "{body}");
    }
    assert_eq!(app.post(&admin, "/api/v1/records", &common::letter()).await.0, 403);
    let r = app.client.get(app.url("/log/tile/entries/000.p/1")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 403, "entry bundles hold contents");
}

#[tokio::test]
async fn a_province_may_widen_a_role_by_configuration() {
    let overrides: BTreeMap<String, Vec<String>> = [(
        "court_leader".to_string(),
        vec!["record.create".to_string(), "record.read_own".to_string(), "record.read_court".to_string()],
    )]
    .into();
    let app = common::spawn_app_with(|c| c.permissions = PermissionMatrix::with_overrides(&overrides).unwrap()).await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &common::letter()).await;
    let leader = app.user("leader", "basic1", Role::CourtLeader).await;
    let (status, record) = app.get(&leader, &format!("/api/v1/records/{id}")).await;
    assert_eq!(status, 200);
    assert!(record["recorder"].is_null(), "granted the store, not the recorders' names");
    assert_eq!(app.get(&leader, "/log/checkpoint").await.0, 403, "the override replaced the role's grants");
}

#[tokio::test]
async fn every_read_is_a_ledger_event_and_the_recorder_sees_who_read() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &common::letter()).await;
    let office = app.token("office").await;
    let before = app.store.event_count().await.unwrap();

    assert_eq!(app.get(&office, &format!("/api/v1/records/{id}")).await.0, 200);
    assert_eq!(app.get(&office, "/api/v1/records").await.0, 200);
    assert_eq!(app.store.event_count().await.unwrap(), before + 2, "a read and a list: two ledger events");

    let (status, views) = app.get(&clerk, &format!("/api/v1/records/{id}/views")).await;
    assert_eq!(status, 200, "{views}");
    let seen: Vec<(String, String)> = views
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["viewer"].as_str().unwrap().to_string(), v["part"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(seen, [("office".to_string(), "record".to_string()), ("office".to_string(), "list".to_string())]);
    // The view is an entry of the log: its reader can get a receipt for it, like any event they made.
    let seq = views[0]["seq"].as_i64().unwrap();
    let (status, receipt) = app.get(&office, &format!("/api/v1/log/receipts/{seq}")).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["index"], seq);
    let entry =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, receipt["entry"].as_str().unwrap()).unwrap();
    let event = liuhen_ledger::Event::decode(&entry).unwrap();
    assert_eq!(event.actor, "office");
    assert!(
        matches!(&event.body, liuhen_ledger::EventBody::RecordViewed { record_id, part, .. } if record_id.to_string() == id && part == "record"),
        "{event:?}"
    );

    assert_eq!(app.get(&office, &format!("/api/v1/records/{id}/views")).await.0, 200, "maintainers see views");
    let judge_b = app.token("judge_b").await;
    assert_eq!(app.get(&judge_b, &format!("/api/v1/records/{id}/views")).await.0, 404);
    let leader = app.user("leader", "basic1", Role::CourtLeader).await;
    assert_eq!(app.get(&leader, &format!("/api/v1/records/{id}/views")).await.0, 404);

    // The views survive a rebuild of the query tables from the events: they are in the ledger.
    let digest = app.store.projection_digest().await.unwrap();
    app.store.rebuild_projections().await.unwrap();
    assert_eq!(app.store.projection_digest().await.unwrap(), digest);
}

#[tokio::test]
async fn administrative_changes_are_ledger_events_without_secrets() {
    use liuhen_ledger::EventBody;
    let overrides: BTreeMap<String, Vec<String>> =
        [("court_leader".to_string(), vec!["record.create".to_string(), "record.read_own".to_string()])].into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let app = common::spawn_app_in(dir, true, |c| {
        c.permissions = PermissionMatrix::with_overrides(&overrides).unwrap();
    })
    .await;
    let kinds = |events: &[liuhen_ledger::Event]| events.iter().map(|e| e.body.kind()).collect::<Vec<_>>();

    // The province's matrix, then the fixture's courts and accounts.
    let log = common::events(&app).await;
    assert_eq!(kinds(&log)[0], "permissions_set");
    let EventBody::PermissionsSet { grants } = &log[0].body else { unreachable!() };
    assert_eq!(grants["court_leader"], ["record.create", "record.read_own"]);
    assert!(kinds(&log).contains(&"court_added"));
    let clerk_added = log
        .iter()
        .find(|e| matches!(&e.body, EventBody::UserAdded { username, .. } if username == "clerk"))
        .expect("the clerk's account is in the ledger");
    assert_eq!(clerk_added.actor, "console");
    assert_eq!(clerk_added.court, "basic1");

    app.user("casesys", "basic1", liuhen_rules::Role::CaseSystem).await;
    let (token, listed) =
        app.store.console().issue_token("casesys", "测试推送", &["record.create".into()], Some(30)).await.unwrap();
    app.store.console().revoke_token(&listed.id).await.unwrap();
    app.store.console().reset_password("judge_a", "reset-by-admin-2", "忘记密码").await.unwrap();
    app.store.console().unlock_user("judge_b").await.unwrap();
    let log = common::events(&app).await;
    let tail: Vec<&str> = kinds(&log).into_iter().rev().take(4).collect();
    assert_eq!(tail, ["user_unlocked", "password_set", "token_revoked", "token_issued"]);
    let entries: Vec<Vec<u8>> = common::column(&app.store, "SELECT entry FROM events").await;
    let text: String = entries.iter().map(|e| String::from_utf8_lossy(e)).collect();
    assert!(!text.contains(&token) && !text.contains("argon2") && !text.contains("reset-by-admin-2"), "no secrets");
    let key = app.get("", "/api/v1/log/key").await.1["verifier_key"].as_str().unwrap().to_string();
    assert_eq!(app.config().data_dir, path);
    let report = app.verify(&[key]);
    assert!(report.ok, "{:?}", report.faults);

    // Reopening with the same matrix records nothing; with the defaults again, the change.
    let count = app.store.event_count().await.unwrap();
    app.store.close().await;
    let same = liuhen::storage::open({
        let mut c = app.config();
        c.permissions = PermissionMatrix::with_overrides(&overrides).unwrap();
        c
    })
    .await
    .unwrap();
    assert_eq!(same.event_count().await.unwrap(), count);
    same.close().await;
    let defaults = liuhen::storage::open(app.config()).await.unwrap();
    assert_eq!(defaults.event_count().await.unwrap(), count + 1, "back to the defaults is a change too");
    defaults.close().await;
}

/// Issue 17, item 3: the `recorder` filter would tell a colleague named present (or a leader) who
/// recorded, through `total`, the list, the page or the CSV; it is refused to callers who may not
/// see recorders, except with their own name (their own records, as the desk counts them).
#[tokio::test]
async fn the_recorder_filter_is_refused_to_those_who_may_not_see_recorders() {
    let app = common::spawn_app().await;
    let judge_b = app.token("judge_b").await;
    let clerk = app.token("clerk").await;
    let leader = app.user("leader", "basic1", Role::CourtLeader).await;
    let mut inquiry = common::in_person(&["clerk", "leader"]);
    let case = "（2026）示0101民初77号";
    inquiry["case_number"] = serde_json::json!(case);
    app.create(&judge_b, &inquiry).await;
    let list = |token: &str, recorder: &str| {
        let req = app
            .client
            .get(app.url("/api/v1/records"))
            .bearer_auth(token)
            .query(&[("case_number", case), ("recorder", recorder)]);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    for (who, token) in [("colleague present", &clerk), ("leader present", &leader)] {
        for guess in ["judge_b", "judge_a"] {
            let (status, body) = list(token, guess).await;
            assert_eq!(status, 422, "{who} guessing {guess}: {body}");
            assert_eq!(common::problems(&body), [("recorder".to_string(), "S9".to_string())], "{body}");
            assert!(body["total"].is_null(), "{body}");
        }
        // Their own name only narrows to what they recorded themselves: nothing to learn.
        let (status, body) = list(token, if who == "leader present" { "leader" } else { "clerk" }).await;
        assert_eq!((status, body["total"].as_i64()), (200, Some(0)), "{who}: {body}");
    }
    // Whoever may see recorders filters by them.
    let office = app.token("office").await;
    let (status, body) = list(&office, "judge_b").await;
    assert_eq!((status, body["total"].as_i64()), (200, Some(1)), "{body}");

    // The page and the CSV export take the same query and refuse it the same way.
    let mut browser = common::Browser::logged_in(&app, "clerk").await;
    let page = browser.get(&format!("/records?recorder=judge_b&case_number={}", common::urlencode(case))).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("录入人"), "{}", page.body);
    assert!(!page.body.contains("href=\"/records.csv?"), "no export offered: {}", page.body);
    let (status, _, _) =
        browser.download(&format!("/records.csv?recorder=judge_b&case_number={}", common::urlencode(case))).await;
    assert_eq!(status, 422);
    let (status, _, csv) =
        browser.download(&format!("/records.csv?recorder=clerk&case_number={}", common::urlencode(case))).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&csv));
}

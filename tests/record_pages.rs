//! The record pages without JavaScript (issue 5): every core form works as plain HTML forms, each
//! carries the session's CSRF token, and what the pages do lands in the ledger as the API's does.

mod common;

use common::Browser;

/// The fields of a complete oral record as the entry form posts them.
fn oral_form(staff: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    let mut f = vec![
        ("register", "store"),
        ("case_number", "（2026）示0101民初12号"),
        ("stage", "trial"),
        ("intervener.name", "张某"),
        ("intervener.unit", "某区人民政府"),
        ("intervener.post", "副区长"),
        ("intervener.unit_type", "government"),
        ("intervener.leading_cadre", "true"),
        ("intervener.relation", "self"),
        ("intervener.managing_level", "municipal"),
        ("occurred_at", "2026-03-31T23:30"),
        ("form", "phone"),
        ("persons_present", "张某"),
        ("content", "电话要求=尽快结案，称关系地方稳定"),
        ("special_items", "1"),
        ("special_items", "4"),
    ];
    for s in staff {
        f.push(("court_staff_present", s));
    }
    f
}

#[tokio::test]
async fn record_review_submit_amend_and_export_without_javascript() {
    let app = common::spawn_app().await;
    let mut clerk = Browser::logged_in(&app, "clerk").await;

    // Review first: the record as it will be stored, every field carried in hidden inputs.
    let mut fields = oral_form(&[]);
    fields.push(("action", "review"));
    let events_before = app.store.event_count().await.unwrap();
    let review = clerk.submit("/records/new", "/records/new", &fields).await;
    assert_eq!(review.status, 200, "{}", review.body);
    assert!(review.body.contains("核对记录") && review.body.contains("关系地方稳定"));
    assert!(review.body.contains("name=\"content\" value=\"电话要求=尽快结案"), "the fields ride along hidden");
    assert_eq!(app.store.event_count().await.unwrap(), events_before, "a review stores nothing");

    // A phone call with nobody else from the court there: no box ticked is a statement.
    let mut submit = oral_form(&[]);
    submit.push(("action", "submit"));
    let created = clerk.submit("/records/new", "/records/new", &submit).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let record_path = created.location.split('?').next().unwrap().to_string();
    let id = record_path.trim_start_matches("/records/").to_string();
    let page = clerk.get(&created.location).await;
    assert!(page.body.contains("已录入") && page.body.contains("无需确认"), "{}", page.body);

    // Without the form's token nothing is recorded.
    let count = app.store.event_count().await.unwrap();
    let forged = clerk.post("/records/new", &submit).await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.store.event_count().await.unwrap(), count);

    // An amendment needs its reason; with one it is version 2 and version 1 stays readable.
    let mut amend = oral_form(&["judge_a"]);
    amend.push(("expected_version", "1"));
    let refused = clerk.submit(&format!("{record_path}/amend"), &format!("{record_path}/amend"), &amend).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("id=\"reason-error\""), "{}", refused.body);
    amend.push(("reason", "补记在场的法官"));
    let amended = clerk.submit(&format!("{record_path}/amend"), &format!("{record_path}/amend"), &amend).await;
    assert_eq!((amended.status, amended.location.as_str()), (303, format!("{record_path}?done=amended").as_str()));
    let view = app.store.record(&app.store.user("clerk").await.unwrap().unwrap(), id.parse().unwrap(), "api").await;
    let view = view.unwrap();
    assert_eq!(view.versions.len(), 2);
    assert_eq!(view.versions[1].reason.as_deref(), Some("补记在场的法官"));

    // The colleague now named confirms it, from the page.
    let mut judge = Browser::logged_in(&app, "judge_a").await;
    let inbox = judge.get("/cosign").await;
    assert!(inbox.body.contains(&record_path), "{}", inbox.body);
    let no_reason = judge.submit(&record_path, &format!("{record_path}/dispute"), &[("version", "2")]).await;
    assert_eq!(no_reason.status, 422, "a dispute needs its reason");
    let confirmed = judge.submit(&record_path, &format!("{record_path}/cosign"), &[("version", "2")]).await;
    assert_eq!(confirmed.status, 303);
    assert!(judge.get(&confirmed.location).await.body.contains("在场人员已确认"));

    // The office finds it by a short and a long Chinese phrase, and exports the view as CSV
    // whose cells cannot run as spreadsheet formulas.
    let mut office = Browser::logged_in(&app, "office").await;
    for q in ["稳定", "关系地方稳定", "张某 地方"] {
        let found = office.get(&format!("/records?q={}", common::urlencode(q))).await;
        assert!(found.body.contains(&record_path), "{q}: {}", found.body);
    }
    let none = office.get(&format!("/records?q={}", common::urlencode("与本案无关的词"))).await;
    assert!(!none.body.contains(&record_path));
    let csv = office.get(&format!("/records.csv?q={}", common::urlencode("稳定"))).await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with('\u{feff}'), "a byte-order mark for spreadsheet programs");
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(lines[1].contains("张某") && lines[1].contains("clerk"));

    // Every list the office saw is in the ledger, the export too.
    let log = common::events(&app).await;
    let listed = log.iter().filter(|e| e.actor == "office" && e.body.kind() == "records_listed").count();
    assert!(listed >= 4, "{listed} lists logged");
}

#[tokio::test]
async fn csv_cells_that_look_like_formulas_are_neutralised() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let mut record = common::letter();
    record["intervener"]["name"] = serde_json::json!("=HYPERLINK(\"http://example.invalid\")");
    let (status, _) = app.post(&clerk, "/api/v1/records", &record).await;
    assert_eq!(status, 201);
    let mut office = Browser::logged_in(&app, "office").await;
    let csv = office.get("/records.csv").await;
    assert!(csv.body.contains("\"'=HYPERLINK(\"\"http://example.invalid\"\")\""), "{}", csv.body);
}

#[tokio::test]
async fn a_material_from_the_page_needs_the_forms_token() {
    let app = common::spawn_app().await;
    let token = app.token("clerk").await;
    let (_, created) = app.post(&token, "/api/v1/records", &common::letter()).await;
    let id = created["record_id"].as_str().unwrap().to_string();
    let mut clerk = Browser::logged_in(&app, "clerk").await;
    let page = clerk.get(&format!("/records/{id}")).await;
    let csrf = common::hidden(&page.body, "csrf");
    let cookie: Vec<String> = clerk.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let upload = |csrf: Option<String>, category: &str, file: bool| {
        let mut form = reqwest::multipart::Form::new();
        if let Some(c) = csrf {
            form = form.text("csrf", c);
        }
        form = form.text("category", category.to_string());
        if file {
            form =
                form.part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 letter".to_vec()).file_name("来信.pdf"));
        }
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(app.url(&format!("/records/{id}/materials")))
            .header("cookie", cookie.join("; "))
            .header("accept", "text/html")
            .multipart(form)
    };
    let refused = upload(None, "letter", true).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let refused = upload(Some("not-the-token".into()), "letter", true).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    // A forged form is refused as forged before its fields are judged: it learns nothing of them,
    // and shows no record page (whose view would be recorded in the clerk's name).
    let refused = upload(None, "no-such-category", false).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let refused = upload(Some(csrf.clone()), "no-such-category", false).send().await.unwrap();
    assert_eq!(refused.status(), 422, "with the token, the page shows the problem");
    let stored = upload(Some(csrf), "letter", true).send().await.unwrap();
    assert_eq!(stored.status(), 303);
    let page = clerk.get(&format!("/records/{id}")).await;
    assert!(page.body.contains("来信.pdf"), "{}", page.body);
}

#[tokio::test]
async fn the_search_index_and_the_reports_facts_are_filled_for_a_store_made_before_them() {
    // SQLite's upgrade path in both runs of the suite: a PostgreSQL store is made whole by its
    // first migration and never has derived tables left to fill.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let app = common::spawn_app_in(dir, true, |c| c.database_url = None).await;
    let clerk = app.token("clerk").await;
    let (status, _) = app.post(&clerk, "/api/v1/records", &common::letter()).await;
    assert_eq!(status, 201);
    let digest = app.store.projection_digest().await.unwrap();
    // As if the store predated the index and the facts (migrations 0012 and 0019): their rows
    // gone, and the migration's note that they are to be derived.
    for sql in [
        "DELETE FROM record_search",
        "DELETE FROM record_facts",
        "INSERT INTO derived_backlog (name) VALUES ('record_search'), ('record_facts')",
    ] {
        common::sql(&app.store, sql).await.unwrap();
    }
    assert_ne!(app.store.projection_digest().await.unwrap(), digest);
    let dir = app.stop().await;
    let app = common::spawn_app_in(dir, false, |c| c.database_url = None).await;
    assert_eq!(app.store.projection_digest().await.unwrap(), digest, "filled again exactly as written");
    let backlog: i64 = common::scalar(&app.store, "SELECT count(*) FROM derived_backlog").await;
    assert_eq!(backlog, 0, "done once, not at every start");
    assert_eq!(app.config().data_dir, path);
    let report = app.verify(&[]);
    assert!(report.ok, "{report:?}");
}

#[tokio::test]
async fn drafts_wait_on_the_desk_for_their_author_only() {
    // Every pending co-signature counts as overdue at once, to see the desk say so.
    let app = common::spawn_app_with(|c| c.policy.cosign_overdue_days = 0).await;
    let mut clerk = Browser::logged_in(&app, "clerk").await;
    let events = app.store.event_count().await.unwrap();

    let mut fields = oral_form(&["judge_a"]);
    fields.retain(|(k, _)| *k != "content");
    fields.push(("action", "save_draft"));
    let saved = clerk.submit("/records/new", "/records/new", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(app.store.event_count().await.unwrap(), events, "a draft is not in the ledger");
    let desk = clerk.get("/?done=draft").await;
    assert!(desk.body.contains("草稿已保存") && desk.body.contains("我的草稿"), "{}", desk.body);
    let id = saved.location.split("#draft-").nth(1).unwrap().to_string();
    assert!(desk.body.contains(&format!("/records/new?draft={id}")));

    // Nobody else opens it, not even by its id.
    let mut judge = Browser::logged_in(&app, "judge_a").await;
    assert_eq!(judge.get(&format!("/records/new?draft={id}")).await.status, 404);
    assert!(!judge.get("/").await.body.contains(&id));

    // Back to it: the fields as they were; finished and submitted, the draft is gone.
    let form = clerk.get(&format!("/records/new?draft={id}")).await;
    assert!(
        form.body.contains("value=\"某区人民政府\"") && form.body.contains(&format!("name=\"draft\" value=\"{id}\""))
    );
    let mut finished = fields.clone();
    finished.retain(|(k, _)| *k != "action");
    finished.extend([("content", "电话要求尽快结案"), ("action", "submit")]);
    finished.push(("draft", id.as_str()));
    let created = clerk.submit(&format!("/records/new?draft={id}"), "/records/new", &finished).await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert!(!clerk.get("/").await.body.contains(&id), "submitted: no longer a draft");

    // The colleague present sees the confirmation waiting, and late.
    let desk = judge.get("/").await;
    assert!(desk.body.contains("条已逾期"), "{}", desk.body);
}

#[tokio::test]
async fn lists_come_in_the_order_asked_for() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    for when in ["2026-01-05 09:00", "2026-03-01 09:00", "2026-02-01 09:00"] {
        let mut r = common::letter();
        r["occurred_at"] = serde_json::json!(when);
        assert_eq!(app.post(&clerk, "/api/v1/records", &r).await.0, 201);
    }
    let order = |body: &serde_json::Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|i| i["occurred_at"].as_str().unwrap()[..10].to_string()).collect()
    };
    let (_, newest) = app.get(&clerk, "/api/v1/records").await;
    assert_eq!(order(&newest), ["2026-03-01", "2026-02-01", "2026-01-05"]);
    let (_, oldest) = app.get(&clerk, "/api/v1/records?sort=occurred_at").await;
    assert_eq!(order(&oldest), ["2026-01-05", "2026-02-01", "2026-03-01"]);
    let (_, recorded) = app.get(&clerk, "/api/v1/records?sort=-created_at").await;
    assert_eq!(order(&recorded), ["2026-02-01", "2026-03-01", "2026-01-05"], "last recorded first");
    let (status, refused) = app.get(&clerk, "/api/v1/records?sort=name").await;
    assert_eq!(status, 422);
    assert_eq!(common::problems(&refused), [("sort".to_string(), "R6".to_string())]);
}

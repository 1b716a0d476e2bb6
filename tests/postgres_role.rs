//! Issue 7, R1: on PostgreSQL the server runs as the application's role, which the owner set up
//! with `app_role_grants` (docs/operations.md): everything the product does works, and that role
//! cannot change, delete or truncate the ledger even by hand.

mod common;

use serde_json::json;

#[tokio::test]
async fn the_server_runs_as_the_application_role_which_cannot_change_the_ledger() {
    let db = common::TestDb::new().await;
    // The owner migrates and seeds; the application's role gets its grants.
    let owner_dir = tempfile::tempdir().unwrap();
    {
        let mut config = common::config(owner_dir.path());
        config.database_url = Some(db.url());
        let store = liuhen::storage::open(config).await.unwrap();
        store.close().await;
    }
    let owner = db.pool().await;
    let app_options = db.app_role(&owner).await;
    let role = app_options.get_username().to_string();
    let url = db.url_as(&role);

    let app = common::spawn_app_with(|c| c.database_url = Some(url.clone())).await;
    assert_eq!(app.store.backend_name(), "postgres");
    let clerk = app.token("clerk").await;
    let judge = app.token("judge_a").await;
    let id = app.create(&clerk, &common::in_person(&["judge_a"])).await;
    let mut amended = common::in_person(&["judge_a"]);
    amended["handling"] = json!("已告知依法办理");
    let body = json!({"record": amended, "reason": "补充处理情况", "expected_version": 1});
    assert_eq!(app.post(&clerk, &format!("/api/v1/records/{id}/amendments"), &body).await.0, 201);
    assert_eq!(app.post(&judge, &format!("/api/v1/records/{id}/cosign"), &json!({"version": 2})).await.0, 201);
    let (status, _) = app.upload(&clerk, &id, &[("category", "letter")], "函.txt", b"letter".to_vec()).await;
    assert_eq!(status, 201);
    let (status, page) = app.get(&clerk, "/api/v1/records?text=依法办理").await;
    assert_eq!((status, page["total"].as_i64()), (200, Some(1)), "search works for the role: {page}");
    // Rebuilding the query tables is the role's to do; the ledger stays as it was.
    let digest = app.store.projection_digest().await.unwrap();
    app.store.rebuild_projections().await.unwrap();
    assert_eq!(app.store.projection_digest().await.unwrap(), digest);

    // By hand, as the role: no change, deletion or truncation of the ledger.
    let as_app = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    for sql in [
        "UPDATE events SET kind = 'x' WHERE seq = 1",
        "DELETE FROM events WHERE seq = 1",
        "TRUNCATE events",
        "UPDATE checkpoints SET note = note",
        "DELETE FROM tlog_hashes",
        "ALTER TABLE events DISABLE TRIGGER events_append_only",
    ] {
        let refused = sqlx::query(sql).execute(&as_app).await.unwrap_err().to_string();
        assert!(refused.contains("permission denied") || refused.contains("must be owner"), "{sql}: {refused}");
    }
    let key = app.get("", "/api/v1/log/key").await.1["verifier_key"].as_str().unwrap().to_string();
    let report = liuhen::storage::verify_data_dir(
        &liuhen_store::verify::VerifyOptions {
            data_dir: app.dir.path().to_path_buf(),
            verifier_keys: vec![key],
            key_file: None,
            published: Vec::new(),
        },
        Some(&url),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(report.ok, "{:?}", report.faults);
}

//! `liuhen migrate-store` (issue 7): a store moves from SQLite to PostgreSQL and back with every
//! event, stored hash, checkpoint, account and material; the target is verified from its events
//! and has the source's newest checkpoint; it serves on and its log goes on where it stopped.
//! Runs the same in both runs of the suite (its source is SQLite by design).

mod common;

use std::sync::Arc;

use common::{DataDir, TestDb};
use serde_json::{Value, json};

/// Run the CLI with a configuration naming `data_dir`.
fn cli(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let config = data_dir.with_extension("toml");
    std::fs::write(&config, format!("data_dir = {:?}\nextra_regions = [\"示\"]\n", data_dir.to_str().unwrap()))
        .unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
        .args(["--config", config.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_store_moves_from_sqlite_to_postgresql_and_back_with_the_same_checkpoint() {
    // The source: SQLite, with records, an amendment, a co-signature and a material.
    let app = common::spawn_app_with(|c| c.database_url = None).await;
    assert_eq!(app.store.backend_name(), "sqlite");
    let clerk = app.token("clerk").await;
    let judge = app.token("judge_a").await;
    let id = app.create(&clerk, &common::letter()).await;
    let mut amended = common::letter();
    amended["handling"] = json!("已告知依法办理");
    let body = json!({"record": amended, "reason": "补充处理情况", "expected_version": 1});
    assert_eq!(app.post(&clerk, &format!("/api/v1/records/{id}/amendments"), &body).await.0, 201);
    let present = app.create(&clerk, &common::in_person(&["judge_a"])).await;
    app.post(&judge, &format!("/api/v1/records/{present}/cosign"), &json!({})).await;
    let (status, _) = app.upload(&clerk, &id, &[("category", "letter")], "函.pdf", b"%PDF-1.4 letter".to_vec()).await;
    assert_eq!(status, 201);
    let key = app.get("", "/api/v1/log/key").await.1["verifier_key"].as_str().unwrap().to_string();
    let record_before = app.get(&clerk, &format!("/api/v1/records/{id}")).await.1;
    let events = app.store.event_count().await.unwrap() as u64;
    let dir = app.stop().await;

    // SQLite → PostgreSQL with the command line.
    let db = Arc::new(TestDb::new().await);
    let out = cli(dir.path(), &["migrate-store", "--to", &db.url(), "--key", &key, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["target"]["ok"], true, "{report}");
    assert_eq!(report["target"]["events"], events);
    assert_eq!(report["target"]["materials"], 1);
    assert_eq!(report["source_checkpoint"][0], events);
    assert_eq!(report["source_checkpoint"][1], report["target"]["root"], "the same newest checkpoint");
    assert_eq!(report["target"]["latest_checkpoint"], events);

    // Not twice into the same database: the target must be empty.
    let again = cli(dir.path(), &["migrate-store", "--to", &db.url(), "--key", &key]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("目标数据库已有数据"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    // A key that did not sign the source: refused before anything is written.
    let other = TestDb::new().await;
    let (stranger, _) = liuhen_ledger::tlog::LogKey::generate("liuhen.local/log").unwrap();
    let refused = cli(dir.path(), &["migrate-store", "--to", &other.url(), "--key", stranger.verifier_key()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("源库校验未通过"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'events'")
        .fetch_one(&other.pool().await)
        .await
        .unwrap();
    assert_eq!(tables, 0, "nothing made in the refused target");

    // The PostgreSQL store serves the same record and goes on writing where the log stopped.
    let on_pg = common::spawn_app_in(DataDir { dir: dir.dir, db: Some(db.clone()) }, false, |_| {}).await;
    assert_eq!(on_pg.store.backend_name(), "postgres");
    let clerk = on_pg.token("clerk").await;
    let record_after = on_pg.get(&clerk, &format!("/api/v1/records/{id}")).await.1;
    assert_eq!(record_after["record"], record_before["record"]);
    assert_eq!(record_after["versions"], record_before["versions"]);
    assert_eq!(record_after["materials"], record_before["materials"]);
    let later = on_pg.create(&clerk, &common::letter()).await;
    let created = on_pg.get(&clerk, &format!("/api/v1/records/{later}")).await.1;
    let events_on_pg = on_pg.store.event_count().await.unwrap() as u64;
    assert!(created["ledger"]["created_seq"].as_u64().unwrap() >= events, "the log goes on after the copied entries");
    let dir = on_pg.stop().await;

    // …and back: PostgreSQL → a new SQLite data directory, materials and keys copied along.
    let back = tempfile::tempdir().unwrap();
    let source = liuhen::storage::Location { data_dir: dir.path().to_path_buf(), database_url: Some(db.url()) };
    let target = liuhen::storage::Location { data_dir: back.path().to_path_buf(), database_url: None };
    let report = liuhen::migrate::migrate_store(&source, &target, vec![key.clone()], None).await.unwrap();
    assert!(report.target.ok, "{:?}", report.target.faults);
    assert_eq!(report.target.events, events_on_pg);
    assert!(report.files_copied >= 2, "the material and the signing key: {report:?}");
    assert_eq!(report.source_checkpoint, report.target.latest_checkpoint.map(|s| (s, report.target.root.clone())));

    let on_sqlite = common::spawn_app_in(back, false, |c| c.database_url = None).await;
    let clerk = on_sqlite.token("clerk").await;
    assert_eq!(on_sqlite.get(&clerk, &format!("/api/v1/records/{later}")).await.1["record"], created["record"]);
    let material = record_before["materials"][0]["id"].as_str().unwrap();
    let file = on_sqlite
        .client
        .get(on_sqlite.url(&format!("/api/v1/materials/{material}")))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"%PDF-1.4 letter");
}

#[tokio::test]
async fn liuhen_verify_postgres_checks_a_migrated_ledger_and_finds_a_changed_event() {
    let app = common::spawn_app_with(|c| c.database_url = None).await;
    let clerk = app.token("clerk").await;
    app.create(&clerk, &common::letter()).await;
    let key = app.get("", "/api/v1/log/key").await.1["verifier_key"].as_str().unwrap().to_string();
    let events = app.store.event_count().await.unwrap() as u64;
    let dir = app.stop().await;
    let db = TestDb::new().await;
    let out = cli(dir.path(), &["migrate-store", "--to", &db.url(), "--key", &key]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let verify = |key: String, url: String| {
        std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
            .args(["verify", "--postgres", &url, "--key", &key, "--json"])
            .output()
            .unwrap()
    };
    let out = verify(key.clone(), db.url());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["events"].as_u64(), report["faults"].as_array().map(Vec::len)), (Some(events), Some(0)));

    let pool = db.pool().await;
    for sql in [
        "ALTER TABLE events DISABLE TRIGGER events_append_only",
        "UPDATE events SET entry = entry || '\x20'::bytea WHERE seq = 1",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let out = verify(key, db.url());
    assert!(!out.status.success(), "a changed event is found");
    // Both are named: the disabled guard (first), and the entry that was changed.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("events_append_only"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let faults = report["faults"].as_array().unwrap();
    assert!(faults.iter().any(|f| f["entry"] == 1), "{faults:?}");
}

//! Moving a store from SQLite to PostgreSQL (issue 7), so far its ledger: every event, stored
//! hash and signed checkpoint copied byte for byte, the copy verified with the source's key, its
//! newest checkpoint the source's — the two backends keep the same ledger.

mod common;

use liuhen_store_pg::testing::TestDb;
use serde_json::json;

#[tokio::test]
async fn the_ledger_moves_from_sqlite_to_postgresql_with_the_same_checkpoint() {
    let app = common::spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &common::letter()).await;
    let mut amended = common::letter();
    amended["handling"] = json!("已告知依法办理");
    let body = json!({"record": amended, "reason": "补充处理情况", "expected_version": 1});
    assert_eq!(app.post(&clerk, &format!("/api/v1/records/{id}/amendments"), &body).await.0, 201);
    app.create(&clerk, &common::letter()).await;
    let key = app.get("", "/api/v1/log/key").await.1["verifier_key"].as_str().unwrap().to_string();
    let events = app.store.event_count().await.unwrap() as u64;
    let dir = app.stop().await;

    let db = TestDb::new().await;
    let copy = liuhen::migrate::copy_ledger(dir.path(), &db.options, &[&key]).await.unwrap();
    assert_eq!(copy.events, events);
    assert!(copy.checkpoints >= 3, "one a batch: {copy:?}");

    // Byte for byte: the same entries at the same indexes.
    let source = rusqlite::Connection::open(dir.path().join("liuhen.db")).unwrap();
    let last: Vec<u8> =
        source.query_row("SELECT entry FROM events ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    let pool = db.pool().await;
    let copied: Vec<u8> = sqlx::query_scalar("SELECT entry FROM events WHERE seq = $1")
        .bind(events as i64 - 1)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(copied, last);

    // `liuhen verify --postgres` checks it there, and finds a stored hash rewritten by an owner
    // who dropped the guard.
    let verify = |key: String, url: String| {
        std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
            .args(["verify", "--postgres", &url, "--key", &key, "--json"])
            .output()
            .unwrap()
    };
    let out = verify(key.clone(), db.url());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["size"].as_u64(), report["faults"].as_array().map(Vec::len)), (Some(events), Some(0)));

    // Not twice: the target must be empty.
    let again = liuhen::migrate::copy_ledger(dir.path(), &db.options, &[&key]).await.unwrap_err();
    assert!(again.to_string().contains("already holds"), "{again}");
    // A key that did not sign it: refused before anything is written (the target is append-only).
    let other = TestDb::new().await;
    let (stranger, _) = liuhen_ledger::tlog::LogKey::generate("liuhen.local/log").unwrap();
    let refused =
        liuhen::migrate::copy_ledger(dir.path(), &other.options, &[stranger.verifier_key()]).await.unwrap_err();
    assert!(refused.to_string().contains("does not verify with the keys given"), "{refused}");
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'events'")
        .fetch_one(&other.pool().await)
        .await
        .unwrap();
    assert_eq!(written, 0, "nothing made in the target");

    for sql in [
        "ALTER TABLE events DISABLE TRIGGER events_append_only",
        "UPDATE events SET entry = entry || '\x20'::bytea WHERE seq = 1",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let out = verify(key, db.url());
    assert!(!out.status.success(), "a changed event is found");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("条目 1"), "{stderr}");
}

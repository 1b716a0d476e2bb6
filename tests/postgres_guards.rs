//! R1 on PostgreSQL (issue 7): the database itself keeps the ledger append-only — for the
//! application and for the tables' owner — and lets only the current sequencer append, in order;
//! `liuhen verify --postgres` names a stored hash changed behind the triggers' back. Runs against
//! PostgreSQL in both runs of the suite.

mod common;

use common::TestDb;
use sqlx::{Executor, PgPool};

/// The error of `sql`, run as `pool`'s role (the statement must be refused).
async fn error_of(pool: &PgPool, sql: &str) -> String {
    match sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(pool).await {
        Ok(_) => panic!("{sql} was allowed"),
        Err(e) => e.to_string(),
    }
}

/// The error of `sql`, run in a transaction that states `epoch` as the sequencer does (rolled back).
async fn error_stating_epoch(pool: &PgPool, epoch: i64, sql: &str) -> sqlx::Error {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('liuhen.epoch', $1, true)").bind(epoch.to_string()).execute(&mut *tx).await.unwrap();
    tx.execute(sqlx::AssertSqlSafe(sql.to_string())).await.expect_err("the database let it through")
}

/// A store on a database of its own with one record; its events, the lease's epoch and the log's key.
struct Ledger {
    db: TestDb,
    _dir: common::DataDir,
    size: i64,
    epoch: i64,
    key: String,
}

async fn ledger() -> Ledger {
    let db = TestDb::new().await;
    let app = common::spawn_app_with(|c| c.database_url = Some(db.url())).await;
    let clerk = app.token("clerk").await;
    app.create(&clerk, &common::letter()).await;
    let key = app.get("", "/api/v1/log/key").await.1["verifier_key"].as_str().unwrap().to_string();
    let dir = app.stop().await;
    let owner = db.pool().await;
    let size: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&owner).await.unwrap();
    let epoch: i64 = sqlx::query_scalar("SELECT epoch FROM sequencer_lease").fetch_one(&owner).await.unwrap();
    assert!(size > 3 && epoch >= 1, "{size} events, epoch {epoch}");
    Ledger { db, _dir: dir, size, epoch, key }
}

#[tokio::test]
async fn the_owner_of_the_tables_cannot_change_remove_or_empty_the_ledger() {
    let ledger = ledger().await;
    let owner = ledger.db.pool().await;
    for sql in [
        "UPDATE events SET kind = 'x' WHERE seq = 1",
        "DELETE FROM events WHERE seq = 2",
        "TRUNCATE events",
        "TRUNCATE tlog_hashes",
        "UPDATE tlog_hashes SET hash = hash",
        "DELETE FROM checkpoints",
    ] {
        let error = error_of(&owner, sql).await;
        assert!(error.contains("append-only") && error.contains("R1"), "{sql}: {error}");
    }
}

#[tokio::test]
async fn only_the_current_sequencer_appends_and_only_in_order() {
    let Ledger { db, size, epoch, .. } = ledger().await;
    let owner = db.pool().await;
    // Not without stating the epoch, not with an old one, not out of order (nor with a gap
    // inside one statement).
    let row = |seq: i64| format!("({seq}, 'x', 'x', 'k', NULL, 't')");
    let error = error_of(&owner, &format!("INSERT INTO events VALUES {}", row(size))).await;
    assert!(error.contains(&format!("only the current sequencer (epoch {epoch})")), "{error}");
    let stale = error_stating_epoch(&owner, epoch - 1, &format!("INSERT INTO events VALUES {}", row(size))).await;
    let code = stale.as_database_error().and_then(|e| e.code()).map(|c| c.to_string());
    assert_eq!(code.as_deref(), Some("LH001"), "{stale}");
    let ahead = error_stating_epoch(&owner, epoch, &format!("INSERT INTO events VALUES {}", row(size + 4))).await;
    let expected = format!("events {0} to {0} (1 rows) out of order: the log goes on at index {size}", size + 4);
    assert!(ahead.to_string().contains(&expected), "{ahead}");
    let gap = format!("INSERT INTO events VALUES {}, {}", row(size), row(size + 2));
    let gap = error_stating_epoch(&owner, epoch, &gap).await;
    assert!(gap.to_string().contains(&format!("events {size} to {} (2 rows) out of order", size + 2)), "{gap}");
}

#[tokio::test]
async fn verifying_the_ledger_alone_names_a_hash_changed_behind_a_disabled_guard() {
    let Ledger { db, size, key, .. } = ledger().await;
    let owner = db.pool().await;
    let verify = || liuhen::storage::verify_ledger(&db.url(), vec![key.clone()], &mut |_, _| {}).unwrap();
    let report = verify();
    assert!(report.ok, "{:?}", report.faults);
    assert_eq!((report.events, report.materials), (size as u64, 0), "the ledger alone");
    // Without the log's published key there is nothing to trust: refused, naming the field.
    match liuhen::storage::verify_ledger(&db.url(), vec![], &mut |_, _| {}) {
        Err(liuhen_store::StoreError::Invalid(problems)) => {
            assert_eq!((problems[0].field.as_str(), problems[0].rule), ("key", "R1"), "{problems:?}")
        }
        other => panic!("checked without a key: {:?}", other.map(|r| r.ok)),
    }

    // An owner who disables the guard and rewrites a stored hash: the check names both.
    for sql in [
        "ALTER TABLE tlog_hashes DISABLE TRIGGER tlog_hashes_append_only",
        "UPDATE tlog_hashes SET hash = decode(repeat('00', 32), 'hex') WHERE idx = 2",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&owner).await.unwrap();
    }
    let report = verify();
    assert!(!report.ok);
    let named = |what: &str| report.faults.iter().any(|f| f.en.contains(what));
    assert!(named("Merkle tree hash at entry 1") && named("tlog_hashes_append_only"), "{:?}", report.faults);
}

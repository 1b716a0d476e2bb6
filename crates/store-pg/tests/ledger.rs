//! The ledger on PostgreSQL (issue 7): append-only for the application and for the owner, one
//! fenced sequencer, and a failover under load that leaves no gap, duplicate or fork (R1).
//! Each test has a database of its own, dropped afterwards; the server is the one at
//! LIUHEN_TEST_POSTGRES_URL (./scripts/test starts one when none is running).

use std::time::Duration;

use liuhen_ledger::tlog::LogKey;
use liuhen_ledger::{Event, EventBody};
use liuhen_store_pg::testing::TestDb;
use liuhen_store_pg::{PgError, Sequencer, ledger_queue, migrate, serve_as_sequencer, verify};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};

/// A fresh log key: its private string (each server loads its own copy) and its verifier key.
fn key() -> (String, String) {
    let (key, private) = LogKey::generate("liuhen.test/log").unwrap();
    (private, key.verifier_key().to_string())
}

fn signer(private: &str) -> Vec<LogKey> {
    vec![LogKey::from_private(private).unwrap()]
}

/// A fictional event: an entry read by a clerk, with a fresh salt (so every one is distinct).
fn event(n: usize) -> Vec<u8> {
    let body = EventBody::RecordsListed { record_ids: vec![uuid::Uuid::now_v7()], via: format!("test {n}") };
    Event::new(time::OffsetDateTime::now_utc(), "clerk", "basic1", body).encode().unwrap()
}

/// The error of `sql`, run in a transaction that states `epoch` as a sequencer does (and rolled back).
async fn insert_stating_epoch(pool: &PgPool, epoch: i64, sql: &'static str) -> sqlx::Error {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('liuhen.epoch', $1, true)").bind(epoch.to_string()).execute(&mut *tx).await.unwrap();
    tx.execute(sql).await.expect_err("the database let it through")
}

async fn error_of(pool: &PgPool, sql: &str) -> String {
    match sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(pool).await {
        Ok(_) => panic!("{sql} was allowed"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn the_ledger_is_append_only_for_the_application_and_its_owner() {
    let db = TestDb::new().await;
    let owner = db.pool().await;
    migrate(&owner).await.unwrap();
    let app_options = db.app_role(&owner).await;
    let (key, verifier) = key();

    // The application appends through the sequencer, under its own role.
    let mut sequencer = Sequencer::acquire(&app_options, "server-1", signer(&key)).await.unwrap();
    let appended = sequencer.append(&[event(0), event(1), event(2)]).await.unwrap();
    assert_eq!((appended.first, appended.size), (0, 3));

    // The application's role may not change, remove or empty the ledger, nor drop its guards.
    let app = PgPoolOptions::new().max_connections(1).connect_with(app_options.clone()).await.unwrap();
    for (sql, why) in [
        ("UPDATE events SET kind = 'x' WHERE seq = 1", "permission denied"),
        ("DELETE FROM events WHERE seq = 2", "permission denied"),
        ("TRUNCATE events", "permission denied"),
        ("DELETE FROM tlog_hashes", "permission denied"),
        ("UPDATE checkpoints SET note = 'x'", "permission denied"),
        ("DROP TRIGGER events_append_only ON events", "must be owner"),
        ("DROP TABLE events", "must be owner"),
    ] {
        let error = error_of(&app, sql).await;
        assert!(error.contains(why), "{sql}: {error}");
    }
    // The owner may not either: the triggers refuse, whoever asks.
    for sql in [
        "UPDATE events SET kind = 'x' WHERE seq = 1",
        "DELETE FROM events WHERE seq = 2",
        "TRUNCATE events",
        "TRUNCATE tlog_hashes",
        "DELETE FROM checkpoints",
    ] {
        let error = error_of(&owner, sql).await;
        assert!(error.contains("append-only") && error.contains("R1"), "{sql}: {error}");
    }
    // Nor write events past the sequencer: without the current epoch, or out of order.
    let error = error_of(&owner, "INSERT INTO events VALUES (3, 'x', 'x', 'k', NULL, 't')").await;
    assert!(error.contains("only the current sequencer (epoch 1)"), "{error}");
    let error = insert_stating_epoch(&owner, 1, "INSERT INTO events VALUES (7, 'x', 'x', 'k', NULL, 't')").await;
    assert!(error.to_string().contains("events 7 to 7 (1 rows) out of order: the log goes on at index 3"), "{error}");
    // A gap inside one statement is refused too (the check is over all the rows it inserts).
    let gap = "INSERT INTO events VALUES (3, 'x', 'x', 'k', NULL, 't'), (5, 'x', 'x', 'k', NULL, 't')";
    let error = insert_stating_epoch(&owner, 1, gap).await;
    assert!(error.to_string().contains("events 3 to 5 (2 rows) out of order"), "{error}");

    let check = verify(&owner, &[&verifier]).await.unwrap();
    assert!(check.faults.is_empty(), "{:?}", check.faults);
    assert_eq!((check.size, check.checkpoints), (3, 1));

    // An owner who drops the guard and rewrites a stored hash: `verify` names it, and the
    // sequencer refuses to build on a tree other than the one it signed.
    for sql in [
        "ALTER TABLE tlog_hashes DISABLE TRIGGER tlog_hashes_append_only",
        "UPDATE tlog_hashes SET hash = decode(repeat('00', 32), 'hex') WHERE idx = 2",
    ] {
        sqlx::query(sql).execute(&owner).await.unwrap();
    }
    let check = verify(&owner, &[&verifier]).await.unwrap();
    assert!(check.faults.iter().any(|f| f.en.contains("stored hash 2")), "{:?}", check.faults);
    // The running sequencer builds on the tree it keeps (the right one); one that starts afresh
    // reads the tree from the stored hashes and refuses.
    drop(sequencer);
    let mut restarted = Sequencer::acquire(&app_options, "server-1", signer(&key)).await.unwrap();
    let error = restarted.append(&[event(3)]).await.unwrap_err().to_string();
    assert!(error.contains("not the tree the checkpoint of size 3 signed"), "{error}");
}

#[tokio::test]
async fn a_sequencer_that_lost_its_session_is_fenced_out() {
    let db = TestDb::new().await;
    let pool = db.pool().await;
    migrate(&pool).await.unwrap();
    let (key, verifier) = key();
    let mut first = Sequencer::acquire(&db.options, "server-1", signer(&key)).await.unwrap();
    assert_eq!(first.epoch(), 1);
    first.append(&[event(0)]).await.unwrap();

    // A second server waits for the lock while the first holds it.
    let options = db.options.clone();
    let second = tokio::spawn(async move { Sequencer::acquire(&options, "server-2", signer(&key)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "two sequencers at once");

    // The first server's session is cut (its process died): the second takes over at once.
    let pid = first.backend_pid().await.unwrap();
    sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&pool).await.unwrap();
    let mut second = tokio::time::timeout(Duration::from_secs(10), second).await.unwrap().unwrap().unwrap();
    assert_eq!(second.epoch(), 2);
    assert!(first.append(&[event(1)]).await.is_err(), "the old session is gone");
    second.append(&[event(2)]).await.unwrap();

    // A sequencer whose epoch was overtaken while it kept its session (a takeover it did not see)
    // is refused on its next append, and says so.
    sqlx::query("UPDATE sequencer_lease SET epoch = epoch + 1").execute(&pool).await.unwrap();
    match second.append(&[event(3)]).await {
        Err(PgError::Fenced { ours: 2 }) => {}
        other => panic!("a stale epoch appended: {other:?}"),
    }
    sqlx::query("UPDATE sequencer_lease SET epoch = epoch - 1").execute(&pool).await.unwrap();

    // Whoever still states the old epoch — a paused process come back on a new connection — is
    // refused by the database.
    let error = insert_stating_epoch(&pool, 1, "INSERT INTO events VALUES (2, 'x', 'x', 'k', NULL, 't')").await;
    let code = error.as_database_error().and_then(|e| e.code()).map(|c| c.to_string());
    assert_eq!(code.as_deref(), Some("LH001"), "{error}");

    let check = verify(&pool, &[&verifier]).await.unwrap();
    assert!(check.faults.is_empty(), "{:?}", check.faults);
    assert_eq!(check.size, 2);
}

#[tokio::test]
async fn the_sequencer_fails_over_under_load_without_gap_duplicate_or_fork() {
    let db = TestDb::new().await;
    let pool = db.pool().await;
    migrate(&pool).await.unwrap();
    let (key, verifier) = key();
    // Three server processes serve one queue of appends (the others forward theirs to the
    // sequencer); whichever holds the lock writes, the others wait for it.
    let (queue, jobs) = ledger_queue(64);
    let servers: Vec<_> = (1..=3)
        .map(|n| {
            let serve = serve_as_sequencer(db.options.clone(), format!("server-{n}"), vec![key.clone()], jobs.clone());
            tokio::spawn(serve)
        })
        .collect();

    // Eight writers, fifty events each, in batches of one or two; an event whose append failed is
    // sent again only if the log does not hold it (a client checks before it retries).
    const WRITERS: usize = 8;
    const EACH: usize = 50;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (queue, pool) = (queue.clone(), pool.clone());
            tokio::spawn(async move {
                let mut failures = 0;
                let mut n = 0;
                while n < EACH {
                    let batch: Vec<Vec<u8>> = (n..EACH.min(n + 1 + n % 2)).map(|i| event(w * 1000 + i)).collect();
                    loop {
                        if queue.append(batch.clone()).await.is_ok() {
                            break;
                        }
                        failures += 1;
                        let leaf = liuhen_ledger::leaf_hash(&batch[0]);
                        let held: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE leaf_hash = $1")
                            .bind(&leaf[..])
                            .fetch_one(&pool)
                            .await
                            .unwrap();
                        if held > 0 {
                            break;
                        }
                    }
                    n += batch.len();
                }
                failures
            })
        })
        .collect();

    // Under that load, the sequencer's session is cut twice (its process dies).
    let mut killed = 0;
    for at in [80i64, 240] {
        loop {
            let size: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await.unwrap();
            if size >= at {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let holder: i32 = sqlx::query_scalar(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database =
             (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let done: bool =
            sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(holder).fetch_one(&pool).await.unwrap();
        assert!(done);
        killed += 1;
    }
    let mut failures = 0;
    for writer in writers {
        failures += writer.await.unwrap();
    }
    drop(queue);
    for server in servers {
        server.abort();
    }

    // Every event exactly once, at indexes 0 to 399, the tree and each checkpoint whole, signed
    // by three sequencers in turn.
    let check = verify(&pool, &[&verifier]).await.unwrap();
    assert!(check.faults.is_empty(), "{:?}", check.faults);
    assert_eq!(check.size, (WRITERS * EACH) as u64);
    let distinct: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT leaf_hash) FROM events").fetch_one(&pool).await.unwrap();
    assert_eq!(distinct, (WRITERS * EACH) as i64, "no event twice");
    let epoch: i64 = sqlx::query_scalar("SELECT epoch FROM sequencer_lease").fetch_one(&pool).await.unwrap();
    assert_eq!((killed, epoch), (2, 3), "two takeovers");
    assert!(failures >= 1, "the cuts fell on appends under way or queued ({failures} failed)");
    assert!(check.checkpoints > 1);
}

//! Witnessing (c2sp.org/tlog-witness, tlog-cosignature): an upper court's deployment cosigns the
//! checkpoints of a court below only while its history extends; a restored old backup that is
//! written to is refused as a fork, and the alert stays.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{TestApp, letter, spawn_app, spawn_app_in};
use liuhen_ledger::cosignature::{WitnessVerifier, add_checkpoint_body};
use liuhen_server::witness::{PushOutcome, push_once};
use liuhen_store::witness::WitnessEndpoint;

async fn write(app: &TestApp, n: usize) {
    let token = app.token("clerk").await;
    for _ in 0..n {
        app.create(&token, &letter()).await;
    }
}

fn endpoint(witness: &TestApp) -> WitnessEndpoint {
    WitnessEndpoint { url: witness.url("/witness"), verifier_key: witness.store.witness_verifier_key() }
}

async fn log_with_witness(witness: &TestApp) -> TestApp {
    let e = endpoint(witness);
    let log = common::spawn_app_with(|c| c.witnesses = vec![e]).await;
    witness.store.follow_log(log.store.verifier_key()).await.unwrap();
    log
}

#[tokio::test]
async fn the_witness_cosigns_an_extending_log_and_the_log_serves_the_cosignature() {
    let witness = spawn_app().await;
    let log = log_with_witness(&witness).await;
    // The log's first entries are its fixture's accounts and courts.
    let s = log.store.event_count().await.unwrap() as u64;
    let client = reqwest::Client::new();
    write(&log, 3).await;
    assert_eq!(push_once(&log.store, &client).await, vec![PushOutcome::Cosigned(s + 3)]);
    assert_eq!(push_once(&log.store, &client).await, vec![PushOutcome::UpToDate]);
    write(&log, 4).await;
    let seven = s + 7;
    assert_eq!(push_once(&log.store, &client).await, vec![PushOutcome::Cosigned(seven)], "with a consistency proof");

    let token = log.token("clerk").await;
    let r = log.client.get(log.url("/log/checkpoint")).bearer_auth(&token).send().await.unwrap();
    let served = r.text().await.unwrap();
    let verifier = WitnessVerifier::new(&witness.store.witness_verifier_key()).unwrap();
    let body = served.split("\n\n").next().unwrap().to_string() + "\n";
    let cosigned = served.lines().filter(|l| matches!(verifier.verify_line(body.as_bytes(), l), Some(Ok(_)))).count();
    assert_eq!(cosigned, 1, "{served}");
    let (_, status) = log.get(&token, "/api/v1/log/status").await;
    assert_eq!((status["latest_size"].as_u64(), status["witnessed_size"].as_u64()), (Some(seven), Some(seven)));
    assert_eq!(witness.store.followed_logs().await.unwrap()[0].size, seven);
    assert!(witness.store.witness_alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_witness_answers_as_the_spec_says() {
    let witness = spawn_app().await;
    let log = spawn_app().await;
    let s = log.store.event_count().await.unwrap() as u64;
    write(&log, 2).await;
    let note = log.store.latest_checkpoint().await.unwrap().unwrap().note;
    let post = |body: Vec<u8>| {
        let req = witness.client.post(witness.url("/witness/add-checkpoint")).body(body);
        async move {
            let r = req.send().await.unwrap();
            let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            (r.status().as_u16(), ct, r.text().await.unwrap())
        }
    };
    assert_eq!(post(add_checkpoint_body(0, &[], note.as_bytes())).await.0, 404, "not followed");
    let (other, _) = liuhen_ledger::tlog::LogKey::generate("liuhen.local/log").unwrap();
    witness.store.follow_log(other.verifier_key()).await.unwrap();
    assert_eq!(post(add_checkpoint_body(0, &[], note.as_bytes())).await.0, 403, "signed by another key");

    let witness = spawn_app().await;
    witness.store.follow_log(log.store.verifier_key()).await.unwrap();
    assert_eq!(post_to(&witness, add_checkpoint_body(s + 3, &[], note.as_bytes())).await.0, 400, "old above size");
    let (status, ct, body) = post_to(&witness, add_checkpoint_body(1, &[], note.as_bytes())).await;
    assert_eq!(
        (status, ct.as_deref(), body.as_str()),
        (409, Some("text/x.tlog.size"), "0\n"),
        "old is not what was cosigned"
    );
    assert_eq!(post_to(&witness, b"not a request".to_vec()).await.0, 400);
    let (status, _, body) = post_to(&witness, add_checkpoint_body(0, &[], note.as_bytes())).await;
    assert_eq!(status, 200);
    assert!(body.starts_with("\u{2014} liuhen.local/witness "), "{body}");
}

async fn post_to(witness: &TestApp, body: Vec<u8>) -> (u16, Option<String>, String) {
    let r = witness.client.post(witness.url("/witness/add-checkpoint")).body(body).send().await.unwrap();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), ct, r.text().await.unwrap())
}

#[tokio::test]
async fn an_old_backup_restored_and_written_to_is_refused_as_a_fork() {
    let witness = spawn_app().await;
    let log = log_with_witness(&witness).await;
    let s = log.store.event_count().await.unwrap() as u64;
    let client = reqwest::Client::new();
    write(&log, 4).await;
    assert_eq!(push_once(&log.store, &client).await, vec![PushOutcome::Cosigned(s + 4)]);
    let backup = tempfile::tempdir().unwrap();
    liuhen::storage::backup(&log.store, backup.path()).await.unwrap();
    let second_backup = tempfile::tempdir().unwrap();
    liuhen::storage::backup(&log.store, second_backup.path()).await.unwrap();
    write(&log, 4).await;
    assert_eq!(push_once(&log.store, &client).await, vec![PushOutcome::Cosigned(s + 8)]);

    // Someone restores the backup of 4 records and writes 6 new ones: a history 10 records long
    // whose first 8 are not the ones the witness cosigned.
    let e = endpoint(&witness);
    let restored = spawn_app_in(backup, false, |c| c.witnesses = vec![e]).await;
    write(&restored, 6).await;
    assert_eq!(push_once(&restored.store, &client).await, vec![PushOutcome::Refused(422)]);
    let alerts = witness.store.witness_alerts().await.unwrap();
    assert_eq!(alerts.len(), 1);
    let sizes = (alerts[0].witnessed_size, alerts[0].offered_size);
    assert_eq!((alerts[0].kind.as_str(), sizes), ("inconsistent", (s + 8, s + 10)));
    assert!(alerts[0].detail.contains("历史被改写"));
    let (_, status) = restored.get(&restored.token("clerk").await, "/api/v1/log/status").await;
    assert_eq!(status["witnesses"][0]["refusals"], 1);
    assert_eq!(status["witnessed_size"], s + 4, "nothing after the backup point is witnessed");

    // The same refused request again (anyone can replay it): answered the same, no second alert.
    let plan = restored.store.witness_push_plan(&endpoint(&witness)).await.unwrap().unwrap();
    for _ in 0..5 {
        assert_eq!(post_to(&witness, plan.body.clone()).await.0, 422);
    }
    assert_eq!(witness.store.witness_alerts().await.unwrap().len(), 1, "an identical replay raises no new alert");

    // Restored with fewer entries than the witness has seen: the log is told the size the witness
    // cosigned (409) and keeps the refusal. A smaller checkpoint alone proves nothing at the
    // witness — every old receipt carries one — so it raises no alert there; once the rolled-back
    // log grows past what was witnessed, its history does not extend the cosigned one: an alert.
    let e = endpoint(&witness);
    let rolled_back = spawn_app_in(second_backup, false, |c| c.witnesses = vec![e]).await;
    write(&rolled_back, 1).await;
    assert_eq!(push_once(&rolled_back.store, &client).await, vec![PushOutcome::Refused(409)]);
    let (_, status) = rolled_back.get(&rolled_back.token("clerk").await, "/api/v1/log/status").await;
    assert_eq!(status["witnesses"][0]["refusals"], 1, "{status}");
    assert_eq!(witness.store.witness_alerts().await.unwrap().len(), 1);
    write(&rolled_back, 4).await;
    assert_eq!(push_once(&rolled_back.store, &client).await, vec![PushOutcome::Refused(422)]);
    let alerts = witness.store.witness_alerts().await.unwrap();
    assert_eq!(alerts.len(), 2);
    assert_eq!((alerts[1].kind.as_str(), alerts[1].witnessed_size), ("inconsistent", s + 8));

    // The upper court sees the alerts over the API, and nobody can clear them.
    let office = witness.token("office").await;
    let (status, listed) = witness.get(&office, "/api/v1/witness/alerts").await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let cleared = common::sql(&witness.store, "DELETE FROM witness_alerts").await;
    assert!(cleared.is_err());
    // The genuine log goes on being cosigned.
    write(&log, 1).await;
    assert_eq!(push_once(&log.store, &client).await, vec![PushOutcome::Cosigned(s + 9)]);
}

/// The witness's state in its database: alerts, the bytes they keep, and the followed logs' rows.
async fn witness_footprint(witness: &TestApp) -> (i64, i64, Vec<Vec<liuhen_store::Cell>>) {
    let alerts: i64 = common::scalar(&witness.store, "SELECT COUNT(*) FROM witness_alerts").await;
    let kept: i64 =
        common::scalar(&witness.store, "SELECT CAST(COALESCE(SUM(LENGTH(request)), 0) AS BIGINT) FROM witness_alerts")
            .await;
    let logs =
        common::sql(&witness.store, "SELECT size, root, updated_at FROM witness_logs ORDER BY origin").await.unwrap();
    (alerts, kept, logs)
}

/// The SQLite files' sizes (the database and its write-ahead log): unchanged when nothing is written.
fn sqlite_files(app: &TestApp) -> Option<(u64, u64)> {
    let size = |name: &str| std::fs::metadata(app.dir.path().join(name)).map_or(0, |m| m.len());
    (!common::on_postgres()).then(|| (size("liuhen.db"), size("liuhen.db-wal")))
}

/// Issue 17, item 6: every receipt carries a signed checkpoint, so anyone can replay old ones.
/// An old or the current checkpoint of a followed log is answered as c2sp.org/tlog-witness says
/// (409 with the size cosigned, or the cosignature again) without an alert and without writing.
#[tokio::test]
async fn replayed_old_checkpoints_raise_no_alert_and_write_nothing() {
    let witness = spawn_app().await;
    let log = log_with_witness(&witness).await;
    let client = reqwest::Client::new();
    write(&log, 2).await;
    let old = log.store.latest_checkpoint().await.unwrap().unwrap();
    assert!(matches!(push_once(&log.store, &client).await[..], [PushOutcome::Cosigned(_)]));
    write(&log, 3).await;
    let current = log.store.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(push_once(&log.store, &client).await, vec![PushOutcome::Cosigned(current.size)]);

    let before = witness_footprint(&witness).await;
    let files = sqlite_files(&witness);
    for _ in 0..20 {
        for old_size in [0, old.size] {
            let (status, ct, body) = post_to(&witness, add_checkpoint_body(old_size, &[], old.note.as_bytes())).await;
            assert_eq!(
                (status, ct.as_deref(), body),
                (409, Some("text/x.tlog.size"), format!("{}\n", current.size)),
                "an older checkpoint"
            );
        }
        let (status, _, body) =
            post_to(&witness, add_checkpoint_body(current.size, &[], current.note.as_bytes())).await;
        assert_eq!(status, 200, "the checkpoint cosigned last, again: {body}");
        assert!(body.starts_with("\u{2014} liuhen.local/witness "), "{body}");
    }
    assert_eq!(witness_footprint(&witness).await, before, "no alert, nothing stored or updated");
    assert_eq!(sqlite_files(&witness), files, "not a byte written");
    assert!(witness.store.witness_alerts().await.unwrap().is_empty());
    // The genuine log goes on being cosigned.
    write(&log, 1).await;
    assert_eq!(push_once(&log.store, &client).await, vec![PushOutcome::Cosigned(current.size + 1)]);
}

/// Issue 17, item 6: the signature and the size are checked before any write transaction, so
/// unsigned garbage never waits for (or takes) the database's write lock, and a large body is
/// refused before it is read.
#[tokio::test]
async fn unsigned_or_oversized_requests_are_refused_before_any_write() {
    let witness = spawn_app().await;
    let log = spawn_app().await;
    witness.store.follow_log(log.store.verifier_key()).await.unwrap();
    write(&log, 1).await;
    let note = log.store.latest_checkpoint().await.unwrap().unwrap().note;
    // The log's origin, size and root, signed by another key; and the log's own signature altered.
    let checkpoint = liuhen_ledger::tlog::open_checkpoint(note.as_bytes(), log.store.verifier_key()).unwrap();
    let (forger, _) = liuhen_ledger::tlog::LogKey::generate(log.store.log_origin()).unwrap();
    let forged = forger.sign_checkpoint(checkpoint.size(), checkpoint.hash()).unwrap();
    let mut lines: Vec<String> = note.lines().map(String::from).collect();
    let last = lines.last_mut().unwrap();
    let (prefix, signature) = last.rsplit_once(' ').unwrap();
    let mut signature = BASE64.decode(signature).unwrap();
    *signature.last_mut().unwrap() ^= 1;
    *last = format!("{prefix} {}", BASE64.encode(signature));
    let altered = lines.join("\n") + "\n";
    let garbage = [add_checkpoint_body(0, &[], &forged), add_checkpoint_body(0, &[], altered.as_bytes())];
    let before = witness_footprint(&witness).await;
    // Someone else holds the write lock (SQLite): the refusal must not wait for it.
    let lock = (!common::on_postgres()).then(|| {
        let conn = rusqlite::Connection::open(witness.dir.path().join("liuhen.db")).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        conn
    });
    for request in garbage {
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), post_to(&witness, request)).await;
        let (status, _, body) = answer.expect("answered without waiting for the write lock");
        assert_eq!(status, 403, "{body}");
    }
    let huge = add_checkpoint_body(0, &vec![liuhen_ledger::tlog::Hash([7; 32]); 4096], note.as_bytes());
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), post_to(&witness, huge)).await;
    assert_eq!(answer.expect("answered at once").0, 413, "a checkpoint and its proof are a few KB");
    drop(lock);
    assert_eq!(witness_footprint(&witness).await, before);
}

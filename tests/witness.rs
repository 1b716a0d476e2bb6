//! Witnessing (c2sp.org/tlog-witness, tlog-cosignature): an upper court's deployment cosigns the
//! checkpoints of a court below only while its history extends; a restored old backup that is
//! written to is refused as a fork, and the alert stays.

mod common;

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
    log.store.backup_to(backup.path()).await.unwrap();
    let second_backup = tempfile::tempdir().unwrap();
    log.store.backup_to(second_backup.path()).await.unwrap();
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

    // Restored with fewer entries than the witness has seen: a rollback, refused too.
    let e = endpoint(&witness);
    let rolled_back = spawn_app_in(second_backup, false, |c| c.witnesses = vec![e]).await;
    write(&rolled_back, 1).await;
    assert!(matches!(push_once(&rolled_back.store, &client).await[..], [PushOutcome::Refused(_)]));
    let alerts = witness.store.witness_alerts().await.unwrap();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[1].kind, "rollback");

    // The upper court sees the alerts over the API, and nobody can clear them.
    let office = witness.token("office").await;
    let (status, listed) = witness.get(&office, "/api/v1/witness/alerts").await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let cleared = sqlx::query("DELETE FROM witness_alerts").execute(witness.store.writer_pool_for_tests()).await;
    assert!(cleared.is_err());
    // The genuine log goes on being cosigned.
    write(&log, 1).await;
    assert_eq!(push_once(&log.store, &client).await, vec![PushOutcome::Cosigned(s + 9)]);
}

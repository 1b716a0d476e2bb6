//! The verifiable log (R1): signed checkpoints, C2SP tiles and entry bundles, receipts with
//! inclusion and consistency proofs, group commit, and `liuhen verify` finding each kind of
//! tampering and naming the entry.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{letter, spawn_app};
use liuhen_ledger::receipt::{Extension, Receipt, verify_receipt};
use liuhen_ledger::tlog::{self, Hash, TreeBuilder, open_checkpoint, parse_entry_bundle};
use liuhen_store::verify::VerifyReport;
use serde_json::{Value, json};

async fn text(app: &common::TestApp, token: &str, path: &str) -> (u16, Vec<u8>) {
    let r = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

async fn verifier_key(app: &common::TestApp) -> String {
    app.get("", "/api/v1/log/key").await.1["verifier_key"].as_str().unwrap().to_string()
}

async fn verify(app: &common::TestApp, key: &str) -> VerifyReport {
    app.verify(&[key.to_string()])
}

#[tokio::test]
async fn checkpoint_tiles_and_entries_agree_and_verify() {
    let app = spawn_app().await;
    // The accounts and courts of the fixture are the log's first entries (administrative events).
    let s = app.store.event_count().await.unwrap() as usize;
    let clerk = app.token("clerk").await;
    for _ in 0..5 {
        app.create(&clerk, &letter()).await;
    }
    let key = verifier_key(&app).await;
    assert!(key.starts_with("liuhen.local/log+"), "{key}");

    let (status, note) = text(&app, &clerk, "/log/checkpoint").await;
    assert_eq!(status, 200);
    let checkpoint = open_checkpoint(&note, &key).unwrap();
    assert_eq!(checkpoint.size(), s as u64 + 5);

    // Hash tile: every leaf hash; the root rebuilt from them is the signed one.
    let (status, tile) = text(&app, &clerk, &format!("/log/tile/0/000.p/{}", s + 5)).await;
    assert_eq!(status, 200);
    assert_eq!(tile.len(), (s + 5) * 32);
    let mut builder = TreeBuilder::default();
    for chunk in tile.chunks(32) {
        builder.push(Hash(chunk.try_into().unwrap()));
    }
    assert_eq!(builder.root(), *checkpoint.hash());
    assert_eq!(text(&app, &clerk, &format!("/log/tile/0/000.p/{}", s + 6)).await.0, 404, "not yet that wide");
    assert_eq!(text(&app, &clerk, "/log/tile/0/000").await.0, 404, "no full tile yet");
    assert_eq!(text(&app, &clerk, "/log/tile/0/0").await.0, 404, "not a C2SP path");

    // Entry bundles hold content: auditors only. Their leaf hashes are the tile's hashes.
    let bundle_path = format!("/log/tile/entries/000.p/{}", s + 5);
    assert_eq!(text(&app, &clerk, &bundle_path).await.0, 403);
    let auditor = app.auditor().await;
    let (status, bundle) = text(&app, &auditor, &bundle_path).await;
    assert_eq!(status, 200);
    let entries = parse_entry_bundle(&bundle).unwrap();
    assert_eq!(entries.len(), s + 5);
    for (entry, hash) in entries.iter().zip(tile.chunks(32)) {
        assert_eq!(liuhen_ledger::leaf_hash(entry), hash);
        assert!(String::from_utf8(entry.clone()).unwrap().contains("\"salt\":"));
    }
    assert!(verify(&app, &key).await.ok);
}

#[tokio::test]
async fn a_receipt_proves_the_record_now_and_later() {
    let app = spawn_app().await;
    let s = app.store.event_count().await.unwrap() as u64;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &letter()).await;
    let (status, receipt) = app.get(&clerk, &format!("/api/v1/records/{id}/receipt")).await;
    assert_eq!(status, 200, "{receipt}");
    let receipt: Receipt = serde_json::from_value(receipt).unwrap();
    let key = verifier_key(&app).await;
    let check = verify_receipt(&receipt, &key, None).unwrap();
    assert_eq!(check.index, s, "the first entry after the fixture's accounts");
    assert_eq!(check.event.actor, "clerk");
    assert_eq!(check.event.body.record_id().unwrap().to_string(), id);

    // Only the recorder gets it.
    let office = app.token("office").await;
    assert_eq!(app.get(&office, &format!("/api/v1/records/{id}/receipt")).await.0, 403);

    // The log grows; a newer checkpoint with a consistency proof shows the record is still in it.
    for _ in 0..9 {
        app.create(&clerk, &letter()).await;
    }
    let (status, ext) = app.get(&clerk, &format!("/api/v1/log/extension?from={}", check.checkpoint_size)).await;
    assert_eq!(status, 200, "{ext}");
    let ext: Extension = serde_json::from_value(ext).unwrap();
    // Ten records and the clerk's one read of the receipt (a view is an event too).
    assert_eq!(verify_receipt(&receipt, &key, Some(&ext)).unwrap().extended_to, Some(s + 11));

    // A changed entry, a proof for another tree or another key all fail.
    let mut forged = receipt.clone();
    let mut entry = BASE64.decode(&forged.entry).unwrap();
    let pos = entry.windows(3).position(|w| w == &"张某".as_bytes()[..3]).unwrap();
    entry[pos..pos + 3].copy_from_slice("李".as_bytes());
    forged.entry = BASE64.encode(&entry);
    assert!(verify_receipt(&forged, &key, None).is_err());
    forged.leaf_hash = hex::encode(liuhen_ledger::leaf_hash(&entry));
    assert!(verify_receipt(&forged, &key, None).is_err(), "a consistent forgery is not in the tree");
    let (other, _) = tlog::LogKey::generate("liuhen.local/log").unwrap();
    assert!(verify_receipt(&receipt, other.verifier_key(), None).is_err());
    let mut wrong = ext.clone();
    wrong.consistency_proof.reverse();
    assert!(verify_receipt(&receipt, &key, Some(&wrong)).is_err());

    // The CLI checks the same files offline.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.json"), serde_json::to_vec(&receipt).unwrap()).unwrap();
    std::fs::write(dir.path().join("c.json"), serde_json::to_vec(&ext).unwrap()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
        .args([
            "receipt",
            "verify",
            dir.path().join("r.json").to_str().unwrap(),
            "--checkpoint",
            dir.path().join("c.json").to_str().unwrap(),
            "--key",
            &key,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        said.contains(&format!("条目 {s}")) && said.contains(&format!("较新的检查点（大小 {}）", s + 11)),
        "{said}"
    );
    std::fs::write(dir.path().join("f.json"), serde_json::to_vec(&forged).unwrap()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
        .args(["receipt", "verify", dir.path().join("f.json").to_str().unwrap(), "--key", &key])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_share_batches_without_gaps_or_duplicates() {
    // A short linger makes the batching certain even on a loaded machine.
    let app = common::spawn_app_with(|c| c.batch_linger = std::time::Duration::from_millis(20)).await;
    let s = app.store.event_count().await.unwrap();
    let clerk = app.token("clerk").await;
    let writes = (0..64).map(|i| {
        let mut body = letter();
        body["content"] = json!(format!("并发写入 {i}"));
        let req = app.client.post(app.url("/api/v1/records")).bearer_auth(&clerk).json(&body);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap()["seq"].as_i64().unwrap() }
    });
    let mut seqs = futures::future::join_all(writes).await;
    seqs.sort_unstable();
    assert_eq!(seqs, (s..s + 64).collect::<Vec<i64>>(), "every index once, no gap");
    let checkpoints: i64 = common::scalar(&app.store, "SELECT COUNT(*) FROM checkpoints").await;
    assert!(checkpoints < 64, "writes were batched: {checkpoints} checkpoints for 64 writes");
    let key = verifier_key(&app).await;
    let report = verify(&app, &key).await;
    assert!(report.ok, "{:?}", report.faults);
    assert_eq!((report.events, report.checkpoints as i64), (s as u64 + 64, checkpoints));
}

/// A data directory with some history: records, an amendment, a co-signature and a material.
/// Returns the app, its verifier key and the number of entries before the history (the
/// fixture's administrative events).
async fn history() -> (common::TestApp, String, i64) {
    let app = spawn_app().await;
    let s = app.store.event_count().await.unwrap();
    let clerk = app.token("clerk").await;
    let judge = app.token("judge_a").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let mut body = if i % 2 == 0 { letter() } else { common::in_person(&["judge_a"]) };
        body["content"] = json!(format!("第 {i} 条"));
        ids.push(app.create(&clerk, &body).await);
    }
    app.post(&judge, &format!("/api/v1/records/{}/cosign", ids[1]), &json!({})).await;
    let form = reqwest::multipart::Form::new()
        .text("category", "letter")
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 letter".to_vec()).file_name("函.pdf"));
    let r = app
        .client
        .post(app.url(&format!("/api/v1/records/{}/materials", ids[0])))
        .bearer_auth(&clerk)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let key = verifier_key(&app).await;
    let report = verify(&app, &key).await;
    assert!(report.ok, "clean history verifies: {:?}", report.faults);
    assert_eq!(report.events, s as u64 + 8);
    (app, key, s)
}

async fn sql(app: &common::TestApp, statements: &[&str]) {
    for s in statements {
        common::sql(&app.store, s).await.unwrap();
    }
}

/// The statement that removes the database's guard against changing `table` (an insider with the
/// database's owner rights): SQLite's trigger for `op` dropped, PostgreSQL's disabled.
fn unguard(table: &str, op: &str) -> String {
    if common::on_postgres() {
        format!("ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
    } else {
        format!("DROP TRIGGER {table}_refuse_{op}")
    }
}

fn first(report: &VerifyReport) -> (Option<u64>, String) {
    assert!(!report.ok, "tampering must be found");
    (report.faults[0].entry, report.faults.iter().map(|f| f.zh.clone()).collect::<Vec<_>>().join(" / "))
}

#[tokio::test]
async fn verify_finds_a_changed_event_byte() {
    let (app, key, s) = history().await;
    sql(
        &app,
        &[
            &unguard("events", "update"),
            &if common::on_postgres() {
                format!(
                    "UPDATE events SET entry = convert_to(replace(convert_from(entry, 'UTF8'), '第 3 条', '第 9 条'), 'UTF8') WHERE seq = {}",
                    s + 3
                )
            } else {
                format!(
                    "UPDATE events SET entry = CAST(replace(CAST(entry AS TEXT), '第 3 条', '第 9 条') AS BLOB) WHERE seq = {}",
                    s + 3
                )
            },
        ],
    )
    .await;
    let report = verify(&app, &key).await;
    let (entry, text) = first(&report);
    assert!(text.contains("触发器"), "{text}");
    assert!(report.faults.iter().any(|f| f.entry == Some(s as u64 + 3) && f.zh.contains("叶哈希")), "{text}");
    assert_eq!(entry, None, "the dropped trigger is reported first, then the changed entry");
}

#[tokio::test]
async fn verify_finds_deleted_last_events() {
    let (app, key, s) = history().await;
    sql(&app, &[&unguard("events", "delete"), &format!("DELETE FROM events WHERE seq >= {}", s + 6)]).await;
    let report = verify(&app, &key).await;
    let deleted = Some(s as u64 + 6);
    assert!(report.faults.iter().any(|f| f.entry == deleted && f.zh.contains("删除")), "{:?}", report.faults);
}

#[tokio::test]
async fn verify_finds_two_swapped_events() {
    let (app, key, s) = history().await;
    sql(
        &app,
        &[
            &unguard("events", "update"),
            &format!("UPDATE events SET seq = 1000000000 WHERE seq = {}", s + 2),
            &format!("UPDATE events SET seq = {} WHERE seq = {}", s + 2, s + 4),
            &format!("UPDATE events SET seq = {} WHERE seq = 1000000000", s + 4),
        ],
    )
    .await;
    let report = verify(&app, &key).await;
    let swapped = Some(s as u64 + 2);
    assert!(report.faults.iter().any(|f| f.entry == swapped && f.zh.contains("Merkle")), "{:?}", report.faults);
}

/// A material replaced, rotted (one bit flipped on the disk) or gone: verify names the entry
/// that recorded it and the material's hash (a download of a changed file is refused:
/// tests/record_flows.rs).
#[tokio::test]
async fn verify_finds_a_replaced_rotted_or_missing_material() {
    let (app, key, _) = history().await;
    let sha: String = common::scalar(&app.store, "SELECT sha256 FROM materials").await;
    let seq: i64 = common::scalar(&app.store, "SELECT seq FROM materials").await;
    let path = app.store.material_store().file_path(&sha);
    let original = std::fs::read(&path).unwrap();
    let mut rotted = original.clone();
    rotted[original.len() / 2] ^= 0x10;
    for (what, bytes) in
        [("replaced", Some(b"%PDF-1.4 another letter".to_vec())), ("rotted", Some(rotted)), ("gone", None)]
    {
        match bytes {
            Some(bytes) => std::fs::write(&path, bytes).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
        let report = verify(&app, &key).await;
        assert!(!report.ok, "{what}");
        let (entry, text) = first(&report);
        assert_eq!(entry, Some(seq as u64), "{what}: {text}");
        assert!(text.contains("材料") && text.contains(&sha[..12]), "{what}: {text}");
        std::fs::write(&path, &original).unwrap();
    }
    assert!(verify(&app, &key).await.ok, "the original material back");
}

#[tokio::test]
async fn verify_finds_an_edited_projection_row() {
    let (app, key, s) = history().await;
    sql(&app, &[&format!("UPDATE records SET intervener_name = '无名氏' WHERE created_seq = {}", s + 2)]).await;
    let report = verify(&app, &key).await;
    let (entry, text) = first(&report);
    assert_eq!(entry, Some(s as u64 + 2), "{text}");
    assert!(text.contains("records"), "{text}");
}

#[tokio::test]
async fn verify_finds_a_checkpoint_resigned_over_another_root() {
    let (app, key, s) = history().await;
    // Whoever holds the data directory holds its key: re-sign the latest checkpoint over a
    // different root. The recomputed tree does not match what is signed.
    let private = std::fs::read_to_string(app.dir.path().join("log-signing.key")).unwrap();
    let log_key = tlog::LogKey::from_private(&private).unwrap();
    let size = s as u64 + 8;
    let fake = log_key.sign_checkpoint(size, &tlog::record_hash(b"another history")).unwrap();
    sql(&app, &[&unguard("checkpoints", "update")]).await;
    use liuhen_store::Cell;
    let params =
        vec![Cell::Blob(fake), Cell::Blob(tlog::record_hash(b"another history").0.to_vec()), Cell::Int(size as i64)];
    app.store.sql_for_tests("UPDATE checkpoints SET note = $1, root = $2 WHERE size = $3", params).await.unwrap();
    let report = verify(&app, &key).await;
    let last = Some(size - 1);
    assert!(report.faults.iter().any(|f| f.entry == last && f.zh.contains("根哈希")), "{:?}", report.faults);
}

#[tokio::test]
async fn the_cli_verifies_a_data_directory_and_fails_on_tampering() {
    let (app, key, s) = history().await;
    let config = app.dir.path().join("cli.toml");
    let database = app.config().database_url.map(|u| format!("database_url = {u:?}\n")).unwrap_or_default();
    std::fs::write(
        &config,
        format!("data_dir = {:?}\nextra_regions = [\"示\"]\n{database}", app.dir.path().to_str().unwrap()),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
            .args(["--config", config.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["verify", "--key", &key, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["events"], s + 8);
    let out = run(&["log-key"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), key);

    sql(&app, &[&format!("UPDATE records SET stage = 'other' WHERE created_seq = {s}")]).await;
    let out = run(&["verify", "--key", &key]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("条目 {s}")), "{said}");
}

#[tokio::test]
async fn the_log_key_rotates_without_a_flag_day() {
    use liuhen_ledger::cosignature::add_checkpoint_body;
    use liuhen_store::witness::WitnessAnswer;
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(dir.path());
    let witness_dir = tempfile::tempdir().unwrap();
    let witness = liuhen::storage::open(common::config(witness_dir.path())).await.unwrap();
    let draft: liuhen_rules::RecordDraft = serde_json::from_value(letter()).unwrap();
    let mut witnessed = 0u64;
    // Write one record, hand the new checkpoint to the witness, return the signed note.
    async fn step(
        store: &liuhen_store::Store,
        witness: &liuhen_store::Store,
        draft: &liuhen_rules::RecordDraft,
        witnessed: &mut u64,
    ) -> (Vec<u8>, WitnessAnswer) {
        let clerk = store.user("clerk").await.unwrap().unwrap();
        store.create_record(&clerk, draft, "api", None, None).await.unwrap();
        let latest = store.latest_checkpoint().await.unwrap().unwrap();
        let proof = if *witnessed == 0 { vec![] } else { store.extension(*witnessed).await.unwrap().consistency_proof };
        let proof: Vec<tlog::Hash> =
            proof.iter().map(|p| tlog::hash_from_slice(&BASE64.decode(p).unwrap()).unwrap()).collect();
        let answer = witness
            .witness_add_checkpoint(&add_checkpoint_body(*witnessed, &proof, latest.note.as_bytes()))
            .await
            .unwrap();
        if let WitnessAnswer::Cosigned(_) = answer {
            *witnessed = latest.size;
        }
        (latest.note.into_bytes(), answer)
    }

    let store = liuhen::storage::open(config.clone()).await.unwrap();
    common::seed(&store).await;
    let old_key = store.verifier_key().to_string();
    witness.follow_log(&old_key).await.unwrap();
    let (_, answer) = step(&store, &witness, &draft, &mut witnessed).await;
    assert!(matches!(answer, WitnessAnswer::Cosigned(_)));
    store.close().await;

    // Rotation begins: from the next start both keys sign every checkpoint.
    let new_key = liuhen_store::rotate_key(&config).unwrap();
    let store = liuhen::storage::open(config.clone()).await.unwrap();
    assert_eq!(store.verifier_keys(), vec![old_key.clone(), new_key.clone()]);
    let (note, answer) = step(&store, &witness, &draft, &mut witnessed).await;
    assert!(matches!(answer, WitnessAnswer::Cosigned(_)), "the witness still trusting only the old key cosigns");
    assert!(open_checkpoint(&note, &old_key).is_ok() && open_checkpoint(&note, &new_key).is_ok());
    witness.follow_log(&new_key).await.unwrap();
    store.close().await;

    // Rotation ends: only the new key signs; the old one is retired but kept.
    assert_eq!(liuhen_store::promote_key(&config).unwrap(), new_key);
    let store = liuhen::storage::open(config.clone()).await.unwrap();
    assert_eq!(store.verifier_keys(), vec![new_key.clone()]);
    let (note, answer) = step(&store, &witness, &draft, &mut witnessed).await;
    assert!(matches!(answer, WitnessAnswer::Cosigned(_)), "the witness now trusts the new key as well");
    assert!(open_checkpoint(&note, &old_key).is_err());
    assert!(open_checkpoint(&note, &new_key).is_ok());
    store.close().await;

    let check = |keys: &[String]| common::verify_store(&config, keys);
    assert!(check(&[old_key.clone(), new_key.clone()]).ok);
    assert!(check(&[]).ok, "keys from the data directory include the retired one");
    let only_new = check(std::slice::from_ref(&new_key));
    assert!(!only_new.ok, "checkpoints signed by the old key alone need the old key");
    assert!(only_new.faults[0].zh.contains("签名无效"), "{:?}", only_new.faults);
}

#[tokio::test]
async fn the_printable_receipt_and_the_landing_page_show_the_log() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &letter()).await;
    let key = verifier_key(&app).await;
    let (status, page) = text(&app, &clerk, &format!("/records/{id}/receipt")).await;
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    for want in [
        "过问记录回执",
        "（2026）示0101民初12号",
        "张某（某区人民政府，副区长）",
        "2026-03-31 23:30",
        "<svg",
        key.as_str(),
        "liuhen receipt verify",
    ] {
        assert!(page.contains(want), "receipt page lacks {want}");
    }
    assert!(page.contains("信件"), "the form is shown in Chinese");
    let office = app.token("office").await;
    assert_eq!(text(&app, &office, &format!("/records/{id}/receipt")).await.0, 403, "only the recorder");

    assert!(page.contains("测试clerk（clerk）"), "the recorder by name");
    assert!(
        page.contains("href=\"/assets/liuhen.css\"") && !page.contains("<style"),
        "no inline style: the CSP forbids it"
    );
    let css = app.client.get(app.url("/assets/liuhen.css")).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains("@media print"));
    let r = app.client.get(app.url("/")).send().await.unwrap();
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    let landing = r.text().await.unwrap();
    // The fixture's accounts, one record and the recorder's one read of its printable receipt.
    let entries = format!("{} 个条目", app.store.event_count().await.unwrap());
    assert!(landing.contains(&key) && landing.contains(&entries), "the landing page shows the verifier key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_verifies_a_running_server_over_http() {
    let app = spawn_app().await;
    let s = app.store.event_count().await.unwrap() as u64;
    let clerk = app.token("clerk").await;
    for _ in 0..3 {
        app.create(&clerk, &letter()).await;
    }
    let auditor = app.auditor().await;
    let key = verifier_key(&app).await;
    let base = app.base.clone();
    let run = move |token: String, key: String| {
        let base = base.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
                .args(["verify", "--url", &base, &format!("--token={token}"), "--key", &key, "--json"])
                .output()
                .unwrap()
        })
    };
    let out = run(auditor.clone(), key.clone()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Three records and the auditor's account, after the fixture's administrative events.
    let size = s + 4;
    assert_eq!((report["size"].as_u64(), report["entries_checked"].as_u64()), (Some(size), Some(size)));
    let out = run(clerk, key).await.unwrap();
    assert!(out.status.success(), "hash tiles alone still prove the root: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["entries_checked"], 0);
    let (other, _) = tlog::LogKey::generate("liuhen.local/log").unwrap();
    let out = run(auditor, other.verifier_key().to_string()).await.unwrap();
    assert!(!out.status.success(), "another key does not verify the checkpoint");
    assert!(String::from_utf8_lossy(&out.stderr).contains("签名无效"));
}

#[tokio::test]
async fn opening_a_store_whose_tree_lags_its_events_catches_the_tree_up() {
    // A data directory written before the ledger existed has events but no tree.
    let (app, key, s) = history().await;
    sql(&app, &[&unguard("tlog_hashes", "delete"), "DELETE FROM tlog_hashes"]).await;
    app.store.close().await;
    let reopened = liuhen::storage::open(app.config()).await.unwrap();
    assert_eq!(reopened.latest_checkpoint().await.unwrap().unwrap().size, s as u64 + 8);
    reopened.close().await;
    let report = verify(&app, &key).await;
    let without_trigger: Vec<_> = report.faults.iter().filter(|f| !f.zh.contains("触发器")).collect();
    assert!(without_trigger.is_empty(), "{:?}", report.faults);
}

/// Issue 17, item 4: tiles are served only to logged-in callers, and entry bundles hold contents
/// (auditors only): no shared cache (a proxy, a CDN) may keep either, and an entry bundle is not
/// kept by the browser either.
#[tokio::test]
async fn no_shared_cache_keeps_tiles_and_no_cache_keeps_entry_bundles() {
    let app = spawn_app().await;
    let clerk = app.token("clerk").await;
    let auditor = app.auditor().await;
    // A full tile (256 entries) is the one that never changes.
    let s = app.store.event_count().await.unwrap() as usize;
    let mut left = tlog::TILE_WIDTH as usize + 1 - s;
    while left > 0 {
        let n = left.min(32);
        let body = letter();
        futures::future::join_all((0..n).map(|_| app.create(&clerk, &body))).await;
        left -= n;
    }
    assert_eq!(app.store.event_count().await.unwrap(), tlog::TILE_WIDTH as i64 + 1);
    let cache_control = |token: String, path: &'static str| {
        let req = app.client.get(app.url(path)).bearer_auth(token);
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
        }
    };
    for path in ["/log/tile/entries/000", "/log/tile/entries/001.p/1"] {
        let cc = cache_control(auditor.clone(), path).await;
        assert!(cc.contains("private") && cc.contains("no-store") && !cc.contains("public"), "{path}: {cc}");
    }
    let cc = cache_control(clerk.clone(), "/log/tile/0/000").await;
    assert!(cc.contains("private") && !cc.contains("public"), "a full hash tile: {cc}");
    let cc = cache_control(clerk.clone(), "/log/tile/0/001.p/1").await;
    assert!(cc.contains("no-store") && !cc.contains("public"), "a partial hash tile: {cc}");
    let cc = cache_control(clerk, "/log/checkpoint").await;
    assert!(cc.contains("no-store") && !cc.contains("public"), "the checkpoint: {cc}");
}

/// Issue 19: the query tables derive from the events alone. A case number accepted under a
/// region the deployment had configured (示, the fixture's) is split the same way when the tables
/// are rebuilt where that setting is gone — by `verify`, `rebuild-projections`, a migration or a
/// restore on another machine — so a changed setting is not mistaken for tampering. (The demo's
/// data failed `liuhen verify` and `migrate-store` this way.)
#[tokio::test]
async fn the_tables_rebuild_the_same_without_the_region_a_case_number_was_accepted_under() {
    let app = spawn_app().await;
    assert_eq!(app.config().policy.extra_regions, vec!["示".to_string()]);
    let clerk = app.token("clerk").await;
    let id = app.create(&clerk, &letter()).await;
    let query = format!("SELECT case_year FROM records WHERE id = '{id}'");
    let year: i64 = common::scalar(&app.store, &query).await;
    assert_eq!(year, 2026, "the projection split the case number");
    let key = verifier_key(&app).await;
    let database_url = app.config().database_url;
    let data = app.stop().await;
    // The binary, with no configuration naming 示: `verify` rebuilds the tables and compares.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_liuhen"))
        .args(["--data-dir", data.dir.path().to_str().unwrap(), "verify", "--key", &key])
        .envs(database_url.iter().map(|u| ("LIUHEN_DATABASE_URL", u.as_str())))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

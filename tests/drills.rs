//! Backup and restore drills with the real binary, as an operator runs them (issue 19;
//! docs/operations.md "Backup and restore"): a backup taken while serving, restored into a fresh
//! directory and checked against the checkpoint the court published; an older backup is caught
//! lacking acknowledged entries, and one written to after its restore is caught as a fork.

mod common;

use std::process::Command;

use common::binary::{Server, login, seeded, start};
use serde_json::json;

/// `liuhen` with `args`; whether it succeeded and what it printed (both streams).
fn liuhen(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_liuhen")).args(args).env("LIUHEN_LOG", "error").output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), printed)
}

async fn write_records(client: &reqwest::Client, server: &Server, token: &str, what: &str, n: usize) {
    for i in 0..n {
        let mut body = common::letter();
        body["content"] = json!(format!("{what}第 {i} 次写入"));
        let r =
            client.post(format!("{}/api/v1/records", server.base)).bearer_auth(token).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_backup_is_checked_against_the_published_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = seeded(dir.path(), false).await;
    let conf = dir.path().join("liuhen.toml");
    let conf = conf.to_str().unwrap();
    let (ok, key) = liuhen(&["--config", conf, "log-key"]);
    assert!(ok, "{key}");
    let key = key.lines().find(|l| l.contains('+')).expect("the verifier key is printed").trim().to_string();

    // A backup at noon, while serving; the afternoon's records after it; the checkpoint the court
    // publishes (or a witness keeps) in the evening.
    let server = start(dir.path());
    let client = reqwest::Client::new();
    let token = login(&client, &server.base, "clerk").await;
    write_records(&client, &server, &token, "上午", 5).await;
    let noon = dir.path().join("backup-noon");
    let (ok, said) = liuhen(&["--config", conf, "backup", "--to", noon.to_str().unwrap()]);
    assert!(ok, "{said}");
    write_records(&client, &server, &token, "下午", 5).await;
    let published = dir.path().join("published-checkpoint.txt");
    let r = client.get(format!("{}/log/checkpoint", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    std::fs::write(&published, r.bytes().await.unwrap()).unwrap();
    let evening = dir.path().join("backup-evening");
    let (ok, said) = liuhen(&["--config", conf, "backup", "--to", evening.to_str().unwrap()]);
    assert!(ok, "{said}");
    drop(server);

    // Restored onto a fresh machine: only the backup's directory, no configuration file.
    let verify_restored = |backup: &std::path::Path| {
        let fresh = tempfile::tempdir().unwrap();
        let restored = fresh.path().join("liuhen");
        copy_dir(backup, &restored);
        let against = published.to_str().unwrap();
        let result = liuhen(&["--data-dir", restored.to_str().unwrap(), "verify", "--key", &key, "--against", against]);
        (result, fresh)
    };
    let ((ok, said), _) = verify_restored(&evening);
    assert!(ok, "the evening backup holds the published checkpoint: {said}");
    assert!(said.contains("校验通过"), "{said}");
    let ((ok, said), _) = verify_restored(&noon);
    assert!(!ok, "the noon backup is older than the published checkpoint: {said}");
    assert!(said.contains("较旧的数据") && said.contains("缺少已确认的条目"), "{said}");

    // The noon backup served again and written to: its log now differs from the published one
    // at the same size, a fork, which verify names as such (and a witness refuses, tests/witness.rs).
    let ((_, _), fresh) = verify_restored(&noon);
    let restored = fresh.path().join("liuhen");
    std::fs::write(
        fresh.path().join("liuhen.toml"),
        format!("data_dir = {:?}\nextra_regions = [\"示\"]\n", restored.to_str().unwrap()),
    )
    .unwrap();
    let server = start(fresh.path());
    let token = login(&client, &server.base, "clerk").await;
    write_records(&client, &server, &token, "恢复后", 12).await;
    drop(server);
    let (ok, said) = liuhen(&[
        "--data-dir",
        restored.to_str().unwrap(),
        "verify",
        "--key",
        &key,
        "--against",
        published.to_str().unwrap(),
    ]);
    assert!(!ok, "{said}");
    assert!(said.contains("分叉"), "{said}");
    // The store it was taken from is still whole.
    assert!(common::binary::verified(&config).ok);
}

/// `cp -a`: the copy keeps the data directory's owner-only mode.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::metadata(from).unwrap().permissions()).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

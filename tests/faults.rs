//! Faults while serving, against the real binary (issue 19; docs/reliability.md): the disk fills
//! up, the signing key cannot be read at start, the PostgreSQL connections are cut. In each, no
//! acknowledged record is lost, what is refused is said plainly, and `liuhen verify` is clean
//! afterwards.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::binary::{Server, login, seeded, start, verified, writer};
use serde_json::{Value, json};

/// A small tmpfs mounted for the test and unmounted when it ends, however it ends.
struct SmallDisk {
    at: std::path::PathBuf,
}

impl SmallDisk {
    /// Needs the right to mount (root, as in CI); the test fails saying so rather than skip.
    fn mount(at: &std::path::Path, megabytes: u32) -> SmallDisk {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0700"), "tmpfs"])
            .arg(at)
            .status()
            .expect("run mount");
        assert!(status.success(), "mounting a {megabytes} MB tmpfs at {} needs root (CI runs as root)", at.display());
        SmallDisk { at: at.to_path_buf() }
    }

    /// Take every byte left with a new filler file `name`; returns its path.
    fn fill(&self, name: &str) -> std::path::PathBuf {
        let path = self.at.join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        // Whole chunks are enough: what is left is less than one, and SQLite's next page needs more.
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

fn stop(mut server: Server) {
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

async fn post_record(client: &reqwest::Client, server: &Server, token: &str, content: &str) -> (u16, Value) {
    let mut body = common::letter();
    body["content"] = json!(content);
    let r = client.post(format!("{}/api/v1/records", server.base)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json::<Value>().await.unwrap_or(Value::Null))
}

/// The disk fills up under writers: the server answers 507 with a plain Chinese problem and
/// writes nothing half-way; contents are not shown (their view events cannot be written) but the
/// log is still served; when space returns it takes writes again without a restart; `liuhen verify` is clean and every acknowledged record is
/// there. (SQLite in the data directory: the PostgreSQL server's own disk is the operator's.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_refuses_writes_plainly_and_takes_them_again_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&dir.path().join("data"), 48);
    let (config, _) = seeded(dir.path(), false).await;
    let server = start(dir.path());
    let client = reqwest::Client::new();
    let token = login(&client, &server.base, "clerk").await;

    // Writers at work when the disk fills.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop_writers: Arc<std::sync::atomic::AtomicBool> = Arc::default();
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let body = move |i| {
                let mut body = common::letter();
                body["content"] = json!(format!("第 {w}-{i} 次写入：请关照此案"));
                body
            };
            writer(&client, &server.base, &token, body, &acked, &stop_writers)
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 100 {
        assert!(Instant::now() < deadline, "writes did not flow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let filler = disk.fill("filler");

    // Until the disk is really full for SQLite (its pages and WAL may hold some room), writes
    // may still be acknowledged; then one is refused, plainly.
    let mut refused = None;
    for i in 0..20_000 {
        let (status, body) = post_record(&client, &server, &token, &format!("满盘后第 {i} 次写入")).await;
        match status {
            201 => acked.lock().unwrap().push(body["record_id"].as_str().unwrap().to_string()),
            _ => {
                refused = Some((status, body));
                break;
            }
        }
    }
    stop_writers.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let (status, problem) = refused.expect("a write refused once the disk is full");
    assert_eq!(status, 507, "{problem}");
    assert_eq!(problem["type"], "/problems/storage_full", "{problem}");
    assert!(problem["title"].as_str().unwrap().contains("存储空间已满"), "{problem}");
    // An upload is refused the same way.
    let record = acked.lock().unwrap()[0].clone();
    let part =
        reqwest::multipart::Part::bytes(vec![b'%'; 256 * 1024]).file_name("来信.pdf").mime_str("application/pdf");
    let form = reqwest::multipart::Form::new().text("category", "letter").part("file", part.unwrap());
    let r = client
        .post(format!("{}/api/v1/records/{record}/materials", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 507, "{}", r.text().await.unwrap());
    // No content leaves without its view event: while the disk is full a record is either refused
    // (507, its view could not be written) or, when SQLite still found room in pages it had (the
    // WAL reuses its file), served with its view recorded, checked below. The log is still served.
    let r = client.get(format!("{}/api/v1/records/{record}", server.base)).bearer_auth(&token).send().await.unwrap();
    let served_while_full = r.status() == 200;
    assert!(served_while_full || r.status() == 507, "{}", r.status());
    let r = client.get(format!("{}/log/checkpoint", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // Space returns: writes are taken again, by the same process.
    std::fs::remove_file(&filler).unwrap();
    let (status, body) = post_record(&client, &server, &token, "腾出空间后的写入").await;
    assert_eq!(status, 201, "{body}");
    acked.lock().unwrap().push(body["record_id"].as_str().unwrap().to_string());
    stop(server);

    let report = verified(&config);
    assert!(report.ok, "{:?}", report.faults);
    let store = liuhen::storage::open(config.clone()).await.unwrap();
    let ids: std::collections::HashSet<String> =
        common::column(&store, "SELECT id FROM records").await.into_iter().collect();
    if served_while_full {
        let viewed: i64 = common::scalar(
            &store,
            &format!("SELECT COUNT(*) FROM events WHERE kind = 'record_viewed' AND record_id = '{record}'"),
        )
        .await;
        assert!(viewed > 0, "a record was served while the disk was full without its view recorded");
    }
    store.close().await;
    let acked = acked.lock().unwrap();
    assert!(acked.len() > 100 && acked.iter().all(|id| ids.contains(id)), "an acknowledged record is missing");
    drop(disk);
}

/// `liuhen serve` as an operator runs it; what it printed on standard error, and whether it
/// ended (a server that listens is stopped and counted as started).
fn serve_attempt(dir: &std::path::Path) -> (bool, String) {
    let config = dir.join("liuhen.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_liuhen"))
        .args(["--config", config.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"])
        .env("LIUHEN_SECOND_FACTOR_FOR_CONTENTS", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            return (false, String::from_utf8_lossy(&output.stderr).into_owned());
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            return (true, String::from_utf8_lossy(&output.stdout).into_owned());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The log's signing key is unreadable, not a key, another key than the one that signed the log,
/// or gone at start: the server does not start, says which file and why, and makes no new key
/// (which would fork the log's identity). With the file back it starts and the log verifies.
#[tokio::test]
async fn a_signing_key_that_cannot_be_used_stops_the_start_and_no_new_key_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _db) = seeded(dir.path(), common::on_postgres()).await;
    let key = config.data_dir.join("log-signing.key");
    let original = std::fs::read(&key).unwrap();

    let not_a_key = b"not a key\n";
    // A valid key of the same origin, but not the one that signed this log (another court's, an
    // old demo's): it would sign on under another identity.
    let origin = liuhen_ledger::tlog::LogKey::from_private(std::str::from_utf8(&original).unwrap()).unwrap();
    let (_, another) = liuhen_ledger::tlog::LogKey::generate(origin.origin()).unwrap();
    type Check<'a> = &'a dyn Fn() -> bool;
    let broken: [(&str, &dyn Fn(), Check); 4] = [
        ("不是有效的签名私钥", &|| std::fs::write(&key, not_a_key).unwrap(), &|| {
            std::fs::read(&key).unwrap() == not_a_key
        }),
        (
            "不是签署本日志最新检查点的密钥",
            &|| std::fs::write(&key, format!("{another}\n")).unwrap(),
            &|| std::fs::read_to_string(&key).unwrap().trim() == another.trim(),
        ),
        ("文件无法读取", &|| std::fs::create_dir(&key).unwrap(), &|| key.is_dir()),
        ("文件不存在", &|| {}, &|| !key.exists()),
    ];
    for (said, break_it, still_as_left) in broken {
        let _ = std::fs::remove_file(&key);
        break_it();
        let (started, printed) = serve_attempt(dir.path());
        assert!(!started, "started with a broken key ({said})");
        assert!(printed.contains("日志签名密钥") && printed.contains(said), "{said}: {printed}");
        assert!(printed.contains(key.to_str().unwrap()), "the file is named: {printed}");
        assert!(still_as_left(), "{said}: the key file was replaced");
        if key.is_dir() {
            std::fs::remove_dir(&key).unwrap();
        }
    }
    std::fs::write(&key, &original).unwrap();
    let server = start(dir.path());
    stop(server);
    assert!(verified(&config).ok);
}

/// Every connection to PostgreSQL is cut (as a restarted database would; `pg_terminate_backend`
/// closes them cleanly, unlike a network partition): while the server is idle no request is lost
/// to it; straight after a write, requests may fail with 503 for a moment; none is acknowledged and
/// then lost, and the same process takes writes again without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_postgresql_connections_drop_and_return() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = seeded(dir.path(), true).await;
    let db = db.unwrap();
    let server = start(dir.path());
    let client = reqwest::Client::new();
    let token = login(&client, &server.base, "clerk").await;
    let mut acked = Vec::new();
    for i in 0..20 {
        let (status, body) = post_record(&client, &server, &token, &format!("断线前第 {i} 次写入")).await;
        assert_eq!(status, 201, "{body}");
        acked.push(body["record_id"].as_str().unwrap().to_string());
    }

    // Cut while the server is idle: no request is lost to it. The read is tried again on a fresh
    // connection; the sequencer checks its idle connection before the view event's batch.
    let cut = db.terminate_connections().await;
    assert!(cut > 0, "the server had connections to cut");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r =
        client.get(format!("{}/api/v1/records/{}", server.base, acked[0])).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200, "the first read after an idle cut: {}", r.text().await.unwrap());
    let (status, body) = post_record(&client, &server, &token, "空闲时断线后的写入").await;
    assert_eq!(status, 201, "the first write after an idle cut: {body}");
    acked.push(body["record_id"].as_str().unwrap().to_string());

    // Cut again, straight after a write: requests may fail at once (503), and within a short
    // while the same process answers writes again.
    let (status, body) = post_record(&client, &server, &token, "第二次断线前的写入").await;
    assert_eq!(status, 201, "{body}");
    acked.push(body["record_id"].as_str().unwrap().to_string());
    assert!(db.terminate_connections().await > 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut failures = 0;
    loop {
        let (status, body) = post_record(&client, &server, &token, "断线后的写入").await;
        if status == 201 {
            acked.push(body["record_id"].as_str().unwrap().to_string());
            break;
        }
        assert_eq!(status, 503, "a lost connection is answered as such: {body}");
        assert_eq!(body["type"], "/problems/database_unavailable", "{body}");
        failures += 1;
        assert!(Instant::now() < deadline, "no write taken 30 s after the connections were cut ({failures} failed)");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for i in 0..20 {
        let (status, body) = post_record(&client, &server, &token, &format!("恢复后第 {i} 次写入")).await;
        assert_eq!(status, 201, "{body}");
        acked.push(body["record_id"].as_str().unwrap().to_string());
    }
    for id in &acked {
        let r = client.get(format!("{}/api/v1/records/{id}", server.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "acknowledged record {id}");
    }
    stop(server);
    let report = verified(&config);
    assert!(report.ok, "{:?}", report.faults);
}

/// libfaketime, which shifts the clock of the process it is preloaded into (Debian's
/// `libfaketime`, installed by scripts/test).
fn libfaketime() -> String {
    let found = std::fs::read_dir("/usr/lib")
        .unwrap()
        .filter_map(|d| d.ok())
        .map(|d| d.path().join("faketime/libfaketime.so.1"))
        .find(|p| p.exists());
    found.expect("libfaketime is not installed (apt-get install faketime; scripts/test does)").display().to_string()
}

/// The clock jumps back three days between two runs of the server: writes are still taken, the
/// log's times never run backwards (an entry is stamped no earlier than the one before it), and
/// the log verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_set_back_never_makes_the_log_run_backwards() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _db) = seeded(dir.path(), common::on_postgres()).await;
    let client = reqwest::Client::new();
    let conf = dir.path().join("liuhen.toml");
    let args = ["--config", conf.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"];
    let preload = libfaketime();
    for (run, env) in [
        ("now", vec![]),
        (
            "three days back",
            vec![("LD_PRELOAD", preload.as_str()), ("FAKETIME", "-3d"), ("FAKETIME_DONT_FAKE_MONOTONIC", "1")],
        ),
    ] {
        let (server, _) = common::binary::start_with(&args, &env);
        let token = login(&client, &server.base, "clerk").await;
        for i in 0..5 {
            let (status, body) = post_record(&client, &server, &token, &format!("{run}：第 {i} 次写入")).await;
            assert_eq!(status, 201, "{run}: {body}");
        }
        stop(server);
    }
    let store = liuhen::storage::open(config.clone()).await.unwrap();
    let times: Vec<String> = common::column(&store, "SELECT at FROM events ORDER BY seq").await;
    store.close().await;
    let parsed: Vec<time::OffsetDateTime> = times
        .iter()
        .map(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap())
        .collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "the log's times run backwards: {times:?}");
    // The faked run really ran three days back: its entries carry the last real time.
    assert!(parsed.windows(2).any(|w| w[0] == w[1]), "no entry was restamped: {times:?}");
    let report = verified(&config);
    assert!(report.ok, "{:?}", report.faults);
}

//! The real binary as an operator runs it: started from a config file, its address read from
//! what it prints, its writers, and `liuhen verify` of what it left (tests/crash.rs,
//! tests/faults.rs).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

pub struct Server {
    pub child: Child,
    pub base: String,
}

/// A test that fails part-way does not leave its server running (holding the test's output open).
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(dir: &std::path::Path) -> Server {
    let config = dir.join("liuhen.toml");
    start_with(&["--config", config.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"], &[]).0
}

/// Start the binary with `args`; returns the server and what it printed before listening.
pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> (Server, Vec<String>) {
    let mut printed = Vec::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_liuhen"))
        .args(args)
        .envs(env.iter().copied())
        .env("LIUHEN_LOG", "warn")
        // The writers read back what was acknowledged with password logins; this store has no
        // security administrator, so the server may run without second factors.
        .env("LIUHEN_SECOND_FACTOR_FOR_CONTENTS", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start liuhen");
    // The server prints its address once it listens; no sleeping and guessing.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("server exited before listening").unwrap();
        printed.push(line.clone());
        if let Some(start) = line.find("http://") {
            let url: String = line[start..].chars().take_while(|c| !c.is_whitespace()).collect();
            break url.trim_end_matches('/').to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (Server { child, base }, printed)
}

/// One writer: records posted one after another until the server stops answering (or `stop` is
/// set); the ids it acknowledged go into `acked`.
pub fn writer(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: impl Fn(u64) -> Value + Send + 'static,
    acked: &Arc<Mutex<Vec<String>>>,
    stop: &Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let (client, base, token) = (client.clone(), base.to_string(), token.to_string());
    let (acked, stop) = (acked.clone(), stop.clone());
    tokio::spawn(async move {
        for i in 0.. {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            let Ok(r) = client.post(format!("{base}/api/v1/records")).bearer_auth(&token).json(&body(i)).send().await
            else {
                break;
            };
            if r.status() != 201 {
                break;
            }
            let Ok(v) = r.json::<Value>().await else { break };
            acked.lock().unwrap().push(v["record_id"].as_str().unwrap().to_string());
        }
    })
}

pub async fn login(client: &reqwest::Client, base: &str, user: &str) -> String {
    let r = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": user, "password": super::PASSWORD}))
        .send()
        .await
        .unwrap();
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

/// A seeded store for servers started from `dir/liuhen.toml`: SQLite in `dir/data`, or the
/// test's own PostgreSQL database when the suite runs on PostgreSQL (or `postgres` asks for it).
pub async fn seeded(dir: &std::path::Path, postgres: bool) -> (liuhen_store::StoreConfig, Option<super::TestDb>) {
    let data = dir.join("data");
    let db = if postgres { Some(super::TestDb::new().await) } else { None };
    let database = db.as_ref().map(|db| format!("database_url = {:?}\n", db.url())).unwrap_or_default();
    std::fs::write(
        dir.join("liuhen.toml"),
        format!("data_dir = {:?}\nextra_regions = [\"示\"]\n{database}", data.to_str().unwrap()),
    )
    .unwrap();
    let mut config = super::config(&data);
    config.database_url = db.as_ref().map(|db| db.url());
    let store = liuhen::storage::open(config.clone()).await.unwrap();
    super::seed(&store).await;
    store.close().await;
    (config, db)
}

/// `liuhen verify` of the store, as an operator runs it.
pub fn verified(config: &liuhen_store::StoreConfig) -> liuhen_store::verify::VerifyReport {
    super::verify_store(config, &[])
}

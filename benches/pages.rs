//! Page benchmarks (issue 5, docs/benchmarks.md): time from request to the last byte over
//! loopback HTTP, and the bytes sent, for the entry page and the store's first page with 10,000
//! records, beside baselines in the same run: the stylesheet (no template, no database) and the
//! login page (a template, no records).
//!
//! `cargo bench --bench pages` (LIUHEN_BENCH_RECORDS, LIUHEN_BENCH_REQUESTS to change the scale).

use std::sync::Arc;
use std::time::{Duration, Instant};

use liuhen_rules::{CourtLevel, RecordDraft, Role};
use liuhen_server::AppState;
use liuhen_store::{NewCourt, NewUser, Store, StoreConfig};
use serde_json::json;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PASSWORD: &str = "bench-password-1";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A fictional record; `i` varies the intervener, the form and the time.
fn draft(i: usize) -> RecordDraft {
    let forms = ["letter", "phone", "wechat", "official_letter", "email"];
    let form = forms[i % forms.len()];
    let mut v = json!({
        "case_number": format!("（2026）示0101民初{}号", i + 1),
        "stage": "trial",
        "intervener": {"name": format!("张某{}", i % 400), "unit": "某区人民政府", "post": "副区长",
                       "unit_type": "government", "leading_cadre": true, "relation": "self", "managing_level": "municipal"},
        "occurred_at": format!("2026-{:02}-{:02} {:02}:{:02}", 1 + i % 9, 1 + i % 28, i % 24, i % 60),
        "form": form,
        "content": format!("第{i}次来信来电，要求对某某有限公司从轻处理，称事关地方发展"),
        "special_items": [1 + (i % 15) as u8],
    });
    if form == "phone" {
        v["persons_present"] = json!(["张某"]);
        v["court_staff_present"] = json!([]);
    }
    if ["wechat", "email"].contains(&form) {
        v["storage_medium"] = json!("截屏已打印附卷");
    }
    serde_json::from_value(v).unwrap()
}

async fn store_with(dir: &std::path::Path, records: usize) -> Arc<Store> {
    let mut config = StoreConfig::new(dir);
    config.policy.extra_regions = vec!["示".into()];
    config.policy.second_factor_for_contents = false;
    let store = Arc::new(liuhen::storage::open(config).await.unwrap());
    let court = NewCourt::new("c", "示例市甲区人民法院", CourtLevel::Basic, None, "示0101");
    store.console().add_court(&court).await.unwrap();
    for (username, role) in [("clerk", Role::Recorder), ("office", Role::StoreMaintainer)] {
        let user = NewUser {
            username: username.into(),
            display_name: format!("某{username}"),
            court_id: "c".into(),
            role,
            password: PASSWORD.into(),
            reason: String::new(),
        };
        store.console().add_user(user).await.unwrap();
    }
    let clerk = store.user("clerk").await.unwrap().unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..32 {
        let (store, clerk) = (store.clone(), clerk.clone());
        tasks.push(tokio::spawn(async move {
            for i in (w..records).step_by(32) {
                store.create_record(&clerk, &draft(i), "bench", None, None).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    eprintln!("{records} records in {:.1} s", started.elapsed().as_secs_f64());
    store
}

struct Figures {
    name: &'static str,
    median_ms: f64,
    p99_ms: f64,
    bytes: usize,
}

async fn measure(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    paths: &[(&'static str, &str)],
    n: usize,
) -> Vec<Figures> {
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); paths.len()];
    let mut bytes = vec![0; paths.len()];
    // Interleaved, so that whatever else the machine does falls on all of them alike.
    for round in 0..n + 10 {
        for (i, (_, path)) in paths.iter().enumerate() {
            let started = Instant::now();
            let mut request = client.get(format!("{base}{path}"));
            // The login page is measured as someone not logged in sees it.
            if *path != "/login" {
                request = request.header("cookie", cookie);
            }
            let r = request.send().await.unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            let body = r.bytes().await.unwrap();
            let took = started.elapsed();
            if round >= 10 {
                samples[i].push(took);
            }
            bytes[i] = body.len();
        }
    }
    paths
        .iter()
        .zip(samples)
        .zip(bytes)
        .map(|(((name, _), mut s), bytes)| {
            s.sort();
            let at = |q: f64| s[((s.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
            Figures { name, median_ms: at(0.5), p99_ms: at(0.99), bytes }
        })
        .collect()
}

async fn login(client: &reqwest::Client, base: &str, username: &str) -> String {
    let r = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    assert!(r.status().is_success());
    cookie
}

#[tokio::main]
async fn main() {
    let records = env_usize("LIUHEN_BENCH_RECORDS", 10_000);
    let n = env_usize("LIUHEN_BENCH_REQUESTS", 300);
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), records).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(liuhen_server::serve(listener, AppState::new(store.clone()), std::future::pending()));
    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
    let clerk = login(&client, &base, "clerk").await;
    let office = login(&client, &base, "office").await;

    println!("pages, {records} records in the store, {n} requests each, median and 99th percentile (ms), bytes sent");
    let mut all = measure(
        &client,
        &base,
        &clerk,
        &[
            ("baseline: stylesheet (no template, no database)", "/assets/liuhen.css"),
            ("baseline: login page (template, no records)", "/login"),
            ("entry page (clerk)", "/records/new"),
        ],
        n,
    )
    .await;
    all.extend(
        measure(
            &client,
            &base,
            &office,
            &[
                ("store, first page of 50 (office)", "/records"),
                ("store, search for a phrase (office)", "/records?q=%E7%AC%AC9%E6%AC%A1%E6%9D%A5%E4%BF%A1"),
                ("desk with this quarter's numbers (office)", "/"),
            ],
            n,
        )
        .await,
    );
    println!("| page | median ms | p99 ms | bytes |");
    println!("|---|---|---|---|");
    for f in &all {
        println!("| {} | {:.2} | {:.2} | {} |", f.name, f.median_ms, f.p99_ms, f.bytes);
    }
    store.close().await;
}

//! The quarterly report of a province (issue 6, docs/benchmarks.md): a store of a million
//! entries over 109 courts and fifteen quarters, and the high court's quarterly analysis over
//! all of them — the same function the report pages, exports and drafts call — beside
//! baselines in the same run: counting the quarter's entries in SQL, and reading and decoding
//! them without any analysis.
//!
//! `cargo bench --bench reports` (LIUHEN_BENCH_ENTRIES, default 1,000,000; LIUHEN_BENCH_ROUNDS,
//! default 5; LIUHEN_BENCH_DIR keeps the generated store between runs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use liuhen_reports::{Period, Quarter};
use liuhen_rules::{Record, RecordFacts};
use liuhen_server::AppState;
use liuhen_store::{Store, StoreConfig};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod fixture;
use fixture::{BASIC_EACH, INTERMEDIATE, add_entries, add_province, env_usize};

/// The province: a high court, 12 intermediate courts, 8 basic courts under each; a clerk at
/// each basic court; `entries` spread over the basic courts.
async fn fill(store: &Arc<Store>, entries: usize) {
    let basics = add_province(store, "示例省", "", "示", None).await;
    let started = Instant::now();
    add_entries(store, &basics, 0..entries).await;
    eprintln!("{entries} entries in {:.0} s", started.elapsed().as_secs_f64());
}

fn median(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[v.len() / 2]), ms(v[0]), ms(v[v.len() - 1]))
}

#[tokio::main]
async fn main() {
    let entries = env_usize("LIUHEN_BENCH_ENTRIES", 1_000_000);
    let rounds = env_usize("LIUHEN_BENCH_ROUNDS", 5);
    let scratch;
    let dir = match std::env::var("LIUHEN_BENCH_DIR") {
        Ok(d) => std::path::PathBuf::from(d),
        Err(_) => {
            scratch = tempfile::tempdir().unwrap();
            scratch.path().to_path_buf()
        }
    };
    let fresh = !dir.join("liuhen.db").exists();
    let mut config = StoreConfig::new(&dir);
    config.policy.extra_regions = vec!["示".into()];
    config.policy.second_factor_for_contents = false;
    let opening = Instant::now();
    let store = Arc::new(liuhen::storage::open(config).await.unwrap());
    // On a store made before migration 0019, opening includes deriving every entry's facts.
    let opened = opening.elapsed();
    if fresh {
        fill(&store, entries).await;
    }
    let state = AppState::new(store.clone());
    let office = store.user("high_office").await.unwrap().unwrap();
    let quarter = Quarter::new(2026, 3).unwrap();
    let (from, to) = quarter.bounds();
    let ts = liuhen_rules::period::format_utc;
    let db = rusqlite::Connection::open_with_flags(dir.join("liuhen.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let courts: Vec<String> = db
        .prepare("SELECT id FROM courts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let in_store: i64 =
        db.query_row("SELECT count(*) FROM records WHERE register = 'store'", [], |r| r.get(0)).unwrap();

    let (mut count_t, mut decode_t, mut facts_t, mut report_t) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut shown = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let n: i64 = db
            .query_row(
                "SELECT count(*) FROM records WHERE register = 'store' AND occurred_at >= ?1 AND occurred_at < ?2",
                [ts(from), ts(to)],
                |r| r.get(0),
            )
            .unwrap();
        count_t.push(started.elapsed());

        let started = Instant::now();
        let mut statement = db
            .prepare_cached(
                "SELECT v.data FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                 WHERE r.register = 'store' AND r.occurred_at >= ?1 AND r.occurred_at < ?2",
            )
            .unwrap();
        let decoded: Vec<Record> = statement
            .query_map([ts(from), ts(to)], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|d| serde_json::from_str(&d.unwrap()).unwrap())
            .collect();
        decode_t.push(started.elapsed());
        assert_eq!(decoded.len() as i64, n);

        let started = Instant::now();
        let mut statement = db
            .prepare_cached(
                "SELECT facts FROM record_facts WHERE court_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3",
            )
            .unwrap();
        let mut facts = 0;
        for court in &courts {
            for data in statement.query_map([court, &ts(from), &ts(to)], |r| r.get::<_, String>(0)).unwrap() {
                let _: RecordFacts = serde_json::from_str(&data.unwrap()).unwrap();
                facts += 1;
            }
        }
        facts_t.push(started.elapsed());

        let started = Instant::now();
        let report = liuhen_server::pages::reports::build(&state, &office, quarter, "bench").await.unwrap();
        report_t.push(started.elapsed());
        shown = report.analysis.total;
        assert!(shown > 0 && shown <= n as u64);
        assert_eq!(shown, facts);
    }
    println!(
        "quarterly report of a province: {in_store} entries in the store over {} courts; {} {}: {shown} leading-cadre entries; {rounds} rounds",
        1 + INTERMEDIATE + INTERMEDIATE * BASIC_EACH,
        quarter.code(),
        Period::zh(quarter)
    );
    println!("store opened in {:.1} s", opened.as_secs_f64());
    println!("| what | median ms | fastest | slowest |");
    println!("|---|---|---|---|");
    for (name, t) in [
        ("baseline: count the quarter's entries in SQL (index only)", count_t),
        ("baseline: read and decode the quarter's entries, no analysis", decode_t),
        ("baseline: read and decode the quarter's facts (record_facts, one thread), no analysis", facts_t),
        ("quarterly report of the high court over the province (liuhen_server::pages::reports::build)", report_t),
    ] {
        let (m, lo, hi) = median(t);
        println!("| {name} | {m:.0} | {lo:.0} | {hi:.0} |");
    }
    store.close().await;
}

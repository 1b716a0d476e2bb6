//! Capacity (issue 7, docs/capacity.md): a country of several fictional provinces under the
//! Supreme People's Court, the same store built and measured on both backends in one run, side by
//! side: ingest through the store's command path, a province's and the country's quarterly report,
//! a search of the store, serving inclusion proofs, `liuhen verify`, and disk per million records.
//!
//! `cargo bench --bench capacity` — LIUHEN_CAPACITY_ENTRIES (records, default 200,000),
//! LIUHEN_CAPACITY_PROVINCES (default 3, at most 6), LIUHEN_CAPACITY_ROUNDS (default 3),
//! LIUHEN_CAPACITY_BACKENDS (default `sqlite,postgres`), and for PostgreSQL the server at
//! LIUHEN_TEST_POSTGRES_URL, where a database is made for the run and dropped after it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use liuhen_reports::Quarter;
use liuhen_rules::{CourtLevel, Role};
use liuhen_server::AppState;
use liuhen_store::{RecordFilter, Store, StoreConfig};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod fixture;
use fixture::{add_court, add_entries, add_province, add_user, env_usize};

/// Fictional region abbreviations for the provinces' case numbers (none is a real one).
const REGIONS: [&str; 6] = ["示", "例", "演", "试", "拟", "范"];

struct Figures {
    backend: &'static str,
    records: usize,
    events: u64,
    ingest_per_s: f64,
    province_report: Duration,
    country_report: Duration,
    search: Duration,
    proof: Duration,
    verify_events_per_s: f64,
    bytes: u64,
}

/// A line of the table: what, and how to show it from a run's figures.
type Line = (&'static str, fn(&Figures) -> String);

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Bytes the store's tables take: the SQLite files, or the PostgreSQL database.
async fn size_of(store: &Store, config: &StoreConfig) -> u64 {
    match &config.database_url {
        None => ["liuhen.db", "liuhen.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(config.data_dir.join(f)).ok())
            .map(|m| m.len())
            .sum(),
        Some(_) => {
            let rows = store.sql_for_tests("SELECT pg_database_size(current_database())", Vec::new()).await.unwrap();
            rows[0][0].get::<i64>().unwrap() as u64
        }
    }
}

async fn measure(
    backend: &'static str,
    config: StoreConfig,
    records: usize,
    provinces: usize,
    rounds: usize,
) -> Figures {
    let store = Arc::new(liuhen::storage::open(config.clone()).await.unwrap());
    add_court(&store, "spc", "最高人民法院", CourtLevel::Supreme, None, "最高法").await;
    add_user(&store, "spc_office", "spc", Role::StoreMaintainer).await;
    let mut basics = Vec::new();
    for (p, region) in REGIONS.iter().enumerate().take(provinces) {
        let name = format!("示例第{}省", p + 1);
        basics.extend(add_province(&store, &name, &format!("p{p}-"), region, Some("spc")).await);
    }
    add_user(&store, "search_office", &basics[0].0, Role::StoreMaintainer).await;

    let started = Instant::now();
    add_entries(&store, &basics, 0..records).await;
    let ingest_per_s = records as f64 / started.elapsed().as_secs_f64();
    eprintln!("{backend}: {records} records in {:.0} s", started.elapsed().as_secs_f64());

    let state = AppState::new(store.clone());
    let quarter = Quarter::new(2026, 3).unwrap();
    let province = store.user("p0-high_office").await.unwrap().unwrap();
    let country = store.user("spc_office").await.unwrap().unwrap();
    let searcher = store.user("search_office").await.unwrap().unwrap();
    let (mut province_t, mut country_t, mut search_t) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let t = Instant::now();
        let report = liuhen_server::pages::reports::build(&state, &province, quarter, "bench").await.unwrap();
        province_t.push(t.elapsed());
        assert!(report.analysis.total > 0);
        let t = Instant::now();
        let national = liuhen_server::pages::reports::build(&state, &country, quarter, "bench").await.unwrap();
        country_t.push(t.elapsed());
        assert!(national.analysis.total >= report.analysis.total);
        // A word of one entry's text at the first basic court (entries there are 0, n, 2n, …).
        let word = format!("第{}次过问", (round * 7 + 1) * basics.len());
        let filter = RecordFilter { text: Some(word.clone()), per_page: 20, page: 1, ..Default::default() };
        let t = Instant::now();
        let found = store.list_records(&searcher, &filter, "bench").await.unwrap();
        search_t.push(t.elapsed());
        assert!(found.total >= 1 || records < basics.len() * 8, "{word} found");
    }
    let events = store.event_count().await.unwrap() as u64;
    let mut proof_t = Vec::new();
    for i in 0..200u64 {
        let index = (i * 7_919_993) % events;
        let t = Instant::now();
        store.receipt(index).await.unwrap();
        proof_t.push(t.elapsed());
    }
    let bytes = size_of(&store, &config).await;
    store.close().await;
    drop(state);

    let options = liuhen_store::verify::VerifyOptions {
        data_dir: config.data_dir.clone(),
        verifier_keys: vec![],
        key_file: None,
        published: Vec::new(),
    };
    let t = Instant::now();
    let url = config.database_url.clone();
    let report =
        tokio::task::spawn_blocking(move || liuhen::storage::verify_data_dir(&options, url.as_deref(), &mut |_, _| {}))
            .await
            .unwrap()
            .unwrap();
    assert!(report.ok, "{:?}", report.faults);
    let verify_events_per_s = report.events as f64 / t.elapsed().as_secs_f64();
    Figures {
        backend,
        records,
        events,
        ingest_per_s,
        province_report: median(province_t),
        country_report: median(country_t),
        search: median(search_t),
        proof: median(proof_t),
        verify_events_per_s,
        bytes,
    }
}

#[tokio::main]
async fn main() {
    let records = env_usize("LIUHEN_CAPACITY_ENTRIES", 200_000);
    let provinces = env_usize("LIUHEN_CAPACITY_PROVINCES", 3).clamp(1, REGIONS.len());
    let rounds = env_usize("LIUHEN_CAPACITY_ROUNDS", 3).max(1);
    let backends = std::env::var("LIUHEN_CAPACITY_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let mut figures = Vec::new();
    for backend in backends.split(',').map(str::trim) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = StoreConfig::new(dir.path());
        config.policy.extra_regions = REGIONS.iter().take(provinces).map(|r| r.to_string()).collect();
        config.policy.second_factor_for_contents = false;
        let _db;
        let name = match backend {
            "sqlite" => "SQLite",
            "postgres" => {
                let db = liuhen_store_pg::testing::TestDb::new().await;
                config.database_url = Some(db.url());
                _db = db;
                "PostgreSQL"
            }
            other => panic!("unknown backend {other} (sqlite or postgres)"),
        };
        figures.push(measure(name, config, records, provinces, rounds).await);
    }
    let courts = 1 + provinces * (1 + fixture::INTERMEDIATE + fixture::INTERMEDIATE * fixture::BASIC_EACH);
    println!(
        "capacity: {records} records ({} events) over {courts} courts in {provinces} provinces; medians of {rounds} rounds",
        figures[0].events
    );
    print!("| what |");
    for f in &figures {
        print!(" {} |", f.backend);
    }
    println!();
    println!("|---|{}", "---|".repeat(figures.len()));
    let rows: [Line; 8] = [
        ("ingest (records/s, 64 writers, through the command path)", |f| format!("{:.0}", f.ingest_per_s)),
        ("quarterly report of a province (ms)", |f| format!("{:.0}", f.province_report.as_secs_f64() * 1e3)),
        ("quarterly report of the country (ms)", |f| format!("{:.0}", f.country_report.as_secs_f64() * 1e3)),
        ("search of a court's store, one word (ms)", |f| format!("{:.1}", f.search.as_secs_f64() * 1e3)),
        ("inclusion proof served (µs)", |f| format!("{:.0}", f.proof.as_secs_f64() * 1e6)),
        ("`liuhen verify` (events/s)", |f| format!("{:.0}", f.verify_events_per_s)),
        ("tables on disk (MB)", |f| format!("{:.0}", f.bytes as f64 / 1e6)),
        ("disk per million records (GB)", |f| format!("{:.2}", f.bytes as f64 / f.records as f64 * 1e6 / 1e9)),
    ];
    for (what, value) in rows {
        print!("| {what} |");
        for f in &figures {
            print!(" {} |", value(f));
        }
        println!();
    }
}

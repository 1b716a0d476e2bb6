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
use liuhen_rules::{CourtLevel, Record, RecordDraft, RecordFacts, Role};
use liuhen_server::AppState;
use liuhen_store::{NewCourt, NewUser, Store, StoreConfig};
use serde_json::json;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const INTERMEDIATE: usize = 12;
const BASIC_EACH: usize = 8;
const UNITS: [(&str, &str); 6] = [
    ("某区人民政府", "government"),
    ("某市人大常委会", "congress"),
    ("某县政协", "cppcc"),
    ("某市委组织部", "party"),
    ("某区公安分局", "government"),
    ("某国有企业", "enterprise"),
];

/// The basic courts' ids and case codes.
fn basic_courts() -> Vec<(String, String)> {
    (1..=INTERMEDIATE)
        .flat_map(|m| (1..=BASIC_EACH).map(move |b| (format!("b{m}-{b}"), format!("示{m:02}{b:02}"))))
        .collect()
}

/// A fictional entry at a basic court; `i` spreads it over 2023-01-01 to 2026-09-30 (Beijing
/// time), 300,000 interveners, the forms, and the special items (one leading-cadre entry in 20).
fn draft(i: usize, code: &str) -> RecordDraft {
    let forms = ["letter", "phone", "official_letter", "in_person", "email"];
    let form = forms[i % forms.len()];
    let day = time::macros::date!(2023 - 01 - 01) + time::Duration::days(((i * 7919) % 1369) as i64);
    // 300,000 interveners over the province's four years: about three entries each, so that
    // most are repeat interveners (the analysis's heaviest case) without every one being so.
    let person = (i * 7919) % 300_000;
    let (unit, unit_type) = UNITS[person % UNITS.len()];
    // One in five is not a leading cadre: in the store, not in the analysis.
    let leading = !i.is_multiple_of(5);
    let level = if leading { json!(["municipal", "county", "provincial"][i % 3]) } else { json!(null) };
    let mut v = json!({
        "case_number": format!("（{}）{code}民初{}号", day.year(), i + 1),
        "stage": "trial",
        "intervener": {"name": format!("张某{person}"), "unit": unit, "post": "副职",
                       "unit_type": unit_type, "leading_cadre": leading, "relation": "self",
                       "managing_level": level},
        "occurred_at": format!("{day} {:02}:{:02}", i % 24, i % 60),
        "form": form,
        "content": format!("第{i}次过问，要求对某某有限公司从轻处理"),
        "special_items": if leading && i % 20 == 1 { vec![1 + (i % 15) as u8] } else { vec![] },
        "serious": i.is_multiple_of(997),
    });
    match form {
        "phone" => {
            v["persons_present"] = json!(["张某"]);
            v["court_staff_present"] = json!([]);
        }
        "in_person" => {
            v["place"] = json!("某会议室");
            v["persons_present"] = json!(["张某"]);
            v["court_staff_present"] = json!([]);
        }
        "email" => v["storage_medium"] = json!("邮件已打印附卷"),
        _ => {}
    }
    serde_json::from_value(v).unwrap()
}

async fn add_court(store: &Store, id: &str, name: &str, level: CourtLevel, parent: Option<&str>, code: &str) {
    let court = NewCourt {
        id: id.into(),
        name: name.into(),
        level,
        parent_id: parent.map(String::from),
        case_code: code.into(),
    };
    store.console().add_court(&court).await.unwrap();
}

async fn add_user(store: &Store, username: &str, court: &str, role: Role) {
    let user = NewUser {
        username: username.into(),
        display_name: format!("某{username}"),
        court_id: court.into(),
        role,
        password: "bench-password-1".into(),
    };
    store.console().add_user(user).await.unwrap();
}

/// The province: a high court, 12 intermediate courts, 8 basic courts under each; a clerk at
/// each basic court; `entries` spread over the basic courts.
async fn fill(store: &Arc<Store>, entries: usize) {
    add_court(store, "high", "示例省高级人民法院", CourtLevel::High, None, "示").await;
    add_user(store, "high_office", "high", Role::StoreMaintainer).await;
    for m in 1..=INTERMEDIATE {
        add_court(
            store,
            &format!("m{m}"),
            &format!("示例{m}市中级人民法院"),
            CourtLevel::Intermediate,
            Some("high"),
            &format!("示{m:02}"),
        )
        .await;
    }
    let basics = basic_courts();
    for (n, (id, code)) in basics.iter().enumerate() {
        let m = n / BASIC_EACH + 1;
        add_court(
            store,
            id,
            &format!("示例{m}市第{}区人民法院", n % BASIC_EACH + 1),
            CourtLevel::Basic,
            Some(&format!("m{m}")),
            code,
        )
        .await;
        add_user(store, &format!("clerk-{id}"), id, Role::Recorder).await;
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..64 {
        let store = store.clone();
        let basics = basics.clone();
        tasks.push(tokio::spawn(async move {
            let mut clerks = std::collections::HashMap::new();
            for i in (w..entries).step_by(64) {
                let (id, code) = &basics[i % basics.len()];
                if !clerks.contains_key(id) {
                    clerks.insert(id.clone(), store.user(&format!("clerk-{id}")).await.unwrap().unwrap());
                }
                store.create_record(&clerks[id], &draft(i, code), "bench", None, None).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
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
    config.extra_regions = vec!["示".into()];
    config.second_factor_for_store = false;
    let opening = Instant::now();
    let store = Arc::new(Store::open(config).await.unwrap());
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
        let report = liuhen_server::reports::build(&state, &office, quarter, "bench").await.unwrap();
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
        ("quarterly report of the high court over the province (liuhen_server::reports::build)", report_t),
    ] {
        let (m, lo, hi) = median(t);
        println!("| {name} | {m:.0} | {lo:.0} | {hi:.0} |");
    }
    store.close().await;
}

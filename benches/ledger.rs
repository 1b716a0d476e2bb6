//! Ledger benchmarks, each beside its baseline in the same run (docs/benchmarks.md):
//!  1. durable appends per second: plain single-row inserts (one transaction each, and
//!     group-committed), against the sequencer and the HTTP API with 64 concurrent writers;
//!  2. proof and tile latency at 1 million and 10 million entries;
//!  3. `liuhen verify` throughput against `sha256sum` over the same bytes.
//!
//! `cargo bench --bench ledger` (LIUHEN_BENCH_WRITES, LIUHEN_BENCH_SIZES to change the scale).

use std::sync::Arc;
use std::time::{Duration, Instant};

use liuhen_ledger::tlog::{self, Hash, TILE_WIDTH, TileCoord, TreeBuilder};
use liuhen_ledger::{Event, EventBody};
use liuhen_rules::{CourtLevel, Listed, RecordDraft, Role};
use liuhen_server::AppState;
use liuhen_store::{NewCourt, NewUser, Store, StoreConfig};
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

// The same allocator as the `liuhen` binary, so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WRITERS: usize = 64;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn record() -> Value {
    json!({
        "case_number": "（2026）示0101民初12号", "stage": "trial",
        "intervener": {"name": "张某", "unit": "某区人民政府", "post": "副区长", "unit_type": "government",
                       "leading_cadre": true, "relation": "self", "managing_level": "municipal"},
        "occurred_at": "2026-03-31 23:30", "form": "letter", "content": "来信要求对某某有限公司从轻处理", "special_items": [1],
    })
}

async fn seeded(dir: &std::path::Path) -> Store {
    let mut config = StoreConfig::new(dir);
    config.policy.extra_regions = vec!["示".into()];
    let store = liuhen::storage::open(config).await.unwrap();
    store
        .console()
        .add_court(&NewCourt::new("c", "示例市甲区人民法院", CourtLevel::Basic, None, "示0101"))
        .await
        .unwrap();
    store
        .console()
        .add_user(NewUser {
            username: "clerk".into(),
            display_name: "张某".into(),
            court_id: "c".into(),
            role: Role::Recorder,
            password: "bench-password".into(),
            reason: String::new(),
        })
        .await
        .unwrap();
    store
}

fn rate(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

async fn plain_pool(path: &std::path::Path) -> sqlx::SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    sqlx::query("CREATE TABLE IF NOT EXISTS plain (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

/// Baseline: each writer's row in its own durable transaction, no ledger.
async fn baseline_single(path: &std::path::Path, n: usize, entry: &[u8]) -> f64 {
    let pool = plain_pool(path).await;
    let start = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (pool, entry) = (pool.clone(), entry.to_vec());
            tokio::spawn(async move {
                for _ in 0..n / WRITERS {
                    sqlx::query("INSERT INTO plain (body) VALUES (?)").bind(&entry).execute(&pool).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    rate(n / WRITERS * WRITERS, start.elapsed())
}

type Reply = tokio::sync::oneshot::Sender<()>;

/// A writer thread on its own synchronous connection that commits every job waiting at that
/// moment in one transaction (one fsync), then answers them: the sequencer's scheme without its
/// ledger, for the baselines.
fn group_writer<J: Send + 'static>(
    path: &std::path::Path,
    write: impl Fn(&rusqlite::Transaction, J) + Send + 'static,
) -> (tokio::sync::mpsc::Sender<(J, Reply)>, std::thread::JoinHandle<()>) {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(J, Reply)>(4096);
    let thread = std::thread::spawn(move || {
        while let Some(first) = rx.blocking_recv() {
            let mut batch = vec![first];
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
            }
            let t = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
            let mut replies = Vec::with_capacity(batch.len());
            for (job, reply) in batch {
                write(&t, job);
                replies.push(reply);
            }
            t.commit().unwrap();
            for reply in replies {
                let _ = reply.send(());
            }
        }
    });
    (tx, thread)
}

/// 64 writers, each submitting `make()` to the group writer and waiting for its commit.
async fn run_writers<J: Send + 'static>(
    tx: tokio::sync::mpsc::Sender<(J, Reply)>,
    n: usize,
    make: impl Fn() -> J + Send + Sync + 'static,
) -> f64 {
    let make = Arc::new(make);
    let start = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (tx, make) = (tx.clone(), make.clone());
            tokio::spawn(async move {
                for _ in 0..n / WRITERS {
                    let (reply, done) = tokio::sync::oneshot::channel();
                    tx.send((make(), reply)).await.unwrap();
                    done.await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    rate(n / WRITERS * WRITERS, start.elapsed())
}

/// Baseline: the entry's bytes as one row each, group-committed, no ledger: the floor of any
/// durable store on this disk.
async fn baseline_grouped(path: &std::path::Path, n: usize, entry: &[u8]) -> f64 {
    drop(plain_pool(path).await);
    let (tx, thread) = group_writer(path, |t, body: Vec<u8>| {
        t.prepare_cached("INSERT INTO plain (body) VALUES (?)").unwrap().execute([body]).unwrap();
    });
    let entry = entry.to_vec();
    let r = run_writers(tx, n, move || entry.clone()).await;
    thread.join().unwrap();
    r
}

/// Baseline: a conventional register without the ledger. The same records, validated the same
/// way, written group-committed into the same query tables (the record row, its version, its
/// special items) with the same JSON, but no event, no Merkle hashes and no checkpoint: what the
/// ledger's tamper evidence adds is the difference.
async fn baseline_register(dir: &std::path::Path, n: usize) -> f64 {
    seeded(dir).await.close().await;
    let (tx, thread) = group_writer(&dir.join("liuhen.db"), |t, record: liuhen_rules::Record| {
        let id = uuid::Uuid::now_v7().to_string();
        let data = serde_json::to_string(&record).unwrap();
        let at = liuhen_rules::period::format_utc(time::OffsetDateTime::now_utc());
        let items = record.special_items.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
        t.prepare_cached(
            "INSERT INTO records (id, court_id, recorder, register, version, created_seq, last_seq, created_at,
             updated_at, occurred_at, case_number, stage, form, intervener_name, intervener_unit, unit_type,
             leading_cadre, serious, special_items, cosign_status, channel)
             VALUES (?1, 'c', 'clerk', ?2, 1, 0, 0, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'not_required', 'api')",
        )
        .unwrap()
        .execute(rusqlite::params![
            id,
            record.register.code(),
            at,
            liuhen_rules::period::format_utc(record.occurred_at),
            record.case_number,
            record.stage.code(),
            record.form.code(),
            record.intervener.name,
            record.intervener.unit,
            record.intervener.unit_type.code(),
            record.intervener.leading_cadre,
            record.serious,
            items
        ])
        .unwrap();
        t.prepare_cached(
            "INSERT INTO record_versions (record_id, version, seq, actor, at, data) VALUES (?, 1, 0, 'clerk', ?, ?)",
        )
        .unwrap()
        .execute(rusqlite::params![id, at, data])
        .unwrap();
        for item in &record.special_items {
            t.prepare_cached("INSERT INTO record_special_items (record_id, item) VALUES (?, ?)")
                .unwrap()
                .execute(rusqlite::params![id, i64::from(*item)])
                .unwrap();
        }
    });
    let draft: RecordDraft = serde_json::from_value(record()).unwrap();
    let regions = vec!["示".to_string()];
    let r = run_writers(tx, n, move || {
        let ctx =
            liuhen_rules::Context { now: time::OffsetDateTime::now_utc(), recorder: "clerk", extra_regions: &regions };
        liuhen_rules::validate_record(&draft, &ctx).unwrap()
    })
    .await;
    thread.join().unwrap();
    r
}

async fn through_sequencer(store: Arc<Store>, n: usize) -> f64 {
    let clerk = store.user("clerk").await.unwrap().unwrap();
    let draft: RecordDraft = serde_json::from_value(record()).unwrap();
    let start = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (store, clerk, draft) = (store.clone(), clerk.clone(), draft.clone());
            tokio::spawn(async move {
                for _ in 0..n / WRITERS {
                    store.create_record(&clerk, &draft, "api", None, None).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    rate(n / WRITERS * WRITERS, start.elapsed())
}

async fn through_api(store: Arc<Store>, n: usize) -> f64 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(liuhen_server::serve(listener, AppState::new(store), std::future::pending()));
    let client = reqwest::Client::builder().pool_max_idle_per_host(WRITERS).build().unwrap();
    let token = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "clerk", "password": "bench-password"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = bytes::Bytes::from(serde_json::to_vec(&record()).unwrap());
    let addr = base.trim_start_matches("http://").to_string();
    // Each writer opens its connection before the clock starts, as a client that keeps its
    // connection would.
    let mut senders = Vec::with_capacity(WRITERS);
    for _ in 0..WRITERS {
        let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        senders.push(sender);
    }
    let start = Instant::now();
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|mut sender| {
            let (addr, token, body) = (addr.clone(), token.clone(), body.clone());
            tokio::spawn(async move {
                for _ in 0..n / WRITERS {
                    let request = hyper::Request::post("/api/v1/records")
                        .header("host", &addr)
                        .header("authorization", format!("Bearer {token}"))
                        .header("content-type", "application/json")
                        .body(http_body_util::Full::new(body.clone()))
                        .unwrap();
                    let response = sender.send_request(request).await.unwrap();
                    assert_eq!(response.status(), 201);
                    http_body_util::BodyExt::collect(response.into_body()).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    rate(n / WRITERS * WRITERS, start.elapsed())
}

/// A log of `size` entries written straight into a data directory: events, stored hashes and one
/// signed checkpoint, as the sequencer would have left them.
/// Logs small enough to verify hold real new records (the common event, with its projections);
/// the larger ones, used only for proof and tile latency, hold short co-signature events.
async fn synthetic_log(dir: &std::path::Path, size: u64, records: bool) -> (Store, u64) {
    let record: liuhen_rules::Record = {
        let draft: RecordDraft = serde_json::from_value(self::record()).unwrap();
        let ctx = liuhen_rules::Context { now: time::OffsetDateTime::now_utc(), recorder: "clerk", extra_regions: &[] };
        let mut draft = draft;
        draft.case_number = Some("（2026）京0101民初12号".into());
        liuhen_rules::validate_record(&draft, &ctx).unwrap()
    };
    let store = liuhen::storage::open(StoreConfig::new(dir)).await.unwrap();
    store.close().await;
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join("liuhen.db"))
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Off)
        .connect()
        .await
        .unwrap();
    let mut builder = TreeBuilder::default();
    let mut bytes = 0u64;
    let chunk = 50_000u64;
    let mut n = 0u64;
    while n < size {
        let mut t = conn.begin().await.unwrap();
        let mut events: Vec<(i64, Vec<u8>, [u8; 32])> = Vec::with_capacity(chunk as usize);
        let mut hashes: Vec<(i64, Hash)> = Vec::new();
        for _ in 0..chunk.min(size - n) {
            let body = if records {
                EventBody::RecordCreated {
                    record_id: uuid::Uuid::now_v7(),
                    source: liuhen_ledger::Source {
                        channel: "api".into(),
                        external_id: None,
                        idempotency_key_hash: None,
                    },
                    record: record.clone(),
                }
            } else {
                EventBody::RecordCosigned { record_id: uuid::Uuid::now_v7(), version: 1, signer: "judge".into() }
            };
            let event = Event::new(time::OffsetDateTime::now_utc(), "judge", "c", body);
            let entry = event.encode().unwrap();
            bytes += entry.len() as u64;
            let leaf = liuhen_ledger::leaf_hash(&entry);
            let first = tlog::stored_hash_index(0, n);
            for (i, h) in builder.push(Hash(leaf)).into_iter().enumerate() {
                hashes.push(((first + i as u64) as i64, h));
            }
            events.push((n as i64, entry, leaf));
            n += 1;
        }
        for rows in events.chunks(300) {
            let mut q: sqlx::QueryBuilder<sqlx::Sqlite> =
                sqlx::QueryBuilder::new("INSERT INTO events (seq, entry, leaf_hash, kind, record_id, at) ");
            q.push_values(rows, |mut b, (seq, entry, leaf)| {
                b.push_bind(*seq)
                    .push_bind(entry.clone())
                    .push_bind(leaf.to_vec())
                    .push_bind("record_cosigned")
                    .push_bind(Option::<String>::None)
                    .push_bind("2026-11-27T00:00:00Z");
            });
            q.build().execute(&mut *t).await.unwrap();
        }
        for rows in hashes.chunks(400) {
            let mut q: sqlx::QueryBuilder<sqlx::Sqlite> =
                sqlx::QueryBuilder::new("INSERT INTO tlog_hashes (idx, hash) ");
            q.push_values(rows, |mut b, (idx, h)| {
                b.push_bind(*idx).push_bind(h.0.to_vec());
            });
            q.build().execute(&mut *t).await.unwrap();
        }
        t.commit().await.unwrap();
    }
    conn.close().await.unwrap();
    // Opening the store signs the checkpoint for the tree written above (and checks its root).
    let store = liuhen::storage::open(StoreConfig::new(dir)).await.unwrap();
    assert_eq!(
        store.latest_checkpoint().await.unwrap().unwrap().root,
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, builder.root().0)
    );
    if records {
        // The query tables as the sequencer would have left them.
        store.rebuild_projections().await.unwrap();
    }
    (store, bytes)
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(samples[samples.len() / 2]), ms(samples[samples.len() * 99 / 100]))
}

async fn latencies(store: &Store, size: u64) -> Vec<(String, f64, f64)> {
    let mut rng_state = 0x2015_0818u64;
    let mut next = move |bound: u64| {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state % bound
    };
    let mut out = Vec::new();
    let samples = 500;
    let mut timed = Vec::new();
    for _ in 0..samples {
        let i = next(size);
        let t = Instant::now();
        store.receipt(i).await.unwrap();
        timed.push(t.elapsed());
    }
    let (p50, p99) = percentiles(timed);
    out.push(("receipt (entry + inclusion proof)".to_string(), p50, p99));
    let mut timed = Vec::new();
    for _ in 0..samples {
        let from = 1 + next(size - 1);
        let t = Instant::now();
        store.extension(from).await.unwrap();
        timed.push(t.elapsed());
    }
    let (p50, p99) = percentiles(timed);
    out.push(("consistency proof".to_string(), p50, p99));
    for level in [0u8, 1, 2] {
        let span = TILE_WIDTH.pow(u32::from(level) + 1);
        let full = size / span;
        if full == 0 {
            continue;
        }
        let mut timed = Vec::new();
        for _ in 0..samples {
            let n = next(full);
            let t = Instant::now();
            store.tile(TileCoord { level: Some(level), n, width: TILE_WIDTH }).await.unwrap().unwrap();
            timed.push(t.elapsed());
        }
        let (p50, p99) = percentiles(timed);
        out.push((format!("hash tile, level {level}"), p50, p99));
    }
    let mut timed = Vec::new();
    for _ in 0..samples {
        let n = next(size / TILE_WIDTH);
        let t = Instant::now();
        store.tile(TileCoord { level: None, n, width: TILE_WIDTH }).await.unwrap().unwrap();
        timed.push(t.elapsed());
    }
    let (p50, p99) = percentiles(timed);
    out.push(("entry bundle".to_string(), p50, p99));
    out
}

#[tokio::main]
async fn main() {
    let writes = env_usize("LIUHEN_BENCH_WRITES", 20_000);
    let sizes: Vec<u64> = std::env::var("LIUHEN_BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let scratch =
        std::env::var("LIUHEN_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    println!(
        "# liuhen ledger benchmark ({} cores, {writes} writes, {WRITERS} writers)\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );

    let entry = {
        let draft: RecordDraft = serde_json::from_value(record()).unwrap();
        let ctx = liuhen_rules::Context {
            now: time::OffsetDateTime::now_utc(),
            recorder: "clerk",
            extra_regions: &["示".to_string()],
        };
        let rec = liuhen_rules::validate_record(&draft, &ctx).unwrap();
        Event::new(
            time::OffsetDateTime::now_utc(),
            "clerk",
            "c",
            EventBody::RecordCreated {
                record_id: uuid::Uuid::now_v7(),
                source: liuhen_ledger::Source { channel: "api".into(), external_id: None, idempotency_key_hash: None },
                record: rec,
            },
        )
        .encode()
        .unwrap()
    };
    println!("Entry size: {} bytes\n", entry.len());
    // Rounds interleave the paths, so that this virtual machine's slow and fast moments fall on
    // all of them alike; each row gives the median round and the range.
    let rounds = env_usize("LIUHEN_BENCH_ROUNDS", 3).max(1);
    println!(
        "## Durable appends per second ({WRITERS} writers, {writes} records a round, median of {rounds} rounds)\n\n| path | records/s | range |\n|---|---|---|"
    );
    let labels = [
        "baseline: plain INSERT, one transaction per row",
        "baseline: plain INSERT of the entry bytes, group-committed",
        "baseline: register without ledger (validate, record row, version, items), group-committed",
        "ledger: sequencer (validate, event, Merkle hashes, checkpoint, projections)",
        "ledger: HTTP API, 64 concurrent clients over loopback",
    ];
    let mut results: Vec<Vec<f64>> = vec![Vec::new(); labels.len()];
    for _ in 0..rounds {
        let dir = tempfile::tempdir_in(&scratch).unwrap();
        results[0].push(baseline_single(&dir.path().join("plain1.db"), writes.min(5_000), &entry).await);
        results[1].push(baseline_grouped(&dir.path().join("plain2.db"), writes, &entry).await);
        results[2].push(baseline_register(&dir.path().join("register"), writes).await);
        results[3].push(through_sequencer(Arc::new(seeded(&dir.path().join("seq")).await), writes).await);
        results[4].push(through_api(Arc::new(seeded(&dir.path().join("api")).await), writes).await);
    }
    for (label, mut r) in labels.into_iter().zip(results) {
        r.sort_by(f64::total_cmp);
        println!("| {label} | {:.0} | {:.0}–{:.0} |", r[r.len() / 2], r[0], r[r.len() - 1]);
    }

    for size in sizes {
        let dir = tempfile::tempdir_in(&scratch).unwrap();
        let start = Instant::now();
        let verifiable = size <= 2_000_000;
        let (store, bytes) = synthetic_log(dir.path(), size, verifiable).await;
        println!(
            "\n## A log of {size} entries (built in {:.0} s, {} MB of entries)\n",
            start.elapsed().as_secs_f64(),
            bytes / 1_000_000
        );
        println!("| operation | p50 ms | p99 ms |\n|---|---|---|");
        for (name, p50, p99) in latencies(&store, size).await {
            println!("| {name} | {p50:.3} | {p99:.3} |");
        }
        store.close().await;
        if verifiable {
            // Verify against sha256sum over the same entry bytes.
            let mut conn = SqliteConnectOptions::new()
                .filename(dir.path().join("liuhen.db"))
                .read_only(true)
                .connect()
                .await
                .unwrap();
            let file = dir.path().join("entries.bin");
            {
                use std::io::Write;
                let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
                let mut n = 0i64;
                loop {
                    let rows: Vec<(Vec<u8>,)> =
                        sqlx::query_as("SELECT entry FROM events WHERE seq >= ? ORDER BY seq LIMIT 50000")
                            .bind(n)
                            .fetch_all(&mut conn)
                            .await
                            .unwrap();
                    if rows.is_empty() {
                        break;
                    }
                    n += rows.len() as i64;
                    for (e,) in rows {
                        out.write_all(&e).unwrap();
                    }
                }
            }
            let t = Instant::now();
            let status = std::process::Command::new("sha256sum")
                .arg(&file)
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            let sha = t.elapsed();
            let options = liuhen_store::verify::VerifyOptions {
                data_dir: dir.path().to_path_buf(),
                verifier_keys: vec![],
                key_file: None,
                published: Vec::new(),
            };
            let t = Instant::now();
            let report = liuhen::storage::verify_data_dir(&options, None, &mut |_, _| {}).unwrap();
            let verify = t.elapsed();
            assert!(report.ok, "{:?}", report.faults);
            println!("\n| check over {} MB of entries | seconds | MB/s |\n|---|---|---|", bytes / 1_000_000);
            println!(
                "| sha256sum (baseline) | {:.2} | {:.0} |",
                sha.as_secs_f64(),
                bytes as f64 / 1e6 / sha.as_secs_f64()
            );
            let mb = bytes as f64 / 1e6;
            println!(
                "| liuhen verify: entries, tree and checkpoints | {:.2} | {:.0} |",
                report.ledger_seconds,
                mb / report.ledger_seconds
            );
            println!("| liuhen verify: query tables rebuilt and compared | {:.2} | — |", report.projections_seconds);
            println!("| liuhen verify, all checks | {:.2} | {:.0} |", verify.as_secs_f64(), mb / verify.as_secs_f64());
        }
    }
}

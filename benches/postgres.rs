//! The ledger on PostgreSQL (issue 7, docs/benchmarks.md), each path beside its baselines in one
//! run: durable appends per second with 64 concurrent writers through the group-committing
//! sequencer (`liuhen_store_pg::serve_as_sequencer`), against plain PostgreSQL inserts of the same
//! bytes (one transaction a row, and 512 rows a transaction); the bulk rate while preloading the
//! ledger; and `verify` over the whole ledger afterwards.
//!
//! `cargo bench --bench postgres` — LIUHEN_BENCH_POSTGRES_URL (default: the local server),
//! LIUHEN_BENCH_PRELOAD (events before the rounds, default 1,000,000), LIUHEN_BENCH_WRITES (appends
//! a round, default 20,000), LIUHEN_BENCH_ROUNDS (default 3). The database is made and dropped here.

use std::str::FromStr;
use std::time::{Duration, Instant};

use liuhen_ledger::tlog::LogKey;
use liuhen_ledger::{Event, EventBody};
use liuhen_store_pg::{ledger_queue, migrate, quote_identifier, serve_as_sequencer, verify};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WRITERS: usize = 64;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A fictional event of about the size of a recorded letter (the SQLite benchmark's 851 bytes).
fn entry(n: usize) -> Vec<u8> {
    let record_ids = (0..18).map(|_| uuid::Uuid::now_v7()).collect();
    let body = EventBody::RecordsListed { record_ids, via: format!("bench {n}") };
    Event::new(time::OffsetDateTime::now_utc(), "clerk", "basic1", body).encode().unwrap()
}

async fn run(pool: &PgPool, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
}

/// Rows per second of `total` rows written by `WRITERS` tasks, each running `write` on its share.
async fn concurrently<F, Fut>(total: usize, write: F) -> f64
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..WRITERS).map(|w| tokio::spawn(write(w))).collect();
    for t in tasks {
        t.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

#[tokio::main]
async fn main() {
    let url = std::env::var("LIUHEN_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let (preload, writes, rounds) = (
        env_usize("LIUHEN_BENCH_PRELOAD", 1_000_000),
        env_usize("LIUHEN_BENCH_WRITES", 20_000),
        env_usize("LIUHEN_BENCH_ROUNDS", 3),
    );
    let admin = PgConnectOptions::from_str(&url).unwrap();
    let admin_pool = PgPoolOptions::new().max_connections(1).connect_with(admin.clone()).await.unwrap();
    let name = format!("liuhen_bench_{}", uuid::Uuid::new_v4().simple());
    run(&admin_pool, format!("CREATE DATABASE {}", quote_identifier(&name))).await;
    let options = admin.clone().database(&name);
    let pool = PgPoolOptions::new().max_connections(16).connect_with(options.clone()).await.unwrap();
    migrate(&pool).await.unwrap();
    run(&pool, "CREATE TABLE plain (id BIGSERIAL PRIMARY KEY, entry BYTEA NOT NULL)".into()).await;
    let (key, private) = LogKey::generate("liuhen.bench/log").unwrap();
    let verifier = key.verifier_key().to_string();
    let (queue, jobs) = ledger_queue(4 * WRITERS);
    let server = tokio::spawn(serve_as_sequencer(options.clone(), "bench".into(), vec![private], jobs));
    let sample = entry(0).len();

    // The ledger at size: bulk appends of 512 events by one writer.
    let started = Instant::now();
    let mut n = 0;
    while n < preload {
        let batch: Vec<Vec<u8>> = (n..preload.min(n + 512)).map(entry).collect();
        n += batch.len();
        queue.append(batch).await.unwrap();
    }
    let preload_rate = preload as f64 / started.elapsed().as_secs_f64().max(1e-9);

    let (mut single, mut batched, mut ledger) = (vec![], vec![], vec![]);
    let share = writes / WRITERS;
    for _ in 0..rounds {
        single.push(
            concurrently(share * WRITERS, |_| {
                let pool = pool.clone();
                async move {
                    for i in 0..share {
                        sqlx::query("INSERT INTO plain (entry) VALUES ($1)")
                            .bind(entry(i))
                            .execute(&pool)
                            .await
                            .unwrap();
                    }
                }
            })
            .await,
        );
        let started = Instant::now();
        for chunk in (0..share * WRITERS).collect::<Vec<_>>().chunks(512) {
            let rows: Vec<Vec<u8>> = chunk.iter().map(|&i| entry(i)).collect();
            sqlx::query("INSERT INTO plain (entry) SELECT * FROM UNNEST($1::bytea[])")
                .bind(&rows)
                .execute(&pool)
                .await
                .unwrap();
        }
        batched.push((share * WRITERS) as f64 / started.elapsed().as_secs_f64());
        ledger.push(
            concurrently(share * WRITERS, |_| {
                let queue = queue.clone();
                async move {
                    for i in 0..share {
                        queue.append(vec![entry(i)]).await.unwrap();
                    }
                }
            })
            .await,
        );
    }

    let started = Instant::now();
    let check = verify(&pool, &[&verifier]).await.unwrap();
    let verify_time = started.elapsed();
    assert!(check.faults.is_empty(), "{:?}", check.faults);
    let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&pool).await.unwrap();

    println!(
        "PostgreSQL ledger: entries of {sample} bytes; {preload} preloaded, {writes} appends a round, {rounds} rounds"
    );
    println!("bulk preload, one writer, 512 events a transaction: {preload_rate:.0} events/s");
    println!("| path | appends/s | range |");
    println!("|---|---|---|");
    for (what, v) in [
        ("baseline: plain INSERT of the entry bytes, one transaction a row, 64 writers", single),
        ("baseline: plain INSERT of the entry bytes, 512 rows a transaction, one writer", batched),
        ("ledger: group-committing sequencer, 64 writers (events, stored hashes, signed checkpoint)", ledger),
    ] {
        let (m, lo, hi) = median(v);
        println!("| {what} | {m:.0} | {lo:.0}–{hi:.0} |");
    }
    println!(
        "verify: {} events and {} checkpoints in {:.1} s ({:.0} events/s); database {:.0} MB ({:.0} bytes an event)",
        check.size,
        check.checkpoints,
        verify_time.as_secs_f64(),
        check.size as f64 / verify_time.as_secs_f64(),
        bytes as f64 / 1e6,
        bytes as f64 / check.size as f64
    );
    drop(queue);
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    pool.close().await;
    run(&admin_pool, format!("DROP DATABASE {} WITH (FORCE)", quote_identifier(&name))).await;
}

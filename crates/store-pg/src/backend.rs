//! The store on PostgreSQL (issue 7): [`PgBackend`] gives the store synchronous connections
//! ([`PgDb`]), its schema (this crate's migrations) and PostgreSQL's [`Dialect`]. Several server
//! processes may share one database: the sequencer's turn among them is an advisory lock held for
//! the write transaction, with a lease whose epoch the events table checks.

use std::cell::RefCell;
use std::path::Path;

use liuhen_store::backend::{Backend, SyncDb};
use liuhen_store::dialect::Dialect;
use liuhen_store::sql::{Cell, Db, DbExt, Kind, Param, Row, Value};
use liuhen_store::{Result, StoreError};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Column, ConnectOptions, Row as _, TypeInfo};

/// A store's tables in the PostgreSQL database at a URL.
pub struct PgBackend {
    url: String,
    options: PgConnectOptions,
    /// This process's name in the sequencer's lease.
    holder: String,
}

/// Whether a database URL names PostgreSQL.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl PgBackend {
    /// The database at `url`; a URL that cannot be read is refused, naming the field.
    pub fn new(url: &str) -> Result<PgBackend> {
        let options: PgConnectOptions = url.parse().map_err(|e| {
            StoreError::invalid(liuhen_rules::Problem::new(
                "database_url",
                "S11",
                "invalid",
                format!("数据库地址无法识别：{e}"),
                format!("the database URL cannot be read: {e}"),
            ))
        })?;
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        let holder = format!("{host}:{}:{}", std::process::id(), uuid::Uuid::new_v4());
        Ok(PgBackend { url: url.to_string(), options, holder })
    }

    fn connect(&self) -> Result<PgDb> {
        PgDb::connect(&self.options, self.holder.clone())
    }
}

impl Backend for PgBackend {
    fn dialect(&self) -> &'static dyn Dialect {
        &POSTGRES
    }

    /// The URL without its password.
    fn describe(&self) -> String {
        match (self.url.find("://"), self.url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let user = self.url[scheme + 3..at].split(':').next().unwrap_or("");
                format!("{}{user}{}", &self.url[..scheme + 3], &self.url[at..])
            }
            _ => self.url.clone(),
        }
    }

    fn pool_sizes(&self) -> (usize, usize) {
        (4, 8)
    }

    fn writer(&self) -> Result<SyncDb> {
        Ok(Box::new(self.connect()?))
    }

    fn reader(&self) -> Result<SyncDb> {
        Ok(Box::new(self.connect()?))
    }

    /// Not a file: a database server.
    fn file(&self) -> Option<&Path> {
        None
    }

    fn exists(&self) -> Result<bool> {
        let found: Option<String> = self.connect()?.scalar("SELECT to_regclass('events')::text", &[])?;
        Ok(found.is_some())
    }

    fn prepare_schema(&self) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_with(self.options.clone())
                .await
                .map_err(StoreError::database)?;
            crate::migrate(&pool).await.map_err(StoreError::database)?;
            pool.close().await;
            Ok(())
        })
    }

    /// In a transaction that is rolled back; its `begin` takes the sequencer's turn, so writes
    /// wait for the work while readers go on reading the tables as they were.
    fn aside(&self, work: &mut dyn FnMut(&dyn Db) -> Result<()>) -> Result<()> {
        let conn = self.connect()?;
        let result = work(&conn);
        conn.rollback()?;
        result
    }

    /// The tables are copied one by one instead.
    fn snapshot_into(&self, _path: &Path) -> Result<bool> {
        Ok(false)
    }
}

/// The advisory lock whose holder (for a transaction) is the sequencer among the server processes
/// sharing one PostgreSQL database.
const SEQUENCER_LOCK_KEY: i64 = i64::from_be_bytes(*b"liuhenSQ");

/// A PostgreSQL connection driven synchronously, for the sequencer's thread, maintenance and the
/// store's pools (on blocking threads).
pub struct PgDb {
    conn: RefCell<Option<sqlx::PgConnection>>,
    /// The connection's own single-threaded runtime: a statement is driven on the calling thread,
    /// with no hand-over to another (a round trip costs the network, not thread wake-ups), and it
    /// works from any thread that is not itself running async code.
    runtime: Option<tokio::runtime::Runtime>,
    holder: String,
}

/// A pooled connection may be dropped on an async thread, where a runtime may not be dropped
/// (it would block); its own runtime is shut down without waiting instead.
impl Drop for PgDb {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            let entered = runtime.enter();
            drop(self.conn.get_mut().take());
            drop(entered);
            runtime.shutdown_background();
        }
    }
}

/// PostgreSQL's error as the store's. Two kinds are said as such, so that the server answers them
/// plainly and the pools and the sequencer know to reconnect: `disk_full` (SQLSTATE 53100), and a
/// lost connection (the socket or protocol failed; class 08; 57P01–57P03: the server shut down or
/// ended the session).
fn database(e: sqlx::Error) -> StoreError {
    let code = e.as_database_error().and_then(|db| db.code()).map(|c| c.into_owned());
    match (&e, code.as_deref()) {
        (_, Some("53100")) => StoreError::StorageFull(e.to_string()),
        (sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed, _) => {
            StoreError::ConnectionLost(e.to_string())
        }
        (_, Some(code)) if code.starts_with("08") || ["57P01", "57P02", "57P03"].contains(&code) => {
            StoreError::ConnectionLost(e.to_string())
        }
        _ => StoreError::database(e),
    }
}

impl PgDb {
    fn connect(options: &PgConnectOptions, holder: String) -> Result<PgDb> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let conn = runtime.block_on(options.connect()).map_err(database)?;
        Ok(PgDb { conn: RefCell::new(Some(conn)), runtime: Some(runtime), holder })
    }

    /// Drive `work` on this connection to its end.
    fn drive<T>(
        &self,
        work: impl AsyncFnOnce(&mut sqlx::PgConnection) -> std::result::Result<T, sqlx::Error>,
    ) -> Result<T> {
        let mut conn = self.conn.borrow_mut();
        match (conn.as_mut(), self.runtime.as_ref()) {
            (Some(conn), Some(runtime)) => runtime.block_on(work(conn)).map_err(database),
            _ => Err(StoreError::Internal("a PostgreSQL connection used after it was closed".into())),
        }
    }

    fn query<'q>(
        sql: &'q str,
        params: &'q [&'q dyn Param],
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in params {
            q = match p.value() {
                Value::Null(Kind::Int) => q.bind(None::<i64>),
                Value::Null(Kind::Text) => q.bind(None::<&str>),
                Value::Null(Kind::Blob) => q.bind(None::<&[u8]>),
                Value::Int(i) => q.bind(i),
                Value::Text(s) => q.bind(s),
                Value::Blob(b) => q.bind(b),
            };
        }
        q
    }
}

/// A cell of a PostgreSQL row by its column's type (flags and `EXISTS` come back as integers).
fn pg_cell(row: &sqlx::postgres::PgRow, i: usize) -> Result<Cell> {
    let type_name = row.columns()[i].type_info().name().to_string();
    let get = |e: sqlx::Error| StoreError::database(e);
    let cell = match type_name.as_str() {
        "INT8" => row.try_get::<Option<i64>, _>(i).map_err(get)?.map(Cell::Int),
        "INT4" => row.try_get::<Option<i32>, _>(i).map_err(get)?.map(|v| Cell::Int(v.into())),
        "INT2" => row.try_get::<Option<i16>, _>(i).map_err(get)?.map(|v| Cell::Int(v.into())),
        "BOOL" => row.try_get::<Option<bool>, _>(i).map_err(get)?.map(|v| Cell::Int(v.into())),
        "FLOAT8" => row.try_get::<Option<f64>, _>(i).map_err(get)?.map(Cell::Real),
        "FLOAT4" => row.try_get::<Option<f32>, _>(i).map_err(get)?.map(|v| Cell::Real(v.into())),
        "TEXT" | "VARCHAR" | "NAME" | "BPCHAR" => row.try_get::<Option<String>, _>(i).map_err(get)?.map(Cell::Text),
        "BYTEA" => row.try_get::<Option<Vec<u8>>, _>(i).map_err(get)?.map(Cell::Blob),
        other => {
            return Err(StoreError::Internal(format!(
                "column {i} is of PostgreSQL type {other}, which the store does not read (cast it to BIGINT or TEXT)"
            )));
        }
    };
    Ok(cell.unwrap_or(Cell::Null))
}

impl Db for PgDb {
    fn dialect(&self) -> &'static dyn Dialect {
        &POSTGRES
    }

    fn exec(&self, sql: &str, params: &[&dyn Param]) -> Result<u64> {
        Ok(self.drive(async |conn| PgDb::query(sql, params).execute(conn).await)?.rows_affected())
    }

    fn each(&self, sql: &str, params: &[&dyn Param], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
        let rows = self.drive(async |conn| PgDb::query(sql, params).fetch_all(conn).await)?;
        let names: std::sync::Arc<[String]> = match rows.first() {
            Some(row) => row.columns().iter().map(|c| c.name().to_string()).collect(),
            None => return Ok(()),
        };
        for row in &rows {
            f(Row::new((0..row.len()).map(|i| pg_cell(row, i)).collect::<Result<_>>()?, names.clone()))?;
        }
        Ok(())
    }

    /// A write transaction is the sequencer's turn: whoever holds the advisory lock (for the
    /// transaction) is the one writer among the server processes, and states the lease's epoch,
    /// which the events table checks (migrations/0001). A process taking over raises the epoch.
    fn begin(&self) -> Result<()> {
        self.exec("BEGIN", &[])?;
        let turn = || -> Result<()> {
            self.exec("SELECT pg_advisory_xact_lock($1)", &[&SEQUENCER_LOCK_KEY])?;
            let lease = self.one("SELECT epoch, holder FROM sequencer_lease", &[])?;
            let mut epoch: i64 = lease.get(0)?;
            if lease.get::<String>(1)? != self.holder {
                let since = liuhen_rules::period::format_utc(time::OffsetDateTime::now_utc());
                epoch = self
                    .one(
                        "UPDATE sequencer_lease SET epoch = epoch + 1, holder = $1, since = $2 RETURNING epoch",
                        &[&self.holder, &since],
                    )?
                    .get(0)?;
            }
            self.exec("SELECT set_config('liuhen.epoch', $1, true)", &[&epoch.to_string()])?;
            Ok(())
        };
        turn().inspect_err(|_| {
            let _ = self.rollback();
        })
    }
}

/// PostgreSQL's spellings.
struct PgDialect;

static POSTGRES: PgDialect = PgDialect;

/// The triggers by which PostgreSQL refuses to change the ledger, or to append out of order.
const TRIGGERS: &[&str] = &[
    "events_append_only",
    "events_no_truncate",
    "events_in_order",
    "tlog_hashes_append_only",
    "tlog_hashes_no_truncate",
    "checkpoints_append_only",
    "checkpoints_no_truncate",
];

impl Dialect for PgDialect {
    fn name(&self) -> &'static str {
        "postgres"
    }

    /// Serialisable against the sequencer: a conflicting transaction fails and is not acknowledged.
    fn begin_write(&self) -> &'static str {
        "BEGIN ISOLATION LEVEL SERIALIZABLE"
    }

    fn begin_snapshot(&self) -> &'static str {
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    }

    fn columns_sql(&self) -> &'static str {
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
    }

    fn ledger_triggers(&self) -> (&'static [&'static str], &'static str) {
        (TRIGGERS, "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'")
    }

    fn lacks(&self, haystack: &str, needle: &str) -> String {
        format!("strpos({haystack}, {needle}) = 0")
    }

    /// Each statement is a network round trip.
    fn batches_rows(&self) -> bool {
        true
    }

    fn continue_ids_sql(&self, table: &str) -> Option<String> {
        Some(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
    }

    fn unsearched(&self) -> &'static str {
        "r.id NOT IN (SELECT record_id FROM record_search)"
    }

    /// An ordinary table keyed by record, searched through a trigram index.
    fn write_search_row(&self, conn: &dyn Db, id: &str, text: &str) -> Result<()> {
        conn.exec(
            "INSERT INTO record_search (record_id, body) VALUES ($1, $2)
             ON CONFLICT (record_id) DO UPDATE SET body = excluded.body",
            &[&id, &text],
        )?;
        Ok(())
    }
}

//! Where the store keeps its tables (issue 7): SQLite in the data directory (the embedded default)
//! or a PostgreSQL database named by its URL. The sequencer and long reads ask a [`Backend`] for
//! a synchronous connection and speak the one SQL of [`crate::sql`]; this module opens those
//! connections and begins the sequencer's write transaction (its turn among the server processes
//! on PostgreSQL). The async pools and the migrations are opened in `lib.rs`; differences of SQL
//! are named in `dialect.rs`.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Column, ConnectOptions, Row as _, TypeInfo};

use crate::sql::{Cell, Db, Dialect, Kind, Param, Row, Value};
use crate::{Result, StoreError};

/// Where the tables are.
#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite {
        path: PathBuf,
    },
    Postgres {
        options: Box<PgConnectOptions>,
        /// This process's name in the sequencer's lease.
        holder: String,
    },
}

/// A synchronous connection of either backend.
pub(crate) type SyncDb = Box<dyn Db + Send>;

impl Backend {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Backend::Sqlite { .. } => Dialect::Sqlite,
            Backend::Postgres { .. } => Dialect::Postgres,
        }
    }

    /// How many connections the async pools hold: (that may write, that read). SQLite has one
    /// writer at a time whatever the pool; PostgreSQL serves many.
    pub(crate) fn pool_sizes(&self) -> (usize, usize) {
        match self {
            Backend::Sqlite { .. } => (1, 4),
            Backend::Postgres { .. } => (4, 8),
        }
    }

    /// A synchronous connection that may write: the sequencer's, or maintenance's.
    pub(crate) fn writer(&self) -> Result<SyncDb> {
        match self {
            Backend::Sqlite { path, .. } => Ok(Box::new(crate::open_write_connection(path)?)),
            Backend::Postgres { options, holder } => Ok(Box::new(PgDb::connect(options, holder.clone())?)),
        }
    }

    /// A synchronous connection for long reads off the async threads (reports, verification).
    pub(crate) fn reader(&self) -> Result<SyncDb> {
        match self {
            Backend::Sqlite { path, .. } => Ok(Box::new(sqlite_read_connection(path)?)),
            Backend::Postgres { .. } => self.writer(),
        }
    }
}

fn sqlite_read_connection(path: &Path) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(30))?;
    // Pages mapped rather than copied: long reads go straight through.
    conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
    Ok(conn)
}

/// The advisory lock whose holder (for a transaction) is the sequencer among the server processes
/// sharing one PostgreSQL database.
const SEQUENCER_LOCK_KEY: i64 = i64::from_be_bytes(*b"liuhenSQ");

/// A PostgreSQL connection driven synchronously, for the sequencer's thread and maintenance.
pub(crate) struct PgDb {
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

impl PgDb {
    pub(crate) fn connect(options: &PgConnectOptions, holder: String) -> Result<PgDb> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let conn = runtime.block_on(options.connect())?;
        Ok(PgDb { conn: RefCell::new(Some(conn)), runtime: Some(runtime), holder })
    }

    /// Drive `work` on this connection to its end.
    fn drive<T>(
        &self,
        work: impl AsyncFnOnce(&mut sqlx::PgConnection) -> std::result::Result<T, sqlx::Error>,
    ) -> Result<T> {
        let mut conn = self.conn.borrow_mut();
        match (conn.as_mut(), self.runtime.as_ref()) {
            (Some(conn), Some(runtime)) => Ok(runtime.block_on(work(conn))?),
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
    let cell = match type_name.as_str() {
        "INT8" => row.try_get::<Option<i64>, _>(i)?.map(Cell::Int),
        "INT4" => row.try_get::<Option<i32>, _>(i)?.map(|v| Cell::Int(v.into())),
        "INT2" => row.try_get::<Option<i16>, _>(i)?.map(|v| Cell::Int(v.into())),
        "BOOL" => row.try_get::<Option<bool>, _>(i)?.map(|v| Cell::Int(v.into())),
        "FLOAT8" => row.try_get::<Option<f64>, _>(i)?.map(Cell::Real),
        "FLOAT4" => row.try_get::<Option<f32>, _>(i)?.map(|v| Cell::Real(v.into())),
        "TEXT" | "VARCHAR" | "NAME" | "BPCHAR" => row.try_get::<Option<String>, _>(i)?.map(Cell::Text),
        "BYTEA" => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Cell::Blob),
        other => {
            return Err(StoreError::Internal(format!(
                "column {i} is of PostgreSQL type {other}, which the store does not read (cast it to BIGINT or TEXT)"
            )));
        }
    };
    Ok(cell.unwrap_or(Cell::Null))
}

impl Db for PgDb {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
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
                epoch = self
                    .one(
                        "UPDATE sequencer_lease SET epoch = epoch + 1, holder = $1, since = $2 RETURNING epoch",
                        &[&self.holder, &crate::ts(crate::now())],
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

/// Whether a database URL names PostgreSQL.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub(crate) fn sqlite(path: PathBuf) -> Backend {
    Backend::Sqlite { path }
}

/// The PostgreSQL database at `url`.
pub(crate) fn postgres(url: &str) -> Result<Backend> {
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
    Ok(Backend::Postgres {
        options: Box::new(options),
        holder: format!("{host}:{}:{}", std::process::id(), uuid::Uuid::new_v4()),
    })
}

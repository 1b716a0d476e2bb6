//! The store on SQLite, the embedded default (docs/architecture.md): one database file in the data
//! directory, in WAL mode with every commit on disk before it is acknowledged. This crate gives
//! the store ([`liuhen_store::Backend`]) its connections, its schema (`migrations/`, a history of
//! steps, applied at open) and the [`Dialect`] of SQLite's SQL. The ledger's append-only guards are
//! triggers made by the migrations.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use liuhen_store::backend::{Backend, SyncDb};
use liuhen_store::dialect::Dialect;
use liuhen_store::sql::{Cell, Db, DbExt, Param, Row, Value};
use liuhen_store::{Result, StoreError};

/// A store's tables in the SQLite database file `path`.
pub struct SqliteBackend {
    path: PathBuf,
}

impl SqliteBackend {
    /// The database `liuhen.db` of the data directory `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> SqliteBackend {
        SqliteBackend { path: data_dir.join("liuhen.db") }
    }

    /// The database file at `path`.
    pub fn at(path: PathBuf) -> SqliteBackend {
        SqliteBackend { path }
    }

    fn read_connection(&self) -> Result<SqliteDb> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(database)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(database)?;
        // Pages mapped rather than copied: long reads go straight through.
        conn.pragma_update(None, "mmap_size", 1i64 << 30).map_err(database)?;
        Ok(SqliteDb(conn))
    }

    /// A connection that may write, with the guarantees every writer keeps: WAL, every commit on
    /// disk before it is acknowledged (synchronous=FULL), foreign keys, and patience with other
    /// writers.
    fn write_connection(&self) -> Result<SqliteDb> {
        let open = || -> rusqlite::Result<rusqlite::Connection> {
            let conn = rusqlite::Connection::open(&self.path)?;
            conn.busy_timeout(Duration::from_secs(30))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            conn.set_prepared_statement_cache_capacity(64);
            Ok(conn)
        };
        open().map(SqliteDb).map_err(database)
    }
}

impl Backend for SqliteBackend {
    fn dialect(&self) -> &'static dyn Dialect {
        &SQLITE
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    /// One writer at a time whatever the pool; a few readers beside it.
    fn pool_sizes(&self) -> (usize, usize) {
        (1, 4)
    }

    fn writer(&self) -> Result<SyncDb> {
        Ok(Box::new(self.write_connection()?))
    }

    fn reader(&self) -> Result<SyncDb> {
        Ok(Box::new(self.read_connection()?))
    }

    fn file(&self) -> Option<&Path> {
        Some(&self.path)
    }

    fn exists(&self) -> Result<bool> {
        Ok(self.path.exists())
    }

    fn prepare_schema(&self) -> Result<()> {
        use sqlx::{ConnectOptions, Connection};
        if let Some(dir) = self.path.parent() {
            liuhen_store::create_private_dir(dir)?;
        }
        // SQLite gives the -wal and -shm files the database file's mode.
        liuhen_store::create_private_file(&self.path)?;
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&self.path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(30));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async {
            let mut conn = options.connect().await.map_err(StoreError::database)?;
            sqlx::migrate!("./migrations").run(&mut conn).await.map_err(StoreError::database)?;
            conn.close().await.map_err(StoreError::database)
        })
    }

    /// On a copy of the database in a directory of its own, without journal or fsync (nobody
    /// else writes it), removed afterwards.
    fn aside(&self, work: &mut dyn FnMut(&dyn Db) -> Result<()>) -> Result<()> {
        let scratch = std::env::temp_dir().join(format!("liuhen-aside-{}", uuid::Uuid::new_v4()));
        liuhen_store::create_private_dir(&scratch)?;
        let copy = scratch.join("copy.db");
        let result = (|| {
            self.snapshot_into(&copy)?;
            let conn = rusqlite::Connection::open(&copy).map_err(database)?;
            conn.pragma_update(None, "journal_mode", "OFF").map_err(database)?;
            conn.pragma_update(None, "synchronous", "OFF").map_err(database)?;
            let conn = SqliteDb(conn);
            work(&conn)?;
            conn.rollback()
        })();
        let _ = std::fs::remove_dir_all(&scratch);
        result
    }

    /// `VACUUM INTO`: the database as of one moment, written while others go on writing.
    fn snapshot_into(&self, path: &Path) -> Result<bool> {
        let path = path.to_string_lossy();
        self.read_connection()?.exec("VACUUM INTO $1", &[&&*path as &dyn Param])?;
        Ok(true)
    }
}

/// A SQLite connection through which the store reads and writes.
pub struct SqliteDb(rusqlite::Connection);

impl SqliteDb {
    /// An open connection (a test's in-memory database).
    pub fn new(conn: rusqlite::Connection) -> SqliteDb {
        SqliteDb(conn)
    }
}

impl Db for SqliteDb {
    fn dialect(&self) -> &'static dyn Dialect {
        &SQLITE
    }

    fn begin(&self) -> Result<()> {
        self.0.execute_batch("BEGIN IMMEDIATE").map_err(database)
    }

    fn exec(&self, sql: &str, params: &[&dyn Param]) -> Result<u64> {
        let values: Vec<Bound<'_>> = params.iter().map(|p| Bound(p.value())).collect();
        let mut statement = self.0.prepare_cached(&sqlite_sql(sql)).map_err(database)?;
        let changed = statement.execute(rusqlite::params_from_iter(values)).map_err(database)?;
        Ok(changed as u64)
    }

    fn each(&self, sql: &str, params: &[&dyn Param], f: &mut dyn FnMut(Row) -> Result<()>) -> Result<()> {
        let values: Vec<Bound<'_>> = params.iter().map(|p| Bound(p.value())).collect();
        let mut statement = self.0.prepare_cached(&sqlite_sql(sql)).map_err(database)?;
        let names: std::sync::Arc<[String]> = statement.column_names().into_iter().map(String::from).collect();
        let mut rows = statement.query(rusqlite::params_from_iter(values)).map_err(database)?;
        while let Some(row) = rows.next().map_err(database)? {
            let cells =
                (0..names.len()).map(|i| row.get_ref(i).map_err(database).and_then(cell)).collect::<Result<_>>()?;
            f(Row::new(cells, names.clone()))?;
        }
        Ok(())
    }
}

/// SQLite's error as the store's: a full disk (SQLITE_FULL) is said as such, so the server can
/// answer it plainly instead of as an internal error.
fn database(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => StoreError::StorageFull(e.to_string()),
        _ => StoreError::database(e),
    }
}

/// A parameter as SQLite binds it.
struct Bound<'a>(Value<'a>);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null(_) => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(i),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn cell(value: rusqlite::types::ValueRef<'_>) -> Result<Cell> {
    use rusqlite::types::ValueRef;
    Ok(match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Int(i),
        ValueRef::Real(r) => Cell::Real(r),
        ValueRef::Text(t) => {
            Cell::Text(String::from_utf8(t.to_vec()).map_err(|e| StoreError::Internal(format!("stored text: {e}")))?)
        }
        ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
    })
}

/// `$n` placeholders in SQLite's own spelling (`?n`), which binds them by number whatever their
/// order in the text.
fn sqlite_sql(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '$' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// SQLite's spellings.
struct SqliteDialect;

static SQLITE: SqliteDialect = SqliteDialect;

/// The triggers by which SQLite refuses to change the ledger (migrations/0001 and 0002).
const TRIGGERS: &[&str] = &[
    "events_refuse_update",
    "events_refuse_delete",
    "tlog_hashes_refuse_update",
    "tlog_hashes_refuse_delete",
    "checkpoints_refuse_update",
    "checkpoints_refuse_delete",
];

impl Dialect for SqliteDialect {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    /// The write lock at once, not at the first write.
    fn begin_write(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    fn begin_snapshot(&self) -> &'static str {
        "BEGIN"
    }

    fn columns_sql(&self) -> &'static str {
        "SELECT name, type FROM pragma_table_info($1) ORDER BY cid"
    }

    fn ledger_triggers(&self) -> (&'static [&'static str], &'static str) {
        (TRIGGERS, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }

    fn lacks(&self, haystack: &str, needle: &str) -> String {
        format!("instr({haystack}, {needle}) = 0")
    }

    /// On SQLite's own connection a cached statement costs microseconds, and one a row is fastest.
    fn batches_rows(&self) -> bool {
        false
    }

    /// Rowids go on after the largest by themselves.
    fn continue_ids_sql(&self, _table: &str) -> Option<String> {
        None
    }

    /// The index's rows take the rowid of their record's row.
    fn unsearched(&self) -> &'static str {
        "r.rowid NOT IN (SELECT rowid FROM record_search)"
    }

    /// The search index is an FTS5 table whose rows take the rowid of the record's `records` row,
    /// so that replacing one is a lookup, not a scan of the index (`record_id` is not indexed in
    /// an FTS5 table).
    fn write_search_row(&self, conn: &dyn Db, id: &str, text: &str) -> Result<()> {
        let rowid: i64 = conn.scalar("SELECT rowid FROM records WHERE id = $1", &[&id])?;
        conn.exec("DELETE FROM record_search WHERE rowid = $1", &[&rowid])?;
        conn.exec("INSERT INTO record_search (rowid, record_id, body) VALUES ($1, $2, $3)", &[&rowid, &id, &text])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_placeholders_become_sqlites_own_and_quoted_text_is_left_alone() {
        assert_eq!(sqlite_sql("SELECT 1"), "SELECT 1");
        assert_eq!(sqlite_sql("UPDATE t SET a = $2 WHERE id = $1"), "UPDATE t SET a = ?2 WHERE id = ?1");
        assert_eq!(
            sqlite_sql("SELECT json_extract(x, '$.a$1') FROM t WHERE y = $1"),
            "SELECT json_extract(x, '$.a$1') FROM t WHERE y = ?1"
        );
    }

    #[test]
    fn parameters_bind_by_number_and_rows_read_back_typed_and_by_name() {
        let conn = SqliteDb::new(rusqlite::Connection::open_in_memory().unwrap());
        conn.exec("CREATE TABLE t (id INTEGER, name TEXT, flag INTEGER, data BLOB)", &[]).unwrap();
        let none: Option<String> = None;
        conn.exec("INSERT INTO t (data, flag, name, id) VALUES ($4, $3, $2, $1)", &[&7i64, &none, &true, &[1u8, 2]])
            .unwrap();
        let row = conn.one("SELECT id, name, flag, data FROM t WHERE id = $1", &[&7i64]).unwrap();
        assert_eq!(row.get::<i64>(0).unwrap(), 7);
        assert_eq!(row.get::<Option<String>>("name").unwrap(), None);
        assert!(row.get::<bool>("flag").unwrap());
        assert_eq!(row.get::<Vec<u8>>(3).unwrap(), vec![1, 2]);
        assert!(row.get::<String>(0).is_err(), "an integer is not read as text");
        assert!(row.get::<i64>("missing").is_err(), "a column the row lacks is an error");
        assert!(conn.row("SELECT id FROM t WHERE id = $1", &[&8i64]).unwrap().is_none());
    }

    #[test]
    fn a_snapshot_and_work_aside_leave_the_database_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let backend = SqliteBackend::in_data_dir(dir.path());
        assert!(!backend.exists().unwrap());
        backend.prepare_schema().unwrap();
        assert!(backend.exists().unwrap());
        let count = |db: &dyn Db| db.scalar::<i64>("SELECT COUNT(*) FROM courts", &[]).unwrap();
        backend
            .aside(&mut |db| {
                db.begin()?;
                db.exec(
                    "INSERT INTO courts (id, name, level, case_code) VALUES ('x', '示例法院', 'basic', 'X1')",
                    &[],
                )?;
                assert_eq!(count(db), 1);
                Ok(())
            })
            .unwrap();
        assert_eq!(count(&*backend.reader().unwrap()), 0, "the work aside changed nothing");
        let copy = dir.path().join("copy.db");
        assert!(backend.snapshot_into(&copy).unwrap());
        assert_eq!(count(&*SqliteBackend::at(copy).reader().unwrap()), 0);
    }
}

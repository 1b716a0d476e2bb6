//! The differences of SQL between the two databases, each named once (issue 18): code that reads
//! or writes through a `Db` asks its connection's [`Dialect`] for the spelling it needs instead of
//! matching on it. Opening connections and the sequencer's turn are in `backend.rs`; the pools,
//! migrations and where a backup goes in `lib.rs`.

use crate::Result;
use crate::sql::{Db, DbExt, args};

/// Which SQL dialect a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// The triggers by which SQLite refuses to change the ledger.
const SQLITE_TRIGGERS: &[&str] = &[
    "events_refuse_update",
    "events_refuse_delete",
    "tlog_hashes_refuse_update",
    "tlog_hashes_refuse_delete",
    "checkpoints_refuse_update",
    "checkpoints_refuse_delete",
];

/// The triggers by which PostgreSQL refuses to change the ledger, or to append out of order.
const POSTGRES_TRIGGERS: &[&str] = &[
    "events_append_only",
    "events_no_truncate",
    "events_in_order",
    "tlog_hashes_append_only",
    "tlog_hashes_no_truncate",
    "checkpoints_append_only",
    "checkpoints_no_truncate",
];

impl Dialect {
    /// The backend's name, as `liuhen` reports it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// How a write outside the sequencer begins on a pooled connection: at once (SQLite), or
    /// serialisable against the sequencer (PostgreSQL).
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        }
    }

    /// How a transaction that reads the database as of one moment begins.
    pub(crate) fn begin_snapshot(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        }
    }

    /// The columns of table `$1` with their declared types, in order.
    pub(crate) fn columns_sql(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
            Dialect::Postgres => {
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
            }
        }
    }

    /// The guard triggers the ledger must have, and the query listing those present and enabled.
    pub(crate) fn ledger_triggers(self) -> (&'static [&'static str], &'static str) {
        match self {
            Dialect::Sqlite => (SQLITE_TRIGGERS, "SELECT name FROM sqlite_master WHERE type = 'trigger'"),
            Dialect::Postgres => {
                (POSTGRES_TRIGGERS, "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'")
            }
        }
    }

    /// SQL that is true when the text `needle` does not occur in the text `haystack`.
    pub(crate) fn lacks(self, haystack: &str, needle: &str) -> String {
        match self {
            Dialect::Sqlite => format!("instr({haystack}, {needle}) = 0"),
            Dialect::Postgres => format!("strpos({haystack}, {needle}) = 0"),
        }
    }

    /// Whether each statement costs a network round trip, so that many rows go in few statements.
    /// On SQLite's own connection a cached statement costs microseconds, and one a row is fastest.
    pub(crate) fn batches_rows(self) -> bool {
        match self {
            Dialect::Sqlite => false,
            Dialect::Postgres => true,
        }
    }

    /// After rows were copied in with their ids, the statement that makes `table`'s identity
    /// column go on after the largest (SQLite's rowids need none).
    pub(crate) fn continue_ids_sql(self, table: &str) -> Option<String> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id)
                   FROM {table}), 0) + 1, false)"
            )),
        }
    }

    /// Write a record's row of the search index. SQLite's is an FTS5 table whose rows take the
    /// rowid of the record's `records` row, so that replacing one is a lookup, not a scan of the
    /// index (`record_id` is not indexed in an FTS5 table); PostgreSQL's is an ordinary table keyed
    /// by record, searched through a trigram index.
    pub(crate) fn write_search_row(self, conn: &dyn Db, id: &str, text: &str) -> Result<()> {
        match self {
            Dialect::Sqlite => {
                let rowid: i64 = conn.scalar("SELECT rowid FROM records WHERE id = $1", args![id])?;
                conn.exec("DELETE FROM record_search WHERE rowid = $1", args![rowid])?;
                conn.exec(
                    "INSERT INTO record_search (rowid, record_id, body) VALUES ($1, $2, $3)",
                    args![rowid, id, text],
                )?;
            }
            Dialect::Postgres => {
                conn.exec(
                    "INSERT INTO record_search (record_id, body) VALUES ($1, $2)
                     ON CONFLICT (record_id) DO UPDATE SET body = excluded.body",
                    args![id, text],
                )?;
            }
        }
        Ok(())
    }
}

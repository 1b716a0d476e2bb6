//! The differences of SQL between databases, each named once (issue 18): code that reads or writes
//! through a [`Db`] asks its connection's [`Dialect`] for the spelling it needs. Each backend crate
//! implements it for its database; the store never asks which one it is on.

use crate::Result;
use crate::sql::Db;

/// The SQL spellings of one database.
pub trait Dialect: Sync {
    /// The backend's name, as `liuhen` reports it (`sqlite`, `postgres`).
    fn name(&self) -> &'static str;

    /// How a write outside the sequencer begins on a pooled connection, safe against another
    /// writer between its reads and its writes.
    fn begin_write(&self) -> &'static str;

    /// How a transaction that reads the database as of one moment begins.
    fn begin_snapshot(&self) -> &'static str;

    /// The columns of table `$1` with their declared types, in order.
    fn columns_sql(&self) -> &'static str;

    /// The guard triggers the ledger must have, and the query listing those present and enabled.
    fn ledger_triggers(&self) -> (&'static [&'static str], &'static str);

    /// SQL that is true when the text `needle` does not occur in the text `haystack`.
    fn lacks(&self, haystack: &str, needle: &str) -> String;

    /// Whether each statement costs a network round trip, so that many rows go in few statements.
    fn batches_rows(&self) -> bool;

    /// After rows were copied in with their ids, the statement that makes `table`'s identity
    /// column go on after the largest, if the database needs one.
    fn continue_ids_sql(&self, table: &str) -> Option<String>;

    /// SQL that is true for a record `r` that has no row in the search index yet.
    fn unsearched(&self) -> &'static str;

    /// Write a record's row of the search index.
    fn write_search_row(&self, conn: &dyn Db, id: &str, text: &str) -> Result<()>;
}

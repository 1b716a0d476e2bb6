//! The storage interface the store needs of a database (issue 18). Each backend crate implements
//! [`Backend`] — `liuhen-store-sqlite` (the embedded default, a file in the data directory) and
//! `liuhen-store-pg` (a PostgreSQL database) — with its connections, its schema and migrations,
//! its way of taking the sequencer's turn, and the [`Dialect`](crate::dialect::Dialect) of its
//! SQL. The store is given one when it opens and never asks which it is.

use std::path::Path;

use crate::Result;
use crate::dialect::Dialect;
use crate::sql::Db;

/// A synchronous connection of some backend.
pub type SyncDb = Box<dyn Db + Send>;

/// Where a store keeps its tables.
pub trait Backend: Send + Sync + 'static {
    /// The SQL spellings of this database.
    fn dialect(&self) -> &'static dyn Dialect;

    /// Where, for messages (a URL without its password, a file's path).
    fn describe(&self) -> String;

    /// How many connections the async pools hold: (that may write, that read).
    fn pool_sizes(&self) -> (usize, usize);

    /// A connection that may write: the sequencer's (its `begin` takes the sequencer's turn), or
    /// maintenance's.
    fn writer(&self) -> Result<SyncDb>;

    /// A connection for reads.
    fn reader(&self) -> Result<SyncDb>;

    /// The file that holds the tables, for a database embedded in the data directory.
    fn file(&self) -> Option<&Path>;

    /// Whether a store's tables are there already.
    fn exists(&self) -> Result<bool>;

    /// Make the schema, or bring it up to date, without writing anything else. It may block.
    fn prepare_schema(&self) -> Result<()>;

    /// Run `work` on a connection whose changes are all thrown away afterwards (the query tables
    /// rebuilt beside the live ones, to compare). Writers may wait meanwhile; readers do not.
    fn aside(&self, work: &mut dyn FnMut(&dyn Db) -> Result<()>) -> Result<()>;

    /// Copy the whole database as of one moment into the new, empty database file `path` of the
    /// embedded format, if this backend can do so itself; `false` when the tables must be copied
    /// one by one instead.
    fn snapshot_into(&self, path: &Path) -> Result<bool>;
}

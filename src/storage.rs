//! Where a store's tables are, and opening it there (issue 18): the one place that knows the
//! backends. A data directory's SQLite database (`liuhen-store-sqlite`, the embedded default) or
//! a PostgreSQL database named by its URL (`liuhen-store-pg`); the store itself (`liuhen-store`)
//! is handed a [`Backend`] and never asks which.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use liuhen_store::verify::{VerifyOptions, VerifyReport};
use liuhen_store::{Backend, CopyCounts, Result, Store, StoreConfig, StoreError};
use liuhen_store_pg::{PgBackend, is_postgres_url};
use liuhen_store_sqlite::SqliteBackend;

/// Where a store's tables are: the SQLite database of a data directory, or a PostgreSQL database.
/// Materials and keys are in the data directory either way.
#[derive(Debug, Clone)]
pub struct Location {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
}

impl Location {
    /// The backend holding this location's tables; a URL of another database is refused, naming
    /// the field.
    pub fn backend(&self) -> Result<Arc<dyn Backend>> {
        backend_for(&self.data_dir, self.database_url.as_deref())
    }

    /// Where, for messages (a URL without its password).
    pub fn describe(&self) -> String {
        match self.backend() {
            Ok(backend) => backend.describe(),
            Err(_) => "(数据库地址无法识别 / an unreadable database URL)".into(),
        }
    }
}

/// The backend of the tables at `database_url`, or of the data directory's SQLite database.
pub fn backend_for(data_dir: &Path, database_url: Option<&str>) -> Result<Arc<dyn Backend>> {
    match database_url.filter(|u| !u.is_empty()) {
        None => Ok(Arc::new(SqliteBackend::in_data_dir(data_dir))),
        Some(url) if is_postgres_url(url) => Ok(Arc::new(PgBackend::new(url)?)),
        Some(other) => Err(StoreError::invalid(liuhen_rules::Problem::new(
            "database_url",
            "S11",
            "unsupported",
            format!("数据库地址须以 postgres:// 开头（不填则使用数据目录中的 SQLite）：{other}"),
            format!(
                "the database URL must begin with postgres:// (leave it out for SQLite in the data directory): {other}"
            ),
        ))),
    }
}

/// Open the store `config` describes: its tables where `config.database_url` says.
pub async fn open(config: StoreConfig) -> Result<Store> {
    let backend = backend_for(&config.data_dir, config.database_url.as_deref())?;
    Store::open(config, backend).await
}

/// A consistent copy of the running store's data directory in `target`, its tables in SQLite
/// there (see [`Store::backup_to`]).
pub async fn backup(store: &Store, target: &Path) -> Result<(i64, u64)> {
    store.backup_to(target, Arc::new(SqliteBackend::in_data_dir(target))).await
}

/// Copy the tables of the store at `from` into a new, empty store at `to`
/// ([`liuhen_store::copy_store`]).
pub async fn copy_store(
    from: &Location,
    to: &Location,
    progress: impl FnMut(&str, u64) + Send + 'static,
) -> Result<CopyCounts> {
    liuhen_store::copy_store(from.backend()?, to.backend()?, progress).await
}

/// Verify the store whose materials and keys are in `options.data_dir` and whose tables are at
/// `database_url` (or in the data directory). It may take minutes: call it where blocking is
/// allowed.
pub fn verify_data_dir(
    options: &VerifyOptions,
    database_url: Option<&str>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<VerifyReport> {
    let backend = backend_for(&options.data_dir, database_url)?;
    liuhen_store::verify::verify_store(&*backend, options, progress)
}

/// Verify only the ledger of the PostgreSQL database at `database_url` against `verifier_keys`
/// ([`liuhen_store::verify::verify_ledger`]).
pub fn verify_ledger(
    database_url: &str,
    verifier_keys: Vec<String>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<VerifyReport> {
    let backend = PgBackend::new(database_url)?;
    liuhen_store::verify::verify_ledger(&backend, verifier_keys, progress)
}

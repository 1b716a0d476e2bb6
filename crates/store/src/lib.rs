//! Storage: the append-only event table, the projections rebuilt from it, courts, users and
//! sessions, and the content-addressed material store. SQLite is the embedded default.
//!
//! Events are written through one connection (one writer, docs/architecture.md), the sequencer's own
//! synchronous one: every command checks the current state, appends its event and updates the
//! projections in one write transaction (`Db::begin`: SQLite's `BEGIN IMMEDIATE`, PostgreSQL's
//! sequencer turn), so a crash leaves either all of it or none of it. Reads, and administration that is not yet in the ledger, go through pools of the same
//! synchronous connections (`pool.rs`), one statement or unit of work on a blocking thread.

mod account_changes;
pub mod accountability;
mod admin;
mod audit;
pub mod backend;
pub(crate) mod commands;
mod config;
mod copy;
pub mod dialect;
mod drafts;
pub mod duties;
mod error;
mod ledger;
mod materials;
mod permissions;
mod pool;
mod projection;
mod records;
pub mod reports;
mod sequencer;
pub mod sql;
mod tree;
mod users;
pub mod verify;
pub mod witness;

use std::path::Path;
use std::sync::Arc;

pub use admin::Admin;
pub use audit::AuditEntry;
pub use backend::Backend;
pub use config::{Policy, StoreConfig};
pub use copy::{CopyCounts, carries_over};
pub use drafts::Draft;
pub use duties::{Approval, Change, Decision};
pub use error::{Result, StoreError};
pub use ledger::{SignedCheckpoint, all_verifier_keys, promote_key, rotate_key};
pub use liuhen_ledger::receipt::{Extension, Receipt};
pub use materials::{MaterialStore, StoredObject};
pub use records::{
    CosignatureView, Created, LedgerPosition, MaterialView, Page, RecordFilter, RecordSort, RecordSummary, RecordView,
    VersionView, ViewEntry,
};
pub use sql::{Cell, FromCell};
pub use users::{Account, ApiToken, Court, NewCourt, NewUser, TotpEnrolment, User};

pub struct Store {
    backend: Arc<dyn Backend>,
    sequencer: sequencer::Sequencer,
    log_key: std::sync::Arc<ledger::LogKeys>,
    witness_key: liuhen_ledger::cosignature::WitnessKey,
    /// Connections that may write, for what is written outside the sequencer (sessions, witness
    /// state); and connections for reads. Both speak the sequencer's own [`sql::Db`].
    writer: pool::Pool,
    reader: pool::Pool,
    materials: MaterialStore,
    sessions: users::SessionCache,
    login_throttle: users::LoginThrottle,
    /// The permission matrix in force: the configured one once it is recorded in the ledger —
    /// with the security administrator's approval when the two-person rule holds (issue 17).
    matrix: std::sync::RwLock<std::sync::Arc<liuhen_rules::PermissionMatrix>>,
    config: StoreConfig,
}

impl Store {
    /// Open (creating if needed) the store with its tables in `backend` and its materials and
    /// keys in `config.data_dir`, and bring its schema up to date.
    pub async fn open(config: StoreConfig, backend: Arc<dyn Backend>) -> Result<Store> {
        create_private_dir(&config.data_dir)?;
        warn_if_shared(&config.data_dir);
        prepare_schema(&backend).await?;
        let (writers, readers) = backend.pool_sizes();
        let writer = pool::Pool::new(backend.clone(), pool::Access::Write, writers)?;
        let reader = pool::Pool::new(backend.clone(), pool::Access::Read, readers)?;
        let materials = MaterialStore::open(&config.data_dir.join("materials"))?;
        let newest = reader.row("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1", vec![]).await?;
        let newest: Option<Vec<u8>> = newest.map(|row| row.get(0)).transpose()?;
        let log_key = std::sync::Arc::new(ledger::load_or_create_keys(&config, newest.as_deref())?);
        let witness_key = witness::load_or_create_witness_key(&config)?;
        let sequencer = sequencer::Sequencer::start(backend.clone(), log_key.clone(), config.batch_linger).await?;
        let store = Store {
            backend,
            sequencer,
            log_key,
            witness_key,
            writer,
            reader,
            materials,
            sessions: Default::default(),
            login_throttle: Default::default(),
            matrix: std::sync::RwLock::new(std::sync::Arc::new(config.permissions.clone())),
            config,
        };
        store.settle_permissions().await?;
        let derived = store.with_db(projection::fill_backlog).await?;
        if derived > 0 {
            tracing::info!("{derived} records added to the search index and the reports' facts");
        }
        Ok(store)
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Whether `user`'s role holds `permission` (deny by default).
    /// Whether `user` may do `permission`: their role holds it and, when they act through an API
    /// token, the token's scopes include it (deny by default).
    pub fn permits(&self, user: &User, permission: liuhen_rules::Permission) -> bool {
        self.permissions().permits(user.role, permission)
            && user.scopes.as_ref().is_none_or(|scopes| scopes.contains(&permission))
    }

    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    pub fn materials(&self) -> &MaterialStore {
        &self.materials
    }

    /// Close the pools so that every connection checkpoints and releases the files.
    pub async fn close(&self) {
        self.writer.close();
        self.reader.close();
    }

    /// A consistent copy of the data directory in `target` (which must not hold a database yet),
    /// taken while the server runs: the database as of one moment, then every material file it
    /// refers to. Materials never change once written, so copying them after the snapshot is
    /// safe. Returns (events, material files copied). The copy's tables go into `into`, a database
    /// file in `target`: the backend's own snapshot where it makes one (SQLite's `VACUUM INTO`);
    /// otherwise (PostgreSQL) its tables as of one moment (one read transaction), the query tables
    /// derived again there.
    pub async fn backup_to(&self, target: &Path, into: Arc<dyn Backend>) -> Result<(i64, u64)> {
        let Some(db_file) = into.file().map(Path::to_path_buf) else {
            return Err(StoreError::Internal("a backup's tables go into a database file".into()));
        };
        create_private_dir(target)?;
        let target_db = into.clone();
        if pool::blocking(move || target_db.exists()).await? {
            return Err(StoreError::conflict(
                format!("{} 已有数据库，请换一个空目录", target.display()),
                format!("{} already holds a database; choose an empty directory", target.display()),
            ));
        }
        let (from, to) = (self.backend.clone(), into.clone());
        pool::blocking(move || {
            // The snapshot is written into an empty file made first, which keeps the mode given here.
            create_private_file(&db_file)?;
            if !from.snapshot_into(&db_file)? {
                to.prepare_schema()?;
                copy::copy_tables(&*from.reader()?, &*to.writer()?, &mut |_, _| {})?;
            }
            Ok(())
        })
        .await?;
        let (events, hashes) = pool::blocking(move || {
            use sql::DbExt;
            let snap = into.reader()?;
            let events: i64 = snap.scalar("SELECT COUNT(*) FROM events", &[])?;
            let hashes = snap
                .rows("SELECT DISTINCT sha256 FROM materials", &[])?
                .iter()
                .map(|r| r.get::<String>(0))
                .collect::<Result<Vec<_>>>()?;
            Ok((events, hashes))
        })
        .await?;
        // The signing keys go along, so a restored log can go on signing; keep backups as safe as
        // the keys. (A key kept elsewhere with `log_key_file` stays where it is.)
        for entry in std::fs::read_dir(&self.config.data_dir)? {
            let from = entry?.path();
            let name = from.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
            if name.ends_with(".key") && (name.starts_with("log-signing") || name == "witness-signing.key") {
                std::fs::copy(&from, target.join(&name))?;
                make_private(&target.join(&name))?;
            }
        }
        let copy = MaterialStore::open(&target.join("materials"))?;
        let mut copied = 0;
        for sha in hashes {
            let to = copy.file_path(&sha);
            if !to.exists() {
                create_private_dir(to.parent().expect("nested path"))?;
                std::fs::copy(self.materials.file_path(&sha), &to)?;
                make_private(&to)?;
                copied += 1;
            }
        }
        Ok((events, copied))
    }

    /// Run `f` on a fresh synchronous connection that may write, off the async threads
    /// (maintenance: rebuilding and digesting the query tables).
    async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn sql::Db) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let backend = self.backend.clone();
        pool::blocking(move || f(&*backend.writer()?)).await
    }

    /// Which database holds the tables: `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.dialect().name()
    }

    /// Direct access for tests that must show what the database itself refuses: run `sql` with
    /// `params` on a connection that may write, and return its rows. Built only with the
    /// `testing` feature, which the server binary does not have.
    #[cfg(feature = "testing")]
    pub async fn sql_for_tests(&self, sql: &str, params: Vec<Cell>) -> Result<Vec<Vec<Cell>>> {
        let params = params.iter().map(sql::Owned::from_cell).collect();
        Ok(self.writer.rows(sql, params).await?.into_iter().map(|r| r.cells).collect())
    }
}

/// Make the schema of `backend`, or bring it up to date, off the async threads.
async fn prepare_schema(backend: &Arc<dyn Backend>) -> Result<()> {
    let backend = backend.clone();
    pool::blocking(move || backend.prepare_schema()).await
}

/// Copy the tables of the store at `from` into a new, empty store at `to` (issue 7, `liuhen
/// migrate-store`): every event, stored hash, checkpoint, account and setting as they are, the
/// query tables derived again from the events at the target. Materials and keys stay in the data
/// directory (the same directory serves both). Stop the servers first: a store that is written
/// meanwhile is copied as of the moment the copy began.
pub async fn copy_store(
    from: Arc<dyn Backend>,
    to: Arc<dyn Backend>,
    mut progress: impl FnMut(&str, u64) + Send + 'static,
) -> Result<CopyCounts> {
    let source = from.clone();
    if !pool::blocking(move || source.exists()).await? {
        return Err(StoreError::not_found(
            format!("{} 中没有留痕的数据", from.describe()),
            format!("there is no liuhen store in {}", from.describe()),
        ));
    }
    prepare_schema(&from).await?;
    prepare_schema(&to).await?;
    pool::blocking(move || copy::copy_tables(&*from.reader()?, &*to.writer()?, &mut progress)).await
}

/// Make `dir` and any missing directories above it readable by their owner only (0700): the data
/// directory holds the register's contents and the signing keys (issue 17: they were made with
/// the process's umask). A directory that already exists is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Make an empty file readable by its owner only (0600) unless it exists already.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Restrict a file written by someone else's code (a copy, the object store) to its owner (0600).
pub(crate) fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A data directory that others may enter (made by hand or by an older version) is worth a warning.
fn warn_if_shared(dir: &Path) {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(dir) {
        let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
        if mode & 0o077 != 0 {
            tracing::warn!(
                dir = %dir.display(),
                mode = format!("{:o}", mode & 0o777),
                "the data directory is open to other users; chmod 700 it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

pub(crate) fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

pub(crate) fn ts(t: time::OffsetDateTime) -> String {
    liuhen_rules::period::format_utc(t)
}

pub(crate) fn parse_ts(s: &str) -> Result<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| StoreError::Internal(format!("bad stored time {s}: {e}")))
}

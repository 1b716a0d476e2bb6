//! The Merkle tree in the database: stored hashes appended with each event, checkpoints signed
//! once per committed batch, and the reads that serve tiles and proofs.

use liuhen_ledger::tlog::{self, Hash, with_hashes};

use crate::ledger::LogKeys;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::{Result, StoreError, now, ts};

impl From<tlog::TreeError> for StoreError {
    fn from(e: tlog::TreeError) -> Self {
        StoreError::Internal(format!("Merkle tree: {e}"))
    }
}

/// Read stored hashes by index; every one must exist.
pub(crate) async fn read_hashes<'c, E: sqlx::SqliteExecutor<'c>>(db: E, indexes: &[u64]) -> Result<Vec<Hash>> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT idx, hash FROM tlog_hashes WHERE idx IN (");
    let mut sep = q.separated(", ");
    for i in indexes {
        sep.push_bind(i64::try_from(*i).map_err(|e| StoreError::Internal(e.to_string()))?);
    }
    q.push(")");
    let rows = q.build().fetch_all(db).await?;
    let mut found = std::collections::HashMap::with_capacity(rows.len());
    for r in rows {
        let idx: i64 = r.try_get(0)?;
        let bytes: Vec<u8> = r.try_get(1)?;
        found.insert(
            idx as u64,
            tlog::hash_from_slice(&bytes)
                .ok_or_else(|| StoreError::Internal(format!("stored hash {idx} has the wrong length")))?,
        );
    }
    indexes
        .iter()
        .map(|i| found.get(i).copied().ok_or_else(|| StoreError::Internal(format!("stored hash {i} is missing"))))
        .collect()
}

/// The sequencer's view of the tree during one batch: the next index and the pending subtrees,
/// read once at the start, so appending an event costs no read; the new stored hashes are written
/// in a few multi-row statements at the end of the batch.
pub(crate) struct Appender<'a> {
    pub extra_regions: &'a [String],
    /// Rows of this batch's events and new records, written at the end of the batch (or before
    /// anything reads them).
    pub pending: crate::projection::Pending,
    tree: tlog::TreeBuilder,
    hashes: Vec<(u64, Hash)>,
}

impl<'a> Appender<'a> {
    pub(crate) async fn start(conn: &mut SqliteConnection, extra_regions: &'a [String]) -> Result<Appender<'a>> {
        let size: i64 =
            sqlx::query("SELECT COALESCE(MAX(seq) + 1, 0) FROM events").fetch_one(&mut *conn).await?.try_get(0)?;
        Appender::start_at(conn, size as u64, extra_regions).await
    }

    /// Go on from a tree of `size` leaves whose stored hashes are in the database.
    pub(crate) async fn start_at(
        conn: &mut SqliteConnection,
        size: u64,
        extra_regions: &'a [String],
    ) -> Result<Appender<'a>> {
        let frontier = read_hashes(&mut *conn, &tlog::TreeBuilder::frontier_indexes(size)).await?;
        let tree = tlog::TreeBuilder::from_frontier(size, &frontier)
            .ok_or_else(|| StoreError::Internal("tree frontier".into()))?;
        Ok(Appender { extra_regions, pending: Default::default(), tree, hashes: Vec::new() })
    }

    /// The index the next event gets.
    pub(crate) fn next_index(&self) -> u64 {
        self.tree.size()
    }

    /// Add the leaf of the event at `next_index()`.
    pub(crate) fn push(&mut self, leaf: Hash) {
        let first = tlog::stored_hash_index(0, self.tree.size());
        for (i, h) in self.tree.push(leaf).into_iter().enumerate() {
            self.hashes.push((first + i as u64, h));
        }
    }

    pub(crate) fn root(&self) -> Hash {
        self.tree.root()
    }

    /// Write the batch's stored hashes.
    pub(crate) async fn flush(&mut self, conn: &mut SqliteConnection) -> Result<()> {
        for chunk in self.hashes.chunks(400) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT INTO tlog_hashes (idx, hash) ");
            q.push_values(chunk, |mut row, (idx, h)| {
                row.push_bind(*idx as i64).push_bind(h.0.to_vec());
            });
            q.build().execute(&mut *conn).await?;
        }
        self.hashes.clear();
        Ok(())
    }
}

/// The root hash of the first `size` entries.
pub(crate) async fn tree_hash<'c, E: sqlx::SqliteExecutor<'c>>(db: E, size: u64) -> Result<Hash> {
    with_hashes(|r| tlog::tree_hash(size, r), |idx| async move { read_hashes(db, &idx).await }).await
}

/// Sign a checkpoint for the tree as it now stands, unless the latest one already covers it. The
/// new tree must extend the latest signed one (a consistency proof is computed and checked): the
/// log never signs a checkpoint inconsistent with an earlier one.
pub(crate) async fn sign_checkpoint(conn: &mut SqliteConnection, keys: &LogKeys) -> Result<Option<(u64, Hash)>> {
    let size: i64 =
        sqlx::query("SELECT COALESCE(MAX(seq) + 1, 0) FROM events").fetch_one(&mut *conn).await?.try_get(0)?;
    let size = size as u64;
    let latest =
        sqlx::query("SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let latest = match latest {
        Some(r) => Some((
            r.try_get::<i64, _>(0)? as u64,
            tlog::hash_from_slice(&r.try_get::<Vec<u8>, _>(1)?)
                .ok_or_else(|| StoreError::Internal("checkpoint root length".into()))?,
        )),
        None => None,
    };
    if size == 0 || latest.is_some_and(|(s, _)| s >= size) {
        return Ok(None);
    }
    let root = tree_hash(&mut *conn, size).await?;
    if let Some((old_size, old_root)) = latest {
        let proof = with_hashes(
            |r| tlog::prove_tree(size, old_size, r),
            |idx| {
                let conn = &mut *conn;
                async move { read_hashes(conn, &idx).await }
            },
        )
        .await?;
        tlog::check_tree(&proof, size, root, old_size, old_root).map_err(|e| {
            StoreError::Internal(format!(
                "refusing to sign: the tree of {size} entries does not extend the signed checkpoint of {old_size}: {e}"
            ))
        })?;
    }
    let note = keys.sign(size, &root).map_err(|e| StoreError::Internal(e.to_string()))?;
    sqlx::query("INSERT INTO checkpoints (size, root, note, at) VALUES (?, ?, ?, ?)")
        .bind(size as i64)
        .bind(&root.0[..])
        .bind(&note)
        .bind(ts(now()))
        .execute(&mut *conn)
        .await?;
    Ok(Some((size, root)))
}

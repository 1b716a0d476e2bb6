//! The Merkle tree in the database: stored hashes appended with each event, checkpoints signed
//! once per committed batch, and the reads that serve tiles and proofs.

use liuhen_ledger::tlog::{self, Hash};

use crate::ledger::LogKeys;

use crate::sql::{Db, DbExt, Param, args};
use crate::{Result, StoreError, now, ts};

impl From<tlog::TreeError> for StoreError {
    fn from(e: tlog::TreeError) -> Self {
        StoreError::Internal(format!("Merkle tree: {e}"))
    }
}

/// Read stored hashes by index; every one must exist.
pub(crate) async fn read_hashes(pool: &crate::pool::Pool, indexes: &[u64]) -> Result<Vec<Hash>> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = crate::sql::Builder::new("SELECT idx, hash FROM tlog_hashes WHERE idx IN (");
    for (n, i) in indexes.iter().enumerate() {
        q.push(if n == 0 { "" } else { ", " });
        q.push_bind(i64::try_from(*i).map_err(|e| StoreError::Internal(e.to_string()))?);
    }
    q.push(")");
    let rows = pool.rows_of(q).await?;
    let mut found = std::collections::HashMap::with_capacity(rows.len());
    for r in rows {
        let idx: i64 = r.get(0)?;
        let bytes: Vec<u8> = r.get(1)?;
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

/// Stored hashes read on the sequencer's own connection, for `tlog_tiles`.
pub(crate) struct WriterHashes<'c>(pub &'c dyn Db);

impl tlog::HashReader for WriterHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog::TreeError> {
        let fail = |e: &dyn std::fmt::Display| tlog::TreeError::InvalidInput(format!("stored hash: {e}"));
        let hash = |i: u64, bytes: &[u8]| {
            tlog::hash_from_slice(bytes).ok_or_else(|| fail(&format!("{i} has the wrong length")))
        };
        if !self.0.dialect().batches_rows() || indexes.len() < 2 {
            // A cached statement a hash costs microseconds on SQLite's own connection.
            return indexes
                .iter()
                .map(|i| {
                    let bytes: Vec<u8> = self
                        .0
                        .scalar("SELECT hash FROM tlog_hashes WHERE idx = $1", args![*i as i64])
                        .map_err(|e| fail(&e))?;
                    hash(*i, &bytes)
                })
                .collect();
        }
        // Over the network, one round trip for all of them.
        let wanted: Vec<i64> = indexes.iter().map(|i| *i as i64).collect();
        let placeholders: Vec<String> = (1..=wanted.len()).map(|n| format!("${n}")).collect();
        let params: Vec<&dyn Param> = wanted.iter().map(|i| i as &dyn Param).collect();
        let rows = self
            .0
            .rows(&format!("SELECT idx, hash FROM tlog_hashes WHERE idx IN ({})", placeholders.join(", ")), &params)
            .map_err(|e| fail(&e))?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let idx: i64 = row.get(0).map_err(|e| fail(&e))?;
            found.insert(idx as u64, row.get::<Vec<u8>>(1).map_err(|e| fail(&e))?);
        }
        indexes.iter().map(|i| hash(*i, found.get(i).ok_or_else(|| fail(&format!("{i} is missing")))?)).collect()
    }
}

/// The number of events in the log, as the writer sees it.
pub(crate) fn log_size(conn: &dyn Db) -> Result<u64> {
    let size: i64 = conn.scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM events", args![])?;
    Ok(size as u64)
}

/// The sequencer's view of the tree during one batch: the next index and the pending subtrees,
/// read once at the start, so appending an event costs no read; the new stored hashes are written
/// at the end of the batch.
pub(crate) struct Appender {
    tree: tlog::TreeBuilder,
    hashes: Vec<(u64, Hash)>,
    /// The time of the log's last entry: no entry is stamped earlier (`stamp`).
    last_at: Option<time::OffsetDateTime>,
    /// Whether this batch has said that the clock is behind (once a batch is enough).
    said_behind: bool,
}

impl Appender {
    /// Go on from the log as it stands: its last entry (index and time) read in one statement,
    /// since the sequencer starts every batch here.
    pub(crate) fn start(conn: &dyn Db) -> Result<Appender> {
        match conn.row("SELECT seq, at FROM events ORDER BY seq DESC LIMIT 1", args![])? {
            Some(last) => {
                let at = crate::parse_ts(&last.get::<String>(1)?)?;
                Appender::with_frontier(conn, last.get::<i64>(0)? as u64 + 1, Some(at))
            }
            None => Appender::with_frontier(conn, 0, None),
        }
    }

    /// Go on from a tree of `size` leaves whose stored hashes are in the database.
    pub(crate) fn start_at(conn: &dyn Db, size: u64) -> Result<Appender> {
        let last_at = match size.checked_sub(1) {
            Some(last) => match conn.row("SELECT at FROM events WHERE seq = $1", args![last as i64])? {
                Some(row) => Some(crate::parse_ts(&row.get::<String>(0)?)?),
                None => None,
            },
            None => None,
        };
        Appender::with_frontier(conn, size, last_at)
    }

    fn with_frontier(conn: &dyn Db, size: u64, last_at: Option<time::OffsetDateTime>) -> Result<Appender> {
        let frontier = tlog::HashReader::read_hashes(&WriterHashes(conn), &tlog::TreeBuilder::frontier_indexes(size))?;
        let tree = tlog::TreeBuilder::from_frontier(size, &frontier)
            .ok_or_else(|| StoreError::Internal("tree frontier".into()))?;
        Ok(Appender { tree, hashes: Vec::new(), last_at, said_behind: false })
    }

    /// The time to stamp the next entry with: the clock's, or the last entry's when the clock
    /// has gone back behind it (a clock set back by hand or by a bad time server), so that the
    /// log's times never run backwards. Said in the server's log once a batch.
    pub(crate) fn stamp(&mut self, clock: time::OffsetDateTime) -> time::OffsetDateTime {
        let at = match self.last_at {
            Some(last) if clock < last => {
                if !self.said_behind {
                    self.said_behind = true;
                    tracing::warn!(
                        behind_ms = (last - clock).whole_milliseconds() as i64,
                        "the clock is behind the log's last entry; entries are stamped with the last entry's time"
                    );
                }
                last
            }
            _ => clock,
        };
        self.last_at = Some(at);
        at
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
    pub(crate) fn flush(&mut self, conn: &dyn Db) -> Result<()> {
        if !conn.dialect().batches_rows() {
            for (idx, h) in self.hashes.drain(..) {
                conn.exec("INSERT INTO tlog_hashes (idx, hash) VALUES ($1, $2)", args![idx as i64, h.0])?;
            }
            return Ok(());
        }
        // Over the network, a few statements of many rows each.
        let hashes: Vec<(i64, [u8; 32])> = self.hashes.drain(..).map(|(i, h)| (i as i64, h.0)).collect();
        for chunk in hashes.chunks(1000) {
            let values: Vec<String> = (0..chunk.len()).map(|n| format!("(${}, ${})", 2 * n + 1, 2 * n + 2)).collect();
            let params: Vec<&dyn Param> = chunk.iter().flat_map(|(i, h)| [i as &dyn Param, h as &dyn Param]).collect();
            conn.exec(&format!("INSERT INTO tlog_hashes (idx, hash) VALUES {}", values.join(", ")), &params)?;
        }
        Ok(())
    }
}

/// Sign a checkpoint for the tree as it now stands, unless the latest one already covers it. The
/// new tree must extend the latest signed one (a consistency proof is computed and checked): the
/// log never signs a checkpoint inconsistent with an earlier one.
pub(crate) fn sign_checkpoint(conn: &dyn Db, keys: &LogKeys) -> Result<Option<(u64, Hash)>> {
    let size = log_size(conn)?;
    let latest = match conn.row("SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1", args![])? {
        Some(row) => Some((
            row.get::<i64>(0)? as u64,
            tlog::hash_from_slice(&row.get::<Vec<u8>>(1)?)
                .ok_or_else(|| StoreError::Internal("checkpoint root length".into()))?,
        )),
        None => None,
    };
    if size == 0 || latest.is_some_and(|(s, _)| s >= size) {
        return Ok(None);
    }
    let hashes = WriterHashes(conn);
    let root = tlog::tree_hash(size, &hashes)?;
    if let Some((old_size, old_root)) = latest {
        let proof = tlog::prove_tree(size, old_size, &hashes)?;
        tlog::check_tree(&proof, size, root, old_size, old_root).map_err(|e| {
            StoreError::Internal(format!(
                "refusing to sign: the tree of {size} entries does not extend the signed checkpoint of {old_size}: {e}"
            ))
        })?;
    }
    let note = keys.sign(size, &root).map_err(|e| StoreError::Internal(e.to_string()))?;
    conn.exec(
        "INSERT INTO checkpoints (size, root, note, at) VALUES ($1, $2, $3, $4)",
        args![size as i64, root.0, note, ts(now())],
    )?;
    Ok(Some((size, root)))
}

//! One sequencer among several server processes: the advisory lock says who, the lease's epoch
//! fences whoever lost it (R1: no gap, no duplicate, no fork).

use std::collections::HashMap;

use liuhen_ledger::tlog::{self, Hash, LogKey, TreeBuilder};
use liuhen_ledger::{Event, leaf_hash};
use liuhen_rules::period::format_utc;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, Row};

use crate::{PgError, Result};

/// The advisory-lock key the sequencer holds: the bytes of "liuhenSQ".
pub fn sequencer_lock_key() -> i64 {
    i64::from_be_bytes(*b"liuhenSQ")
}

/// What one append wrote: the index of its first event and the tree (and signed checkpoint) after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    pub first: u64,
    pub size: u64,
    pub root: Hash,
}

/// One stored event, as both backends keep it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: u64,
    pub entry: Vec<u8>,
    pub leaf_hash: Vec<u8>,
    pub kind: String,
    pub record_id: Option<String>,
    pub at: String,
}

/// One signed checkpoint, as both backends keep it.
#[derive(Debug, Clone)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Vec<u8>,
    pub note: Vec<u8>,
    pub at: String,
}

/// A stretch of a ledger written elsewhere: its events, the stored hashes they complete, and
/// the checkpoints signed over sizes within it.
#[derive(Debug, Clone, Default)]
pub struct LedgerChunk {
    pub events: Vec<StoredEvent>,
    pub hashes: Vec<(u64, Vec<u8>)>,
    pub checkpoints: Vec<StoredCheckpoint>,
}

/// This process, as the sequencer: its own session (which holds the lock for as long as it lives)
/// and the epoch it took over with.
pub struct Sequencer {
    conn: PgConnection,
    epoch: i64,
    keys: Vec<LogKey>,
    /// The tree after this sequencer's last append.
    tree: Option<TreeBuilder>,
}

/// The database's refusal of a stale epoch (SQLSTATE LH001, migrations/0001) as [`PgError::Fenced`].
fn fenced(e: sqlx::Error, epoch: i64) -> PgError {
    match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("LH001") => PgError::Fenced { ours: epoch },
        _ => PgError::Database(e),
    }
}

impl Sequencer {
    /// Wait until this process may be the sequencer, then take over: the advisory lock on a
    /// session of its own, and the lease's epoch raised by one. `holder` names the process in the
    /// lease (for operators); `keys` sign the checkpoints.
    pub async fn acquire(options: &PgConnectOptions, holder: &str, keys: Vec<LogKey>) -> Result<Sequencer> {
        let mut conn = options.connect().await?;
        // Blocks while another session holds it; PostgreSQL releases it when that session ends,
        // however it ends (a process killed, a connection cut).
        sqlx::query("SELECT pg_advisory_lock($1)").bind(sequencer_lock_key()).execute(&mut conn).await?;
        let epoch: i64 =
            sqlx::query_scalar("UPDATE sequencer_lease SET epoch = epoch + 1, holder = $1, since = $2 RETURNING epoch")
                .bind(holder)
                .bind(format_utc(time::OffsetDateTime::now_utc()))
                .fetch_one(&mut conn)
                .await?;
        Ok(Sequencer { conn, epoch, keys, tree: None })
    }

    /// The epoch this process took over with.
    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// The server process id of this sequencer's session (for operators, and for tests that cut it).
    pub async fn backend_pid(&mut self) -> Result<i32> {
        Ok(sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut self.conn).await?)
    }

    /// Copy a stretch of a ledger written elsewhere (the SQLite store) in one transaction, byte for
    /// byte: events, stored hashes and checkpoints as they were signed. The database checks order
    /// and epoch as for any append; [`crate::verify`] checks the whole afterwards.
    pub async fn import(&mut self, chunk: &LedgerChunk) -> Result<()> {
        self.tree = None;
        let epoch = self.epoch;
        let mut tx = self.conn.begin().await?;
        sqlx::query("SELECT set_config('liuhen.epoch', $1, true)").bind(epoch.to_string()).execute(&mut *tx).await?;
        write_chunk(&mut tx, chunk, epoch).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Append `entries` (canonical event bytes) in one transaction: the events at the next
    /// indexes, the stored hashes they complete, and a checkpoint signed over the new tree.
    /// Returns when it is committed. [`PgError::Fenced`] when another process has taken over.
    pub async fn append(&mut self, entries: &[Vec<u8>]) -> Result<Appended> {
        // The tree as this sequencer left it is kept between appends; any failure forgets it, and
        // the next append reads it from the database again.
        let cached = self.tree.take();
        let epoch = self.epoch;
        let mut tx = self.conn.begin().await?;
        // One round trip: the epoch for this transaction, the log's size, the last checkpoint.
        let (_, size, latest_size, latest_root): (String, i64, Option<i64>, Option<Vec<u8>>) = sqlx::query_as(
            "SELECT set_config('liuhen.epoch', $1, true), (SELECT coalesce(max(seq) + 1, 0) FROM events),
                    c.size, c.root
             FROM (SELECT 1) AS one LEFT JOIN (SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1) AS c ON true",
        )
        .bind(epoch.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let size = size as u64;
        let mut tree = match cached {
            Some(tree) if tree.size() == size => tree,
            _ => read_tree(&mut tx, size).await?,
        };
        // Never sign a tree that does not extend the last signed one: the tree this append builds
        // on must give the root the last checkpoint signed, at the same size.
        if let (Some(signed_size), Some(signed_root)) = (latest_size, latest_root)
            && (signed_size as u64 != size || signed_root != tree.root().0)
        {
            return Err(PgError::Tree(format!(
                "refusing to append: the log of {size} entries is not the tree the checkpoint of size {signed_size} signed"
            )));
        }

        let mut chunk = LedgerChunk::default();
        for entry in entries {
            let event = Event::decode(entry)?;
            let leaf = Hash(leaf_hash(entry));
            let seq = tree.size();
            let first = tlog::stored_hash_index(0, seq);
            chunk.hashes.extend(tree.push(leaf).into_iter().enumerate().map(|(i, h)| (first + i as u64, h.0.to_vec())));
            chunk.events.push(StoredEvent {
                seq,
                entry: entry.clone(),
                leaf_hash: leaf.0.to_vec(),
                kind: event.body.kind().to_string(),
                record_id: event.body.record_id().map(|id| id.to_string()),
                at: format_utc(event.at),
            });
        }
        let root = tree.root();
        let keys: Vec<&LogKey> = self.keys.iter().collect();
        let note = tlog::sign_checkpoint_with(&keys, tree.size(), &root).map_err(|e| PgError::Tree(e.to_string()))?;
        chunk.checkpoints.push(StoredCheckpoint {
            size: tree.size(),
            root: root.0.to_vec(),
            note,
            at: format_utc(time::OffsetDateTime::now_utc()),
        });
        write_chunk(&mut tx, &chunk, epoch).await?;
        tx.commit().await.map_err(|e| fenced(e, epoch))?;
        let appended = Appended { first: size, size: tree.size(), root };
        self.tree = Some(tree);
        Ok(appended)
    }
}

/// Write `chunk` as one statement — its events, the stored hashes they complete and its
/// checkpoints, arrays unnested — so a batch is one round trip; the database checks order and
/// `epoch` at the end of the statement.
async fn write_chunk(tx: &mut PgConnection, chunk: &LedgerChunk, epoch: i64) -> Result<()> {
    let (events, checkpoints) = (&chunk.events, &chunk.checkpoints);
    sqlx::query(
        "WITH appended AS (
             INSERT INTO events (seq, entry, leaf_hash, kind, record_id, at)
             SELECT * FROM UNNEST($1::bigint[], $2::bytea[], $3::bytea[], $4::text[], $5::text[], $6::text[])
             ORDER BY 1),
         hashed AS (
             INSERT INTO tlog_hashes (idx, hash) SELECT * FROM UNNEST($7::bigint[], $8::bytea[]))
         INSERT INTO checkpoints (size, root, note, at)
         SELECT * FROM UNNEST($9::bigint[], $10::bytea[], $11::bytea[], $12::text[])",
    )
    .bind(events.iter().map(|e| e.seq as i64).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.entry.as_slice()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.leaf_hash.as_slice()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.record_id.as_deref()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.at.as_str()).collect::<Vec<_>>())
    .bind(chunk.hashes.iter().map(|h| h.0 as i64).collect::<Vec<_>>())
    .bind(chunk.hashes.iter().map(|h| h.1.as_slice()).collect::<Vec<_>>())
    .bind(checkpoints.iter().map(|c| c.size as i64).collect::<Vec<_>>())
    .bind(checkpoints.iter().map(|c| c.root.as_slice()).collect::<Vec<_>>())
    .bind(checkpoints.iter().map(|c| c.note.as_slice()).collect::<Vec<_>>())
    .bind(checkpoints.iter().map(|c| c.at.as_str()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await
    .map_err(|e| fenced(e, epoch))?;
    Ok(())
}

/// The tree of `size` entries from its stored hashes (the frontier the next leaf joins).
async fn read_tree(tx: &mut PgConnection, size: u64) -> Result<TreeBuilder> {
    let wanted: Vec<i64> = TreeBuilder::frontier_indexes(size).into_iter().map(|i| i as i64).collect();
    let found: HashMap<i64, Vec<u8>> = sqlx::query("SELECT idx, hash FROM tlog_hashes WHERE idx = ANY($1)")
        .bind(&wanted)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<std::result::Result<_, sqlx::Error>>()?;
    let frontier: Vec<Hash> = wanted
        .iter()
        .map(|i| found.get(i).and_then(|h| tlog::hash_from_slice(h)))
        .collect::<Option<_>>()
        .ok_or_else(|| PgError::Tree(format!("stored hashes of the tree of {size} entries are missing")))?;
    TreeBuilder::from_frontier(size, &frontier)
        .ok_or_else(|| PgError::Tree(format!("the frontier of the tree of {size} entries")))
}

//! Moving a store between backends (issue 7, `liuhen migrate-store` to come): so far its ledger —
//! events, stored hashes and signed checkpoints, byte for byte — from a SQLite data directory into
//! an empty PostgreSQL database, then checked there against the source's checkpoint.

use std::path::Path;

use liuhen_ledger::tlog::stored_hash_index;
use liuhen_store_pg::{LedgerChunk, Sequencer, StoredCheckpoint, StoredEvent};
use sqlx::postgres::PgConnectOptions;

/// Events a transaction.
const CHUNK: i64 = 10_000;

/// What the copy did and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCopy {
    pub events: u64,
    pub checkpoints: u64,
    /// The newest checkpoint's root, the same on both sides.
    pub root_hex: String,
}

fn read_chunk(conn: &rusqlite::Connection, from: i64) -> anyhow::Result<LedgerChunk> {
    let events: Vec<StoredEvent> = conn
        .prepare_cached(
            "SELECT seq, entry, leaf_hash, kind, record_id, at FROM events WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?
        .query_map([from, CHUNK], |r| {
            Ok(StoredEvent {
                seq: r.get::<_, i64>(0)? as u64,
                entry: r.get(1)?,
                leaf_hash: r.get(2)?,
                kind: r.get(3)?,
                record_id: r.get(4)?,
                at: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let Some(last) = events.last().map(|e| e.seq as i64) else { return Ok(LedgerChunk::default()) };
    let range = [stored_hash_index(0, from as u64) as i64, stored_hash_index(0, last as u64 + 1) as i64];
    let hashes = conn
        .prepare_cached("SELECT idx, hash FROM tlog_hashes WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")?
        .query_map(range, |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let checkpoints = conn
        .prepare_cached("SELECT size, root, note, at FROM checkpoints WHERE size > ?1 AND size <= ?2 ORDER BY size")?
        .query_map([from, last + 1], |r| {
            Ok(StoredCheckpoint { size: r.get::<_, i64>(0)? as u64, root: r.get(1)?, note: r.get(2)?, at: r.get(3)? })
        })?
        .collect::<Result<_, _>>()?;
    Ok(LedgerChunk { events, hashes, checkpoints })
}

/// Copy the ledger of the SQLite store in `data_dir` into the empty PostgreSQL database at `to`
/// (migrated), as its sequencer (no server appends meanwhile), then verify the copy with the
/// source's verifier keys and compare its newest checkpoint with the source's. The source's
/// newest checkpoint is checked against the keys first: nothing is written if it does not verify.
pub async fn copy_ledger(data_dir: &Path, to: &PgConnectOptions, verifier_keys: &[&str]) -> anyhow::Result<LedgerCopy> {
    let source = rusqlite::Connection::open_with_flags(
        data_dir.join("liuhen.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // What the target's ledger cannot undo (it is append-only) is checked before anything is
    // written: the source's newest checkpoint is signed by one of the keys given.
    let (size, root, note): (i64, Vec<u8>, Vec<u8>) =
        source.query_row("SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let signed = liuhen_ledger::tlog::open_checkpoint_any(&note, verifier_keys).map_err(|e| {
        anyhow::anyhow!("the source's checkpoint of size {size} does not verify with the keys given: {e}")
    })?;
    anyhow::ensure!(
        signed.size() == size as u64 && signed.hash().0[..] == root[..],
        "the source's checkpoint of size {size} signs another tree"
    );
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_with(to.clone()).await?;
    liuhen_store_pg::migrate(&pool).await?;
    let present: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    anyhow::ensure!(present == 0, "the target already holds {present} events: the copy goes into an empty ledger only");

    // The copy signs nothing: it takes the lease only so that no server appends meanwhile.
    let mut sequencer = Sequencer::acquire(to, "migrate-store", Vec::new()).await?;
    let mut from = 0i64;
    loop {
        let chunk = read_chunk(&source, from)?;
        let Some(last) = chunk.events.last().map(|e| e.seq as i64) else { break };
        sequencer.import(&chunk).await?;
        from = last + 1;
    }
    drop(sequencer);

    let check = liuhen_store_pg::verify(&pool, verifier_keys).await?;
    anyhow::ensure!(
        check.faults.is_empty(),
        "the copy does not verify: {}",
        check.faults.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    );
    let (copied_size, copied_root): (i64, Vec<u8>) =
        sqlx::query_as("SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1").fetch_one(&pool).await?;
    anyhow::ensure!(
        (size, &root) == (copied_size, &copied_root) && check.size == size as u64,
        "the copy's newest checkpoint (size {copied_size}) is not the source's (size {size})"
    );
    Ok(LedgerCopy { events: check.size, checkpoints: check.checkpoints, root_hex: hex::encode(&root) })
}

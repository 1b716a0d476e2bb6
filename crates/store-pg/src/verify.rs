//! The check of a PostgreSQL ledger from its events alone: indexes without gap, each event
//! canonical, every stored hash and every signed checkpoint equal to what the events give.

use liuhen_ledger::tlog::{self, Hash, TreeBuilder, open_checkpoint_any};
use liuhen_ledger::{Event, leaf_hash};
use sqlx::{PgPool, Row};

use crate::Result;

/// What [`verify`] found. `faults` is empty when the ledger is whole.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LedgerCheck {
    pub size: u64,
    pub checkpoints: u64,
    pub faults: Vec<Fault>,
}

/// One thing wrong, in Chinese and in English.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fault {
    pub zh: String,
    pub en: String,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.zh, self.en)
    }
}

fn fault(zh: String, en: String) -> Fault {
    Fault { zh, en }
}

/// Re-derive the tree from the events and compare: every index from 0 with no gap, every event in
/// canonical form with its leaf hash, every stored hash, and every checkpoint's root and
/// signature (by one of `verifier_keys`).
pub async fn verify(pool: &PgPool, verifier_keys: &[&str]) -> Result<LedgerCheck> {
    let mut check = LedgerCheck::default();
    let checkpoints: Vec<(u64, Vec<u8>, Vec<u8>)> =
        sqlx::query("SELECT size, root, note FROM checkpoints ORDER BY size")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)? as u64, r.try_get(1)?, r.try_get(2)?)))
            .collect::<std::result::Result<_, sqlx::Error>>()?;
    let mut next_checkpoint = 0;
    let mut tree = TreeBuilder::default();
    let mut from = 0i64;
    loop {
        let rows = sqlx::query("SELECT seq, entry, leaf_hash FROM events WHERE seq >= $1 ORDER BY seq LIMIT 10000")
            .bind(from)
            .fetch_all(pool)
            .await?;
        let Some(last) = rows.last() else { break };
        from = last.try_get::<i64, _>(0)? + 1;
        let first_index = tlog::stored_hash_index(0, tree.size()) as i64;
        let last_index = tlog::stored_hash_index(0, from as u64) as i64;
        let stored: std::collections::HashMap<i64, Vec<u8>> =
            sqlx::query("SELECT idx, hash FROM tlog_hashes WHERE idx >= $1 AND idx < $2")
                .bind(first_index)
                .bind(last_index)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<std::result::Result<_, sqlx::Error>>()?;
        for row in rows {
            let seq = row.try_get::<i64, _>(0)? as u64;
            let entry: Vec<u8> = row.try_get(1)?;
            let leaf: Vec<u8> = row.try_get(2)?;
            if seq != tree.size() {
                check.faults.push(fault(
                    format!("缺少条目 {}：其后存有的是条目 {seq}", tree.size()),
                    format!("event {} is missing: the next stored is {seq}", tree.size()),
                ));
                return Ok(check);
            }
            if let Err(e) = Event::decode(&entry) {
                check.faults.push(fault(
                    format!("条目 {seq} 不是规范编码的事件：{e}"),
                    format!("event {seq} is not a canonical event: {e}"),
                ));
            }
            let computed = Hash(leaf_hash(&entry));
            if leaf != computed.0 {
                check.faults.push(fault(
                    format!("条目 {seq} 存的叶哈希与其内容不符"),
                    format!("event {seq}: its stored leaf hash is not its entry's"),
                ));
            }
            let index = tlog::stored_hash_index(0, seq);
            for (i, hash) in tree.push(computed).into_iter().enumerate() {
                let idx = (index + i as u64) as i64;
                if stored.get(&idx).map(Vec::as_slice) != Some(&hash.0[..]) {
                    check.faults.push(fault(
                        format!("Merkle 存储哈希 {idx}（条目 {seq} 之后）与重新计算的不符"),
                        format!("stored hash {idx} (after event {seq}) differs from the recomputed one"),
                    ));
                }
            }
            while next_checkpoint < checkpoints.len() && checkpoints[next_checkpoint].0 == tree.size() {
                let (size, root, note) = &checkpoints[next_checkpoint];
                let recomputed = tree.root();
                if root.as_slice() != recomputed.0 {
                    check.faults.push(fault(
                        format!("大小为 {size} 的检查点记载的根哈希与重新计算的不符"),
                        format!("the checkpoint of size {size} records another root"),
                    ));
                }
                match open_checkpoint_any(note, verifier_keys) {
                    Ok(cp) if cp.size() == *size && cp.hash().0 == recomputed.0 => {}
                    Ok(_) => check.faults.push(fault(
                        format!("大小为 {size} 的检查点签署的不是这棵树"),
                        format!("the checkpoint of size {size} signs another tree"),
                    )),
                    Err(e) => check.faults.push(fault(
                        format!("大小为 {size} 的检查点签名无效：{e}"),
                        format!("the checkpoint of size {size} does not verify: {e}"),
                    )),
                }
                next_checkpoint += 1;
                check.checkpoints += 1;
            }
        }
    }
    check.size = tree.size();
    if next_checkpoint < checkpoints.len() {
        let beyond = checkpoints.len() - next_checkpoint;
        check.faults.push(fault(
            format!("有 {beyond} 个检查点的大小超出日志的 {} 个条目（条目被删除）", tree.size()),
            format!("{beyond} checkpoints are of sizes beyond the log's {} events (events were removed)", tree.size()),
        ));
    }
    Ok(check)
}

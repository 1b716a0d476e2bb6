//! Receipts (回执): the recorder's offline proof that an event is in the log, and when (S8, S9
//! protect the recorder). A receipt holds the event's bytes, a signed checkpoint and the RFC 6962
//! inclusion proof; an extension (a newer checkpoint with a consistency proof) shows that the log
//! still contains it later. Checking needs nothing but the log's public key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::tlog::{self, Hash, open_checkpoint};
use crate::{Event, leaf_hash};

pub const RECEIPT_FORMAT: &str = "liuhen-receipt/v1 (RFC 6962 inclusion proof; c2sp.org/tlog-checkpoint signed note)";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    /// What this is, for whoever finds the file.
    pub format: String,
    pub origin: String,
    /// The log's public key (`name+id+base64`). Compare it with the key the court publishes.
    pub verifier_key: String,
    /// Index of the event in the log.
    pub index: u64,
    /// The event's canonical bytes, base64: what was recorded, salt included.
    pub entry: String,
    /// SHA-256(0x00 ‖ entry), hex.
    pub leaf_hash: String,
    /// A signed checkpoint whose tree contains the event.
    pub checkpoint: String,
    /// RFC 6962 inclusion proof of `index` in that checkpoint's tree, base64 hashes.
    pub inclusion_proof: Vec<String>,
}

/// A newer checkpoint and the proof that it extends an older tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Extension {
    pub from_size: u64,
    pub checkpoint: String,
    pub consistency_proof: Vec<String>,
}

/// What a verified receipt shows.
#[derive(Debug, Clone)]
pub struct ReceiptCheck {
    pub index: u64,
    pub checkpoint_size: u64,
    pub event: Event,
    /// The size of the newer tree the extension proved, if one was given.
    pub extended_to: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("回执中的检查点签名无效或密钥不符 (the checkpoint's signature does not verify with this key): {0}")]
    Checkpoint(String),
    #[error("回执中的条目与其叶哈希不符 (the entry does not match its leaf hash)")]
    LeafMismatch,
    #[error(
        "包含证明不成立：该条目不在检查点的树中 (the inclusion proof fails: the entry is not in the checkpoint's tree)"
    )]
    NotIncluded,
    #[error("一致性证明不成立：新检查点不是旧检查点的延续 (the newer checkpoint does not extend the receipt's one)")]
    NotExtended,
    #[error("扩展证明针对的是大小 {0} 的树，但回执的检查点大小为 {1} (the extension starts from another tree size)")]
    WrongBase(u64, u64),
    #[error("回执格式有误 (malformed receipt): {0}")]
    Malformed(String),
}

fn hashes(list: &[String]) -> Result<Vec<Hash>, ReceiptError> {
    list.iter()
        .map(|s| {
            BASE64
                .decode(s)
                .ok()
                .and_then(|b| tlog::hash_from_slice(&b))
                .ok_or_else(|| ReceiptError::Malformed(format!("hash {s}")))
        })
        .collect()
}

/// Check a receipt against the log's public key and, optionally, a newer checkpoint.
pub fn verify_receipt(
    receipt: &Receipt,
    verifier_key: &str,
    extension: Option<&Extension>,
) -> Result<ReceiptCheck, ReceiptError> {
    let checkpoint = open_checkpoint(receipt.checkpoint.as_bytes(), verifier_key)
        .map_err(|e| ReceiptError::Checkpoint(e.to_string()))?;
    let entry = BASE64.decode(&receipt.entry).map_err(|e| ReceiptError::Malformed(e.to_string()))?;
    let leaf = leaf_hash(&entry);
    if hex::encode(leaf) != receipt.leaf_hash {
        return Err(ReceiptError::LeafMismatch);
    }
    let proof = hashes(&receipt.inclusion_proof)?;
    tlog::check_record(&proof, checkpoint.size(), *checkpoint.hash(), receipt.index, Hash(leaf))
        .map_err(|_| ReceiptError::NotIncluded)?;
    let event = Event::decode(&entry).map_err(|e| ReceiptError::Malformed(e.to_string()))?;
    let extended_to = match extension {
        None => None,
        Some(ext) => {
            if ext.from_size != checkpoint.size() {
                return Err(ReceiptError::WrongBase(ext.from_size, checkpoint.size()));
            }
            let newer = open_checkpoint(ext.checkpoint.as_bytes(), verifier_key)
                .map_err(|e| ReceiptError::Checkpoint(e.to_string()))?;
            let proof = hashes(&ext.consistency_proof)?;
            if newer.size() != checkpoint.size() || newer.hash() != checkpoint.hash() {
                tlog::check_tree(&proof, newer.size(), *newer.hash(), checkpoint.size(), *checkpoint.hash())
                    .map_err(|_| ReceiptError::NotExtended)?;
            }
            Some(newer.size())
        }
    };
    Ok(ReceiptCheck { index: receipt.index, checkpoint_size: checkpoint.size(), event, extended_to })
}

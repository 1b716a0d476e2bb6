//! The log as others read it: the signing key, signed checkpoints, hash tiles and entry bundles
//! (c2sp.org/tlog-tiles), inclusion and consistency proofs, and the recorder's receipt.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use liuhen_ledger::receipt::{Extension, RECEIPT_FORMAT, Receipt};
use liuhen_ledger::tlog::{self, Hash, LogKey, TILE_HEIGHT, TILE_WIDTH, with_hashes};
use serde::{Deserialize, Serialize};

use crate::sql::{Db, DbExt, args};

use crate::sql::params;
use crate::tree::{read_hashes, sign_checkpoint};
use crate::{Result, Store, StoreConfig, StoreError, User};

pub(crate) fn key_path(config: &StoreConfig) -> PathBuf {
    config.policy.log_key_file.clone().unwrap_or_else(|| config.data_dir.join("log-signing.key"))
}

/// The log's active signing keys: the current one and, during a rotation, the next one, which
/// signs alongside it (docs/ledger.md: key rotation without a flag day).
pub struct LogKeys {
    pub(crate) active: Vec<LogKey>,
}

impl LogKeys {
    pub(crate) fn primary(&self) -> &LogKey {
        &self.active[0]
    }

    pub(crate) fn sign(&self, size: u64, root: &Hash) -> std::result::Result<Vec<u8>, tlog::TlogError> {
        let keys: Vec<&LogKey> = self.active.iter().collect();
        tlog::sign_checkpoint_with(&keys, size, root)
    }

    pub fn verifier_keys(&self) -> Vec<String> {
        self.active.iter().map(|k| k.verifier_key().to_string()).collect()
    }
}

/// The key files of a data directory: current, next (during a rotation) and retired ones.
pub fn key_files(config: &StoreConfig) -> (PathBuf, PathBuf) {
    let current = key_path(config);
    let next = current.with_file_name("log-signing.next.key");
    (current, next)
}

fn read_key(path: &std::path::Path) -> Result<LogKey> {
    let unusable = |zh: String, en: String| StoreError::SigningKey { path: path.display().to_string(), zh, en };
    let text = std::fs::read_to_string(path)
        .map_err(|e| unusable(format!("文件无法读取（{e}）"), format!("the file cannot be read ({e})")))?;
    LogKey::from_private(&text)
        .map_err(|e| unusable(format!("不是有效的签名私钥（{e}）"), format!("not a signing key ({e})")))
}

/// Every verifier key the data directory has had (current, next, retired), for checking old
/// checkpoints after a rotation.
pub fn all_verifier_keys(config: &StoreConfig) -> Result<Vec<String>> {
    let (current, next) = key_files(config);
    let mut keys = Vec::new();
    for path in [current.clone(), next] {
        if path.exists() {
            keys.push(read_key(&path)?.verifier_key().to_string());
        }
    }
    if let Some(dir) = current.parent() {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with("log-signing.retired-") && name.ends_with(".key") {
                keys.push(read_key(&path)?.verifier_key().to_string());
            }
        }
    }
    Ok(keys)
}

/// Start a rotation: make the next key, which signs alongside the current one from the next start.
pub fn rotate_key(config: &StoreConfig) -> Result<String> {
    let (current, next) = key_files(config);
    let origin = read_key(&current)?.origin().to_string();
    if next.exists() {
        return Err(StoreError::conflict(
            "已有一把新密钥在轮换中；先完成（promote）它",
            "a rotation is already under way; promote it first",
        ));
    }
    let (key, private) = LogKey::generate(&origin).map_err(|e| StoreError::Internal(e.to_string()))?;
    write_secret(&next, &private)?;
    Ok(key.verifier_key().to_string())
}

/// Finish a rotation: the next key becomes the current one; the old one is kept, retired, so old
/// checkpoints can still be checked.
pub fn promote_key(config: &StoreConfig) -> Result<String> {
    let (current, next) = key_files(config);
    if !next.exists() {
        return Err(StoreError::conflict("没有正在轮换的新密钥；先运行 rotate", "no rotation under way; rotate first"));
    }
    let old = read_key(&current)?;
    let id = old.verifier_key().split('+').nth(1).unwrap_or("old").to_string();
    std::fs::rename(&current, current.with_file_name(format!("log-signing.retired-{id}.key")))?;
    std::fs::rename(&next, &current)?;
    Ok(read_key(&current)?.verifier_key().to_string())
}

/// Load the log's signing keys, or make the first one on first start (the file is readable by
/// its owner only). A log that has signed checkpoints (`newest` is the newest one's note) never
/// gets a new key this way, nor another one: a key file that is missing, unreadable, or holds a
/// key that did not sign the newest checkpoint stops the start, since signing on would give the
/// log another identity. The remedy is the file from the backup.
pub(crate) fn load_or_create_keys(config: &StoreConfig, newest: Option<&[u8]>) -> Result<LogKeys> {
    let (current, next) = key_files(config);
    let primary = load_or_create_key(config, newest.is_some())?;
    let mut active = vec![primary];
    if next.exists() && current.exists() {
        let next = read_key(&next)?;
        if next.origin() != active[0].origin() {
            return Err(StoreError::Internal("the next log key carries another origin".into()));
        }
        active.push(next);
    }
    let keys = LogKeys { active };
    if let Some(note) = newest {
        let verifiers = keys.verifier_keys();
        let refs: Vec<&str> = verifiers.iter().map(String::as_str).collect();
        if tlog::open_checkpoint_any(note, &refs).is_err() {
            return Err(StoreError::SigningKey {
                path: current.display().to_string(),
                zh: "不是签署本日志最新检查点的密钥（可能被换成了别处的密钥）；请从备份恢复原来的密钥文件".into(),
                en: "it is not the key that signed this log's newest checkpoint (it may have been replaced); restore the original file from the backup".into(),
            });
        }
    }
    Ok(keys)
}

fn load_or_create_key(config: &StoreConfig, log_signed: bool) -> Result<LogKey> {
    let path = key_path(config);
    // `try_exists`, not `exists`: a file that cannot even be looked at is not a missing one.
    if path.try_exists().unwrap_or(true) {
        return read_key(&path);
    }
    if log_signed {
        return Err(StoreError::SigningKey {
            path: path.display().to_string(),
            zh: "文件不存在，而账本已有用它签名的检查点；请从备份恢复该文件（不会另生成新密钥）".into(),
            en: "the file is missing while the log has checkpoints it signed; restore it from the backup (no new key is made)"
                .into(),
        });
    }
    let (key, private) =
        LogKey::generate(&config.policy.log_origin).map_err(|e| StoreError::Internal(e.to_string()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_secret(&path, &private)?;
    tracing::info!(path = %path.display(), verifier_key = key.verifier_key(), "made a new log signing key");
    Ok(key)
}

/// Write a private key to a new file readable by its owner only.
pub(crate) fn write_secret(path: &std::path::Path, private: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(format!("{private}\n").as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Bring the Merkle tree and the checkpoints up to the events (a data directory written before
/// the ledger existed, or a tree extended by hand), then sign a checkpoint for it.
pub(crate) fn catch_up(conn: &dyn Db, key: &LogKeys) -> Result<()> {
    crate::sql::in_transaction(conn, |db| catch_up_in(db, key))
}

/// `catch_up` inside the caller's transaction.
fn catch_up_in(db: &dyn Db, key: &LogKeys) -> Result<()> {
    let events: i64 = db.scalar("SELECT COUNT(*) FROM events", args![])?;
    let hashes: i64 = db.scalar("SELECT COUNT(*) FROM tlog_hashes", args![])?;
    let mut covered = 0u64;
    while covered < events as u64 && tlog::stored_hash_count(covered + 1) <= hashes as u64 {
        covered += 1;
    }
    if covered < events as u64 {
        let mut appender = crate::tree::Appender::start_at(db, covered)?;
        // In slices, so that a long log is not held in memory at once.
        let mut n = covered;
        loop {
            let rows =
                db.rows("SELECT leaf_hash FROM events WHERE seq >= $1 ORDER BY seq LIMIT 10000", args![n as i64])?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let leaf = tlog::hash_from_slice(&row.get::<Vec<u8>>(0)?)
                    .ok_or_else(|| StoreError::Internal(format!("leaf hash of event {n}")))?;
                appender.push(leaf);
                n += 1;
            }
        }
        appender.flush(db)?;
    }
    sign_checkpoint(db, key)?;
    Ok(())
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedCheckpoint {
    pub size: u64,
    /// Root hash, base64.
    pub root: String,
    /// The signed note, exactly as served at /log/checkpoint.
    pub note: String,
}

fn b64(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| BASE64.encode(h.0)).collect()
}

impl Store {
    /// The log's current public key.
    pub fn verifier_key(&self) -> &str {
        self.log_key.primary().verifier_key()
    }

    /// Every key signing new checkpoints (two during a rotation).
    pub fn verifier_keys(&self) -> Vec<String> {
        self.log_key.verifier_keys()
    }

    pub fn log_origin(&self) -> &str {
        self.log_key.primary().origin()
    }

    /// The latest signed checkpoint.
    pub async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>> {
        let row =
            self.reader.row("SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1", params![]).await?;
        row.map(|r| {
            Ok(SignedCheckpoint {
                size: r.get::<i64>(0)? as u64,
                root: BASE64.encode(r.get::<Vec<u8>>(1)?),
                note: String::from_utf8(r.get(2)?).map_err(|e| StoreError::Internal(e.to_string()))?,
            })
        })
        .transpose()
    }

    /// A hash tile (`level` Some) or an entry bundle (`level` None), if the latest checkpoint's tree
    /// is large enough to hold it at that width. Tiles are cut from the stored hashes.
    pub async fn tile(&self, coord: tlog::TileCoord) -> Result<Option<Vec<u8>>> {
        let Some(latest) = self.latest_checkpoint().await? else { return Ok(None) };
        let level = coord.level.map_or(0, u32::from);
        // Entries covered by one tile at this level: 256^(level+1). A level or index so high that
        // this does not fit is far beyond any tree (issue 17: levels from 15 up overflowed).
        let needed = 1u128.checked_shl(u32::from(TILE_HEIGHT) * (level + 1)).and_then(|span| {
            let unit = span / u128::from(TILE_WIDTH);
            u128::from(coord.n).checked_mul(span)?.checked_add(u128::from(coord.width).checked_mul(unit)?)
        });
        if needed.is_none_or(|needed| needed > u128::from(latest.size)) {
            return Ok(None);
        }
        // Any width the tree already covers is served: stored hashes never change, so a partial
        // tile narrower than the current one is still a correct prefix.
        match coord.level {
            None => {
                let start = coord.n * TILE_WIDTH;
                let rows = self
                    .reader
                    .rows(
                        "SELECT entry FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq",
                        params![start as i64, (start + coord.width) as i64],
                    )
                    .await?;
                let entries: Vec<Vec<u8>> = rows.iter().map(|r| r.get(0)).collect::<Result<_, _>>()?;
                Ok(Some(tlog::entry_bundle(entries.iter().map(Vec::as_slice))))
            }
            Some(l) => {
                let tile = tlog::Tile::new(TILE_HEIGHT, l, coord.n, coord.width as u32, false);
                let data =
                    with_hashes(|r| tile.read_data(r), |idx| async move { read_hashes(&self.reader, &idx).await })
                        .await?;
                Ok(Some(data))
            }
        }
    }

    /// The receipt for event `index`, proven against the latest checkpoint.
    pub async fn receipt(&self, index: u64) -> Result<Receipt> {
        let latest =
            self.latest_checkpoint().await?.ok_or_else(|| StoreError::not_found("日志为空", "the log is empty"))?;
        if index >= latest.size {
            return Err(StoreError::not_found(
                "该事件尚未进入已签名的检查点",
                "the event is not yet in a signed checkpoint",
            ));
        }
        let row = self.reader.one("SELECT entry, leaf_hash FROM events WHERE seq = $1", params![index as i64]).await?;
        let entry: Vec<u8> = row.get(0)?;
        let leaf: Vec<u8> = row.get(1)?;
        let proof = with_hashes(
            |r| tlog::prove_record(latest.size, index, r),
            |idx| async move { read_hashes(&self.reader, &idx).await },
        )
        .await?;
        Ok(Receipt {
            format: RECEIPT_FORMAT.into(),
            origin: self.log_origin().into(),
            verifier_key: self.verifier_key().into(),
            index,
            entry: BASE64.encode(entry),
            leaf_hash: hex::encode(leaf),
            checkpoint: latest.note,
            inclusion_proof: b64(&proof),
        })
    }

    /// The latest checkpoint with the proof that it extends the tree of `from_size` entries.
    pub async fn extension(&self, from_size: u64) -> Result<Extension> {
        let latest =
            self.latest_checkpoint().await?.ok_or_else(|| StoreError::not_found("日志为空", "the log is empty"))?;
        if from_size == 0 || from_size > latest.size {
            return Err(StoreError::invalid(liuhen_rules::Problem::new(
                "from",
                "R1",
                "invalid",
                format!("起始大小应在 1 到 {} 之间", latest.size),
                format!("from must be between 1 and {}", latest.size),
            )));
        }
        let proof = with_hashes(
            |r| tlog::prove_tree(latest.size, from_size, r),
            |idx| async move { read_hashes(&self.reader, &idx).await },
        )
        .await?;
        Ok(Extension { from_size, checkpoint: latest.note, consistency_proof: b64(&proof) })
    }

    /// Whether `viewer` may have the receipt of event `index`: its actor, for now (R1, S9).
    /// The receipt (回执) of a record's creation, for its recorder only (S8, S9). Handing it over
    /// is a read of the record's contents and is noted in the ledger first (查看留痕).
    pub async fn record_receipt(&self, viewer: &User, id: uuid::Uuid, via: &str) -> Result<Receipt> {
        let (row, recorder) = self.readable_record(viewer, id).await?;
        if recorder != viewer.username {
            return Err(StoreError::forbidden(
                "回执只发给事件的作出人",
                "a receipt is given to the person who made the event",
            ));
        }
        let created: i64 = row.get("created_seq")?;
        let body = liuhen_ledger::EventBody::RecordViewed {
            record_id: id,
            part: "receipt".into(),
            material_id: None,
            via: via.into(),
        };
        self.note_view(viewer, body).await?;
        self.receipt(created as u64).await
    }

    pub async fn receipt_for(&self, viewer: &User, index: u64) -> Result<Receipt> {
        let row = self.reader.row("SELECT entry FROM events WHERE seq = $1", params![index as i64]).await?;
        let entry: Vec<u8> = row.ok_or_else(|| StoreError::not_found("没有这个事件", "no such event"))?.get(0)?;
        let event = liuhen_ledger::Event::decode(&entry)?;
        if event.actor != viewer.username {
            return Err(StoreError::forbidden(
                "回执只发给事件的作出人",
                "a receipt is given to the person who made the event",
            ));
        }
        // The receipt carries the entry: one about a record is that record's contents (issue 17).
        if event.body.record_id().is_some() {
            self.require_permission(
                viewer,
                liuhen_rules::Permission::RecordReadOwn,
                "你的角色不能查看过问记录",
                "your role may not read records",
            )?;
        }
        let receipt = self.receipt(index).await?;
        if event.body.record_id().is_some() {
            self.note_content_viewed(viewer, "event_receipt", Some(index.to_string()), "api").await?;
        }
        Ok(receipt)
    }
}

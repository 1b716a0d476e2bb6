//! `liuhen verify`: check a data directory (live or a backup) from its events up, trusting
//! nothing derived. Every leaf, stored hash and root is recomputed with a tree builder of its own
//! (not the code that wrote them); every checkpoint signature is checked with the given key; the
//! query tables are compared with a rebuild from the events (on a copy); every material is hashed.
//! The first fault names the entry and what is wrong.

use std::path::{Path, PathBuf};
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use liuhen_ledger::tlog::{self, Hash, TreeBuilder, open_checkpoint_any};
use liuhen_ledger::{Event, leaf_hash};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::backend::Backend;
use crate::projection::PROJECTION_TABLES;
use crate::sql::{Db, DbExt, args};
use crate::{MaterialStore, Result, StoreError};

/// Most faults listed; the first is the one that matters.
const MAX_FAULTS: usize = 50;

pub struct VerifyOptions {
    /// Materials and key files (the tables are in the backend given beside these options).
    pub data_dir: PathBuf,
    /// The log's public keys to trust (old and new across a rotation). Without them, the keys are
    /// derived from the data directory's own key files, which proves consistency but not that
    /// nobody re-signed.
    pub verifier_keys: Vec<String>,
    pub key_file: Option<PathBuf>,
    /// Checkpoints published outside the data directory (a witness's copy, the court above's, one
    /// saved at the time): each must verify with the keys and sign this log's root at its size. A
    /// restored backup older than one of them lacks entries that were acknowledged.
    pub published: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    /// The log index of the entry concerned, where there is one.
    pub entry: Option<u64>,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub events: u64,
    pub stored_hashes: u64,
    pub checkpoints: u64,
    pub materials: u64,
    /// Root hash (base64) of the whole log as recomputed.
    pub root: String,
    pub latest_checkpoint: Option<u64>,
    pub verifier_keys: Vec<String>,
    /// Whether the keys were given from outside (`--key`) rather than taken from the data directory.
    pub key_given: bool,
    pub bytes_hashed: u64,
    pub seconds: f64,
    /// Seconds spent on each part: entries, tree and checkpoints; materials; query tables.
    pub ledger_seconds: f64,
    pub materials_seconds: f64,
    pub projections_seconds: f64,
    pub faults: Vec<Fault>,
}

struct Faults(Vec<Fault>);

impl Faults {
    fn add(&mut self, entry: Option<u64>, zh: impl Into<String>, en: impl Into<String>) {
        if self.0.len() < MAX_FAULTS {
            self.0.push(Fault { entry, zh: zh.into(), en: en.into() });
        }
    }
}

/// Verify a store: its tables in `backend`, its materials and keys in the data directory of
/// `options`. `progress(done, total)` is called as events are checked. This reads the whole
/// database and may take minutes: call it from a thread that may block.
pub fn verify_store(
    backend: &dyn Backend,
    options: &VerifyOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<VerifyReport> {
    on_own_thread(|| {
        if !backend.exists()? {
            return Err(StoreError::not_found(
                format!("{} 中没有数据库", backend.describe()),
                format!("no database in {}", backend.describe()),
            ));
        }
        verify_backend(backend, options, Scope::Everything, progress)
    })
}

/// How much of a store a check covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The ledger, the materials and the query tables: a whole data directory.
    Everything,
    /// The ledger alone: a database checked without its data directory.
    Ledger,
}

/// Verify only the ledger in `backend` — entries, tree, stored hashes, checkpoint signatures and
/// guard triggers — against `verifier_keys` (a database holds no key of its own to trust).
/// Materials and query tables need the data directory ([`verify_store`]). Call it from a thread
/// that may block.
pub fn verify_ledger(
    backend: &dyn Backend,
    verifier_keys: Vec<String>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<VerifyReport> {
    if verifier_keys.is_empty() {
        return Err(StoreError::invalid(liuhen_rules::Problem::new(
            "key",
            "R1",
            "required",
            "校验数据库中的日志须提供日志公钥（--key）",
            "checking the log of a database needs the log's public key (--key)",
        )));
    }
    let options = VerifyOptions { data_dir: PathBuf::new(), verifier_keys, key_file: None, published: Vec::new() };
    on_own_thread(|| verify_backend(backend, &options, Scope::Ledger, progress))
}

/// A backend's synchronous connections may not be driven from an async thread (PostgreSQL's), and
/// the caller may be one: the check runs on a thread of its own.
fn on_own_thread<T: Send>(check: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|s| {
        s.spawn(check).join().map_err(|_| StoreError::Internal("the verification thread failed".into()))?
    })
}

fn verify_backend(
    backend: &dyn Backend,
    options: &VerifyOptions,
    scope: Scope,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<VerifyReport> {
    let started = Instant::now();
    let (verifier_keys, key_given) = if options.verifier_keys.is_empty() {
        let mut config = crate::StoreConfig::new(&options.data_dir);
        config.policy.log_key_file = options.key_file.clone();
        (crate::all_verifier_keys(&config)?, false)
    } else {
        (options.verifier_keys.iter().map(|k| k.trim().to_string()).collect::<Vec<_>>(), true)
    };
    let key_refs: Vec<&str> = verifier_keys.iter().map(String::as_str).collect();
    let conn = backend.reader()?;
    let mut faults = Faults(Vec::new());

    // The database's own refusal of changes: a missing (or disabled) trigger means someone
    // removed it.
    let (triggers, present_sql) = backend.dialect().ledger_triggers();
    let present: Vec<String> = conn.rows(present_sql, args![])?.iter().map(|r| r.get(0)).collect::<Result<_>>()?;
    for t in triggers {
        if !present.iter().any(|p| p == t) {
            faults.add(
                None,
                format!("保护触发器 {t} 已被删除：有人绕过应用修改过数据库"),
                format!("the protecting trigger {t} was dropped: someone changed the database outside the application"),
            );
        }
    }

    let total = conn.scalar::<i64>("SELECT COUNT(*) FROM events", args![])? as u64;
    let checkpoints: Vec<(u64, Vec<u8>, Vec<u8>)> = conn
        .rows("SELECT size, root, note FROM checkpoints ORDER BY size", args![])?
        .iter()
        .map(|r| Ok((r.get::<i64>(0)? as u64, r.get(1)?, r.get(2)?)))
        .collect::<Result<_>>()?;
    let mut next_checkpoint = 0usize;
    let mut builder = TreeBuilder::default();
    let mut bytes_hashed = 0u64;
    let mut stored_count = 0u64;
    let mut n: u64 = 0;
    let check_checkpoints = |builder: &TreeBuilder, next: &mut usize, faults: &mut Faults| {
        while *next < checkpoints.len() && checkpoints[*next].0 == builder.size() {
            let (size, root, note) = &checkpoints[*next];
            let recomputed = builder.root();
            if root.as_slice() != recomputed.0 {
                faults.add(Some(size - 1), format!("大小为 {size} 的检查点记载的根哈希与重新计算的不符：前 {size} 个条目中有被改动、删除或调换的"), format!("the checkpoint of size {size} records a root that differs from the recomputed one: an entry among the first {size} was changed, removed or moved"));
            }
            match open_checkpoint_any(note, &key_refs) {
                Err(e) => faults.add(
                    Some(size - 1),
                    format!("大小为 {size} 的检查点签名无效：{e}"),
                    format!("the checkpoint of size {size} does not verify: {e}"),
                ),
                Ok(cp) => {
                    if cp.size() != *size || cp.hash().0 != recomputed.0 {
                        faults.add(
                            Some(size - 1),
                            format!("大小为 {size} 的检查点签署的内容与日志不符（被重新签名过）"),
                            format!(
                                "the checkpoint of size {size} signs a tree that is not this log (it was re-signed)"
                            ),
                        );
                    }
                }
            }
            *next += 1;
        }
    };
    let mut read_from = 0u64;
    let mut read = || -> Result<Option<Chunk>> {
        let mut rows: Vec<(u64, Vec<u8>, [u8; 32])> = Vec::new();
        conn.each(
            "SELECT seq, entry, leaf_hash FROM events WHERE seq >= $1 ORDER BY seq LIMIT 16000",
            args![read_from as i64],
            &mut |r| {
                rows.push((r.get::<i64>(0)? as u64, r.get(1)?, hash32(&r, 2)));
                Ok(())
            },
        )?;
        let Some(last_seq) = rows.last().map(|r| r.0) else { return Ok(None) };
        let range = [tlog::stored_hash_index(0, read_from) as i64, tlog::stored_hash_index(0, last_seq + 1) as i64];
        let mut stored = StoredHashes { first: range[0] as u64, hashes: vec![None; (range[1] - range[0]) as usize] };
        conn.each(
            "SELECT idx, hash FROM tlog_hashes WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            args![range[0], range[1]],
            &mut |r| {
                let idx = r.get::<i64>(0)? as u64;
                stored.hashes[(idx - stored.first) as usize] = Some(hash32(&r, 1));
                Ok(())
            },
        )?;
        read_from = last_seq + 1;
        Ok(Some((rows, stored)))
    };
    // The tree is built in order on this thread, a chunk behind the per-entry checks.
    let mut build = |(rows, stored): Chunk, checked: Checked| {
        for ((seq, entry, stored_leaf), (leaf, decode_error)) in rows.iter().zip(checked) {
            let seq = *seq;
            if seq != n {
                faults.add(
                    Some(n),
                    format!("条目 {n} 缺失（下一个是 {seq}）"),
                    format!("entry {n} is missing (the next one is {seq})"),
                );
                // Carry on from what is there, so later faults are still found.
            }
            bytes_hashed += entry.len() as u64;
            if stored_leaf.as_slice() != leaf {
                faults.add(
                    Some(seq),
                    format!("条目 {seq} 的内容与记下的叶哈希不符：内容被改动过"),
                    format!("entry {seq} does not match its recorded leaf hash: its content was changed"),
                );
            }
            if let Some(e) = decode_error {
                faults.add(
                    Some(seq),
                    format!("条目 {seq} 无法按规范编码解析：{e}"),
                    format!("entry {seq} is not a canonical event: {e}"),
                );
            }
            let index = tlog::stored_hash_index(0, builder.size());
            for (i, h) in builder.push(Hash(leaf)).iter().enumerate() {
                stored_count += 1;
                match stored.get(index + i as u64) {
                    Some(s) if s.as_slice() == h.0 => {}
                    Some(_) => faults.add(
                        Some(seq),
                        format!("条目 {seq} 处的 Merkle 树哈希与重新计算的不符"),
                        format!("the Merkle tree hash at entry {seq} differs from the recomputed one"),
                    ),
                    None => faults.add(
                        Some(seq),
                        format!("条目 {seq} 处缺少 Merkle 树哈希"),
                        format!("the Merkle tree hash at entry {seq} is missing"),
                    ),
                }
            }
            check_checkpoints(&builder, &mut next_checkpoint, &mut faults);
            n = seq + 1;
        }
        progress(n, total);
    };
    // Hashing and the canonical-form check of each entry take most of the time and are
    // independent: every core works through one chunk's entries in small blocks while this thread
    // builds the tree over the previous chunk and reads the next, then joins in.
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).max(1);
    let mut current = read()?;
    let mut previous: Option<(Chunk, Checked)> = None;
    while current.is_some() || previous.is_some() {
        let shared = current.as_ref().map(|(rows, _)| SharedChecks::new(rows));
        let next = std::thread::scope(|scope| {
            if let Some(shared) = &shared {
                for _ in 0..threads {
                    scope.spawn(|| shared.work());
                }
            }
            if let Some((chunk, checked)) = previous.take() {
                build(chunk, checked);
            }
            let next = if current.is_some() { read() } else { Ok(None) };
            if let Some(shared) = &shared {
                shared.work();
            }
            next
        });
        let checked = shared.map(SharedChecks::into_checked);
        previous = current.take().zip(checked);
        current = next?;
    }
    let extra_hashes: i64 = conn.scalar(
        "SELECT COUNT(*) FROM tlog_hashes WHERE idx >= $1",
        args![tlog::stored_hash_index(0, builder.size()) as i64],
    )?;
    if extra_hashes > 0 {
        faults.add(
            Some(builder.size()),
            format!("Merkle 树比事件多出 {extra_hashes} 个哈希：从条目 {} 起的事件被删除了", builder.size()),
            format!(
                "the Merkle tree has {extra_hashes} more hashes than the events: events from {} on were deleted",
                builder.size()
            ),
        );
    }
    for (size, _, _) in &checkpoints[next_checkpoint..] {
        faults.add(
            Some(builder.size()),
            format!("已签名的检查点大小为 {size}，但日志只有 {} 个条目：条目被删除了", builder.size()),
            format!("a checkpoint signs {size} entries but the log has only {}: entries were deleted", builder.size()),
        );
    }
    check_published(&*conn, &options.published, &key_refs, builder.size(), &mut faults)?;
    let latest_checkpoint = checkpoints.last().map(|c| c.0);
    if latest_checkpoint.unwrap_or(0) < builder.size() {
        faults.add(
            Some(latest_checkpoint.unwrap_or(0)),
            format!("条目 {} 起没有任何已签名的检查点：它们是绕过应用写入的", latest_checkpoint.unwrap_or(0)),
            format!(
                "entries from {} on are in no signed checkpoint: they were written outside the application",
                latest_checkpoint.unwrap_or(0)
            ),
        );
    }

    let ledger_seconds = started.elapsed().as_secs_f64();
    let phase = Instant::now();
    let materials = match scope {
        Scope::Everything => {
            let (count, bytes) = check_materials(&*conn, &options.data_dir, &mut faults)?;
            bytes_hashed += bytes;
            count
        }
        Scope::Ledger => 0,
    };
    drop(conn);
    let materials_seconds = phase.elapsed().as_secs_f64();
    let phase = Instant::now();

    // Query tables against a rebuild from the events, on a copy.
    if scope == Scope::Everything {
        check_projections(backend, &mut faults)?;
    }
    let projections_seconds = phase.elapsed().as_secs_f64();

    let mut list = faults.0;
    list.sort_by_key(|f| f.entry.unwrap_or(0));
    Ok(VerifyReport {
        ok: list.is_empty(),
        events: builder.size(),
        stored_hashes: stored_count,
        checkpoints: checkpoints.len() as u64,
        materials,
        root: BASE64.encode(builder.root().0),
        latest_checkpoint,
        verifier_keys,
        key_given,
        bytes_hashed,
        seconds: started.elapsed().as_secs_f64(),
        ledger_seconds,
        materials_seconds,
        projections_seconds,
        faults: list,
    })
}

/// The checkpoints published outside against the log of `size` entries whose stored hashes were
/// just checked: signed by a trusted key, and the same root at the same size.
fn check_published(conn: &dyn Db, published: &[Vec<u8>], keys: &[&str], size: u64, faults: &mut Faults) -> Result<()> {
    for note in published {
        let checkpoint = match open_checkpoint_any(note, keys) {
            Ok(checkpoint) => checkpoint,
            Err(e) => {
                faults.add(
                    None,
                    format!("所给的已公布检查点不能用所信任的公钥验证：{e}"),
                    format!("a published checkpoint given does not verify with the trusted keys: {e}"),
                );
                continue;
            }
        };
        let published_size = checkpoint.size();
        if published_size > size {
            faults.add(
                Some(size),
                format!(
                    "已公布的检查点包含 {published_size} 个条目，而这里只有 {size} 个：这是较旧的数据（如旧备份），缺少已确认的条目 {size} 至 {}",
                    published_size - 1
                ),
                format!(
                    "a published checkpoint covers {published_size} entries and this log has only {size}: it is older data (an old backup) and lacks acknowledged entries {size} to {}",
                    published_size - 1
                ),
            );
        } else if published_size > 0
            && tlog::tree_hash(published_size, &crate::tree::WriterHashes(conn))
                .map_or(true, |root| root.0 != checkpoint.hash().0)
        {
            faults.add(
                Some(published_size - 1),
                format!("已公布的大小为 {published_size} 的检查点与这里的日志不符：两者分叉，前 {published_size} 个条目中有不同的"),
                format!("the published checkpoint of size {published_size} does not match this log: they have forked within the first {published_size} entries"),
            );
        }
    }
    Ok(())
}

/// Materials, and the content and files of reports: every file must still hash to what its event
/// says. Returns how many files were checked and their bytes.
fn check_materials(conn: &dyn Db, data_dir: &Path, faults: &mut Faults) -> Result<(u64, u64)> {
    let mut bytes_hashed = 0u64;
    let mut materials: Vec<(String, i64)> = conn
        .rows("SELECT sha256, seq FROM materials UNION ALL SELECT content_sha256, drafted_seq FROM reports", args![])?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?)))
        .collect::<Result<_>>()?;
    for r in conn.rows("SELECT files, sealed_seq FROM reports WHERE sealed_seq IS NOT NULL", args![])? {
        let files: Vec<liuhen_ledger::SealedFile> = serde_json::from_str(&r.get::<String>(0)?)
            .map_err(|e| StoreError::Internal(format!("files of a sealed report: {e}")))?;
        let seq: i64 = r.get(1)?;
        materials.extend(files.into_iter().map(|f| (f.sha256, seq)));
    }
    materials.sort_by_key(|m| m.1);
    let store = MaterialStore::open(&data_dir.join("materials"))?;
    for (sha, seq) in &materials {
        match hash_file(&store.file_path(sha)) {
            Ok((digest, size)) => {
                bytes_hashed += size;
                if &digest != sha {
                    faults.add(
                        Some(*seq as u64),
                        format!("条目 {seq} 登记的材料文件已被替换或损坏（应为 {sha}）"),
                        format!("the material file of entry {seq} was replaced or damaged (should be {sha})"),
                    );
                }
            }
            Err(_) => faults.add(
                Some(*seq as u64),
                format!("条目 {seq} 登记的材料文件不见了（{sha}）"),
                format!("the material file of entry {seq} is missing ({sha})"),
            ),
        }
    }
    Ok((materials.len() as u64, bytes_hashed))
}

/// Events (index, entry, recorded leaf hash) and the stored hashes their leaves add.
type Chunk = (Vec<(u64, Vec<u8>, [u8; 32])>, StoredHashes);

/// The stored hashes of a range of indexes, each where its index says (a missing one is None).
struct StoredHashes {
    first: u64,
    hashes: Vec<Option<[u8; 32]>>,
}

impl StoredHashes {
    fn get(&self, index: u64) -> Option<&[u8; 32]> {
        let offset = usize::try_from(index.checked_sub(self.first)?).ok()?;
        self.hashes.get(offset)?.as_ref()
    }
}
/// Each entry's leaf hash, and why it is not a canonical event if it is not.
type Checked = Vec<([u8; 32], Option<String>)>;

/// A stored 32-byte hash; one of any other length (or none) reads as zeros, so that it shows as a
/// mismatch at its entry rather than stopping the check.
fn hash32(row: &crate::sql::Row, column: usize) -> [u8; 32] {
    match &row.cells.get(column) {
        Some(crate::sql::Cell::Blob(b)) => b.as_slice().try_into().unwrap_or([0; 32]),
        _ => [0; 32],
    }
}

/// Entries per block of checking work.
const CHECK_BLOCK: usize = 64;

/// The leaf hash of each entry of a chunk and whether it decodes as a canonical event, shared out
/// in blocks: whichever thread is free takes the next block, so no core waits for another.
struct SharedChecks<'a> {
    rows: &'a [(u64, Vec<u8>, [u8; 32])],
    next: std::sync::atomic::AtomicUsize,
    blocks: Vec<std::sync::OnceLock<Checked>>,
}

impl<'a> SharedChecks<'a> {
    fn new(rows: &'a [(u64, Vec<u8>, [u8; 32])]) -> Self {
        let blocks = (0..rows.len().div_ceil(CHECK_BLOCK)).map(|_| std::sync::OnceLock::new()).collect();
        SharedChecks { rows, next: std::sync::atomic::AtomicUsize::new(0), blocks }
    }

    fn work(&self) {
        loop {
            let block = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(slot) = self.blocks.get(block) else { return };
            let rows = &self.rows[block * CHECK_BLOCK..((block + 1) * CHECK_BLOCK).min(self.rows.len())];
            let checked = rows
                .iter()
                .map(|(_, entry, _)| (leaf_hash(entry), Event::decode(entry).err().map(|e| e.to_string())))
                .collect();
            let _ = slot.set(checked);
        }
    }

    /// Every block's results in order (all threads have finished working).
    fn into_checked(self) -> Checked {
        self.blocks.into_iter().flat_map(|b| b.into_inner().expect("every block was checked")).collect()
    }
}

fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), size))
}

/// The query tables against a rebuild from the events, on a connection the backend gives for
/// work whose changes are thrown away (SQLite: a copy of the database; PostgreSQL: a transaction
/// rolled back, holding the writers' lock meanwhile, so writes wait for the check and readers go
/// on reading the tables as they were).
fn check_projections(backend: &dyn Backend, faults: &mut Faults) -> Result<()> {
    backend.aside(&mut |conn| compare_with_rebuild(conn, faults))
}

/// Keep the tables as they are, rebuild them from the events and count the rows that differ, in
/// one open transaction of `conn` that the caller ends.
fn compare_with_rebuild(conn: &dyn Db, faults: &mut Faults) -> Result<()> {
    conn.begin()?;
    for table in PROJECTION_TABLES {
        conn.exec(&format!("CREATE TEMP TABLE before_{table} AS SELECT * FROM {table}"), args![])?;
    }
    crate::projection::rebuild(conn)?;
    for table in PROJECTION_TABLES {
        let edited: i64 = conn.scalar(
            &format!("SELECT COUNT(*) FROM (SELECT * FROM before_{table} EXCEPT SELECT * FROM {table}) AS d"),
            args![],
        )?;
        let missing: i64 = conn.scalar(
            &format!("SELECT COUNT(*) FROM (SELECT * FROM {table} EXCEPT SELECT * FROM before_{table}) AS d"),
            args![],
        )?;
        if edited + missing == 0 {
            continue;
        }
        let entry = if table == "records" {
            conn.row(
                "SELECT created_seq FROM (SELECT * FROM before_records EXCEPT SELECT * FROM records) AS d
                 ORDER BY created_seq LIMIT 1",
                args![],
            )?
            .map(|r| r.get::<i64>(0))
            .transpose()?
            .map(|s| s as u64)
        } else {
            None
        };
        faults.add(
            entry,
            format!("查询表 {table} 与从事件重建的结果不符（{edited} 行被改动或多出，{missing} 行缺失）：有人绕过事件改过它"),
            format!("query table {table} differs from a rebuild from the events ({edited} rows changed or added, {missing} missing): it was edited outside the event log"),
        );
    }
    Ok(())
}

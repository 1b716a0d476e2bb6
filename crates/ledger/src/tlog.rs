//! The verifiable log over the events, in open formats: RFC 6962/9162 Merkle tree, c2sp.org
//! tlog-tiles paths and entry bundles, tlog-checkpoint text signed as a c2sp.org signed-note with
//! Ed25519. Hashing and proofs come from `tlog_tiles`, notes from `signed_note`; this module adds
//! what those crates leave out: the C2SP tile paths (their 0.2 paths are the Go sumdb layout),
//! entry bundles, key handling, and a streaming tree builder for verification.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use signed_note::{Note, Signer, StandardSigner, StandardVerifier, VerifierList};
pub use tlog_tiles::{
    Checkpoint, EMPTY_HASH, Error as TreeError, HASH_SIZE, Hash, HashReader, RecordProof, Tile, TreeProof,
    check_record, check_tree, node_hash, prove_record, prove_tree, record_hash, stored_hash_count, stored_hash_index,
    stored_hashes_for_record_hash, tree_hash,
};

/// Tiles are 2^8 = 256 hashes wide (tlog-tiles).
pub const TILE_HEIGHT: u8 = 8;
pub const TILE_WIDTH: u64 = 256;

#[derive(Debug, thiserror::Error)]
pub enum TlogError {
    #[error("路径不是有效的 tlog-tiles 路径 (not a tlog-tiles path): {0}")]
    BadPath(String),
    #[error("Merkle 证明或计算失败 (Merkle proof or computation failed): {0}")]
    Tree(#[from] tlog_tiles::Error),
    #[error("签名密钥无效 (invalid signing key): {0}")]
    Key(String),
    #[error("检查点无效 (invalid checkpoint): {0}")]
    Checkpoint(String),
    #[error("条目包无效 (invalid entry bundle)")]
    BadBundle,
}

/// `tile/<L>/<N>[.p/<W>]` for a hash tile, `tile/entries/<N>[.p/<W>]` for an entry bundle: N in
/// groups of three digits, all but the last prefixed with `x` (c2sp.org/tlog-tiles).
pub fn tile_path(level: Option<u8>, n: u64, width: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    let level = level.map_or("entries".to_string(), |l| l.to_string());
    let partial = if width < TILE_WIDTH { format!(".p/{width}") } else { String::new() };
    format!("tile/{level}/{}{partial}", groups.join("/"))
}

/// What a tile path asks for: the level (None for entries), the tile index and the width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCoord {
    pub level: Option<u8>,
    pub n: u64,
    pub width: u64,
}

pub fn parse_tile_path(path: &str) -> Result<TileCoord, TlogError> {
    let bad = || TlogError::BadPath(path.to_string());
    let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
    let (level, rest) = rest.split_once('/').ok_or_else(bad)?;
    let level = if level == "entries" {
        None
    } else {
        let l: u8 = level.parse().map_err(|_| bad())?;
        if l > 63 || level.len() > 1 && level.starts_with('0') {
            return Err(bad());
        }
        Some(l)
    };
    let (index, width) = match rest.split_once(".p/") {
        Some((i, w)) => {
            let w: u64 = w.parse().map_err(|_| bad())?;
            if !(1..TILE_WIDTH).contains(&w) || w.to_string() != rest.split_once(".p/").map(|x| x.1).unwrap_or("") {
                return Err(bad());
            }
            (i, w)
        }
        None => (rest, TILE_WIDTH),
    };
    let parts: Vec<&str> = index.split('/').collect();
    let mut n: u64 = 0;
    for (i, part) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() { part.strip_prefix('x').ok_or_else(bad)? } else { part };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        n = n.checked_mul(1000).and_then(|v| v.checked_add(digits.parse::<u64>().expect("digits"))).ok_or_else(bad)?;
    }
    if tile_path(level, n, width) != path {
        return Err(bad());
    }
    Ok(TileCoord { level, n, width })
}

/// An entry bundle: each entry preceded by its length as a 16-bit big-endian integer.
pub fn entry_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).expect("entries are below 64 KiB (checked when encoded)");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

pub fn parse_entry_bundle(mut data: &[u8]) -> Result<Vec<Vec<u8>>, TlogError> {
    let mut out = Vec::new();
    while !data.is_empty() {
        if data.len() < 2 {
            return Err(TlogError::BadBundle);
        }
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        if data.len() < 2 + len {
            return Err(TlogError::BadBundle);
        }
        out.push(data[2..2 + len].to_vec());
        data = &data[2 + len..];
    }
    Ok(out)
}

/// The log's signing key (c2sp.org/signed-note, Ed25519), named after the log's origin.
pub struct LogKey {
    signer: StandardSigner,
    origin: String,
    verifier_key: String,
}

impl LogKey {
    /// A fresh key for `origin`: returns it and its private-key string to keep.
    pub fn generate(origin: &str) -> Result<(LogKey, String), TlogError> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(TlogError::Key(format!(
                "日志名称“{origin}”不能为空，不能含空格或加号 (the origin must be non-empty, without spaces or +)"
            )));
        }
        let seed: [u8; 32] = rand::random();
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let verifier_key = signed_note::new_ed25519_verifier_key(origin, &signing.verifying_key());
        let id = verifier_key.split('+').nth(1).ok_or_else(|| TlogError::Key("verifier key".into()))?.to_string();
        let mut raw = vec![1u8];
        raw.extend_from_slice(&seed);
        let private = format!("PRIVATE+KEY+{origin}+{id}+{}", BASE64.encode(raw));
        Ok((LogKey::from_private(&private)?, private))
    }

    /// Load a key from its private-key string (`PRIVATE+KEY+<name>+<id>+<base64>`).
    pub fn from_private(private: &str) -> Result<LogKey, TlogError> {
        let private = private.trim();
        let signer = StandardSigner::new(private).map_err(|e| TlogError::Key(e.to_string()))?;
        let origin = signer.name().to_string();
        let raw =
            BASE64.decode(private.splitn(5, '+').nth(4).unwrap_or("")).map_err(|e| TlogError::Key(e.to_string()))?;
        let seed: [u8; 32] =
            raw.get(1..33).and_then(|s| s.try_into().ok()).ok_or_else(|| TlogError::Key("key length".into()))?;
        let verifying = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let verifier_key = signed_note::new_ed25519_verifier_key(&origin, &verifying);
        Ok(LogKey { signer, origin, verifier_key })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The public verifier key, `<name>+<id>+<base64>`, which anyone can use to check checkpoints.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// A signed checkpoint (c2sp.org/tlog-checkpoint) for a tree of `size` entries with `root`.
    pub fn sign_checkpoint(&self, size: u64, root: &Hash) -> Result<Vec<u8>, TlogError> {
        sign_checkpoint_with(&[self], size, root)
    }
}

/// A checkpoint signed by several keys of the same origin: during a key rotation the new key signs
/// alongside the old one, so verifiers can move over without a flag day.
pub fn sign_checkpoint_with(keys: &[&LogKey], size: u64, root: &Hash) -> Result<Vec<u8>, TlogError> {
    let origin = keys.first().ok_or_else(|| TlogError::Key("no signing key".into()))?.origin.clone();
    if keys.iter().any(|k| k.origin != origin) {
        return Err(TlogError::Key("all keys of a log must carry its origin".into()));
    }
    let checkpoint = Checkpoint::new(&origin, size, *root, "").map_err(|e| TlogError::Checkpoint(e.to_string()))?;
    let mut note = Note::new(&checkpoint.to_bytes(), &[]).map_err(|e| TlogError::Checkpoint(e.to_string()))?;
    let signers: Vec<&dyn Signer> = keys.iter().map(|k| &k.signer as &dyn Signer).collect();
    note.add_sigs(&signers).map_err(|e| TlogError::Checkpoint(e.to_string()))?;
    Ok(note.to_bytes())
}

/// Check a signed checkpoint with a verifier key and return what it says.
pub fn open_checkpoint(note: &[u8], verifier_key: &str) -> Result<Checkpoint, TlogError> {
    open_checkpoint_any(note, &[verifier_key])
}

/// Check a signed checkpoint against any of several keys of the log (old and new during a
/// rotation): at least one must have signed it, and none of them may have signed it wrongly.
pub fn open_checkpoint_any(note: &[u8], verifier_keys: &[&str]) -> Result<Checkpoint, TlogError> {
    let mut verifiers: Vec<Box<dyn signed_note::Verifier>> = Vec::new();
    for key in verifier_keys {
        verifiers.push(Box::new(StandardVerifier::new(key).map_err(|e| TlogError::Key(e.to_string()))?));
    }
    let parsed = Note::from_bytes(note).map_err(|e| TlogError::Checkpoint(e.to_string()))?;
    parsed
        .verify(&VerifierList::new(verifiers))
        .map_err(|e| TlogError::Checkpoint(format!("签名无效 (signature does not verify): {e}")))?;
    let checkpoint = Checkpoint::from_bytes(parsed.text()).map_err(|e| TlogError::Checkpoint(e.to_string()))?;
    if !verifier_keys.iter().any(|k| k.split('+').next() == Some(checkpoint.origin())) {
        return Err(TlogError::Checkpoint(format!("检查点的日志名称 {} 与密钥不符", checkpoint.origin())));
    }
    Ok(checkpoint)
}

/// Run a `tlog_tiles` function that reads hashes, fetching the hashes it asks for in between.
/// Those functions ask for all their hashes in one call, so the first run only learns the indexes
/// (and fails on purpose); `fetch` reads them (from the database, asynchronously); the second run
/// computes with them.
pub async fn with_hashes<T, F, Fut, E>(
    run: impl Fn(&PhasedReader) -> Result<T, tlog_tiles::Error>,
    fetch: F,
) -> Result<T, E>
where
    F: FnOnce(Vec<u64>) -> Fut,
    Fut: Future<Output = Result<Vec<Hash>, E>>,
    E: From<tlog_tiles::Error>,
{
    let recorder = PhasedReader::Recording(RefCell::new(None));
    let first = run(&recorder);
    let PhasedReader::Recording(asked) = recorder else { unreachable!("built as Recording") };
    let Some(indexes) = asked.into_inner() else {
        return first.map_err(E::from);
    };
    let hashes = fetch(indexes.clone()).await?;
    let known = PhasedReader::Known(indexes.into_iter().zip(hashes).collect());
    run(&known).map_err(E::from)
}

/// The reader [`with_hashes`] hands to `tlog_tiles`: first it records what is asked, then it
/// answers from what was fetched.
pub enum PhasedReader {
    Recording(RefCell<Option<Vec<u64>>>),
    Known(HashMap<u64, Hash>),
}

impl HashReader for PhasedReader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        match self {
            PhasedReader::Recording(asked) => {
                *asked.borrow_mut() = Some(indexes.to_vec());
                Err(tlog_tiles::Error::InvalidInput("indexes recorded".into()))
            }
            PhasedReader::Known(known) => {
                indexes.iter().map(|i| known.get(i).copied().ok_or(tlog_tiles::Error::IndexesNotInTree)).collect()
            }
        }
    }
}

/// Builds the tree one leaf at a time in constant memory (one pending hash per level), yielding
/// the stored hashes in the order `tlog_tiles::stored_hash_index` numbers them. `liuhen verify`
/// recomputes the whole log with this, independently of the stored hash table it checks.
#[derive(Default, Clone)]
pub struct TreeBuilder {
    size: u64,
    pending: Vec<Hash>,
}

impl TreeBuilder {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The stored-hash indexes of the pending subtrees of a tree of `size` leaves, lowest level
    /// first: what [`TreeBuilder::from_frontier`] needs to go on from there.
    pub fn frontier_indexes(size: u64) -> Vec<u64> {
        (0..64u8).filter(|l| (size >> l) & 1 == 1).map(|l| stored_hash_index(l, (size >> l) - 1)).collect()
    }

    /// Go on from a tree of `size` leaves, given the hashes at [`TreeBuilder::frontier_indexes`].
    pub fn from_frontier(size: u64, frontier: &[Hash]) -> Option<TreeBuilder> {
        let levels: Vec<usize> = (0..64usize).filter(|l| (size >> l) & 1 == 1).collect();
        if levels.len() != frontier.len() {
            return None;
        }
        let mut pending = vec![Hash([0; HASH_SIZE]); levels.last().map_or(0, |l| l + 1)];
        for (level, hash) in levels.into_iter().zip(frontier) {
            pending[level] = *hash;
        }
        Some(TreeBuilder { size, pending })
    }

    /// Add the leaf with hash `leaf`; returns the stored hashes it completes: the leaf itself and
    /// every subtree it closes, lowest level first.
    pub fn push(&mut self, leaf: Hash) -> Vec<Hash> {
        let n = self.size;
        let mut stored = vec![leaf];
        let mut h = leaf;
        let mut level = 0usize;
        while (n >> level) & 1 == 1 {
            h = tlog_tiles::node_hash(self.pending[level], h);
            stored.push(h);
            level += 1;
        }
        if self.pending.len() <= level {
            self.pending.resize(level + 1, Hash([0; HASH_SIZE]));
        }
        self.pending[level] = h;
        self.size += 1;
        stored
    }

    /// The root hash of the tree so far (RFC 6962 §2.1).
    pub fn root(&self) -> Hash {
        let mut acc: Option<Hash> = None;
        for (level, pending) in self.pending.iter().enumerate() {
            if (self.size >> level) & 1 == 1 {
                acc = Some(match acc {
                    None => *pending,
                    Some(right) => tlog_tiles::node_hash(*pending, right),
                });
            }
        }
        acc.unwrap_or(tlog_tiles::EMPTY_HASH)
    }
}

pub fn hash_from_slice(bytes: &[u8]) -> Option<Hash> {
    bytes.try_into().ok().map(Hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c2sp_tile_paths() {
        assert_eq!(tile_path(Some(0), 1_234_067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(Some(1), 0, 3), "tile/1/000.p/3");
        assert_eq!(tile_path(None, 5, 256), "tile/entries/005");
        assert_eq!(tile_path(None, 1000, 17), "tile/entries/x001/000.p/17");
        for (path, coord) in [
            ("tile/0/x001/x234/067", TileCoord { level: Some(0), n: 1_234_067, width: 256 }),
            ("tile/entries/x001/000.p/17", TileCoord { level: None, n: 1000, width: 17 }),
            ("tile/3/000", TileCoord { level: Some(3), n: 0, width: 256 }),
        ] {
            assert_eq!(parse_tile_path(path).unwrap(), coord);
        }
        for bad in [
            "tile/0/1234067",
            "tile/0/x1/067",
            "tile/0/067.p/256",
            "tile/0/067.p/0",
            "tile/0/067.p/07",
            "tile/00/067",
            "tiles/0/000",
            "tile/0/001/002",
            "tile/entries/x000/001",
        ] {
            assert!(parse_tile_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn entry_bundles_round_trip() {
        let bundle = entry_bundle([&b"ab"[..], &b""[..], &[7u8; 300][..]]);
        assert_eq!(&bundle[..4], &[0, 2, b'a', b'b']);
        assert_eq!(parse_entry_bundle(&bundle).unwrap(), vec![b"ab".to_vec(), vec![], vec![7u8; 300]]);
        assert!(parse_entry_bundle(&bundle[..bundle.len() - 1]).is_err());
    }

    #[test]
    fn signed_note_spec_vector() {
        // The example key and note of c2sp.org/signed-note's reference implementation.
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let text =
            b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        let want = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let key = LogKey::from_private(skey).unwrap();
        assert_eq!(key.verifier_key(), vkey, "the verifier key derived from the private key");
        let mut note = Note::new(text, &[]).unwrap();
        note.add_sigs(&[&key.signer as &dyn Signer]).unwrap();
        assert_eq!(String::from_utf8(note.to_bytes()).unwrap(), want);
        let verifier = StandardVerifier::new(vkey).unwrap();
        Note::from_bytes(want.as_bytes()).unwrap().verify(&VerifierList::new(vec![Box::new(verifier)])).unwrap();
    }

    #[test]
    fn a_rotation_signs_with_both_keys() {
        let (old, _) = LogKey::generate("liuhen.test/log").unwrap();
        let (new, _) = LogKey::generate("liuhen.test/log").unwrap();
        let root = tlog_tiles::record_hash(b"x");
        let both = sign_checkpoint_with(&[&old, &new], 1, &root).unwrap();
        assert_eq!(String::from_utf8(both.clone()).unwrap().matches('\u{2014}').count(), 2);
        assert!(open_checkpoint(&both, old.verifier_key()).is_ok(), "clients with the old key");
        assert!(open_checkpoint(&both, new.verifier_key()).is_ok(), "clients with the new key");
        let only_new = new.sign_checkpoint(2, &root).unwrap();
        assert!(open_checkpoint(&only_new, old.verifier_key()).is_err());
        assert!(open_checkpoint_any(&only_new, &[old.verifier_key(), new.verifier_key()]).is_ok());
        let (other, _) = LogKey::generate("liuhen.test/other").unwrap();
        assert!(sign_checkpoint_with(&[&old, &other], 1, &root).is_err(), "one origin per log");
    }

    #[test]
    fn checkpoints_sign_and_open() {
        let (key, private) = LogKey::generate("liuhen.test/示例省").unwrap();
        assert!(private.starts_with("PRIVATE+KEY+liuhen.test/示例省+"));
        let again = LogKey::from_private(&private).unwrap();
        assert_eq!(again.verifier_key(), key.verifier_key());
        let root = tlog_tiles::record_hash(b"x");
        let note = key.sign_checkpoint(1, &root).unwrap();
        let text = String::from_utf8(note.clone()).unwrap();
        assert!(
            text.starts_with(&format!(
                "liuhen.test/示例省\n1\n{}\n\n\u{2014} liuhen.test/示例省 ",
                BASE64.encode(root.0)
            )),
            "{text}"
        );
        let cp = open_checkpoint(&note, key.verifier_key()).unwrap();
        assert_eq!((cp.size(), *cp.hash()), (1, root));
        let (other, _) = LogKey::generate("liuhen.test/示例省").unwrap();
        assert!(open_checkpoint(&note, other.verifier_key()).is_err(), "another key does not verify it");
        let mut forged = note.clone();
        forged[text.find('\n').unwrap() + 1] = b'2';
        assert!(open_checkpoint(&forged, key.verifier_key()).is_err(), "a changed size does not verify");
        assert!(LogKey::generate("has space").is_err());
    }

    /// The streaming builder agrees with `tlog_tiles` on every stored hash and root.
    #[tokio::test]
    async fn tree_builder_matches_tlog_tiles() {
        let mut builder = TreeBuilder::default();
        let mut stored: Vec<Hash> = Vec::new();
        for n in 0..600u64 {
            let leaf = tlog_tiles::record_hash(format!("entry {n}").as_bytes());
            let expected: Vec<Hash> = with_hashes::<_, _, _, tlog_tiles::Error>(
                |r| tlog_tiles::stored_hashes_for_record_hash(n, leaf, r),
                |idx| std::future::ready(Ok(idx.iter().map(|i| stored[*i as usize]).collect())),
            )
            .await
            .unwrap();
            assert_eq!(tlog_tiles::stored_hash_index(0, n), stored.len() as u64);
            let mine = builder.push(leaf);
            assert_eq!(mine, expected, "record {n}");
            stored.extend(mine);
            let root = with_hashes::<_, _, _, tlog_tiles::Error>(
                |r| tlog_tiles::tree_hash(n + 1, r),
                |idx| std::future::ready(Ok(idx.iter().map(|i| stored[*i as usize]).collect())),
            )
            .await
            .unwrap();
            assert_eq!(builder.root(), root, "root at size {}", n + 1);
        }
        assert_eq!(TreeBuilder::default().root(), tlog_tiles::EMPTY_HASH);
        // Going on from the frontier of any size gives the same tree as building from the start.
        for size in [0u64, 1, 2, 3, 7, 8, 255, 256, 257, 511, 599] {
            let frontier: Vec<Hash> = TreeBuilder::frontier_indexes(size).iter().map(|i| stored[*i as usize]).collect();
            let mut resumed = TreeBuilder::from_frontier(size, &frontier).unwrap();
            let mut full = TreeBuilder::default();
            for n in 0..size {
                full.push(tlog_tiles::record_hash(format!("entry {n}").as_bytes()));
            }
            assert_eq!(resumed.root(), full.root(), "size {size}");
            let next = tlog_tiles::record_hash(b"next");
            assert_eq!(resumed.push(next), full.push(next), "size {size}");
        }
    }
}

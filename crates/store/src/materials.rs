//! The content-addressed material store (R5): files are kept under their SHA-256 in the data
//! directory through `object_store`, written by streaming (never whole in memory), and checked
//! against their hash when read back.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

pub struct MaterialStore {
    root: PathBuf,
    objects: LocalFileSystem,
}

/// What was written: its hash, size and the media type detected from its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
}

fn object_path(sha256: &str) -> ObjectPath {
    ObjectPath::from(format!("sha256/{}/{}/{}", &sha256[0..2], &sha256[2..4], sha256))
}

fn detect_media_type(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    if !head.is_empty() && std::str::from_utf8(head).is_ok() {
        return "text/plain; charset=utf-8".to_string();
    }
    "application/octet-stream".to_string()
}

impl MaterialStore {
    /// Open the store at `root`, made (with its `staging` directory) readable by the owner only.
    pub fn open(root: &Path) -> Result<MaterialStore> {
        crate::create_private_dir(&root.join("staging"))?;
        let objects = LocalFileSystem::new_with_prefix(root)?;
        Ok(MaterialStore { root: root.to_path_buf(), objects })
    }

    /// Stream `body` into the store, hashing as it goes; refuse it once it passes `limit` bytes.
    /// The object reaches its final name only when complete and synced to disk.
    pub async fn put_stream<S, E>(&self, mut body: S, limit: u64) -> Result<StoredObject>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let staging = ObjectPath::from(format!("staging/{}", uuid::Uuid::new_v4()));
        let mut writer = WriteMultipart::new(self.objects.put_multipart(&staging).await?);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut head: Vec<u8> = Vec::new();
        let failure = loop {
            match body.next().await {
                None => break None,
                Some(Err(e)) => break Some(StoreError::Upload(e.to_string())),
                Some(Ok(chunk)) => {
                    size += chunk.len() as u64;
                    if size > limit {
                        break Some(StoreError::TooLarge { limit });
                    }
                    if head.len() < 8192 {
                        head.extend_from_slice(&chunk[..chunk.len().min(8192 - head.len())]);
                    }
                    hasher.update(&chunk);
                    writer.wait_for_capacity(8).await?;
                    writer.put(chunk);
                }
            }
        };
        if let Some(e) = failure {
            writer.abort().await?;
            return Err(e);
        }
        writer.finish().await?;
        let sha256 = hex::encode(hasher.finalize());
        let target = object_path(&sha256);
        // The object store makes files and directories with the process's umask: the file is
        // made its owner's only before it gets its name, in directories made so beforehand.
        crate::make_private(&self.root.join(staging.as_ref()))?;
        if let Some(dir) = self.root.join(target.as_ref()).parent() {
            crate::create_private_dir(dir)?;
        }
        self.objects.rename(&staging, &target).await?;
        self.sync(&target)?;
        Ok(StoredObject { sha256, size, media_type: detect_media_type(&head) })
    }

    /// fsync the file and its directory so an acknowledged material survives a power cut.
    fn sync(&self, target: &ObjectPath) -> Result<()> {
        let file = self.root.join(target.as_ref());
        std::fs::File::open(&file)?.sync_all()?;
        if let Some(dir) = file.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Read a material back, checking the whole content against its hash before any byte is
    /// handed out, then stream it.
    pub async fn get_verified(&self, sha256: &str) -> Result<impl Stream<Item = Result<Bytes>> + Send + use<>> {
        let path = object_path(sha256);
        let mut check = self.objects.get(&path).await?.into_stream();
        let mut hasher = Sha256::new();
        while let Some(chunk) = check.next().await {
            hasher.update(&chunk?);
        }
        if hex::encode(hasher.finalize()) != sha256 {
            return Err(StoreError::MaterialCorrupt { sha256: sha256.to_string() });
        }
        Ok(self.objects.get(&path).await?.into_stream().map(|r| r.map_err(StoreError::from)))
    }

    /// Where a material's file lies on disk (for operators and tests).
    pub fn file_path(&self, sha256: &str) -> PathBuf {
        self.root.join(object_path(sha256).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: Vec<&'static [u8]>) -> impl Stream<Item = std::result::Result<Bytes, std::io::Error>> + Unpin {
        futures::stream::iter(parts.into_iter().map(|p| Ok(Bytes::from_static(p))))
    }

    #[tokio::test]
    async fn round_trip_by_hash_and_corruption_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = MaterialStore::open(dir.path()).unwrap();
        let stored = store.put_stream(chunks(vec![b"%PDF-1.4\n", b"hello"]), 1000).await.unwrap();
        assert_eq!(stored.size, 14);
        assert_eq!(stored.media_type, "application/pdf");
        assert_eq!(stored.sha256, hex::encode(Sha256::digest(b"%PDF-1.4\nhello")));
        let body: Vec<u8> =
            store.get_verified(&stored.sha256).await.unwrap().map(|c| c.unwrap().to_vec()).concat().await;
        assert_eq!(body, b"%PDF-1.4\nhello");

        std::fs::write(store.file_path(&stored.sha256), b"%PDF-1.4\nHELLO").unwrap();
        assert!(matches!(store.get_verified(&stored.sha256).await, Err(StoreError::MaterialCorrupt { .. })));
    }

    #[tokio::test]
    async fn oversized_uploads_are_refused_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = MaterialStore::open(dir.path()).unwrap();
        let err = store.put_stream(chunks(vec![b"0123456789", b"0123456789"]), 15).await.unwrap_err();
        assert!(matches!(err, StoreError::TooLarge { limit: 15 }));
        let leftovers: Vec<_> = walk(dir.path());
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
        }
        out
    }
}

//! The `Blobs` port on the local file system, with HMAC-signed download URLs that the local
//! server verifies itself (the embedded counterpart of S3 presigned GETs).
//!
//! Layout under the root: `data/<key>` holds the bytes, `meta/<key>` the content type. Writes go
//! to a temporary file, are synced, then renamed into place, so a crash never leaves half a blob.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use quarry_ports::blobs::check_lifetime;
use quarry_ports::blobs::DOWNLOAD_PATH;
use quarry_ports::clock::SharedClock;
use quarry_ports::{Blob, BlobKey, BlobWriter, Blobs, SelfSignedBlobs, SignedUrl, StoreError, StoreResult};

type HmacSha256 = Hmac<Sha256>;

/// Blobs stored as files, downloadable through signed URLs served by the local server.
#[derive(Clone)]
pub struct FileBlobs {
    root: PathBuf,
    base_url: String,
    signing_key: Arc<Vec<u8>>,
    clock: SharedClock,
}

impl FileBlobs {
    /// `base_url` is the server's public address (`http://127.0.0.1:8080`); `signing_key` is the
    /// secret the server signs and verifies download URLs with.
    pub fn new(root: impl Into<PathBuf>, base_url: &str, signing_key: Vec<u8>, clock: SharedClock) -> Self {
        FileBlobs { root: root.into(), base_url: base_url.trim_end_matches('/').to_string(), signing_key: Arc::new(signing_key), clock }
    }

    fn data_path(&self, key: &BlobKey) -> PathBuf {
        self.root.join("data").join(key.as_str())
    }

    fn meta_path(&self, key: &BlobKey) -> PathBuf {
        self.root.join("meta").join(key.as_str())
    }

    /// Deletes the blobs under `prefix` (`artifacts/`) written more than `max_age` ago by the
    /// clock, as an S3 lifecycle rule expires objects: the local server's sweep runs the bucket's
    /// rules with it. Returns how many were deleted.
    pub async fn expire(&self, prefix: &str, max_age: Duration) -> StoreResult<usize> {
        let now: std::time::SystemTime = self.clock.now().into();
        let Some(cutoff) = now.checked_sub(max_age) else { return Ok(0) };
        let (data, meta) = (self.root.join("data"), self.root.join("meta"));
        let start = data.join(prefix);
        tokio::task::spawn_blocking(move || {
            let mut deleted = 0;
            let mut dirs = vec![start];
            while let Some(dir) = dirs.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else { continue };
                for entry in entries.flatten() {
                    let path = entry.path();
                    let Ok(kind) = entry.file_type() else { continue };
                    if kind.is_dir() {
                        dirs.push(path);
                        continue;
                    }
                    let written = entry.metadata().and_then(|m| m.modified());
                    if written.is_ok_and(|at| at < cutoff) && std::fs::remove_file(&path).is_ok() {
                        if let Ok(relative) = path.strip_prefix(&data) {
                            let _ = std::fs::remove_file(meta.join(relative));
                        }
                        deleted += 1;
                    }
                }
            }
            deleted
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))
    }

    fn mac(&self, key: &BlobKey, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.signing_key).expect("HMAC takes any key length");
        mac.update(format!("GET\n{key}\n{expires}").as_bytes());
        mac
    }
}

impl SelfSignedBlobs for FileBlobs {
    fn verify(&self, key: &BlobKey, expires: i64, signature_hex: &str) -> bool {
        let Ok(signature) = hex::decode(signature_hex) else { return false };
        let authentic = self.mac(key, expires).verify_slice(&signature).is_ok();
        authentic && expires > self.clock.unix()
    }
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("blob paths have a parent");
    tokio::fs::create_dir_all(dir).await?;
    let tmp = dir.join(format!(".tmp-{}", ulid::Ulid::new()));
    let file = tokio::fs::File::create(&tmp).await?;
    let mut file = file;
    tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
    file.sync_all().await?;
    tokio::fs::rename(&tmp, path).await
}

/// A blob file being written: appended to a temporary file beside its place, then synced and
/// renamed into place by `finish`, as `put` does, so a crash never leaves half a blob. Dropped
/// unfinished, it removes the temporary file.
struct FileWriter {
    file: Option<tokio::io::BufWriter<tokio::fs::File>>,
    tmp: PathBuf,
    path: PathBuf,
    meta_path: PathBuf,
    content_type: String,
    written: u64,
    /// Set once the file is in place.
    done: bool,
}

#[async_trait]
impl BlobWriter for FileWriter {
    async fn write(&mut self, bytes: Bytes) -> StoreResult<()> {
        let file = self.file.as_mut().ok_or_else(|| StoreError::Backend("blob file already finished".into()))?;
        tokio::io::AsyncWriteExt::write_all(file, &bytes).await.map_err(io)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> StoreResult<u64> {
        let mut file = self.file.take().ok_or_else(|| StoreError::Backend("blob file already finished".into()))?;
        tokio::io::AsyncWriteExt::flush(&mut file).await.map_err(io)?;
        file.get_ref().sync_all().await.map_err(io)?;
        drop(file);
        write_atomically(&self.meta_path, self.content_type.as_bytes()).await.map_err(io)?;
        tokio::fs::rename(&self.tmp, &self.path).await.map_err(io)?;
        self.done = true;
        Ok(self.written)
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("blob file: {e}"))
}

#[async_trait]
impl Blobs for FileBlobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> StoreResult<()> {
        write_atomically(&self.meta_path(key), content_type.as_bytes()).await.map_err(io)?;
        write_atomically(&self.data_path(key), &bytes).await.map_err(io)
    }

    async fn writer(&self, key: &BlobKey, content_type: &str) -> StoreResult<Box<dyn BlobWriter>> {
        let path = self.data_path(key);
        let dir = path.parent().expect("blob paths have a parent");
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        let tmp = dir.join(format!(".tmp-{}", ulid::Ulid::new()));
        let file = tokio::fs::File::create(&tmp).await.map_err(io)?;
        Ok(Box::new(FileWriter {
            file: Some(tokio::io::BufWriter::with_capacity(256 * 1024, file)),
            tmp,
            path,
            meta_path: self.meta_path(key),
            content_type: content_type.to_string(),
            written: 0,
            done: false,
        }))
    }

    async fn get(&self, key: &BlobKey) -> StoreResult<Option<Blob>> {
        let bytes = match tokio::fs::read(self.data_path(key)).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let content_type = tokio::fs::read_to_string(self.meta_path(key)).await.unwrap_or_else(|_| "application/octet-stream".into());
        Ok(Some(Blob { bytes: Bytes::from(bytes), content_type }))
    }

    async fn delete(&self, key: &BlobKey) -> StoreResult<()> {
        for path in [self.data_path(key), self.meta_path(key)] {
            match tokio::fs::remove_file(path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }

    async fn delete_under(&self, folder: &BlobKey) -> StoreResult<u64> {
        let (data, meta) = (self.data_path(folder), self.meta_path(folder));
        tokio::task::spawn_blocking(move || {
            // An object named like the folder is a file, not the folder: it stays.
            if !data.is_dir() {
                return Ok(0);
            }
            let mut objects = 0;
            let mut dirs = vec![data.clone()];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir)? {
                    let entry = entry?;
                    if entry.file_type()?.is_dir() {
                        dirs.push(entry.path());
                    } else if !entry.file_name().to_string_lossy().starts_with(".tmp-") {
                        objects += 1;
                    }
                }
            }
            std::fs::remove_dir_all(&data)?;
            match std::fs::remove_dir_all(&meta) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            Ok(objects)
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
        .map_err(io)
    }

    async fn signed_url(&self, key: &BlobKey, expires_in: Duration) -> StoreResult<SignedUrl> {
        check_lifetime(expires_in)?;
        // The link carries whole seconds, so the reported expiry is the second it stops working.
        let expires = self.clock.unix() + expires_in.as_secs().max(1) as i64;
        let expires_at = chrono::DateTime::from_timestamp(expires, 0).ok_or_else(|| StoreError::Invalid("expiry out of range".into()))?;
        let signature = hex::encode(self.mac(key, expires).finalize().into_bytes());
        let url = format!("{}{DOWNLOAD_PATH}/{key}?expires={expires}&signature={signature}", self.base_url);
        Ok(SignedUrl { url, expires_at })
    }
}

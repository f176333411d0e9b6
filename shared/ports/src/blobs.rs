//! The `Blobs` port: an object store for artifacts and uploads, with signed, expiring download
//! URLs so clients fetch large files without going through the API.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::{StoreError, StoreResult};

/// Longest lifetime of a signed URL (S3's presigning limit is 7 days; the API uses 4 hours).
pub const MAX_SIGNED_URL_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// A validated object key: 1–1024 bytes of `A-Z a-z 0-9 / _ . - =`, no empty, `.` or `..`
/// segment, so it maps safely onto both an S3 key and a relative file path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn parse(raw: &str) -> StoreResult<Self> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '.' | '-' | '=');
        let segments_ok = raw.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
        if raw.is_empty() || raw.len() > 1024 || !raw.chars().all(allowed) || !segments_ok {
            return Err(StoreError::Invalid(format!("`{raw}` is not a valid blob key")));
        }
        Ok(BlobKey(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last path segment, used as the default download file name.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored object.
#[derive(Clone, Debug, PartialEq)]
pub struct Blob {
    pub bytes: Bytes,
    pub content_type: String,
}

/// A URL that downloads one object until `expires_at`, with no other credentials.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedUrl {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// The blob port.
#[async_trait]
pub trait Blobs: Send + Sync + 'static {
    /// Stores (or replaces) an object.
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> StoreResult<()>;

    /// A writer that stores an object a part at a time (for files too large to hold whole,
    /// such as a big job's artifact); the object appears under `key` when it finishes.
    async fn writer(&self, key: &BlobKey, content_type: &str) -> StoreResult<Box<dyn BlobWriter>>;

    /// The object, if it exists.
    async fn get(&self, key: &BlobKey) -> StoreResult<Option<Blob>>;

    /// Deletes the object; deleting a missing object is not an error.
    async fn delete(&self, key: &BlobKey) -> StoreResult<()>;

    /// Deletes every object under the folder `folder` (whose keys start with `folder/`; not an
    /// object named `folder` itself, nor `folder2/…`) and answers how many there were: for
    /// removing everything of one owner at once, such as a deleted organization's files.
    async fn delete_under(&self, folder: &BlobKey) -> StoreResult<u64>;

    /// A GET URL valid for `expires_in` (at most [`MAX_SIGNED_URL_LIFETIME`]).
    async fn signed_url(&self, key: &BlobKey, expires_in: Duration) -> StoreResult<SignedUrl>;
}

/// An object being written in parts (see [`Blobs::writer`]): nothing is visible under its key
/// until [`BlobWriter::finish`], and a writer dropped before that leaves no object (on S3 an
/// unfinished multipart upload, which the bucket's lifecycle rule aborts).
#[async_trait]
pub trait BlobWriter: Send {
    /// Appends `bytes` to the object.
    async fn write(&mut self, bytes: Bytes) -> StoreResult<()>;

    /// Stores the object (replacing any under its key) and answers its size in bytes.
    async fn finish(self: Box<Self>) -> StoreResult<u64>;
}

/// Blobs whose signed URLs the serving process checks itself (the embedded file store; S3 checks
/// its presigned URLs on its own). The local server's download route is written against this.
pub trait SelfSignedBlobs: Blobs + Clone {
    /// Checks a download link: the signature must match and `expires` (Unix seconds) must not
    /// have passed.
    fn verify(&self, key: &BlobKey, expires: i64, signature_hex: &str) -> bool;
}

/// The path under which the local server serves self-signed downloads (`/blobs/<key>`).
pub const DOWNLOAD_PATH: &str = "/blobs";

/// Rejects signed-URL lifetimes the adapters cannot honour.
pub fn check_lifetime(expires_in: Duration) -> StoreResult<()> {
    if expires_in.is_zero() || expires_in > MAX_SIGNED_URL_LIFETIME {
        return Err(StoreError::Invalid("a signed URL lives between 1 second and 7 days".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_their_root() {
        assert!(BlobKey::parse("artifacts/org_1/art_2/leads.csv").is_ok());
        for bad in ["", "/abs", "a//b", "../x", "a/./b", "a b", "a\\b", "x/"] {
            assert!(BlobKey::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(BlobKey::parse("a/b/c.csv").unwrap().file_name(), "c.csv");
    }
}

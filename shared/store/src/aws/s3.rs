//! The [`Blobs`] port on S3.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration, Delete, ObjectIdentifier,
};
use aws_sdk_s3::Client;
use bytes::Bytes;

use quarry_ports::blobs::check_lifetime;
use quarry_ports::clock::SharedClock;
use quarry_ports::{Blob, BlobKey, BlobWriter, Blobs, SignedUrl, StoreError, StoreResult};

/// Content type reported for an object stored without one.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The [`Blobs`] port over one S3 bucket; signed URLs are S3 presigned GET URLs.
///
/// Why: artifacts and uploads can be large; in AWS they live in S3 and clients download them
/// straight from S3 through presigned URLs instead of through the API Lambda.
#[derive(Clone)]
pub struct S3Blobs {
    client: Client,
    bucket: String,
    clock: SharedClock,
}

impl S3Blobs {
    /// An adapter for the existing bucket `bucket`; `clock` dates the signed URLs.
    pub fn new(client: Client, bucket: impl Into<String>, clock: SharedClock) -> Self {
        S3Blobs { client, bucket: bucket.into(), clock }
    }

    /// The bucket this adapter reads and writes.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn fail<E>(&self, action: &str, key: &BlobKey, err: SdkError<E>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        StoreError::Backend(format!("S3 {action} of `{key}` in bucket `{}` failed: {}", self.bucket, DisplayErrorContext(&err)))
    }
}

/// Bytes per part of a multipart upload (S3 takes 5 MiB to 5 GiB, the last part any size).
const PART_BYTES: usize = 8 * 1024 * 1024;

/// An object written to S3 a part at a time, so at most one part is in memory: an object that
/// ends under one part is one `PutObject`; a larger one is a multipart upload, completed by
/// `finish`. An upload left unfinished (the writer dropped, an error) is aborted when it can be,
/// and otherwise by the bucket's lifecycle rule; until completed it is not an object.
struct S3Writer {
    blobs: S3Blobs,
    key: BlobKey,
    content_type: String,
    buffer: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
    written: u64,
}

impl S3Writer {
    /// Sends the buffer as the next part, starting the upload first if it has not started.
    async fn send_part(&mut self) -> StoreResult<()> {
        let (client, bucket, key) = (&self.blobs.client, &self.blobs.bucket, &self.key);
        let upload_id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let out = client
                    .create_multipart_upload()
                    .bucket(bucket)
                    .key(key.as_str())
                    .content_type(&self.content_type)
                    .send()
                    .await
                    .map_err(|e| self.blobs.fail("CreateMultipartUpload", key, e))?;
                let id = out.upload_id.ok_or_else(|| StoreError::Backend(format!("S3 gave no upload ID for `{key}`")))?;
                self.upload_id = Some(id.clone());
                id
            }
        };
        let number = self.parts.len() as i32 + 1;
        let body = ByteStream::from(std::mem::take(&mut self.buffer));
        let sent = client.upload_part().bucket(bucket).key(key.as_str()).upload_id(&upload_id).part_number(number).body(body).send().await;
        match sent {
            Ok(out) => {
                self.parts.push(CompletedPart::builder().set_e_tag(out.e_tag).part_number(number).build());
                Ok(())
            }
            Err(e) => {
                let error = self.blobs.fail("UploadPart", key, e);
                self.abort().await;
                Err(error)
            }
        }
    }

    /// Aborts the upload, best effort (the lifecycle rule removes what this cannot).
    async fn abort(&mut self) {
        if let Some(id) = self.upload_id.take() {
            // Best effort: an upload this cannot abort is the lifecycle rule's.
            let _ = self.blobs.client.abort_multipart_upload().bucket(&self.blobs.bucket).key(self.key.as_str()).upload_id(id).send().await;
        }
    }
}

#[async_trait]
impl BlobWriter for S3Writer {
    async fn write(&mut self, bytes: Bytes) -> StoreResult<()> {
        self.buffer.extend_from_slice(&bytes);
        self.written += bytes.len() as u64;
        if self.buffer.len() >= PART_BYTES {
            self.send_part().await?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> StoreResult<u64> {
        if self.upload_id.is_none() {
            let bytes = Bytes::from(std::mem::take(&mut self.buffer));
            self.blobs.put(&self.key, bytes, &self.content_type).await?;
            return Ok(self.written);
        }
        if !self.buffer.is_empty() {
            self.send_part().await?;
        }
        let upload_id = self.upload_id.clone().unwrap_or_default();
        let parts = CompletedMultipartUpload::builder().set_parts(Some(std::mem::take(&mut self.parts))).build();
        let completed = self
            .blobs
            .client
            .complete_multipart_upload()
            .bucket(&self.blobs.bucket)
            .key(self.key.as_str())
            .upload_id(upload_id)
            .multipart_upload(parts)
            .send()
            .await;
        if let Err(e) = completed {
            let error = self.blobs.fail("CompleteMultipartUpload", &self.key, e);
            self.abort().await;
            return Err(error);
        }
        self.upload_id = None;
        Ok(self.written)
    }
}

impl Drop for S3Writer {
    fn drop(&mut self) {
        let (Some(id), Ok(runtime)) = (self.upload_id.take(), tokio::runtime::Handle::try_current()) else { return };
        let (client, bucket, key) = (self.blobs.client.clone(), self.blobs.bucket.clone(), self.key.to_string());
        runtime.spawn(async move {
            let _ = client.abort_multipart_upload().bucket(bucket).key(key).upload_id(id).send().await;
        });
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> StoreResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(if content_type.is_empty() { DEFAULT_CONTENT_TYPE } else { content_type })
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| self.fail("PutObject", key, e))?;
        Ok(())
    }

    async fn writer(&self, key: &BlobKey, content_type: &str) -> StoreResult<Box<dyn BlobWriter>> {
        let content_type = if content_type.is_empty() { DEFAULT_CONTENT_TYPE } else { content_type };
        Ok(Box::new(S3Writer {
            blobs: self.clone(),
            key: key.clone(),
            content_type: content_type.to_string(),
            buffer: Vec::new(),
            upload_id: None,
            parts: Vec::new(),
            written: 0,
        }))
    }

    async fn get(&self, key: &BlobKey) -> StoreResult<Option<Blob>> {
        let result = self.client.get_object().bucket(&self.bucket).key(key.as_str()).send().await;
        let out = match result {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(self.fail("GetObject", key, e)),
        };
        let content_type = out.content_type().unwrap_or(DEFAULT_CONTENT_TYPE).to_string();
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Backend(format!("reading S3 object `{key}` in bucket `{}` failed: {e}", self.bucket)))?;
        Ok(Some(Blob { bytes: body.into_bytes(), content_type }))
    }

    async fn delete(&self, key: &BlobKey) -> StoreResult<()> {
        self.client.delete_object().bucket(&self.bucket).key(key.as_str()).send().await.map_err(|e| self.fail("DeleteObject", key, e))?;
        Ok(())
    }

    async fn delete_under(&self, folder: &BlobKey) -> StoreResult<u64> {
        let prefix = format!("{folder}/");
        let mut deleted = 0;
        // Deleting what one page listed moves the rest up, so each round lists from the start.
        loop {
            let listed = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&prefix)
                .max_keys(1_000)
                .send()
                .await
                .map_err(|e| self.fail("ListObjectsV2", folder, e))?;
            let keys: Vec<ObjectIdentifier> = listed
                .contents()
                .iter()
                .filter_map(|object| object.key())
                .filter_map(|key| ObjectIdentifier::builder().key(key).build().ok())
                .collect();
            if keys.is_empty() {
                return Ok(deleted);
            }
            let count = keys.len() as u64;
            let batch = Delete::builder()
                .set_objects(Some(keys))
                .quiet(true)
                .build()
                .map_err(|e| StoreError::Invalid(format!("cannot build the delete of `{folder}/`: {e}")))?;
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(batch)
                .send()
                .await
                .map_err(|e| self.fail("DeleteObjects", folder, e))?;
            if let Some(failed) = out.errors().first() {
                return Err(StoreError::Backend(format!(
                    "S3 DeleteObjects under `{folder}/` in bucket `{}` failed for `{}`: {}",
                    self.bucket,
                    failed.key().unwrap_or("?"),
                    failed.message().unwrap_or("no message")
                )));
            }
            deleted += count;
        }
    }

    async fn signed_url(&self, key: &BlobKey, expires_in: Duration) -> StoreResult<SignedUrl> {
        check_lifetime(expires_in)?;
        // Sign from the port's clock so `expires_at` is exactly when S3 stops accepting the URL.
        let now = self.clock.now();
        let config = PresigningConfig::builder()
            .start_time(SystemTime::from(now))
            .expires_in(expires_in)
            .build()
            .map_err(|e| StoreError::Invalid(format!("cannot presign for {expires_in:?}: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .presigned(config)
            .await
            .map_err(|e| self.fail("presigning GetObject", key, e))?;
        let lifetime = chrono::Duration::from_std(expires_in)
            .map_err(|e| StoreError::Invalid(format!("signed URL lifetime {expires_in:?} is out of range: {e}")))?;
        Ok(SignedUrl { url: request.uri().to_string(), expires_at: now + lifetime })
    }
}

/// An S3 client for `cfg`. Path-style addressing (`http://host/bucket/key`) is used when
/// `force_path_style` is set or the configuration has a custom endpoint (an emulator such as
/// moto cannot serve virtual-hosted bucket names).
pub fn s3_client(cfg: &aws_config::SdkConfig, force_path_style: bool) -> Client {
    let path_style = force_path_style || cfg.endpoint_url().is_some();
    let config = aws_sdk_s3::config::Builder::from(cfg).force_path_style(path_style).build();
    Client::from_conf(config)
}

/// Creates the bucket `name` (for tests and local bootstrap; production buckets come from the
/// SAM template). A bucket that already exists and is ours is not an error.
pub async fn create_bucket(client: &Client, name: &str) -> StoreResult<()> {
    let mut request = client.create_bucket().bucket(name);
    // us-east-1 is S3's default location; every other region must be named.
    if let Some(region) = client.config().region().map(|r| r.as_ref()).filter(|r| *r != "us-east-1") {
        let location = CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region));
        request = request.create_bucket_configuration(location.build());
    }
    let result = request.send().await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you()) => Ok(()),
        Err(e) => Err(StoreError::Backend(format!("S3 CreateBucket `{name}` failed: {}", DisplayErrorContext(&e)))),
    }
}

//! The storage bundle every component is built over: one table, one blob store, the work queues.

use std::sync::Arc;

use crate::ports::{Blobs, Queue, Table};

/// Name of the step worker's queue (its dead-letter queue is `<name>-dlq`).
pub const STEPS_QUEUE: &str = "steps";
/// Name of the webhook dispatcher's queue.
pub const DELIVERIES_QUEUE: &str = "deliveries";
/// Receives before a message is moved to its dead-letter queue (the template's redrive policy).
pub const MAX_RECEIVES: u32 = 5;

/// The adapters in use.
#[derive(Clone)]
pub struct Storage {
    pub table: Arc<dyn Table>,
    pub blobs: Arc<dyn Blobs>,
    /// Work for the step worker.
    pub steps: Arc<dyn Queue>,
    /// Webhook deliveries for the dispatcher.
    pub deliveries: Arc<dyn Queue>,
    /// `embedded` or `aws`, as `/health` reports it.
    pub backend: &'static str,
}

#[cfg(feature = "sqlite")]
mod embedded {
    use std::path::Path;
    use std::sync::Arc;

    use super::{Storage, DELIVERIES_QUEUE, MAX_RECEIVES, STEPS_QUEUE};
    use crate::clock::SharedClock;
    use crate::ports::StoreResult;
    use crate::store::files::FileBlobs;
    use crate::store::sqlite::{QueueSettings, SqliteDb, SqliteQueue, SqliteTable};

    /// The embedded storage of a data directory: `quarry.db` (table + queues) and `blobs/`.
    pub struct Embedded {
        pub storage: Storage,
        pub db: SqliteDb,
        pub table: SqliteTable,
        pub blobs: FileBlobs,
    }

    impl Storage {
        /// Opens the embedded storage in `data_dir` (created if missing). `base_url` is where the
        /// local server is reachable, for signed download URLs.
        pub fn embedded(data_dir: &Path, base_url: &str, signing_key: Vec<u8>, clock: SharedClock) -> StoreResult<Embedded> {
            std::fs::create_dir_all(data_dir)
                .map_err(|e| crate::ports::StoreError::Backend(format!("cannot create {}: {e}", data_dir.display())))?;
            let db = SqliteDb::open(&data_dir.join("quarry.db"))?;
            let table = SqliteTable::new(db.clone(), clock.clone());
            let blobs = FileBlobs::new(data_dir.join("blobs"), base_url, signing_key, clock.clone());
            let queue = |name: &str| Arc::new(SqliteQueue::new(db.clone(), clock.clone(), QueueSettings::with_dlq(name, MAX_RECEIVES)));
            let storage = Storage {
                table: Arc::new(table.clone()),
                blobs: Arc::new(blobs.clone()),
                steps: queue(STEPS_QUEUE),
                deliveries: queue(DELIVERIES_QUEUE),
                backend: "embedded",
            };
            Ok(Embedded { storage, db, table, blobs })
        }
    }
}

#[cfg(feature = "sqlite")]
pub use embedded::Embedded;

#[cfg(feature = "aws")]
mod aws {
    use std::sync::Arc;

    use super::Storage;
    use crate::clock::SharedClock;
    use crate::ports::{StoreError, StoreResult};
    use crate::store::aws::{dynamo::DynamoTable, s3::s3_client, s3::S3Blobs, sdk_config, sqs::SqsQueue};

    /// Where a Lambda function finds its resources: the environment `template.yaml` sets.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct AwsResources {
        /// `QUARRY_TABLE`: the DynamoDB table.
        pub table: String,
        /// `QUARRY_BUCKET`: the artifacts bucket.
        pub bucket: String,
        /// `QUARRY_STEPS_QUEUE_URL`: the step worker's queue.
        pub steps_queue_url: String,
        /// `QUARRY_DELIVERIES_QUEUE_URL`: the webhook dispatcher's queue.
        pub deliveries_queue_url: String,
        /// `QUARRY_AWS_ENDPOINT_URL`: an emulator to use instead of AWS (tests, local trials).
        pub endpoint_url: Option<String>,
    }

    impl AwsResources {
        /// Reads the resource names from the environment, naming every missing variable.
        pub fn from_env() -> StoreResult<Self> {
            Self::from_lookup(|name| std::env::var(name).ok())
        }

        /// Reads the resource names through `lookup` (the environment, or a test's map).
        pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> StoreResult<Self> {
            let mut missing = Vec::new();
            let mut required = |name: &'static str| {
                lookup(name).filter(|v| !v.trim().is_empty()).unwrap_or_else(|| {
                    missing.push(name);
                    String::new()
                })
            };
            let resources = AwsResources {
                table: required("QUARRY_TABLE"),
                bucket: required("QUARRY_BUCKET"),
                steps_queue_url: required("QUARRY_STEPS_QUEUE_URL"),
                deliveries_queue_url: required("QUARRY_DELIVERIES_QUEUE_URL"),
                endpoint_url: lookup("QUARRY_AWS_ENDPOINT_URL").filter(|v| !v.trim().is_empty()),
            };
            if missing.is_empty() {
                Ok(resources)
            } else {
                Err(StoreError::Invalid(format!("missing environment variables: {}", missing.join(", "))))
            }
        }
    }

    impl Storage {
        /// The AWS adapters over `resources`, with credentials and region from the default chain.
        pub async fn aws(resources: &AwsResources, clock: SharedClock) -> Storage {
            let config = sdk_config(resources.endpoint_url.as_deref()).await;
            let sqs = aws_sdk_sqs::Client::new(&config);
            Storage {
                table: Arc::new(DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), resources.table.clone(), clock.clone())),
                blobs: Arc::new(S3Blobs::new(s3_client(&config, resources.endpoint_url.is_some()), resources.bucket.clone(), clock)),
                steps: Arc::new(SqsQueue::new(sqs.clone(), resources.steps_queue_url.clone())),
                deliveries: Arc::new(SqsQueue::new(sqs, resources.deliveries_queue_url.clone())),
                backend: "aws",
            }
        }
    }
}

#[cfg(feature = "aws")]
pub use aws::AwsResources;

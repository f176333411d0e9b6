//! The storage bundle every component is built over: one table, one blob store, the work queues.

use std::sync::Arc;

use crate::{Blobs, Queue, Table};

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

/// Where the AWS adapters find their resources: the names `template.yaml` gives every Lambda
/// function. Plain data, so the domain's settings can carry it without naming an adapter;
/// `quarry_store::aws::connect` builds the [`Storage`] over it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsResources {
    /// [`Self::ENV_TABLE`]: the DynamoDB table.
    pub table: String,
    /// [`Self::ENV_BUCKET`]: the artifacts bucket.
    pub bucket: String,
    /// [`Self::ENV_STEPS_QUEUE_URL`]: the step worker's queue.
    pub steps_queue_url: String,
    /// [`Self::ENV_DELIVERIES_QUEUE_URL`]: the webhook dispatcher's queue.
    pub deliveries_queue_url: String,
    /// [`Self::ENV_ENDPOINT_URL`]: an emulator to use instead of AWS (tests, local trials).
    pub endpoint_url: Option<String>,
}

impl AwsResources {
    /// The DynamoDB table.
    pub const ENV_TABLE: &'static str = "QUARRY_TABLE";
    /// The artifacts bucket.
    pub const ENV_BUCKET: &'static str = "QUARRY_BUCKET";
    /// The step worker's queue URL.
    pub const ENV_STEPS_QUEUE_URL: &'static str = "QUARRY_STEPS_QUEUE_URL";
    /// The webhook dispatcher's queue URL.
    pub const ENV_DELIVERIES_QUEUE_URL: &'static str = "QUARRY_DELIVERIES_QUEUE_URL";
    /// An AWS emulator's URL (optional).
    pub const ENV_ENDPOINT_URL: &'static str = "QUARRY_AWS_ENDPOINT_URL";
    /// Every variable read, the required ones first.
    pub const VARIABLES: [&'static str; 5] =
        [Self::ENV_TABLE, Self::ENV_BUCKET, Self::ENV_STEPS_QUEUE_URL, Self::ENV_DELIVERIES_QUEUE_URL, Self::ENV_ENDPOINT_URL];

    /// Reads the resource names through `lookup` (the environment, or a test's map). An empty
    /// value counts as unset; `Err` names every missing variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut missing = Vec::new();
        let mut required = |name: &'static str| {
            lookup(name).filter(|v| !v.trim().is_empty()).unwrap_or_else(|| {
                missing.push(name);
                String::new()
            })
        };
        let resources = AwsResources {
            table: required(Self::ENV_TABLE),
            bucket: required(Self::ENV_BUCKET),
            steps_queue_url: required(Self::ENV_STEPS_QUEUE_URL),
            deliveries_queue_url: required(Self::ENV_DELIVERIES_QUEUE_URL),
            endpoint_url: lookup(Self::ENV_ENDPOINT_URL).filter(|v| !v.trim().is_empty()),
        };
        if missing.is_empty() {
            Ok(resources)
        } else {
            Err(format!("missing environment variables: {} (the AWS resources template.yaml sets)", missing.join(", ")))
        }
    }
}

//! AWS adapters for the storage ports: [`dynamo::DynamoTable`] (DynamoDB), [`s3::S3Blobs`] (S3)
//! and [`sqs::SqsQueue`] (SQS).
//!
//! They are what the Lambda functions run on. The same code runs against the moto emulator in
//! tests: pass its URL as `endpoint_url` to [`sdk_config`] (and use path-style S3 addressing,
//! see [`s3::s3_client`]). Each module also has the bootstrap helper that creates its resource
//! exactly as `template.yaml` does, for tests and local set-ups.

pub mod dynamo;
mod lazy_tls;
pub mod s3;
pub mod sqs;

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region};
use quarry_ports::clock::SharedClock;
pub use quarry_ports::storage::AwsResources;
use quarry_ports::storage::Storage;

use dynamo::DynamoTable;
use s3::{s3_client, S3Blobs};
use sqs::SqsQueue;

/// Region used when neither `AWS_REGION` nor `AWS_DEFAULT_REGION` is set.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Loads the shared SDK configuration: credentials from the default chain (environment, Lambda
/// role, profile), region from `AWS_REGION` / `AWS_DEFAULT_REGION` (else `us-east-1`) and, when
/// `endpoint_url` is given, that endpoint for every service (an emulator such as moto). The HTTPS
/// client is the SDK's default one, set up at the first request instead of at each client's
/// construction ([`lazy_tls`]): a cold start that answers without AWS loads no certificate.
pub async fn sdk_config(endpoint_url: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region_from_env());
    if let Some(client) = lazy_tls::DeferredTls::default_client() {
        loader = loader.http_client(client);
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

fn region_from_env() -> Region {
    let from_env =
        ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().filter_map(|name| std::env::var(name).ok()).find(|value| !value.trim().is_empty());
    Region::new(from_env.unwrap_or_else(|| DEFAULT_REGION.to_string()))
}

/// The AWS adapters over `resources`, with credentials and region from the default chain.
pub async fn connect(resources: &AwsResources, clock: SharedClock) -> Storage {
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

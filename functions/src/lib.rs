//! Shared start-up of the Lambda entries: logging, configuration from the environment, the
//! router of one endpoint group, and the step worker's SQS handler. Each binary in `src/bin/` is
//! a few lines around [`serve_group`] or [`serve_step_worker`].

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use quarry_ports::clock::SystemClock;
use quarry_shared::http::{self, AppState, Group};
use quarry_shared::worker::Worker;
use quarry_store::aws::AwsResources;

/// Logs as JSON lines (CloudWatch-friendly), filtered by `QUARRY_LOG` (default `info`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("QUARRY_LOG").unwrap_or_else(|_| "info".into()))
        .with_current_span(false)
        .without_time()
        .init();
}

/// The router of `group` over `resources`.
pub async fn group_router(group: Group, resources: &AwsResources) -> axum::Router {
    let clock = Arc::new(SystemClock);
    let storage = quarry_store::aws::connect(resources, clock.clone()).await;
    http::router(AppState::new(storage, clock, &[group]), None)
}

/// Runs `group` as an API Gateway (HTTP API, payload 2.0) Lambda handler over the resources
/// named in the environment.
pub async fn serve_group(group: Group) -> Result<(), lambda_http::Error> {
    init_logging();
    let resources = AwsResources::from_env()?;
    lambda_http::run(group_router(group, &resources).await).await
}

/// Runs the `stream` group with a streaming response (Server-Sent Events), behind a Lambda
/// function URL in `RESPONSE_STREAM` mode: API Gateway HTTP APIs cannot stream.
pub async fn serve_streaming_group(group: Group) -> Result<(), lambda_http::Error> {
    init_logging();
    let resources = AwsResources::from_env()?;
    lambda_http::run_with_streaming_response(group_router(group, &resources).await).await
}

/// The step worker over `resources`.
/// The step worker over the deployment's resources, configured by environment (see
/// `Worker::from_env`); a bad setting stops the cold start with a message naming it.
pub async fn step_worker(resources: &AwsResources) -> Result<Worker, lambda_http::Error> {
    let clock = Arc::new(SystemClock);
    Ok(Worker::from_env(quarry_store::aws::connect(resources, clock.clone()).await, clock)?)
}

/// Handles one SQS batch: each message is one task run. Failed messages are reported by ID
/// (`ReportBatchItemFailures`), so SQS redelivers only those, and after the redrive policy's
/// maximum receives moves them to the dead-letter queue.
pub async fn handle_sqs_batch(worker: &Worker, event: SqsEvent) -> SqsBatchResponse {
    // Messages of a batch are independent, so they run side by side: a slow one (a live job's
    // first chunk fetching a seed file) does not push the others past the function's timeout.
    let outcomes = futures_util::future::join_all(event.records.iter().map(|record| async move {
        let outcome = match record.body.as_deref() {
            Some(body) => worker.handle_delivery(body, receive_count(record)).await,
            None => Err(quarry_ports::StoreError::Invalid("message without a body".into())),
        };
        (record.message_id.clone().unwrap_or_default(), outcome)
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for (id, outcome) in outcomes {
        if let Err(e) = outcome {
            tracing::warn!(message_id = %id, error = %e, "task failed; SQS will redeliver it");
            response.add_failure(id);
        }
    }
    response
}

/// How many times SQS has delivered the message (its `ApproximateReceiveCount` attribute).
fn receive_count(record: &aws_lambda_events::event::sqs::SqsMessage) -> u32 {
    record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1)
}

/// Runs the step worker as an SQS-triggered Lambda handler over the resources named in the
/// environment.
pub async fn serve_step_worker() -> Result<(), lambda_http::Error> {
    init_logging();
    let resources = AwsResources::from_env()?;
    let worker = step_worker(&resources).await?;
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_http::Error>(handle_sqs_batch(worker, event.payload).await)
    }))
    .await
}

/// Runs the webhook dispatcher as an SQS-triggered Lambda handler on the deliveries queue. It
/// is the same worker as the step worker's (one implementation of every task); only the queue
/// that triggers it differs.
pub async fn serve_webhook_dispatcher() -> Result<(), lambda_http::Error> {
    serve_step_worker().await
}

/// Runs the `scheduler` function: EventBridge Scheduler invokes it every minute (its input is
/// ignored). It wakes stalled jobs, sweeps the webhook outbox, and releases webhook retries that
/// are due (waits longer than SQS's 15-minute delay are held in the table).
pub async fn serve_scheduler() -> Result<(), lambda_http::Error> {
    init_logging();
    let resources = AwsResources::from_env()?;
    let worker = step_worker(&resources).await?;
    let worker = &worker;
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<serde_json::Value>| async move {
        let done = worker.scheduled().await?;
        Ok::<_, lambda_http::Error>(serde_json::to_value(done)?)
    }))
    .await
}

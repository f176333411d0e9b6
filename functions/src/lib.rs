//! Shared start-up of the Lambda entries: the settings (read once per cold start), logging, the
//! router of one endpoint group, and the step worker's SQS handler. Each binary in `src/bin/` is
//! one line around [`serve_group`], [`serve_step_worker`] and the like.
//!
//! Start-up does only what every request needs: nothing here calls AWS or loads a certificate
//! (the SDK's TLS set-up waits for the first AWS request, see `quarry_store::aws::sdk_config`),
//! and `/openapi.json` is served from [`OPENAPI_JSON`], made when the crate is built, instead of
//! being generated at the first request (that took longer than the rest of a cold start).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use quarry_ports::clock::SystemClock;
use quarry_shared::http::{self, AppState, Group};
use quarry_shared::settings::Settings;
use quarry_shared::worker::Worker;
use quarry_store::aws::AwsResources;

/// The `/openapi.json` body, `quarry_shared::http::openapi().to_string()` as of this build. It is
/// a checked-in file so that no build step has to run the router; the `openapi_snapshot` test
/// fails when it drifts from the routes, and rewrites it when run with `QUARRY_BLESS_OPENAPI=1`.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Logs as JSON lines (CloudWatch-friendly), filtered by `filter` (the settings' `QUARRY_LOG`).
pub fn init_logging(filter: &str) {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_current_span(false)
        .without_time()
        .init();
}

/// The cold start every entry shares: the settings from the environment (a bad value stops it
/// with a message naming the variable), logging, and the AWS resources, which every function
/// needs.
pub fn start() -> Result<(Settings, AwsResources), lambda_http::Error> {
    let settings = Settings::from_env()?;
    init_logging(&settings.log_filter);
    let resources = settings.aws()?;
    Ok((settings, resources))
}

/// The router of `group` over `resources`, as `settings` configure it.
pub async fn router(group: Group, settings: &Settings, resources: &AwsResources) -> axum::Router {
    let clock = Arc::new(SystemClock);
    let storage = quarry_store::aws::connect(resources, clock.clone()).await;
    http::use_prebuilt_openapi_json(OPENAPI_JSON);
    http::router(AppState::new(storage, clock, &[group], settings), None)
}

/// [`router`] with the settings of the process environment (for tests; the entries read them once
/// in [`start`]). Panics on a bad setting.
pub async fn group_router(group: Group, resources: &AwsResources) -> axum::Router {
    let settings = Settings::from_env().unwrap_or_else(|e| panic!("{e}"));
    router(group, &settings, resources).await
}

/// Runs `group` as an API Gateway (HTTP API, payload 2.0) Lambda handler.
pub async fn serve_group(group: Group) -> Result<(), lambda_http::Error> {
    let (settings, resources) = start()?;
    lambda_http::run(router(group, &settings, &resources).await).await
}

/// Runs the `stream` group with a streaming response (Server-Sent Events), behind a Lambda
/// function URL in `RESPONSE_STREAM` mode: API Gateway HTTP APIs cannot stream.
pub async fn serve_streaming_group(group: Group) -> Result<(), lambda_http::Error> {
    let (settings, resources) = start()?;
    lambda_http::run_with_streaming_response(router(group, &settings, &resources).await).await
}

/// The step worker over `resources`, as `settings` configure it.
pub async fn worker(settings: &Settings, resources: &AwsResources) -> Worker {
    let clock = Arc::new(SystemClock);
    Worker::new(quarry_store::aws::connect(resources, clock.clone()).await, clock, settings)
}

/// [`worker`] with the settings of the process environment (for tests; the entries read them
/// once in [`start`]); a bad setting is an error naming it.
pub async fn step_worker(resources: &AwsResources) -> Result<Worker, lambda_http::Error> {
    Ok(worker(&Settings::from_env()?, resources).await)
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

/// Runs the step worker as an SQS-triggered Lambda handler.
pub async fn serve_step_worker() -> Result<(), lambda_http::Error> {
    let (settings, resources) = start()?;
    let worker = &worker(&settings, &resources).await;
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
    let (settings, resources) = start()?;
    let worker = &worker(&settings, &resources).await;
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<serde_json::Value>| async move {
        let done = worker.scheduled().await?;
        Ok::<_, lambda_http::Error>(serde_json::to_value(done)?)
    }))
    .await
}

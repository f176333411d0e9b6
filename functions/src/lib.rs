//! Shared start-up of the Lambda entries: logging, configuration from the environment, and the
//! router of one endpoint group. Each binary in `src/bin/` is a few lines around [`serve_group`].

use std::sync::Arc;

use quarry_shared::clock::SystemClock;
use quarry_shared::http::{self, AppState, Group};
use quarry_shared::storage::{AwsResources, Storage};

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
    let storage = Storage::aws(resources, clock.clone()).await;
    http::router(AppState::new(storage, clock, &[group]), None)
}

/// Runs `group` as an API Gateway (HTTP API, payload 2.0) Lambda handler over the resources
/// named in the environment.
pub async fn serve_group(group: Group) -> Result<(), lambda_http::Error> {
    init_logging();
    let resources = AwsResources::from_env()?;
    lambda_http::run(group_router(group, &resources).await).await
}

//! Unauthenticated service endpoints: `GET /health` and `GET /openapi.json`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use quarry_ports::clock::Timestamp;
use quarry_ports::Key;

/// Service health.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when storage does not answer.
    pub status: &'static str,
    pub version: &'static str,
    /// `embedded` (SQLite + files) or `aws` (DynamoDB + S3 + SQS).
    pub backend: &'static str,
    /// The endpoint groups this deployment serves.
    pub features: Vec<&'static str>,
    pub time: Timestamp,
}

/// How long a storage probe that succeeded stands for the next `/health` calls. A load balancer
/// or uptime check calling many times a second then costs storage one read a second; a failure
/// is never remembered, so recovery shows at once, and a failure shows within this long.
const PROBE_FRESH_FOR: Duration = Duration::from_secs(1);

/// When storage last answered the probe.
#[derive(Default)]
pub(super) struct LastProbe(Mutex<Option<Instant>>);

impl LastProbe {
    fn fresh(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|at| at.elapsed() < PROBE_FRESH_FOR)
    }

    fn answered(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }
}

/// Health, version and enabled features. Reads storage (at most once a second while it
/// answers), so it fails when storage does.
#[utoipa::path(get, path = "/health", operation_id = "health.retrieve", tag = "service", security(),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub(super) async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let probe = state.health_probe();
    let storage_ok = probe.fresh() || {
        let answered = state.storage().table.get(&Key::new("HEALTH", "HEALTH")).await.is_ok();
        if answered {
            probe.answered();
        }
        answered
    };
    let health = Health {
        status: if storage_ok { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        backend: state.storage().backend,
        features: state.features().to_vec(),
        time: state.clock().now().into(),
    };
    let status = if storage_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(health))
}

/// The OpenAPI 3.1 document of the whole API, generated from the code.
#[utoipa::path(get, path = "/openapi.json", operation_id = "openapi.retrieve", tag = "service", security(),
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
pub(super) async fn openapi_json() -> impl IntoResponse {
    static JSON: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| super::openapi().to_string());
    let body = super::PREBUILT_OPENAPI_JSON.get().copied().unwrap_or_else(|| JSON.as_str());
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body)
}

/// The same document as YAML, for tools that read that (generated once, from the same routes).
#[utoipa::path(get, path = "/openapi.yaml", operation_id = "openapi_yaml.retrieve", tag = "service", security(),
    responses((status = 200, description = "OpenAPI document", content_type = "application/yaml")))]
pub(super) async fn openapi_yaml() -> impl IntoResponse {
    static YAML: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| super::openapi::to_yaml(super::openapi()));
    ([(axum::http::header::CONTENT_TYPE, "application/yaml")], YAML.as_str())
}

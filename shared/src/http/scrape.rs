//! The `scrape` endpoint group: `POST /v1/scrape` starts a job that reads a list of URLs (see
//! `jobs::scrape`). The job is then read, listed, streamed and stopped with the `jobs` group like
//! any other, and its leads are in the `leads` group.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, Run};
use super::error::{ApiResult, ErrorEnvelope};
use super::extract::ApiJson;
use super::responses::{Conflict, JobLimit, PaymentRequired, V1Errors};
use super::AppState;
use crate::jobs::scrape::{ScrapeBody, ScrapeRequest};
use crate::operations::{ApprovedJob, StartRequest};

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_scrape))
}

/// Starts a scrape of 1 to 10,000 URLs. Answers at once with the running job; its URL counters
/// (`processed_urls`, `leads_found`, `progress_percentage`, …) move as it reads. With a test key
/// nothing is fetched: each URL gives synthetic leads, free.
#[utoipa::path(post, path = "/v1/scrape", operation_id = "scrape.create", tag = "scrape", request_body = ScrapeBody,
    responses((status = 201, description = "The scrape job, started", body = ApprovedJob),
        (status = 400, description = "`invalid_request_error`: a field is invalid; `param` names it (`urls[3]`, `options.depth`)", body = ErrorEnvelope),
        PaymentRequired, Conflict, JobLimit, V1Errors))]
async fn create_scrape(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiJson(body): ApiJson<ScrapeBody>,
) -> ApiResult<(StatusCode, Json<ApprovedJob>)> {
    let request = ScrapeRequest::parse(&body, state.target_policy())?;
    let start = StartRequest::parse(body.webhook_url, body.max_credits, None)?;
    let started = state.operations().start_scrape(&state.caller(&auth), &auth.organization, &request, start).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

//! The `search` endpoint group: one call from a prompt to leads. It runs the same pipeline as the
//! conversation (a thread, the planner, a job auto-approved, the step worker) and then either
//! waits for the result (`wait: sync`: on Lambda at most [`SYNC_BUDGET`](crate::operations::SYNC_BUDGET),
//! inside API Gateway's 29 s; locally `QUARRY_SEARCH_WAIT_SECS`) or answers at once with the job
//! (`wait: async`). A sync search that runs out of time answers 202 with the job, exactly like an
//! async one; a sync `csv` search that ended answers the CSV file itself.

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, Run};
use super::error::ApiResult;
use super::extract::ApiJson;
use super::responses::{BadRequest, Conflict, PaymentRequired, PlanOrJobLimit, PlanRejected, V1Errors};
use super::AppState;
use crate::jobs::artifact::{Artifact, Format};
use crate::jobs::Job;
use crate::leads::Lead;
use crate::operations::{SearchOutcome, SearchQuery, Wait};

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// Body of `POST /v1/search`.
#[derive(Deserialize, ToSchema)]
pub struct SearchRequest {
    /// The audience, in plain words (1–8,000 characters; only blanks is a 422).
    #[schema(min_length = 1, max_length = 8000)]
    pub prompt: String,
    /// 1–2,000 (default 200).
    #[schema(minimum = 1, maximum = 2000)]
    pub max_rows: Option<u32>,
    /// The job stops rather than spend more than this.
    #[schema(minimum = 1)]
    pub max_credits: Option<u64>,
    /// `sync` (default) or `async`.
    pub wait: Option<Wait>,
    /// `json` (default: leads inline), `csv` (with `wait: sync`, the CSV file itself once the job
    /// ended; else a download link) or `xlsx` (a download link).
    pub format: Option<Format>,
}

/// What a search answers: the job, and once it has ended its leads (`json`) or a download link.
#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    #[schema(example = "search_result")]
    pub object: &'static str,
    /// The job's ID (also `job.id`): what an async search's caller polls or streams.
    pub job_id: String,
    pub job: Job,
    /// The leads, for `format: json` once the job has ended.
    pub leads: Option<Vec<Lead>>,
    /// The artifact with a download link in the requested format, once the job has ended.
    pub artifact: Option<Artifact>,
}

/// Runs an audience query end to end: thread, plan, auto-approved job, result.
#[utoipa::path(post, path = "/v1/search", operation_id = "search.create", tag = "search", request_body = SearchRequest,
    responses((status = 200, description = "The job ended within the wait: the result, or for a sync `csv` search the CSV file (its job in `X-Job-Id`)",
            content((SearchResult = "application/json"), (String = "text/csv"))),
        (status = 202, description = "Still running (async, or sync past 25 s): poll the job", body = SearchResult),
        BadRequest, PaymentRequired, Conflict, PlanRejected, PlanOrJobLimit, V1Errors))]
async fn search(State(state): State<AppState>, auth: Authorized<Run>, ApiJson(body): ApiJson<SearchRequest>) -> ApiResult<Response> {
    let request = SearchQuery::parse(body.prompt, body.max_rows, body.max_credits, body.wait, body.format)?;
    let found = state.operations().search(&state.caller(&auth), &auth.organization, request).await?;
    // A search that runs out of time answers 202 with the job, exactly like an async one.
    let status = if found.ended() { StatusCode::OK } else { StatusCode::ACCEPTED };
    let SearchOutcome { job, leads, artifact, csv } = found;
    if let Some(csv) = csv {
        let headers = [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (CONTENT_DISPOSITION, "attachment; filename=\"leads.csv\"".to_string()),
            (X_JOB_ID.clone(), job.id.clone()),
        ];
        return Ok((status, headers, csv).into_response());
    }
    Ok((status, Json(SearchResult { object: "search_result", job_id: job.id.clone(), job, leads, artifact })).into_response())
}

/// The job a CSV answer of `/v1/search` came from.
static X_JOB_ID: HeaderName = HeaderName::from_static("x-job-id");

//! The `jobs` endpoint group: approving, stopping, reading and listing jobs. The work of a job is
//! never done inside a request: approval enqueues its first chunk for the step worker.

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, Read, Run};
use super::error::{ApiResult, ErrorEnvelope};
use super::extract::{ApiJson, ApiPath, ApiQuery, OptionalJson};
use super::pagination::{ListParams, ListResponse, ListScope, MAX_LIMIT};
use super::params::JobIdPath;
use super::responses::{BadRequest, Conflict, JobLimit, NotFound, PaymentRequired, RateLimited, V1Errors};
use super::AppState;
use crate::jobs::log::LogEntry;
use crate::jobs::summary::JobSummary;
use crate::jobs::{Job, JobFilter, JobFilterText};
use crate::operations::{ApprovedJob, StartRequest};

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job, update_job))
        .routes(routes!(job_summary))
        .routes(routes!(job_logs))
        .routes(routes!(approve_job))
        .routes(routes!(stop_job))
        .routes(routes!(cancel_job))
}

/// Body of `POST /v1/jobs/{job_id}/approve`.
#[derive(Deserialize, ToSchema, Default)]
pub struct Approve {
    /// Events of this job are also delivered to this URL (an absolute `http(s)` URL; one that
    /// is not allowed, such as an internal address, is a 422).
    #[schema(value_type = Option<crate::filters::UrlText>)]
    pub webhook_url: Option<String>,
    /// The job stops (`stopped`) rather than spend more credits than this.
    #[schema(minimum = 1)]
    pub max_credits: Option<u64>,
    /// Metadata to merge into the job's (string values; `null` removes a key).
    #[schema(value_type = Option<super::schema::MetadataPatch>)]
    pub metadata: Option<Map<String, Value>>,
}

/// Body of `PATCH /v1/jobs/{job_id}`.
#[derive(Deserialize, ToSchema)]
pub struct UpdateJob {
    /// Keys to add or replace; a key set to `null` is removed. Other keys are kept.
    #[schema(value_type = Option<super::schema::MetadataPatch>)]
    pub metadata: Option<Map<String, Value>>,
}

/// Changes a job's metadata, at any status (the job's work is not touched).
#[utoipa::path(patch, path = "/v1/jobs/{job_id}", operation_id = "jobs.update", tag = "jobs", request_body = UpdateJob,
    params(JobIdPath),
    responses((status = 200, body = Job), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn update_job(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>,
    ApiJson(body): ApiJson<UpdateJob>,
) -> ApiResult<Json<Job>> {
    let caller = state.caller(&auth);
    match body.metadata {
        Some(changes) => Ok(Json(state.jobs().update_metadata(&caller, &job_id, changes).await?)),
        None => Ok(Json(state.jobs().job(&caller, &job_id).await?)),
    }
}

/// Approves a pending job and starts it. Answers at once; progress shows on the job.
#[utoipa::path(post, path = "/v1/jobs/{job_id}/approve", operation_id = "jobs.approve", tag = "jobs", request_body(content = Option<Approve>),
    params(JobIdPath),
    responses((status = 200, body = ApprovedJob), BadRequest, PaymentRequired, NotFound,
        (status = 409, description = "`conflict`: the job is not pending, or the `Idempotency-Key` is in flight or was used for another request", body = ErrorEnvelope),
        JobLimit, V1Errors))]
async fn approve_job(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>,
    OptionalJson(body): OptionalJson<Approve>,
) -> ApiResult<Json<ApprovedJob>> {
    let start = StartRequest::parse(body.webhook_url, body.max_credits, body.metadata)?;
    Ok(Json(state.operations().start_job(&state.caller(&auth), &auth.organization, &job_id, start).await?))
}

/// Stops a job: a running job ends `stopped` at its next checkpoint with a partial artifact; a
/// pending job ends `stopped` at once.
#[utoipa::path(post, path = "/v1/jobs/{job_id}/stop", operation_id = "jobs.stop", tag = "jobs", params(JobIdPath),
    responses((status = 200, body = Job), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn stop_job(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>,
) -> ApiResult<Json<Job>> {
    Ok(Json(state.jobs().stop(&state.caller(&auth), &job_id).await?))
}

/// The same as `stop` (the name other lead APIs use).
#[utoipa::path(post, path = "/v1/jobs/{job_id}/cancel", operation_id = "jobs.cancel", tag = "jobs", params(JobIdPath),
    responses((status = 200, body = Job), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn cancel_job(state: State<AppState>, auth: Authorized<Run>, path: ApiPath<JobIdPath>) -> ApiResult<Json<Job>> {
    stop_job(state, auth, path).await
}

/// One job. Cheap and safe to poll (cacheable for a second).
#[utoipa::path(get, path = "/v1/jobs/{job_id}", operation_id = "jobs.retrieve", tag = "jobs", params(JobIdPath),
    responses((status = 200, body = Job), NotFound, RateLimited, V1Errors))]
async fn get_job(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>,
) -> ApiResult<([(axum::http::HeaderName, &'static str); 1], Json<Job>)> {
    let job = state.jobs().job(&state.caller(&auth), &job_id).await?;
    Ok(([(CACHE_CONTROL, "private, max-age=1")], Json(job)))
}

/// What a job found: rows, leads, coverage per role, caveats.
#[utoipa::path(get, path = "/v1/jobs/{job_id}/summary", operation_id = "jobs.summary.retrieve", tag = "jobs", params(JobIdPath),
    responses((status = 200, body = JobSummary), NotFound, RateLimited, V1Errors))]
async fn job_summary(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>,
) -> ApiResult<Json<JobSummary>> {
    Ok(Json(state.jobs().summary(&state.caller(&auth), &job_id).await?))
}

/// A job's log entries: the same entries its stream sends, oldest first by default, 100 a page
/// unless `limit` says otherwise.
#[utoipa::path(get, path = "/v1/jobs/{job_id}/logs", operation_id = "jobs.logs.list", tag = "jobs", params(JobIdPath, ListParams),
    responses((status = 200, body = ListResponse<LogEntry>), BadRequest, NotFound, RateLimited, V1Errors))]
async fn job_logs(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    scope: ListScope,
    ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<ListResponse<LogEntry>>> {
    let params = ListParams { limit: params.limit.or(Some(MAX_LIMIT.to_string())), order: params.order.or(Some("asc".into())), ..params };
    let page = params.page(&scope)?;
    let (entries, next) = state.jobs().log_page(&state.caller(&auth), &job_id, page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(entries, next, &scope)))
}

/// Query of `GET /v1/jobs`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobListParams {
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    #[param(max_length = 2048)]
    pub cursor: Option<String>,
    /// `desc` (default: newest first) or `asc`.
    #[param(value_type = Option<String>, pattern = "^$|^(asc|desc)$")]
    pub order: Option<String>,
    /// Comma-separated statuses (`running,pending`); `processing`, `completed` and `cancelled` are accepted too.
    #[param(value_type = Option<String>, pattern = "^$|^(pending|running|succeeded|failed|stopped|processing|completed|cancelled)(,(pending|running|succeeded|failed|stopped|processing|completed|cancelled))*$")]
    pub status: Option<String>,
    /// Only jobs of this thread.
    #[param(value_type = Option<String>, pattern = "^$|^thr_[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
    pub thread_id: Option<String>,
    /// Jobs created at or after this ISO 8601 time.
    #[param(value_type = Option<crate::filters::TimeText>)]
    pub created_after: Option<String>,
    /// Jobs created before this ISO 8601 time.
    #[param(value_type = Option<crate::filters::TimeText>)]
    pub created_before: Option<String>,
}

/// Jobs across every thread of the organization, newest first.
#[utoipa::path(get, path = "/v1/jobs", operation_id = "jobs.list", tag = "jobs", params(JobListParams),
    responses((status = 200, body = ListResponse<Job>), BadRequest, RateLimited, V1Errors))]
async fn list_jobs(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    scope: ListScope,
    ApiQuery(params): ApiQuery<JobListParams>,
) -> ApiResult<Json<ListResponse<Job>>> {
    let page = ListParams { limit: params.limit, cursor: params.cursor, order: params.order }.page(&scope)?;
    let filter = JobFilter::parse(JobFilterText {
        status: params.status.as_deref(),
        thread_id: params.thread_id.as_deref(),
        created_after: params.created_after.as_deref(),
        created_before: params.created_before.as_deref(),
    })?;
    let (jobs, next) = state.jobs().list(&state.caller(&auth), &filter, page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(jobs, next, &scope)))
}

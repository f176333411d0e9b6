//! The `search` endpoint group: one call from a prompt to leads. It runs the same pipeline as the
//! conversation (a thread, the planner, a job auto-approved, the step worker) and then either
//! waits for the result (`wait: sync`, at most [`SYNC_BUDGET`], inside API Gateway's 29 s) or
//! answers at once with the job (`wait: async`). A sync search that runs out of time answers 202
//! with the job, exactly like an async one.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, Run};
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use super::responses::{BadRequest, Conflict, PaymentRequired, PlanOrJobLimit, PlanRejected, V1Errors};
use super::AppState;
use crate::jobs::artifact::{Artifact, Format};
use crate::jobs::run::Approval;
use crate::jobs::Job;
use crate::leads::Lead;
use crate::research::{NewMessage, NewThread};
use quarry_planner::Hints;

/// Longest a sync search waits for its job before answering 202 with the job instead.
pub const SYNC_BUDGET: Duration = Duration::from_secs(25);
/// How often a sync search looks at its job.
const POLL_EVERY: Duration = Duration::from_millis(250);
/// Row cap of one search, and the default.
pub const MAX_SEARCH_ROWS: u32 = 2_000;
const DEFAULT_SEARCH_ROWS: u32 = 200;

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// How long the caller waits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Wait {
    #[default]
    Sync,
    Async,
}

/// Body of `POST /v1/search`.
#[derive(Deserialize, ToSchema)]
pub struct SearchRequest {
    /// The audience, in plain words (1–8,000 characters).
    pub prompt: String,
    /// 1–2,000 (default 200).
    pub max_rows: Option<u32>,
    /// The job stops rather than spend more than this.
    pub max_credits: Option<u64>,
    /// `sync` (default) or `async`.
    pub wait: Option<Wait>,
    /// `json` (default: leads inline), `csv` or `xlsx` (a download link).
    pub format: Option<Format>,
}

/// What a search answers: the job, and once it has ended its leads (`json`) or a download link.
#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    #[schema(example = "search_result")]
    pub object: &'static str,
    pub job: Job,
    /// The leads, for `format: json` once the job has ended.
    pub leads: Option<Vec<Lead>>,
    /// The artifact with a download link in the requested format, once the job has ended.
    pub artifact: Option<Artifact>,
}

/// Runs an audience query end to end: thread, plan, auto-approved job, result.
#[utoipa::path(post, path = "/v1/search", operation_id = "search.create", tag = "search", request_body = SearchRequest,
    responses((status = 200, description = "The job ended within the wait", body = SearchResult),
        (status = 202, description = "Still running (async, or sync past 25 s): poll the job", body = SearchResult),
        BadRequest, PaymentRequired, Conflict, PlanRejected, PlanOrJobLimit, V1Errors))]
async fn search(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiJson(body): ApiJson<SearchRequest>,
) -> ApiResult<(StatusCode, Json<SearchResult>)> {
    let rows = body.max_rows.unwrap_or(DEFAULT_SEARCH_ROWS);
    if rows == 0 || rows > MAX_SEARCH_ROWS {
        return Err(ApiError::invalid("max_rows", format!("`max_rows` must be from 1 to {MAX_SEARCH_ROWS}.")));
    }
    if body.max_credits == Some(0) {
        return Err(ApiError::invalid("max_credits", "`max_credits` must be at least 1."));
    }
    if body.prompt.trim().is_empty() || body.prompt.chars().count() > crate::research::MAX_CONTENT_CHARS {
        return Err(ApiError::invalid("prompt", format!("`prompt` must be 1 to {} characters.", crate::research::MAX_CONTENT_CHARS)));
    }
    let caller = state.caller(&auth);
    let title: String = body.prompt.chars().take(crate::research::MAX_TITLE_CHARS).collect();
    let thread = state.research().create_thread(&caller, NewThread { title: Some(title), metadata: None }).await?;
    let message = NewMessage {
        content: body.prompt,
        hints: Some(Hints { max_rows: Some(rows), preferred_sources: Vec::new() }),
        ..NewMessage::default()
    };
    let posted = state.research().post_message(&caller, &thread.id, message).await?;
    let approval = Approval { webhook_url: None, max_credits: body.max_credits };
    let mut job = state.jobs().approve(&auth.organization, &posted.job.id, approval).await?;
    if body.wait.unwrap_or_default() == Wait::Sync {
        let deadline = tokio::time::Instant::now() + SYNC_BUDGET;
        while !job.status.is_terminal() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(POLL_EVERY).await;
            job = state.jobs().job(auth.org_id(), &job.id).await?;
        }
    }
    if !job.status.is_terminal() {
        return Ok((StatusCode::ACCEPTED, Json(SearchResult { object: "search_result", job, leads: None, artifact: None })));
    }
    let format = body.format.unwrap_or(Format::Json);
    let leads = match format {
        Format::Json => Some(state.jobs().leads(auth.org_id(), &job.id).await.map_err(ApiError::from)?),
        _ => None,
    };
    let artifact = match &job.artifact {
        Some(a) => Some(state.jobs().artifact(auth.org_id(), &a.id, format).await?),
        None => None,
    };
    Ok((StatusCode::OK, Json(SearchResult { object: "search_result", job, leads, artifact })))
}

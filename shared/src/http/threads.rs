//! The `threads` endpoint group: research conversations and their messages. Posting a message
//! runs the planner and answers with the message, the plan and its pending job.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, Read, Run};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::pagination::{ListParams, ListResponse, ListScope};
use super::params::ThreadIdPath;
use super::responses::{BadRequest, Conflict, NotFound, PlanLimit, PlanRejected, RateLimited, V1Errors};
use super::AppState;
use crate::research::{DeletedThread, Message, NewMessage, NewThread, Posted, Thread, ThreadFilter, ThreadPatch};
use quarry_planner::{Attachment, Hints};

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_threads, create_thread))
        .routes(routes!(get_thread, update_thread, delete_thread))
        .routes(routes!(list_messages, post_message))
}

/// Body of `POST /v1/threads`.
#[derive(Deserialize, ToSchema)]
pub struct CreateThread {
    /// 1–200 characters, not only blanks (a blank title is a 422). Drafted from the first
    /// message when omitted.
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// Up to 50 string pairs; keys 1–40 characters, values ≤ 500.
    #[schema(value_type = Option<super::schema::Metadata>)]
    pub metadata: Option<Map<String, Value>>,
}

/// Creates an empty thread.
#[utoipa::path(post, path = "/v1/threads", operation_id = "threads.create", tag = "threads", request_body = CreateThread,
    responses((status = 201, body = Thread), BadRequest, Conflict, RateLimited, V1Errors))]
async fn create_thread(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiJson(body): ApiJson<CreateThread>,
) -> ApiResult<(StatusCode, Json<Thread>)> {
    let thread = state.research().create_thread(&state.caller(&auth), NewThread { title: body.title, metadata: body.metadata }).await?;
    Ok((StatusCode::CREATED, Json(thread)))
}

/// Query of `GET /v1/threads`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadListParams {
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(max_length = 2048)]
    pub cursor: Option<String>,
    /// `desc` (default: newest first) or `asc`.
    #[param(value_type = Option<String>, pattern = "^$|^(asc|desc)$")]
    pub order: Option<String>,
    /// Case-insensitive text the title must contain.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Status of the thread's last job; comma-separate to combine (`pending,running`).
    #[param(value_type = Option<String>, pattern = "^$|^(pending|running|succeeded|failed|stopped|processing|completed|cancelled)(,(pending|running|succeeded|failed|stopped|processing|completed|cancelled))*$")]
    pub has_job_status: Option<String>,
}

/// The organization's threads, newest first.
#[utoipa::path(get, path = "/v1/threads", operation_id = "threads.list", tag = "threads", params(ThreadListParams),
    responses((status = 200, body = ListResponse<Thread>), BadRequest, RateLimited, V1Errors))]
async fn list_threads(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    scope: ListScope,
    ApiQuery(params): ApiQuery<ThreadListParams>,
) -> ApiResult<Json<ListResponse<Thread>>> {
    let page = ListParams { limit: params.limit, cursor: params.cursor, order: params.order }.page(&scope)?;
    let filter = ThreadFilter::parse(params.q.as_deref(), params.has_job_status.as_deref())?;
    let (threads, next) = state.research().list_threads(&state.caller(&auth), &filter, page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(threads, next, &scope)))
}

/// One thread.
#[utoipa::path(get, path = "/v1/threads/{thread_id}", operation_id = "threads.retrieve", tag = "threads", params(ThreadIdPath),
    responses((status = 200, body = Thread), NotFound, RateLimited, V1Errors))]
async fn get_thread(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    ApiPath(ThreadIdPath { thread_id }): ApiPath<ThreadIdPath>,
) -> ApiResult<Json<Thread>> {
    Ok(Json(state.research().thread(&state.caller(&auth), &thread_id).await?))
}

/// Body of `PATCH /v1/threads/{thread_id}`.
#[derive(Deserialize, ToSchema)]
pub struct UpdateThread {
    /// A new title, 1–200 characters, not only blanks (a blank title is a 422).
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// Keys to add or replace; a key set to `null` is removed. Other keys are kept.
    #[schema(value_type = Option<super::schema::MetadataPatch>)]
    pub metadata: Option<Map<String, Value>>,
}

/// Changes a thread's title or metadata.
#[utoipa::path(patch, path = "/v1/threads/{thread_id}", operation_id = "threads.update", tag = "threads", request_body = UpdateThread,
    params(ThreadIdPath),
    responses((status = 200, body = Thread), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn update_thread(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiPath(ThreadIdPath { thread_id }): ApiPath<ThreadIdPath>,
    ApiJson(body): ApiJson<UpdateThread>,
) -> ApiResult<Json<Thread>> {
    let patch = ThreadPatch { title: body.title, metadata: body.metadata };
    Ok(Json(state.research().update_thread(&state.caller(&auth), &thread_id, patch).await?))
}

/// Query of `DELETE /v1/threads/{thread_id}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// `true` stops the thread's running jobs as part of the delete (otherwise they make it a 409).
    #[param(value_type = Option<String>, pattern = "^$|^(true|false)$")]
    pub force: Option<String>,
}

/// Deletes a thread with its messages, plans, jobs, artifacts and leads. The thread is gone from
/// the API at once; its records are removed in the background.
#[utoipa::path(delete, path = "/v1/threads/{thread_id}", operation_id = "threads.delete", tag = "threads",
    params(ThreadIdPath, DeleteParams),
    responses((status = 200, body = DeletedThread), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn delete_thread(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiPath(ThreadIdPath { thread_id }): ApiPath<ThreadIdPath>,
    ApiQuery(params): ApiQuery<DeleteParams>,
) -> ApiResult<Json<DeletedThread>> {
    let force = match params.force.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(ApiError::invalid("force", format!("`force` must be `true` or `false`; got `{other}`."))),
    };
    Ok(Json(state.research().delete_thread(&state.caller(&auth), &thread_id, force).await?))
}

/// The messages of a thread, oldest first.
#[utoipa::path(get, path = "/v1/threads/{thread_id}/messages", operation_id = "messages.list", tag = "threads",
    params(ThreadIdPath, ListParams),
    responses((status = 200, body = ListResponse<Message>), BadRequest, NotFound, RateLimited, V1Errors))]
async fn list_messages(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    scope: ListScope,
    ApiPath(ThreadIdPath { thread_id }): ApiPath<ThreadIdPath>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<ListResponse<Message>>> {
    // Conversations read top to bottom: ascending unless asked otherwise.
    let params = ListParams { order: params.order.or(Some("asc".into())), ..params };
    let page = params.page(&scope)?;
    let (messages, next) = state.research().list_messages(&state.caller(&auth), &thread_id, page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(messages, next, &scope)))
}

/// Body of `POST /v1/threads/{thread_id}/messages`.
#[derive(Deserialize, ToSchema)]
pub struct PostMessage {
    /// The prompt, 1–8,000 characters (only blanks is a 422).
    #[schema(min_length = 1, max_length = 8000)]
    pub content: String,
    /// Up to 5 files: `csv` (a seed list to enrich) or `url_list`.
    #[schema(max_items = 5)]
    pub attachments: Option<Vec<Attachment>>,
    /// Soft constraints: `max_rows` (1–10,000), `preferred_sources` (≤ 20 names, in order: of
    /// `seed_files`, `lead_index`, `web_search`, `company_websites`, the ones named are what a live
    /// job reads, in that order).
    pub hints: Option<Hints>,
    /// Start the job without an explicit approval. Default false.
    pub auto_approve: Option<bool>,
}

/// Appends a user message: the planner reads the whole thread and drafts a plan attached to a
/// new pending job. Nothing runs until the job is approved.
#[utoipa::path(post, path = "/v1/threads/{thread_id}/messages", operation_id = "messages.create", tag = "threads", request_body = PostMessage,
    params(ThreadIdPath),
    responses((status = 201, body = Posted), BadRequest, NotFound, Conflict, PlanRejected, PlanLimit, V1Errors))]
async fn post_message(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiPath(ThreadIdPath { thread_id }): ApiPath<ThreadIdPath>,
    ApiJson(body): ApiJson<PostMessage>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let new = NewMessage {
        content: body.content,
        attachments: body.attachments.unwrap_or_default(),
        hints: body.hints,
        auto_approve: body.auto_approve.unwrap_or(false),
    };
    let posted = state.operations().post_message(&state.caller(&auth), &auth.organization, &thread_id, new).await?;
    Ok((StatusCode::CREATED, Json(posted)))
}

//! The `plans` endpoint group: reading a plan and asking for a corrected one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, Read, Run};
use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath};
use super::params::PlanIdPath;
use super::responses::{BadRequest, Conflict, NotFound, PlanRejected, RateLimited, V1Errors};
use super::AppState;
use crate::research::{Plan, Posted};

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_plan)).routes(routes!(replan))
}

/// One plan.
#[utoipa::path(get, path = "/v1/plans/{plan_id}", operation_id = "plans.retrieve", tag = "plans", params(PlanIdPath),
    responses((status = 200, body = Plan), NotFound, RateLimited, V1Errors))]
async fn get_plan(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    ApiPath(PlanIdPath { plan_id }): ApiPath<PlanIdPath>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(state.research().plan(&state.caller(&auth), &plan_id).await?))
}

/// Body of `POST /v1/plans/{plan_id}/replan`.
#[derive(Deserialize, ToSchema)]
pub struct Replan {
    /// What to change, e.g. "Only VP Eng with Python experience. Skip Crunchbase." (1–8,000
    /// characters; only blanks is a 422).
    #[schema(min_length = 1, max_length = 8000)]
    pub feedback: String,
}

/// Drafts a new plan for the same thread from corrective feedback. The feedback is recorded as a
/// message and the new plan gets its own pending job. Only a plan whose job is still pending can
/// be replanned (otherwise 409).
#[utoipa::path(post, path = "/v1/plans/{plan_id}/replan", operation_id = "plans.replan", tag = "plans", request_body = Replan,
    params(PlanIdPath),
    responses((status = 201, body = Posted), BadRequest, NotFound, Conflict, PlanRejected, RateLimited, V1Errors))]
async fn replan(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiPath(PlanIdPath { plan_id }): ApiPath<PlanIdPath>,
    ApiJson(body): ApiJson<Replan>,
) -> ApiResult<(StatusCode, Json<Posted>)> {
    let posted = state.research().replan(&state.caller(&auth), &plan_id, body.feedback).await?;
    Ok((StatusCode::CREATED, Json(posted)))
}

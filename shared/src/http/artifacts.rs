//! The `artifacts` endpoint group: a job's leads, the organization's artifacts with fresh
//! download links, and sharing them with its publishable keys. A publishable (`pk_pub_`) key
//! lists and reads only the artifacts of its mode that are marked shareable (every other
//! artifact is a 404 to it); marking them is for admin keys.

use axum::extract::{RawQuery, State};
use axum::http::header::{ACCEPT, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Authorized, PublicRead, Read};
use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::pagination::{ListParams, ListResponse, ListScope};
use super::params::{ArtifactIdPath, JobIdPath};
use super::responses::{BadRequest, Conflict, NotFound, RateLimited, V1Errors};
use super::AppState;
use crate::accounts::{KeyKind, Mode};
use crate::jobs::artifact::{Artifact, Format};
use crate::jobs::service::JobLeadFilter;
use crate::leads::Lead;

/// Default page size of the lead list (larger than other lists: leads are what users page through).
const DEFAULT_LEADS_LIMIT: &str = "50";

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_leads)).routes(routes!(list_artifacts)).routes(routes!(get_artifact, update_artifact))
}

/// Query of `GET /v1/jobs/{job_id}/leads` (documentation; parsed from the raw query because
/// `has_field` repeats).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LeadListParams {
    /// Page size, 1–100 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    #[param(max_length = 2048)]
    cursor: Option<String>,
    /// `asc` (default: discovery order) or `desc`.
    #[param(value_type = Option<String>, pattern = "^$|^(asc|desc)$")]
    order: Option<String>,
    /// 0–1: leave out leads below this confidence.
    #[param(value_type = Option<f64>, minimum = 0, maximum = 1)]
    min_confidence: Option<String>,
    /// A field every lead must have, e.g. `person.email`; repeat to require several.
    has_field: Option<String>,
}

/// A job's leads, with per-field sources and confidence.
#[utoipa::path(get, path = "/v1/jobs/{job_id}/leads", operation_id = "jobs.leads.list", tag = "artifacts",
    params(JobIdPath, LeadListParams),
    responses((status = 200, body = ListResponse<Lead>), BadRequest, NotFound, RateLimited, V1Errors))]
async fn list_leads(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    scope: ListScope,
    ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Lead>>> {
    let pairs = super::extract::non_empty_pairs(raw.as_deref());
    let one = |name: &str| pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let params = ListParams {
        limit: one("limit").or(Some(DEFAULT_LEADS_LIMIT.into())),
        cursor: one("cursor"),
        order: one("order").or(Some("asc".into())),
    };
    let page = params.page(&scope)?;
    let has_fields = pairs.iter().filter(|(k, _)| k == "has_field").map(|(_, v)| v.clone()).collect();
    let filter = JobLeadFilter::parse(one("min_confidence").as_deref(), has_fields)?;
    let (leads, next) = state.jobs().lead_page(&state.caller(&auth), &job_id, page.order, page.limit, page.cursor, &filter).await?;
    Ok(Json(ListResponse::new(leads, next, &scope)))
}

/// Query of `GET /v1/artifacts/{artifact_id}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArtifactParams {
    /// `csv` (default), `json` or `xlsx` (rendered on first request, then cached).
    #[param(value_type = Option<String>, pattern = "^$|^(csv|json|xlsx)$")]
    pub format: Option<String>,
}

/// The organization's artifacts of the key's mode, newest job first by default, without download
/// links (read one for its link). A publishable (`pk_pub_`) key lists only those marked
/// shareable.
#[utoipa::path(get, path = "/v1/artifacts", operation_id = "artifacts.list", tag = "artifacts", params(ListParams),
    responses((status = 200, body = ListResponse<Artifact>), BadRequest, RateLimited, V1Errors))]
async fn list_artifacts(
    State(state): State<AppState>,
    auth: Authorized<PublicRead>,
    scope: ListScope,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<ListResponse<Artifact>>> {
    let page = params.page(&scope)?;
    let artifacts = state.artifacts();
    let (data, next) = match auth.key.kind {
        KeyKind::Publishable => {
            let livemode = auth.key.mode == Mode::Live;
            artifacts.list_shareable(auth.org_id(), livemode, page.order, page.limit, page.cursor).await?
        }
        KeyKind::Secret => artifacts.list(&state.caller(&auth), page.order, page.limit, page.cursor).await?,
    };
    Ok(Json(ListResponse::new(data, next, &scope)))
}

/// An artifact with a fresh signed `download_url`, valid 4 hours. Clients that accept JSON
/// (`Accept: application/json`, as SDKs send) get the record; any other client (`curl -sLo
/// leads.csv …`, a browser) is redirected (302) to the file itself. A publishable (`pk_pub_`)
/// key reads only a shareable artifact of its mode; any other is a 404 to it.
#[utoipa::path(get, path = "/v1/artifacts/{artifact_id}", operation_id = "artifacts.retrieve", tag = "artifacts",
    params(ArtifactIdPath, ArtifactParams),
    responses((status = 200, description = "With `Accept: application/json`", body = Artifact),
        (status = 302, description = "Without it: a redirect to the signed download URL", body = Artifact),
        BadRequest, NotFound, RateLimited, V1Errors))]
async fn get_artifact(
    State(state): State<AppState>,
    auth: Authorized<PublicRead>,
    ApiPath(ArtifactIdPath { artifact_id }): ApiPath<ArtifactIdPath>,
    ApiQuery(params): ApiQuery<ArtifactParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let format = Format::parse_param(params.format.as_deref())?;
    let artifact = match auth.key.kind {
        KeyKind::Publishable => state.artifacts().shared(auth.org_id(), auth.key.mode == Mode::Live, &artifact_id, format).await?,
        KeyKind::Secret => state.jobs().artifact(&state.caller(&auth), &artifact_id, format).await?,
    };
    let wants_record = headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|v| v.contains("application/json"));
    if wants_record {
        return Ok(Json(artifact).into_response());
    }
    let location = artifact.download_url.clone().unwrap_or_default();
    Ok((StatusCode::FOUND, [(LOCATION, location)], Json(artifact)).into_response())
}

/// Body of `PATCH /v1/artifacts/{artifact_id}`.
#[derive(Deserialize, ToSchema)]
pub struct UpdateArtifact {
    /// `true` lets the organization's publishable keys of the artifact's mode list and read it
    /// (and download its files); `false` hides it from them again.
    pub shareable: bool,
}

/// Marks an artifact shareable with the organization's publishable (`pk_pub_`) keys, or not
/// (admin scope: sharing publishes the leads to whoever holds such a key, a browser page
/// included). Answered with the artifact and a fresh CSV link. An artifact whose thread is being
/// deleted cannot be shared.
#[utoipa::path(patch, path = "/v1/artifacts/{artifact_id}", operation_id = "artifacts.update", tag = "artifacts",
    params(ArtifactIdPath), request_body = UpdateArtifact,
    responses((status = 200, body = Artifact), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn update_artifact(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(ArtifactIdPath { artifact_id }): ApiPath<ArtifactIdPath>,
    ApiJson(body): ApiJson<UpdateArtifact>,
) -> ApiResult<Json<Artifact>> {
    let artifact = state.operations().share_artifact(&state.caller(&auth), &artifact_id, body.shareable).await?;
    Ok(Json(artifact))
}

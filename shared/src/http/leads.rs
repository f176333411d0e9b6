//! The `leads` endpoint group: the organization's leads across all its jobs (`/v1/leads`,
//! filtered, sorted, paged), one lead read, annotated (`custom_notes`, `tags`) or deleted, and
//! exports of them as CSV or JSON (`/v1/leads/export`, `/v1/exports/{id}`). A key sees the leads of
//! its own mode: test keys the test-mode leads, live keys the live ones.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Authorized, Read, Run};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::pagination::{ListParams, ListResponse, ListScope};
use super::params::{ExportIdPath, LeadIdPath, LeadSourcePath};
use super::responses::{BadRequest, Conflict, NotFound, RateLimited, V1Errors};
use super::AppState;
use crate::accounts::Principal;
use crate::leads::export::{field_value, Export, ExportFormat, Exports};
use crate::leads::input::{parse_export_fields, LeadFilterInput};
use crate::leads::store::{LeadFilter, LeadPatch, LeadSort, LeadStore};
use crate::leads::Lead;

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_leads))
        .routes(routes!(get_lead, update_lead, delete_lead))
        .routes(routes!(get_lead_source_page))
        .routes(routes!(export_leads))
        .routes(routes!(get_export))
}

/// A lead as this group returns it: the lead object, plus the flat names other lead APIs use for
/// its most read facts (each derived from the lead, never stored apart).
#[derive(Serialize, ToSchema)]
pub struct LeadView {
    #[serde(flatten)]
    pub lead: Lead,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub full_name: Option<String>,
    pub job_title: Option<String>,
    pub company_name: Option<String>,
    pub linkedin_url: Option<String>,
    pub twitter_url: Option<String>,
    pub facebook_url: Option<String>,
    /// The first page or file the lead was found in.
    pub source_url: Option<String>,
    /// Company facts in brief: `company_size`, `industry`, `location`, `technologies`,
    /// `funding_stage`, `confidence_score`.
    #[schema(value_type = Object)]
    pub enrichment_data: Map<String, Value>,
}

impl From<Lead> for LeadView {
    fn from(lead: Lead) -> Self {
        let text = |name: &str| field_value(&lead, name).as_str().map(str::to_string);
        let company = lead.company.as_ref();
        let location =
            company.map(|c| [c.hq_city.as_deref(), c.hq_country.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", "));
        let mut enrichment = Map::new();
        enrichment.insert("company_size".into(), field_value(&lead, "company_size"));
        enrichment.insert("industry".into(), company.and_then(|c| c.industry.clone()).map_or(Value::Null, Value::String));
        enrichment.insert("location".into(), location.filter(|l| !l.is_empty()).map_or(Value::Null, Value::String));
        enrichment.insert("technologies".into(), lead.fields.get("tech_stack").cloned().unwrap_or(Value::Array(Vec::new())));
        enrichment.insert("funding_stage".into(), company.and_then(|c| c.funding_stage.clone()).map_or(Value::Null, Value::String));
        enrichment.insert("confidence_score".into(), serde_json::json!(lead.confidence));
        LeadView {
            email: text("email"),
            phone: text("phone"),
            full_name: text("full_name"),
            job_title: text("job_title"),
            company_name: text("company_name"),
            linkedin_url: text("linkedin_url"),
            twitter_url: text("twitter_url"),
            facebook_url: text("facebook_url"),
            source_url: text("source_url"),
            enrichment_data: enrichment,
            lead,
        }
    }
}

/// Filters shared by the list and exports (all optional).
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct LeadFilterParams {
    /// Only this job's leads.
    #[param(value_type = Option<String>, pattern = "^$|^job_[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
    #[schema(value_type = Option<String>, pattern = "^$|^job_[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
    pub job_id: Option<String>,
    /// Lowest `lead_score`, 0–100 (above `score_max` is a 422).
    #[param(value_type = Option<u8>, minimum = 0, maximum = 100)]
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 100)]
    pub score_min: Option<Value>,
    /// Highest `lead_score`, 0–100.
    #[param(value_type = Option<u8>, minimum = 0, maximum = 100)]
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 100)]
    pub score_max: Option<Value>,
    /// `hot`, `warm` or `cold`.
    #[param(value_type = Option<String>, pattern = "^$|^(hot|warm|cold)$")]
    #[schema(value_type = Option<String>, pattern = "^$|^(hot|warm|cold)$")]
    pub status: Option<String>,
    /// Text in the email, phone, name, company name or domain (case and accents ignored).
    #[param(max_length = 200)]
    #[schema(max_length = 200)]
    pub search: Option<String>,
    /// Leads created at or after this ISO 8601 time.
    #[param(value_type = Option<crate::filters::TimeText>)]
    #[schema(value_type = Option<crate::filters::TimeText>)]
    pub created_after: Option<String>,
    /// Leads created before this ISO 8601 time.
    #[param(value_type = Option<crate::filters::TimeText>)]
    #[schema(value_type = Option<crate::filters::TimeText>)]
    pub created_before: Option<String>,
}

impl LeadFilterParams {
    /// The domain filter; `prefix` names the object the fields sit in.
    fn filter(&self, prefix: &str) -> ApiResult<LeadFilter> {
        let input = LeadFilterInput {
            job_id: self.job_id.as_deref(),
            score_min: self.score_min.as_ref(),
            score_max: self.score_max.as_ref(),
            status: self.status.as_deref(),
            search: self.search.as_deref(),
            created_after: self.created_after.as_deref(),
            created_before: self.created_before.as_deref(),
        };
        Ok(LeadFilter::parse(input, prefix)?)
    }
}

/// Sorting and paging of `GET /v1/leads` (its filters are [`LeadFilterParams`]).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeadPageParams {
    /// `created_at` (default), `score` or `company`.
    #[param(value_type = Option<String>, pattern = "^$|^(created_at|score|company)$")]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[param(value_type = Option<String>, pattern = "^$|^(asc|desc)$")]
    pub order: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    #[param(max_length = 2048)]
    pub cursor: Option<String>,
}

fn livemode(principal: &Principal) -> bool {
    principal.key.mode == crate::accounts::Mode::Live
}

/// The organization's leads across all its jobs, newest first by default.
#[utoipa::path(get, path = "/v1/leads", operation_id = "leads.list", tag = "leads", params(LeadFilterParams, LeadPageParams),
    responses((status = 200, body = ListResponse<LeadView>), BadRequest, RateLimited, V1Errors))]
async fn list_leads(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    scope: ListScope,
    ApiQuery(filter): ApiQuery<LeadFilterParams>,
    ApiQuery(params): ApiQuery<LeadPageParams>,
) -> ApiResult<Json<ListResponse<LeadView>>> {
    let page = ListParams { limit: params.limit, cursor: params.cursor, order: params.order }.page(&scope)?;
    let filter = filter.filter("")?;
    let sort = LeadSort::parse_param(params.sort.as_deref())?;
    let store = LeadStore::new(state.storage().table.as_ref());
    let (leads, next) = store.list(auth.org_id(), livemode(&auth), &filter, sort, page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(leads.into_iter().map(LeadView::from).collect(), next, &scope)))
}

fn lead_not_found(lead_id: &str) -> ApiError {
    ApiError::not_found("Lead", lead_id, "lead_id")
}

/// One lead, with its sources, signals and enrichment.
#[utoipa::path(get, path = "/v1/leads/{lead_id}", operation_id = "leads.retrieve", tag = "leads", params(LeadIdPath),
    responses((status = 200, body = LeadView), NotFound, RateLimited, V1Errors))]
async fn get_lead(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    ApiPath(LeadIdPath { lead_id }): ApiPath<LeadIdPath>,
) -> ApiResult<Json<LeadView>> {
    let store = LeadStore::new(state.storage().table.as_ref());
    let lead = store.get(auth.org_id(), livemode(&auth), &lead_id).await?.ok_or_else(|| lead_not_found(&lead_id))?;
    Ok(Json(lead.into()))
}

/// The page a lead's source entry cites, as Quarry read it (`text/html`), for audit: kept 30 days
/// after it was read, then purged. Admin keys only. 404 when the entry is not a web page or its
/// page is no longer kept.
#[utoipa::path(get, path = "/v1/leads/{lead_id}/sources/{index}", operation_id = "leads.sources.retrieve", tag = "leads",
    params(LeadSourcePath),
    responses((status = 200, description = "The page as it was read", content_type = "text/html", body = String), NotFound, RateLimited, V1Errors))]
async fn get_lead_source_page(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(LeadSourcePath { lead_id, index }): ApiPath<LeadSourcePath>,
) -> ApiResult<impl IntoResponse> {
    let store = LeadStore::new(state.storage().table.as_ref());
    let lead = store.get(auth.org_id(), livemode(&auth), &lead_id).await?.ok_or_else(|| lead_not_found(&lead_id))?;
    let not_kept = || {
        let message = format!(
            "Lead {lead_id} has no kept page at source {index}: there is no such entry, it is not a web page, or its page was read more than {} days ago.",
            crate::leads::archive::RETENTION_DAYS
        );
        ApiError::new(StatusCode::NOT_FOUND, super::error::ErrorCode::NotFound, message).param("index")
    };
    let source = lead.sources.get(usize::from(index)).ok_or_else(not_kept)?;
    let html = crate::leads::archive::page_of(state.storage().blobs.as_ref(), auth.org_id(), source).await?.ok_or_else(not_kept)?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], html))
}

/// Body of `PATCH /v1/leads/{lead_id}`: the user's own notes and labels.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LeadUpdate {
    /// Up to 5,000 characters; `null` clears them.
    #[schema(value_type = Option<String>, max_length = 5000)]
    #[serde(default, deserialize_with = "present")]
    pub custom_notes: Option<Value>,
    /// Up to 20 tags of 1–50 characters; they replace the lead's tags.
    #[schema(value_type = Option<super::schema::Tags>)]
    pub tags: Option<Value>,
}

/// Tells `"custom_notes": null` (clear) from a missing field (keep).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Sets the lead's `custom_notes` and `tags` (what a job finds never overwrites them).
#[utoipa::path(patch, path = "/v1/leads/{lead_id}", operation_id = "leads.update", tag = "leads", request_body = LeadUpdate,
    params(LeadIdPath),
    responses((status = 200, body = LeadView), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn update_lead(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiPath(LeadIdPath { lead_id }): ApiPath<LeadIdPath>,
    ApiJson(body): ApiJson<LeadUpdate>,
) -> ApiResult<Json<LeadView>> {
    let patch = LeadPatch::parse(body.custom_notes.as_ref(), body.tags.as_ref())?;
    let store = LeadStore::new(state.storage().table.as_ref());
    let now = state.clock().now().into();
    let lead = store.update(auth.org_id(), livemode(&auth), &lead_id, patch, now).await?.ok_or_else(|| lead_not_found(&lead_id))?;
    Ok(Json(lead.into()))
}

/// Deletes a lead. A job's artifact written before keeps its row; a later job finding the same
/// person or company makes a new lead.
#[utoipa::path(delete, path = "/v1/leads/{lead_id}", operation_id = "leads.delete", tag = "leads", params(LeadIdPath),
    responses((status = 204, description = "Deleted"), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn delete_lead(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiPath(LeadIdPath { lead_id }): ApiPath<LeadIdPath>,
) -> ApiResult<StatusCode> {
    let store = LeadStore::new(state.storage().table.as_ref());
    if store.delete(auth.org_id(), livemode(&auth), &lead_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(lead_not_found(&lead_id))
    }
}

/// Body of `POST /v1/leads/export`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ExportRequest {
    /// `csv` or `json`.
    #[schema(value_type = String, required = true, pattern = "^(csv|json)$")]
    pub format: Option<String>,
    /// The filters of `GET /v1/leads`.
    #[serde(default)]
    pub filters: LeadFilterParams,
    /// Columns, in order, each once (default: all of them).
    #[schema(value_type = Option<super::schema::ExportColumns>)]
    pub fields: Option<Vec<String>>,
}

/// Starts an export of the leads that pass the filters. Answers 202 with the export
/// (`processing`); `GET /v1/exports/{id}` gives its download link once `completed`.
#[utoipa::path(post, path = "/v1/leads/export", operation_id = "leads.exports.create", tag = "leads", request_body = ExportRequest,
    responses((status = 202, body = Export), BadRequest, Conflict, RateLimited, V1Errors))]
async fn export_leads(
    State(state): State<AppState>,
    auth: Authorized<Run>,
    ApiJson(body): ApiJson<ExportRequest>,
) -> ApiResult<(StatusCode, Json<Export>)> {
    let format = ExportFormat::parse_param(body.format.as_deref())?;
    let filters = body.filters.filter("filters.")?;
    let fields = parse_export_fields(body.fields)?;
    let storage = state.storage();
    let exports = Exports { table: storage.table.as_ref(), blobs: storage.blobs.as_ref(), steps: storage.steps.as_ref() };
    let export = exports.create(auth.org_id(), livemode(&auth), format, filters, fields, state.clock().now().into()).await?;
    Ok((StatusCode::ACCEPTED, Json(export)))
}

/// An export: `processing`, then `completed` with a fresh signed `download_url` (valid 4 hours) on
/// every read, or `failed` with its `error`.
#[utoipa::path(get, path = "/v1/exports/{export_id}", operation_id = "exports.retrieve", tag = "leads", params(ExportIdPath),
    responses((status = 200, body = Export), NotFound, RateLimited, V1Errors))]
async fn get_export(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    ApiPath(ExportIdPath { export_id }): ApiPath<ExportIdPath>,
) -> ApiResult<Json<Export>> {
    let storage = state.storage();
    let exports = Exports { table: storage.table.as_ref(), blobs: storage.blobs.as_ref(), steps: storage.steps.as_ref() };
    let export = exports
        .get(auth.org_id(), livemode(&auth), &export_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Export", &export_id, "export_id"))?;
    Ok(Json(export))
}

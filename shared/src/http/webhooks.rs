//! The `webhooks` endpoint group (admin scope): endpoints, secret rotation, test deliveries, the
//! delivery log and redelivery. Delivery itself happens in the background (see
//! [`crate::webhooks`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Authorized};
use super::error::{ApiResult, ErrorEnvelope};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::pagination::{ListParams, ListResponse, ListScope};
use super::params::{DeliveryPath, WebhookIdPath};
use super::responses::{BadRequest, Conflict, NotFound, RateLimited, V1Errors};
use super::AppState;
use crate::webhooks::{Delivery, Endpoint, EndpointPatch, EndpointWithSecret, NewEndpoint};

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_webhook))
        .routes(routes!(test_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver))
}

/// Body of `POST /v1/webhooks`.
#[derive(Deserialize, ToSchema)]
pub struct CreateWebhook {
    /// Where to deliver: `https://` for live keys (`http://` is accepted for test keys); a URL
    /// that is not allowed (an internal address, `http://` for a live key) is a 422.
    #[schema(value_type = crate::filters::UrlText)]
    pub url: String,
    /// Event types to receive (default `["*"]`, every type), each once.
    #[schema(value_type = Option<super::schema::EventTypes>)]
    pub events: Option<Vec<String>>,
    /// A label, at most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Default `true`.
    pub enabled: Option<bool>,
}

/// The webhook endpoints of the key's mode, oldest first by default (`order=desc` for newest).
#[utoipa::path(get, path = "/v1/webhooks", operation_id = "webhooks.list", tag = "webhooks", params(ListParams),
    responses((status = 200, body = ListResponse<Endpoint>), BadRequest, RateLimited, V1Errors))]
async fn list_webhooks(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    scope: ListScope,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<ListResponse<Endpoint>>> {
    let page = ListParams { order: params.order.or(Some("asc".into())), ..params }.page(&scope)?;
    let (endpoints, next) = state.endpoints().list(&state.caller(&auth), page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(endpoints, next, &scope)))
}

/// Registers an endpoint. Its `signing_secret` is in this response only.
#[utoipa::path(post, path = "/v1/webhooks", operation_id = "webhooks.create", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, body = EndpointWithSecret), BadRequest,
        (status = 409, description = "`conflict`: the organization has as many endpoints as it may, or the `Idempotency-Key` is in flight or was used for another request", body = ErrorEnvelope),
        RateLimited, V1Errors))]
async fn create_webhook(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<EndpointWithSecret>)> {
    let new = NewEndpoint { url: body.url, events: body.events, description: body.description, enabled: body.enabled };
    Ok((StatusCode::CREATED, Json(state.endpoints().create(&state.caller(&auth), new).await?)))
}

/// One endpoint.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}", operation_id = "webhooks.retrieve", tag = "webhooks", params(WebhookIdPath),
    responses((status = 200, body = Endpoint), NotFound, RateLimited, V1Errors))]
async fn get_webhook(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(WebhookIdPath { webhook_id }): ApiPath<WebhookIdPath>,
) -> ApiResult<Json<Endpoint>> {
    Ok(Json(state.endpoints().get(&state.caller(&auth), &webhook_id).await?))
}

/// Body of `PATCH /v1/webhooks/{webhook_id}`; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
pub struct UpdateWebhook {
    #[schema(value_type = Option<crate::filters::UrlText>)]
    pub url: Option<String>,
    #[schema(value_type = Option<super::schema::EventTypes>)]
    pub events: Option<Vec<String>>,
    /// At most 500 characters; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub description: Option<Option<String>>,
    /// `true` re-enables an endpoint Quarry disabled after a 410.
    pub enabled: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Changes an endpoint's URL, events, description or enabled state.
#[utoipa::path(patch, path = "/v1/webhooks/{webhook_id}", operation_id = "webhooks.update", tag = "webhooks", request_body = UpdateWebhook,
    params(WebhookIdPath),
    responses((status = 200, body = Endpoint), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn update_webhook(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(WebhookIdPath { webhook_id }): ApiPath<WebhookIdPath>,
    ApiJson(body): ApiJson<UpdateWebhook>,
) -> ApiResult<Json<Endpoint>> {
    let patch = EndpointPatch { url: body.url, events: body.events, description: body.description, enabled: body.enabled };
    Ok(Json(state.endpoints().update(&state.caller(&auth), &webhook_id, patch).await?))
}

/// The answer to a delete.
#[derive(Serialize, ToSchema)]
pub struct DeletedWebhook {
    pub id: String,
    #[schema(example = "webhook_endpoint")]
    pub object: &'static str,
    pub deleted: bool,
}

/// Deletes an endpoint. Deliveries still scheduled to it end `failed`.
#[utoipa::path(delete, path = "/v1/webhooks/{webhook_id}", operation_id = "webhooks.delete", tag = "webhooks", params(WebhookIdPath),
    responses((status = 200, body = DeletedWebhook), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn delete_webhook(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(WebhookIdPath { webhook_id }): ApiPath<WebhookIdPath>,
) -> ApiResult<Json<DeletedWebhook>> {
    state.endpoints().delete(&state.caller(&auth), &webhook_id).await?;
    Ok(Json(DeletedWebhook { id: webhook_id, object: "webhook_endpoint", deleted: true }))
}

/// Rotates the signing secret. The new one is in this response only; the old one keeps signing
/// beside it for 24 hours, so deliveries carry two `v1=` signatures meanwhile.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/rotate", operation_id = "webhooks.rotate", tag = "webhooks", params(WebhookIdPath),
    responses((status = 200, body = EndpointWithSecret), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn rotate_webhook(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(WebhookIdPath { webhook_id }): ApiPath<WebhookIdPath>,
) -> ApiResult<Json<EndpointWithSecret>> {
    Ok(Json(state.endpoints().rotate(&state.caller(&auth), &webhook_id).await?))
}

/// Sends a `webhook.test` event (the endpoint as its object) through the normal delivery path;
/// the answer is the delivery, whose outcome shows in the delivery log.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/test", operation_id = "webhooks.test", tag = "webhooks", params(WebhookIdPath),
    responses((status = 202, body = Delivery), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn test_webhook(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(WebhookIdPath { webhook_id }): ApiPath<WebhookIdPath>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    Ok((StatusCode::ACCEPTED, Json(state.deliveries().send_test(&state.caller(&auth), &webhook_id).await?)))
}

/// An endpoint's deliveries, newest first: event, attempt, status, response code, time and body
/// snippet, next attempt. Kept 30 days.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}/deliveries", operation_id = "webhooks.deliveries.list", tag = "webhooks",
    params(WebhookIdPath, ListParams),
    responses((status = 200, body = ListResponse<Delivery>), BadRequest, NotFound, RateLimited, V1Errors))]
async fn list_deliveries(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    scope: ListScope,
    ApiPath(WebhookIdPath { webhook_id }): ApiPath<WebhookIdPath>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<ListResponse<Delivery>>> {
    let page = params.page(&scope)?;
    let (deliveries, next) = state.deliveries().list(&state.caller(&auth), &webhook_id, page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(deliveries, next, &scope)))
}

/// Sends a past delivery's event again, as a new delivery with its own attempts.
#[utoipa::path(post, path = "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", operation_id = "webhooks.deliveries.redeliver",
    tag = "webhooks", params(DeliveryPath),
    responses((status = 202, body = Delivery), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn redeliver(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(DeliveryPath { webhook_id, delivery_id }): ApiPath<DeliveryPath>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    Ok((StatusCode::ACCEPTED, Json(state.deliveries().redeliver(&state.caller(&auth), &webhook_id, &delivery_id).await?)))
}

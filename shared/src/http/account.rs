//! The `account` endpoint group: the caller, its organization, its account (plan, credits,
//! subscription), and API keys (minted, listed, revoked and rotated).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Authorized, PublicRead, Read};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, ApiQuery, OptionalJson};
use super::pagination::{ListParams, ListResponse, ListScope};
use super::params::KeyIdPath;
use super::responses::{BadRequest, Conflict, NotFound, RateLimited, V1Errors};
use super::AppState;
use crate::accounts::{ApiKey, KeyKind, KeyRotation, Member, Mode, NewKey, OrganizationObject, RotationGrace, Scope, Tier};
use crate::billing::{Balance, Period};
use crate::ids::{has_prefix, prefix};
use quarry_ports::clock::Timestamp;

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(get_organization))
        .routes(routes!(get_account))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(rotate_api_key))
}

/// The authenticated principal: the key in use and its organization.
#[derive(Serialize, ToSchema)]
pub struct Me {
    #[schema(example = "principal")]
    pub object: &'static str,
    /// True for live keys (real credits), false for test keys.
    pub livemode: bool,
    pub api_key: ApiKey,
    /// The member the key belongs to (keys made by redeeming an invitation); `null` for keys
    /// an admin or the operator minted.
    pub user: Option<Member>,
    pub organization: OrganizationObject,
}

/// Who is calling.
#[utoipa::path(get, path = "/v1/me", operation_id = "me.retrieve", tag = "account",
    responses((status = 200, body = Me), RateLimited, V1Errors))]
async fn get_me(State(state): State<AppState>, auth: Authorized<PublicRead>) -> ApiResult<Json<Me>> {
    let p = &auth.principal;
    let user = match &p.key.member_id {
        Some(member_id) => state.accounts().member(p.org_id(), member_id).await?,
        None => None,
    };
    Ok(Json(Me {
        object: "principal",
        livemode: p.key.mode == Mode::Live,
        api_key: p.key.clone(),
        user,
        organization: OrganizationObject::from(&p.organization),
    }))
}

/// The caller's organization, its tier and limits.
#[utoipa::path(get, path = "/v1/organization", operation_id = "organization.retrieve", tag = "account",
    responses((status = 200, body = OrganizationObject), RateLimited, V1Errors))]
async fn get_organization(auth: Authorized<PublicRead>) -> Json<OrganizationObject> {
    Json(OrganizationObject::from(&auth.principal.organization))
}

/// The billing subscription of an account: the monthly grant and the current period.
#[derive(Serialize, ToSchema)]
pub struct Subscription {
    /// Always `active`: a self-hosted organization's grant renews every month.
    #[schema(example = "active")]
    pub status: &'static str,
    pub current_period_start: Timestamp,
    pub current_period_end: Timestamp,
    /// Credits granted at the start of every month (the operator sets it).
    pub monthly_credits: u64,
}

/// The account: the organization, its plan, its credits and its subscription.
#[derive(Serialize, ToSchema)]
pub struct Account {
    /// The organization's ID.
    pub id: String,
    #[schema(example = "account")]
    pub object: &'static str,
    pub name: String,
    pub plan: Tier,
    pub credits: Balance,
    pub subscription: Subscription,
    pub created_at: Timestamp,
}

/// The account: plan, credit balance and lifetime totals (the ledger's sums), and the current
/// billing period.
#[utoipa::path(get, path = "/v1/account", operation_id = "account.retrieve", tag = "account",
    responses((status = 200, body = Account), RateLimited, V1Errors))]
async fn get_account(State(state): State<AppState>, auth: Authorized<Read>) -> ApiResult<Json<Account>> {
    let org = &auth.principal.organization;
    let credits = state.billing().balance(org).await?;
    let period = Period::of(state.clock().now().into());
    Ok(Json(Account {
        id: org.id.clone(),
        object: "account",
        name: org.name.clone(),
        plan: org.tier,
        credits,
        subscription: Subscription {
            status: "active",
            current_period_start: Timestamp(period.start()),
            current_period_end: Timestamp(period.end()),
            monthly_credits: org.monthly_credits,
        },
        created_at: org.created_at,
    }))
}

/// The organization's API keys (metadata only; secrets are never returned).
#[utoipa::path(get, path = "/v1/api-keys", operation_id = "api_keys.list", tag = "account", params(ListParams),
    responses((status = 200, body = ListResponse<ApiKey>), BadRequest, RateLimited, V1Errors))]
async fn list_api_keys(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    scope: ListScope,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<ListResponse<ApiKey>>> {
    let page = params.page(&scope)?;
    let (keys, next) = state.accounts().list_keys(auth.org_id(), Some(auth.key.mode), page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(keys, next, &scope)))
}

/// Body of `POST /v1/api-keys`.
#[derive(Deserialize, ToSchema)]
pub struct CreateApiKey {
    /// A label, 1–100 characters (only blanks is a 422).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Default `["read", "run"]` (`["read"]` for publishable keys, which take no other).
    #[schema(min_items = 1, max_items = 4)]
    pub scopes: Option<Vec<Scope>>,
    /// When the key stops working; a time not in the future is a 422.
    pub expires_at: Option<Timestamp>,
    /// `secret` (default) or `publishable` (read-only, `pk_pub_`).
    #[serde(rename = "type")]
    pub kind: Option<KeyKind>,
}

/// A newly minted key: its metadata plus the secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The secret. It is not stored and cannot be shown again.
    pub secret: String,
}

/// Mints a key in the caller's organization and mode. The secret is returned exactly once.
#[utoipa::path(post, path = "/v1/api-keys", operation_id = "api_keys.create", tag = "account", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), BadRequest, Conflict, RateLimited, V1Errors))]
async fn create_api_key(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let now = state.clock().now().into();
    let new = NewKey::parse(&body.name, body.kind, body.scopes, body.expires_at, auth.key.mode, now)?;
    let (key, secret) = state.accounts().create_key(auth.org_id(), new).await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { key, secret })))
}

/// Revokes a key at once. Requests with it fail with 401 from then on.
#[utoipa::path(delete, path = "/v1/api-keys/{key_id}", operation_id = "api_keys.revoke", tag = "account", params(KeyIdPath),
    responses((status = 200, body = ApiKey), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn revoke_api_key(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(KeyIdPath { key_id }): ApiPath<KeyIdPath>,
) -> ApiResult<Json<ApiKey>> {
    let not_found = || ApiError::not_found("API key", &key_id, "key_id");
    if !has_prefix(&key_id, prefix::API_KEY) {
        return Err(not_found());
    }
    let key = state.accounts().revoke_key(auth.org_id(), Some(auth.key.mode), &key_id).await?.ok_or_else(not_found)?;
    Ok(Json(key))
}

/// Body of `POST /v1/api-keys/{key_id}/rotate` (optional: no body rotates with no grace period).
#[derive(Default, Deserialize, ToSchema)]
pub struct RotateApiKey {
    /// How long the old key keeps working beside the new one, in seconds: 0 (the default) revokes
    /// it at once; at most 604800 (7 days; more is a 422).
    #[schema(minimum = 0)]
    pub grace_period_seconds: Option<u64>,
}

/// A rotated key: the new key's metadata and secret (shown this once), and the key it replaced.
#[derive(Serialize, ToSchema)]
pub struct RotatedApiKey {
    #[serde(flatten)]
    pub rotation: KeyRotation,
    /// The new key's secret. It is not stored and cannot be shown again.
    pub secret: String,
}

/// Rotates a key: mints a key with the same name, type, mode, scopes and expiry, returned with
/// its secret this once, and revokes the old key at once or when `grace_period_seconds` have
/// passed (it keeps working until then). Records `api_key.rotated`. A key already revoked,
/// expired, or rotated (its grace period running) is a 409; revoke it, or rotate its replacement.
/// Running jobs are not affected.
#[utoipa::path(post, path = "/v1/api-keys/{key_id}/rotate", operation_id = "api_keys.rotate", tag = "account",
    params(KeyIdPath), request_body(content = Option<RotateApiKey>),
    responses((status = 201, body = RotatedApiKey), BadRequest, NotFound,
        (status = 409, description = "`conflict`: the key is revoked, expired or already rotated, or the `Idempotency-Key` is in flight or was used for another request", body = super::error::ErrorEnvelope),
        RateLimited, V1Errors))]
async fn rotate_api_key(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(KeyIdPath { key_id }): ApiPath<KeyIdPath>,
    OptionalJson(body): OptionalJson<RotateApiKey>,
) -> ApiResult<(StatusCode, Json<RotatedApiKey>)> {
    let grace = RotationGrace::parse(body.grace_period_seconds)?;
    let (rotation, secret) = state.accounts().rotate_key(auth.org_id(), auth.key.mode, &key_id, grace).await?;
    Ok((StatusCode::CREATED, Json(RotatedApiKey { rotation, secret })))
}

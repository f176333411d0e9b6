//! The organization's members (part of the `account` group): invite by email with a role, list,
//! remove (admin scope), and the one route of `/v1` without a key: redeeming an invitation,
//! which the invitee's token itself authorizes. The rules live in `accounts::members`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Authorized};
use super::error::{ApiError, ApiResult, ErrorEnvelope};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::pagination::{ListParams, ListResponse, ListScope};
use super::params::MemberIdPath;
use super::responses::{BadRequest, Conflict, NotFound, RateLimited, V1Errors};
use super::AppState;
use crate::accounts::{ApiKey, Invitation, Member, MemberRole, NewMember};

/// The routes of members that need a key.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_members, invite_member)).routes(routes!(remove_member))
}

/// The route the invitation token authorizes (no key, no rate limit: the token carries 256 bits).
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(accept_invitation))
}

/// The paths of [`public_routes`]: `/v1` paths served without authentication.
pub const PUBLIC_PATHS: [&str; 1] = ["/v1/invitations/accept"];

/// The organization's members (invited and active), oldest first by default.
#[utoipa::path(get, path = "/v1/members", operation_id = "members.list", tag = "account", params(ListParams),
    responses((status = 200, body = ListResponse<Member>), BadRequest, RateLimited, V1Errors))]
async fn list_members(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    scope: ListScope,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<ListResponse<Member>>> {
    let page = ListParams { order: params.order.or(Some("asc".into())), ..params }.page(&scope)?;
    let (members, next) = state.accounts().members(auth.org_id(), page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(members, next, &scope)))
}

/// Body of `POST /v1/members`.
#[derive(Deserialize, ToSchema)]
pub struct InviteMember {
    /// The invitee's address (at most 254 characters; one that is not an address is a 422).
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    /// `admin` (every scope), `member` (default: read, run, integrations) or `viewer` (read).
    pub role: Option<MemberRole>,
    /// A display name, at most 200 characters.
    #[schema(max_length = 200)]
    pub name: Option<String>,
}

/// A new member and their invitation token, shown this once.
#[derive(Serialize, ToSchema)]
pub struct InvitedMember {
    #[serde(flatten)]
    pub member: Member,
    pub invitation: Invitation,
}

/// Invites someone by email. The answer holds the invitation token, shown this once; redeeming
/// it (`POST /v1/invitations/accept`) within 7 days makes the member active and gives them a key
/// of their role's scopes, in the mode of the key that invited them.
#[utoipa::path(post, path = "/v1/members", operation_id = "members.create", tag = "account", request_body = InviteMember,
    responses((status = 201, body = InvitedMember), BadRequest,
        (status = 409, description = "`conflict`: the address is a member already or has an invitation, or the `Idempotency-Key` is in flight or was used for another request", body = ErrorEnvelope),
        RateLimited, V1Errors))]
async fn invite_member(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiJson(body): ApiJson<InviteMember>,
) -> ApiResult<(StatusCode, Json<InvitedMember>)> {
    let new = NewMember::parse(&body.email, body.name.as_deref(), body.role)?;
    let (member, invitation) = state.accounts().invite_member(auth.org_id(), new, auth.key.mode).await?;
    Ok((StatusCode::CREATED, Json(InvitedMember { member, invitation })))
}

/// Removes a member and revokes every key of theirs at once.
#[utoipa::path(delete, path = "/v1/members/{member_id}", operation_id = "members.delete", tag = "account", params(MemberIdPath),
    responses((status = 200, body = Member), BadRequest, NotFound, Conflict, RateLimited, V1Errors))]
async fn remove_member(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiPath(MemberIdPath { member_id }): ApiPath<MemberIdPath>,
) -> ApiResult<Json<Member>> {
    let removed = state.accounts().remove_member(auth.org_id(), &member_id).await?;
    Ok(Json(removed.ok_or_else(|| ApiError::not_found("Member", &member_id, "member_id"))?))
}

/// Body of `POST /v1/invitations/accept`.
#[derive(Deserialize, ToSchema)]
pub struct AcceptInvitation {
    /// The token of `POST /v1/members`.
    #[schema(min_length = 1, max_length = 100)]
    pub token: String,
    /// A label for the member's key (default: their email), at most 100 characters.
    #[schema(max_length = 100)]
    pub key_name: Option<String>,
}

/// What redeeming an invitation made: the member, now active, and their key with its secret
/// (shown this once).
#[derive(Serialize, ToSchema)]
pub struct AcceptedInvitation {
    pub member: Member,
    pub api_key: ApiKey,
    pub secret: String,
}

/// Redeems an invitation (no API key: the token authorizes it, once). An unknown, used or
/// expired token is a 404.
#[utoipa::path(post, path = "/v1/invitations/accept", operation_id = "invitations.accept", tag = "account", request_body = AcceptInvitation,
    security(()),
    responses((status = 201, body = AcceptedInvitation),
        (status = 400, description = "`invalid_request_error`: the body is not of the documented shape; `param` names the field.", body = ErrorEnvelope),
        (status = 404, description = "`not_found`: no invitation has this token, or it was used or has expired.", body = ErrorEnvelope),
        (status = 500, description = "`internal_error`: an unexpected failure; retry with backoff.", body = ErrorEnvelope)))]
async fn accept_invitation(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AcceptInvitation>,
) -> ApiResult<(StatusCode, Json<AcceptedInvitation>)> {
    let (member, api_key, secret) = state.accounts().accept_invitation(body.token.trim(), body.key_name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(AcceptedInvitation { member, api_key, secret })))
}

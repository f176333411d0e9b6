//! The `usage` endpoint group: the usage report, the monthly budget, and the credit ledger.
//! The rules live in [`crate::billing`]; these handlers only parse and map.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Authorized, Read};
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery};
use super::pagination::{ListParams, ListResponse, ListScope};
use super::responses::{BadRequest, Conflict, RateLimited, V1Errors};
use super::AppState;
use crate::billing::usage::RateLimitUse;
use crate::billing::{BudgetObject, BudgetSettings, GroupBy, LedgerEntry, UsageQuery, UsageReport};
use crate::error::ResearchError;
use crate::filters::parse_date_bound;
use crate::ratelimit::RateDecision;

/// The routes of the group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_usage)).routes(routes!(get_budget, put_budget)).routes(routes!(list_credit_usage))
}

/// Query of `GET /v1/usage`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// First day of the report (inclusive); default the first day of the current month.
    #[param(value_type = Option<crate::filters::DateText>)]
    pub from: Option<String>,
    /// Last day of the report (inclusive); default the last day of the current month. At most
    /// 366 days after `from`.
    #[param(value_type = Option<crate::filters::DateText>)]
    pub to: Option<String>,
    /// Break the report down by `day`, `thread`, `key` or `member` (`user` is the same).
    #[param(value_type = Option<String>, pattern = "^$|^(day|thread|key|member|user)$")]
    pub group_by: Option<String>,
}

fn parse_group_by(raw: Option<&str>) -> Result<Option<GroupBy>, ResearchError> {
    match raw.filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => serde_json::from_value(serde_json::Value::String(raw.to_string()))
            .map(Some)
            .map_err(|_| ResearchError::invalid("group_by", format!("`group_by` must be day, thread, key or member; got `{raw}`."))),
    }
}

/// What the organization used: credits of a date range (the current month by default), jobs
/// that ended in it, the current period's grant, balance and rollover, and this minute's
/// requests. Credits are live ones (test keys run free); job counts are of the key's mode.
#[utoipa::path(get, path = "/v1/usage", operation_id = "usage.retrieve", tag = "usage", params(UsageParams),
    responses((status = 200, body = UsageReport), BadRequest, RateLimited, V1Errors))]
async fn get_usage(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    decision: Option<Extension<RateDecision>>,
    ApiQuery(params): ApiQuery<UsageParams>,
) -> ApiResult<Json<UsageReport>> {
    let group_by = parse_group_by(params.group_by.as_deref())?;
    let query = UsageQuery::parse(params.from.as_deref(), params.to.as_deref(), group_by, state.clock().now().into())?;
    let mut report = state.billing().usage(&auth.organization, auth.key.mode, &query).await?;
    report.rate_limit = decision.map(|Extension(d)| RateLimitUse {
        limit: d.limit,
        used: d.limit.saturating_sub(d.remaining),
        remaining: d.remaining,
        reset: d.reset,
    });
    Ok(Json(report))
}

/// The monthly budget and where the current month stands against it.
#[utoipa::path(get, path = "/v1/usage/budget", operation_id = "usage.budget.retrieve", tag = "usage",
    responses((status = 200, body = BudgetObject), RateLimited, V1Errors))]
async fn get_budget(State(state): State<AppState>, auth: Authorized<Read>) -> ApiResult<Json<BudgetObject>> {
    Ok(Json(state.billing().budget_object(&auth.organization).await?))
}

/// Sets (or, with `monthly_ceiling: null`, removes) the monthly budget. At its hard stop, live
/// approvals are refused with 402 `insufficient_credits` and running live jobs stop at their next
/// checkpoint; `usage.budget.warning` is recorded at 80 % and `usage.budget.exceeded` at the hard
/// stop, once a month each. A ceiling below what the month used takes effect at once.
#[utoipa::path(put, path = "/v1/usage/budget", operation_id = "usage.budget.update", tag = "usage", request_body = BudgetSettings,
    responses((status = 200, body = BudgetObject), BadRequest, Conflict, RateLimited, V1Errors))]
async fn put_budget(
    State(state): State<AppState>,
    auth: Authorized<Admin>,
    ApiJson(body): ApiJson<BudgetSettings>,
) -> ApiResult<Json<BudgetObject>> {
    let budget = body.parse(state.clock().now().into())?;
    let (object, alerted) = state.billing().set_budget(&auth.organization, budget).await?;
    if alerted {
        crate::events::nudge_fan_out(state.storage().deliveries.as_ref()).await;
    }
    Ok(Json(object))
}

/// Query of `GET /v1/credits/usage`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerParams {
    /// Entries at or after this date or time.
    #[param(value_type = Option<crate::filters::DateOrTimeText>)]
    pub start_date: Option<String>,
    /// Entries up to this date (the whole day) or time (inclusive).
    #[param(value_type = Option<crate::filters::DateOrTimeText>)]
    pub end_date: Option<String>,
}

/// The credit ledger, newest first: every grant, job usage, refund, adjustment and expiry.
/// The balance is the sum of its amounts.
#[utoipa::path(get, path = "/v1/credits/usage", operation_id = "credits.usage.list", tag = "usage", params(ListParams, LedgerParams),
    responses((status = 200, body = ListResponse<LedgerEntry>), BadRequest, RateLimited, V1Errors))]
async fn list_credit_usage(
    State(state): State<AppState>,
    auth: Authorized<Read>,
    scope: ListScope,
    ApiQuery(page): ApiQuery<ListParams>,
    ApiQuery(params): ApiQuery<LedgerParams>,
) -> ApiResult<Json<ListResponse<LedgerEntry>>> {
    let page = page.page(&scope)?;
    let from = parse_date_bound(params.start_date.as_deref(), "start_date", false)?;
    let to = parse_date_bound(params.end_date.as_deref(), "end_date", true)?;
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            return Err(ResearchError::unprocessable("end_date", "`end_date` must not be before `start_date`.").into());
        }
    }
    let (entries, next) = state.billing().ledger_page(&auth.organization, (from, to), page.order, page.limit, page.cursor).await?;
    Ok(Json(ListResponse::new(entries, next, &scope)))
}

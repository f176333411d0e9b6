//! The error responses of the OpenAPI document, one type per status (and per kind of 429), each
//! the [`ErrorEnvelope`] with the code it carries, so an operation lists what it can answer by
//! name: `responses((status = 200, body = Job), NotFound, RateLimited, V1Errors)`.
//!
//! Every authenticated `/v1` operation lists [`V1Errors`] (401, 403, 500) and exactly one 429
//! type ([`RateLimited`], or the one naming the tier limit the operation also counts against);
//! every write can also answer [`BadRequest`] and [`Conflict`] through its `Idempotency-Key`. The
//! test of the document (`openapi_tests`) checks this. These types only document: handlers
//! answer [`ApiError`](super::ApiError)s.

use utoipa::IntoResponses;

use super::error::ErrorEnvelope;

/// What any authenticated `/v1` operation can answer, whatever it does.
#[derive(IntoResponses)]
pub enum V1Errors {
    /// `authentication_error`: the API key is missing, malformed, unknown, revoked or expired.
    #[response(status = 401, example = json!({"error": {"code": "authentication_error", "message": "No API key provided. Send it as `Authorization: Bearer <key>` or in the `x-api-key` header.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
    Unauthorized(ErrorEnvelope),
    /// `permission_error`: the key lacks a scope the operation requires (publishable keys only
    /// read the key's own identity and organization, and the artifacts marked shareable).
    #[response(status = 403, example = json!({"error": {"code": "permission_error", "message": "This API key lacks the `run` scope, which this endpoint requires. Use a key that has it, or create one with that scope.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
    Forbidden(ErrorEnvelope),
    /// `internal_error`: something failed on Quarry's side. Retry with exponential backoff; if it
    /// persists, report the `request_id`.
    #[response(status = 500, example = json!({"error": {"code": "internal_error", "message": "Something went wrong on our side. Retry with exponential backoff; if it persists, report the request_id.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
    Internal(ErrorEnvelope),
}

/// `invalid_request_error`: a parameter, the body or the `Idempotency-Key` is missing or invalid;
/// `param` names it.
#[derive(IntoResponses)]
#[response(status = 400, example = json!({"error": {"code": "invalid_request_error", "message": "`limit` must be an integer from 1 to 100; got `500`.", "param": "limit", "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct BadRequest(pub ErrorEnvelope);

/// `insufficient_credits`: a live key's organization has too few credits left for the job.
#[derive(IntoResponses)]
#[response(status = 402, example = json!({"error": {"code": "insufficient_credits", "message": "Job job_01HXA5R2D4E6G8J0K2M4N6P8Q0 needs about 120 credits and your organization has 40 left this month. Lower max_rows or max_credits, or raise the allowance.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct PaymentRequired(pub ErrorEnvelope);

/// `not_found`: no such object in the caller's organization (objects of other organizations are
/// not found either).
#[derive(IntoResponses)]
#[response(status = 404, example = json!({"error": {"code": "not_found", "message": "Job job_01HXA5R2D4E6G8J0K2M4N6P8Q0 was not found in your organization.", "param": "job_id", "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct NotFound(pub ErrorEnvelope);

/// `conflict`: the object's state does not allow the request (the operation says when), it
/// changed meanwhile, or the `Idempotency-Key` is in flight or was used for another request.
#[derive(IntoResponses)]
#[response(status = 409, example = json!({"error": {"code": "conflict", "message": "This Idempotency-Key was already used for a different request (method, path or body). Use a new key for a new request.", "param": "Idempotency-Key", "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct Conflict(pub ErrorEnvelope);

/// `plan_rejected`: the planner declined the prompt or feedback; `message` says why and what to
/// change.
#[derive(IntoResponses)]
#[response(status = 422, example = json!({"error": {"code": "plan_rejected", "message": "The prompt names no audience to research. Say which companies or people to find.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct PlanRejected(pub ErrorEnvelope);

/// `rate_limit_error`: the organization's per-minute request limit. Retry after `Retry-After`.
#[derive(IntoResponses)]
#[response(status = 429, headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
    example = json!({"error": {"code": "rate_limit_error", "message": "Rate limit of 60 requests per minute exceeded. Retry after 12 s.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct RateLimited(pub ErrorEnvelope);

/// `rate_limit_error`: the per-minute request limit, or the tier's plans-per-day limit (resets at
/// 00:00 UTC). Retry after `Retry-After`.
#[derive(IntoResponses)]
#[response(status = 429, headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
    example = json!({"error": {"code": "rate_limit_error", "message": "Your tier allows 200 plans per day and they are used up. The quota resets at 00:00 UTC, in 3600 s; or raise the tier.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct PlanLimit(pub ErrorEnvelope);

/// `rate_limit_error`: the per-minute request limit, or the tier's concurrent-job limit. Retry
/// after `Retry-After`, or stop a running job.
#[derive(IntoResponses)]
#[response(status = 429, headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
    example = json!({"error": {"code": "rate_limit_error", "message": "Your tier runs at most 5 jobs at once. Wait for a running job to end, stop one, or raise the tier.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct JobLimit(pub ErrorEnvelope);

/// `rate_limit_error`: the per-minute request limit, the tier's plans-per-day limit, or its
/// concurrent-job limit. Retry after `Retry-After`.
#[derive(IntoResponses)]
#[response(status = 429, headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
    example = json!({"error": {"code": "rate_limit_error", "message": "Your tier runs at most 5 jobs at once. Wait for a running job to end, stop one, or raise the tier.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct PlanOrJobLimit(pub ErrorEnvelope);

/// `rate_limit_error`: the per-minute request limit, or the tier's limit of open streams. Retry
/// after `Retry-After`, close a stream, or poll the job instead.
#[derive(IntoResponses)]
#[response(status = 429, headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
    example = json!({"error": {"code": "rate_limit_error", "message": "Your tier allows 5 open streams at once. Close one, or poll GET /v1/jobs/{id} instead.", "param": null, "request_id": "req_01HXA6H9J1K3M5N7P9Q1R3S5T7"}}))]
pub struct StreamLimit(pub ErrorEnvelope);

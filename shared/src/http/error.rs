//! The one error type of the API and its mapping to HTTP: every error response in Quarry, from a
//! handler, an extractor, a middleware or a panic, is rendered here, in the envelope
//! `{"error": {"code", "message", "param", "request_id"}}`.

use std::fmt::Display;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use quarry_ports::StoreError;

tokio::task_local! {
    /// The ID of the request being served, set by the request-ID middleware for the whole
    /// handling of a request, so errors raised anywhere can name it.
    pub(crate) static REQUEST_ID: String;
}

/// The request ID of the request being served (a fresh one outside a request).
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| crate::ids::new_id(crate::ids::prefix::REQUEST))
}

/// Machine-readable error codes (the Leadex code table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    #[serde(rename = "invalid_request_error")]
    InvalidRequest,
    #[serde(rename = "authentication_error")]
    Authentication,
    #[serde(rename = "permission_error")]
    Permission,
    NotFound,
    Conflict,
    #[serde(rename = "rate_limit_error")]
    RateLimit,
    InsufficientCredits,
    PlanRejected,
    JobHalted,
    IntegrationError,
    InternalError,
}

/// An error answer: status, code, a message that tells the caller what to do, and the request
/// parameter at fault when there is one.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub param: Option<String>,
    /// Extra response headers (e.g. `Retry-After`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// The error envelope, as documented in the OpenAPI spec.
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// The inside of the error envelope.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    pub param: Option<String>,
    pub request_id: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), param: None, headers: Vec::new() }
    }

    /// Names the request parameter at fault.
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: HeaderName, value: impl Display) -> Self {
        if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
            self.headers.push((name, v));
        }
        self
    }

    /// 400: a parameter failed validation.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message).param(param)
    }

    /// 401.
    pub fn authentication(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Authentication, message)
    }

    /// 403.
    pub fn permission(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Permission, message)
    }

    /// 404 for an object that does not exist in the caller's organization.
    pub fn not_found(what: &str, id: &str, param: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("{what} {id} was not found in your organization.")).param(param)
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after_secs: i64, limit: u32) -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimit,
            format!("Rate limit of {limit} requests per minute exceeded. Retry after {retry_after_secs} s."),
        )
        .header(axum::http::header::RETRY_AFTER, retry_after_secs)
    }

    /// 500. The cause is logged with the request ID; the caller sees only the ID.
    pub fn internal(cause: impl Display) -> Self {
        tracing::error!(request_id = %current_request_id(), error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "Something went wrong on our side. Retry with exponential backoff; if it persists, report the request_id.",
        )
    }

    /// The envelope this error renders to.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code,
                message: self.message.clone(),
                param: self.param.clone(),
                request_id: current_request_id(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.envelope())).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor => {
                ApiError::invalid("cursor", "The cursor is not valid for this list. Pass the next_cursor of the previous page unchanged.")
            }
            StoreError::ConditionFailed => ApiError::conflict("The object was changed by another request. Fetch it again and retry."),
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::research::ResearchError> for ApiError {
    fn from(e: crate::research::ResearchError) -> Self {
        use crate::error::ResearchError as E;
        match e {
            E::Invalid { param, message } => ApiError::invalid(&param, message),
            E::NotFound { what, id, param } => ApiError::not_found(what, &id, param),
            E::Conflict(message) => ApiError::conflict(message),
            E::Unprocessable { param, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidRequest, message).param(&param)
            }
            E::Rejected(message) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PlanRejected, message),
            E::PlanQuota { limit, retry_after_secs } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimit,
                format!("Your tier allows {limit} plans per day and they are used up. The quota resets at 00:00 UTC, in {retry_after_secs} s; or raise the tier."),
            )
            .header(axum::http::header::RETRY_AFTER, retry_after_secs),
            E::TooManyJobs { limit } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimit,
                format!("Your tier runs at most {limit} jobs at once. Wait for a running job to end, stop one, or raise the tier."),
            )
            .header(axum::http::header::RETRY_AFTER, 30),
            E::InsufficientCredits(message) => ApiError::new(StatusCode::PAYMENT_REQUIRED, ErrorCode::InsufficientCredits, message),
            E::Store(e) => e.into(),
        }
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

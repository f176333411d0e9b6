//! The outermost layer: gives every request an ID (echoing a caller's sane `X-Request-Id`), makes
//! it visible to error rendering and logs, and returns it on every response.

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::error::{ApiError, ErrorCode, REQUEST_ID};
use crate::ids::{new_id, prefix};

/// The request-ID header.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest caller-supplied request ID we echo.
const MAX_CALLER_ID_LEN: usize = 128;

/// True for IDs safe to log and echo: 1–128 of `A-Z a-z 0-9 - _ . :` (UUIDs, ULIDs, trace IDs).
fn is_sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CALLER_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Middleware: request ID, tracing span, and the envelope for the router's own bare 404 / 405.
pub async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map(str::to_string)
        .unwrap_or_else(|| new_id(prefix::REQUEST));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let scoped_id = id.clone();
    let mut response = REQUEST_ID
        .scope(scoped_id, async move {
            let response = next.run(req).await;
            let status = response.status();
            let bare = !response.headers().contains_key(CONTENT_TYPE);
            let response = if bare && status == StatusCode::METHOD_NOT_ALLOWED {
                let allow = response.headers().get(axum::http::header::ALLOW).cloned();
                let mut r = ApiError::new(status, ErrorCode::InvalidRequest, "This endpoint does not support the request's HTTP method.")
                    .into_response();
                if let Some(allow) = allow {
                    r.headers_mut().insert(axum::http::header::ALLOW, allow);
                }
                r
            } else if bare && status == StatusCode::NOT_FOUND {
                not_found_error().into_response()
            } else {
                response
            };
            tracing::info!(status = response.status().as_u16(), "served");
            response
        })
        .instrument(span)
        .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    response
}

/// The 404 for a path no route serves.
pub fn not_found_error() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No such endpoint. See /openapi.json for the list of endpoints.")
}

/// The envelope of a 405: the path exists, the method does not.
pub fn method_not_allowed_error() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::InvalidRequest,
        "This endpoint does not take that method. See /openapi.json for the methods it takes.",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_sane_ids_are_echoed() {
        assert!(super::is_sane("3f2b8c1e-9d4a-4b7e-8f00-1234567890ab"));
        assert!(!super::is_sane("a b"));
        assert!(!super::is_sane("<script>"));
        assert!(!super::is_sane(&"x".repeat(129)));
    }
}

//! The `Idempotency-Key` layer for every write (POST, PUT, PATCH, DELETE) under `/v1`: see
//! [`crate::idempotency`] for the storage side. The handler runs inside the claim's
//! [`Scope`], so the operations it calls record their outcomes with their own writes and a retry
//! after a crash resumes instead of repeating them. Responses worth retrying (5xx, 429) are not
//! kept: the claim is released so the client's retry runs for real.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::extract::{payload_too_large, MAX_BODY_BYTES};
use super::AppState;
use crate::accounts::{org_partition, Principal};
use crate::idempotency::{fingerprint, Claim, Scope, StoredResponse, MAX_KEY_LEN};

static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on a response replayed from an earlier request.
pub static IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Largest response body stored for replay (DynamoDB items are at most 400 KB).
const MAX_STORED_RESPONSE: usize = 256 * 1024;

fn is_write(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// Middleware: replay or run-and-remember writes that carry an `Idempotency-Key`.
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_write(req.method()) {
        return next.run(req).await;
    }
    let Some(raw_key) = req.headers().get(&IDEMPOTENCY_KEY) else { return next.run(req).await };
    let key = match raw_key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= MAX_KEY_LEN && k.bytes().all(|b| b.is_ascii_graphic()) => k.to_string(),
        _ => {
            return ApiError::invalid("Idempotency-Key", format!("`Idempotency-Key` must be 1 to {MAX_KEY_LEN} visible ASCII characters."))
                .into_response()
        }
    };
    let Some(org_id) = req.extensions().get::<Principal>().map(|p| p.org_id().to_string()) else {
        return ApiError::internal("idempotency layer runs before authentication").into_response();
    };
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else { return payload_too_large().into_response() };
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let print = fingerprint(parts.method.as_str(), path, &body);
    let store = state.idempotency();
    let token =
        match store.claim(org_partition(&org_id), &key, &print).await {
            Ok(Claim::Proceed(token)) => token,
            Ok(Claim::Replay(stored)) => return replay(stored),
            Ok(Claim::InFlight) => {
                return ApiError::conflict("A request with this Idempotency-Key is still being processed. Retry after it has finished.")
                    .param("Idempotency-Key")
                    .into_response()
            }
            Ok(Claim::Mismatch) => return ApiError::conflict(
                "This Idempotency-Key was already used for a different request (method, path or body). Use a new key for a new request.",
            )
            .param("Idempotency-Key")
            .into_response(),
            Err(e) => return ApiError::internal(e).into_response(),
        };
    let response = Scope::of(&token).run(next.run(Request::from_parts(parts, Body::from(body)))).await;
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            let _ = store.release(token).await;
            return ApiError::internal(format!("response body failed: {e}")).into_response();
        }
    };
    let retryable = parts.status.is_server_error() || parts.status == StatusCode::TOO_MANY_REQUESTS;
    let outcome = if retryable || body.len() > MAX_STORED_RESPONSE {
        store.release(token).await
    } else {
        let content_type = parts.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        store.complete(token, StoredResponse::new(parts.status.as_u16(), content_type, &body)).await
    };
    if let Err(e) = outcome {
        tracing::error!(error = %e, "could not record the idempotent response");
    }
    Response::from_parts(parts, Body::from(body))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body_bytes()).into_response();
    if let Some(ct) = stored.content_type.as_deref().and_then(|ct| HeaderValue::from_str(ct).ok()) {
        response.headers_mut().insert(CONTENT_TYPE, ct);
    }
    response.headers_mut().insert(IDEMPOTENT_REPLAYED.clone(), HeaderValue::from_static("true"));
    response
}

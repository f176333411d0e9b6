//! Authentication, per-organization rate limiting, and per-route scope checks.
//!
//! The [`authenticate`] middleware runs on every `/v1` route: it resolves the API key (from
//! `Authorization: Bearer` or `x-api-key`), counts the request against the organization's
//! per-minute limit, stores the [`Principal`] in the request, and puts `X-RateLimit-*` headers on
//! the response. Handlers then state the scope they need in their signature with
//! [`Authorized<S>`], so a route's permission is visible where the route is written.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::AppState;
use crate::accounts::{AuthOutcome, KeyKind, Principal, Scope};
use crate::ratelimit::{Bucket, RateDecision};

static X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
static LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
static REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
static RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The key the caller presented, if any. A non-Bearer `Authorization` header is passed on as is,
/// so it fails as malformed rather than as missing.
fn presented_key(headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let auth = auth.trim();
        return Some(match auth.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim().to_string(),
            _ => auth.to_string(),
        });
    }
    headers.get(&X_API_KEY).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string())
}

fn set_rate_headers(headers: &mut HeaderMap, d: &RateDecision) {
    for (name, value) in [(&LIMIT, d.limit as i64), (&REMAINING, d.remaining as i64), (&RESET, d.reset)] {
        headers.insert(name.clone(), HeaderValue::from(value));
    }
}

/// Middleware: authenticate, rate-limit, and annotate the response.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let principal = match state.accounts().authenticate(presented_key(req.headers()).as_deref()).await {
        Ok(p) => p,
        Err(AuthOutcome::Denied(failure)) => return ApiError::authentication(failure.message()).into_response(),
        Err(AuthOutcome::Failed(e)) => return ApiError::internal(e).into_response(),
    };
    let limit = principal.organization.limits().requests_per_minute;
    let bucket = match principal.key.kind {
        KeyKind::Publishable => Bucket::Publishable,
        KeyKind::Secret => Bucket::Secret,
    };
    let decision = match state.rate_limiter().hit(&principal.organization.id, bucket, limit).await {
        Ok(d) => d,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    if !decision.allowed {
        let mut response = ApiError::rate_limited(decision.retry_after, limit).into_response();
        set_rate_headers(response.headers_mut(), &decision);
        return response;
    }
    if let Err(e) = state.accounts().record_use(&principal.key).await {
        tracing::warn!(error = %e, "could not record key use");
    }
    req.extensions_mut().insert(principal);
    // `/v1/usage` reports this minute's use from it.
    req.extensions_mut().insert(decision);
    let mut response = next.run(req).await;
    set_rate_headers(response.headers_mut(), &decision);
    response
}

/// A scope a route requires, as a type.
pub trait RequiredScope: Send + Sync + 'static {
    const SCOPE: Scope;
    /// Whether publishable (`pk_pub_`) keys may call the route: the key's own identity and
    /// organization, and the artifacts the organization marked shareable (the handler lets such
    /// a key see only those); every other route needs a secret key.
    const PUBLISHABLE: bool = false;
}

/// Routes that only read an organization's research data (threads, plans, jobs, leads).
pub struct Read;
/// Reads a publishable key may make too (who am I, which organization, the shareable
/// artifacts).
pub struct PublicRead;
/// Routes that start or change research (messages, approvals, stops, /search).
pub struct Run;
/// Routes that push to external systems.
pub struct Integrations;
/// Routes that manage keys, webhooks and limits.
pub struct Admin;

impl RequiredScope for Read {
    const SCOPE: Scope = Scope::Read;
}
impl RequiredScope for PublicRead {
    const SCOPE: Scope = Scope::Read;
    const PUBLISHABLE: bool = true;
}
impl RequiredScope for Run {
    const SCOPE: Scope = Scope::Run;
}
impl RequiredScope for Integrations {
    const SCOPE: Scope = Scope::Integrations;
}
impl RequiredScope for Admin {
    const SCOPE: Scope = Scope::Admin;
}

/// The authenticated caller, checked to hold `read` plus the route's scope `S`. Publishable keys
/// may only read.
pub struct Authorized<S: RequiredScope> {
    pub principal: Principal,
    _scope: PhantomData<S>,
}

impl<S: RequiredScope> std::ops::Deref for Authorized<S> {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<St: Send + Sync, S: RequiredScope> FromRequestParts<St> for Authorized<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, Self::Rejection> {
        let principal =
            parts.extensions.get::<Principal>().cloned().ok_or_else(|| ApiError::internal("route is missing the authentication layer"))?;
        check_access(&principal, S::SCOPE, S::PUBLISHABLE, &parts.method)?;
        Ok(Authorized { principal, _scope: PhantomData })
    }
}

fn check_access(principal: &Principal, scope: Scope, publishable_ok: bool, method: &Method) -> Result<(), ApiError> {
    let key = &principal.key;
    let reading = matches!(*method, Method::GET | Method::HEAD);
    if key.kind == KeyKind::Publishable && !(reading && scope == Scope::Read && publishable_ok) {
        return Err(ApiError::permission(
            "Publishable keys (pk_pub_) only read public data and cannot call this endpoint. Use a secret key (sk_live_ or sk_test_).",
        ));
    }
    for needed in [Scope::Read, scope] {
        if !key.has_scope(needed) {
            return Err(ApiError::permission(format!(
                "This API key lacks the `{}` scope, which this endpoint requires. Use a key that has it, or create one with that scope.",
                needed.as_str()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_bearer_or_x_api_key() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_key(&h), None);
        h.insert(X_API_KEY.clone(), HeaderValue::from_static("sk_test_x"));
        assert_eq!(presented_key(&h).as_deref(), Some("sk_test_x"));
        h.insert(axum::http::header::AUTHORIZATION, HeaderValue::from_static("bearer sk_live_y"));
        assert_eq!(presented_key(&h).as_deref(), Some("sk_live_y"));
        h.insert(axum::http::header::AUTHORIZATION, HeaderValue::from_static("Basic dXNlcg=="));
        assert_eq!(presented_key(&h).as_deref(), Some("Basic dXNlcg=="));
    }
}

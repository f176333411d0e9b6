//! Extractors that turn bad input into envelope errors naming the parameter at fault, instead of
//! axum's plain-text rejections.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::error::{ApiError, ErrorCode};

/// Largest request body the API accepts, in bytes: room for a scrape of 10,000 long URLs, and
/// under Lambda's 6 MB synchronous payload limit.
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// A JSON request body. Unknown fields are ignored; a body that is not JSON, or whose fields have
/// the wrong type, is a 400 naming the field; a wrong content type is a 415; too large is a 413.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok())) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::InvalidRequest,
                "Send the request body as JSON with `Content-Type: application/json`.",
            )
            .param("Content-Type"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body that may be left out: an empty (or all-whitespace) body is `T::default()`, so
/// `curl -X POST …/approve` works with no body; anything else is parsed as [`ApiJson`] parses,
/// and a body over the limit is the envelope's 413.
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        // `null` is no body too (what a generated client sends for an absent optional body).
        let value: Option<T> = parse_json(&bytes)?;
        Ok(OptionalJson(value.unwrap_or_default()))
    }
}

/// Maps a failure to read the body (usually the size limit) to the envelope.
pub fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        payload_too_large()
    } else {
        ApiError::invalid("body", format!("The request body could not be read: {}", rejection.body_text()))
    }
}

/// Longest time a request body may take to arrive, whole: a body shorter than its declared
/// length, or trickled byte by byte, is answered 408 rather than held open.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Middleware: reads a request's body within `timeout` (408 after it, 413 past
/// [`MAX_BODY_BYTES`]) before the request goes on. Bodies are JSON and read whole by every handler
/// anyway, so buffering here costs nothing and puts one deadline in one place for every route.
pub async fn body_deadline(
    axum::extract::State(timeout): axum::extract::State<std::time::Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::body::HttpBody;
    use axum::response::IntoResponse;
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        // Over the limit (or the client went away, when nobody reads the answer).
        Ok(Err(_)) => payload_too_large().into_response(),
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::InvalidRequest,
            format!(
                "The request body did not arrive within {} s. Send the whole body at once, with a correct Content-Length.",
                timeout.as_secs()
            ),
        )
        .param("body")
        .into_response(),
    }
}

/// 413 for a body over [`MAX_BODY_BYTES`].
pub fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::InvalidRequest,
        format!("The request body is larger than the {MAX_BODY_BYTES}-byte limit."),
    )
    .param("body")
}

fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a JSON body, naming the offending field on error. The body is one JSON value: anything
/// but whitespace after it (`{"title":"x"} garbage`, a second object) is a 400.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut value: Value = Deserialize::deserialize(&mut de).map_err(|inner| {
        ApiError::invalid("body", format!("The request body is not valid JSON: {}.", strip_position(&inner.to_string())))
    })?;
    de.end().map_err(|inner| {
        ApiError::invalid(
            "body",
            format!("The request body must be one JSON value with nothing after it: {}.", strip_position(&inner.to_string())),
        )
    })?;
    whole_numbers_as_integers(&mut value);
    deserialize_named(value)
}

/// `2.0` is the integer 2 in JSON (and in the JSON Schema of every integer field), but serde
/// takes only `2` for an integer: numbers with no fraction are rewritten as integers first.
fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

fn deserialize_named<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::invalid("body", format!("The request body is not valid JSON: {inner}."));
        }
        let message = inner.to_string();
        let param =
            missing_field(&message).map(|field| join_path(&path, field)).unwrap_or_else(|| if path == "." { "body".into() } else { path });
        let message = strip_position(&message);
        ApiError::invalid(&param, format!("Invalid value for `{param}`: {message}."))
    })
}

/// serde reports a missing field as "missing field `name`" at the parent's path.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn join_path(parent: &str, field: &str) -> String {
    if parent == "." || parent.is_empty() {
        field.to_string()
    } else {
        format!("{parent}.{field}")
    }
}

fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// Query-string parameters; a malformed query string is a 400 in the envelope.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let kept = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(non_empty_pairs(parts.uri.query())).finish();
        let uri: axum::http::Uri = format!("/?{kept}").parse().map_err(|_| ApiError::invalid("query", "The query string is not valid."))?;
        axum::extract::Query::<T>::try_from_uri(&uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|rejection| ApiError::invalid("query", format!("The query string is not valid: {}.", rejection.body_text())))
    }
}

/// The pairs of a query string, without those whose value is empty: `?status=` is the same as no
/// `status` at all, on every endpoint (what a form or a client template sends for a blank field).
pub fn non_empty_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().filter(|(_, value)| !value.is_empty()).collect()
}

/// A path parameter; a mismatch is a 404 (the route does not exist for that value).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|rejection| ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, rejection.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        scopes: Option<Vec<crate::accounts::Scope>>,
    }

    #[test]
    fn json_errors_name_the_parameter() {
        let e = parse_json::<Body>(b"{\"scopes\": []}").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("name"));
        let e = parse_json::<Body>(b"{\"name\": \"a\", \"scopes\": [\"read\", \"root\"]}").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("scopes[1]"));
        let e = parse_json::<Body>(b"{\"name\": 3}").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("name"));
        let e = parse_json::<Body>(b"{\"name\": ").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("body"));
        assert!(parse_json::<Body>(b"{\"name\": \"a\", \"extra\": 1}").is_ok());
        assert!(parse_json::<Body>(b"{\"name\": \"a\"}\n  ").is_ok());
        let e = parse_json::<Body>(b"{\"name\": \"a\"} garbage").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("body"));
        assert!(parse_json::<Body>(b"{\"name\": \"a\"}{\"name\": \"b\"}").is_err());
    }

    #[test]
    fn json_content_types() {
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(None));
    }
}

//! The local server's download route for self-signed blob URLs (what S3 presigned URLs are on
//! AWS), over any [`SelfSignedBlobs`] (the embedded file store).
//! The HMAC and the expiry are checked here; a tampered or expired link is a 403.

use axum::extract::{Path, Query};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

use super::error::ApiError;
use super::AppState;
use quarry_ports::blobs::DOWNLOAD_PATH;
use quarry_ports::{BlobKey, SelfSignedBlobs};

/// Routes serving `GET /blobs/{key}?expires=…&signature=…` from `blobs`.
pub fn routes<B: SelfSignedBlobs>(blobs: B) -> Router<AppState> {
    Router::new().route(&format!("{DOWNLOAD_PATH}/{{*key}}"), get(move |path, query| download(blobs.clone(), path, query)))
}

fn denied() -> ApiError {
    ApiError::permission("This download link is invalid or has expired. Fetch the object again from the API for a fresh link.")
}

async fn download<B: SelfSignedBlobs>(
    blobs: B,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let key = BlobKey::parse(&key).map_err(|_| denied())?;
    let expires = query.get("expires").and_then(|e| e.parse::<i64>().ok());
    let (Some(expires), Some(signature)) = (expires, query.get("signature")) else { return Err(denied()) };
    if !blobs.verify(&key, expires, signature) {
        return Err(denied());
    }
    let blob = blobs.get(&key).await?.ok_or_else(|| ApiError::not_found("File", key.as_str(), "key"))?;
    let mut response = blob.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_str(&blob.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", key.file_name())) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

//! Lambda entry of the `stream` endpoint group (`/v1/jobs/{id}/stream`, Server-Sent Events),
//! served with a streaming response behind a function URL that CloudFront routes to.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_streaming_group(quarry_shared::http::Group::Stream).await
}

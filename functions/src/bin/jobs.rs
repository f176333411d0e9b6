//! Lambda entry of the `jobs` endpoint group: approve, stop/cancel, get and list jobs.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Jobs).await
}

//! Lambda entry of the `search` endpoint group: `POST /v1/search`, one call from a prompt to leads.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Search).await
}

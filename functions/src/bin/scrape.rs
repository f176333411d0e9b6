//! Lambda entry of the `scrape` endpoint group: `POST /v1/scrape`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Scrape).await
}

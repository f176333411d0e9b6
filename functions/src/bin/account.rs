//! Lambda entry of the `account` endpoint group: `/v1/me`, `/v1/organization`, `/v1/api-keys`,
//! `/health`, `/openapi.json`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Account).await
}

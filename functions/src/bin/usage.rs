//! Lambda entry of the `usage` endpoint group: `/v1/usage`, `/v1/usage/budget`,
//! `/v1/credits/usage`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Usage).await
}

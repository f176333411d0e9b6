//! Lambda entry of the `plans` endpoint group: `/v1/plans/{id}` and `/v1/plans/{id}/replan`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Plans).await
}

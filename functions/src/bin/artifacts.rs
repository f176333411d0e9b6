//! Lambda entry of the `artifacts` endpoint group: a job's leads and its artifact downloads.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Artifacts).await
}

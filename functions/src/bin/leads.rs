//! Lambda entry of the `leads` endpoint group: the lead store, PATCH/DELETE, exports.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Leads).await
}

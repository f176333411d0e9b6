//! Lambda entry of the `webhooks` endpoint group: endpoints, rotation, test deliveries and the
//! delivery log.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Webhooks).await
}

//! Lambda entry of the webhook dispatcher, triggered by the deliveries queue (SQS): one signed
//! delivery attempt per message, the outcome recorded and the next attempt scheduled.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_webhook_dispatcher().await
}

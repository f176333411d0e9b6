//! Lambda entry of the step worker, triggered by the steps queue (SQS): background tasks such as
//! thread delete cascades, one bounded run per message.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_step_worker().await
}

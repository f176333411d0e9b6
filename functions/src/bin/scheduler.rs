//! Lambda entry of the scheduler (EventBridge Scheduler, every minute): the job watchdog.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_scheduler().await
}

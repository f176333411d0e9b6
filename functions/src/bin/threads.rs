//! Lambda entry of the `threads` endpoint group: `/v1/threads`, `/v1/threads/{id}` and
//! `/v1/threads/{id}/messages` (posting a message runs the planner).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    quarry_functions::serve_group(quarry_shared::http::Group::Threads).await
}

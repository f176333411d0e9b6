//! The cold-start baseline: the smallest `lambda_http` function, answering every event with a
//! tiny JSON body. Why: the `cold_start` bench times the `account` entry against it, built by the
//! same cargo invocation (same profile, same dependency features), so the ratio measures what
//! Quarry's start-up adds and not the machine. Bench-only: it sits behind the
//! `cold-start-bench` feature and no function of `template.yaml` names it.

use std::convert::Infallible;

use lambda_http::{service_fn, Body, Request, Response};

/// One fixed JSON answer, whatever the request.
async fn hello(_request: Request) -> Result<Response<Body>, Infallible> {
    let response = Response::builder().header("content-type", "application/json").body(Body::from(r#"{"hello":"world"}"#));
    Ok(response.expect("a static response builds"))
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(hello)).await
}

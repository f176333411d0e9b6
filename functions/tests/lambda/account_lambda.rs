//! The `account` Lambda entry end to end: an API Gateway (HTTP API 2.0) event from
//! `functions/events/` is converted by `lambda_http` exactly as in production and served by the
//! group's router over DynamoDB / S3 / SQS in the moto emulator.

use http_body_util::BodyExt;
use lambda_http::Body;
use quarry_ports::clock::SystemClock;
use quarry_shared::accounts::{Accounts, KeyKind, Mode, NewKey, Scope, Tier};
use quarry_shared::http::Group;
use quarry_store::aws::AwsResources;
use quarry_tests::moto;
use serde_json::Value;
use tower::ServiceExt;

fn event(name: &str, api_key: &str) -> lambda_http::Request {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut request = lambda_http::request::from_str(&json).expect("a valid API Gateway event");
    request.headers_mut().insert("authorization", format!("Bearer {api_key}").parse().unwrap());
    request
}

async fn call(router: &axum::Router, request: lambda_http::Request) -> (u16, Value, axum::http::HeaderMap) {
    let (parts, body) = request.into_parts();
    let body = match body {
        Body::Empty => axum::body::Body::empty(),
        Body::Text(t) => axum::body::Body::from(t),
        Body::Binary(b) => axum::body::Body::from(b),
        _ => axum::body::Body::empty(),
    };
    let response = router.clone().oneshot(axum::http::Request::from_parts(parts, body)).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers)
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn account_function_serves_api_gateway_events() {
    // The Lambda runtime provides credentials through the environment; so does this test.
    crate::aws_credentials_in_env();
    let clock = std::sync::Arc::new(SystemClock);
    let table = moto::fresh_table(clock.clone()).await;
    let bucket = moto::fresh_bucket(clock.clone()).await;
    let (steps, _) = moto::fresh_queue_with_dlq(5).await;
    let (deliveries, _) = moto::fresh_queue_with_dlq(5).await;
    let endpoint = moto::endpoint().await;
    let env = |name: &str| -> Option<String> {
        match name {
            "QUARRY_TABLE" => Some(table.table_name().to_string()),
            "QUARRY_BUCKET" => Some(bucket.bucket().to_string()),
            "QUARRY_STEPS_QUEUE_URL" => Some(steps.queue_url().to_string()),
            "QUARRY_DELIVERIES_QUEUE_URL" => Some(deliveries.queue_url().to_string()),
            "QUARRY_AWS_ENDPOINT_URL" => Some(endpoint.clone()),
            _ => None,
        }
    };
    let resources = AwsResources::from_lookup(env).unwrap();
    let router = quarry_functions::group_router(Group::Account, &resources).await;

    let accounts = Accounts::new(table.clone(), clock);
    let org = accounts.create_organization("Lambda org", Tier::Growth, 100).await.unwrap();
    let new = NewKey { name: "admin".into(), kind: KeyKind::Secret, mode: Mode::Live, scopes: Scope::ALL.to_vec(), expires_at: None };
    let (_, secret) = accounts.create_key(&org.id, new).await.unwrap();

    let (status, me, headers) = call(&router, event("get-me.json", &secret)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["organization"]["id"], org.id.as_str());
    assert_eq!(me["livemode"], true);
    assert_eq!(headers["x-request-id"], "lambda-fixture-1");
    assert_eq!(headers["x-ratelimit-limit"], "600");

    let (status, created, _) = call(&router, event("post-api-keys.json", &secret)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], "from lambda");
    assert!(created["secret"].as_str().unwrap().starts_with("sk_live_"));
    let (status, replayed, headers) = call(&router, event("post-api-keys.json", &secret)).await;
    assert_eq!((status, &replayed), (201, &created), "the idempotent replay");
    assert_eq!(headers["idempotent-replayed"], "true");

    let (status, error, _) = call(&router, event("get-me.json", "sk_live_wrong")).await;
    assert_eq!(status, 401);
    assert_eq!(error["error"]["code"], "authentication_error");
}

#[test]
fn missing_configuration_is_named() {
    let err = AwsResources::from_lookup(|name| (name == "QUARRY_TABLE").then(|| "t".to_string())).unwrap_err();
    let message = err.to_string();
    for name in ["QUARRY_BUCKET", "QUARRY_STEPS_QUEUE_URL", "QUARRY_DELIVERIES_QUEUE_URL"] {
        assert!(message.contains(name), "{message}");
    }
    assert!(!message.contains("QUARRY_TABLE,"));
}

//! The `/openapi.json` body the Lambda entries embed (`functions/openapi.json`, see
//! `quarry_functions::OPENAPI_JSON`) is the document the routes generate, byte for byte, and the
//! entries serve it. Why: the entries serve the embedded copy to keep generation off the cold
//! start, so this test is what keeps that copy from drifting. `QUARRY_BLESS_OPENAPI=1` rewrites
//! the file from the routes instead of failing.

use http_body_util::BodyExt;
use quarry_shared::http::Group;
use quarry_store::aws::AwsResources;
use tower::ServiceExt;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[test]
fn the_embedded_document_is_the_generated_one() {
    let generated = quarry_shared::http::openapi().to_string();
    if std::env::var_os("QUARRY_BLESS_OPENAPI").is_some() {
        std::fs::write(PATH, &generated).expect("functions/openapi.json is writable");
        return;
    }
    assert!(
        quarry_functions::OPENAPI_JSON == generated,
        "functions/openapi.json is stale: rerun this test with QUARRY_BLESS_OPENAPI=1 to regenerate it"
    );
}

/// The entry's router answers `/openapi.json` with the embedded body, without touching AWS (the
/// endpoint is unreachable).
#[tokio::test]
async fn the_account_router_serves_the_embedded_document() {
    crate::aws_credentials_in_env();
    let resources = AwsResources {
        table: "t".into(),
        bucket: "b".into(),
        steps_queue_url: "http://127.0.0.1:9/q1".into(),
        deliveries_queue_url: "http://127.0.0.1:9/q2".into(),
        endpoint_url: Some("http://127.0.0.1:9".into()),
    };
    let router = quarry_functions::group_router(Group::Account, &resources).await;
    let request = axum::http::Request::get("/openapi.json").body(axum::body::Body::empty()).unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body == quarry_functions::OPENAPI_JSON.as_bytes(), "the served document is the embedded one");
}

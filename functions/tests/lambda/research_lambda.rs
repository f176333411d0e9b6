//! The `threads`, `plans` and `step-worker` Lambda entries end to end, over DynamoDB / S3 / SQS in
//! the moto emulator: API Gateway (HTTP API 2.0) events and an SQS event from `functions/events/`
//! are converted exactly as in production and handled by the same code the local server runs.

use std::sync::Arc;

use http_body_util::BodyExt;
use lambda_http::Body;
use quarry_ports::clock::SystemClock;
use quarry_ports::{Query, Table};
use quarry_shared::accounts::{Accounts, KeyKind, Mode, NewKey, Scope, Tier};
use quarry_shared::http::Group;
use quarry_store::aws::AwsResources;
use quarry_tests::moto;
use serde_json::Value;
use tower::ServiceExt;

/// Reads an event fixture, filling the `THREAD_ID` / `PLAN_ID` placeholders of its path.
fn event(name: &str, api_key: &str, fill: &[(&str, &str)]) -> lambda_http::Request {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (placeholder, value) in fill {
        json = json.replace(placeholder, value);
    }
    let mut request = lambda_http::request::from_str(&json).expect("a valid API Gateway event");
    request.headers_mut().insert("authorization", format!("Bearer {api_key}").parse().unwrap());
    request
}

async fn call(router: &axum::Router, request: lambda_http::Request) -> (u16, Value) {
    let (parts, body) = request.into_parts();
    let body = match body {
        Body::Text(t) => axum::body::Body::from(t),
        Body::Binary(b) => axum::body::Body::from(b),
        _ => axum::body::Body::empty(),
    };
    let response = router.clone().oneshot(axum::http::Request::from_parts(parts, body)).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

struct Stack {
    resources: AwsResources,
    table: Arc<dyn Table>,
    steps: Arc<quarry_store::aws::sqs::SqsQueue>,
}

async fn stack() -> Stack {
    crate::aws_credentials_in_env();
    let clock = Arc::new(SystemClock);
    let table = moto::fresh_table(clock.clone()).await;
    let bucket = moto::fresh_bucket(clock.clone()).await;
    let (steps, _) = moto::fresh_queue_with_dlq(5).await;
    let (deliveries, _) = moto::fresh_queue_with_dlq(5).await;
    let resources = AwsResources {
        table: table.table_name().to_string(),
        bucket: bucket.bucket().to_string(),
        steps_queue_url: steps.queue_url().to_string(),
        deliveries_queue_url: deliveries.queue_url().to_string(),
        endpoint_url: Some(moto::endpoint().await),
    };
    Stack { resources, table, steps }
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn threads_plans_and_the_step_worker_run_as_lambdas() {
    let stack = stack().await;
    let threads = quarry_functions::group_router(Group::Threads, &stack.resources).await;
    let plans = quarry_functions::group_router(Group::Plans, &stack.resources).await;
    let accounts = Accounts::new(stack.table.clone(), Arc::new(SystemClock));
    let org = accounts.create_organization("Lambda org", Tier::Growth, 100).await.unwrap();
    let new = NewKey { name: "runner".into(), kind: KeyKind::Secret, mode: Mode::Live, scopes: Scope::ALL.to_vec(), expires_at: None };
    let (_, key) = accounts.create_key(&org.id, new).await.unwrap();

    let (status, thread) = call(&threads, event("post-threads.json", &key, &[])).await;
    assert_eq!(status, 201, "{thread}");
    assert_eq!(thread["metadata"]["crm_campaign_id"], "camp_117");
    let thread_id = thread["id"].as_str().unwrap();
    let (status, posted) = call(&threads, event("post-thread-message.json", &key, &[("THREAD_ID", thread_id)])).await;
    assert_eq!(status, 201, "{posted}");
    assert_eq!(posted["job"]["status"], "pending");
    assert_eq!(posted["job"]["livemode"], true);
    let plan_id = posted["plan"]["id"].as_str().unwrap();
    let (status, replanned) = call(&plans, event("post-plan-replan.json", &key, &[("PLAN_ID", plan_id)])).await;
    assert_eq!(status, 201, "{replanned}");
    assert_eq!(replanned["plan"]["replan_of"], plan_id);
    // A group serves only its own routes: the plans function knows nothing of threads.
    let (status, _) = call(&plans, event("post-threads.json", &key, &[])).await;
    assert_eq!(status, 404);

    // Deleting enqueues the cascade on the steps queue; the worker Lambda consumes it.
    let research = quarry_shared::research::Research::new(
        stack.table.clone(),
        stack.steps.clone(),
        Arc::new(SystemClock),
        Arc::new(quarry_planner::RulePlanner::new()),
    );
    let caller =
        quarry_shared::research::Caller { org_id: org.id.clone(), livemode: true, plans_per_day: None, key_id: None, member_id: None };
    research.delete_thread(&caller, thread_id, false).await.unwrap();
    let fixture = std::fs::read_to_string(format!("{}/events/sqs-steps.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut sqs: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&fixture).unwrap();
    let task = quarry_shared::tasks::Task::DeleteThread { org_id: org.id.clone(), thread_id: thread_id.to_string() };
    let mut poison = sqs.records[0].clone();
    poison.message_id = Some("poison-1".into());
    poison.body = Some("{\"task\":\"no_such_task\"}".into());
    sqs.records[0].body = Some(task.to_body());
    sqs.records.push(poison);

    let worker = quarry_functions::step_worker(&stack.resources).await.expect("worker settings");
    let response = quarry_functions::handle_sqs_batch(&worker, sqs).await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["poison-1"], "only the unreadable message is reported for redelivery");
    let left = stack.table.query(Query::partition(format!("ORG#{}", org.id))).await.unwrap();
    let mentions: Vec<_> = left
        .items
        .iter()
        .filter(|i| {
            // Events, and idempotency records (a request's answer, kept 24 h for its replay), are
            // the organization's, not the thread's.
            !i.key.sk.starts_with("EVT#")
                && !i.key.sk.starts_with("IDEM#")
                && (i.key.sk.contains(thread_id) || Value::Object(i.attrs.clone()).to_string().contains(thread_id))
        })
        .map(|i| i.key.sk.clone())
        .collect();
    assert!(mentions.is_empty(), "left behind: {mentions:?}");
}

//! The optional LLM planner wired into the API: a fake OpenAI-compatible chat-completions server
//! on loopback drafts the plan; when it answers nonsense, the rule planner drafts it instead, and
//! each plan records which planner really drafted it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::Json;
use quarry_planner::{Criteria, LlmConfig, LlmPlanner, RulePlanner};
use quarry_ports::clock::SystemClock;
use quarry_shared::accounts::Tier;
use quarry_tests::server::TestServer;
use serde_json::{json, Value};

/// A chat-completions endpoint that answers with a fixed plan, or with garbage once `broken`.
async fn fake_llm(broken: Arc<AtomicBool>) -> String {
    let plan = json!({
        "title": "Fintech founders in France (LLM)",
        "steps": [
            {"id": "stp_1", "title": "Discover fintechs", "intent": "discover", "task": "Find fintechs in France.", "expected_columns": ["company_name", "domain"]},
            {"id": "stp_2", "title": "Find founders", "intent": "find_people", "task": "Find each founder.", "expected_columns": ["founder_name"]}
        ],
        "credits_estimate": 100,
        "criteria": Criteria { industries: vec!["fintech".into()], countries: vec!["FR".into()], ..Criteria::default() }
    });
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |Json(_request): Json<Value>| {
            let broken = broken.load(Ordering::SeqCst);
            let plan = plan.clone();
            async move {
                let content = if broken { "this is not JSON".to_string() } else { plan.to_string() };
                Json(json!({"choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}]}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_llm_planner_drafts_plans_and_the_rules_catch_its_failures() {
    let broken = Arc::new(AtomicBool::new(false));
    let base_url = fake_llm(broken.clone()).await;
    let config = LlmConfig { base_url, api_key: Some("test-key".into()), model: "fake-model".into(), timeout: Duration::from_secs(5) };
    let planner = Arc::new(LlmPlanner::new(config, Arc::new(RulePlanner::new())));
    let s = TestServer::embedded_with_planner(Arc::new(SystemClock), planner).await;
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let http = reqwest::Client::new();
    let thread: Value = http.post(s.url("/v1/threads")).bearer_auth(&key).json(&json!({})).send().await.unwrap().json().await.unwrap();
    let path = s.url(&format!("/v1/threads/{}/messages", thread["id"].as_str().unwrap()));
    let prompt = json!({"content": "Founders of fintechs in France"});

    let posted: Value = http.post(&path).bearer_auth(&key).json(&prompt).send().await.unwrap().json().await.unwrap();
    assert_eq!(posted["plan"]["planner"], "llm", "{posted}");
    assert_eq!(posted["plan"]["title"], "Fintech founders in France (LLM)");
    assert_eq!(posted["plan"]["steps"].as_array().unwrap().len(), 2);
    let reading: Criteria = serde_json::from_value(posted["plan"]["criteria"].clone()).unwrap();
    assert_eq!(posted["plan"]["credits_estimate"], RulePlanner::estimate_credits(&reading), "estimates use the workload table");

    broken.store(true, Ordering::SeqCst);
    let posted: Value = http.post(&path).bearer_auth(&key).json(&prompt).send().await.unwrap().json().await.unwrap();
    assert_eq!(posted["plan"]["planner"], "rules", "the fallback drafted it: {posted}");
    assert_eq!(posted["plan"]["criteria"]["countries"], json!(["FR"]));
    assert_eq!(posted["job"]["status"], "pending");
}

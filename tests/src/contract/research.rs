//! The research-conversation contract: threads, messages, plans, replanning, deletion and the
//! event log, checked over real HTTP against a running server with its step worker. Run on the
//! embedded store (`tests/embedded/research_embedded.rs`) and on AWS via moto
//! (`tests/aws/research_aws.rs`).

use std::sync::Arc;
use std::time::Duration;

use quarry_planner::RulePlanner;
use quarry_ports::{Condition, Query, Update};
use quarry_shared::accounts::{KeyKind, Mode, Scope, Tier};
use quarry_shared::events::EventLog;
use quarry_shared::jobs::job_key;
use quarry_shared::research::{Caller, NewMessage, NewThread, Research, ResearchError};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::api::{assert_error, call, json_of, post};
use crate::server::TestServer;

/// The quickstart prompt of the reference document.
const FINTECH: &str = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.";
const INTENTS: [&str; 7] = ["discover", "enrich", "find_people", "verify", "scrape", "qualify", "export"];

async fn get(s: &TestServer, key: &str, path: &str) -> reqwest::Response {
    call(s, Method::GET, path, key).send().await.unwrap()
}

async fn new_thread(s: &TestServer, key: &str, body: Value) -> String {
    json_of(post(s, key, "/v1/threads", body).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string()
}

async fn send(s: &TestServer, key: &str, thread: &str, content: &str) -> Value {
    json_of(post(s, key, &format!("/v1/threads/{thread}/messages"), json!({"content": content})).await, StatusCode::CREATED).await
}

/// Moves a job to `status` directly in storage (approval and execution come later).
async fn force_job_status(s: &TestServer, org_id: &str, job_id: &str, status: &str) {
    let update = Update::new().set("status", status);
    s.storage.table.update(&job_key(org_id, job_id), update, Condition::Exists).await.unwrap();
}

/// Every item of the organization's partition that mentions `needle`.
async fn items_mentioning(s: &TestServer, org_id: &str, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        let page = s.storage.table.query(Query::partition(format!("ORG#{org_id}")).cursor(cursor)).await.unwrap();
        for item in &page.items {
            let is_event = item.key.sk.starts_with("EVT#");
            if !is_event && (item.key.sk.contains(needle) || Value::Object(item.attrs.clone()).to_string().contains(needle)) {
                found.push(item.key.sk.clone());
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return found,
        }
    }
}

/// Polls until `done` holds (the step worker runs in the background), up to 30 s.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

pub async fn quickstart_drafts_a_plan_and_a_pending_job(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let created = json_of(post(&s, &key, "/v1/threads", json!({"title": "Series A FinTech in EU"})).await, StatusCode::CREATED).await;
    assert_eq!(created["object"], "thread");
    assert!(created["id"].as_str().unwrap().starts_with("thr_"));
    assert_eq!(created["title"], "Series A FinTech in EU");
    assert_eq!(created["message_count"], 0);
    assert!(created["last_job_id"].is_null(), "optional fields are null, not missing");
    assert_eq!(created["metadata"], json!({}));
    let thread = created["id"].as_str().unwrap();

    let posted = send(&s, &key, thread, FINTECH).await;
    let (message, plan, job) = (&posted["message"], &posted["plan"], &posted["job"]);
    assert!(message["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(
        (message["role"].as_str(), message["kind"].as_str(), message["content"].as_str()),
        (Some("user"), Some("text"), Some(FINTECH))
    );
    assert_eq!(message["thread_id"], thread);
    assert!(plan["id"].as_str().unwrap().starts_with("pln_"));
    assert!(job["id"].as_str().unwrap().starts_with("job_"));
    assert_eq!(job["status"], "pending");
    assert_eq!(
        (&plan["job_id"], &job["plan_id"], &message["plan_id"], &message["job_id"]),
        (&job["id"], &plan["id"], &plan["id"], &job["id"])
    );
    assert_eq!(job["thread_id"], thread);
    assert_eq!(job["livemode"], false);
    assert_eq!(job["credits_used"], 0);
    assert!(job["artifact"].is_null() && job["error"].is_null() && job["started_at"].is_null());

    let steps = plan["steps"].as_array().unwrap();
    assert!((1..=12).contains(&steps.len()));
    for (i, step) in steps.iter().enumerate() {
        assert_eq!(step["id"], format!("stp_{}", i + 1));
        assert!(INTENTS.contains(&step["intent"].as_str().unwrap()), "{step}");
        assert!(!step["title"].as_str().unwrap().is_empty() && !step["task"].as_str().unwrap().is_empty());
        assert!(step["expected_columns"].is_array());
    }
    assert!(plan["credits_estimate"].as_u64().unwrap() > 0);
    assert_eq!(plan["criteria"]["countries"], json!(["FR"]));
    assert_eq!(plan["criteria"]["industries"], json!(["fintech"]));
    assert_eq!(plan["criteria"]["funding_stages"], json!(["series_a"]));
    assert_eq!(plan["planner"], "rules");

    let fetched = json_of(get(&s, &key, &format!("/v1/plans/{}", plan["id"].as_str().unwrap())).await, StatusCode::OK).await;
    assert_eq!(&fetched, plan);

    let thread_now = json_of(get(&s, &key, &format!("/v1/threads/{thread}")).await, StatusCode::OK).await;
    assert_eq!(thread_now["message_count"], 2, "the user's message and the assistant's plan reply");
    assert_eq!(thread_now["last_job_id"], job["id"]);
    assert_eq!(thread_now["last_job_status"], "pending");
    assert_eq!(thread_now["title"], "Series A FinTech in EU", "a given title is kept");

    let messages = json_of(get(&s, &key, &format!("/v1/threads/{thread}/messages")).await, StatusCode::OK).await;
    let data = messages["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(&data[0], message);
    assert_eq!((data[1]["role"].as_str(), data[1]["kind"].as_str()), (Some("assistant"), Some("plan")));
    assert_eq!(data[1]["plan_id"], plan["id"]);
    let _ = org;
}

pub async fn the_title_is_drafted_from_the_first_message(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let thread = new_thread(&s, &key, json!({})).await;
    let before = json_of(get(&s, &key, &format!("/v1/threads/{thread}")).await, StatusCode::OK).await;
    assert!(before["title"].is_null());
    let first = send(&s, &key, &thread, "Heads of Data at US healthcare companies, 500–5000 employees, using Snowflake").await;
    let after = json_of(get(&s, &key, &format!("/v1/threads/{thread}")).await, StatusCode::OK).await;
    let title = after["title"].as_str().expect("a title was drafted").to_string();
    assert!(!title.is_empty() && title.chars().count() <= 200);
    assert_eq!(title, first["plan"]["title"].as_str().unwrap().chars().take(200).collect::<String>().trim());
    send(&s, &key, &thread, "now only Canada and the UK").await;
    let later = json_of(get(&s, &key, &format!("/v1/threads/{thread}")).await, StatusCode::OK).await;
    assert_eq!(later["title"], title.as_str(), "only the first message drafts the title");
    assert_eq!(later["message_count"], 4);
    assert!(later["updated_at"].as_str().unwrap() >= after["updated_at"].as_str().unwrap());
}

pub async fn bad_input_names_the_parameter(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let many: serde_json::Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let long_key = "k".repeat(41);
    for (body, param) in [
        (json!({"title": "t".repeat(201)}), "title"),
        (json!({"metadata": many}), "metadata"),
        (json!({"metadata": {long_key.clone(): "v"}}), format!("metadata[{long_key}]").as_str()),
        (json!({"metadata": {"k": "v".repeat(501)}}), "metadata[k]"),
        (json!({"metadata": {"k": 7}}), "metadata[k]"),
        (json!({"metadata": ["not", "an", "object"]}), "metadata"),
    ] {
        assert_error(post(&s, &key, "/v1/threads", body).await, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    let r = post(&s, &key, "/v1/threads", json!({"title": "   "})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("title")).await;
    let ok: serde_json::Map<String, Value> = (0..50).map(|i| (format!("k{i}"), json!("v".repeat(500)))).collect();
    let thread = new_thread(&s, &key, json!({"title": "t".repeat(200), "metadata": ok})).await;

    let path = format!("/v1/threads/{thread}/messages");
    let six: Vec<Value> = (0..6).map(|i| json!({"kind": "csv", "url": format!("https://example.com/{i}.csv")})).collect();
    for (body, param) in [
        (json!({}), "content"),
        (json!({"content": "x".repeat(8001)}), "content"),
        (json!({"content": FINTECH, "attachments": six}), "attachments"),
        (json!({"content": FINTECH, "attachments": [{"kind": "pdf", "url": "https://example.com/a.pdf"}]}), "attachments[0].kind"),
        (json!({"content": FINTECH, "attachments": [{"kind": "csv", "url": "ftp://example.com/a.csv"}]}), "attachments[0].url"),
        (json!({"content": FINTECH, "attachments": [{"kind": "csv"}]}), "attachments[0].url"),
        (json!({"content": FINTECH, "hints": {"max_rows": 0}}), "hints.max_rows"),
        (json!({"content": FINTECH, "hints": {"max_rows": 10001}}), "hints.max_rows"),
        (json!({"content": FINTECH, "auto_approve": "yes"}), "auto_approve"),
    ] {
        assert_error(post(&s, &key, &path, body).await, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    // A prompt that is there but blank is well-formed and says nothing: 422, as the status table says.
    for blank in ["", "   ", "\n\t "] {
        let r = post(&s, &key, &path, json!({"content": blank})).await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("content")).await;
    }
    let r = post(&s, &key, "/v1/threads/thr_01HXA4Z2M8V5WC9T7R1K0000AA/messages", json!({"content": FINTECH})).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("thread_id")).await;
    assert_error(get(&s, &key, "/v1/threads/nonsense").await, StatusCode::NOT_FOUND, "not_found", Some("thread_id")).await;
    assert_error(get(&s, &key, "/v1/plans/pln_nope").await, StatusCode::NOT_FOUND, "not_found", Some("plan_id")).await;
    let r = call(&s, Method::DELETE, &format!("/v1/threads/{thread}?force=maybe"), &key).send().await.unwrap();
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("force")).await;
    let r = get(&s, &key, "/v1/threads?has_job_status=exploded").await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("has_job_status")).await;

    // Nothing was stored by the rejected requests.
    let after = json_of(get(&s, &key, &format!("/v1/threads/{thread}")).await, StatusCode::OK).await;
    assert_eq!(after["message_count"], 0);
    let posted = json_of(
        post(
            &s,
            &key,
            &path,
            json!({"content": FINTECH, "auto_approve": true, "hints": {"max_rows": 50, "preferred_sources": ["linkedin"]},
            "attachments": [{"kind": "url_list", "url": "https://example.com/urls.txt"}]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(posted["message"]["auto_approve"], true);
    assert_eq!(posted["job"]["auto_approve"], true);
    assert_eq!(posted["job"]["status"], "running", "auto_approve starts the job");
    assert_eq!(posted["message"]["hints"]["max_rows"], 50);
    assert_eq!(posted["message"]["attachments"][0]["kind"], "url_list");
    assert_eq!(posted["plan"]["criteria"]["max_rows"], 50);
}

pub async fn vague_prompts_are_rejected_and_recorded(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let thread = new_thread(&s, &key, json!({})).await;
    let r = post(&s, &key, &format!("/v1/threads/{thread}/messages"), json!({"content": "hello"})).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "plan_rejected", None).await;
    assert!(body["error"]["message"].as_str().unwrap().len() > 20, "the message says what is missing: {body}");
    let after = json_of(get(&s, &key, &format!("/v1/threads/{thread}")).await, StatusCode::OK).await;
    assert_eq!(after["message_count"], 0, "a declined prompt leaves the thread as it was");
    assert!(after["last_job_id"].is_null());
    let events = EventLog::new(s.storage.table.as_ref()).all(&org.id).await.unwrap();
    let rejected: Vec<_> = events.iter().filter(|e| e.kind.as_str() == "plan.rejected").collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].data.object["thread_id"], thread.as_str());
    assert_eq!(rejected[0].data.object["content"], "hello");
    assert_eq!(rejected[0].data.object["reason"], body["error"]["message"]);
}

pub async fn later_messages_refine_the_request(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let thread = new_thread(&s, &key, json!({})).await;
    let first = send(&s, &key, &thread, FINTECH).await;
    let second = send(&s, &key, &thread, "now only Germany").await;
    let (a, b) = (&first["plan"]["criteria"], &second["plan"]["criteria"]);
    assert_eq!(b["countries"], json!(["DE"]));
    assert_eq!(b["industries"], a["industries"], "the rest of the request carries over");
    assert_eq!(b["roles"], a["roles"]);
    assert_ne!(first["job"]["id"], second["job"]["id"]);
    let thread_now = json_of(get(&s, &key, &format!("/v1/threads/{thread}")).await, StatusCode::OK).await;
    assert_eq!(thread_now["last_job_id"], second["job"]["id"]);
}

pub async fn replanning_applies_feedback(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let thread = new_thread(&s, &key, json!({})).await;
    let first = send(&s, &key, &thread, "Heads of Data at US healthcare companies, 500–5000 employees, using Snowflake. 500 rows.").await;
    let plan_id = first["plan"]["id"].as_str().unwrap();
    assert!(first["plan"]["credits_estimate"].as_u64().unwrap() >= 100, "{}", first["plan"]);

    let path = format!("/v1/plans/{plan_id}/replan");
    let trimmed = json_of(
        post(&s, &key, &path, json!({"feedback": "Trim to under 100 credits. Drop the most expensive step."})).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(trimmed["plan"]["credits_estimate"].as_u64().unwrap() < 100, "{}", trimmed["plan"]);
    assert_eq!(trimmed["plan"]["replan_of"], plan_id);
    assert_eq!(trimmed["plan"]["thread_id"], thread.as_str());
    assert_eq!(trimmed["job"]["status"], "pending");
    assert_ne!(trimmed["job"]["id"], first["job"]["id"]);
    assert_eq!((trimmed["message"]["role"].as_str(), trimmed["message"]["kind"].as_str()), (Some("user"), Some("feedback")));
    assert_eq!(trimmed["plan"]["criteria"]["industries"], first["plan"]["criteria"]["industries"]);

    let narrowed = json_of(
        post(&s, &key, &path, json!({"feedback": "Only VP Eng with Python experience. Skip Crunchbase."})).await,
        StatusCode::CREATED,
    )
    .await;
    let roles = narrowed["plan"]["criteria"]["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert_eq!(roles[0]["seniority"], "vp");
    assert_eq!(roles[0]["department"], "engineering");
    assert!(
        narrowed["plan"]["criteria"].to_string().to_lowercase().contains("crunchbase"),
        "Crunchbase is excluded: {}",
        narrowed["plan"]["criteria"]
    );
    assert_ne!(narrowed["plan"]["criteria"]["roles"], first["plan"]["criteria"]["roles"]);

    let thread_now = json_of(get(&s, &key, &format!("/v1/threads/{thread}")).await, StatusCode::OK).await;
    assert_eq!(thread_now["message_count"], 6);
    assert_eq!(thread_now["last_job_id"], narrowed["job"]["id"]);

    for (body, param) in
        [(json!({}), "feedback"), (json!({"feedback": ""}), "feedback"), (json!({"feedback": "x".repeat(8001)}), "feedback")]
    {
        assert_error(post(&s, &key, &path, body).await, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    let r = post(&s, &key, "/v1/plans/pln_01HXA4Z2M8V5WC9T7R1K0000AA/replan", json!({"feedback": "fewer rows"})).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("plan_id")).await;

    force_job_status(&s, &org.id, first["job"]["id"].as_str().unwrap(), "running").await;
    let r = post(&s, &key, &path, json!({"feedback": "fewer rows"})).await;
    let body = assert_error(r, StatusCode::CONFLICT, "conflict", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("running"));
}

pub async fn threads_list_search_and_filter(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let mut ids = Vec::new();
    for title in ["Fintech France", "Healthcare US", "fintech Germany", "Dev tools"] {
        ids.push(new_thread(&s, &key, json!({"title": title})).await);
    }
    let with_job = send(&s, &key, &ids[3], FINTECH).await;
    let titles = |v: &Value| v["data"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_string()).collect::<Vec<_>>();

    let all = json_of(get(&s, &key, "/v1/threads").await, StatusCode::OK).await;
    assert_eq!(titles(&all), ["Dev tools", "fintech Germany", "Healthcare US", "Fintech France"], "newest first");
    let asc = json_of(get(&s, &key, "/v1/threads?order=asc&limit=3").await, StatusCode::OK).await;
    assert_eq!(titles(&asc), ["Fintech France", "Healthcare US", "fintech Germany"]);
    assert_eq!(asc["has_more"], true);
    let rest = json_of(
        get(&s, &key, &format!("/v1/threads?order=asc&limit=3&cursor={}", asc["next_cursor"].as_str().unwrap())).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(titles(&rest), ["Dev tools"]);
    assert_eq!(rest["has_more"], false);

    let found = json_of(get(&s, &key, "/v1/threads?q=FINTECH").await, StatusCode::OK).await;
    assert_eq!(titles(&found), ["fintech Germany", "Fintech France"]);
    let paged = json_of(get(&s, &key, "/v1/threads?q=fintech&limit=1").await, StatusCode::OK).await;
    assert_eq!(titles(&paged), ["fintech Germany"]);
    assert_eq!(paged["has_more"], true);
    let next = json_of(
        get(&s, &key, &format!("/v1/threads?q=fintech&limit=1&cursor={}", paged["next_cursor"].as_str().unwrap())).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(titles(&next), ["Fintech France"]);

    let pending = json_of(get(&s, &key, "/v1/threads?has_job_status=pending").await, StatusCode::OK).await;
    assert_eq!(titles(&pending), ["Dev tools"]);
    force_job_status(&s, &org.id, with_job["job"]["id"].as_str().unwrap(), "running").await;
    let none = json_of(get(&s, &key, "/v1/threads?has_job_status=succeeded,failed").await, StatusCode::OK).await;
    assert_eq!(none["data"], json!([]));
    assert_eq!(none["has_more"], false);

    // Another organization sees none of it.
    let (_, other) = s.org_with_key(Tier::Scale).await;
    let theirs = json_of(get(&s, &other, "/v1/threads").await, StatusCode::OK).await;
    assert_eq!(theirs["data"], json!([]));
    for (method, path) in [
        (Method::GET, format!("/v1/threads/{}", ids[3])),
        (Method::GET, format!("/v1/threads/{}/messages", ids[3])),
        (Method::GET, format!("/v1/plans/{}", with_job["plan"]["id"].as_str().unwrap())),
        (Method::DELETE, format!("/v1/threads/{}", ids[3])),
    ] {
        let r = call(&s, method, &path, &other).send().await.unwrap();
        assert_error(r, StatusCode::NOT_FOUND, "not_found", None).await;
    }
    let r = post(&s, &other, &format!("/v1/plans/{}/replan", with_job["plan"]["id"].as_str().unwrap()), json!({"feedback": "fewer"})).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("plan_id")).await;
}

pub async fn threads_are_updated_in_place(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let thread = new_thread(&s, &key, json!({"title": "Old", "metadata": {"crm": "camp_1", "owner": "ana"}})).await;
    let path = format!("/v1/threads/{thread}");
    let r = call(&s, Method::PATCH, &path, &key)
        .json(&json!({"title": "New", "metadata": {"crm": "camp_2", "owner": null, "team": "emea"}}))
        .send()
        .await
        .unwrap();
    let updated = json_of(r, StatusCode::OK).await;
    assert_eq!(updated["title"], "New");
    assert_eq!(updated["metadata"], json!({"crm": "camp_2", "team": "emea"}));
    assert_eq!(json_of(get(&s, &key, &path).await, StatusCode::OK).await, updated);
    let r = call(&s, Method::PATCH, &path, &key).json(&json!({"title": ""})).send().await.unwrap();
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("title")).await;
    let crowd: serde_json::Map<String, Value> = (0..49).map(|i| (format!("x{i}"), json!("v"))).collect();
    let r = call(&s, Method::PATCH, &path, &key).json(&json!({"metadata": crowd})).send().await.unwrap();
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("metadata")).await;

    // Keys without `run` read but do not write; publishable keys see no research data.
    let org = s.org(Tier::Scale).await;
    let reader = s.key(&org, KeyKind::Secret, Mode::Test, &[Scope::Read]).await;
    assert_error(post(&s, &reader, "/v1/threads", json!({})).await, StatusCode::FORBIDDEN, "permission_error", None).await;
    assert_eq!(get(&s, &reader, "/v1/threads").await.status(), StatusCode::OK);
    let public = s.key(&org, KeyKind::Publishable, Mode::Live, &[Scope::Read]).await;
    assert_error(get(&s, &public, "/v1/threads").await, StatusCode::FORBIDDEN, "permission_error", None).await;
}

pub async fn deleting_a_thread_cascades_in_the_background(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let thread = new_thread(&s, &key, json!({"title": "Doomed"})).await;
    let first = send(&s, &key, &thread, FINTECH).await;
    send(&s, &key, &thread, "add the CTO").await;
    let keep = new_thread(&s, &key, json!({"title": "Keeper"})).await;
    send(&s, &key, &keep, FINTECH).await;
    assert!(items_mentioning(&s, &org.id, &thread).await.len() >= 9);

    let r = call(&s, Method::DELETE, &format!("/v1/threads/{thread}"), &key).send().await.unwrap();
    let deleted = json_of(r, StatusCode::OK).await;
    assert_eq!(deleted, json!({"id": thread, "object": "thread", "deleted": true, "stopped_job_ids": []}));
    // Gone from the API at once…
    assert_error(get(&s, &key, &format!("/v1/threads/{thread}")).await, StatusCode::NOT_FOUND, "not_found", Some("thread_id")).await;
    assert_error(get(&s, &key, &format!("/v1/threads/{thread}/messages")).await, StatusCode::NOT_FOUND, "not_found", None).await;
    let plan = first["plan"]["id"].as_str().unwrap();
    assert_error(get(&s, &key, &format!("/v1/plans/{plan}")).await, StatusCode::NOT_FOUND, "not_found", None).await;
    let r = post(&s, &key, &format!("/v1/threads/{thread}/messages"), json!({"content": FINTECH})).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", None).await;
    let listed = json_of(get(&s, &key, "/v1/threads").await, StatusCode::OK).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    // …and from storage once the worker has run: messages, plans, jobs and pointers alike.
    eventually("the cascade to delete every record of the thread", || async { items_mentioning(&s, &org.id, &thread).await.is_empty() })
        .await;
    assert!(items_mentioning(&s, &org.id, &keep).await.len() >= 6, "other threads are untouched");
    let events = EventLog::new(s.storage.table.as_ref()).all(&org.id).await.unwrap();
    let gone: Vec<_> = events.iter().filter(|e| e.kind.as_str() == "thread.deleted").collect();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].data.object["id"], thread.as_str());
    let r = call(&s, Method::DELETE, &format!("/v1/threads/{thread}"), &key).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("thread_id")).await;
}

pub async fn running_jobs_block_deletion_unless_forced(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let clock = s.manual_clock.clone().expect("a manual clock");
    let thread = new_thread(&s, &key, json!({})).await;
    let posted = send(&s, &key, &thread, FINTECH).await;
    let job = posted["job"]["id"].as_str().unwrap();
    force_job_status(&s, &org.id, job, "running").await;

    let r = call(&s, Method::DELETE, &format!("/v1/threads/{thread}"), &key).send().await.unwrap();
    let body = assert_error(r, StatusCode::CONFLICT, "conflict", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains(job) && body["error"]["message"].as_str().unwrap().contains("force=true"));
    assert_eq!(get(&s, &key, &format!("/v1/threads/{thread}")).await.status(), StatusCode::OK);

    let r = call(&s, Method::DELETE, &format!("/v1/threads/{thread}?force=true"), &key).send().await.unwrap();
    let deleted = json_of(r, StatusCode::OK).await;
    assert_eq!(deleted["stopped_job_ids"], json!([job]));
    let stored = quarry_shared::jobs::get(s.storage.table.as_ref(), &org.id, job).await.unwrap().unwrap();
    assert!(stored.stop_requested_at.is_some(), "the running job was asked to stop");
    // The job's runner never answers here, so the cascade stops it itself after the grace period.
    clock.advance(quarry_shared::research::cascade::STOP_GRACE + Duration::from_secs(1));
    eventually("the cascade to stop the job and delete the thread", || async {
        clock.advance(quarry_shared::research::cascade::STOP_POLL);
        items_mentioning(&s, &org.id, &thread).await.is_empty()
    })
    .await;
}

pub async fn events_record_what_happened(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let thread = new_thread(&s, &key, json!({"title": "Events"})).await;
    let posted = send(&s, &key, &thread, FINTECH).await;
    let events = EventLog::new(s.storage.table.as_ref()).all(&org.id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["thread.created", "message.created", "plan.created", "message.created"]);
    for e in &events {
        assert!(e.id.starts_with("evt_"));
        assert!(!e.livemode, "test keys make test-mode events");
    }
    assert_eq!(events[0].data.object["id"], thread.as_str());
    assert_eq!(events[1].data.object, posted["message"]);
    assert_eq!(events[2].data.object, posted["plan"]);
    assert_eq!(events[3].data.object["role"], "assistant");
    let payload = serde_json::to_value(&events[2]).unwrap();
    assert_eq!(payload["type"], "plan.created");
    assert!(payload["created_at"].as_str().unwrap().ends_with('Z'));
}

pub async fn the_daily_plan_quota_holds(s: TestServer) {
    let org = s.org(Tier::Starter).await;
    let clock = s.manual_clock.clone().expect("a manual clock");
    let research = Research::new(s.storage.table.clone(), s.storage.steps.clone(), s.clock.clone(), Arc::new(RulePlanner::new()));
    let caller = Caller { org_id: org.id.clone(), livemode: false, plans_per_day: Some(2), key_id: None, member_id: None };
    let thread = research.create_thread(&caller, NewThread::default()).await.unwrap();
    let message = || NewMessage { content: FINTECH.into(), ..NewMessage::default() };
    research.post_message(&caller, &thread.id, message()).await.unwrap();
    research.post_message(&caller, &thread.id, message()).await.unwrap();
    match research.post_message(&caller, &thread.id, message()).await {
        Err(ResearchError::PlanQuota { limit: 2, retry_after_secs }) => assert!((1..=86_400).contains(&retry_after_secs)),
        other => panic!("expected the daily quota to hold, got {other:?}"),
    }
    clock.advance(Duration::from_secs(86_400));
    research.post_message(&caller, &thread.id, message()).await.expect("a new day, a new quota");
}

/// The cascade also removes what a thread's children own: blobs named in `blob_keys` and whole
/// partitions named by `owned_partition` (an artifact's files, a job's leads), in bounded runs
/// that re-enqueue themselves, so a thread with thousands of records is deleted without timeouts.
pub async fn the_cascade_removes_owned_blobs_and_partitions(s: TestServer) {
    use quarry_ports::{BlobKey, Item, Key, WriteOp};
    use quarry_shared::ownership::BLOB_KEYS;
    use quarry_shared::research::cascade::{DELETES_PER_RUN, OWNED_PARTITION};
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let thread = new_thread(&s, &key, json!({})).await;
    send(&s, &key, &thread, FINTECH).await;

    let blob = BlobKey::parse(&format!("artifacts/{thread}/leads.csv")).unwrap();
    s.storage.blobs.put(&blob, "a,b\n1,2\n".into(), "text/csv").await.unwrap();
    let leads = format!("LEADS#{}#{thread}", org.id);
    let lead_count = DELETES_PER_RUN * 2 + 37;
    for i in 0..lead_count {
        let item = Item::new(Key::new(leads.clone(), format!("LEAD#{i:05}"))).with("n", i as i64);
        s.storage.table.put(item, Condition::None).await.unwrap();
    }
    let child_sk = "ART#art_01HXA6Z2M8V5WC9T7R1K0000AA";
    let child = Item::new(Key::new(format!("ORG#{}", org.id), child_sk))
        .with(BLOB_KEYS, json!([blob.as_str()]))
        .with(OWNED_PARTITION, leads.as_str());
    let pointer = quarry_shared::ownership::pointer_op(&org.id, &thread, child_sk);
    s.storage.table.transact(vec![WriteOp::Put { item: child, condition: Condition::Absent }, pointer]).await.unwrap();

    let r = call(&s, Method::DELETE, &format!("/v1/threads/{thread}"), &key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    eventually("the cascade to delete the thread and everything it owns", || async {
        items_mentioning(&s, &org.id, &thread).await.is_empty()
    })
    .await;
    let left = s.storage.table.query(Query::partition(leads.clone()).limit(1)).await.unwrap();
    assert!(left.items.is_empty(), "the owned partition is gone");
    assert!(s.storage.table.get(&Key::new(format!("ORG#{}", org.id), child_sk)).await.unwrap().is_none());
    assert!(s.storage.blobs.get(&blob).await.unwrap().is_none(), "the owned blob is gone");
}

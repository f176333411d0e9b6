//! Tests against a fake chat-completions server on loopback; nothing here reaches the internet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header::AUTHORIZATION, HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use super::super::{
    Attachment, AttachmentKind, Criteria, Hints, Intent, PlanDraft, PlanInput, PlanRejection, PlanStep, Planner, RulePlanner, Turn,
    TurnKind,
};
use super::answer::{self, Answer, MAX_CREDITS_ESTIMATE, MAX_TITLE_CHARS};
use super::prompt::{FEEDBACK_PREFIX, MAX_HISTORY_TURNS};
use super::{LlmConfig, LlmPlanner};

const ENV_BASE_URL: &str = LlmConfig::ENV_BASE_URL;
const ENV_API_KEY: &str = LlmConfig::ENV_API_KEY;
const ENV_MODEL: &str = LlmConfig::ENV_MODEL;
const ENV_TIMEOUT_SECS: &str = LlmConfig::ENV_TIMEOUT_SECS;

/// Short enough to keep the timeout test fast, long enough for a loopback round trip.
const TEST_TIMEOUT: Duration = Duration::from_millis(500);
const TEST_MODEL: &str = "test-model";
const TEST_KEY: &str = "sk-test-secret";

// ---------------------------------------------------------------------------------------------
// Fixtures

/// What the fake server answers.
#[derive(Clone)]
struct Reply {
    status: StatusCode,
    body: String,
    delay: Duration,
}

impl Reply {
    /// A 200 chat completion whose message content is `content`.
    fn content(content: &str) -> Self {
        Reply::completion(json!({ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }))
    }

    fn completion(choice: Value) -> Self {
        let body = json!({ "id": "chatcmpl-1", "object": "chat.completion", "choices": [choice] }).to_string();
        Reply { status: StatusCode::OK, body, delay: Duration::ZERO }
    }
}

/// One request as the fake server saw it.
#[derive(Clone, Debug)]
struct Received {
    authorization: Option<String>,
    body: Value,
}

type Log = Arc<Mutex<Vec<Received>>>;

struct FakeServer {
    base_url: String,
    received: Log,
}

impl FakeServer {
    async fn start(reply: Reply) -> Self {
        let received = Log::default();
        let app = Router::new().route("/v1/chat/completions", post(answer_completion)).with_state((reply, received.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeServer { base_url: format!("http://{address}/v1"), received }
    }

    fn requests(&self) -> Vec<Received> {
        self.received.lock().expect("log lock").clone()
    }
}

async fn answer_completion(State((reply, received)): State<(Reply, Log)>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let authorization = headers.get(AUTHORIZATION).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    received.lock().expect("log lock").push(Received { authorization, body });
    tokio::time::sleep(reply.delay).await;
    (reply.status, reply.body)
}

/// A fallback whose answer is easy to recognise.
struct FakeFallback;

const FALLBACK_TITLE: &str = "fallback plan";

#[async_trait::async_trait]
impl Planner for FakeFallback {
    async fn plan(&self, _input: &PlanInput) -> Result<PlanDraft, PlanRejection> {
        Ok(PlanDraft {
            title: FALLBACK_TITLE.into(),
            steps: vec![step(1, Intent::Discover, &["company_name"])],
            credits_estimate: 1,
            criteria: Criteria::default(),
            drafted_by: "fake",
        })
    }

    fn name(&self) -> &'static str {
        "fake"
    }
}

fn config(base_url: &str, api_key: Option<&str>) -> LlmConfig {
    LlmConfig { base_url: base_url.to_owned(), api_key: api_key.map(str::to_owned), model: TEST_MODEL.into(), timeout: TEST_TIMEOUT }
}

fn planner_for(server: &FakeServer) -> LlmPlanner {
    LlmPlanner::new(config(&server.base_url, Some(TEST_KEY)), Arc::new(FakeFallback))
}

fn step(number: usize, intent: Intent, columns: &[&str]) -> PlanStep {
    PlanStep {
        id: format!("stp_{number}"),
        title: format!("Step {number}"),
        intent,
        task: format!("Do step {number}."),
        expected_columns: columns.iter().map(|column| column.to_string()).collect(),
    }
}

fn valid_plan() -> PlanDraft {
    PlanDraft {
        title: "Series A fintech in France — VP Engineering".into(),
        steps: vec![
            step(1, Intent::Discover, &["company_name", "domain"]),
            step(2, Intent::FindPeople, &["person_name", "person_title"]),
            step(3, Intent::Verify, &["email_status"]),
        ],
        // What the workload table says for these criteria: the planner recomputes estimates.
        credits_estimate: RulePlanner::estimate_credits(&Criteria::default()),
        criteria: Criteria::default(),
        drafted_by: "llm",
    }
}

/// The valid plan as JSON, with `edit` applied; criteria is the default `Criteria` serialized, so
/// the fixtures hold whatever fields that type has.
fn plan_json(edit: impl FnOnce(&mut Value)) -> String {
    let mut plan = serde_json::to_value(valid_plan()).expect("plan serializes");
    edit(&mut plan);
    plan.to_string()
}

fn message(content: &str) -> Turn {
    Turn { kind: TurnKind::Message, content: content.into(), ..Turn::default() }
}

fn one_message_thread() -> PlanInput {
    PlanInput { turns: vec![message("Series A fintechs in France, VP Engineering")] }
}

async fn plan_with_reply(reply: Reply) -> Result<PlanDraft, PlanRejection> {
    let server = FakeServer::start(reply).await;
    planner_for(&server).plan(&one_message_thread()).await
}

fn is_fallback(answer: &Result<PlanDraft, PlanRejection>) -> bool {
    matches!(answer, Ok(draft) if draft.title == FALLBACK_TITLE)
}

// ---------------------------------------------------------------------------------------------
// The exchange

#[tokio::test]
async fn a_valid_plan_is_returned_as_is() {
    let server = FakeServer::start(Reply::content(&plan_json(|_| {}))).await;
    let input = PlanInput {
        turns: vec![
            Turn {
                kind: TurnKind::Message,
                content: "Series A fintechs in France".into(),
                attachments: vec![Attachment { kind: AttachmentKind::Csv, url: "https://example.com/seed.csv".into() }],
                hints: Hints { max_rows: Some(200), preferred_sources: vec!["crunchbase".into()] },
            },
            Turn { kind: TurnKind::Feedback, content: "Only VP Engineering".into(), ..Turn::default() },
        ],
    };

    let answer = planner_for(&server).plan(&input).await;

    assert_eq!(answer, Ok(valid_plan()));
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "exactly one attempt");
    assert_eq!(requests[0].authorization.as_deref(), Some(format!("Bearer {TEST_KEY}").as_str()));
    let body = &requests[0].body;
    assert_eq!(body["model"], TEST_MODEL);
    assert_eq!(body["temperature"], 0);
    assert_eq!(body["response_format"], json!({ "type": "json_object" }));
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3, "system prompt and two turns");
    assert_eq!(messages[0]["role"], "system");
    assert!(messages[0]["content"].as_str().unwrap().contains("\"stp_1\""));
    let first = messages[1]["content"].as_str().unwrap();
    assert_eq!(messages[1]["role"], "user");
    assert!(first.starts_with("Series A fintechs in France"));
    assert!(first.contains("[attachment csv: https://example.com/seed.csv]"));
    assert!(first.contains("[hint max_rows: 200]"));
    assert!(first.contains("[hint preferred_sources: crunchbase]"));
    assert_eq!(messages[2]["content"], format!("{FEEDBACK_PREFIX} Only VP Engineering"));
}

#[tokio::test]
async fn a_plan_in_a_markdown_fence_is_accepted() {
    let fenced = format!("```json\n{}\n```", plan_json(|_| {}));
    assert_eq!(plan_with_reply(Reply::content(&fenced)).await, Ok(valid_plan()));
}

#[tokio::test]
async fn ids_titles_and_columns_are_tidied() {
    let long_title = format!("  Fintech\n  leads {}", "x".repeat(300));
    let content = plan_json(|plan| {
        plan["title"] = json!(long_title);
        plan["steps"][0]["id"] = json!("discover");
        plan["steps"][1]["id"] = json!("stp_7");
        plan["steps"][0]["expected_columns"] = json!(["Company Name", "company-name", " domain "]);
    });

    let draft = plan_with_reply(Reply::content(&content)).await.expect("a plan");

    assert_eq!(draft.steps.iter().map(|step| step.id.as_str()).collect::<Vec<_>>(), ["stp_1", "stp_2", "stp_3"]);
    assert!(draft.title.starts_with("Fintech leads xxx"));
    assert_eq!(draft.title.chars().count(), MAX_TITLE_CHARS);
    assert_eq!(draft.steps[0].expected_columns, ["company_name", "domain"]);
}

#[tokio::test]
async fn a_rejection_answer_is_a_rejection() {
    let content = json!({ "rejected": "  Say which companies or roles you are looking for. " }).to_string();
    let answer = plan_with_reply(Reply::content(&content)).await;
    assert_eq!(answer, Err(PlanRejection::new("Say which companies or roles you are looking for.")));
}

#[tokio::test]
async fn no_api_key_sends_no_authorization_header() {
    let server = FakeServer::start(Reply::content(&plan_json(|_| {}))).await;
    let planner = LlmPlanner::new(config(&server.base_url, None), Arc::new(FakeFallback));
    assert_eq!(planner.plan(&one_message_thread()).await, Ok(valid_plan()));
    assert_eq!(server.requests()[0].authorization, None);
}

#[tokio::test]
async fn only_the_latest_turns_are_sent() {
    let server = FakeServer::start(Reply::content(&plan_json(|_| {}))).await;
    let turns = (0..MAX_HISTORY_TURNS + 5).map(|index| message(&format!("turn {index}"))).collect();
    planner_for(&server).plan(&PlanInput { turns }).await.expect("a plan");
    let body = &server.requests()[0].body;
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1 + MAX_HISTORY_TURNS);
    assert_eq!(messages[1]["content"], "turn 5");
}

// ---------------------------------------------------------------------------------------------
// Every failure answers with the fallback

#[tokio::test]
async fn invalid_answers_fall_back() {
    let thirteen_steps: Vec<Value> = (1..=13).map(|number| serde_json::to_value(step(number, Intent::Enrich, &["x"])).unwrap()).collect();
    let cases: Vec<(&str, String)> = vec![
        ("not JSON", "Sure! Here is your plan: …".into()),
        ("a JSON array", "[]".into()),
        ("13 steps", plan_json(|plan| plan["steps"] = json!(thirteen_steps))),
        ("no steps", plan_json(|plan| plan["steps"] = json!([]))),
        ("an unknown intent", plan_json(|plan| plan["steps"][0]["intent"] = json!("research"))),
        (
            "a missing title",
            plan_json(|plan| {
                plan.as_object_mut().unwrap().remove("title");
            }),
        ),
        ("a blank title", plan_json(|plan| plan["title"] = json!("   "))),
        ("a blank task", plan_json(|plan| plan["steps"][1]["task"] = json!(" \n "))),
        ("a column that is no name", plan_json(|plan| plan["steps"][0]["expected_columns"] = json!(["1st email!"]))),
        ("an empty column", plan_json(|plan| plan["steps"][0]["expected_columns"] = json!([""]))),
        ("zero credits", plan_json(|plan| plan["credits_estimate"] = json!(0))),
        ("too many credits", plan_json(|plan| plan["credits_estimate"] = json!(MAX_CREDITS_ESTIMATE + 1))),
        ("fractional credits", plan_json(|plan| plan["credits_estimate"] = json!(12.5))),
        ("negative credits", plan_json(|plan| plan["credits_estimate"] = json!(-3))),
        (
            "a missing criteria",
            plan_json(|plan| {
                plan.as_object_mut().unwrap().remove("criteria");
            }),
        ),
        ("an empty rejection", json!({ "rejected": " " }).to_string()),
        ("a non-string rejection", json!({ "rejected": true }).to_string()),
    ];
    for (case, content) in cases {
        assert!(is_fallback(&plan_with_reply(Reply::content(&content)).await), "{case} should fall back");
    }
}

#[tokio::test]
async fn malformed_completions_fall_back() {
    let cases = vec![
        ("a body that is not JSON", Reply { body: "<html>oops</html>".into(), ..Reply::content("") }),
        ("no choices", Reply { body: json!({ "choices": [] }).to_string(), ..Reply::content("") }),
        ("null content", Reply::completion(json!({ "message": { "role": "assistant", "content": null } }))),
        ("an answer cut off", Reply::completion(json!({ "message": { "content": plan_json(|_| {}) }, "finish_reason": "length" }))),
    ];
    for (case, reply) in cases {
        assert!(is_fallback(&plan_with_reply(reply).await), "{case} should fall back");
    }
}

#[tokio::test]
async fn a_server_error_falls_back() {
    let reply = Reply { status: StatusCode::INTERNAL_SERVER_ERROR, ..Reply::content(&plan_json(|_| {})) };
    assert!(is_fallback(&plan_with_reply(reply).await));
}

#[tokio::test]
async fn a_slow_server_falls_back_within_the_timeout() {
    let reply = Reply { delay: Duration::from_secs(3), ..Reply::content(&plan_json(|_| {})) };
    let started = Instant::now();
    assert!(is_fallback(&plan_with_reply(reply).await));
    assert!(started.elapsed() < TEST_TIMEOUT + Duration::from_millis(500), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn an_unreachable_server_falls_back() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let planner = LlmPlanner::new(config(&format!("http://{address}/v1"), None), Arc::new(FakeFallback));
    assert!(is_fallback(&planner.plan(&one_message_thread()).await));
}

#[tokio::test]
async fn an_empty_thread_goes_to_the_fallback_without_a_call() {
    let server = FakeServer::start(Reply::content(&plan_json(|_| {}))).await;
    assert!(is_fallback(&planner_for(&server).plan(&PlanInput::default()).await));
    assert!(server.requests().is_empty());
}

#[test]
fn the_planner_is_named_llm() {
    let planner = LlmPlanner::new(config("http://127.0.0.1:9/v1", None), Arc::new(FakeFallback));
    assert_eq!(planner.name(), "llm");
}

// ---------------------------------------------------------------------------------------------
// Answer parsing and the prompt

#[test]
fn fences_are_stripped_with_or_without_a_language() {
    for content in [
        "{\"rejected\":\"why\"}",
        "```json\n{\"rejected\":\"why\"}\n```",
        "```\n{\"rejected\":\"why\"}```",
        "  ```JSON\r\n{\"rejected\":\"why\"}\r\n```  ",
    ] {
        assert_eq!(answer::parse_answer(content), Ok(Answer::Rejected(PlanRejection::new("why"))), "{content:?}");
    }
}

#[test]
fn the_system_prompt_names_every_intent_and_the_criteria_schema() {
    let prompt = super::prompt::system_prompt();
    for intent in ["discover", "enrich", "find_people", "verify", "scrape", "qualify", "export"] {
        assert!(prompt.contains(&format!("- {intent}:")), "{intent} missing");
    }
    assert!(prompt.contains("\"Criteria\":{"), "criteria schema missing");
    assert!(prompt.contains("\"rejected\""));
}

// ---------------------------------------------------------------------------------------------
// Configuration

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: HashMap<String, String> = vars.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
    move |name| vars.get(name).cloned()
}

#[test]
fn config_is_off_without_a_base_url() {
    assert_eq!(LlmConfig::from_lookup(lookup(&[])), Ok(None));
    assert_eq!(LlmConfig::from_lookup(lookup(&[(ENV_BASE_URL, "  "), (ENV_MODEL, "m")])), Ok(None));
}

#[test]
fn config_reads_every_variable() {
    let vars = [(ENV_BASE_URL, "https://api.example.com/v1/"), (ENV_API_KEY, "sk-1"), (ENV_MODEL, " gpt-x "), (ENV_TIMEOUT_SECS, "7")];
    let config = LlmConfig::from_lookup(lookup(&vars)).unwrap().unwrap();
    assert_eq!(config.completions_url(), "https://api.example.com/v1/chat/completions");
    assert_eq!(config.api_key.as_deref(), Some("sk-1"));
    assert_eq!(config.model, "gpt-x");
    assert_eq!(config.timeout, Duration::from_secs(7));
}

#[test]
fn config_defaults_the_timeout_and_the_key() {
    let config = LlmConfig::from_lookup(lookup(&[(ENV_BASE_URL, "http://localhost:11434/v1"), (ENV_MODEL, "llama3")])).unwrap().unwrap();
    assert_eq!(config.timeout, LlmConfig::DEFAULT_TIMEOUT);
    assert_eq!(config.api_key, None);
}

#[test]
fn config_errors_name_the_problem() {
    let base = (ENV_BASE_URL, "https://api.example.com/v1");
    let model = (ENV_MODEL, "m");
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[base], ENV_MODEL),
        (&[base, model, (ENV_TIMEOUT_SECS, "soon")], ENV_TIMEOUT_SECS),
        (&[base, model, (ENV_TIMEOUT_SECS, "0")], ENV_TIMEOUT_SECS),
        (&[(ENV_BASE_URL, "api.example.com"), model], ENV_BASE_URL),
        (&[(ENV_BASE_URL, "ftp://api.example.com"), model], ENV_BASE_URL),
    ];
    for (vars, named) in cases {
        let error = LlmConfig::from_lookup(lookup(vars)).expect_err("a misconfiguration");
        assert!(error.contains(named), "{error:?} should name {named}");
    }
}

#[test]
fn config_debug_hides_the_key() {
    let debug = format!("{:?}", config("http://localhost/v1", Some(TEST_KEY)));
    assert!(!debug.contains(TEST_KEY) && debug.contains("<redacted>"));
}

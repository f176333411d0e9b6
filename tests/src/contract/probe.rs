//! What an outside probe of the Leadex surface found, each as the behaviour it broke: test and
//! live modes kept apart, lead IDs unique across jobs made at once, every list in an input
//! bounded, one JSON value per body, cursors bound to their list, internal IP literals refused at
//! submission, publishable keys on a rate limit of their own, every answer in the envelope, and
//! the lists that did not page, and retries after a crash that wrote twice. Run on the embedded store (`tests/embedded/probe_embedded.rs`) and
//! on AWS via moto (`tests/aws/probe_aws.rs`), on a manual clock.

use std::collections::HashSet;
use std::time::Duration;

use quarry_ports::clock::Clock;
use quarry_ports::{Condition, Update};
use quarry_shared::accounts::{org_partition, KeyKind, Mode, Scope, Tier};
use quarry_shared::idempotency::IdempotencyStore;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::api::{assert_error, call, json_of, post};
use super::jobs::{all_leads, every_page, get, pending_job, until_ended};
use crate::server::TestServer;

const FINTECH: &str = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.";

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// The IDs of every object of a list endpoint.
async fn ids_of(s: &TestServer, key: &str, path: &str) -> HashSet<String> {
    every_page(s, key, &format!("{path}?limit=100")).await.iter().map(id).collect()
}

/// One of each mode-scoped object, made with `key`.
struct Objects {
    thread: String,
    plan: String,
    job: String,
    webhook: String,
    key: String,
}

async fn make_objects(s: &TestServer, key: &str, webhook_url: &str) -> Objects {
    let (thread, posted) = pending_job(s, key, FINTECH, json!({"max_rows": 5})).await;
    let webhook = post(s, key, "/v1/webhooks", json!({"url": webhook_url, "enabled": false})).await;
    let webhook = id(&json_of(webhook, StatusCode::CREATED).await);
    let minted = id(&json_of(post(s, key, "/v1/api-keys", json!({"name": "ci"})).await, StatusCode::CREATED).await);
    Objects { thread, plan: id(&posted["plan"]), job: id(&posted["job"]), webhook, key: minted }
}

/// Every route that reads or changes one of `theirs` answers `key` with a 404.
async fn none_is_reachable(s: &TestServer, key: &str, theirs: &Objects) {
    let (t, p, j, w, k) = (&theirs.thread, &theirs.plan, &theirs.job, &theirs.webhook, &theirs.key);
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/threads/{t}"), None),
        (Method::PATCH, format!("/v1/threads/{t}"), Some(json!({"title": "taken over"}))),
        (Method::GET, format!("/v1/threads/{t}/messages"), None),
        (Method::POST, format!("/v1/threads/{t}/messages"), Some(json!({"content": FINTECH}))),
        (Method::GET, format!("/v1/plans/{p}"), None),
        (Method::POST, format!("/v1/plans/{p}/replan"), Some(json!({"feedback": "Only Paris."}))),
        (Method::GET, format!("/v1/jobs/{j}"), None),
        (Method::GET, format!("/v1/jobs/{j}/summary"), None),
        (Method::GET, format!("/v1/jobs/{j}/logs"), None),
        (Method::GET, format!("/v1/jobs/{j}/leads"), None),
        (Method::GET, format!("/v1/jobs/{j}/stream"), None),
        (Method::POST, format!("/v1/jobs/{j}/approve"), None),
        (Method::POST, format!("/v1/jobs/{j}/stop"), None),
        (Method::GET, format!("/v1/webhooks/{w}"), None),
        (Method::PATCH, format!("/v1/webhooks/{w}"), Some(json!({"url": "https://taken.example/over"}))),
        (Method::POST, format!("/v1/webhooks/{w}/rotate"), None),
        (Method::POST, format!("/v1/webhooks/{w}/test"), None),
        (Method::GET, format!("/v1/webhooks/{w}/deliveries"), None),
        (Method::DELETE, format!("/v1/webhooks/{w}"), None),
        (Method::DELETE, format!("/v1/api-keys/{k}"), None),
        (Method::DELETE, format!("/v1/threads/{t}"), None),
    ];
    for (method, path, body) in requests {
        let mut request = call(s, method.clone(), &path, key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path} reached the other mode's object: {}", r.text().await.unwrap());
    }
}

pub async fn test_and_live_modes_are_separated(s: TestServer) {
    let org = s.org(Tier::Scale).await;
    let test = s.key(&org, KeyKind::Secret, Mode::Test, &Scope::ALL).await;
    let live = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let test_objects = make_objects(&s, &test, "http://127.0.0.1:9/test-hook").await;
    let live_objects = make_objects(&s, &live, "https://hooks.example/live-hook").await;

    none_is_reachable(&s, &test, &live_objects).await;
    none_is_reachable(&s, &live, &test_objects).await;

    // Each mode's lists hold its own objects only.
    for (key, own, other) in [(&test, &test_objects, &live_objects), (&live, &live_objects, &test_objects)] {
        for (path, mine, theirs) in [
            ("/v1/threads", &own.thread, &other.thread),
            ("/v1/jobs", &own.job, &other.job),
            ("/v1/webhooks", &own.webhook, &other.webhook),
            ("/v1/api-keys", &own.key, &other.key),
        ] {
            let listed = ids_of(&s, key, path).await;
            assert!(listed.contains(mine), "{path} lacks the key's own {mine}");
            assert!(!listed.contains(theirs), "{path} lists the other mode's {theirs}");
        }
    }
    // Nothing of the live mode changed: its job is still pending, its endpoint and key still there.
    assert_eq!(get(&s, &live, &format!("/v1/jobs/{}", live_objects.job)).await["status"], "pending");
    assert_eq!(get(&s, &live, &format!("/v1/webhooks/{}", live_objects.webhook)).await["url"], "https://hooks.example/live-hook");
    let live_keys = every_page(&s, &live, "/v1/api-keys?limit=100").await;
    let minted = live_keys.iter().find(|k| id(k) == live_objects.key).expect("the live key is listed");
    assert!(minted["revoked_at"].is_null(), "{minted}");
}

pub async fn lead_ids_stay_unique_across_jobs_made_at_once(s: TestServer) {
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Test, &Scope::ALL).await;
    let live = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    // On a manual clock every job below is created in the same millisecond.
    let mut jobs = Vec::new();
    for _ in 0..3 {
        let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 5})).await;
        jobs.push(id(&posted["job"]));
    }
    for job in &jobs {
        json_of(post(&s, &key, &format!("/v1/jobs/{job}/approve"), json!({})).await, StatusCode::OK).await;
    }
    let mut seen = HashSet::new();
    for job in &jobs {
        let ended = until_ended(&s, &key, job).await;
        assert_eq!(ended["status"], "succeeded", "{ended}");
        let leads = all_leads(&s, &key, job, "").await;
        assert!(!leads.is_empty(), "job {job} found no leads");
        for lead in &leads {
            let lead_id = id(lead);
            assert!(seen.insert(lead_id.clone()), "lead {lead_id} of {job} repeats another job's lead ID");
            let stored = get(&s, &key, &format!("/v1/leads/{lead_id}")).await;
            assert_eq!(stored["job_id"], job.as_str(), "GET /v1/leads/{lead_id} answers another job's lead");
            let r = call(&s, Method::GET, &format!("/v1/leads/{lead_id}"), &live).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "a live key reads a test-mode lead");
        }
        let artifact = ended["artifact"]["id"].as_str().expect("an artifact").to_string();
        let r =
            call(&s, Method::GET, &format!("/v1/artifacts/{artifact}"), &live).header("accept", "application/json").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "a live key reads a test-mode artifact");
    }
    // Deleting each lead deletes that lead and no other.
    let first: Vec<String> = all_leads(&s, &key, &jobs[0], "").await.iter().map(id).collect();
    for lead_id in &first {
        let r = call(&s, Method::DELETE, &format!("/v1/leads/{lead_id}"), &key).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    for job in &jobs[1..] {
        for lead in all_leads(&s, &key, job, "").await {
            assert_eq!(get(&s, &key, &format!("/v1/leads/{}", id(&lead))).await["job_id"], job.as_str());
        }
    }
}

pub async fn every_list_in_an_input_is_bounded(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let cases = [
        ("/v1/leads/export", json!({"format": "csv", "fields": vec!["email"; 10_000]}), "fields"),
        ("/v1/leads/export", json!({"format": "csv", "fields": ["email", "phone", "email"]}), "fields[2]"),
        ("/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook", "events": vec!["*"; 100]}), "events"),
        ("/v1/api-keys", json!({"name": "ci", "scopes": vec!["read"; 50]}), "scopes"),
    ];
    for (path, body, param) in cases {
        assert_error(post(&s, &key, path, body).await, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
}

pub async fn a_body_is_one_json_value(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    for body in [r#"{"title":"x"} garbage"#, r#"{"title":"x"}{"title":"y"}"#, r#"{"title":"x"},"#] {
        let r = call(&s, Method::POST, "/v1/threads", &key).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("body")).await;
    }
    let r = call(&s, Method::POST, "/v1/threads", &key)
        .header("content-type", "application/json")
        .body("{\"title\":\"x\"}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "trailing whitespace is fine");
    assert!(ids_of(&s, &key, "/v1/threads").await.len() == 1, "only the well-formed body made a thread");
}

pub async fn cursors_are_bound_to_their_list(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    for n in 0..3 {
        json_of(post(&s, &key, "/v1/threads", json!({"title": format!("Thread {n}")})).await, StatusCode::CREATED).await;
        pending_job(&s, &key, FINTECH, json!({"max_rows": 5})).await;
    }
    let page = get(&s, &key, "/v1/threads?limit=1&q=thread").await;
    let cursor = page["next_cursor"].as_str().expect("a second page").to_string();
    for foreign in [
        format!("/v1/jobs?cursor={cursor}"),
        format!("/v1/webhooks?cursor={cursor}"),
        format!("/v1/threads?limit=1&q=other&cursor={cursor}"),
        format!("/v1/threads?limit=1&q=thread&order=asc&cursor={cursor}"),
    ] {
        let r = call(&s, Method::GET, &foreign, &key).send().await.unwrap();
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("cursor")).await;
    }
    // The same list with another page size takes it.
    let next = get(&s, &key, &format!("/v1/threads?q=thread&limit=5&cursor={cursor}")).await;
    assert_eq!(next["data"].as_array().unwrap().len(), 2, "{next}");
}

pub async fn internal_ip_literals_are_refused_at_submission(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let scrapes = [
        (json!({"type": "single", "urls": ["http://10.0.0.1/"]}), "urls[0]"),
        (json!({"type": "bulk", "urls": ["https://example.com/", "http://169.254.169.254/latest/meta-data/"]}), "urls[1]"),
        (json!({"type": "single", "urls": ["http://[::ffff:10.0.0.1]/"]}), "urls[0]"),
    ];
    for (body, param) in scrapes {
        assert_error(post(&s, &key, "/v1/scrape", body).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some(param))
            .await;
    }
    let thread = json_of(post(&s, &key, "/v1/threads", json!({})).await, StatusCode::CREATED).await;
    let message = json!({"content": FINTECH, "attachments": [{"kind": "csv", "url": "http://192.168.1.20/seed.csv"}]});
    let r = post(&s, &key, &format!("/v1/threads/{}/messages", id(&thread)), message).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("attachments[0].url")).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("refused"), "{body}");
    assert_eq!(ids_of(&s, &key, "/v1/jobs").await.len(), 0, "nothing was created");
}

pub async fn publishable_keys_have_their_own_rate_limit(s: TestServer) {
    let clock = s.manual_clock.clone().expect("a manual clock");
    // Start at the beginning of a window so the test never straddles two.
    let now = clock.now();
    clock.set(now - chrono::Duration::seconds(now.timestamp() % 60) + chrono::Duration::seconds(60));
    let org = s.org(Tier::Starter).await;
    let secret = s.key(&org, KeyKind::Secret, Mode::Test, &Scope::ALL).await;
    let public = s.key(&org, KeyKind::Publishable, Mode::Test, &[Scope::Read]).await;
    for i in 1..=60 {
        let r = call(&s, Method::GET, "/v1/me", &public).send().await.unwrap();
        assert_eq!(r.status(), 200, "publishable request {i}");
    }
    let r = call(&s, Method::GET, "/v1/me", &public).send().await.unwrap();
    assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", None).await;
    let r = call(&s, Method::GET, "/v1/me", &secret).send().await.unwrap();
    assert_eq!(r.status(), 200, "publishable traffic spent the secret keys' budget");
    assert_eq!(r.headers()["x-ratelimit-remaining"], "59");
    clock.advance(Duration::from_secs(60));
}

pub async fn every_answer_is_an_envelope(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 5})).await;
    let job = id(&posted["job"]);
    // Over the 5 MiB limit on the one route that reads its body itself.
    let huge = format!("{{\"webhook_url\": \"{}\"}}", "x".repeat(6 * 1024 * 1024));
    let r = call(&s, Method::POST, &format!("/v1/jobs/{job}/approve"), &key)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::PAYLOAD_TOO_LARGE, "invalid_request_error", Some("body")).await;
    assert_eq!(get(&s, &key, &format!("/v1/jobs/{job}")).await["status"], "pending");
    // A method the route does not take.
    let r = call(&s, Method::PUT, "/v1/threads", &key).json(&json!({})).send().await.unwrap();
    assert_error(r, StatusCode::METHOD_NOT_ALLOWED, "invalid_request_error", None).await;
}

pub async fn webhooks_and_job_logs_page_with_cursors(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let mut made = Vec::new();
    for n in 0..3 {
        let endpoint = post(&s, &key, "/v1/webhooks", json!({"url": format!("http://127.0.0.1:9/hook-{n}"), "enabled": false})).await;
        made.push(id(&json_of(endpoint, StatusCode::CREATED).await));
    }
    let first = get(&s, &key, "/v1/webhooks?limit=2").await;
    assert_eq!(first["data"].as_array().unwrap().iter().map(id).collect::<Vec<_>>(), made[..2], "oldest first");
    assert_eq!(first["has_more"], true);
    let paged: Vec<String> = every_page(&s, &key, "/v1/webhooks?limit=2").await.iter().map(id).collect();
    assert_eq!(paged, made);

    let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 5})).await;
    let job = id(&posted["job"]);
    json_of(post(&s, &key, &format!("/v1/jobs/{job}/approve"), json!({})).await, StatusCode::OK).await;
    until_ended(&s, &key, &job).await;
    let whole = get(&s, &key, &format!("/v1/jobs/{job}/logs")).await;
    let entries = whole["data"].as_array().unwrap().clone();
    assert!(entries.len() > 2, "a job logs more than two entries: {whole}");
    assert_eq!(whole["has_more"], false);
    let paged = every_page(&s, &key, &format!("/v1/jobs/{job}/logs?limit=2")).await;
    assert_eq!(paged, entries, "paging the log gives every entry once, in order");
}

pub async fn responses_are_compressed_when_asked(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    for n in 0..30 {
        json_of(post(&s, &key, "/v1/threads", json!({"title": format!("Compressible thread number {n}")})).await, StatusCode::CREATED)
            .await;
    }
    let plain = call(&s, Method::GET, "/v1/threads?limit=100", &key).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none(), "nothing asked, nothing compressed");
    let plain = plain.bytes().await.unwrap();
    let gzip = call(&s, Method::GET, "/v1/threads?limit=100", &key).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let packed = gzip.bytes().await.unwrap();
    assert!(packed.len() * 3 < plain.len(), "{} compressed bytes for {} plain", packed.len(), plain.len());
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&packed[..]), &mut unpacked).unwrap();
    let (a, b): (Value, Value) = (serde_json::from_slice(&unpacked).unwrap(), serde_json::from_slice(&plain).unwrap());
    assert_eq!(a["data"].as_array().unwrap().len(), b["data"].as_array().unwrap().len(), "the same page, compressed");
    let br = call(&s, Method::GET, "/v1/threads?limit=100", &key).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
}

/// Leaves `idempotency_key`'s claim as a process killed after the handler's commit and before the
/// stored response would: no response, and a lease that has run out.
async fn crash_before_the_response_is_stored(s: &TestServer, org_id: &str, idempotency_key: &str) {
    let claim = IdempotencyStore::key(org_partition(org_id), idempotency_key);
    let update = Update::new().remove("response").set("lease_until", 0);
    s.storage.table.update(&claim, update, Condition::Exists).await.expect("the claim exists");
}

/// Sends `body` to `path` with `idempotency_key`, expecting `status`; the answer's JSON.
async fn keyed_post(s: &TestServer, key: &str, path: &str, idempotency_key: &str, body: Value, status: StatusCode) -> Value {
    let r = call(s, Method::POST, path, key).header("idempotency-key", idempotency_key).json(&body).send().await.unwrap();
    json_of(r, status).await
}

/// Posts `body` to `path` with `idempotency_key`, crashes before the response is stored, posts it
/// again: both answers.
async fn post_crash_retry(
    s: &TestServer,
    org_id: &str,
    key: &str,
    path: &str,
    idem: &str,
    body: Value,
    status: StatusCode,
) -> (Value, Value) {
    let first = keyed_post(s, key, path, idem, body.clone(), status).await;
    crash_before_the_response_is_stored(s, org_id, idem).await;
    let again = keyed_post(s, key, path, idem, body, status).await;
    (first, again)
}

pub async fn a_retry_after_a_crash_does_not_write_again(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let (s, org, key) = (&s, org.id.as_str(), key.as_str());
    let (first, again) = post_crash_retry(s, org, key, "/v1/threads", "thread-1", json!({"title": "Once"}), StatusCode::CREATED).await;
    assert_eq!(first, again, "the retry answers what the first attempt made");
    assert_eq!(ids_of(s, key, "/v1/threads").await.len(), 1, "one thread, not two");

    let messages = format!("/v1/threads/{}/messages", id(&first));
    let body = json!({"content": FINTECH, "hints": {"max_rows": 5}});
    let (first, again) = post_crash_retry(s, org, key, &messages, "message-1", body, StatusCode::CREATED).await;
    assert_eq!(first, again);
    assert_eq!(every_page(s, key, &format!("{messages}?limit=100")).await.len(), 2, "one turn and one reply");
    assert_eq!(ids_of(s, key, "/v1/jobs").await.len(), 1, "one pending job");

    let approve = format!("/v1/jobs/{}/approve", id(&first["job"]));
    let body = json!({"webhook_url": "http://127.0.0.1:9/job-hook"});
    let (first, again) = post_crash_retry(s, org, key, &approve, "approve-1", body, StatusCode::OK).await;
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["webhook_id"], again["webhook_id"], "one endpoint for the job's webhook_url");
    assert_eq!(first["webhook_signing_secret"], again["webhook_signing_secret"]);

    let body = json!({"url": "http://127.0.0.1:9/hook", "enabled": false});
    let (first, again) = post_crash_retry(s, org, key, "/v1/webhooks", "webhook-1", body, StatusCode::CREATED).await;
    assert_eq!(first, again);
    let (first, again) = post_crash_retry(s, org, key, "/v1/api-keys", "key-1", json!({"name": "ci"}), StatusCode::CREATED).await;
    assert_eq!(first, again, "the same key and secret");
    assert_eq!(ids_of(s, key, "/v1/api-keys").await.len(), 2, "the suite's key and one minted key");

    let body = json!({"prompt": FINTECH, "max_rows": 5, "wait": "async"});
    let (first, again) = post_crash_retry(s, org, key, "/v1/search", "search-1", body, StatusCode::ACCEPTED).await;
    assert_eq!(first["job_id"], again["job_id"]);
    assert_eq!(ids_of(s, key, "/v1/threads").await.len(), 2, "the search made one thread");
    assert_eq!(ids_of(s, key, "/v1/jobs").await.len(), 2, "and one job");
}

/// Writes `request` to a fresh connection to `base_url` and reads until the server closes it
/// (at most 5 s): everything the server answered.
async fn raw_exchange(base_url: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(base_url.trim_start_matches("http://")).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server held the connection open: {}", String::from_utf8_lossy(&answer));
    String::from_utf8_lossy(&answer).into_owned()
}

/// `answer` is an HTTP response with `status` and an error envelope.
fn assert_enveloped(answer: &str, status: u16, what: &str) {
    assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{what}: {answer}");
    assert!(answer.to_ascii_lowercase().contains("content-type: application/json"), "{what}: {answer}");
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let envelope: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {answer}"));
    assert_eq!(envelope["error"]["code"], "invalid_request_error", "{what}: {envelope}");
    assert!(envelope["error"]["request_id"].as_str().is_some_and(|id| id.starts_with("req_")), "{what}: {envelope}");
}

pub async fn slow_and_malformed_requests_are_bounded_and_enveloped(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let strict = s.strict_url.as_str();
    // Half a head, then nothing: 408 once the header timeout passes, and the connection closes.
    let answer = raw_exchange(strict, b"GET /v1/me HTTP/1.1\r\nHost: quarry\r\n").await;
    assert_enveloped(&answer, 408, "a head that never ends");
    // A body shorter than its Content-Length.
    let head = format!(
        "POST /v1/threads HTTP/1.1\r\nHost: quarry\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"title\":"
    );
    let answer = raw_exchange(strict, head.as_bytes()).await;
    assert_enveloped(&answer, 408, "a body that never ends");
    assert_eq!(ids_of(&s, &key, "/v1/threads").await.len(), 0, "nothing was created");
    // What hyper refuses before the router sees it, on the server's own limits.
    let base = s.base_url.as_str();
    let answer = raw_exchange(base, b"GET /v1/\xff\xfe HTTP/1.1\r\nHost: quarry\r\n\r\n").await;
    assert_enveloped(&answer, 400, "a path that is not UTF-8");
    let answer = raw_exchange(base, b"GET /health HTTP/1.1\r\nHost quarry\r\n\r\n").await;
    assert_enveloped(&answer, 400, "a header without a colon");
    let long_uri = format!("GET /v1/threads?q={} HTTP/1.1\r\nHost: quarry\r\n\r\n", "a".repeat(70_000));
    assert_enveloped(&raw_exchange(base, long_uri.as_bytes()).await, 414, "a URI over 64 KiB");
    let huge_header = format!("GET /health HTTP/1.1\r\nHost: quarry\r\nX-Filler: {}\r\n\r\n", "a".repeat(120_000));
    assert_enveloped(&raw_exchange(base, huge_header.as_bytes()).await, 431, "headers over the limit");

    // Connections past the cap wait for a slot, which idle ones give up after the header timeout.
    let started = std::time::Instant::now();
    let mut idle = Vec::new();
    for _ in 0..crate::server::STRICT_LIMITS.max_connections {
        idle.push(tokio::net::TcpStream::connect(strict.trim_start_matches("http://")).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = reqwest::Client::new().get(format!("{strict}/health")).timeout(Duration::from_secs(5)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        started.elapsed() >= crate::server::STRICT_LIMITS.header_timeout - Duration::from_millis(100),
        "served past the connection cap after {:?}",
        started.elapsed()
    );
}

/// The download link of `artifact` in `format` (the record, asked for as JSON).
async fn artifact_link(s: &TestServer, key: &str, artifact: &str, format: &str) -> String {
    let r = call(s, Method::GET, &format!("/v1/artifacts/{artifact}?format={format}"), key)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    json_of(r, StatusCode::OK).await["download_url"].as_str().expect("a download_url").to_string()
}

pub async fn artifact_files_past_their_retention_are_rendered_from_the_leads(s: TestServer) {
    let clock = s.manual_clock.clone().expect("a manual clock");
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 5})).await;
    let job = id(&posted["job"]);
    json_of(post(&s, &key, &format!("/v1/jobs/{job}/approve"), json!({})).await, StatusCode::OK).await;
    let ended = until_ended(&s, &key, &job).await;
    let artifact = ended["artifact"]["id"].as_str().expect("an artifact").to_string();
    let first = reqwest::get(artifact_link(&s, &key, &artifact, "csv").await).await.unwrap().bytes().await.unwrap();
    let leads = all_leads(&s, &key, &job, "").await;

    // 91 days on, the bucket's lifecycle rule (or the local sweep) has removed the file.
    clock.advance(Duration::from_secs(91 * 86_400));
    let csv = quarry_ports::BlobKey::parse(&format!("artifacts/{}/{artifact}/leads.csv", org.id)).unwrap();
    s.storage.blobs.delete(&csv).await.unwrap();
    let again = reqwest::get(artifact_link(&s, &key, &artifact, "csv").await).await.unwrap();
    assert_eq!(again.status(), 200, "the CSV is rendered again from the leads");
    assert_eq!(again.bytes().await.unwrap(), first, "the same file");
    let xlsx = reqwest::get(artifact_link(&s, &key, &artifact, "xlsx").await).await.unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"), "an XLSX (zip) file, from the leads");
    assert_eq!(all_leads(&s, &key, &job, "").await, leads, "the lead records are never purged");
}

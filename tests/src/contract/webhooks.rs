//! The webhooks contract: endpoint management, every subscribed event of a job delivered and
//! signed, retries on the published schedule, rotation, 410 — with a real receiver on loopback
//! whose checks recompute every signature here, independently of Quarry's signing code. Run on
//! the embedded store (`tests/embedded/webhooks_embedded.rs`) and on AWS via moto
//! (`tests/aws/webhooks_aws.rs`, the dispatcher driven from SQS).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use quarry_shared::accounts::{KeyKind, Mode, Scope, Tier};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;

use super::api::{assert_error, call, json_of, post};
use crate::fixtures::{Received, Receiver};
use crate::server::TestServer;

/// Whether `received` carries a valid signature by `secret` in both schemes (Leadex/Stripe style
/// and Standard Webhooks), recomputed from the raw body.
pub fn signed_by(received: &Received, secret: &str) -> bool {
    let leadex = received.header("leadex-signature");
    let mut parts = leadex.split(',');
    let Some(t) = parts.next().and_then(|p| p.strip_prefix("t=")) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&received.body);
    let expected = hex::encode(mac.finalize().into_bytes());
    let leadex_ok = parts.any(|p| p.strip_prefix("v1=") == Some(expected.as_str()));

    let id = received.header("webhook-id");
    let timestamp = received.header("webhook-timestamp");
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&received.body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    let standard_ok = received.header("webhook-signature").split(' ').any(|s| s.strip_prefix("v1,") == Some(expected.as_str()));
    leadex_ok && standard_ok && t == timestamp && received.header("leadex-delivery") == id
}

async fn get(s: &TestServer, key: &str, path: &str) -> Value {
    json_of(call(s, Method::GET, path, key).send().await.unwrap(), StatusCode::OK).await
}

async fn create(s: &TestServer, key: &str, body: Value) -> Value {
    json_of(post(s, key, "/v1/webhooks", body).await, StatusCode::CREATED).await
}

fn types(received: &[Received]) -> Vec<String> {
    received.iter().map(|r| r.json()["type"].as_str().unwrap().to_string()).collect()
}

pub async fn endpoints_are_managed_and_validated(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let receiver = Receiver::start().await;
    let created = create(&s, &key, json!({"url": receiver.url("a"), "events": ["job.succeeded"], "description": "CRM"})).await;
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("whk_"));
    assert!(created["signing_secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["object"], "webhook_endpoint");
    assert_eq!((created["enabled"].as_bool(), created["livemode"].as_bool()), (Some(true), Some(false)));
    let fetched = get(&s, &key, &format!("/v1/webhooks/{id}")).await;
    assert!(fetched.get("signing_secret").is_none(), "the secret is shown once: {fetched}");
    let listed = get(&s, &key, "/v1/webhooks").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains("whsec_"));
    let default = create(&s, &key, json!({"url": receiver.url("b")})).await;
    assert_eq!(default["events"], json!(["*"]));

    let patched = call(&s, Method::PATCH, &format!("/v1/webhooks/{id}"), &key)
        .json(&json!({"events": ["job.failed", "job.succeeded"], "description": null}))
        .send()
        .await
        .unwrap();
    let patched = json_of(patched, StatusCode::OK).await;
    assert_eq!(patched["events"], json!(["job.failed", "job.succeeded"]));
    assert_eq!(patched["description"], Value::Null);

    let r = post(&s, &key, "/v1/webhooks", json!({"url": receiver.url("c"), "events": ["job.succeeded", "job.exploded"]})).await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("events[1]")).await;
    let r = post(&s, &key, "/v1/webhooks", json!({"url": "ftp://example.com/hook"})).await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("url")).await;
    let r = post(&s, &key, "/v1/webhooks", json!({"url": "http://169.254.169.254/latest/meta-data"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("url")).await;
    let r = post(&s, &key, "/v1/webhooks", json!({"events": ["*"]})).await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", None).await;
    let live = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let r = post(&s, &live, "/v1/webhooks", json!({"url": "http://hooks.example.com/q"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("url")).await;
    let reader = s.key(&org, KeyKind::Secret, Mode::Test, &[Scope::Read, Scope::Run]).await;
    let r = call(&s, Method::GET, "/v1/webhooks", &reader).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "managing endpoints takes the admin scope");

    let deleted = json_of(call(&s, Method::DELETE, &format!("/v1/webhooks/{id}"), &key).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(deleted["deleted"], true);
    let r = call(&s, Method::GET, &format!("/v1/webhooks/{id}"), &key).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("webhook_id")).await;
}

/// Every subscribed event of a job arrives, signed; unsubscribed ones do not; the job's own
/// `webhook_url` gets its events signed with the secret the approval returned.
pub async fn a_jobs_events_reach_subscribed_endpoints(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let receiver = Receiver::start().await;
    let wanted = ["job.approved", "job.started", "job.step.completed", "leads.delivered", "artifact.created", "job.succeeded"];
    let jobs = create(&s, &key, json!({"url": receiver.url("jobs"), "events": wanted})).await;
    let threads = create(&s, &key, json!({"url": receiver.url("threads"), "events": ["thread.created"]})).await;

    let thread = json_of(post(&s, &key, "/v1/threads", json!({})).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string();
    let content = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng.";
    let posted = post(&s, &key, &format!("/v1/threads/{thread}/messages"), json!({"content": content, "hints": {"max_rows": 150}})).await;
    let job_id = json_of(posted, StatusCode::CREATED).await["job"]["id"].as_str().unwrap().to_string();
    let approved = post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({"webhook_url": receiver.url("job")})).await;
    let approved = json_of(approved, StatusCode::OK).await;
    let job_secret = approved["webhook_signing_secret"].as_str().expect("the job endpoint's secret").to_string();
    assert_eq!(approved["status"], "running");

    // Deliveries are independent, so they may arrive in any order: wait for every subscribed type,
    // then until the endpoint's delivery log and the receiver agree.
    receiver.wait_for("jobs", |r| wanted.iter().all(|w| types(r).iter().any(|t| t == w))).await;
    let (got, deliveries) = settled(&s, &key, jobs["id"].as_str().unwrap(), &receiver, "jobs").await;
    let secret = jobs["signing_secret"].as_str().unwrap();
    for delivery in &got {
        assert!(signed_by(delivery, secret), "unsigned or mis-signed: {:?}", delivery.headers);
        assert_eq!(delivery.header("content-type"), "application/json");
        assert_eq!(delivery.header("leadex-event"), delivery.json()["type"].as_str().unwrap());
        assert!(delivery.json()["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(delivery.json()["livemode"], false);
    }
    let mut seen = types(&got);
    seen.sort();
    seen.dedup();
    let mut expected: Vec<String> = wanted.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected, "every subscribed type arrives, and nothing else");
    let succeeded = got.iter().find(|r| r.json()["type"] == "job.succeeded").unwrap().json();
    assert_eq!(succeeded["data"]["object"]["id"], job_id.as_str());
    assert_eq!(succeeded["data"]["object"]["status"], "succeeded");
    assert_eq!(succeeded["data"]["object"]["artifact"]["rows"], 150, "the full job object, as the API returns it");
    // `artifact.created` carries a link signed at delivery: the receiver downloads the CSV with it.
    let artifact = got.iter().find(|r| r.json()["type"] == "artifact.created").unwrap().json();
    let link = artifact["data"]["object"]["download_url"].as_str().expect("a download_url in artifact.created").to_string();
    assert!(artifact["data"]["object"]["expires_at"].is_string(), "{artifact}");
    let csv = reqwest::get(&link).await.unwrap();
    assert_eq!(csv.status(), 200, "the delivered link downloads");
    let bytes = csv.bytes().await.unwrap().len() as u64;
    assert_eq!(Some(bytes), artifact["data"]["object"]["bytes"].as_u64(), "the whole CSV file");
    let leads: u64 =
        got.iter().filter(|r| r.json()["type"] == "leads.delivered").map(|r| r.json()["data"]["object"]["count"].as_u64().unwrap()).sum();
    assert_eq!(leads, 150, "one lead per company and role");
    // Each event once per endpoint (redeliveries would repeat a Leadex-Delivery ID).
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("leadex-delivery")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), got.len());

    let thread_events = receiver.wait_for("threads", |r| !r.is_empty()).await;
    assert_eq!(types(&thread_events), ["thread.created"]);
    assert!(signed_by(&thread_events[0], threads["signing_secret"].as_str().unwrap()));

    let own = receiver.wait_for("job", |r| ["job.started", "job.succeeded"].iter().all(|w| types(r).iter().any(|t| t == w))).await;
    assert!(own.iter().all(|r| signed_by(r, &job_secret)));
    assert!(types(&own).contains(&"job.started".to_string()));
    assert!(!types(&own).iter().any(|t| t.starts_with("thread.") || t.starts_with("plan.")), "only this job's events: {:?}", types(&own));

    let rows = deliveries["data"].as_array().unwrap();
    assert_eq!(rows.len(), got.len());
    assert!(rows.iter().all(|d| d["status"] == "succeeded" && d["response_status"] == 200 && d["attempt"] == 1), "{deliveries}");
}

/// Waits (up to 30 s) until every delivery in `webhook_id`'s log has an outcome and the receiver
/// at `path` holds as many requests as the log has rows; returns both.
async fn settled(s: &TestServer, key: &str, webhook_id: &str, receiver: &Receiver, path: &str) -> (Vec<Received>, Value) {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = get(s, key, &format!("/v1/webhooks/{webhook_id}/deliveries?limit=100")).await;
        let rows = last["data"].as_array().unwrap();
        let got = receiver.received(path);
        if rows.len() == got.len() && rows.iter().all(|d| d["status"] != "pending") {
            return (got, last);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} and the delivery log never agreed: {} received, log {last}", receiver.received(path).len());
}

/// Seconds between two deliveries' signing timestamps.
fn gap(a: &Received, b: &Received) -> i64 {
    b.header("leadex-timestamp").parse::<i64>().unwrap() - a.header("leadex-timestamp").parse::<i64>().unwrap()
}

/// Moves the manual clock to each next attempt the delivery log announces, until `path` has
/// received `count` requests.
async fn advance_until(s: &TestServer, key: &str, webhook_id: &str, receiver: &Receiver, path: &str, count: usize) -> Vec<Received> {
    let clock = s.manual_clock.as_ref().expect("a manual-clock server");
    for _ in 0..300 {
        let got = receiver.received(path);
        if got.len() >= count {
            return got;
        }
        let log = get(s, key, &format!("/v1/webhooks/{webhook_id}/deliveries")).await;
        let next = log["data"].as_array().unwrap().iter().filter_map(|d| d["next_attempt_at"].as_str()).min().map(str::to_string);
        if let Some(next) = next {
            let due = chrono::DateTime::parse_from_rfc3339(&next).unwrap().timestamp();
            let now = s.clock.unix();
            if due > now {
                clock.advance(Duration::from_secs((due - now) as u64));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} got {} of {count} attempts", receiver.received(path).len());
}

/// A receiver failing the first three attempts gets the fourth on schedule; `Retry-After` is
/// honoured; the delivery log tells the story. Needs a manual-clock server.
pub async fn failing_receivers_are_retried_on_schedule(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let receiver = Receiver::start().await;
    receiver.script("flaky", &[(500, None), (503, None), (429, Some("300"))]);
    let endpoint = create(&s, &key, json!({"url": receiver.url("flaky")})).await;
    let id = endpoint["id"].as_str().unwrap();
    let test = json_of(post(&s, &key, &format!("/v1/webhooks/{id}/test"), json!({})).await, StatusCode::ACCEPTED).await;
    assert_eq!(test["event_type"], "webhook.test");

    let got = advance_until(&s, &key, id, &receiver, "flaky", 4).await;
    assert_eq!(got.len(), 4, "no attempt beyond the first success");
    let secret = endpoint["signing_secret"].as_str().unwrap();
    assert!(got.iter().all(|r| signed_by(r, secret)));
    assert!(got.iter().all(|r| r.header("leadex-delivery") == test["id"].as_str().unwrap()), "one delivery, four attempts");
    // 5 s, then 30 s (±10% jitter, in whole seconds), then Retry-After's 300 s rather than the
    // schedule's 2 minutes.
    let (first, second, third) = (gap(&got[0], &got[1]), gap(&got[1], &got[2]), gap(&got[2], &got[3]));
    assert!((4..=6).contains(&first), "{first}");
    assert!((27..=33).contains(&second), "{second}");
    assert!((300..=301).contains(&third), "{third}");
    assert_eq!(got[0].json()["type"], "webhook.test");
    assert_eq!(got[0].json()["data"]["object"]["id"], id);

    let log = get(&s, &key, &format!("/v1/webhooks/{id}/deliveries")).await;
    let delivery = &log["data"][0];
    assert_eq!((delivery["status"].as_str(), delivery["attempt"].as_u64()), (Some("succeeded"), Some(4)), "{log}");
    assert_eq!(delivery["response_status"], 200);
    assert_eq!(delivery["response_body"], "ok");
    assert_eq!(delivery["next_attempt_at"], Value::Null);

    // Redelivery sends the same event as a new delivery.
    let again = post(&s, &key, &format!("/v1/webhooks/{id}/deliveries/{}/redeliver", test["id"].as_str().unwrap()), json!({})).await;
    let again = json_of(again, StatusCode::ACCEPTED).await;
    assert_ne!(again["id"], test["id"]);
    let got = advance_until(&s, &key, id, &receiver, "flaky", 5).await;
    assert_eq!(got[4].json()["id"], got[0].json()["id"], "the same event");
    assert_eq!(got[4].header("leadex-delivery"), again["id"].as_str().unwrap());
}

/// After a rotation deliveries carry two `v1` signatures, one per secret; a 410 disables the
/// endpoint and fails the delivery without retrying.
pub async fn rotation_signs_twice_and_gone_disables(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let receiver = Receiver::start().await;
    let endpoint = create(&s, &key, json!({"url": receiver.url("rotating")})).await;
    let id = endpoint["id"].as_str().unwrap();
    let old = endpoint["signing_secret"].as_str().unwrap();
    let rotated = json_of(post(&s, &key, &format!("/v1/webhooks/{id}/rotate"), json!({})).await, StatusCode::OK).await;
    let new = rotated["signing_secret"].as_str().unwrap();
    assert_ne!(old, new);
    json_of(post(&s, &key, &format!("/v1/webhooks/{id}/test"), json!({})).await, StatusCode::ACCEPTED).await;
    let got = receiver.wait_for("rotating", |r| !r.is_empty()).await;
    assert_eq!(got[0].header("leadex-signature").matches("v1=").count(), 2, "{}", got[0].header("leadex-signature"));
    assert!(signed_by(&got[0], old) && signed_by(&got[0], new));

    receiver.script("gone", &[(410, None)]);
    let endpoint = create(&s, &key, json!({"url": receiver.url("gone")})).await;
    let id = endpoint["id"].as_str().unwrap();
    json_of(post(&s, &key, &format!("/v1/webhooks/{id}/test"), json!({})).await, StatusCode::ACCEPTED).await;
    receiver.wait_for("gone", |r| !r.is_empty()).await;
    let mut disabled = Value::Null;
    for _ in 0..100 {
        disabled = get(&s, &key, &format!("/v1/webhooks/{id}")).await;
        if disabled["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(disabled["enabled"], false, "{disabled}");
    assert!(disabled["disabled_reason"].as_str().unwrap().contains("410"));
    let log = get(&s, &key, &format!("/v1/webhooks/{id}/deliveries")).await;
    assert_eq!((log["data"][0]["status"].as_str(), log["data"][0]["response_status"].as_u64()), (Some("failed"), Some(410)));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.received("gone").len(), 1, "a gone receiver is not retried");
    let enabled = call(&s, Method::PATCH, &format!("/v1/webhooks/{id}"), &key).json(&json!({"enabled": true})).send().await.unwrap();
    let enabled = json_of(enabled, StatusCode::OK).await;
    assert_eq!((enabled["enabled"].as_bool(), enabled["disabled_reason"].is_null()), (Some(true), true));
}

/// One receiver that never answers in time does not slow the others: deliveries are not made in
/// batches that wait for their slowest member.
pub async fn a_slow_receiver_does_not_hold_up_the_others(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let receiver = Receiver::start().await;
    // The slow receiver holds every request past the delivery timeout.
    receiver.script("slow", &[(0, None); 8]);
    let slow = create(&s, &key, json!({"url": receiver.url("slow"), "events": ["thread.created"]})).await;
    create(&s, &key, json!({"url": receiver.url("fast"), "events": ["thread.created"]})).await;
    for _ in 0..6 {
        json_of(post(&s, &key, "/v1/threads", json!({})).await, StatusCode::CREATED).await;
    }
    receiver.wait_for("fast", |r| r.len() >= 6).await;
    // Every fast delivery arrived while the slow ones were still waiting for an answer: none of
    // them has timed out yet (that takes 10 s), so none was made after waiting for them.
    let deliveries = get(&s, &key, &format!("/v1/webhooks/{}/deliveries", slow["id"].as_str().unwrap())).await;
    for delivery in deliveries["data"].as_array().unwrap() {
        assert!(delivery["error"].is_null() && delivery["response_status"].is_null(), "a slow delivery ended first: {delivery}");
    }
}

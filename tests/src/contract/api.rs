//! The HTTP contract: authentication, scopes, the error envelope, request IDs, pagination,
//! idempotency and rate limits, checked over real HTTP against a running server. Run on the
//! embedded store (`tests/embedded/api_embedded.rs`) and on AWS via moto (`tests/aws/api_aws.rs`).

use std::collections::HashSet;
use std::time::Duration;

use quarry_ports::clock::Clock;
use quarry_shared::accounts::{KeyKind, Mode, Scope, Tier};
use quarry_shared::idempotency::{Claim, IdempotencyStore};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

use crate::server::TestServer;

pub(crate) fn client() -> Client {
    Client::new()
}

pub(crate) fn call(s: &TestServer, method: Method, path: &str, key: &str) -> RequestBuilder {
    client().request(method, s.url(path)).bearer_auth(key)
}

/// The JSON body of a response that must have `status` (the body is shown when it has not).
pub(crate) async fn json_of(r: Response, status: StatusCode) -> Value {
    let got = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

/// A POST with a JSON body.
pub(crate) async fn post(s: &TestServer, key: &str, path: &str, body: Value) -> Response {
    call(s, Method::POST, path, key).json(&body).send().await.unwrap()
}

/// Asserts an error response: status, code, optional param, and a request_id equal to the header.
pub(crate) async fn assert_error(r: Response, status: StatusCode, code: &str, param: Option<&str>) -> Value {
    assert_eq!(r.status(), status);
    let header_id = r.headers().get("x-request-id").expect("X-Request-Id on errors").to_str().unwrap().to_string();
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    if let Some(param) = param {
        assert_eq!(body["error"]["param"], param, "{body}");
    }
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(body["error"]["request_id"], header_id.as_str());
    body
}

pub async fn health_and_openapi_are_public(s: TestServer) {
    let r = client().get(s.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let health: Value = r.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"], s.storage.backend);
    for group in ["account", "threads", "plans"] {
        assert!(health["features"].as_array().unwrap().contains(&json!(group)), "{health}");
    }

    let spec: Value = client().get(s.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/me",
        "/v1/organization",
        "/v1/api-keys",
        "/v1/api-keys/{key_id}",
        "/v1/threads",
        "/v1/threads/{thread_id}",
        "/v1/threads/{thread_id}/messages",
        "/v1/plans/{plan_id}",
        "/v1/plans/{plan_id}/replan",
        "/health",
        "/openapi.json",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing from the spec");
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    let yaml = client().get(s.url("/openapi.yaml")).send().await.unwrap();
    assert_eq!((yaml.status(), yaml.headers()["content-type"].to_str().unwrap()), (StatusCode::OK, "application/yaml"));
    assert!(yaml.text().await.unwrap().contains("/v1/threads/{thread_id}/messages:"), "the YAML document lists the routes");
    for schema in ["ErrorEnvelope", "Thread", "Message", "Plan", "Job", "Criteria", "Posted"] {
        assert!(spec["components"]["schemas"][schema].is_object(), "schema {schema} missing from the spec");
    }
}

pub async fn keys_authenticate_by_bearer_or_header(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Growth).await;
    let r = call(&s, Method::GET, "/v1/me", &key).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ratelimit-limit"], "600");
    assert!(r.headers().contains_key("x-ratelimit-remaining"));
    assert!(r.headers().contains_key("x-ratelimit-reset"));
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["organization"]["id"], org.id.as_str());
    assert_eq!(me["livemode"], false);
    assert_eq!(me["api_key"]["mode"], "test");
    assert!(me["api_key"].get("secret").is_none() && me["api_key"].get("secret_hash").is_none());
    assert!(me["api_key"]["expires_at"].is_null(), "optional fields are null, not missing");

    let r = client().get(s.url("/v1/organization")).header("x-api-key", &key).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["object"], "organization");
    assert_eq!(o["limits"]["requests_per_minute"], 600);
    assert!(o["created_at"].as_str().unwrap().ends_with('Z'));
}

pub async fn bad_keys_get_401(s: TestServer) {
    let (org, _) = s.org_with_key(Tier::Scale).await;
    let unknown = format!("sk_test_{}", "a".repeat(43));
    let new_key = |scopes: Vec<Scope>, expires_at| quarry_shared::accounts::NewKey {
        name: "k".into(),
        kind: KeyKind::Secret,
        mode: Mode::Live,
        scopes,
        expires_at,
    };
    let (revoked_key, revoked) = s.accounts.create_key(&org.id, new_key(Scope::ALL.to_vec(), None)).await.unwrap();
    s.accounts.revoke_key(&org.id, None, &revoked_key.id).await.unwrap();
    let expiring = s
        .accounts
        .create_key(&org.id, new_key(vec![Scope::Read], Some((s.clock.now() - chrono::Duration::seconds(1)).into())))
        .await
        .unwrap()
        .1;

    let r = client().get(s.url("/v1/me")).send().await.unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "authentication_error", None).await;
    for bad in ["sk_test_short", "Basic abc", unknown.as_str(), revoked.as_str(), expiring.as_str()] {
        let r = client().get(s.url("/v1/me")).header("authorization", format!("Bearer {bad}")).send().await.unwrap();
        let body = assert_error(r, StatusCode::UNAUTHORIZED, "authentication_error", None).await;
        assert!(body["error"]["param"].is_null());
    }
    let r = client().get(s.url("/v1/me")).header("authorization", "Basic abc").send().await.unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "authentication_error", None).await;
}

pub async fn request_ids_are_echoed_when_sane(s: TestServer) {
    let uuid = "0b6f3a4e-2c1d-4e5f-8a9b-0c1d2e3f4a5b";
    let r = client().get(s.url("/health")).header("x-request-id", uuid).send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], uuid);
    let r = client().get(s.url("/v1/me")).header("x-request-id", uuid).send().await.unwrap();
    let body = assert_error(r, StatusCode::UNAUTHORIZED, "authentication_error", None).await;
    assert_eq!(body["error"]["request_id"], uuid);
    let r = client().get(s.url("/health")).header("x-request-id", "not sane <>").send().await.unwrap();
    assert!(r.headers()["x-request-id"].to_str().unwrap().starts_with("req_"));
}

pub async fn scopes_are_enforced(s: TestServer) {
    let org = s.org(Tier::Scale).await;
    let reader = s.key(&org, KeyKind::Secret, Mode::Test, &[Scope::Read]).await;
    let runner = s.key(&org, KeyKind::Secret, Mode::Test, &[Scope::Run]).await;
    let public = s.key(&org, KeyKind::Publishable, Mode::Live, &[Scope::Read]).await;
    assert!(public.starts_with("pk_pub_"));

    assert_eq!(call(&s, Method::GET, "/v1/me", &reader).send().await.unwrap().status(), 200);
    let r = call(&s, Method::GET, "/v1/api-keys", &reader).send().await.unwrap();
    assert_error(r, StatusCode::FORBIDDEN, "permission_error", None).await;
    let r = call(&s, Method::GET, "/v1/me", &runner).send().await.unwrap();
    assert_error(r, StatusCode::FORBIDDEN, "permission_error", None).await;
    assert_eq!(call(&s, Method::GET, "/v1/me", &public).send().await.unwrap().status(), 200);
    let r = call(&s, Method::POST, "/v1/api-keys", &public).json(&json!({"name": "x"})).send().await.unwrap();
    assert_error(r, StatusCode::FORBIDDEN, "permission_error", None).await;
}

pub async fn api_keys_are_minted_listed_and_revoked(s: TestServer) {
    let (_, admin) = s.org_with_key(Tier::Scale).await;
    let r = call(&s, Method::POST, "/v1/api-keys", &admin)
        .json(&json!({"name": "ci", "scopes": ["read", "run", "read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("sk_test_"), "inherits the caller's mode");
    assert_eq!(created["scopes"], json!(["read", "run"]));
    assert_eq!(created["prefix"].as_str().unwrap(), &secret[..12]);
    assert_eq!(call(&s, Method::GET, "/v1/me", &secret).send().await.unwrap().status(), 200);

    let listed: Value = call(&s, Method::GET, "/v1/api-keys", &admin).send().await.unwrap().json().await.unwrap();
    assert!(listed["data"].as_array().unwrap().iter().all(|k| k.get("secret").is_none()));
    assert_eq!(listed["data"][0]["id"], created["id"], "newest first");

    let id = created["id"].as_str().unwrap();
    let r = call(&s, Method::DELETE, &format!("/v1/api-keys/{id}"), &admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let revoked: Value = r.json().await.unwrap();
    assert!(revoked["revoked_at"].is_string());
    let r = call(&s, Method::GET, "/v1/me", &secret).send().await.unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "authentication_error", None).await;

    let r = call(&s, Method::DELETE, "/v1/api-keys/key_01HXA5Q6T9ZJ3N1V0B7K2M4P8R", &admin).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("key_id")).await;
    let r = call(&s, Method::DELETE, "/v1/api-keys/nonsense", &admin).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("key_id")).await;
}

pub async fn other_organizations_are_invisible(s: TestServer) {
    let (_, mine) = s.org_with_key(Tier::Scale).await;
    let (theirs, their_key) = s.org_with_key(Tier::Scale).await;
    let their_id = s.accounts.list_keys(&theirs.id, None, quarry_ports::Order::Asc, 1, None).await.unwrap().0[0].id.clone();
    let r = call(&s, Method::DELETE, &format!("/v1/api-keys/{their_id}"), &mine).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("key_id")).await;
    assert_eq!(call(&s, Method::GET, "/v1/me", &their_key).send().await.unwrap().status(), 200, "still valid");
    let listed: Value = call(&s, Method::GET, "/v1/api-keys", &mine).send().await.unwrap().json().await.unwrap();
    assert!(listed["data"].as_array().unwrap().iter().all(|k| k["id"] != their_id.as_str()));
}

pub async fn lists_paginate_with_cursors(s: TestServer) {
    let (org, admin) = s.org_with_key(Tier::Scale).await;
    for _ in 0..24 {
        s.key(&org, KeyKind::Secret, Mode::Test, &[Scope::Read]).await;
    }
    for order in ["desc", "asc"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut url = format!("/v1/api-keys?limit=10&order={order}");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page: Value = call(&s, Method::GET, &url, &admin).send().await.unwrap().json().await.unwrap();
            pages += 1;
            seen.extend(page["data"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap().to_string()));
            assert!(page["total"].is_null());
            if page["has_more"] == true {
                cursor = Some(page["next_cursor"].as_str().unwrap().to_string());
            } else {
                assert!(page["next_cursor"].is_null());
                break;
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 25);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25);
        let mut sorted = seen.clone();
        sorted.sort();
        if order == "desc" {
            sorted.reverse();
        }
        assert_eq!(seen, sorted);
    }
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("order=sideways", "order"),
        ("cursor=c_garbage", "cursor"),
        ("cursor=bogus", "cursor"),
    ] {
        let r = call(&s, Method::GET, &format!("/v1/api-keys?{query}"), &admin).send().await.unwrap();
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
}

pub async fn bad_input_gets_a_named_error(s: TestServer) {
    let (_, admin) = s.org_with_key(Tier::Scale).await;
    let post = |body: &'static str| call(&s, Method::POST, "/v1/api-keys", &admin).header("content-type", "application/json").body(body);
    assert_error(post("{\"name\": ").send().await.unwrap(), StatusCode::BAD_REQUEST, "invalid_request_error", Some("body")).await;
    assert_error(post("{}").send().await.unwrap(), StatusCode::BAD_REQUEST, "invalid_request_error", Some("name")).await;
    assert_error(post("{\"name\": 7}").send().await.unwrap(), StatusCode::BAD_REQUEST, "invalid_request_error", Some("name")).await;
    // Of the documented form (1–100 characters) but blank: 422.
    assert_error(post("{\"name\": \"  \"}").send().await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("name"))
        .await;
    assert_error(
        post("{\"name\": \"x\", \"scopes\": [\"root\"]}").send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        Some("scopes[0]"),
    )
    .await;
    assert_error(
        post("{\"name\": \"x\", \"scopes\": []}").send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        Some("scopes"),
    )
    .await;
    let past = post("{\"name\": \"x\", \"expires_at\": \"2001-01-01T00:00:00Z\"}").send().await.unwrap();
    assert_error(past, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("expires_at")).await;
    let bad_time = post("{\"name\": \"x\", \"expires_at\": \"soon\"}").send().await.unwrap();
    assert_error(bad_time, StatusCode::BAD_REQUEST, "invalid_request_error", Some("expires_at")).await;
    let public_admin = post("{\"name\": \"x\", \"type\": \"publishable\", \"scopes\": [\"admin\"]}").send().await.unwrap();
    assert_error(public_admin, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("scopes")).await;
    assert_eq!(post("{\"name\": \"x\", \"unknown_field\": 1}").send().await.unwrap().status(), 201, "unknown fields are ignored");

    let r = call(&s, Method::POST, "/v1/api-keys", &admin).header("content-type", "text/plain").body("name=x").send().await.unwrap();
    assert_error(r, StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_request_error", None).await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(5_300_000));
    let r = call(&s, Method::POST, "/v1/api-keys", &admin).header("content-type", "application/json").body(huge).send().await.unwrap();
    assert_error(r, StatusCode::PAYLOAD_TOO_LARGE, "invalid_request_error", None).await;

    let r = call(&s, Method::GET, "/v1/nothing-here", &admin).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", None).await;
    let r = client().get(s.url("/no/such/path")).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", None).await;
    let r = call(&s, Method::PUT, "/v1/me", &admin).send().await.unwrap();
    assert_error(r, StatusCode::METHOD_NOT_ALLOWED, "invalid_request_error", None).await;
}

pub async fn idempotency_keys_replay_the_first_response(s: TestServer) {
    let (org, admin) = s.org_with_key(Tier::Scale).await;
    let create = |body: Value, key: &str| call(&s, Method::POST, "/v1/api-keys", &admin).header("idempotency-key", key).json(&body);
    let first = create(json!({"name": "once"}), "create-once").send().await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = create(json!({"name": "once"}), "create-once").send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first, "the very same response");

    let changed = create(json!({"name": "twice"}), "create-once").send().await.unwrap();
    assert_error(changed, StatusCode::CONFLICT, "conflict", Some("Idempotency-Key")).await;
    let other_path = call(&s, Method::DELETE, &format!("/v1/api-keys/{}", first["id"].as_str().unwrap()), &admin)
        .header("idempotency-key", "create-once")
        .send()
        .await
        .unwrap();
    assert_error(other_path, StatusCode::CONFLICT, "conflict", Some("Idempotency-Key")).await;
    let too_long = create(json!({"name": "x"}), &"k".repeat(256)).send().await.unwrap();
    assert_error(too_long, StatusCode::BAD_REQUEST, "invalid_request_error", Some("Idempotency-Key")).await;

    // Keys are per organization: another org may use the same key for its own request.
    let (_, other_admin) = s.org_with_key(Tier::Scale).await;
    let r = call(&s, Method::POST, "/v1/api-keys", &other_admin)
        .header("idempotency-key", "create-once")
        .json(&json!({"name": "once"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_ne!(r.json::<Value>().await.unwrap()["id"], first["id"]);

    // Concurrent repeats never act twice: one key is minted, whatever each repeat was told.
    let before = s.accounts.list_keys(&org.id, None, quarry_ports::Order::Asc, 100, None).await.unwrap().0.len();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let req = create(json!({"name": "raced"}), "race");
            tokio::spawn(async move { req.send().await.unwrap().status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{statuses:?}");
    let after = s.accounts.list_keys(&org.id, None, quarry_ports::Order::Asc, 100, None).await.unwrap().0.len();
    assert_eq!(after, before + 1);
}

pub async fn abandoned_idempotency_claims_expire(s: TestServer) {
    let clock = s.manual_clock.clone().expect("a manual clock");
    let store = IdempotencyStore::new(s.storage.table.clone(), s.clock.clone());
    let Claim::Proceed(_abandoned) = store.claim("ORG#org_x".into(), "k", "print").await.unwrap() else { panic!("first claim") };
    assert_eq!(store.claim("ORG#org_x".into(), "k", "print").await.unwrap(), Claim::InFlight);
    assert_eq!(store.claim("ORG#org_x".into(), "k", "other").await.unwrap(), Claim::Mismatch);
    clock.advance(Duration::from_secs(61));
    let Claim::Proceed(token) = store.claim("ORG#org_x".into(), "k", "print").await.unwrap() else { panic!("lease over: take over") };
    store.complete(token, quarry_shared::idempotency::StoredResponse::new(201, None, b"{}")).await.unwrap();
    assert!(matches!(store.claim("ORG#org_x".into(), "k", "print").await.unwrap(), Claim::Replay(r) if r.status == 201));
    clock.advance(Duration::from_secs(24 * 3600));
    assert!(matches!(store.claim("ORG#org_x".into(), "k", "other").await.unwrap(), Claim::Proceed(_)), "forgotten after 24 h");
}

pub async fn rate_limits_hold_per_organization(s: TestServer) {
    let clock = s.manual_clock.clone().expect("a manual clock");
    // Start at the beginning of a window so the test never straddles two.
    let now = clock.now();
    clock.set(now - chrono::Duration::seconds(now.timestamp() % 60) + chrono::Duration::seconds(60));
    let (_, starter) = s.org_with_key(Tier::Starter).await;
    let (_, other) = s.org_with_key(Tier::Starter).await;
    for i in 1..=60 {
        let r = call(&s, Method::GET, "/v1/me", &starter).send().await.unwrap();
        assert_eq!(r.status(), 200, "request {i}");
        assert_eq!(r.headers()["x-ratelimit-remaining"].to_str().unwrap(), (60 - i).to_string());
    }
    let r = call(&s, Method::GET, "/v1/me", &starter).send().await.unwrap();
    assert_eq!(r.headers()["retry-after"], "60");
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", None).await;
    assert_eq!(call(&s, Method::GET, "/v1/me", &other).send().await.unwrap().status(), 200, "another org has its own budget");
    clock.advance(Duration::from_secs(60));
    assert_eq!(call(&s, Method::GET, "/v1/me", &starter).send().await.unwrap().status(), 200, "next window");
}

/// Two instances counting in one table (two Lambdas) lease batches of the minute's budget: a
/// request costs a counter write once per batch, and together they never pass the limit.
pub async fn rate_limit_leases_hold_across_instances(s: TestServer) {
    use quarry_shared::ratelimit::{Bucket, RateLimiter};
    let clock = s.manual_clock.clone().expect("a manual clock");
    let now = clock.now();
    clock.set(now - chrono::Duration::seconds(now.timestamp() % 60) + chrono::Duration::seconds(60));
    let shared: quarry_ports::clock::SharedClock = clock.clone();
    let (a, b) = (RateLimiter::new(s.storage.table.clone(), shared.clone()), RateLimiter::new(s.storage.table.clone(), shared));
    let window = clock.now().timestamp().div_euclid(60);
    let counter = quarry_ports::Key::new("ORG#org_lease", format!("RATE#{window}"));
    let counted = || async { s.storage.table.get(&counter).await.unwrap().and_then(|item| item.i64("count")) };

    // A 60-a-minute limit leases three at a time: the first request writes 3, the next two nothing.
    for expected_remaining in [59, 58, 57] {
        let decision = a.hit("org_lease", Bucket::Secret, 60).await.unwrap();
        assert!(decision.allowed);
        assert_eq!(decision.remaining, expected_remaining, "one instance counts exactly");
        assert_eq!(counted().await, Some(3), "one write per batch");
    }
    let mut allowed = 3;
    for n in 0..120 {
        let limiter = if n % 2 == 0 { &b } else { &a };
        allowed += u32::from(limiter.hit("org_lease", Bucket::Secret, 60).await.unwrap().allowed);
    }
    assert_eq!(allowed, 60, "both instances spent their batches, and no more");
    assert_eq!(counted().await, Some(60), "the counter stops at the limit");
    let refused = a.hit("org_lease", Bucket::Secret, 60).await.unwrap();
    assert!(!refused.allowed && refused.remaining == 0 && refused.retry_after == 60, "{refused:?}");
    clock.advance(Duration::from_secs(60));
    assert!(b.hit("org_lease", Bucket::Secret, 60).await.unwrap().allowed, "the next minute has its own budget");
}

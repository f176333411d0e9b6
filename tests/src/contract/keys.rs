//! The key-rotation and artifact-sharing contract: `POST /v1/api-keys/{id}/rotate` (a new secret
//! once, the old key refused at once or after its grace period, the `api_key.rotated` event
//! recorded and delivered, idempotent replays, 404/409/422), and what a publishable key may see
//! of the artifacts (`PATCH /v1/artifacts/{id}`, `GET /v1/artifacts[/{id}]`). Over real HTTP on a
//! manual clock. Run on the embedded store (`tests/embedded/keys_embedded.rs`) and on AWS via moto
//! (`tests/aws/keys_aws.rs`).

use std::time::Duration;

use quarry_shared::accounts::{KeyKind, Mode, Scope, Tier, VERIFIED_KEY_TTL};
use quarry_shared::events::EventLog;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::api::{assert_error, call, client, json_of, post};
use super::jobs::{pending_job, until_ended};
use crate::fixtures::Receiver;
use crate::server::TestServer;

const FINTECH: &str = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.";

/// The status of `GET /v1/me` with `key`.
async fn me(s: &TestServer, key: &str) -> StatusCode {
    call(s, Method::GET, "/v1/me", key).send().await.unwrap().status()
}

/// `POST /v1/api-keys/{key_id}/rotate` with `body` (`None`: no body at all).
async fn rotate(s: &TestServer, admin: &str, key_id: &str, body: Option<Value>) -> reqwest::Response {
    let request = call(s, Method::POST, &format!("/v1/api-keys/{key_id}/rotate"), admin);
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

/// Mints a key through the API: its metadata and secret.
async fn mint(s: &TestServer, admin: &str, body: Value) -> (Value, String) {
    let created = json_of(post(s, admin, "/v1/api-keys", body).await, StatusCode::CREATED).await;
    let secret = created["secret"].as_str().unwrap().to_string();
    (created, secret)
}

/// The server's time `seconds` from now, as a request writes it.
fn in_seconds(s: &TestServer, seconds: i64) -> String {
    (s.clock.now() + chrono::Duration::seconds(seconds)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_string()
}

pub async fn rotation_mints_a_replacement_and_revokes_the_old_key(s: TestServer) {
    let clock = s.manual_clock.clone().expect("a manual clock");
    let (org, admin) = s.org_with_key(Tier::Scale).await;
    let expires = in_seconds(&s, 30 * 86_400);
    let (old, old_secret) = mint(&s, &admin, json!({"name": "ci", "scopes": ["read", "run"], "expires_at": expires})).await;
    assert_eq!(me(&s, &old_secret).await, 200, "in use (and so in the verified-key cache) before the rotation");

    let path = format!("/v1/api-keys/{}/rotate", id(&old));
    let first = call(&s, Method::POST, &path, &admin).header("idempotency-key", "rotate-ci").send().await.unwrap();
    let rotated = json_of(first, StatusCode::CREATED).await;
    let secret = rotated["secret"].as_str().expect("the new secret, this once").to_string();
    assert!(secret.starts_with("sk_test_") && secret != old_secret);
    assert_ne!(rotated["id"], old["id"]);
    for field in ["object", "name", "type", "mode", "scopes", "expires_at", "organization_id"] {
        assert_eq!(rotated[field], old[field], "the replacement keeps `{field}`");
    }
    assert!(rotated["revoked_at"].is_null() && rotated["replaced_by"].is_null());
    assert_eq!(rotated["replaced_key"]["id"], old["id"]);
    assert_eq!(rotated["replaced_key"]["replaced_by"], rotated["id"]);
    assert!(rotated["replaced_key"]["revoked_at"].is_string());
    assert!(rotated["replaced_key"].get("secret").is_none());

    assert_eq!(me(&s, &secret).await, 200, "the new secret works");
    let r = call(&s, Method::GET, "/v1/me", &old_secret).send().await.unwrap();
    let denied = assert_error(r, StatusCode::UNAUTHORIZED, "authentication_error", None).await;
    assert!(denied["error"]["message"].as_str().unwrap().contains("revoked"), "{denied}");

    // A retry with the same Idempotency-Key answers the same key and secret, and mints nothing.
    let again = call(&s, Method::POST, &path, &admin).header("idempotency-key", "rotate-ci").send().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(again, StatusCode::CREATED).await, rotated);
    let keys = json_of(call(&s, Method::GET, "/v1/api-keys?limit=100", &admin).send().await.unwrap(), StatusCode::OK).await;
    let named: Vec<&Value> = keys["data"].as_array().unwrap().iter().filter(|k| k["name"] == "ci").collect();
    assert_eq!(named.len(), 2, "the old key and one replacement: {keys}");
    assert!(named.iter().all(|k| k.get("secret").is_none()));
    let listed_old = named.iter().find(|k| k["id"] == old["id"]).unwrap();
    assert_eq!(listed_old["replaced_by"], rotated["id"]);

    // A revoked key, or one already rotated, is a conflict; a new Idempotency-Key changes nothing.
    let r = rotate(&s, &admin, &id(&old), None).await;
    assert_error(r, StatusCode::CONFLICT, "conflict", None).await;
    let revoked = id(&mint(&s, &admin, json!({"name": "gone"})).await.0);
    json_of(call(&s, Method::DELETE, &format!("/v1/api-keys/{revoked}"), &admin).send().await.unwrap(), StatusCode::OK).await;
    let r = rotate(&s, &admin, &revoked, Some(json!({}))).await;
    let body = assert_error(r, StatusCode::CONFLICT, "conflict", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("revoked"), "{body}");
    // So is an expired one (its replacement would be born expired).
    let soon = in_seconds(&s, 60);
    let expiring = id(&mint(&s, &admin, json!({"name": "short", "expires_at": soon})).await.0);
    clock.advance(Duration::from_secs(61));
    let body = assert_error(rotate(&s, &admin, &expiring, None).await, StatusCode::CONFLICT, "conflict", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("expired"), "{body}");

    // A publishable key is rotated into a publishable key.
    let (public, _) = mint(&s, &admin, json!({"name": "site", "type": "publishable"})).await;
    let rotated_public = json_of(rotate(&s, &admin, &id(&public), None).await, StatusCode::CREATED).await;
    assert!(rotated_public["secret"].as_str().unwrap().starts_with("pk_pub_"));
    assert_eq!(rotated_public["scopes"], json!(["read"]));

    // Another mode's key, another organization's, an unknown or malformed ID: 404.
    let live = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let live_id = json_of(call(&s, Method::GET, "/v1/me", &live).send().await.unwrap(), StatusCode::OK).await["api_key"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, stranger) = s.org_with_key(Tier::Scale).await;
    for key_id in [live_id.as_str(), &id(&rotated), "key_01HXA5Q6T9ZJ3N1V0B7K2M4P8R", "nonsense"] {
        let admin = if key_id == id(&rotated) { stranger.as_str() } else { admin.as_str() };
        assert_error(rotate(&s, admin, key_id, None).await, StatusCode::NOT_FOUND, "not_found", Some("key_id")).await;
    }
    assert_eq!(me(&s, &live).await, 200, "a failed rotation revokes nothing");

    // The grace period is bounded; only admin keys rotate.
    let (spare, _) = mint(&s, &admin, json!({"name": "spare"})).await;
    let r = rotate(&s, &admin, &id(&spare), Some(json!({"grace_period_seconds": 604_801}))).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("grace_period_seconds")).await;
    for bad in [json!({"grace_period_seconds": -1}), json!({"grace_period_seconds": "soon"})] {
        let r = rotate(&s, &admin, &id(&spare), Some(bad)).await;
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("grace_period_seconds")).await;
    }
    let reader = s.key(&org, KeyKind::Secret, Mode::Test, &[Scope::Read, Scope::Run]).await;
    assert_error(rotate(&s, &reader, &id(&spare), None).await, StatusCode::FORBIDDEN, "permission_error", None).await;
    let public = s.key(&org, KeyKind::Publishable, Mode::Test, &[Scope::Read]).await;
    assert_error(rotate(&s, &public, &id(&spare), None).await, StatusCode::FORBIDDEN, "permission_error", None).await;
    let untouched = json_of(call(&s, Method::GET, "/v1/api-keys?limit=100", &admin).send().await.unwrap(), StatusCode::OK).await;
    let spare_now = untouched["data"].as_array().unwrap().iter().find(|k| k["id"] == spare["id"]).unwrap().clone();
    assert!(spare_now["revoked_at"].is_null() && spare_now["replaced_by"].is_null(), "{spare_now}");
}

pub async fn a_grace_period_keeps_the_old_key_working_until_it_ends(s: TestServer) {
    let clock = s.manual_clock.clone().expect("a manual clock");
    let (_, admin) = s.org_with_key(Tier::Scale).await;
    let (old, old_secret) = mint(&s, &admin, json!({"name": "deploy"})).await;
    let rotated = json_of(rotate(&s, &admin, &id(&old), Some(json!({"grace_period_seconds": 30}))).await, StatusCode::CREATED).await;
    let secret = rotated["secret"].as_str().unwrap().to_string();
    let ends = chrono::DateTime::parse_from_rfc3339(rotated["replaced_key"]["revoked_at"].as_str().unwrap()).unwrap();
    assert_eq!(ends.timestamp() - s.clock.unix(), 30, "the old key stops when the grace period ends");

    assert_eq!(me(&s, &old_secret).await, 200, "both keys work during the grace period");
    assert_eq!(me(&s, &secret).await, 200);
    // Rotating it again while its replacement overlaps it is refused, naming the replacement.
    let body = assert_error(rotate(&s, &admin, &id(&old), None).await, StatusCode::CONFLICT, "conflict", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains(rotated["id"].as_str().unwrap()), "{body}");

    // Verified again at 29 s (the cache holds a key 10 s), the old key must still stop at 30 s.
    clock.advance(Duration::from_secs(29));
    assert_eq!(me(&s, &old_secret).await, 200, "a second before the end");
    clock.advance(Duration::from_secs(2));
    assert!(chrono::Duration::seconds(2) < VERIFIED_KEY_TTL, "the old key's cached copy is still fresh here");
    let r = call(&s, Method::GET, "/v1/me", &old_secret).send().await.unwrap();
    let denied = assert_error(r, StatusCode::UNAUTHORIZED, "authentication_error", None).await;
    assert!(denied["error"]["message"].as_str().unwrap().contains("revoked"), "{denied}");
    assert_eq!(me(&s, &secret).await, 200);
    assert_error(rotate(&s, &admin, &id(&old), None).await, StatusCode::CONFLICT, "conflict", None).await;

    // A revoke during the grace period cuts it short.
    let (other, other_secret) = mint(&s, &admin, json!({"name": "laptop"})).await;
    json_of(rotate(&s, &admin, &id(&other), Some(json!({"grace_period_seconds": 3600}))).await, StatusCode::CREATED).await;
    assert_eq!(me(&s, &other_secret).await, 200);
    let revoked =
        json_of(call(&s, Method::DELETE, &format!("/v1/api-keys/{}", id(&other)), &admin).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(chrono::DateTime::parse_from_rfc3339(revoked["revoked_at"].as_str().unwrap()).unwrap().timestamp(), s.clock.unix());
    assert_error(
        call(&s, Method::GET, "/v1/me", &other_secret).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "authentication_error",
        None,
    )
    .await;
}

pub async fn rotations_are_recorded_and_delivered(s: TestServer) {
    let (org, admin) = s.org_with_key(Tier::Scale).await;
    let receiver = Receiver::start().await;
    let endpoint = json_of(
        post(&s, &admin, "/v1/webhooks", json!({"url": receiver.url("keys"), "events": ["api_key.rotated"]})).await,
        StatusCode::CREATED,
    )
    .await;
    let (old, _) = mint(&s, &admin, json!({"name": "ci", "scopes": ["read"]})).await;
    let rotated = json_of(rotate(&s, &admin, &id(&old), Some(json!({"grace_period_seconds": 60}))).await, StatusCode::CREATED).await;
    let secret = rotated["secret"].as_str().unwrap();

    let events = EventLog::new(s.storage.table.as_ref()).all(&org.id).await.unwrap();
    let recorded: Vec<_> = events.iter().filter(|e| e.kind.as_str() == "api_key.rotated").collect();
    assert_eq!(recorded.len(), 1, "{events:?}");
    let event = serde_json::to_value(recorded[0]).unwrap();
    assert_eq!(event["livemode"], false, "a test key's rotation is a test-mode event");
    let object = &event["data"]["object"];
    assert_eq!(object["id"], rotated["id"]);
    assert_eq!(object["object"], "api_key");
    assert_eq!(object["replaced_key"]["id"], old["id"]);
    assert_eq!(object["replaced_key"]["revoked_at"], rotated["replaced_key"]["revoked_at"]);
    assert_eq!(object["scopes"], json!(["read"]));
    assert!(!event.to_string().contains(secret) && object.get("secret").is_none(), "never a secret: {event}");

    let delivered = receiver.wait_for("keys", |r| !r.is_empty()).await;
    assert_eq!(delivered.len(), 1);
    assert!(super::webhooks::signed_by(&delivered[0], endpoint["signing_secret"].as_str().unwrap()));
    let payload = delivered[0].json();
    assert_eq!(payload["type"], "api_key.rotated");
    assert_eq!(payload["id"], event["id"]);
    assert_eq!(payload["data"]["object"], *object);
}

/// A finished 5-row test job's artifact ID.
async fn artifact_of_a_job(s: &TestServer, key: &str) -> (String, String, String) {
    let (thread, posted) = pending_job(s, key, FINTECH, json!({"max_rows": 5})).await;
    let job = posted["job"]["id"].as_str().unwrap().to_string();
    json_of(post(s, key, &format!("/v1/jobs/{job}/approve"), json!({})).await, StatusCode::OK).await;
    let ended = until_ended(s, key, &job).await;
    (thread, job, ended["artifact"]["id"].as_str().expect("an artifact").to_string())
}

async fn get_json(s: &TestServer, key: &str, path: &str) -> reqwest::Response {
    call(s, Method::GET, path, key).header("accept", "application/json").send().await.unwrap()
}

async fn listed(s: &TestServer, key: &str) -> Vec<String> {
    let page = json_of(get_json(s, key, "/v1/artifacts?limit=100").await, StatusCode::OK).await;
    page["data"].as_array().unwrap().iter().map(id).collect()
}

async fn share(s: &TestServer, key: &str, artifact: &str, shareable: bool) -> reqwest::Response {
    call(s, Method::PATCH, &format!("/v1/artifacts/{artifact}"), key).json(&json!({"shareable": shareable})).send().await.unwrap()
}

pub async fn publishable_keys_see_only_shareable_artifacts(s: TestServer) {
    let (org, admin) = s.org_with_key(Tier::Scale).await;
    let public = s.key(&org, KeyKind::Publishable, Mode::Test, &[Scope::Read]).await;
    let (_, first_job, first) = artifact_of_a_job(&s, &admin).await;
    let (_, _, second) = artifact_of_a_job(&s, &admin).await;

    // A secret key lists its mode's artifacts, newest job first; a publishable key none yet.
    assert_eq!(listed(&s, &admin).await, [second.clone(), first.clone()]);
    let oldest_first = json_of(get_json(&s, &admin, "/v1/artifacts?order=asc&limit=1").await, StatusCode::OK).await;
    assert_eq!(oldest_first["data"][0]["id"], first.as_str());
    let cursor = oldest_first["next_cursor"].as_str().expect("a second page").to_string();
    let rest = json_of(get_json(&s, &admin, &format!("/v1/artifacts?order=asc&limit=1&cursor={cursor}")).await, StatusCode::OK).await;
    assert_eq!(rest["data"][0]["id"], second.as_str());
    assert!(rest["data"][0]["shareable"] == false && rest["data"][0]["download_url"].is_null());
    assert!(listed(&s, &public).await.is_empty());
    let r = get_json(&s, &public, &format!("/v1/artifacts/{first}")).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("artifact_id")).await;

    // Sharing is for admin keys, and names what is wrong with a bad body.
    let reader = s.key(&org, KeyKind::Secret, Mode::Test, &[Scope::Read, Scope::Run]).await;
    assert_error(share(&s, &reader, &first, true).await, StatusCode::FORBIDDEN, "permission_error", None).await;
    assert_error(share(&s, &public, &first, true).await, StatusCode::FORBIDDEN, "permission_error", None).await;
    for bad in [json!({}), json!({"shareable": "yes"})] {
        let r = call(&s, Method::PATCH, &format!("/v1/artifacts/{first}"), &admin).json(&bad).send().await.unwrap();
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("shareable")).await;
    }
    let r = share(&s, &admin, "art_01HXA5Q6T9ZJ3N1V0B7K2M4P8R", true).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("artifact_id")).await;
    let patch = |key: &str| call(&s, Method::PATCH, &format!("/v1/artifacts/{first}"), key).header("idempotency-key", "share-first");
    let shared = json_of(patch(&admin).json(&json!({"shareable": true})).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(shared["shareable"], true);
    assert_eq!(shared["id"], first.as_str());
    assert!(shared["download_url"].is_string());
    let replay = patch(&admin).json(&json!({"shareable": true})).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");

    // Now the publishable key lists and reads exactly that one, download link included.
    assert_eq!(listed(&s, &public).await, [first.as_str()]);
    let read = json_of(get_json(&s, &public, &format!("/v1/artifacts/{first}")).await, StatusCode::OK).await;
    assert_eq!(read["shareable"], true);
    assert_eq!(read["job_id"], first_job.as_str());
    let csv = client().get(read["download_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.text().await.unwrap().lines().count() > 1, "the CSV, rows and all");
    let followed = call(&s, Method::GET, &format!("/v1/artifacts/{first}?format=json"), &public).send().await.unwrap();
    assert_eq!(followed.status(), 200, "without Accept: application/json, the redirect to the file");
    assert!(followed.json::<Vec<Value>>().await.unwrap().len() >= 5);
    let r = get_json(&s, &public, &format!("/v1/artifacts/{second}")).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("artifact_id")).await;
    assert_eq!(json_of(get_json(&s, &admin, &format!("/v1/artifacts/{first}")).await, StatusCode::OK).await["shareable"], true);

    // Another mode's publishable key, and another organization's, see nothing of it.
    let live_public = s.key(&org, KeyKind::Publishable, Mode::Live, &[Scope::Read]).await;
    let stranger = {
        let other = s.org(Tier::Scale).await;
        s.key(&other, KeyKind::Publishable, Mode::Test, &[Scope::Read]).await
    };
    for outsider in [&live_public, &stranger] {
        assert!(listed(&s, outsider).await.is_empty());
        let r = get_json(&s, outsider, &format!("/v1/artifacts/{first}")).await;
        assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("artifact_id")).await;
    }
    let live_admin = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    assert!(listed(&s, &live_admin).await.is_empty(), "a live key lists live artifacts only");
    assert_error(share(&s, &live_admin, &first, false).await, StatusCode::NOT_FOUND, "not_found", Some("artifact_id")).await;

    // Every other route still refuses publishable keys.
    for path in [
        format!("/v1/jobs/{first_job}"),
        format!("/v1/jobs/{first_job}/leads"),
        "/v1/threads".into(),
        "/v1/leads".into(),
        "/v1/api-keys".into(),
    ] {
        assert_error(get_json(&s, &public, &path).await, StatusCode::FORBIDDEN, "permission_error", None).await;
    }

    // Unshared, it is gone from the publishable key's list and reads again.
    assert_eq!(json_of(share(&s, &admin, &first, false).await, StatusCode::OK).await["shareable"], false);
    assert!(listed(&s, &public).await.is_empty());
    let r = get_json(&s, &public, &format!("/v1/artifacts/{first}")).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("artifact_id")).await;
    assert_eq!(listed(&s, &admin).await.len(), 2, "secret keys still list it");
}

pub async fn deleting_a_thread_unshares_its_artifacts(s: TestServer) {
    let (org, admin) = s.org_with_key(Tier::Scale).await;
    let public = s.key(&org, KeyKind::Publishable, Mode::Test, &[Scope::Read]).await;
    let (thread, _, doomed) = artifact_of_a_job(&s, &admin).await;
    let (_, _, kept) = artifact_of_a_job(&s, &admin).await;
    for artifact in [&doomed, &kept] {
        json_of(share(&s, &admin, artifact, true).await, StatusCode::OK).await;
    }
    assert_eq!(listed(&s, &public).await, [kept.clone(), doomed.clone()]);

    json_of(call(&s, Method::DELETE, &format!("/v1/threads/{thread}"), &admin).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(listed(&s, &public).await, [kept.as_str()], "withdrawn at once, before the cascade runs");
    let r = get_json(&s, &public, &format!("/v1/artifacts/{doomed}")).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("artifact_id")).await;
    assert_error(share(&s, &admin, &doomed, true).await, StatusCode::NOT_FOUND, "not_found", Some("artifact_id")).await;

    // The cascade then removes the record itself.
    for _ in 0..300 {
        if !listed(&s, &admin).await.contains(&doomed) {
            assert_eq!(listed(&s, &public).await, [kept.as_str()]);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the cascade never removed {doomed}");
}

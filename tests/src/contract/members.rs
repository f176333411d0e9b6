//! The members contract: invitations by email with a role, redeeming one for an active member
//! and a key of the role's scopes, `/v1/me` naming the member, usage grouped by member, and
//! removal revoking the member's keys. On a manual clock (invitations expire). Run on the
//! embedded store (`tests/embedded/members_embedded.rs`) and on AWS via moto
//! (`tests/aws/members_aws.rs`).

use std::time::Duration;

use quarry_shared::accounts::{KeyKind, Mode, Scope, Tier};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::api::{assert_error, call, client, json_of, post};
use super::billing::{run_seeded_job, seed_site};
use super::jobs::get;
use crate::server::TestServer;

async fn accept(s: &TestServer, body: Value) -> reqwest::Response {
    client().post(s.url("/v1/invitations/accept")).json(&body).send().await.unwrap()
}

pub async fn members_are_invited_join_and_are_removed(s: TestServer) {
    let org = s.org(Tier::Scale).await;
    let admin = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let invite = |body: Value, idempotency: &'static str| {
        call(&s, Method::POST, "/v1/members", &admin).header("idempotency-key", idempotency).json(&body).send()
    };
    let invited =
        json_of(invite(json!({"email": " Ada@Example.com ", "role": "member", "name": "Ada"}), "ada").await.unwrap(), StatusCode::CREATED)
            .await;
    assert_eq!(invited["object"], "member");
    assert!(invited["id"].as_str().unwrap().starts_with("mem_"), "{invited}");
    assert_eq!(
        (invited["email"].as_str(), invited["role"].as_str(), invited["status"].as_str()),
        (Some("ada@example.com"), Some("member"), Some("invited"))
    );
    let token = invited["invitation"]["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("inv_") && token.len() > 40, "{invited}");
    let replay =
        json_of(invite(json!({"email": " Ada@Example.com ", "role": "member", "name": "Ada"}), "ada").await.unwrap(), StatusCode::CREATED)
            .await;
    assert_eq!(replay, invited, "a retried invitation replays the same token");

    let r = post(&s, &admin, "/v1/members", json!({"email": "ada@example.com"})).await;
    assert_error(r, StatusCode::CONFLICT, "conflict", None).await;
    let r = post(&s, &admin, "/v1/members", json!({"email": "not-an-address"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("email")).await;
    let runner = s.key(&org, KeyKind::Secret, Mode::Live, &[Scope::Read, Scope::Run]).await;
    assert_error(
        post(&s, &runner, "/v1/members", json!({"email": "bob@example.com"})).await,
        StatusCode::FORBIDDEN,
        "permission_error",
        None,
    )
    .await;
    let listed = get(&s, &admin, "/v1/members").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["id"], invited["id"]);

    // Redeeming needs no key; the token redeems once.
    assert_error(accept(&s, json!({"token": "inv_nope"})).await, StatusCode::NOT_FOUND, "not_found", Some("token")).await;
    let joined = json_of(accept(&s, json!({"token": token, "key_name": "Ada's laptop"})).await, StatusCode::CREATED).await;
    assert_eq!(joined["member"]["status"], "active");
    assert!(joined["member"]["joined_at"].is_string());
    assert_eq!(joined["api_key"]["member_id"], invited["id"]);
    assert_eq!(joined["api_key"]["name"], "Ada's laptop");
    assert_eq!(joined["api_key"]["mode"], "live", "the mode of the key that invited");
    assert_eq!(joined["api_key"]["scopes"], json!(["read", "run", "integrations"]));
    // A retry (the first answer lost on the way) gets the same key, not a second one.
    let again = json_of(accept(&s, json!({"token": token})).await, StatusCode::CREATED).await;
    assert_eq!(again, joined, "the redeemed token answers what it made");
    let secret = joined["secret"].as_str().unwrap().to_string();
    let me = get(&s, &secret, "/v1/me").await;
    assert_eq!(me["user"]["id"], invited["id"], "{me}");
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert!(get(&s, &admin, "/v1/me").await["user"].is_null(), "a key of no member names no user");
    assert_error(
        post(&s, &secret, "/v1/members", json!({"email": "x@example.com"})).await,
        StatusCode::FORBIDDEN,
        "permission_error",
        None,
    )
    .await;

    // What the member's key runs is billed to them.
    let site = seed_site(150).await;
    run_seeded_job(&s, &secret, &site, json!({})).await;
    let by_member = get(&s, &admin, "/v1/usage?group_by=member").await;
    assert_eq!(by_member["groups"], json!([{"key": invited["id"], "credits_used": 100, "jobs": 1}]), "{by_member}");
    let ledger = get(&s, &admin, "/v1/credits/usage").await;
    assert_eq!(ledger["data"][0]["member_id"], invited["id"], "{ledger}");

    // Removing the member revokes their keys.
    let member_id = invited["id"].as_str().unwrap();
    let removed =
        json_of(call(&s, Method::DELETE, &format!("/v1/members/{member_id}"), &admin).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(removed["id"], member_id);
    // Another process may trust the key for the verified-key cache's 10 s; this one drops it.
    let r = call(&s, Method::GET, "/v1/me", &secret).send().await.unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "authentication_error", None).await;
    assert!(get(&s, &admin, "/v1/members").await["data"].as_array().unwrap().is_empty());
    let again = call(&s, Method::DELETE, &format!("/v1/members/{member_id}"), &admin).send().await.unwrap();
    assert_error(again, StatusCode::NOT_FOUND, "not_found", Some("member_id")).await;
    let malformed = call(&s, Method::DELETE, "/v1/members/mem_x", &admin).send().await.unwrap();
    assert_error(malformed, StatusCode::NOT_FOUND, "not_found", Some("member_id")).await;
    // The address may be invited again.
    json_of(post(&s, &admin, "/v1/members", json!({"email": "ada@example.com", "role": "viewer"})).await, StatusCode::CREATED).await;
}

pub async fn invitations_expire_after_a_week(s: TestServer) {
    let clock = s.manual_clock.clone().expect("a manual clock");
    let (_, admin) = s.org_with_key(Tier::Scale).await;
    let invited =
        json_of(post(&s, &admin, "/v1/members", json!({"email": "late@example.com", "role": "viewer"})).await, StatusCode::CREATED).await;
    let token = invited["invitation"]["token"].as_str().unwrap();
    clock.advance(Duration::from_secs(7 * 86_400 + 1));
    assert_error(accept(&s, json!({"token": token})).await, StatusCode::NOT_FOUND, "not_found", Some("token")).await;
    let r = accept(&s, json!({"key_name": "no token"})).await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("token")).await;
}

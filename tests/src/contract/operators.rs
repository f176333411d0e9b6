//! The operator contract: limit overrides an operator sets on an organization (as `quarry org
//! set` does) show in `/v1/me` and `/v1/organization` beside the limits they change and are what
//! the rate limiter, approvals, the plan quota and the stream limit enforce; deleting an
//! organization (as `quarry org delete` does) removes everything it owns and leaves the others
//! alone. Run on the embedded store (`tests/embedded/operators_embedded.rs`) and on AWS via moto
//! (`tests/aws/operators_aws.rs`), on a manual clock.

use std::time::Duration;

use quarry_ports::clock::Clock;
use quarry_ports::{Query, Table};
use quarry_shared::accounts::{
    Accounts, AuthFailure, AuthOutcome, KeyKind, Limit, Mode, Organization, OrganizationChanges, Scope, Tier, VERIFIED_KEY_TTL,
};
use quarry_shared::leads::index::LeadIndex;
use quarry_shared::leads::store::job_data_partition;
use quarry_shared::leads::{archive, LeadDraft};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::api::{assert_error, call, client, json_of, post};
use super::jobs::{all_leads, get, pending_job, until_ended};
use crate::server::TestServer;

const FINTECH: &str = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.";

/// Sets overrides as the operator writes them (`("requests_per_minute", "100")`, `"default"`).
async fn set_limits(s: &TestServer, org: &Organization, limits: &[(Limit, &str)]) -> Organization {
    let overrides = limits.iter().map(|(limit, raw)| limit.parse_change(raw).unwrap()).collect();
    s.change_org(&org.id, &OrganizationChanges { overrides, ..Default::default() }).await
}

/// A fresh all-scopes test key of `org`: verified afresh, so it sees the organization as stored.
async fn fresh_key(s: &TestServer, org: &Organization) -> String {
    s.key(org, KeyKind::Secret, Mode::Test, &Scope::ALL).await
}

/// Moves the manual clock to the start of the next minute, so a test never straddles two
/// rate-limit windows.
fn start_of_a_minute(s: &TestServer) {
    let clock = s.manual_clock.clone().expect("a manual clock");
    let now = clock.now();
    clock.set(now - chrono::Duration::seconds(now.timestamp() % 60) + chrono::Duration::seconds(60));
}

async fn me(s: &TestServer, key: &str) -> Value {
    json_of(call(s, Method::GET, "/v1/me", key).send().await.unwrap(), StatusCode::OK).await
}

pub async fn limit_overrides_show_in_me_and_the_organization(s: TestServer) {
    let org = s.org(Tier::Starter).await;
    let old_key = fresh_key(&s, &org).await;
    let before = me(&s, &old_key).await;
    assert_eq!(
        before["organization"]["limits"],
        json!({"requests_per_minute": 60, "concurrent_jobs": 1, "plans_per_day": 200, "sse_connections": 5})
    );
    assert_eq!(before["organization"]["overrides"], Value::Null, "nothing overridden: null");

    set_limits(&s, &org, &[(Limit::RequestsPerMinute, "10000"), (Limit::PlansPerDay, "unlimited")]).await;
    let key = fresh_key(&s, &org).await;
    let shown = me(&s, &key).await["organization"].clone();
    assert_eq!(shown["tier"], "starter", "the tier stays what it was");
    assert_eq!(shown["limits"], json!({"requests_per_minute": 10000, "concurrent_jobs": 1, "plans_per_day": null, "sse_connections": 5}));
    assert_eq!(
        shown["overrides"],
        json!({"requests_per_minute": 10000, "concurrent_jobs": null, "plans_per_day": "unlimited", "sse_connections": null})
    );
    let organization = json_of(call(&s, Method::GET, "/v1/organization", &key).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(organization, shown, "/v1/organization is the same object");

    // A server that verified a key before the change (another process ran `quarry org set`) sees
    // the change once its cache of verified keys lapses.
    s.manual_clock.as_ref().unwrap().advance(VERIFIED_KEY_TTL.to_std().unwrap() + Duration::from_secs(1));
    assert_eq!(me(&s, &old_key).await["organization"]["limits"]["requests_per_minute"], 10000);

    // `default` puts the tier's value back; clearing the last override leaves none.
    set_limits(&s, &org, &[(Limit::RequestsPerMinute, "default")]).await;
    let shown = me(&s, &fresh_key(&s, &org).await).await["organization"].clone();
    assert_eq!(shown["limits"]["requests_per_minute"], 60);
    assert_eq!(shown["overrides"]["requests_per_minute"], Value::Null);
    assert_eq!(shown["overrides"]["plans_per_day"], "unlimited");
    set_limits(&s, &org, &[(Limit::PlansPerDay, "default")]).await;
    let shown = me(&s, &fresh_key(&s, &org).await).await["organization"].clone();
    assert_eq!(shown["overrides"], Value::Null);
    assert_eq!(shown["limits"]["plans_per_day"], 200);
}

/// A requests-per-minute override above the tier's lets more through; one below it answers 429
/// sooner. `X-RateLimit-Limit` shows the override either way.
pub async fn a_requests_per_minute_override_replaces_the_tiers(s: TestServer) {
    start_of_a_minute(&s);
    let raised = s.org(Tier::Starter).await;
    set_limits(&s, &raised, &[(Limit::RequestsPerMinute, "100")]).await;
    let lowered = s.org(Tier::Scale).await;
    set_limits(&s, &lowered, &[(Limit::RequestsPerMinute, "5")]).await;
    for (org, limit) in [(raised, 100), (lowered, 5)] {
        let key = fresh_key(&s, &org).await;
        for i in 1..=limit {
            let r = call(&s, Method::GET, "/v1/me", &key).send().await.unwrap();
            assert_eq!(r.status(), 200, "request {i} of {limit}");
            assert_eq!(r.headers()["x-ratelimit-limit"].to_str().unwrap(), limit.to_string());
            assert_eq!(r.headers()["x-ratelimit-remaining"].to_str().unwrap(), (limit - i).to_string());
        }
        let r = call(&s, Method::GET, "/v1/me", &key).send().await.unwrap();
        assert_eq!(r.headers()["x-ratelimit-limit"].to_str().unwrap(), limit.to_string());
        assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", None).await;
    }
}

/// Approval holds the organization to its concurrent-jobs override, above or below the tier's.
pub async fn a_concurrent_jobs_override_replaces_the_tiers(s: TestServer) {
    let raised = s.org(Tier::Starter).await;
    // The polling below needs more than Starter's 60 requests of a minute that does not pass.
    set_limits(&s, &raised, &[(Limit::ConcurrentJobs, "2"), (Limit::RequestsPerMinute, "10000")]).await;
    let lowered = s.org(Tier::Scale).await;
    set_limits(&s, &lowered, &[(Limit::ConcurrentJobs, "1")]).await;
    for (org, limit) in [(raised, 2), (lowered, 1)] {
        let key = fresh_key(&s, &org).await;
        let mut jobs = Vec::new();
        for _ in 0..=limit {
            let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 10000})).await;
            jobs.push(posted["job"]["id"].as_str().unwrap().to_string());
        }
        for job in &jobs[..limit] {
            json_of(post(&s, &key, &format!("/v1/jobs/{job}/approve"), json!({})).await, StatusCode::OK).await;
        }
        let r = post(&s, &key, &format!("/v1/jobs/{}/approve", jobs[limit]), json!({})).await;
        let body = assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", None).await;
        assert!(body["error"]["message"].as_str().unwrap().contains(&format!("at most {limit} job")), "{body}");
        for job in &jobs[..limit] {
            json_of(post(&s, &key, &format!("/v1/jobs/{job}/stop"), json!({})).await, StatusCode::OK).await;
            until_ended(&s, &key, job).await;
        }
    }
}

/// A plans-per-day override below the tier's ends the day's drafting sooner; `unlimited` lifts
/// the quota altogether, even past what was already counted.
pub async fn a_plans_per_day_override_replaces_the_tiers(s: TestServer) {
    let org = s.org(Tier::Scale).await;
    set_limits(&s, &org, &[(Limit::PlansPerDay, "2")]).await;
    let key = fresh_key(&s, &org).await;
    assert_eq!(me(&s, &key).await["organization"]["limits"]["plans_per_day"], 2);
    let thread = json_of(post(&s, &key, "/v1/threads", json!({})).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string();
    let message = || json!({"content": FINTECH});
    for _ in 0..2 {
        json_of(post(&s, &key, &format!("/v1/threads/{thread}/messages"), message()).await, StatusCode::CREATED).await;
    }
    let r = post(&s, &key, &format!("/v1/threads/{thread}/messages"), message()).await;
    let body = assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("2 plans"), "{body}");

    set_limits(&s, &org, &[(Limit::PlansPerDay, "unlimited")]).await;
    let key = fresh_key(&s, &org).await;
    assert_eq!(me(&s, &key).await["organization"]["limits"]["plans_per_day"], Value::Null);
    for _ in 0..2 {
        json_of(post(&s, &key, &format!("/v1/threads/{thread}/messages"), message()).await, StatusCode::CREATED).await;
    }
}

/// The stream limit follows the organization's SSE override.
pub async fn an_sse_connections_override_replaces_the_tiers(s: TestServer) {
    let org = s.org(Tier::Starter).await;
    set_limits(&s, &org, &[(Limit::SseConnections, "7")]).await;
    let key = fresh_key(&s, &org).await;
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({})).await;
    let path = format!("/v1/jobs/{}/stream", posted["job"]["id"].as_str().unwrap());
    let mut open = Vec::new();
    for i in 0..7 {
        let r = call(&s, Method::GET, &path, &key).send().await.unwrap();
        assert_eq!(r.status(), 200, "stream {i}: Starter's 5 are raised to 7");
        open.push(r);
    }
    let r = call(&s, Method::GET, &path, &key).send().await.unwrap();
    let body = assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("7 open streams"), "{body}");
    drop(open);
}

/// What an organization holds after some use: a finished job with its artifact, a finished
/// export, a lead in the lead index, a kept page, and (for the one to delete) a job still running.
struct Used {
    org: Organization,
    key: String,
    finished_job: String,
    leads: usize,
    artifact_url: String,
    export_url: String,
    domain: String,
    page: quarry_ports::BlobKey,
}

async fn use_organization(s: &TestServer) -> Used {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let (_, posted) = pending_job(s, &key, FINTECH, json!({"max_rows": 30})).await;
    let finished_job = posted["job"]["id"].as_str().unwrap().to_string();
    json_of(post(s, &key, &format!("/v1/jobs/{finished_job}/approve"), json!({})).await, StatusCode::OK).await;
    let job = until_ended(s, &key, &finished_job).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let leads = all_leads(s, &key, &finished_job, "").await.len();
    let artifact = get(s, &key, &format!("/v1/artifacts/{}", job["artifact"]["id"].as_str().unwrap())).await;
    let artifact_url = artifact["download_url"].as_str().unwrap().to_string();

    let started = json_of(post(s, &key, "/v1/leads/export", json!({"format": "csv"})).await, StatusCode::ACCEPTED).await;
    let mut export = Value::Null;
    for _ in 0..300 {
        export = get(s, &key, &format!("/v1/exports/{}", started["id"].as_str().unwrap())).await;
        if export["status"] != "processing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(export["status"], "completed", "{export}");
    let export_url = export["download_url"].as_str().unwrap().to_string();

    let domain = format!("{}.example", org.id.to_ascii_lowercase());
    let url = format!("https://{domain}/about");
    let now = quarry_ports::clock::Timestamp::from(s.clock.now());
    let draft: LeadDraft = serde_json::from_value(json!({
        "company": {"name": "Acme", "domain": domain},
        "person": null,
        "fields": {},
        "sources": [{"kind": "web", "url": url, "retrieved_at": now, "fields": ["company.name"]}],
    }))
    .unwrap();
    LeadIndex::new(s.storage.table.as_ref()).absorb(&org.id, &draft).await.unwrap();
    archive::keep(s.storage.blobs.as_ref(), &org.id, &[(url.clone(), "<h1>Acme</h1>".into())], now).await.unwrap();
    let page = archive::page_key(&org.id, &url, now).unwrap();
    Used { org, key, finished_job, leads, artifact_url, export_url, domain, page }
}

async fn download_status(url: &str) -> StatusCode {
    client().get(url).send().await.unwrap().status()
}

async fn is_empty(table: &dyn Table, query: Query) -> bool {
    table.query(query.limit(1)).await.unwrap().items.is_empty()
}

/// Deleting an organization removes every item of its partition, its jobs' partitions, its lead
/// pointers and lead index, its keys' lookups and its files, and takes it off the list of
/// organizations; its keys answer 401. Another organization keeps all of its own.
pub async fn deleting_an_organization_removes_its_data(s: TestServer) {
    let doomed = use_organization(&s).await;
    let kept = use_organization(&s).await;
    // A job still running when the organization goes: its runner must not leave leads behind.
    let (_, posted) = pending_job(&s, &doomed.key, FINTECH, json!({"max_rows": 10000})).await;
    let running = posted["job"]["id"].as_str().unwrap().to_string();
    json_of(post(&s, &doomed.key, &format!("/v1/jobs/{running}/approve"), json!({})).await, StatusCode::OK).await;
    let table = s.storage.table.as_ref();
    let org_id = doomed.org.id.clone();
    for partition in [format!("ORG#{org_id}"), job_data_partition(&org_id, &doomed.finished_job), format!("LEADID#{org_id}")] {
        assert!(!is_empty(table, Query::partition(partition.clone())).await, "{partition} holds items before");
    }
    assert_eq!(download_status(&doomed.artifact_url).await, StatusCode::OK);
    assert!(s.storage.blobs.get(&doomed.page).await.unwrap().is_some());

    let deleted = s.delete_org(&org_id, Duration::from_secs(5)).await.expect("the organization existed");
    assert!(deleted.deleted && deleted.id == org_id);
    assert_eq!((deleted.keys, deleted.jobs), (1, 2), "{deleted:?}");
    assert!(deleted.items > doomed.leads as u64 && deleted.blobs >= 3, "{deleted:?}");

    // The server's cache of verified keys lapses as it would beside `quarry org delete`.
    s.manual_clock.as_ref().unwrap().advance(VERIFIED_KEY_TTL.to_std().unwrap() + Duration::from_secs(1));
    let r = call(&s, Method::GET, "/v1/me", &doomed.key).send().await.unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "authentication_error", None).await;
    match Accounts::new(s.storage.table.clone(), s.clock.clone()).authenticate(Some(&doomed.key)).await {
        Err(AuthOutcome::Denied(AuthFailure::Unknown)) => {}
        other => panic!("the key's lookup is gone, got {:?}", other.map(|p| p.key.id)),
    }
    for partition in [
        format!("ORG#{org_id}"),
        job_data_partition(&org_id, &doomed.finished_job),
        job_data_partition(&org_id, &running),
        format!("LEADID#{org_id}"),
        format!("LIDX#{org_id}"),
    ] {
        assert!(is_empty(table, Query::partition(partition.clone())).await, "{partition} is empty");
    }
    for mode in ["test", "live"] {
        assert!(is_empty(table, Query::gsi1(format!("LEADS#{org_id}#{mode}"))).await, "no lead of it is left in the lead views");
    }
    assert!(LeadIndex::new(table).company(&org_id, &doomed.domain).await.unwrap().is_none());
    let listed: Vec<String> = s.accounts.organizations().await.unwrap().into_iter().map(|o| o.id).collect();
    assert!(!listed.contains(&org_id) && listed.contains(&kept.org.id), "{listed:?}");
    assert_eq!(download_status(&doomed.artifact_url).await, StatusCode::NOT_FOUND, "the artifact file is gone");
    assert_eq!(download_status(&doomed.export_url).await, StatusCode::NOT_FOUND, "the export file is gone");
    assert!(s.storage.blobs.get(&doomed.page).await.unwrap().is_none(), "the kept page is gone");
    assert!(s.delete_org(&org_id, Duration::ZERO).await.is_none(), "a deleted organization is not there to delete again");

    // The other organization has everything it had.
    assert_eq!(me(&s, &kept.key).await["organization"]["id"], kept.org.id.as_str());
    assert_eq!(get(&s, &kept.key, &format!("/v1/jobs/{}", kept.finished_job)).await["status"], "succeeded");
    assert_eq!(all_leads(&s, &kept.key, &kept.finished_job, "").await.len(), kept.leads);
    assert_eq!(download_status(&kept.artifact_url).await, StatusCode::OK);
    assert_eq!(download_status(&kept.export_url).await, StatusCode::OK);
    assert!(LeadIndex::new(table).company(&kept.org.id, &kept.domain).await.unwrap().is_some());
    assert!(s.storage.blobs.get(&kept.page).await.unwrap().is_some());
}

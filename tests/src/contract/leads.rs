//! The scrape and leads contract: `POST /v1/scrape` over the fixture web (robots.txt, sitemaps,
//! options, counters, billing, cancel), and the organization's lead store (`/v1/leads` filters,
//! sorts and pages, PATCH, DELETE, exports). Run on the embedded store
//! (`tests/leads_embedded.rs`) and on AWS via moto (`tests/leads_aws.rs`).

use std::collections::HashSet;

use quarry_shared::accounts::{KeyKind, Mode, Scope, Tier};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::api::{assert_error, call, json_of, post};
use super::jobs::{all_leads, get, until_ended};
use crate::fixtures::FixtureWeb;
use crate::server::TestServer;

/// The fixture web's ground truth.
fn ground_truth() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/web/ground_truth.json");
    serde_json::from_slice(&std::fs::read(path).expect("ground truth")).unwrap()
}

/// `(url, page truth)` of every page of the fixture web, disallowed ones included.
fn fixture_pages(web: &FixtureWeb) -> Vec<(String, Value)> {
    let truth = ground_truth();
    let mut pages = Vec::new();
    for site in truth["sites"].as_array().unwrap() {
        let home = web.home(site["domain"].as_str().unwrap());
        for page in site["pages"].as_array().unwrap() {
            let path = page["path"].as_str().unwrap().trim_end_matches("index.html");
            pages.push((format!("{home}{path}"), page.clone()));
        }
    }
    pages
}

/// Every email a lead states, wherever it is (person, company addresses).
fn emails_of(lead: &Value) -> Vec<String> {
    let mut out: Vec<String> = lead["person"]["email"].as_str().map(str::to_string).into_iter().collect();
    if let Some(list) = lead["fields"]["emails"].as_array() {
        out.extend(list.iter().filter_map(|e| e.as_str().map(str::to_string)));
    }
    out
}

fn strings(values: &Value) -> Vec<String> {
    values.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// Precision and recall of `found` against `expected`.
fn precision_recall(found: &HashSet<String>, expected: &HashSet<String>) -> (f64, f64) {
    let hits = found.intersection(expected).count() as f64;
    let precision = if found.is_empty() { 1.0 } else { hits / found.len() as f64 };
    let recall = if expected.is_empty() { 1.0 } else { hits / expected.len() as f64 };
    (precision, recall)
}

pub async fn a_bulk_scrape_reads_every_allowed_page(s: TestServer) {
    let web = FixtureWeb::serve().await;
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let pages = fixture_pages(&web);
    let allowed: Vec<&(String, Value)> = pages.iter().filter(|(_, p)| p["disallowed"] != true).collect();
    let mut urls: Vec<String> = allowed.iter().map(|(url, _)| url.clone()).collect();
    let blocked = format!("{}intern/preise.html", web.home("kontorwerk.de"));
    urls.push(blocked.clone());
    urls.push(format!("{}no-such-page.html", web.home("brightwell.co.uk")));
    let body = json!({"type": "bulk", "urls": urls, "options": {"depth": 1}});
    let created = json_of(post(&s, &key, "/v1/scrape", body).await, StatusCode::CREATED).await;
    assert_eq!(created["type"], "bulk", "{created}");
    assert_eq!(created["kind"], "scrape", "{created}");
    assert_eq!(created["status"], "running", "{created}");
    assert_eq!(created["total_urls"], urls.len(), "{created}");
    assert_eq!(created["credits_estimate"], urls.len(), "{created}");
    let job_id = created["id"].as_str().unwrap();

    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["processed_urls"], urls.len(), "{job}");
    assert_eq!(job["successful_urls"], allowed.len(), "{job}");
    assert_eq!(job["failed_urls"], 2, "{job}");
    assert_eq!(job["progress_percentage"], 100, "{job}");
    assert!(job["estimated_completion"].is_string(), "{job}");
    assert_eq!(job["credits_used"], allowed.len(), "one credit per page read; failures are free: {job}");

    let leads = all_leads(&s, &key, job_id, "").await;
    assert_eq!(job["leads_found"], leads.len(), "{job}");
    let found_people: HashSet<String> = leads.iter().filter_map(|l| l["person"]["full_name"].as_str().map(str::to_string)).collect();
    let expected_people: HashSet<String> =
        allowed.iter().flat_map(|(_, p)| p["people"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap().to_string())).collect();
    let (precision, recall) = precision_recall(&found_people, &expected_people);
    assert!(precision >= 0.95 && recall >= 0.90, "people: precision {precision:.2}, recall {recall:.2}; found {found_people:?}");
    let found_emails: HashSet<String> = leads.iter().flat_map(emails_of).collect();
    let expected_emails: HashSet<String> = allowed.iter().flat_map(|(_, p)| strings(&p["emails"])).collect();
    let (precision, recall) = precision_recall(&found_emails, &expected_emails);
    assert!(precision >= 0.95 && recall >= 0.90, "emails: precision {precision:.2}, recall {recall:.2}; found {found_emails:?}");

    // Nothing from a page robots.txt disallows: never fetched, nothing of it in any lead.
    assert_eq!(web.hits("kontorwerk.de", "/intern/preise.html"), 0);
    let secret: Vec<String> = pages
        .iter()
        .filter(|(_, p)| p["disallowed"] == true)
        .flat_map(|(_, p)| {
            strings(&p["emails"]).into_iter().chain(p["people"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap().to_string()))
        })
        .filter(|fact| !allowed.iter().any(|(_, p)| p.to_string().contains(fact.as_str())))
        .collect();
    assert!(!secret.is_empty());
    let everything = serde_json::to_string(&leads).unwrap();
    for fact in &secret {
        assert!(!everything.contains(fact.as_str()), "{fact} comes from a disallowed page");
    }
    // Every fact is grounded by the page it came from.
    for lead in &leads {
        let sources = lead["sources"].as_array().unwrap();
        assert!(!sources.is_empty() && sources.iter().all(|s| s["kind"] == "web" && s["url"].is_string()), "{lead}");
    }
    let logs = get(&s, &key, &format!("/v1/jobs/{job_id}/logs")).await.to_string();
    assert!(logs.contains("disallowed by the site's robots.txt"), "{logs}");
    assert!(logs.contains("no-such-page.html"), "{logs}");
    let summary = get(&s, &key, &format!("/v1/jobs/{job_id}")).await["summary"].to_string();
    assert!(summary.contains(&format!("Read {} of {} URLs", allowed.len(), urls.len())), "{summary}");
}

pub async fn a_sitemap_scrape_reads_the_listed_pages_with_its_options(s: TestServer) {
    let web = FixtureWeb::serve().await;
    let (_, key) = s.org_with_key(Tier::Scale).await; // a test key: real pages, no charge
    let sitemap = format!("{}sitemap.xml", web.home("kontorwerk.de"));
    let body = json!({"type": "sitemap", "urls": [sitemap], "options": {"depth": 2, "extract_emails": false, "qualify_leads": false}});
    let created = json_of(post(&s, &key, "/v1/scrape", body).await, StatusCode::CREATED).await;
    let job_id = created["id"].as_str().unwrap();
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["total_urls"], 4, "the sitemap lists four pages: {job}");
    assert_eq!(job["successful_urls"], 4, "{job}");
    assert_eq!(job["credits_used"], 0, "{job}");
    let leads = all_leads(&s, &key, job_id, "").await;
    let names: HashSet<&str> = leads.iter().filter_map(|l| l["person"]["full_name"].as_str()).collect();
    for name in ["Friederike Albers", "Jonas Kettler"] {
        assert!(names.contains(name), "{names:?}");
    }
    for lead in &leads {
        assert!(emails_of(lead).is_empty(), "extract_emails is off: {lead}");
        assert!(lead["lead_score"].is_null() && lead["lead_status"].is_null(), "qualify_leads is off: {lead}");
        assert!(!lead["sources"].to_string().contains("email"), "no source claims an email: {lead}");
    }
    // Depth 2 follows the team page's link to the disallowed area without fetching it.
    assert_eq!(web.hits("kontorwerk.de", "/intern/preise.html"), 0);
    // The scrape is a thread like any other job's.
    let thread = get(&s, &key, &format!("/v1/threads/{}", job["thread_id"].as_str().unwrap())).await;
    assert!(thread["title"].as_str().unwrap().starts_with("Scrape kontorwerk.de"), "{thread}");
}

pub async fn scrape_requests_are_validated(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let cases = [
        (json!({"urls": ["https://a.example"]}), "type"),
        (json!({"type": "crawl", "urls": ["https://a.example"]}), "type"),
        (json!({"type": "bulk"}), "urls"),
        (json!({"type": "bulk", "urls": []}), "urls"),
        (json!({"type": "bulk", "urls": ["https://a.example", "javascript:alert(1)"]}), "urls[1]"),
        (json!({"type": "bulk", "urls": ["https://a.example", "not a url"]}), "urls[1]"),
        (json!({"type": "single", "urls": ["https://a.example", "https://b.example"]}), "urls"),
        (json!({"type": "single", "urls": ["https://a.example"], "options": {"depth": 0}}), "options.depth"),
        (json!({"type": "single", "urls": ["https://a.example"], "options": {"depth": "deep"}}), "options.depth"),
        (json!({"type": "single", "urls": ["https://a.example"], "webhook_url": "ftp://x"}), "webhook_url"),
        (json!({"type": "single", "urls": ["https://a.example"], "max_credits": 0}), "max_credits"),
    ];
    for (body, param) in cases {
        let r = post(&s, &key, "/v1/scrape", body.clone()).await;
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    let many: Vec<String> = (0..10_001).map(|i| format!("https://a.example/{i}")).collect();
    let r = post(&s, &key, "/v1/scrape", json!({"type": "bulk", "urls": many})).await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("urls")).await;
    let jobs = get(&s, &key, "/v1/jobs").await;
    assert_eq!(jobs["data"].as_array().unwrap().len(), 0, "a refused scrape leaves no job: {jobs}");
}

pub async fn a_cancelled_scrape_keeps_what_it_read(s: TestServer) {
    let web = FixtureWeb::serve().await;
    let (_, key) = s.org_with_key(Tier::Scale).await;
    // Forty pages of one host: politeness alone makes this take several seconds.
    let team = format!("{}team.html", web.home("maplecrest.ca"));
    let urls: Vec<String> = (0..40).map(|i| format!("{team}?copy={i}")).collect();
    let created = json_of(post(&s, &key, "/v1/scrape", json!({"type": "bulk", "urls": urls})).await, StatusCode::CREATED).await;
    let job_id = created["id"].as_str().unwrap();
    let cancelled = json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/cancel"), json!({})).await, StatusCode::OK).await;
    assert!(cancelled["stop_requested_at"].is_string(), "{cancelled}");
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "stopped", "{job}");
    let processed = job["processed_urls"].as_u64().unwrap();
    assert!(processed < 40, "{job}");
    assert!(job["artifact"].is_object(), "a stopped scrape keeps a partial artifact: {job}");
    let leads = all_leads(&s, &key, job_id, "").await;
    assert_eq!(job["leads_found"], leads.len(), "{job}");
    let r = call(&s, Method::POST, &format!("/v1/jobs/{job_id}/cancel"), &key).send().await.unwrap();
    assert_error(r, StatusCode::CONFLICT, "conflict", None).await;
}

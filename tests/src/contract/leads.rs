//! The scrape and leads contract: `POST /v1/scrape` over the fixture web (robots.txt, sitemaps,
//! options, counters, billing, cancel), and the organization's lead store (`/v1/leads` filters,
//! sorts and pages, PATCH, DELETE, exports). Run on the embedded store
//! (`tests/embedded/leads_embedded.rs`) and on AWS via moto (`tests/aws/leads_aws.rs`).

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
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/engine/tests/fixtures/web/ground_truth.json");
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
    // The page a source cites is kept for audit, as it was read, for admin keys.
    let lead = &leads[0];
    let lead_id = lead["id"].as_str().unwrap();
    let cited = lead["sources"][0]["url"].as_str().unwrap();
    let page = call(&s, Method::GET, &format!("/v1/leads/{lead_id}/sources/0"), &key).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    // The fixture sites answer on loopback under their own names.
    let url = reqwest::Url::parse(cited).unwrap();
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], url.port().unwrap_or(80)));
    let direct = reqwest::Client::builder().resolve(url.host_str().unwrap(), loopback).build().unwrap();
    let as_served = direct.get(cited).send().await.unwrap().text().await.unwrap();
    assert_eq!(page.text().await.unwrap(), as_served, "the archived page is the page read");
    let past_the_end = lead["sources"].as_array().unwrap().len();
    let r = call(&s, Method::GET, &format!("/v1/leads/{lead_id}/sources/{past_the_end}"), &key).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("index")).await;
    let reader = s.key(&org, KeyKind::Secret, Mode::Live, &[Scope::Read, Scope::Run]).await;
    let r = call(&s, Method::GET, &format!("/v1/leads/{lead_id}/sources/0"), &reader).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "raw pages are for admin keys");
    let logs = get(&s, &key, &format!("/v1/jobs/{job_id}/logs")).await.to_string();
    assert!(logs.contains("disallowed by the site's robots.txt"), "{logs}");
    assert!(logs.contains("no-such-page.html"), "{logs}");
    let summary = get(&s, &key, &format!("/v1/jobs/{job_id}")).await["summary"].to_string();
    assert!(summary.contains(&format!("Read {} of {} URLs", allowed.len(), urls.len())), "{summary}");
}

pub async fn a_sitemap_scrape_reads_the_listed_pages_with_its_options(s: TestServer) {
    let web = FixtureWeb::serve().await;
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let sitemap = format!("{}sitemap.xml", web.home("kontorwerk.de"));
    let body = json!({"type": "sitemap", "urls": [sitemap], "options": {"depth": 2, "extract_emails": false, "qualify_leads": false}});
    let created = json_of(post(&s, &key, "/v1/scrape", body).await, StatusCode::CREATED).await;
    let job_id = created["id"].as_str().unwrap();
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["total_urls"], 4, "the sitemap lists four pages: {job}");
    assert_eq!(job["successful_urls"], 4, "{job}");
    assert_eq!(job["credits_used"], 4, "one credit per page read: {job}");
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

/// A test key's scrape runs like a live one (chunks, counters, options, the lead store) on
/// synthetic leads, fetches nothing and costs nothing.
pub async fn a_test_key_scrape_is_synthetic_and_free(s: TestServer) {
    let web = FixtureWeb::serve().await;
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let urls: Vec<String> = ["halyardrobotics.com", "brightwell.co.uk", "kontorwerk.de"].iter().map(|d| web.home(d)).collect();
    let body = json!({"type": "bulk", "urls": urls, "options": {"depth": 3, "extract_phones": false}});
    let created = json_of(post(&s, &key, "/v1/scrape", body).await, StatusCode::CREATED).await;
    assert_eq!(created["livemode"], false);
    let job_id = created["id"].as_str().unwrap();
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let counters = ["total_urls", "processed_urls", "successful_urls", "failed_urls", "credits_used"].map(|c| job[c].as_u64());
    assert_eq!(counters, [Some(3), Some(3), Some(3), Some(0), Some(0)], "{job}");
    let leads = all_leads(&s, &key, job_id, "").await;
    assert_eq!(job["leads_found"], leads.len(), "{job}");
    assert!(leads.len() >= 6, "a company and its people per URL: {leads:?}");
    assert!(job["summary"].as_str().unwrap().contains("no page was fetched"), "{job}");
    assert!(leads.iter().any(|l| l["person"]["full_name"].is_string() && l["person"]["email"].is_string()), "{leads:?}");
    for lead in &leads {
        let kinds: HashSet<&str> = lead["sources"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, HashSet::from(["synthetic"]), "every fact is marked synthetic: {lead}");
        let phones = [&lead["phone"], &lead["person"]["phone"], &lead["company"]["phone"]];
        assert!(phones.iter().all(|p| p.is_null()), "extract_phones is off: {lead}");
        let domain = lead["company"]["domain"].as_str().unwrap_or_default();
        assert!(!["halyardrobotics.com", "brightwell.co.uk", "kontorwerk.de"].contains(&domain), "an invented company: {lead}");
    }
    let sitemap = json!({"type": "sitemap", "urls": [format!("{}sitemap.xml", web.home("kontorwerk.de"))]});
    let created = json_of(post(&s, &key, "/v1/scrape", sitemap).await, StatusCode::CREATED).await;
    let job = until_ended(&s, &key, created["id"].as_str().unwrap()).await;
    assert_eq!((job["status"].as_str(), job["total_urls"].as_u64()), (Some("succeeded"), Some(1)), "{job}");
    assert_eq!(web.total_hits(), 0, "a test-mode scrape fetches nothing");
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
        (json!({"type": "single", "urls": ["https://a.example"], "options": {"depth": 0}}), "options.depth"),
        (json!({"type": "single", "urls": ["https://a.example"], "options": {"depth": "deep"}}), "options.depth"),
        (json!({"type": "single", "urls": ["https://a.example"], "webhook_url": "ftp://x"}), "webhook_url"),
        (json!({"type": "single", "urls": ["https://a.example"], "max_credits": 0}), "max_credits"),
    ];
    for (body, param) in cases {
        let r = post(&s, &key, "/v1/scrape", body.clone()).await;
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    // Of the documented form, but not usable: 422.
    let r = post(&s, &key, "/v1/scrape", json!({"type": "single", "urls": ["https://a.example", "https://b.example"]})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("urls")).await;
    let r = post(&s, &key, "/v1/scrape", json!({"type": "bulk", "urls": ["https://a.example", "https://"]})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("urls[1]")).await;
    let many: Vec<String> = (0..10_001).map(|i| format!("https://a.example/{i}")).collect();
    let r = post(&s, &key, "/v1/scrape", json!({"type": "bulk", "urls": many})).await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("urls")).await;
    let jobs = get(&s, &key, "/v1/jobs").await;
    assert_eq!(jobs["data"].as_array().unwrap().len(), 0, "a refused scrape leaves no job: {jobs}");
}

pub async fn a_cancelled_scrape_keeps_what_it_read(s: TestServer) {
    let web = FixtureWeb::serve().await;
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
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

/// Runs a test-mode research job of `rows` rows and a test-mode scrape of two fixture pages (which
/// fetches nothing and finds synthetic leads), so the organization's test-mode store holds the
/// leads of two jobs: `(research job, scrape job)`.
async fn leads_of_two_jobs(s: &TestServer, key: &str, web: &FixtureWeb, rows: u32) -> (String, String) {
    let prompt = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.";
    let (_, posted) = super::jobs::pending_job(s, key, prompt, json!({"max_rows": rows})).await;
    let research = posted["job"]["id"].as_str().unwrap().to_string();
    json_of(post(s, key, &format!("/v1/jobs/{research}/approve"), json!({})).await, StatusCode::OK).await;
    let urls = [format!("{}about/leadership.html", web.home("halyardrobotics.com")), format!("{}team/", web.home("brightwell.co.uk"))];
    let scrape = json_of(post(s, key, "/v1/scrape", json!({"type": "bulk", "urls": urls})).await, StatusCode::CREATED).await;
    let scrape = scrape["id"].as_str().unwrap().to_string();
    for job in [&research, &scrape] {
        assert_eq!(until_ended(s, key, job).await["status"], "succeeded");
    }
    (research, scrape)
}

/// Every lead of a `/v1/leads` query, following cursors with pages of `limit`.
async fn every_lead(s: &TestServer, key: &str, query: &str, limit: usize) -> Vec<Value> {
    super::jobs::every_page(s, key, &format!("/v1/leads?limit={limit}{query}")).await
}

fn ids(leads: &[Value]) -> Vec<String> {
    leads.iter().map(|l| l["id"].as_str().unwrap().to_string()).collect()
}

fn score(lead: &Value) -> i64 {
    lead["lead_score"].as_i64().unwrap_or(-1)
}

pub async fn the_lead_store_filters_sorts_and_pages(s: TestServer) {
    let web = FixtureWeb::serve().await;
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let (research, scrape) = leads_of_two_jobs(&s, &key, &web, 30).await;
    let research_leads = all_leads(&s, &key, &research, "").await;
    let scrape_leads = all_leads(&s, &key, &scrape, "").await;
    let everything = every_lead(&s, &key, "", 100).await;
    let mut expected = ids(&research_leads);
    expected.extend(ids(&scrape_leads));
    expected.sort();
    let mut listed = ids(&everything);
    listed.sort();
    assert_eq!(listed, expected, "every lead of every job, once");
    assert!(everything.iter().any(|l| score(l) >= 70) && everything.iter().any(|l| (0..70).contains(&score(l))), "scores vary");
    let lead = &everything[0];
    assert!(lead["enrichment_data"].is_object() && lead.get("full_name").is_some() && lead.get("source_url").is_some(), "{lead}");

    // Newest first by default; small pages through the cursor give the same list.
    let created: Vec<&str> = everything.iter().map(|l| l["created_at"].as_str().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    let by_score = every_lead(&s, &key, "&sort=score", 7).await;
    assert_eq!(by_score.len(), everything.len());
    assert!(by_score.windows(2).all(|w| score(&w[0]) >= score(&w[1])), "descending scores");
    let warm = every_lead(&s, &key, "&sort=score&order=asc&score_min=40&score_max=69", 100).await;
    assert!(warm.windows(2).all(|w| score(&w[0]) <= score(&w[1])));
    assert_eq!(warm.len(), everything.iter().filter(|l| (40..=69).contains(&score(l))).count());
    let hot = every_lead(&s, &key, "&status=hot", 100).await;
    assert_eq!(hot.len(), everything.iter().filter(|l| score(l) >= 70).count());
    assert!(hot.iter().all(|l| l["lead_status"] == "hot"));
    let by_company = every_lead(&s, &key, "&sort=company&order=asc", 9).await;
    // Folded company names, words joined by `-`, leads without a name last.
    let company_key = |l: &Value| {
        let folded = l["company"]["name"].as_str().map(quarry_shared::leads::dedupe::fold_ascii).unwrap_or_default();
        let words: Vec<&str> = folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            "~".to_string()
        } else {
            words.join("-")
        }
    };
    let keys: Vec<String> = by_company.iter().map(company_key).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
    assert!(keys.iter().any(|k| k != "~"));
    assert_eq!(by_company.len(), everything.len());

    // Filters.
    let of_scrape = every_lead(&s, &key, &format!("&job_id={scrape}"), 100).await;
    assert_eq!(ids(&of_scrape).into_iter().collect::<HashSet<_>>(), ids(&scrape_leads).into_iter().collect::<HashSet<_>>());
    let company = scrape_leads[0]["company"]["name"].as_str().unwrap();
    let word = company.split(' ').next().unwrap();
    let found = every_lead(&s, &key, &format!("&search={}", word.to_uppercase()), 100).await;
    let word = word.to_lowercase();
    assert!(!found.is_empty() && found.iter().all(|l| l.to_string().to_lowercase().contains(&word)), "{found:?}");
    assert!(every_lead(&s, &key, "&created_after=2999-01-01T00:00:00Z", 100).await.is_empty());
    assert_eq!(every_lead(&s, &key, "&created_before=2999-01-01T00:00:00Z&sort=score", 100).await.len(), everything.len());

    // Test-mode leads are not live leads, and other organizations see nothing.
    let live = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    assert!(get(&s, &live, "/v1/leads").await["data"].as_array().unwrap().is_empty());
    let id = lead["id"].as_str().unwrap();
    let r = call(&s, Method::GET, &format!("/v1/leads/{id}"), &live).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("lead_id")).await;
    let (_, stranger) = s.org_with_key(Tier::Scale).await;
    let r = call(&s, Method::GET, &format!("/v1/leads/{id}"), &stranger).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("lead_id")).await;
    assert_eq!(get(&s, &key, &format!("/v1/leads/{id}")).await["id"], id);

    for (query, param) in
        [("sort=name", "sort"), ("score_min=101", "score_min"), ("status=lukewarm", "status"), ("created_after=yesterday", "created_after")]
    {
        let r = call(&s, Method::GET, &format!("/v1/leads?{query}"), &key).send().await.unwrap();
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    let r = call(&s, Method::GET, "/v1/leads?score_min=80&score_max=20", &key).send().await.unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("score_min")).await;

    // One `lead.qualified` event per hot lead.
    let events = quarry_shared::events::EventLog::new(s.storage.table.as_ref()).all(&org.id).await.unwrap();
    let qualified: HashSet<String> = events
        .iter()
        .filter(|e| e.kind == quarry_shared::events::EventType::LeadQualified)
        .map(|e| e.data.object["id"].as_str().unwrap().to_string())
        .collect();
    let hot_ids: HashSet<String> = ids(&hot).into_iter().collect();
    assert_eq!(qualified, hot_ids);
}

pub async fn leads_are_annotated_and_deleted(s: TestServer) {
    let web = FixtureWeb::serve().await;
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let (_, scrape) = leads_of_two_jobs(&s, &key, &web, 5).await;
    let leads = all_leads(&s, &key, &scrape, "").await;
    let id = leads[0]["id"].as_str().unwrap();
    let path = format!("/v1/leads/{id}");
    let patch = |body: Value| {
        let path = path.clone();
        let key = key.clone();
        let s = &s;
        async move { call(s, Method::PATCH, &path, &key).json(&body).send().await.unwrap() }
    };
    let patched = json_of(patch(json!({"custom_notes": "Call after Q1.", "tags": ["q1", " q1 ", "priority"]})).await, StatusCode::OK).await;
    assert_eq!(patched["custom_notes"], "Call after Q1.");
    assert_eq!(patched["tags"], json!(["q1", "priority"]));
    assert!(patched["updated_at"].is_string());
    let cleared = json_of(patch(json!({"custom_notes": null})).await, StatusCode::OK).await;
    assert!(cleared["custom_notes"].is_null());
    assert_eq!(cleared["tags"], json!(["q1", "priority"]), "tags untouched");
    assert_eq!(get(&s, &key, &path).await["tags"], json!(["q1", "priority"]));
    let tagged = every_lead(&s, &key, &format!("&job_id={scrape}"), 100).await;
    assert!(tagged.iter().any(|l| l["id"] == id && l["tags"] == json!(["q1", "priority"])));
    for (body, param) in [
        (json!({"tags": "q1"}), "tags"),
        (json!({"tags": ["ok", ""]}), "tags[1]"),
        (json!({"tags": [7]}), "tags[0]"),
        (json!({"custom_notes": "x".repeat(5_001)}), "custom_notes"),
        (json!({"custom_notes": 3}), "custom_notes"),
    ] {
        assert_error(patch(body).await, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    let r = call(&s, Method::PATCH, "/v1/leads/lead_nope", &key).json(&json!({"tags": []})).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("lead_id")).await;

    let r = call(&s, Method::DELETE, &path, &key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = call(&s, Method::GET, &path, &key).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("lead_id")).await;
    let r = call(&s, Method::DELETE, &path, &key).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("lead_id")).await;
    let left = every_lead(&s, &key, &format!("&job_id={scrape}"), 100).await;
    assert_eq!(left.len(), leads.len() - 1);
    assert!(!left.iter().any(|l| l["id"] == id));
}

/// Polls an export until it is no longer processing.
async fn until_exported(s: &TestServer, key: &str, export_id: &str) -> Value {
    for _ in 0..300 {
        let export = get(s, key, &format!("/v1/exports/{export_id}")).await;
        if export["status"] != "processing" {
            return export;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("export {export_id} did not finish");
}

pub async fn leads_are_exported_as_csv_and_json(s: TestServer) {
    let web = FixtureWeb::serve().await;
    let (_, key) = s.org_with_key(Tier::Scale).await;
    leads_of_two_jobs(&s, &key, &web, 12).await;
    let everything = every_lead(&s, &key, "", 100).await;
    let hot = everything.iter().filter(|l| score(l) >= 70).count();

    let fields = ["full_name", "email", "company_name", "lead_score"];
    let body = json!({"format": "csv", "filters": {"status": "hot"}, "fields": fields});
    let started = json_of(post(&s, &key, "/v1/leads/export", body).await, StatusCode::ACCEPTED).await;
    assert_eq!(started["status"], "processing");
    assert_eq!(started["export_id"], started["id"]);
    let export = until_exported(&s, &key, started["id"].as_str().unwrap()).await;
    assert_eq!(export["status"], "completed", "{export}");
    assert_eq!(export["total_leads"], hot);
    let csv = super::api::client().get(export["download_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), fields);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), hot);
    assert!(rows.iter().all(|r| r[3].parse::<u32>().unwrap() >= 70));

    let started = json_of(post(&s, &key, "/v1/leads/export", json!({"format": "json"})).await, StatusCode::ACCEPTED).await;
    let export = until_exported(&s, &key, started["id"].as_str().unwrap()).await;
    let body = super::api::client().get(export["download_url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    let rows: Vec<Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(rows.len(), everything.len());
    assert_eq!(rows[0].as_object().unwrap().len(), quarry_shared::leads::export::EXPORT_FIELDS.len());

    for (body, param) in [
        (json!({}), "format"),
        (json!({"format": "xml"}), "format"),
        (json!({"format": "csv", "fields": ["email", "bogus"]}), "fields[1]"),
        (json!({"format": "csv", "fields": []}), "fields"),
        (json!({"format": "csv", "filters": {"score_min": 200}}), "filters.score_min"),
    ] {
        let r = post(&s, &key, "/v1/leads/export", body).await;
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    let r = call(&s, Method::GET, "/v1/exports/exp_nope", &key).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("export_id")).await;
}

//! The job-execution contract: approval and its limits, the step worker running a job to an
//! artifact, leads, downloads in three formats, stop, and listing — over real HTTP with the
//! worker consuming the steps queue. Run on the embedded store
//! (`tests/embedded/jobs_embedded.rs`) and on AWS via moto (`tests/aws/jobs_aws.rs`).

use std::time::Duration;

use quarry_shared::accounts::{KeyKind, Mode, Scope, Tier};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::api::{assert_error, call, client, json_of, post};
use crate::server::TestServer;

const FINTECH: &str = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.";

pub(crate) async fn get(s: &TestServer, key: &str, path: &str) -> Value {
    json_of(call(s, Method::GET, path, key).header("accept", "application/json").send().await.unwrap(), StatusCode::OK).await
}

/// A pending job for `content` (with `hints`) in a new thread: `(thread_id, posted)`.
pub(crate) async fn pending_job(s: &TestServer, key: &str, content: &str, hints: Value) -> (String, Value) {
    let thread = json_of(post(s, key, "/v1/threads", json!({})).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string();
    let posted = post(s, key, &format!("/v1/threads/{thread}/messages"), json!({"content": content, "hints": hints})).await;
    (thread, json_of(posted, StatusCode::CREATED).await)
}

/// Polls the job until it has ended (the worker runs in the background), up to 120 s, backing off
/// when the organization's rate limit answers 429 (Starter allows 60 requests a minute).
pub(crate) async fn until_ended(s: &TestServer, key: &str, job_id: &str) -> Value {
    for _ in 0..600 {
        let r = call(s, Method::GET, &format!("/v1/jobs/{job_id}"), key).send().await.unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let job = json_of(r, StatusCode::OK).await;
        if ["succeeded", "failed", "stopped"].contains(&job["status"].as_str().unwrap()) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("job {job_id} did not end");
}

/// Every lead of a job, through the paginated endpoint.
pub(crate) async fn all_leads(s: &TestServer, key: &str, job_id: &str, query: &str) -> Vec<Value> {
    every_page(s, key, &format!("/v1/jobs/{job_id}/leads?limit=100{query}")).await
}

/// Every object of a list endpoint (`path` with its query), following `next_cursor`.
pub(crate) async fn every_page(s: &TestServer, key: &str, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(s, key, &format!("{path}{cursor}")).await;
        out.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

pub async fn a_test_job_runs_to_an_artifact(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let (thread, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 250})).await;
    let job_id = posted["job"]["id"].as_str().unwrap();
    let approved = json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await, StatusCode::OK).await;
    assert_eq!(approved["status"], "running");
    assert!(approved["started_at"].is_string());
    let r = post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await;
    assert_error(r, StatusCode::CONFLICT, "conflict", None).await;

    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["credits_used"], 0, "test mode is free");
    assert_eq!(job["progress"]["percent"], 100);
    assert_eq!(job["artifact"]["rows"], 250);
    assert!(job["summary"].as_str().unwrap().contains("250"));
    let summary = get(&s, &key, &format!("/v1/jobs/{job_id}/summary")).await;
    assert_eq!(summary["rows"], 250);
    assert_eq!(summary["coverage"].as_array().unwrap().len(), posted["plan"]["criteria"]["roles"].as_array().unwrap().len());
    assert!(summary["caveats"][0].as_str().unwrap().contains("synthetic"));
    let thread_now = get(&s, &key, &format!("/v1/threads/{thread}")).await;
    assert_eq!(thread_now["last_job_status"], "succeeded");

    let leads = all_leads(&s, &key, job_id, "").await;
    assert!(leads.len() >= 250, "{}", leads.len());
    for lead in &leads {
        assert_eq!(lead["job_id"], job_id);
        assert_eq!(lead["company"]["hq_country"], "FR", "{lead}");
        assert!(lead["sources"].as_array().unwrap().iter().all(|src| src["kind"] == "synthetic"));
        let c = lead["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
        // Synthetic rows are drawn to fit the request, so each fills its role in France.
        assert!(lead["lead_score"].as_u64().unwrap() >= 70, "{lead}");
        assert_eq!(lead["lead_status"], "hot", "{lead}");
        assert!(lead["qualification_notes"].to_string().contains("Fills the requested role"), "{lead}");
    }
    let ids: std::collections::HashSet<_> = leads.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), leads.len(), "no duplicate leads");
    let strict = all_leads(&s, &key, job_id, "&min_confidence=1&has_field=person.email").await;
    assert!(strict.len() < leads.len());
    let r = call(&s, Method::GET, &format!("/v1/jobs/{job_id}/leads?min_confidence=2"), &key).send().await.unwrap();
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("min_confidence")).await;

    let artifact_id = job["artifact"]["id"].as_str().unwrap();
    let artifact = get(&s, &key, &format!("/v1/artifacts/{artifact_id}")).await;
    assert_eq!(artifact["object"], "artifact");
    assert_eq!(artifact["job_id"], job_id);
    assert_eq!(artifact["rows"], 250);
    let csv = client().get(artifact["download_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 251, "a header and 250 rows");
    assert!(lines[0].contains("company_name"));
    for format in ["json", "xlsx"] {
        let artifact = get(&s, &key, &format!("/v1/artifacts/{artifact_id}?format={format}")).await;
        assert_eq!(artifact["format"], format);
        let body = client().get(artifact["download_url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
        match format {
            "json" => assert_eq!(serde_json::from_slice::<Vec<Value>>(&body).unwrap().len(), leads.len()),
            _ => assert!(body.starts_with(b"PK"), "an xlsx file is a zip"),
        }
    }
    // Without `Accept: application/json` (curl -sLo leads.csv …), the artifact URL redirects to the file.
    let followed = call(&s, Method::GET, &format!("/v1/artifacts/{artifact_id}"), &key).send().await.unwrap();
    assert_eq!(followed.status(), 200);
    assert_eq!(followed.text().await.unwrap(), text, "the redirect leads to the CSV");
    let r = call(&s, Method::GET, &format!("/v1/artifacts/{artifact_id}?format=pdf"), &key).send().await.unwrap();
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("format")).await;
}

pub async fn approval_checks_state_limits_and_credits(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Starter).await;
    let r = post(&s, &key, "/v1/jobs/job_01HXA4Z2M8V5WC9T7R1K0000AA/approve", json!({})).await;
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("job_id")).await;
    let (_, first) = pending_job(&s, &key, FINTECH, json!({"max_rows": 5000})).await;
    let (_, second) = pending_job(&s, &key, FINTECH, json!({"max_rows": 10})).await;
    let (a, b) = (first["job"]["id"].as_str().unwrap(), second["job"]["id"].as_str().unwrap());
    for (body, param) in [
        (json!({"max_credits": 0}), "max_credits"),
        (json!({"webhook_url": "not a url"}), "webhook_url"),
        (json!({"max_credits": "lots"}), "max_credits"),
    ] {
        assert_error(
            post(&s, &key, &format!("/v1/jobs/{a}/approve"), body).await,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some(param),
        )
        .await;
    }
    json_of(post(&s, &key, &format!("/v1/jobs/{a}/approve"), json!({})).await, StatusCode::OK).await;
    // Starter runs one job at a time.
    let r = post(&s, &key, &format!("/v1/jobs/{b}/approve"), json!({})).await;
    let body = assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("1 job"));
    json_of(post(&s, &key, &format!("/v1/jobs/{a}/stop"), json!({})).await, StatusCode::OK).await;
    let stopped = until_ended(&s, &key, a).await;
    assert_eq!(stopped["status"], "stopped");
    json_of(post(&s, &key, &format!("/v1/jobs/{b}/approve"), json!({})).await, StatusCode::OK).await;

    // Live keys need the credits: this organization has 10 a month.
    let poor = s.accounts.create_organization("Poor org", Tier::Scale, 10).await.unwrap();
    let live = s.key(&poor, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let (_, posted) = pending_job(&s, &live, FINTECH, json!({})).await;
    let r = post(&s, &live, &format!("/v1/jobs/{}/approve", posted["job"]["id"].as_str().unwrap()), json!({})).await;
    let body = assert_error(r, StatusCode::PAYMENT_REQUIRED, "insufficient_credits", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("10 left"), "{body}");
}

pub async fn stopping_leaves_a_partial_artifact(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 10000})).await;
    let job_id = posted["job"]["id"].as_str().unwrap();
    json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await, StatusCode::OK).await;
    let asked = json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/cancel"), json!({})).await, StatusCode::OK).await;
    assert!(asked["stop_requested_at"].is_string());
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "stopped", "{job}");
    let rows = job["artifact"]["rows"].as_u64().unwrap();
    assert!(rows < 10000, "stopped early: {rows}");
    let r = post(&s, &key, &format!("/v1/jobs/{job_id}/stop"), json!({})).await;
    assert_error(r, StatusCode::CONFLICT, "conflict", None).await;

    // A pending job stops at once, and can no longer be approved.
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({})).await;
    let pending = posted["job"]["id"].as_str().unwrap();
    let stopped = json_of(post(&s, &key, &format!("/v1/jobs/{pending}/stop"), json!({})).await, StatusCode::OK).await;
    assert_eq!(stopped["status"], "stopped");
    let r = post(&s, &key, &format!("/v1/jobs/{pending}/approve"), json!({})).await;
    assert_error(r, StatusCode::CONFLICT, "conflict", None).await;
}

pub async fn a_live_job_without_a_source_invents_nothing(s: TestServer) {
    let org = s.org(Tier::Scale).await;
    // A test-mode job of the same organization first: its synthetic rows must not reach the
    // organization's lead index, or the live job below would find them.
    let test_key = s.key(&org, KeyKind::Secret, Mode::Test, &Scope::ALL).await;
    let (_, posted) = pending_job(&s, &test_key, FINTECH, json!({"max_rows": 20})).await;
    let test_job = posted["job"]["id"].as_str().unwrap();
    json_of(post(&s, &test_key, &format!("/v1/jobs/{test_job}/approve"), json!({})).await, StatusCode::OK).await;
    assert_eq!(until_ended(&s, &test_key, test_job).await["artifact"]["rows"], 20);

    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 20})).await;
    let job_id = posted["job"]["id"].as_str().unwrap();
    json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({"max_credits": 500})).await, StatusCode::OK).await;
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "succeeded");
    assert_eq!(job["artifact"]["rows"], 0);
    assert_eq!(job["credits_used"], 0);
    assert!(job["summary"].as_str().unwrap().contains("nothing was invented"), "{job}");
    assert!(job["summary"].as_str().unwrap().contains("lead index holds no company"), "{job}");
    assert!(all_leads(&s, &key, job_id, "").await.is_empty());
}

/// A seed list of 150 French fintechs (employees 100 + i), a CTO named at every third one, plus a
/// line without any identity.
fn seed_csv() -> String {
    let mut csv = String::from("Company Name,Website,Country,Industry,Employees,Contact,Job Title,E-mail\n");
    for i in 0..150 {
        let (contact, title, email) = if i % 3 == 0 {
            (format!("Person {i}"), "Chief Technology Officer", format!("person{i}@company{i}.fr"))
        } else {
            Default::default()
        };
        csv.push_str(&format!("Company {i},https://www.company{i}.fr/,France,Financial Services,{},{contact},{title},{email}\n", 100 + i));
    }
    csv.push_str(",,France,,,,,\n");
    csv
}

/// Live jobs enrich attached seed files (fetched behind the guard against internal targets),
/// bill what they deliver, and grow the organization's lead index, which a later live job
/// without attachments discovers from. `max_credits` stops a live job at its ceiling.
pub async fn live_jobs_enrich_seed_files_and_reuse_the_lead_index(s: TestServer) {
    use crate::fixtures::{FixtureSite, Page};
    let site = FixtureSite::serve(vec![
        ("seeds.csv", Page { content_type: "text/csv; charset=utf-8", body: seed_csv() }),
        ("about.html", Page { content_type: "text/html", body: "<html><body>Not a list</body></html>".into() }),
    ])
    .await;
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let thread = json_of(post(&s, &key, "/v1/threads", json!({})).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string();
    let attachments = json!([
        {"kind": "csv", "url": site.url("seeds.csv")},
        {"kind": "csv", "url": site.url("about.html")},
        // An internal IP literal is refused when the message is posted (the probe suite checks
        // that); a name is judged when it is resolved, so this one is skipped at fetch time.
        {"kind": "csv", "url": "http://metadata.internal/seeds.csv"},
    ]);
    let message = json!({"content": "For each company in the attached CSV, pull the CTO.", "attachments": attachments});
    let posted = json_of(post(&s, &key, &format!("/v1/threads/{thread}/messages"), message).await, StatusCode::CREATED).await;
    let job_id = posted["job"]["id"].as_str().unwrap();
    json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await, StatusCode::OK).await;
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["artifact"]["rows"], 150, "{job}");
    // 150 companies at 0.5 and 50 CTOs at 0.5.
    assert_eq!(job["credits_used"], 100, "{job}");
    assert_eq!(site.hit_count(), 2, "each reachable attachment fetched once; the internal one never");

    let leads = all_leads(&s, &key, job_id, "").await;
    assert_eq!(leads.len(), 150);
    let ctos: Vec<&Value> = leads.iter().filter(|l| l["person"]["role"] == "CTO").collect();
    assert_eq!(ctos.len(), 50);
    let cto = ctos.iter().find(|l| l["company"]["domain"] == "company3.fr").expect("the CTO of company 3");
    assert_eq!(cto["person"]["email"], "person3@company3.fr");
    assert_eq!(cto["company"]["hq_country"], "FR");
    assert_eq!(cto["company"]["industry"], "fintech");
    assert_eq!(cto["company"]["employee_count"], 103);
    assert_eq!(cto["sources"][0]["kind"], "seed");
    assert_eq!(cto["sources"][0]["url"], site.url("seeds.csv"));
    assert_eq!(cto["confidence"], 0.6);
    let with_email = all_leads(&s, &key, job_id, "&has_field=person.email").await;
    assert_eq!(with_email.len(), 50);

    let summary = get(&s, &key, &format!("/v1/jobs/{job_id}/summary")).await;
    let caveats = summary["caveats"].to_string();
    assert!(caveats.contains("about.html: was served as `text/html`, not as CSV"), "{summary}");
    assert!(caveats.contains("metadata.internal/seeds.csv: could not be fetched"), "{summary}");
    assert!(caveats.contains("Skipped line 152"), "{summary}");
    assert_eq!(summary["coverage"][0], "CTO: found at 50 of 150 companies, 50 with an email.", "{summary}");
    let artifact = job["artifact"]["id"].as_str().unwrap();
    let csv =
        client().get(get(&s, &key, &format!("/v1/artifacts/{artifact}")).await["download_url"].as_str().unwrap()).send().await.unwrap();
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 151, "a header and one row per company");
    assert!(csv.contains("Company 3,company3.fr,"), "{}", &csv[..400.min(csv.len())]);

    // A later live job without attachments discovers from the index the first one filled:
    // companies 0..=100 have 100–200 employees, and every third of them a CTO (34).
    let prompt = "Find fintech companies in France with 100-200 employees. Pull the CTO.";
    let (_, posted) = pending_job(&s, &key, prompt, json!({"max_rows": 500})).await;
    let second = posted["job"]["id"].as_str().unwrap();
    json_of(post(&s, &key, &format!("/v1/jobs/{second}/approve"), json!({})).await, StatusCode::OK).await;
    let job = until_ended(&s, &key, second).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["artifact"]["rows"], 101, "{job}");
    let found = all_leads(&s, &key, second, "").await;
    assert_eq!(found.iter().filter(|l| l["person"]["role"] == "CTO").count(), 34);
    assert!(found.iter().all(|l| (100..=200).contains(&l["company"]["employee_count"].as_u64().unwrap())));
    // 101 × 0.5 + 34 × 0.5 = 67.5, rounded up at the end.
    assert_eq!(job["credits_used"], 68, "{job}");
    assert!(job["summary"].as_str().unwrap().contains("lead index (101)"), "{job}");

    // The same request under a 20-credit ceiling stops there, keeping (and billing) what it found.
    let (_, posted) = pending_job(&s, &key, prompt, json!({"max_rows": 500})).await;
    let capped = posted["job"]["id"].as_str().unwrap();
    json_of(post(&s, &key, &format!("/v1/jobs/{capped}/approve"), json!({"max_credits": 20})).await, StatusCode::OK).await;
    let job = until_ended(&s, &key, capped).await;
    assert_eq!(job["status"], "stopped", "{job}");
    assert!(job["summary"].as_str().unwrap().contains("max_credits ceiling of 20"), "{job}");
    let used = job["credits_used"].as_u64().unwrap();
    assert!((19..=20).contains(&used), "{job}");
    let rows = job["artifact"]["rows"].as_u64().unwrap();
    assert!((25..101).contains(&rows), "{job}");

    // Each job's usage is one ledger entry, and the balance is what the grant has left.
    let total = (100 + 68 + used) as i64;
    let usage = get(&s, &key, "/v1/usage").await;
    assert_eq!(usage["credits"]["used"], total, "monthly usage adds up the jobs: {usage}");
    assert_eq!(usage["jobs"]["succeeded"], 2, "{usage}");
    assert_eq!(usage["jobs"]["stopped"], 1, "{usage}");
    let ledger = get(&s, &key, "/v1/credits/usage?limit=100").await;
    let entries = ledger["data"].as_array().unwrap();
    let billed: Vec<i64> = entries.iter().filter(|e| e["type"] == "usage").map(|e| e["amount"].as_i64().unwrap()).collect();
    assert_eq!(billed.iter().sum::<i64>(), -total, "{ledger}");
    assert_eq!(billed.len(), 3, "one entry per billed job: {ledger}");
    assert!(entries.iter().any(|e| e["type"] == "usage" && e["job_id"] == capped), "{ledger}");
    let grant = entries.iter().find(|e| e["type"] == "grant").expect("the month's grant");
    let account = get(&s, &key, "/v1/account").await;
    assert_eq!(account["credits"]["balance"], grant["amount"].as_i64().unwrap() - total, "{account}");
    assert_eq!(account["credits"]["total_used"], total, "{account}");
}

/// Live jobs read the listed companies' sites (the engine's fixture web on loopback, under the
/// sites' own domains): robots.txt obeyed, people found on team and imprint pages fill the
/// requested roles, every fact sourced to its page.
pub async fn live_jobs_read_company_sites(s: TestServer) {
    use crate::fixtures::{FixtureSite, FixtureWeb, Page};
    let web = FixtureWeb::serve().await;
    let files = FixtureSite::serve(vec![("seeds.csv", Page { content_type: "text/csv", body: web.seed_list() })]).await;
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let thread = json_of(post(&s, &key, "/v1/threads", json!({})).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string();
    let message = json!({"content": "For each company in the attached CSV, pull the CEO and CTO.", "attachments": [{"kind": "csv", "url": files.url("seeds.csv")}]});
    let posted = json_of(post(&s, &key, &format!("/v1/threads/{thread}/messages"), message).await, StatusCode::CREATED).await;
    let job_id = posted["job"]["id"].as_str().unwrap();
    json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await, StatusCode::OK).await;
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["artifact"]["rows"], 3, "{job}");

    let leads = all_leads(&s, &key, job_id, "").await;
    let holder = |domain: &str, role: &str| -> Option<String> {
        leads
            .iter()
            .find(|l| l["company"]["domain"] == domain && l["person"]["role"] == role)
            .and_then(|l| l["person"]["full_name"].as_str().map(str::to_string))
    };
    let found: Vec<(&str, &str, Option<String>)> = [
        ("kontorwerk.de", "CEO"),
        ("kontorwerk.de", "CTO"),
        ("halyardrobotics.com", "CEO"),
        ("halyardrobotics.com", "CTO"),
        ("brightwell.co.uk", "CEO"),
        ("brightwell.co.uk", "CTO"),
    ]
    .into_iter()
    .map(|(d, r)| (d, r, holder(d, r)))
    .collect();
    let expected = ["Friederike Albers", "Jonas Kettler", "Maya Okonkwo", "Daniel Reyes", "Charlotte Evans", "Rajesh Mehta"];
    let names: Vec<Option<String>> = found.iter().map(|(_, _, n)| n.clone()).collect();
    assert_eq!(names, expected.map(|n| Some(n.to_string())), "{found:?}");
    let cto = leads.iter().find(|l| l["person"]["full_name"] == "Jonas Kettler").unwrap();
    let web_sources: Vec<&str> =
        cto["sources"].as_array().unwrap().iter().filter(|s| s["kind"] == "web").filter_map(|s| s["url"].as_str()).collect();
    assert!(web_sources.iter().any(|u| u.starts_with(&web.home("kontorwerk.de"))), "{cto}");
    assert_eq!(cto["company"]["hq_country"], "DE", "{cto}");
    assert!(cto["qualification_notes"].to_string().contains("Fills the requested role CTO"), "{cto}");
    assert!(cto["lead_score"].as_u64().is_some_and(|score| score <= 100), "{cto}");
    // 3 companies at 0.5 and 6 people at 0.5 = 4.5, rounded up.
    assert_eq!(job["credits_used"], 5, "{job}");
    assert_eq!(web.hits("kontorwerk.de", "/intern/preise.html"), 0, "robots.txt disallows it");
    assert_eq!(web.hits("halyardrobotics.com", "/internal/pricing-sheet.html"), 0, "robots.txt disallows it");
    assert!(web.hits("kontorwerk.de", "/robots.txt") >= 1);
    let logs = get(&s, &key, &format!("/v1/jobs/{job_id}/logs")).await.to_string();
    assert!(logs.contains("pages from 3 company sites"), "{logs}");
}

pub async fn auto_approve_starts_the_job_and_jobs_list_filters(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let thread = json_of(post(&s, &key, "/v1/threads", json!({})).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string();
    let body = json!({"content": FINTECH, "auto_approve": true, "hints": {"max_rows": 5}});
    let posted = json_of(post(&s, &key, &format!("/v1/threads/{thread}/messages"), body).await, StatusCode::CREATED).await;
    assert_eq!(posted["job"]["status"], "running");
    let auto = posted["job"]["id"].as_str().unwrap().to_string();
    let (_, other) = pending_job(&s, &key, FINTECH, json!({})).await;
    until_ended(&s, &key, &auto).await;

    let ids = |v: &Value| v["data"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let all = get(&s, &key, "/v1/jobs").await;
    assert_eq!(ids(&all), [other["job"]["id"].as_str().unwrap().to_string(), auto.clone()], "newest first");
    assert_eq!(ids(&get(&s, &key, "/v1/jobs?status=completed").await), vec![auto.clone()], "aliases of other APIs are accepted");
    assert_eq!(ids(&get(&s, &key, "/v1/jobs?status=pending,running").await), [other["job"]["id"].as_str().unwrap().to_string()]);
    assert_eq!(ids(&get(&s, &key, &format!("/v1/jobs?thread_id={thread}")).await), vec![auto.clone()]);
    let created = all["data"][1]["created_at"].as_str().unwrap().to_string();
    assert_eq!(ids(&get(&s, &key, &format!("/v1/jobs?created_before={created}")).await), Vec::<String>::new());
    assert_eq!(ids(&get(&s, &key, &format!("/v1/jobs?created_after={created}&order=asc")).await).len(), 2);
    for (query, param) in [("status=exploded", "status"), ("created_after=yesterday", "created_after")] {
        let r = call(&s, Method::GET, &format!("/v1/jobs?{query}"), &key).send().await.unwrap();
        assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    let r = call(&s, Method::GET, &format!("/v1/jobs/{auto}"), &key).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "private, max-age=1");
}

/// Parses an SSE body into `(id, event, data)` triples, skipping comments.
fn parse_sse(body: &str) -> Vec<(String, String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let (mut id, mut event, mut data) = (None, None, None);
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("event:") {
                    event = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = Some(serde_json::from_str(v.trim()).unwrap());
                }
            }
            Some((id?, event?, data?))
        })
        .collect()
}

pub async fn the_stream_and_the_logs_tell_the_same_story(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 150})).await;
    let job_id = posted["job"]["id"].as_str().unwrap();
    json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await, StatusCode::OK).await;
    let r = call(&s, Method::GET, &format!("/v1/jobs/{job_id}/stream"), &key).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let live = parse_sse(&r.text().await.unwrap()); // the stream closes after the terminal event
    let kinds: Vec<&str> = live.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"step"));
    assert_eq!(kinds.last(), Some(&"done"), "{kinds:?}");
    for kind in ["log", "result", "artifact"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let streamed_leads: usize = live.iter().filter(|(_, k, _)| k == "result").map(|(_, _, d)| d["leads"].as_array().unwrap().len()).sum();
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(live.last().unwrap().2["artifact_id"], job["artifact"]["id"]);
    assert!(streamed_leads >= 150);

    let logs = get(&s, &key, &format!("/v1/jobs/{job_id}/logs")).await;
    let stored: Vec<(String, String)> =
        logs["data"].as_array().unwrap().iter().map(|e| (e["id"].as_str().unwrap().into(), e["type"].as_str().unwrap().into())).collect();
    let streamed: Vec<(String, String)> = live.iter().map(|(i, k, _)| (i.clone(), k.clone())).collect();
    assert_eq!(stored, streamed, "/logs and the stream show the same entries");

    // Reconnecting after the third event replays exactly the rest.
    let r = call(&s, Method::GET, &format!("/v1/jobs/{job_id}/stream"), &key).header("last-event-id", &live[2].0).send().await.unwrap();
    let rest = parse_sse(&r.text().await.unwrap());
    assert_eq!(rest, live[3..].to_vec());
    let r = call(&s, Method::GET, &format!("/v1/jobs/{job_id}/stream"), &key).header("last-event-id", "evt_<script>").send().await.unwrap();
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("Last-Event-ID")).await;

    // `result` entries carry the job's leads as the lead store has them, now: edits show, and a
    // deleted lead is gone from the log too.
    let result_leads = |entries: &[Value]| -> Vec<Value> {
        entries.iter().filter(|e| e["type"] == "result").flat_map(|e| e["data"]["leads"].as_array().unwrap().clone()).collect()
    };
    let logged = result_leads(logs["data"].as_array().unwrap());
    let stored = all_leads(&s, &key, job_id, "").await;
    let ids = |leads: &[Value]| leads.iter().map(|l| l["id"].as_str().unwrap().to_string()).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(ids(&logged), ids(&stored), "the log's results are the job's leads");
    assert_eq!(logged[0], stored.iter().find(|l| l["id"] == logged[0]["id"]).unwrap().clone(), "whole lead objects");
    let (edited, deleted) = (logged[0]["id"].as_str().unwrap(), logged[1]["id"].as_str().unwrap());
    let r = call(&s, Method::PATCH, &format!("/v1/leads/{edited}"), &key).json(&json!({"tags": ["called"]})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = call(&s, Method::DELETE, &format!("/v1/leads/{deleted}"), &key).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let logs = get(&s, &key, &format!("/v1/jobs/{job_id}/logs")).await;
    let logged = result_leads(logs["data"].as_array().unwrap());
    assert_eq!(logged.iter().find(|l| l["id"] == edited).unwrap()["tags"], json!(["called"]));
    assert!(logged.iter().all(|l| l["id"] != deleted), "a deleted lead leaves the log");
}

pub async fn open_streams_are_limited_per_tier(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Starter).await;
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({})).await;
    let path = format!("/v1/jobs/{}/stream", posted["job"]["id"].as_str().unwrap());
    // A pending job's stream stays open, waiting for events.
    let mut open = Vec::new();
    for _ in 0..5 {
        let r = call(&s, Method::GET, &path, &key).send().await.unwrap();
        assert_eq!(r.status(), 200);
        open.push(r);
    }
    let r = call(&s, Method::GET, &path, &key).send().await.unwrap();
    let body = assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("5 open streams"));
    drop(open);
    let mut reopened = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if call(&s, Method::GET, &path, &key).send().await.unwrap().status() == 200 {
            reopened = true;
            break;
        }
    }
    assert!(reopened, "closing streams frees their slots");
}

pub async fn search_runs_the_whole_pipeline_in_one_call(s: TestServer) {
    let (_, key) = s.org_with_key(Tier::Scale).await;
    let body = json!({"prompt": "CTOs of US Series B dev-tools companies", "max_rows": 30});
    let found = json_of(post(&s, &key, "/v1/search", body).await, StatusCode::OK).await;
    assert_eq!(found["object"], "search_result");
    assert_eq!(found["job"]["status"], "succeeded");
    assert_eq!(found["job"]["artifact"]["rows"], 30);
    let leads = found["leads"].as_array().unwrap();
    assert!(leads.len() >= 30);
    assert!(leads.iter().all(|l| l["company"]["hq_country"] == "US"), "the rows fit the prompt");
    assert_eq!(found["artifact"]["format"], "json");

    // A sync CSV search answers the file itself (as `job.csv` in the Node recipe reads it).
    let csv = post(&s, &key, "/v1/search", json!({"prompt": "Fintechs in Germany", "max_rows": 5, "format": "csv"})).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let job_id = csv.headers()["x-job-id"].to_str().unwrap().to_string();
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 6, "a header and five rows: {text}");
    let job = get(&s, &key, &format!("/v1/jobs/{job_id}")).await;
    let stored = client()
        .get(get(&s, &key, &format!("/v1/artifacts/{}", job["artifact"]["id"].as_str().unwrap())).await["download_url"].as_str().unwrap());
    assert_eq!(stored.send().await.unwrap().text().await.unwrap(), text, "the answer is the job's CSV artifact");
    // Async, CSV or not: the job at once, its ID at the top level too.
    for format in ["json", "csv"] {
        let body = json!({"prompt": "Fintechs in Germany", "wait": "async", "format": format});
        let queued = json_of(post(&s, &key, "/v1/search", body).await, StatusCode::ACCEPTED).await;
        assert!(queued["job_id"].as_str().unwrap().starts_with("job_"), "{queued}");
        assert_eq!(queued["job_id"], queued["job"]["id"]);
        assert!(queued["leads"].is_null() && queued["artifact"].is_null());
    }

    for (body, param) in [
        (json!({"prompt": "Fintechs in Germany", "max_rows": 2001}), "max_rows"),
        (json!({"max_rows": 5}), "prompt"),
        (json!({"prompt": "Fintechs in Germany", "wait": "later"}), "wait"),
        (json!({"prompt": "Fintechs in Germany", "format": "pdf"}), "format"),
    ] {
        assert_error(post(&s, &key, "/v1/search", body).await, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
    }
    assert_error(post(&s, &key, "/v1/search", json!({"prompt": "hello"})).await, StatusCode::UNPROCESSABLE_ENTITY, "plan_rejected", None)
        .await;
    // A prompt that is there but blank is 422, as for a message.
    for blank in ["", "  \n"] {
        let r = post(&s, &key, "/v1/search", json!({"prompt": blank})).await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some("prompt")).await;
    }
}

/// A job that cannot continue ends `failed` with `job_halted`, its error and a refund, and its
/// stream ends with an `error` event.
pub async fn a_job_that_cannot_continue_fails_loudly(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 10})).await;
    let job_id = posted["job"]["id"].as_str().unwrap();
    // The plan vanishes from under the job (as if its storage were damaged).
    let plan_key = quarry_ports::Key::new(format!("ORG#{}", org.id), format!("PLN#{}", posted["plan"]["id"].as_str().unwrap()));
    s.storage.table.delete(&plan_key, quarry_ports::Condition::None).await.unwrap();
    json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await, StatusCode::OK).await;
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "job_halted");
    assert!(job["error"]["message"].as_str().unwrap().contains("plan"));
    assert_eq!(job["credits_used"], 0);
    let logs = get(&s, &key, &format!("/v1/jobs/{job_id}/logs")).await;
    assert_eq!(logs["data"].as_array().unwrap().last().unwrap()["type"], "error");
    // The organization's running-job slot was given back.
    let (_, again) = pending_job(&s, &key, FINTECH, json!({"max_rows": 10})).await;
    json_of(post(&s, &key, &format!("/v1/jobs/{}/approve", again["job"]["id"].as_str().unwrap()), json!({})).await, StatusCode::OK).await;
}

pub async fn job_metadata_is_set_on_approval_and_patched(s: TestServer) {
    let (org, key) = s.org_with_key(Tier::Scale).await;
    let (_, posted) = pending_job(&s, &key, FINTECH, json!({"max_rows": 5})).await;
    let job = posted["job"]["id"].as_str().unwrap().to_string();
    let patch = |body: Value| call(&s, Method::PATCH, &format!("/v1/jobs/{job}"), &key).json(&body).send();
    let patched = json_of(patch(json!({"metadata": {"crm": "A-1", "team": "emea"}})).await.unwrap(), StatusCode::OK).await;
    assert_eq!(patched["metadata"], json!({"crm": "A-1", "team": "emea"}));
    let bad = patch(json!({"metadata": {"n": 3}})).await.unwrap();
    assert_error(bad, StatusCode::BAD_REQUEST, "invalid_request_error", Some("metadata[n]")).await;
    // Approval merges its metadata the same way: `null` removes a key.
    let approved = post(&s, &key, &format!("/v1/jobs/{job}/approve"), json!({"metadata": {"campaign": "q3", "team": null}})).await;
    assert_eq!(json_of(approved, StatusCode::OK).await["metadata"], json!({"crm": "A-1", "campaign": "q3"}));
    let r = post(&s, &key, &format!("/v1/jobs/{job}/approve"), json!({"metadata": {"k": ["not", "a", "string"]}})).await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("metadata[k]")).await;
    let ended = until_ended(&s, &key, &job).await;
    assert_eq!(ended["metadata"], json!({"crm": "A-1", "campaign": "q3"}), "the run keeps the caller's metadata");
    // An ended job's metadata can still change; another mode's job is not found.
    let patched = json_of(patch(json!({"metadata": {"crm": "A-2"}})).await.unwrap(), StatusCode::OK).await;
    assert_eq!(patched["metadata"], json!({"crm": "A-2", "campaign": "q3"}));
    assert_eq!(get(&s, &key, &format!("/v1/jobs/{job}")).await["metadata"], json!({"crm": "A-2", "campaign": "q3"}));
    let live = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let r = call(&s, Method::PATCH, &format!("/v1/jobs/{job}"), &live).json(&json!({"metadata": {"x": "y"}})).send().await.unwrap();
    assert_error(r, StatusCode::NOT_FOUND, "not_found", Some("job_id")).await;
}

//! The credits contract: the ledger and the balance it sums to, the monthly grant and its expiry,
//! usage reports, budgets (refused approvals, stopped live jobs, alerts once a period) and the
//! `credit.low` alert, and the operator's refund of a job ([`Jobs::refund`]), over real HTTP with
//! the worker running. On a manual clock (months are
//! moved by hand). Run on the embedded store (`tests/embedded/billing_embedded.rs`) and on AWS via
//! moto (`tests/aws/billing_aws.rs`).

use quarry_shared::accounts::{KeyKind, Mode, Organization, Scope, Tier};
use quarry_shared::billing::{Billing, Ended, JobCharge, Period};
use quarry_shared::error::ResearchError;
use quarry_shared::events::EventLog;
use quarry_shared::jobs::Jobs;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::api::{assert_error, call, json_of, post};
use super::jobs::{get, until_ended};
use crate::fixtures::{FixtureSite, Page};
use crate::server::TestServer;

/// A seed list of `rows` French fintechs, a CTO named at every third one.
fn seeds(rows: usize) -> String {
    let mut csv = String::from("Company Name,Website,Country,Industry,Employees,Contact,Job Title,E-mail\n");
    for i in 0..rows {
        let (contact, title, email) = if i % 3 == 0 {
            (format!("Person {i}"), "Chief Technology Officer", format!("person{i}@company{i}.fr"))
        } else {
            Default::default()
        };
        csv.push_str(&format!("Company {i},https://www.company{i}.fr/,France,Financial Services,{},{contact},{title},{email}\n", 100 + i));
    }
    csv
}

pub(crate) async fn seed_site(rows: usize) -> FixtureSite {
    FixtureSite::serve(vec![("seeds.csv", Page { content_type: "text/csv; charset=utf-8", body: seeds(rows) })]).await
}

/// A pending live job enriching the site's seed list for its CTOs: `(thread_id, job_id)`.
async fn seeded_job(s: &TestServer, key: &str, site: &FixtureSite, rows: usize) -> (String, String) {
    let thread = json_of(post(s, key, "/v1/threads", json!({})).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string();
    let message = json!({"content": "For each company in the attached CSV, pull the CTO.",
        "attachments": [{"kind": "csv", "url": site.url("seeds.csv")}], "hints": {"max_rows": rows}});
    let posted = json_of(post(s, key, &format!("/v1/threads/{thread}/messages"), message).await, StatusCode::CREATED).await;
    (thread, posted["job"]["id"].as_str().unwrap().to_string())
}

/// Runs a live job over 150 seed rows to its end, approved with `approval`: 150 companies at
/// 0.5 and 50 CTOs at 0.5 = 100 credits (the plan estimates 165, verification included).
pub(crate) async fn run_seeded_job(s: &TestServer, key: &str, site: &FixtureSite, approval: Value) -> (String, Value) {
    let (thread, job_id) = seeded_job(s, key, site, 150).await;
    json_of(post(s, key, &format!("/v1/jobs/{job_id}/approve"), approval).await, StatusCode::OK).await;
    let job = until_ended(s, key, &job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["credits_used"], 100, "{job}");
    (thread, job)
}

async fn put(s: &TestServer, key: &str, path: &str, body: Value) -> reqwest::Response {
    call(s, Method::PUT, path, key).json(&body).send().await.unwrap()
}

/// Every entry of the ledger, newest first, paging through it.
async fn ledger(s: &TestServer, key: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut path = "/v1/credits/usage?limit=2".to_string();
    loop {
        let page = get(s, key, &path).await;
        entries.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/credits/usage?limit=2&cursor={cursor}"),
            None => return entries,
        }
    }
}

/// The balance `/v1/account` shows, checked to be the sum of the ledger.
async fn balance(s: &TestServer, key: &str) -> i64 {
    let account = get(s, key, "/v1/account").await;
    let sum: i64 = ledger(s, key).await.iter().map(|e| e["amount"].as_i64().unwrap()).sum();
    assert_eq!(account["credits"]["balance"], sum, "the balance is the sum of the ledger: {account}");
    sum
}

/// Approving `job_id` is refused with 402 `insufficient_credits`, the message saying `why`.
async fn refused_for_credits(s: &TestServer, key: &str, job_id: &str, why: &str) {
    let r = post(s, key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await;
    let refused = assert_error(r, StatusCode::PAYMENT_REQUIRED, "insufficient_credits", None).await;
    assert!(refused["error"]["message"].as_str().unwrap().contains(why), "{refused}");
}

/// A GET of `path` answers 400 naming `param`.
async fn bad(s: &TestServer, key: &str, path: &str, param: &str) {
    let r = call(s, Method::GET, path, key).send().await.unwrap();
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some(param)).await;
}

fn event_kinds(events: &[quarry_shared::events::Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

pub async fn the_ledger_sums_to_the_balance_and_usage_reports_it(s: TestServer) {
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let site = seed_site(150).await;
    let (thread, job) = run_seeded_job(&s, &key, &site, json!({})).await;
    let key_id = get(&s, &key, "/v1/me").await["api_key"]["id"].as_str().unwrap().to_string();

    let entries = ledger(&s, &key).await;
    let kinds: Vec<&str> = entries.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["usage", "grant"], "newest first: {entries:?}");
    let usage = &entries[0];
    assert!(usage["id"].as_str().unwrap().starts_with("txn_"), "{usage}");
    assert_eq!(usage["object"], "credit_transaction");
    assert_eq!(usage["amount"], -100);
    assert_eq!(usage["job_id"], job["id"]);
    assert_eq!(usage["thread_id"], thread.as_str());
    assert_eq!(usage["api_key_id"], key_id.as_str());
    assert_eq!(entries[1]["amount"], 10_000, "the month's grant: {}", entries[1]);
    assert_eq!(balance(&s, &key).await, 9_900);

    let now = s.clock.now();
    let period = Period::of(now.into());
    let account = get(&s, &key, "/v1/account").await;
    assert_eq!(account["object"], "account");
    assert_eq!(account["id"], org.id.as_str());
    assert_eq!(account["plan"], "scale");
    assert_eq!(account["credits"], json!({"balance": 9_900, "total_purchased": 10_000, "total_used": 100}));
    assert_eq!(account["subscription"]["status"], "active");
    assert_eq!(account["subscription"]["monthly_credits"], 10_000);
    assert_eq!(account["subscription"]["current_period_end"], quarry_ports::clock::Timestamp(period.end()).to_string());

    let report = get(&s, &key, "/v1/usage").await;
    assert_eq!(report["object"], "usage");
    assert_eq!(report["period"], json!({"from": period.first_day().to_string(), "to": period.last_day().to_string()}));
    assert_eq!(report["plan"], "scale");
    assert_eq!(report["credits"], json!({"included": 10_000, "used": 100, "remaining": 9_900, "rollover": 0}));
    assert_eq!(report["jobs"], json!({"succeeded": 1, "failed": 0, "stopped": 0}));
    assert_eq!((report["quota_total"].as_i64(), report["quota_used"].as_i64()), (Some(10_000), Some(100)), "{report}");
    assert_eq!((report["quota_remaining"].as_i64(), report["credits_remaining"].as_i64()), (Some(9_900), Some(9_900)), "{report}");
    assert_eq!(report["reset_date"], quarry_ports::clock::Timestamp(period.end()).to_string());
    assert_eq!(report["rate_limit"]["limit"], 3_000, "{report}");
    assert!(report["rate_limit"]["used"].as_u64().unwrap() >= 1, "{report}");
    assert!(report["groups"].is_null());

    let today = now.date_naive().to_string();
    let by_day = get(&s, &key, &format!("/v1/usage?group_by=day&from={today}&to={today}")).await;
    assert_eq!(by_day["groups"], json!([{"key": today, "credits_used": 100, "jobs": 1}]), "{by_day}");
    let by_thread = get(&s, &key, "/v1/usage?group_by=thread").await;
    assert_eq!(by_thread["groups"], json!([{"key": thread, "credits_used": 100, "jobs": 1}]), "{by_thread}");
    let by_key = get(&s, &key, "/v1/usage?group_by=key").await;
    assert_eq!(by_key["groups"], json!([{"key": key_id, "credits_used": 100, "jobs": 1}]), "{by_key}");
    let tomorrow = now.date_naive().succ_opt().unwrap().to_string();
    let later = get(&s, &key, &format!("/v1/usage?from={tomorrow}&to={tomorrow}")).await;
    assert_eq!(later["credits"]["used"], 0, "a range without usage: {later}");

    // Test keys run free: their mode's job counts, the organization's real credits.
    let test_key = s.key(&org, KeyKind::Secret, Mode::Test, &Scope::ALL).await;
    let as_test = get(&s, &test_key, "/v1/usage").await;
    assert_eq!(as_test["jobs"], json!({"succeeded": 0, "failed": 0, "stopped": 0}), "{as_test}");
    assert_eq!(as_test["credits"]["remaining"], 9_900, "{as_test}");

    bad(&s, &key, "/v1/usage?from=2026-13-01", "from").await;
    for (path, param) in [("/v1/usage?from=2026-12-10&to=2026-12-01", "to"), ("/v1/usage?from=2024-01-01&to=2026-01-01", "from")] {
        let r = call(&s, Method::GET, path, &key).send().await.unwrap();
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", Some(param)).await;
    }
    bad(&s, &key, "/v1/usage?group_by=week", "group_by").await;
    bad(&s, &key, "/v1/credits/usage?start_date=yesterday", "start_date").await;
    // A ledger range: the grant is dated the first of the month, the usage today.
    let since_today = get(&s, &key, &format!("/v1/credits/usage?start_date={today}")).await;
    assert_eq!(since_today["data"].as_array().unwrap().len(), 1, "{since_today}");
    assert_eq!(since_today["data"][0]["type"], "usage");
}

/// A live job bills what its plan priced and it delivered: each enrichment dimension asked for,
/// on every row whose company site was read.
pub async fn priced_enrichment_is_billed_when_delivered(s: TestServer) {
    use crate::fixtures::FixtureWeb;
    let web = FixtureWeb::serve().await;
    let files = FixtureSite::serve(vec![("seeds.csv", Page { content_type: "text/csv", body: web.seed_list() })]).await;
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let thread = json_of(post(&s, &key, "/v1/threads", json!({})).await, StatusCode::CREATED).await["id"].as_str().unwrap().to_string();
    let message = json!({"content": "For each company in the attached CSV, pull the CEO and CTO. Add the tech stack.",
        "attachments": [{"kind": "csv", "url": files.url("seeds.csv")}]});
    let posted = json_of(post(&s, &key, &format!("/v1/threads/{thread}/messages"), message).await, StatusCode::CREATED).await;
    assert!(posted["plan"]["criteria"]["enrich"].to_string().contains("tech_stack"), "{}", posted["plan"]);
    let job_id = posted["job"]["id"].as_str().unwrap();
    json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await, StatusCode::OK).await;
    let job = until_ended(&s, &key, job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    // 3 companies at 0.5, 6 people at 0.5, and the tech stack of 3 read sites at 0.5 = 6.
    assert_eq!(job["credits_used"], 6, "{job}");
    let ledger = get(&s, &key, "/v1/credits/usage").await;
    assert_eq!(ledger["data"][0]["amount"], -6, "{ledger}");
}

pub async fn a_new_month_grants_again_and_only_the_grant_expires(s: TestServer) {
    let clock = s.manual_clock.clone().expect("a manual clock");
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let site = seed_site(150).await;
    let (thread, job) = run_seeded_job(&s, &key, &site, json!({})).await;
    let billing = Billing::new(s.storage.table.clone(), s.clock.clone());
    let topped = billing.adjust(&org, 500, "Operator top-up").await.unwrap();
    assert_eq!(topped.amount, 500);
    assert_eq!(balance(&s, &key).await, 10_400);

    let next = Period::of(s.clock.now().into()).next();
    clock.set(next.start() + chrono::Duration::hours(1));
    // The unused part of the grant (9,900) expires; the top-up carries over.
    assert_eq!(balance(&s, &key).await, 10_500);
    let entries = ledger(&s, &key).await;
    let kinds: Vec<&str> = entries.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["grant", "expiry", "adjustment", "usage", "grant"], "{entries:?}");
    assert_eq!(entries[1]["amount"], -9_900);
    assert_eq!(entries[0]["period"], next.label());
    let report = get(&s, &key, "/v1/usage").await;
    assert_eq!(report["credits"], json!({"included": 10_000, "used": 0, "remaining": 10_500, "rollover": 500}), "{report}");

    // A refund gives a job's credits back once, in the month it is made.
    let charge = JobCharge {
        job_id: job["id"].as_str().unwrap(),
        thread_id: &thread,
        livemode: true,
        credits: 100,
        rows: 150,
        ended: Ended::Succeeded,
        api_key_id: None,
        member_id: None,
    };
    let refund = billing.refund_job(&org, &charge, "Refund: duplicate rows").await.unwrap().expect("refunded");
    assert_eq!(refund.amount, 100);
    assert!(billing.refund_job(&org, &charge, "again").await.unwrap().is_none(), "a job is refunded once");
    assert_eq!(balance(&s, &key).await, 10_600);
    let report = get(&s, &key, "/v1/usage").await;
    assert_eq!(report["credits"]["used"], -100, "refunds count against the month's use: {report}");
    assert_eq!(get(&s, &key, "/v1/account").await["credits"]["total_used"], 0);
}

pub async fn budgets_refuse_approvals_and_stop_live_jobs(s: TestServer) {
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let budget = get(&s, &key, "/v1/usage/budget").await;
    assert_eq!(budget["object"], "budget");
    assert!(budget["monthly_ceiling"].is_null(), "{budget}");
    assert_eq!((budget["hard_stop_threshold"].as_u64(), budget["warning_threshold"].as_u64()), (Some(100), Some(80)));
    assert_eq!(budget["status"], "ok");

    let reader = s.key(&org, KeyKind::Secret, Mode::Live, &[Scope::Read, Scope::Run]).await;
    assert_error(
        put(&s, &reader, "/v1/usage/budget", json!({"monthly_ceiling": 5})).await,
        StatusCode::FORBIDDEN,
        "permission_error",
        None,
    )
    .await;
    let r = put(&s, &key, "/v1/usage/budget", json!({"monthly_ceiling": 50, "hard_stop_threshold": 0})).await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("hard_stop_threshold")).await;
    let r = put(&s, &key, "/v1/usage/budget", json!({"monthly_ceiling": 5_000_000_000u64})).await;
    assert_error(r, StatusCode::BAD_REQUEST, "invalid_request_error", Some("monthly_ceiling")).await;

    // A long live job, then a ceiling it will reach: it stops at its next checkpoint.
    let site = seed_site(2_000).await;
    let (_, job_id) = seeded_job(&s, &key, &site, 2_000).await;
    json_of(post(&s, &key, &format!("/v1/jobs/{job_id}/approve"), json!({})).await, StatusCode::OK).await;
    let set = json_of(put(&s, &key, "/v1/usage/budget", json!({"monthly_ceiling": 50})).await, StatusCode::OK).await;
    assert_eq!(set["monthly_ceiling"], 50);
    assert_eq!(set["hard_stop_at"], 50);
    let job = until_ended(&s, &key, &job_id).await;
    assert_eq!(job["status"], "stopped", "{job}");
    assert!(job["summary"].as_str().unwrap().contains("monthly budget"), "{job}");
    let used = job["credits_used"].as_i64().unwrap();
    assert!((50..1_000).contains(&used), "billed what it delivered before the stop: {job}");
    let budget = get(&s, &key, "/v1/usage/budget").await;
    assert_eq!((budget["status"].as_str(), budget["used"].as_i64()), (Some("exceeded"), Some(used)), "{budget}");

    // New live approvals are refused, naming the budget.
    let (_, next) = seeded_job(&s, &key, &site, 10).await;
    refused_for_credits(&s, &key, &next, "budget").await;

    // The alerts were recorded once, and setting the budget again does not repeat them.
    json_of(put(&s, &key, "/v1/usage/budget", json!({"monthly_ceiling": 50})).await, StatusCode::OK).await;
    let events = EventLog::new(s.storage.table.as_ref()).all(&org.id).await.unwrap();
    let alerts: Vec<&str> = event_kinds(&events).into_iter().filter(|k| k.starts_with("usage.")).collect();
    assert_eq!(alerts, ["usage.budget.warning", "usage.budget.exceeded"]);
    let exceeded = events.iter().find(|e| e.kind.as_str() == "usage.budget.exceeded").unwrap();
    assert!(exceeded.livemode);
    assert_eq!(exceeded.data.object["status"], "exceeded");

    // Without a budget the job may start again.
    json_of(put(&s, &key, "/v1/usage/budget", json!({"monthly_ceiling": null})).await, StatusCode::OK).await;
    let approved = json_of(post(&s, &key, &format!("/v1/jobs/{next}/approve"), json!({})).await, StatusCode::OK).await;
    assert_eq!(approved["status"], "running");
    until_ended(&s, &key, &next).await;
}

pub async fn a_low_balance_alerts_once_and_blocks_what_it_cannot_pay(s: TestServer) {
    let org: Organization = s.accounts.create_organization("Small", Tier::Scale, 120).await.unwrap();
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    // The catalog names the event, so an endpoint may subscribe to it.
    let test_key = s.key(&org, KeyKind::Secret, Mode::Test, &Scope::ALL).await;
    let hook = json!({"url": "http://127.0.0.1:9/hook", "events": ["credit.low", "usage.budget.warning", "usage.budget.exceeded"]});
    json_of(post(&s, &test_key, "/v1/webhooks", hook).await, StatusCode::CREATED).await;

    let site = seed_site(150).await;
    run_seeded_job(&s, &key, &site, json!({"max_credits": 110})).await;
    assert_eq!(balance(&s, &key).await, 20);
    let events = EventLog::new(s.storage.table.as_ref()).all(&org.id).await.unwrap();
    let low: Vec<_> = events.iter().filter(|e| e.kind.as_str() == "credit.low").collect();
    assert_eq!(low.len(), 1, "{:?}", event_kinds(&events));
    assert_eq!(low[0].data.object["balance"], 20);
    assert_eq!(low[0].data.object["monthly_credits"], 120);

    // 20 credits cannot pay for another 100.
    let (_, next) = seeded_job(&s, &key, &site, 150).await;
    refused_for_credits(&s, &key, &next, "20 left").await;
    // A job capped within the balance runs, and the alert is not repeated.
    json_of(post(&s, &key, &format!("/v1/jobs/{next}/approve"), json!({"max_credits": 15})).await, StatusCode::OK).await;
    let job = until_ended(&s, &key, &next).await;
    assert_eq!(job["status"], "stopped", "{job}");
    assert_eq!(balance(&s, &key).await, 20 - job["credits_used"].as_i64().unwrap());
    let events = EventLog::new(s.storage.table.as_ref()).all(&org.id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind.as_str() == "credit.low").count(), 1);
}

/// The message of a refund the operator's `Jobs::refund` refused as a conflict.
fn conflict(refused: Result<quarry_shared::billing::LedgerEntry, ResearchError>) -> String {
    match refused {
        Err(ResearchError::Conflict(message)) => message,
        other => panic!("a conflict, not {other:?}"),
    }
}

pub async fn the_operator_refunds_a_finished_live_job_once(s: TestServer) {
    let org = s.org(Tier::Scale).await;
    let key = s.key(&org, KeyKind::Secret, Mode::Live, &Scope::ALL).await;
    let key_id = get(&s, &key, "/v1/me").await["api_key"]["id"].as_str().unwrap().to_string();
    let jobs = Jobs::new(s.storage.table.clone(), s.storage.blobs.clone(), s.storage.steps.clone(), s.clock.clone());
    let site = seed_site(150).await;

    // A pending job has billed nothing yet.
    let (_, pending) = seeded_job(&s, &key, &site, 150).await;
    let message = conflict(jobs.refund(&org, &pending, None).await);
    assert!(message.contains("pending") && message.contains("ended"), "{message}");

    let (thread, job) = run_seeded_job(&s, &key, &site, json!({})).await;
    let job_id = job["id"].as_str().unwrap();
    assert_eq!(balance(&s, &key).await, 9_900);
    let refund = jobs.refund(&org, job_id, Some("  Refund: duplicate rows ")).await.expect("a finished live job is refunded");
    assert_eq!(refund.kind, quarry_shared::billing::TransactionKind::Refund);
    assert_eq!(refund.amount, 100, "the job's credits_used");
    assert_eq!(refund.description, "Refund: duplicate rows");
    assert_eq!(refund.job_id.as_deref(), Some(job_id));
    assert_eq!(refund.thread_id.as_deref(), Some(thread.as_str()));
    assert_eq!(refund.api_key_id.as_deref(), Some(key_id.as_str()), "the key that approved the job");
    assert_eq!(balance(&s, &key).await, 10_000, "the balance rose by the job's credits");
    let account = get(&s, &key, "/v1/account").await;
    assert_eq!(account["credits"], json!({"balance": 10_000, "total_purchased": 10_000, "total_used": 0}), "{account}");
    let entries = ledger(&s, &key).await;
    assert_eq!(entries[0]["id"], refund.id.as_str(), "the refund is the newest entry: {entries:?}");
    assert_eq!((entries[0]["type"].as_str(), entries[0]["amount"].as_i64()), (Some("refund"), Some(100)));
    let by_key = get(&s, &key, "/v1/usage?group_by=key").await;
    assert_eq!(by_key["groups"], json!([{"key": key_id, "credits_used": 0, "jobs": 1}]), "the key's usage nets the refund: {by_key}");

    // Once per job, whoever asks again.
    let message = conflict(jobs.refund(&org, job_id, Some("again")).await);
    assert!(message.contains("refunded already"), "{message}");
    assert_eq!(balance(&s, &key).await, 10_000, "a second refund moves nothing");
    assert!(matches!(jobs.refund(&org, job_id, Some("   ")).await, Err(ResearchError::Invalid { ref param, .. }) if param == "note"));

    // Test keys run free, so their jobs have nothing to refund.
    let test_key = s.key(&org, KeyKind::Secret, Mode::Test, &Scope::ALL).await;
    let (_, test_job) = seeded_job(&s, &test_key, &site, 20).await;
    json_of(post(&s, &test_key, &format!("/v1/jobs/{test_job}/approve"), json!({})).await, StatusCode::OK).await;
    assert_eq!(until_ended(&s, &test_key, &test_job).await["status"], "succeeded");
    let message = conflict(jobs.refund(&org, &test_job, None).await);
    assert!(message.contains("test mode"), "{message}");

    // Another organization has no such job, and neither has this one an unknown ID.
    let other = s.org(Tier::Scale).await;
    assert!(matches!(jobs.refund(&other, job_id, None).await, Err(ResearchError::NotFound { .. })));
    assert!(matches!(jobs.refund(&org, "job_01KBQ3S7Y5B3C2M6Z3T4W5X6Y7", None).await, Err(ResearchError::NotFound { .. })));
    assert_eq!(balance(&s, &key).await, 10_000);
}

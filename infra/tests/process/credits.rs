//! The credit commands as a process, on the embedded store beside a running server: `quarry
//! credits adjust` and `show` move and report the balance the API shows, `ledger` lists every
//! entry newest first, bad amounts and notes are refused before anything is written, and `refund`
//! gives a finished live job's credits back once.

use serde_json::{json, Value};

use super::cli::{client, data_dir, run_ok, Server};
use super::operators::{json_line, run_err};

/// `GET /v1/account`'s credits as `key` sees them.
async fn account_credits(http: &reqwest::Client, server: &Server, key: &str) -> Value {
    let res = http.get(server.url("/v1/account")).bearer_auth(key).send().await.expect("GET /v1/account");
    assert_eq!(res.status().as_u16(), 200);
    let account: Value = res.json().await.expect("JSON body");
    account["credits"].clone()
}

/// Every ledger entry `quarry credits ledger ARGS` printed, one JSON object a line.
fn ledger(dir: &std::path::Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["credits", "ledger"];
    all.extend_from_slice(args);
    run_ok(dir, &all).lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))).collect()
}

#[tokio::test]
async fn adjustments_move_the_balance_by_their_amount_and_are_listed() {
    let (_tmp, dir) = data_dir();
    let server = Server::start(&dir, false);
    let key = server.printed_key("live").expect("the first start prints a live key");
    let http = client();

    let shown = json_line(&run_ok(&dir, &["credits", "show"]));
    let org = shown["organization_id"].as_str().expect("organization_id").to_string();
    let start = shown["balance"].as_i64().expect("balance");
    assert_eq!(shown["monthly_credits"], 1_000_000, "QUARRY_DEFAULT_CREDITS' default: {shown}");
    assert_eq!(start, 1_000_000, "the month's grant: {shown}");
    assert_eq!((shown["period"]["granted"].as_i64(), shown["period"]["adjusted"].as_i64()), (Some(1_000_000), Some(0)), "{shown}");
    assert_eq!(account_credits(&http, &server, &key).await["balance"], start);

    let top_up = json_line(&run_ok(&dir, &["credits", "adjust", "--amount", "250", "--note", " Pilot top-up "]));
    assert_eq!(
        (top_up["object"].as_str(), top_up["type"].as_str(), top_up["amount"].as_i64(), top_up["description"].as_str()),
        (Some("credit_transaction"), Some("adjustment"), Some(250), Some("Pilot top-up")),
        "{top_up}"
    );
    assert!(top_up["id"].as_str().unwrap().starts_with("txn_"), "{top_up}");
    let correction = json_line(&run_ok(&dir, &["credits", "adjust", "--org", &org, "--amount", "-1000", "--note", "Double-billed import"]));
    assert_eq!(correction["amount"], -1000, "{correction}");

    let shown = json_line(&run_ok(&dir, &["credits", "show", "--org", &org]));
    assert_eq!(shown["balance"], start - 750, "moved by exactly the two amounts: {shown}");
    assert_eq!(shown["total_purchased"], 1_000_000 - 750, "adjustments count as purchased: {shown}");
    assert_eq!((shown["period"]["adjusted"].as_i64(), shown["period"]["used"].as_i64()), (Some(-750), Some(0)), "{shown}");
    assert_eq!(account_credits(&http, &server, &key).await["balance"], start - 750, "the running server sees the same balance");

    let entries = ledger(&dir, &[]);
    let listed: Vec<(&str, i64)> = entries.iter().map(|e| (e["type"].as_str().unwrap(), e["amount"].as_i64().unwrap())).collect();
    assert_eq!(listed, [("adjustment", -1000), ("adjustment", 250), ("grant", 1_000_000)], "newest first: {entries:?}");
    assert_eq!((&entries[0]["id"], &entries[1]["id"]), (&correction["id"], &top_up["id"]));
    assert_eq!(entries.iter().map(|e| e["amount"].as_i64().unwrap()).sum::<i64>(), start - 750, "the ledger sums to the balance");
    let newest = ledger(&dir, &["--limit", "1"]);
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0]["id"], correction["id"]);

    // Each refusal names the flag and says what it takes.
    for (args, flag, says) in [
        (vec!["--amount", "0", "--note", "nothing"], "--amount", "0 moves no credits"),
        (vec!["--amount", "1000000001", "--note", "typo"], "--amount", "at most 1000000000"),
        (vec!["--amount", "-5000000000", "--note", "typo"], "--amount", "at most 1000000000"),
        (vec!["--amount", "12.5", "--note", "fraction"], "--amount", "whole number"),
        (vec!["--amount", "100", "--note", "   "], "--note", "may not be blank"),
        (vec!["--amount", "100"], "--note", "required"),
    ] {
        let mut all = vec!["credits", "adjust"];
        all.extend_from_slice(&args);
        let stderr = run_err(&dir, &all);
        assert!(stderr.contains(flag) && stderr.contains(says), "{args:?}: {stderr}");
    }
    assert!(run_err(&dir, &["credits", "adjust", "--amount", "0", "--note", "x"]).contains("--amount -500"), "says what to do");
    assert!(run_err(&dir, &["credits", "ledger", "--limit", "0"]).contains("1 or more"));
    assert!(run_err(&dir, &["credits", "show", "--org", "org_01KBQ3S7Y5B3C2M6Z3T4W5X6Y7"]).contains("no organization"));
    assert_eq!(ledger(&dir, &[]).len(), 3, "nothing refused was written");
    assert_eq!(account_credits(&http, &server, &key).await["balance"], start - 750);

    for unknown in ["job_01KBQ3S7Y5B3C2M6Z3T4W5X6Y7", "not-a-job"] {
        let stderr = run_err(&dir, &["credits", "refund", unknown]);
        assert!(stderr.contains(&format!("no job {unknown} in organization {org}")), "{stderr}");
    }
    assert!(run_err(&dir, &["credits", "refund", "job_01KBQ3S7Y5B3C2M6Z3T4W5X6Y7", "--note", ""]).contains("may not be blank"));
    assert_eq!(ledger(&dir, &[]).len(), 3);
}

/// A live scrape of one fixture page bills its credits; `quarry credits refund` gives them back,
/// as `GET /v1/account` then shows, and refuses a second time.
#[tokio::test]
async fn a_finished_live_job_is_refunded_once() {
    use quarry_tests::fixtures::FixtureWeb;

    let web = FixtureWeb::serve().await;
    let env = [
        ("QUARRY_ALLOW_PRIVATE_TARGETS", "true".to_string()),
        ("QUARRY_RESOLVE", "kontorwerk.de=127.0.0.1".to_string()),
        // No MX look-ups: they would go to the system resolver.
        ("QUARRY_VERIFY_EMAILS", "false".to_string()),
    ];
    let (_tmp, dir) = data_dir();
    let server = Server::start_with(&dir, false, &env);
    let key = server.printed_key("live").expect("live key printed");
    let http = client();
    let body = json!({"type": "single", "urls": [web.home("kontorwerk.de")]});
    let created = http.post(server.url("/v1/scrape")).bearer_auth(&key).json(&body).send().await.unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.unwrap();
    let job_id = created["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_string();
    let events = http.get(server.url(&format!("/v1/jobs/{job_id}/stream"))).bearer_auth(&key).send().await.unwrap().text().await.unwrap();
    assert!(events.contains("event: done"), "{events}");
    let job: Value = http.get(server.url(&format!("/v1/jobs/{job_id}"))).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(job["status"], "succeeded", "{job}");
    let credits = job["credits_used"].as_i64().unwrap();
    assert!(credits > 0, "a page read costs credits: {job}");
    let billed = account_credits(&http, &server, &key).await["balance"].as_i64().unwrap();
    assert_eq!(billed, 1_000_000 - credits);

    let refund = json_line(&run_ok(&dir, &["credits", "refund", &job_id, "--note", "Wrong site"]));
    assert_eq!(
        (refund["type"].as_str(), refund["amount"].as_i64(), refund["job_id"].as_str(), refund["description"].as_str()),
        (Some("refund"), Some(credits), Some(job_id.as_str()), Some("Wrong site")),
        "{refund}"
    );
    assert_eq!(refund["thread_id"], job["thread_id"]);
    assert!(refund["api_key_id"].as_str().is_some_and(|k| k.starts_with("key_")), "the approving key: {refund}");
    assert_eq!(account_credits(&http, &server, &key).await["balance"], billed + credits, "the balance rose by the job's credits");
    assert_eq!(json_line(&run_ok(&dir, &["credits", "show"]))["total_used"], 0, "usage net of the refund");
    assert_eq!(ledger(&dir, &["--limit", "1"])[0]["id"], refund["id"]);

    let again = run_err(&dir, &["credits", "refund", &job_id]);
    assert!(again.contains("refunded already"), "{again}");
    assert_eq!(account_credits(&http, &server, &key).await["balance"], billed + credits, "a second refund moves nothing");
}

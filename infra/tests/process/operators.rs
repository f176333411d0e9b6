//! The operator commands as a process: `quarry org create`, `org set` with limit overrides,
//! `org delete`, and the `QUARRY_DEFAULT_*` limits of the organization the first start makes,
//! on the embedded store beside a running server.

use std::time::{Duration, Instant};

use quarry_shared::accounts::VERIFIED_KEY_TTL;
use serde_json::{json, Value};

use super::cli::{client, create_key, data_dir, me, quarry, run, run_ok, text, Server};

/// The one JSON object a command printed.
pub(crate) fn json_line(stdout: &str) -> Value {
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout:?}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout:?}"))
}

/// Runs a command that must fail; returns its stderr.
pub(crate) fn run_err(dir: &std::path::Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(!out.status.success(), "quarry {args:?} should fail, printed {}", text(&out.stdout));
    assert!(out.stdout.is_empty(), "nothing on stdout on failure: {}", text(&out.stdout));
    text(&out.stderr)
}

#[tokio::test]
async fn a_second_organization_is_created_configured_and_deleted() {
    let (_tmp, dir) = data_dir();
    let server = Server::start_with(&dir, false, &[("QUARRY_DEFAULT_CONCURRENT_JOBS", "7".to_string())]);
    let first_key = server.printed_key("test").expect("the first start prints a test key");
    let http = client();
    let (status, first) = me(&http, &server, &first_key).await;
    assert_eq!(status, 200);
    assert_eq!(first["organization"]["limits"]["concurrent_jobs"], 7, "QUARRY_DEFAULT_CONCURRENT_JOBS applies: {first}");
    assert_eq!(first["organization"]["overrides"]["concurrent_jobs"], 7);

    let created = json_line(&run_ok(
        &dir,
        &["org", "create", "--name", " Team B ", "--tier", "growth", "--credits", "500", "--requests-per-minute", "5000"],
    ));
    let org = created["id"].as_str().expect("id").to_string();
    assert_eq!(
        (created["name"].as_str(), created["tier"].as_str(), created["monthly_credits"].as_u64()),
        (Some("Team B"), Some("growth"), Some(500))
    );
    assert_eq!(created["limits"], json!({"requests_per_minute": 5000, "concurrent_jobs": 5, "plans_per_day": 2000, "sse_connections": 25}));
    assert_eq!(created["overrides"]["requests_per_minute"], 5000);
    assert!(run_err(&dir, &["org", "create", "--name", "  "]).contains("--name"), "a blank name is refused");

    let (team_key, _) = create_key(&dir, &["--test", "--org", &org, "--name", "team-b"]);
    let (status, team) = me(&http, &server, &team_key).await;
    assert_eq!(status, 200);
    assert_eq!(team["organization"]["id"], org.as_str());
    assert_eq!(team["organization"]["limits"]["requests_per_minute"], 5000);

    for (flag, bad, says) in [
        ("--concurrent-jobs", "0", "1 to 1000"),
        ("--requests-per-minute", "2000000", "1 to 1000000"),
        ("--plans-per-day", "many", "unlimited"),
        ("--sse-connections", "1.5", "1 to 100000"),
    ] {
        let stderr = run_err(&dir, &["org", "set", "--org", &org, flag, bad]);
        assert!(stderr.contains(flag) && stderr.contains(says) && stderr.contains("`default`"), "{flag} {bad}: {stderr}");
    }
    let set = json_line(&run_ok(&dir, &["org", "set", "--org", &org, "--plans-per-day", "unlimited", "--sse-connections", "40"]));
    assert_eq!(set["limits"], json!({"requests_per_minute": 5000, "concurrent_jobs": 5, "plans_per_day": null, "sse_connections": 40}));
    assert_eq!(
        set["overrides"],
        json!({"requests_per_minute": 5000, "concurrent_jobs": null, "plans_per_day": "unlimited", "sse_connections": 40})
    );
    let set = json_line(&run_ok(&dir, &["org", "set", "--org", &org, "--requests-per-minute", "default", "--tier", "scale"]));
    assert_eq!(set["limits"]["requests_per_minute"], 3000, "back to the (new) tier's value");
    assert_eq!(set["overrides"]["sse_connections"], 40, "a tier change keeps the other overrides");
    let set = json_line(&run_ok(&dir, &["org", "set", "--org", &org, "--clear-overrides", "--concurrent-jobs", "9"]));
    assert_eq!(
        set["overrides"],
        json!({"requests_per_minute": null, "concurrent_jobs": 9, "plans_per_day": null, "sse_connections": null})
    );
    let set = json_line(&run_ok(&dir, &["org", "set", "--org", &org, "--clear-overrides"]));
    assert_eq!(set["overrides"], Value::Null);
    assert_eq!(run_ok(&dir, &["org", "list"]).lines().count(), 2);

    let refusal = run_err(&dir, &["org", "delete", &org]);
    assert!(refusal.contains("--yes-delete-all-data"), "{refusal}");
    assert_eq!(run_ok(&dir, &["org", "list"]).lines().count(), 2, "nothing was deleted");
    let deleted = json_line(&run_ok(&dir, &["org", "delete", &org, "--yes-delete-all-data", "--settle-secs", "0"]));
    assert_eq!((deleted["id"].as_str(), deleted["deleted"].as_bool(), deleted["keys"].as_u64()), (Some(org.as_str()), Some(true), Some(1)));

    // The running server trusted the key it verified for up to VERIFIED_KEY_TTL.
    let deadline = Instant::now() + VERIFIED_KEY_TTL.to_std().unwrap() + Duration::from_secs(5);
    loop {
        let (status, body) = me(&http, &server, &team_key).await;
        if status == 401 {
            assert_eq!(body["error"]["code"], "authentication_error");
            break;
        }
        assert!(Instant::now() < deadline, "the deleted organization's key still answers {status}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(me(&http, &server, &first_key).await.0, 200, "the other organization is untouched");
    let orgs = run_ok(&dir, &["org", "list"]);
    assert_eq!(orgs.lines().count(), 1, "{orgs}");
    assert!(!orgs.contains(&org));
    assert_eq!(run_ok(&dir, &["keys", "list", "--org", &org]), "", "its keys are gone");
    assert!(run_err(&dir, &["org", "delete", &org, "--yes-delete-all-data"]).contains("no organization"));
}

#[test]
fn the_first_organization_takes_its_limits_from_the_settings() {
    let (_tmp, dir) = data_dir();
    let out = quarry(dir.parent().unwrap())
        .args(["keys", "create", "--test", "--default-sse-connections", "60", "--data-dir"])
        .arg(&dir)
        .env("QUARRY_DEFAULT_REQUESTS_PER_MINUTE", "12000")
        .env("QUARRY_DEFAULT_PLANS_PER_DAY", "unlimited")
        .env("QUARRY_DEFAULT_SSE_CONNECTIONS", "30")
        .output()
        .expect("run quarry");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("12000 requests a minute"), "the limits are named: {}", text(&out.stderr));
    let org = json_line(&run_ok(&dir, &["org", "list"]));
    assert_eq!(org["limits"], json!({"requests_per_minute": 12000, "concurrent_jobs": 25, "plans_per_day": null, "sse_connections": 60}));
    assert_eq!(
        org["overrides"],
        json!({"requests_per_minute": 12000, "concurrent_jobs": null, "plans_per_day": "unlimited", "sse_connections": 60})
    );

    let (_tmp, fresh) = data_dir();
    let out = quarry(fresh.parent().unwrap())
        .args(["keys", "create", "--data-dir"])
        .arg(&fresh)
        .env("QUARRY_DEFAULT_CONCURRENT_JOBS", "0")
        .env("QUARRY_DEFAULT_PLANS_PER_DAY", "lots")
        .output()
        .expect("run quarry");
    assert!(!out.status.success() && out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("QUARRY_DEFAULT_CONCURRENT_JOBS") && stderr.contains("QUARRY_DEFAULT_PLANS_PER_DAY"), "{stderr}");
    assert!(!fresh.join("quarry.db").exists(), "a bad setting stops the start before anything is made");
}

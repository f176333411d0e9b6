//! The CLI against a deployed stack's DynamoDB table (`--aws-table`), on the moto emulator: the
//! way an operator mints the first key of a fresh AWS deployment. Compiled with the `aws` feature
//! only (see `main.rs`).

use std::process::Command;
use std::sync::Arc;

use quarry_ports::clock::SystemClock;
use quarry_shared::accounts::Accounts;
use quarry_tests::moto;

fn quarry(endpoint: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(args)
        .env("QUARRY_AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("QUARRY_LOG", "warn")
        .env_remove("QUARRY_TABLE")
        .output()
        .expect("run quarry")
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn keys_are_minted_in_the_stack_table() {
    let clock = Arc::new(SystemClock);
    let table = moto::fresh_table(clock.clone()).await;
    let endpoint = moto::endpoint().await;
    let name = table.table_name().to_string();

    let out = quarry(&endpoint, &["keys", "create", "--aws-table", &name, "--live", "--name", "bootstrap"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(secret.starts_with("sk_live_"), "{secret}");

    let accounts = Accounts::new(table.clone(), clock);
    let principal = accounts.authenticate(Some(&secret)).await.expect("the minted key authenticates");
    assert_eq!(principal.key.name, "bootstrap");

    let out = quarry(&endpoint, &["org", "set", "--aws-table", &name, "--tier", "starter"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let org = accounts.organization(&principal.organization.id).await.unwrap().unwrap();
    assert_eq!(org.tier.as_str(), "starter");

    let out = quarry(&endpoint, &["keys", "list", "--aws-table", &name]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn organizations_are_created_configured_and_deleted_in_the_stack() {
    use quarry_shared::accounts::{AuthFailure, AuthOutcome};
    let clock = Arc::new(SystemClock);
    let table = moto::fresh_table(clock.clone()).await;
    let bucket = moto::fresh_bucket(clock.clone()).await;
    let endpoint = moto::endpoint().await;
    let (name, bucket_name) = (table.table_name().to_string(), bucket.bucket().to_string());
    let ok = |out: std::process::Output| {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };

    let created: serde_json::Value = serde_json::from_str(&ok(quarry(
        &endpoint,
        &["org", "create", "--aws-table", &name, "--name", "Team B", "--concurrent-jobs", "40"],
    )))
    .unwrap();
    let org = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["limits"]["concurrent_jobs"], 40);
    let secret = ok(quarry(&endpoint, &["keys", "create", "--aws-table", &name, "--org", &org])).trim().to_string();
    let set: serde_json::Value =
        serde_json::from_str(&ok(quarry(&endpoint, &["org", "set", "--aws-table", &name, "--org", &org, "--plans-per-day", "unlimited"])))
            .unwrap();
    assert_eq!(set["overrides"]["plans_per_day"], "unlimited");
    assert_eq!(set["overrides"]["concurrent_jobs"], 40);

    let blob = quarry_ports::BlobKey::parse(&format!("artifacts/{org}/art_1/leads.csv")).unwrap();
    quarry_ports::Blobs::put(bucket.as_ref(), &blob, "a\n".into(), "text/csv").await.unwrap();
    let out = quarry(&endpoint, &["org", "delete", &org, "--aws-table", &name, "--yes-delete-all-data", "--settle-secs", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--aws-bucket"), "the bucket is asked for");
    let deleted = ok(quarry(
        &endpoint,
        &["org", "delete", &org, "--aws-table", &name, "--aws-bucket", &bucket_name, "--yes-delete-all-data", "--settle-secs", "0"],
    ));
    assert!(deleted.contains("\"deleted\":true"), "{deleted}");
    let accounts = Accounts::new(table.clone(), clock);
    assert!(matches!(accounts.authenticate(Some(&secret)).await, Err(AuthOutcome::Denied(AuthFailure::Unknown))));
    assert!(accounts.organization(&org).await.unwrap().is_none());
    assert!(quarry_ports::Blobs::get(bucket.as_ref(), &blob).await.unwrap().is_none(), "its files are gone");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn credits_are_adjusted_and_listed_in_the_stack() {
    use quarry_shared::billing::Billing;
    let clock = Arc::new(SystemClock);
    let table = moto::fresh_table(clock.clone()).await;
    let endpoint = moto::endpoint().await;
    let name = table.table_name().to_string();
    let ok = |out: std::process::Output| {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let json = |stdout: String| -> serde_json::Value { serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}")) };

    let created = json(ok(quarry(&endpoint, &["org", "create", "--aws-table", &name, "--name", "Team C", "--credits", "300"])));
    let org = created["id"].as_str().unwrap().to_string();
    let shown = json(ok(quarry(&endpoint, &["credits", "show", "--aws-table", &name, "--org", &org])));
    assert_eq!((shown["balance"].as_i64(), shown["period"]["granted"].as_i64()), (Some(300), Some(300)), "{shown}");
    let entry = json(ok(quarry(
        &endpoint,
        &["credits", "adjust", "--aws-table", &name, "--org", &org, "--amount", "-120", "--note", "Correction"],
    )));
    assert_eq!((entry["type"].as_str(), entry["amount"].as_i64()), (Some("adjustment"), Some(-120)), "{entry}");

    let accounts = Accounts::new(table.clone(), clock.clone());
    let stored = accounts.organization(&org).await.unwrap().unwrap();
    assert_eq!(Billing::new(table.clone(), clock).balance(&stored).await.unwrap().balance, 180, "written to the stack's table");
    let shown = json(ok(quarry(&endpoint, &["credits", "show", "--aws-table", &name, "--org", &org])));
    assert_eq!(shown["balance"], 180);
    let lines = ok(quarry(&endpoint, &["credits", "ledger", "--aws-table", &name, "--org", &org]));
    let kinds: Vec<String> = lines.lines().map(|l| json(l.to_string())["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["adjustment", "grant"], "{lines}");

    let out = quarry(&endpoint, &["credits", "refund", "job_01KBQ3S7Y5B3C2M6Z3T4W5X6Y7", "--aws-table", &name, "--org", &org]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no job job_01KBQ3S7Y5B3C2M6Z3T4W5X6Y7"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

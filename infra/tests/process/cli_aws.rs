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

//! Test harness for the AWS emulator (moto): one moto server per test process, and fresh,
//! uniquely named AWS resources per test so tests running in parallel never share state.
//!
//! `infra/test.sh` installs moto into `<workspace>/.venv`, starts one server for the whole run
//! and passes its URL in `QUARRY_TEST_AWS_ENDPOINT`. Without that variable the first test that
//! needs moto starts `<workspace>/.venv/bin/moto_server` (or `moto_server` from `PATH`) on a free
//! loopback port; the server exits when the test process does.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use quarry_ports::clock::SharedClock;
use quarry_store::aws::dynamo::{create_table, DynamoTable};
use quarry_store::aws::s3::{create_bucket, s3_client, S3Blobs};
use quarry_store::aws::sqs::{create_queue_with_dlq, SqsQueue};

/// Environment variable naming an already running emulator (set by `infra/test.sh`).
pub const ENDPOINT_ENV: &str = "QUARRY_TEST_AWS_ENDPOINT";

/// How long a freshly started moto server may take to answer.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

static ENDPOINT: OnceLock<String> = OnceLock::new();

/// The emulator's base URL: `QUARRY_TEST_AWS_ENDPOINT` when set, otherwise the URL of the moto
/// server this process started (started once, on first use, whichever test gets here first).
pub async fn endpoint() -> String {
    if let Some(url) = ENDPOINT.get() {
        return url.clone();
    }
    tokio::task::spawn_blocking(|| ENDPOINT.get_or_init(resolve_endpoint).clone())
        .await
        .unwrap_or_else(|e| panic!("starting the AWS emulator failed: {e}"))
}

fn resolve_endpoint() -> String {
    match std::env::var(ENDPOINT_ENV) {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_string(),
        _ => start_moto(),
    }
}

/// The emulator's command: `<workspace>/.venv/bin/python infra/moto_server.py` (moto's server with
/// its transaction backups made once per table, see that file), else `moto_server` on `PATH`.
fn moto_command() -> Vec<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent");
    let python = workspace.join(".venv/bin/python");
    if workspace.join(".venv/bin/moto_server").is_file() && python.is_file() {
        return vec![python, workspace.join("infra/moto_server.py")];
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.is_file());
    vec![on_path.unwrap_or_else(|| {
        panic!(
            "no AWS emulator: neither {} nor `moto_server` on PATH exists, and {ENDPOINT_ENV} is not set. \
             Run `infra/test.sh` (it installs moto into .venv and starts it), or set {ENDPOINT_ENV}.",
            workspace.join(".venv/bin/moto_server").display()
        )
    })]
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free loopback port");
    listener.local_addr().expect("local address of the probe listener").port()
}

/// Starts moto on a free port through a small shell watchdog that kills it once this process
/// is gone, waits until it answers HTTP and returns its URL.
fn start_moto() -> String {
    let command = moto_command();
    let port = free_port();
    let log = std::env::temp_dir().join(format!("quarry-moto-{}-{port}.log", std::process::id()));
    // Arguments: the port, the log, this process's ID, then the emulator's command.
    let script = r#"port=$1; log=$2; parent=$3; shift 3
"$@" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$moto" 2>/dev/null; do sleep 1; done
kill "$moto" 2>/dev/null"#;
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("moto-watchdog")
        .arg(port.to_string())
        .arg(&log)
        .arg(std::process::id().to_string())
        .args(&command)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} through sh: {e}", command[0].display()));
    // Reap the watchdog if it ever ends before this process (moto crashed).
    std::thread::spawn(move || watchdog.wait());
    wait_until_answering(port, &log);
    format!("http://127.0.0.1:{port}")
}

fn wait_until_answering(port: u16, log: &Path) {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    while Instant::now() < deadline {
        if answers_http(port) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = std::fs::read_to_string(log).unwrap_or_default();
    panic!(
        "moto did not answer on 127.0.0.1:{port} within {STARTUP_TIMEOUT:?}; run `infra/test.sh` to (re)install it. \
         Its output ({}):\n{output}",
        log.display()
    );
}

/// True when something on the port answers a plain HTTP request.
fn answers_http(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

/// SDK configuration for the emulator: static dummy credentials, `us-east-1`, every service at
/// [`endpoint`].
pub async fn sdk_config() -> SdkConfig {
    let credentials = Credentials::new("test", "test", None, None, "quarry-tests");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(endpoint().await)
        .load()
        .await
}

/// A resource name no other test uses (lower case: valid for tables, buckets and queues).
fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_ascii_lowercase())
}

/// A new, empty DynamoDB table laid out like production, behind the table port.
pub async fn fresh_table(clock: SharedClock) -> Arc<DynamoTable> {
    fresh_named_table(clock).await.0
}

async fn fresh_named_table(clock: SharedClock) -> (Arc<DynamoTable>, String) {
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let name = unique_name("quarry-test");
    create_table(&client, &name).await.unwrap_or_else(|e| panic!("creating DynamoDB table {name} in moto: {e}"));
    (Arc::new(DynamoTable::new(client, name.clone(), clock)), name)
}

/// Deletes a test's DynamoDB table when dropped. moto keeps every table of its process in memory
/// and deep-copies a table for each transaction written to it, so the tables of finished tests
/// are removed instead of piling up for the rest of the run.
pub struct DropTable {
    name: String,
}

/// A new, empty table (as [`fresh_table`]) that is deleted when the returned guard drops.
pub async fn fresh_table_dropped_after(clock: SharedClock) -> (Arc<DynamoTable>, DropTable) {
    let (table, name) = fresh_named_table(clock).await;
    (table, DropTable { name })
}

impl Drop for DropTable {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        // Drop may run inside the test's runtime, which cannot be blocked on: use a thread with
        // its own. A failed delete only leaves the table to moto's memory.
        let deleted = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
                client.delete_table().table_name(&name).send().await.ok()
            })
        });
        let _ = deleted.join();
    }
}

/// A new, empty S3 bucket behind the blob port.
pub async fn fresh_bucket(clock: SharedClock) -> Arc<S3Blobs> {
    let client = s3_client(&sdk_config().await, true);
    let name = unique_name("quarry-test");
    create_bucket(&client, &name).await.unwrap_or_else(|e| panic!("creating S3 bucket {name} in moto: {e}"));
    Arc::new(S3Blobs::new(client, name, clock))
}

/// A new SQS queue whose messages move to a new dead-letter queue after `max_receives`
/// receives: `(queue, dead-letter queue)`.
pub async fn fresh_queue_with_dlq(max_receives: u32) -> (Arc<SqsQueue>, Arc<SqsQueue>) {
    let client = aws_sdk_sqs::Client::new(&sdk_config().await);
    let name = unique_name("quarry-test");
    let (queue_url, dlq_url) =
        create_queue_with_dlq(&client, &name, max_receives).await.unwrap_or_else(|e| panic!("creating SQS queue {name} in moto: {e}"));
    (Arc::new(SqsQueue::new(client.clone(), queue_url)), Arc::new(SqsQueue::new(client, dlq_url)))
}

//! Black-box tests of the `quarry` binary: the key commands, first start, graceful shutdown,
//! crash safety, a bad `--addr`, scrapes and web search on the fixture web. Every test has its own
//! data directory and loopback port.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quarry_shared::accounts::VERIFIED_KEY_TTL;
use serde_json::Value;

/// How long a server may take to start or to stop.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(30);

/// A `quarry` command with a clean environment: no inherited `QUARRY_*` variables, quiet logs,
/// and a working directory of `cwd` so a default `.quarry/` never lands in the repository.
pub(crate) fn quarry(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quarry"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("QUARRY_") {
            cmd.env_remove(&name);
        }
    }
    cmd.env("QUARRY_LOG", "warn").current_dir(cwd).stdin(Stdio::null());
    // Live jobs would otherwise ask the public Wikidata and Overpass endpoints (on by default);
    // a test that wants them sets this and points their URLs at loopback stand-ins.
    cmd.env("QUARRY_DISCOVERY_SOURCES", "web_search");
    cmd
}

/// Runs `quarry ARGS --data-dir DIR` to completion.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    quarry(dir.parent().expect("data dir has a parent")).args(args).arg("--data-dir").arg(dir).output().expect("run quarry")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a command that must succeed; returns its stdout.
pub(crate) fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(out.status.success(), "quarry {args:?} failed ({}):\nstdout: {}\nstderr: {}", out.status, text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

/// `quarry keys create …`: asserts stdout is exactly one line and returns it.
pub(crate) fn create_key(dir: &Path, args: &[&str]) -> (String, String) {
    let mut all = vec!["keys", "create"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "quarry {all:?} failed ({}):\nstdout: {stdout}\nstderr: {stderr}", out.status);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout must be the secret alone, got {stdout:?}");
    assert!(stdout.ends_with('\n'), "the secret line ends with a newline: {stdout:?}");
    (lines[0].to_string(), stderr)
}

/// `quarry keys list`: one JSON object per line.
fn list_keys(dir: &Path) -> Vec<Value> {
    run_ok(dir, &["keys", "list"])
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("`keys list` line is not JSON ({e}): {line:?}")))
        .collect()
}

fn assert_secret(secret: &str, prefix: &str) {
    let random = secret.strip_prefix(prefix).unwrap_or_else(|| panic!("{secret:?} does not start with {prefix}"));
    assert_eq!(random.len(), 43, "{secret:?}: the random part is 43 characters");
    assert!(random.bytes().all(|b| b.is_ascii_alphanumeric()), "{secret:?}: the random part is alphanumeric");
}

/// A free loopback port (bound then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().expect("local addr").port()
}

/// Polls a child for its exit status, up to `timeout`.
fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `quarry` server; killed (SIGKILL) on drop, so a failed assertion leaves no process.
pub(crate) struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, from the "listening on" line.
    base: String,
    /// stdout lines printed before the "listening on" line.
    banner: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `quarry serve` (or the bare `quarry` form) on a fresh free port and waits for the
    /// "listening on" line.
    pub(crate) fn start(dir: &Path, bare: bool) -> Server {
        Server::start_with(dir, bare, &[])
    }

    /// [`Server::start`] with environment variables set for the server.
    pub(crate) fn start_with(dir: &Path, bare: bool, env: &[(&str, String)]) -> Server {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = quarry(dir.parent().expect("data dir has a parent"));
        cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        if !bare {
            cmd.arg("serve");
        }
        cmd.args(["--addr", &addr]).arg("--data-dir").arg(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn quarry serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        let mut server = Server { child, base: String::new(), banner: Vec::new(), stderr: Arc::new(Mutex::new(String::new())) };

        let stderr = server.stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                stderr.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });

        let deadline = Instant::now() + PROCESS_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.split_once("listening on ").map(|(_, rest)| rest) {
                        server.base = rest.split_whitespace().next().unwrap_or_default().to_string();
                        assert_eq!(server.base, format!("http://{addr}"), "the listening line names the base URL: {line:?}");
                        // Keep draining stdout so the child never blocks on a full pipe.
                        std::thread::spawn(move || while rx.recv().is_ok() {});
                        return server;
                    }
                    server.banner.push(line);
                }
                Err(e) => {
                    let status = wait_timeout(&mut server.child, Duration::from_secs(1));
                    panic!(
                        "no \"listening on\" line ({e:?}); exit status {status:?}\nstdout so far: {:?}\nstderr: {}",
                        server.banner,
                        server.stderr()
                    );
                }
            }
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The key printed on first start for `kind` ("test" or "live"), if any.
    pub(crate) fn printed_key(&self, kind: &str) -> Option<String> {
        let label = format!("{kind} key:");
        self.banner.iter().find_map(|line| line.trim().strip_prefix(&label).map(|k| k.trim().to_string()))
    }

    /// Sends SIGTERM and waits for the process to exit.
    fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(kill.success(), "kill -TERM {pid} failed");
        match wait_timeout(&mut self.child, PROCESS_TIMEOUT) {
            Some(status) => status,
            None => panic!("quarry did not stop within {PROCESS_TIMEOUT:?} of SIGTERM\nstderr: {}", self.stderr()),
        }
    }

    /// Sends SIGKILL and reaps the process.
    fn crash(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client")
}

/// `GET /v1/me` with `key`: status and body.
pub(crate) async fn me(http: &reqwest::Client, server: &Server, key: &str) -> (u16, Value) {
    let res = http.get(server.url("/v1/me")).bearer_auth(key).send().await.expect("GET /v1/me");
    let status = res.status().as_u16();
    (status, res.json().await.expect("JSON body"))
}

/// `POST /v1/api-keys` as `admin_key`: status, headers and raw body.
async fn post_key(
    http: &reqwest::Client,
    server: &Server,
    admin_key: &str,
    name: &str,
    idempotency: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = http.post(server.url("/v1/api-keys")).bearer_auth(admin_key).json(&serde_json::json!({ "name": name }));
    if let Some(k) = idempotency {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.expect("POST /v1/api-keys");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.expect("body"))
}

/// The secret of a 201 `POST /v1/api-keys` answer.
fn created_secret(status: u16, body: &str) -> String {
    assert_eq!(status, 201, "POST /v1/api-keys: {body}");
    let body: Value = serde_json::from_str(body).expect("JSON body");
    let secret = body["secret"].as_str().unwrap_or_else(|| panic!("no secret in {body}")).to_string();
    assert_secret(&secret, "sk_test_");
    secret
}

pub(crate) fn data_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("data");
    (tmp, dir)
}

#[test]
fn keys_create_prints_the_secret_alone_and_reuses_the_organization() {
    let (_tmp, dir) = data_dir();

    let (test, stderr) = create_key(&dir, &["--test", "--name", "ci"]);
    assert_secret(&test, "sk_test_");
    assert!(stderr.contains("Created organization"), "the first create makes the organization: {stderr}");
    assert!(!stderr.contains(&test), "the secret is on stdout only");

    let (live, stderr) = create_key(&dir, &["--live", "--name", "live"]);
    assert_secret(&live, "sk_live_");
    assert!(!stderr.contains("Created organization"), "the second create reuses the organization: {stderr}");

    let (public, _) = create_key(&dir, &["--public", "--name", "pub"]);
    assert_secret(&public, "pk_pub_");

    let (limited, _) = create_key(&dir, &["--scopes", "read,run", "--name", "limited"]);
    assert_secret(&limited, "sk_test_");

    let out = run(&dir, &["keys", "create", "--public", "--scopes", "admin", "--name", "bad"]);
    assert!(!out.status.success(), "a publishable admin key is refused");
    assert!(out.stdout.is_empty(), "no secret on failure: {}", text(&out.stdout));
    assert!(text(&out.stderr).contains("read-only"), "the refusal explains itself: {}", text(&out.stderr));

    let keys = list_keys(&dir);
    let by_name = |name: &str| keys.iter().find(|k| k["name"] == name).unwrap_or_else(|| panic!("no key {name} in {keys:?}"));
    assert_eq!(keys.len(), 4, "four keys were minted, the refused one was not: {keys:?}");
    let org = keys[0]["organization_id"].as_str().expect("organization_id");
    assert!(keys.iter().all(|k| k["organization_id"] == org), "one organization for every key: {keys:?}");
    assert_eq!(by_name("ci")["mode"], "test");
    assert_eq!(by_name("ci")["type"], "secret");
    assert_eq!(by_name("ci")["scopes"], serde_json::json!(["read", "run", "integrations", "admin"]));
    assert_eq!(by_name("live")["mode"], "live");
    assert_eq!(by_name("pub")["type"], "publishable");
    assert_eq!(by_name("pub")["scopes"], serde_json::json!(["read"]));
    assert_eq!(by_name("limited")["scopes"], serde_json::json!(["read", "run"]));
    assert!(test.starts_with(by_name("ci")["prefix"].as_str().expect("prefix")), "the listed prefix starts the secret");

    let orgs = run_ok(&dir, &["org", "list"]);
    assert_eq!(orgs.lines().count(), 1, "exactly one organization: {orgs}");
}

#[tokio::test]
async fn keys_revoke_makes_the_key_fail_on_a_running_server() {
    let (_tmp, dir) = data_dir();
    let (secret, _) = create_key(&dir, &["--test", "--name", "doomed"]);
    let id = list_keys(&dir).iter().find(|k| k["name"] == "doomed").expect("the key is listed")["id"].as_str().expect("id").to_string();

    let server = Server::start(&dir, false);
    assert_eq!(server.printed_key("test"), None, "the organization exists already: no keys printed");
    let http = client();
    assert_eq!(me(&http, &server, &secret).await.0, 200);

    let revoked: Value = serde_json::from_str(run_ok(&dir, &["keys", "revoke", &id]).trim()).expect("revoke prints the key as JSON");
    assert_eq!(revoked["id"], id.as_str());
    assert!(revoked["revoked_at"].is_string(), "revoked_at is set: {revoked}");

    // The server verified the key just before, and trusts that for up to `VERIFIED_KEY_TTL`: a
    // revoke made by another process reaches it within that time.
    let deadline = Instant::now() + VERIFIED_KEY_TTL.to_std().unwrap() + Duration::from_secs(5);
    let (status, body) = loop {
        let (status, body) = me(&http, &server, &secret).await;
        if status != 200 || Instant::now() > deadline {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, 401, "a revoked key is refused: {body}");

    let out = run(&dir, &["keys", "revoke", "key_doesnotexist"]);
    assert!(!out.status.success(), "revoking an unknown key fails");
    assert!(text(&out.stderr).contains("key_doesnotexist"), "{}", text(&out.stderr));
}

/// First start on `dir`: keys printed, health, `/v1/me` with both keys. Returns the test key.
async fn check_first_start(server: &Server) -> String {
    let test = server.printed_key("test").unwrap_or_else(|| panic!("no test key printed: {:?}", server.banner));
    let live = server.printed_key("live").unwrap_or_else(|| panic!("no live key printed: {:?}", server.banner));
    assert_secret(&test, "sk_test_");
    assert_secret(&live, "sk_live_");

    let http = client();
    let health = http.get(server.url("/health")).send().await.expect("GET /health");
    assert_eq!(health.status().as_u16(), 200);

    let (status, body) = me(&http, server, &test).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["livemode"], false, "{body}");
    let (status, body) = me(&http, server, &live).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["livemode"], true, "{body}");
    test
}

#[tokio::test]
async fn first_start_prints_keys_once() {
    let (_tmp, dir) = data_dir();
    let mut server = Server::start(&dir, false);
    let test = check_first_start(&server).await;
    assert!(server.terminate().success(), "stderr: {}", server.stderr());
    drop(server);

    // Second start, bare form: no keys, and the first start's key still works.
    let server = Server::start(&dir, true);
    assert!(server.banner.iter().all(|l| !l.contains("sk_")), "no keys on a second start: {:?}", server.banner);
    assert_eq!(server.printed_key("test"), None);
    assert_eq!(me(&client(), &server, &test).await.0, 200);
}

#[tokio::test]
async fn bare_form_serves_and_prints_keys_on_first_start() {
    let (_tmp, dir) = data_dir();
    let server = Server::start(&dir, true);
    check_first_start(&server).await;
}

#[tokio::test]
async fn sigterm_stops_gracefully_and_data_persists() {
    let (_tmp, dir) = data_dir();
    let mut server = Server::start(&dir, false);
    let admin = server.printed_key("test").expect("test key printed");
    let http = client();
    let (status, _, body) = post_key(&http, &server, &admin, "persisted", None).await;
    let secret = created_secret(status, &body);
    assert_eq!(me(&http, &server, &secret).await.0, 200);

    // The client keeps its idle keep-alive connection open: shutdown must not wait on it.
    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0, got {status}; stderr: {}", server.stderr());
    drop(server);

    let server = Server::start(&dir, false);
    let (status, body) = me(&client(), &server, &secret).await;
    assert_eq!(status, 200, "the key survives a restart: {body}");
    assert_eq!(body["api_key"]["name"], "persisted");
}

#[tokio::test]
async fn sigkill_loses_no_committed_write() {
    let (_tmp, dir) = data_dir();
    let mut server = Server::start(&dir, false);
    let admin = server.printed_key("test").expect("test key printed");
    let http = client();

    let (status, _, body) = post_key(&http, &server, &admin, "survivor", None).await;
    let secret = created_secret(status, &body);

    let (status, headers, first) = post_key(&http, &server, &admin, "idempotent", Some("crash-test-1")).await;
    let idem_secret = created_secret(status, &first);
    assert!(headers.get("idempotent-replayed").is_none(), "the first request runs for real");

    server.crash();
    drop(server);

    let server = Server::start(&dir, false);
    let http = client();
    let (status, body) = me(&http, &server, &secret).await;
    assert_eq!(status, 200, "a key answered with 201 survives SIGKILL: {body}");
    assert_eq!(me(&http, &server, &idem_secret).await.0, 200);

    let (status, headers, replay) = post_key(&http, &server, &admin, "idempotent", Some("crash-test-1")).await;
    assert_eq!(status, 201, "{replay}");
    assert_eq!(headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"), "replayed after restart");
    assert_eq!(replay, first, "the replay is the original body");

    let keys = list_keys(&dir);
    assert_eq!(keys.iter().filter(|k| k["name"] == "idempotent").count(), 1, "the replay minted no second key: {keys:?}");
}

/// Runs `quarry serve` on `addr` with `env`, expecting it to refuse to start: its output once it
/// exited, or a panic (after killing it) when it is still running after [`PROCESS_TIMEOUT`].
fn serve_expecting_refusal(cwd: &Path, dir: &Path, addr: &str, env: &[(&str, &str)]) -> Output {
    let mut child = quarry(cwd)
        .envs(env.iter().copied())
        .args(["serve", "--addr", addr])
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn quarry serve");
    if wait_timeout(&mut child, PROCESS_TIMEOUT).is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("quarry serve on {addr} with {env:?} started instead of refusing");
    }
    child.wait_with_output().expect("output")
}

#[test]
fn serve_refuses_an_address_in_use() {
    let (tmp, dir) = data_dir();
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("local addr").to_string();

    let out = serve_expecting_refusal(tmp.path(), &dir, &addr, &[]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "exit status {}", out.status);
    assert!(stderr.contains("--addr"), "the error points at --addr: {stderr}");
    assert!(stderr.contains(&addr), "the error names the address: {stderr}");
    assert!(!text(&out.stdout).contains("listening"), "{}", text(&out.stdout));
    drop(taken);

    // An address that does not parse is refused too.
    let out = run(&dir, &["serve", "--addr", "not-an-address"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--addr"), "{}", text(&out.stderr));
}

/// A worker setting that does not parse stops `quarry serve` before it listens, with a message
/// naming the variable (rather than a server that silently reads the web some other way).
#[test]
fn serve_refuses_bad_worker_settings() {
    let (tmp, dir) = data_dir();
    let search = ("QUARRY_SEARCH_URL", "http://127.0.0.1:9");
    for (env, culprit) in [
        (vec![("QUARRY_SEARCH_URL", "ftp://search.example")], "QUARRY_SEARCH_URL"),
        (vec![search, ("QUARRY_SEARCH_TIMEOUT_MS", "soon")], "QUARRY_SEARCH_TIMEOUT_MS"),
        (vec![("QUARRY_VERIFY_EMAILS", "maybe")], "QUARRY_VERIFY_EMAILS"),
        (vec![("QUARRY_DNS_SERVERS", "resolver")], "QUARRY_DNS_SERVERS"),
        (vec![("QUARRY_RESOLVE", "halyardrobotics.com")], "QUARRY_RESOLVE"),
        (vec![("QUARRY_DISCOVERY_SOURCES", "wikidata,crunchbase")], "QUARRY_DISCOVERY_SOURCES"),
        (vec![("QUARRY_WIKIDATA_URL", "query.wikidata.org/sparql")], "QUARRY_WIKIDATA_URL"),
    ] {
        let addr = format!("127.0.0.1:{}", free_port());
        let out = serve_expecting_refusal(tmp.path(), &dir, &addr, &env);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{env:?}: exit status {}", out.status);
        assert!(stderr.contains(culprit), "{env:?}: the error names {culprit}: {stderr}");
        assert!(!text(&out.stdout).contains("listening"), "{env:?}: {}", text(&out.stdout));
    }
}

/// The reference document's whole quickstart against the binary, as curl would run it: create a
/// thread, post the prompt, approve, stream to the end, download `leads.csv` through the artifact
/// URL (a redirect to the file) and check its rows fit the prompt; then a SIGKILL loses none of it.
#[tokio::test]
async fn quickstart_thread_and_prompt_yield_a_pending_job() {
    let (_tmp, dir) = data_dir();
    let mut server = Server::start(&dir, false);
    let key = server.printed_key("test").expect("test key printed");
    let http = client();
    let thread: Value = http
        .post(server.url("/v1/threads"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"title": "Series A FinTech in EU"}))
        .send()
        .await
        .expect("POST /v1/threads")
        .json()
        .await
        .expect("thread JSON");
    let thread_id = thread["id"].as_str().unwrap_or_else(|| panic!("no thread id: {thread}")).to_string();
    let prompt = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.";
    let posted: Value = http
        .post(server.url(&format!("/v1/threads/{thread_id}/messages")))
        .bearer_auth(&key)
        .json(&serde_json::json!({"content": prompt}))
        .send()
        .await
        .expect("POST messages")
        .json()
        .await
        .expect("message JSON");
    let job_id = posted["job"]["id"].as_str().unwrap_or_else(|| panic!("no job id: {posted}"));
    assert!(job_id.starts_with("job_"), "{posted}");
    assert_eq!(posted["job"]["status"], "pending");

    let approved = http.post(server.url(&format!("/v1/jobs/{job_id}/approve"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(approved.status().as_u16(), 200);
    let stream = http.get(server.url(&format!("/v1/jobs/{job_id}/stream"))).bearer_auth(&key).send().await.unwrap();
    let events = stream.text().await.unwrap(); // closes after the terminal event
    assert!(events.contains("event: done"), "{events}");
    let job: Value = http.get(server.url(&format!("/v1/jobs/{job_id}"))).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(job["status"], "succeeded", "{job}");
    let artifact = job["artifact"]["id"].as_str().unwrap();
    let csv = http.get(server.url(&format!("/v1/artifacts/{artifact}"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let country = header.iter().position(|c| *c == "hq_country").expect("an hq_country column");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as u64, job["artifact"]["rows"].as_u64().unwrap());
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.split(',').nth(country) == Some("FR")), "every row is a French company");
    assert!(header.contains(&"vp_engineering_email") && header.contains(&"head_of_growth_email"), "{header:?}");

    server.crash();
    drop(server);
    let server = Server::start(&dir, false);
    let thread: Value =
        client().get(server.url(&format!("/v1/threads/{thread_id}"))).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(thread["message_count"], 2, "{thread}");
    assert_eq!(thread["last_job_id"], job_id);
    assert_eq!(thread["last_job_status"], "succeeded");
}

/// `POST /v1/scrape` through the binary, on the fixture web: fixture domains pinned to loopback
/// with `QUARRY_RESOLVE`, email verification against a DNS server on loopback. The expected people
/// and addresses come back as leads, with their MX verdicts, and nothing of a page robots.txt
/// disallows, which is never even requested.
#[tokio::test]
async fn scrape_through_the_binary_reads_the_fixture_web() {
    use quarry_engine::verify::testdns::{Rec, TestDns, Zone};
    use quarry_tests::fixtures::{fixture_sites, FixtureWeb};

    let web = FixtureWeb::serve().await;
    let sites = ["kontorwerk.de", "halyardrobotics.com", "brightwell.co.uk"];
    let zone = sites.iter().fold(Zone::default(), |zone, domain| zone.with(domain, Rec::Mx(10, "mx.mail.example")));
    let dns = TestDns::start(zone.with("mx.mail.example", Rec::A([127, 0, 0, 1].into()))).await;
    let resolve: Vec<String> = fixture_sites().iter().map(|(domain, _)| format!("{domain}=127.0.0.1")).collect();
    let env = [
        ("QUARRY_ALLOW_PRIVATE_TARGETS", "true".to_string()),
        ("QUARRY_RESOLVE", resolve.join(",")),
        ("QUARRY_DNS_SERVERS", dns.addr.to_string()),
    ];
    let (_tmp, dir) = data_dir();
    let server = Server::start_with(&dir, false, &env);
    let key = server.printed_key("live").expect("live key printed");
    let http = client();
    let urls: Vec<String> = sites.iter().map(|d| web.home(d)).collect();
    let body = serde_json::json!({"type": "bulk", "urls": urls, "options": {"depth": 2}});
    let created = http.post(server.url("/v1/scrape")).bearer_auth(&key).json(&body).send().await.unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.unwrap();
    let job_id = created["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_string();
    let stream = http.get(server.url(&format!("/v1/jobs/{job_id}/stream"))).bearer_auth(&key).send().await.unwrap();
    let events = stream.text().await.unwrap();
    assert!(events.contains("event: done"), "{events}");
    let job: Value = http.get(server.url(&format!("/v1/jobs/{job_id}"))).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (job["status"].as_str(), job["successful_urls"].as_u64(), job["failed_urls"].as_u64()),
        (Some("succeeded"), Some(3), Some(0)),
        "{job}"
    );

    let page: Value =
        http.get(server.url(&format!("/v1/leads?job_id={job_id}&limit=100"))).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    let leads = page["data"].as_array().unwrap_or_else(|| panic!("{page}"));
    let person = |name: &str| leads.iter().find(|l| l["full_name"] == name).unwrap_or_else(|| panic!("no lead for {name}: {page}"));
    for name in ["Friederike Albers", "Jonas Kettler", "Maya Okonkwo", "Daniel Reyes", "Charlotte Evans", "Rajesh Mehta"] {
        let lead = person(name);
        assert!(lead["job_title"].is_string() && lead["company_name"].is_string(), "{lead}");
        assert!(lead["lead_score"].is_u64() && lead["lead_status"].is_string(), "{lead}");
    }
    let sophie = person("Sophie Turner");
    assert_eq!(sophie["email"], "sophie.turner@brightwell.co.uk", "{sophie}");
    assert_eq!(sophie["fields"]["email_status"], "valid", "verified against the loopback DNS: {sophie}");
    // robots.txt disallows these pages and the home pages link to them: never requested, never read.
    assert_eq!(web.hits("kontorwerk.de", "/intern/preise.html"), 0);
    assert_eq!(web.hits("halyardrobotics.com", "/internal/pricing-sheet.html"), 0);
    let all = page.to_string();
    for secret in ["Petra Lange", "einkauf@kontorwerk.de", "Rick Bauer", "deals@halyardrobotics.com"] {
        assert!(!all.contains(secret), "{secret} is only on a disallowed page");
    }
    assert!(dns.queries() > 0, "MX look-ups went to the loopback DNS server only");
}

/// A live research job through the binary finds its companies by web search: `QUARRY_SEARCH_URL`
/// points at a SearXNG-style JSON answer on loopback, whose hits are a fixture site (a deep page of
/// it), a social network and a domain with no site. The fixture company's CTO comes back as a
/// lead grounded by its own pages; the network is skipped, and the silent domain yields no lead.
#[tokio::test]
async fn live_research_finds_company_sites_through_web_search() {
    use quarry_tests::fixtures::{FixtureSite, FixtureWeb, Page};

    let web = FixtureWeb::serve().await;
    let hits = [
        format!("{}about/leadership.html", web.home("halyardrobotics.com")),
        "https://www.linkedin.com/company/halyard-robotics".to_string(),
        web.home("quietharbor-robotics.com"),
    ];
    let results: Vec<Value> =
        hits.iter().map(|url| serde_json::json!({"url": url, "title": "Robotics company", "content": "Robots for ports."})).collect();
    let answer = Page { content_type: "application/json", body: serde_json::json!({ "results": results }).to_string() };
    let searx = FixtureSite::serve(vec![("search", answer)]).await;
    let env = [
        ("QUARRY_ALLOW_PRIVATE_TARGETS", "true".to_string()),
        ("QUARRY_RESOLVE", "halyardrobotics.com=127.0.0.1,quietharbor-robotics.com=127.0.0.1".to_string()),
        ("QUARRY_SEARCH_URL", searx.base_url.clone()),
        // No MX look-ups: they would go to the system resolver.
        ("QUARRY_VERIFY_EMAILS", "false".to_string()),
    ];
    let (_tmp, dir) = data_dir();
    let server = Server::start_with(&dir, false, &env);
    let (job, leads) = run_live_job(&server, "Find robotics companies in the United States. Pull the CTO.").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let summary = job["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("web search (2)"), "the fixture site and the silent domain came from search: {summary}");
    assert!(searx.hit_count() >= 1, "the search provider was asked");

    let cto = leads.iter().find(|l| l["full_name"] == "Daniel Reyes").unwrap_or_else(|| panic!("no CTO lead: {leads:?}"));
    assert_eq!(cto["company"]["domain"], "halyardrobotics.com", "{cto}");
    assert!(cto["sources"].to_string().contains("halyardrobotics.com"), "grounded by the company's own pages: {cto}");
    for lead in &leads {
        let domain = lead["company"]["domain"].as_str().unwrap_or_default();
        assert!(domain == "halyardrobotics.com", "only the fixture company has a site that says anything: {lead}");
    }
    assert_eq!(job["credits_used"].as_u64(), Some(leads.len() as u64), "credits for delivered rows only: {job}");
}

/// A live job through the binary with the default discovery sources (Wikidata, OpenStreetMap,
/// then web search) and no search provider: Wikidata's answer names the companies, the crawler
/// reads the website a record gives, and the leads are grounded by the record and the site. The
/// stand-ins speak plain HTTP on loopback, so the test pins the providers' real host names with
/// `QUARRY_RESOLVE` and sets `QUARRY_WIKIDATA_URL` / `QUARRY_OVERPASS_URL` to `http://` URLs on
/// the stand-ins' ports (the public endpoints are https, which a stand-in cannot answer). With
/// `QUARRY_DISCOVERY_SOURCES=none` the same job ends with 0 rows and says why. Then "dentists in
/// Austin" (an industry the planner keeps as written) is answered by the Overpass stand-in.
#[tokio::test]
async fn live_research_finds_companies_in_open_data_with_default_settings() {
    use quarry_tests::fixtures::{FixtureSite, FixtureWeb, Page};

    let web = FixtureWeb::serve().await;
    // The SPARQL 1.1 JSON results the Wikidata Query Service answers with: one company with a
    // website (a fixture site) and one without.
    let bindings = serde_json::json!({
        "head": {"vars": ["item", "itemLabel", "website", "countryCode", "hqLabel", "employees", "inception"]},
        "results": {"bindings": [
            {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q190000001"},
             "itemLabel": {"type": "literal", "xml:lang": "en", "value": "Halyard Robotics"},
             "website": {"type": "uri", "value": web.home("halyardrobotics.com")},
             "countryCode": {"type": "literal", "value": "US"},
             "hqLabel": {"type": "literal", "xml:lang": "en", "value": "Austin"},
             "inception": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#dateTime", "value": "2017-01-01T00:00:00Z"}},
            {"item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q190000002"},
             "itemLabel": {"type": "literal", "xml:lang": "en", "value": "Quiet Harbor Robotics"},
             "countryCode": {"type": "literal", "value": "US"},
             "employees": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#decimal", "value": "12"}}
        ]}
    });
    let sparql = Page { content_type: "application/sparql-results+json", body: bindings.to_string() };
    let wikidata = FixtureSite::serve(vec![("sparql", sparql)]).await;
    let elements = Page { content_type: "application/json", body: r#"{"version": 0.6, "elements": []}"#.to_string() };
    let overpass = FixtureSite::serve(vec![("api/interpreter", elements)]).await;
    let port = |site: &FixtureSite| site.base_url.rsplit(':').next().unwrap().to_string();
    let env_with = |sources: &str, overpass: &FixtureSite| {
        vec![
            ("QUARRY_ALLOW_PRIVATE_TARGETS", "true".to_string()),
            ("QUARRY_RESOLVE", "halyardrobotics.com=127.0.0.1,query.wikidata.org=127.0.0.1,overpass-api.de=127.0.0.1".to_string()),
            ("QUARRY_WIKIDATA_URL", format!("http://query.wikidata.org:{}/sparql", port(&wikidata))),
            ("QUARRY_OVERPASS_URL", format!("http://overpass-api.de:{}/api/interpreter", port(overpass))),
            // The default, which the helper overrides for every other test; `none` turns it off.
            ("QUARRY_DISCOVERY_SOURCES", sources.to_string()),
            ("QUARRY_VERIFY_EMAILS", "false".to_string()),
        ]
    };
    let env = |sources: &str| env_with(sources, &overpass);
    let prompt = "Find robotics companies in Austin, Texas. Pull the CTO.";

    let (_tmp, dir) = data_dir();
    let server = Server::start_with(&dir, false, &env("wikidata,openstreetmap,web_search"));
    let (job, leads) = run_live_job(&server, prompt).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let summary = job["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("Wikidata (2)"), "the companies came from Wikidata: {summary}");
    assert!(wikidata.hit_count() >= 1, "the Wikidata stand-in was asked");
    // Robotics has no map tag (OpenStreetMap is for local businesses), so Overpass is not asked.
    assert_eq!(overpass.hit_count(), 0);

    let cto = leads.iter().find(|l| l["full_name"] == "Daniel Reyes").unwrap_or_else(|| panic!("no CTO lead: {leads:?}"));
    assert_eq!(cto["company"]["domain"], "halyardrobotics.com", "{cto}");
    let sources = cto["sources"].as_array().unwrap();
    let record = sources.iter().find(|s| s["kind"] == "open_data").unwrap_or_else(|| panic!("the record is a source: {cto}"));
    assert_eq!(record["url"], "https://www.wikidata.org/wiki/Q190000001", "{cto}");
    assert!(record["fields"].to_string().contains("company.hq_city"), "{record}");
    assert!(
        sources.iter().any(|s| s["kind"] == "web" && s["url"].as_str().unwrap_or_default().contains("halyardrobotics.com")),
        "the company's own pages ground the person: {cto}"
    );
    let quiet = leads.iter().find(|l| l["company"]["name"] == "Quiet Harbor Robotics").unwrap_or_else(|| panic!("{leads:?}"));
    assert_eq!(quiet["company"]["employee_count"], 12, "{quiet}");
    assert!(quiet["sources"].as_array().unwrap().iter().all(|s| s["kind"] == "open_data"), "grounded by the record alone: {quiet}");
    assert_eq!(job["credits_used"].as_u64(), Some(leads.len() as u64), "credits for delivered rows only: {job}");
    drop(server);

    let asked = wikidata.hit_count();
    let (_tmp, dir) = data_dir();
    let server = Server::start_with(&dir, false, &env("none"));
    let (job, leads) = run_live_job(&server, prompt).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let summary = job["summary"].as_str().unwrap_or_default();
    assert!(summary.starts_with("Found 0 rows."), "{summary}");
    assert!(summary.contains("no open data source (Wikidata, OpenStreetMap) is turned on"), "it says why: {summary}");
    assert!(leads.is_empty());
    assert_eq!((wikidata.hit_count(), overpass.hit_count()), (asked, 0), "turned off: neither was asked");
    drop(server);

    // A local business, read by the open-vocabulary planner as the industry `dentists`: the map
    // knows dentists, so Overpass is asked within Austin, and its record grounds the lead.
    let dentists = serde_json::json!({
        "version": 0.6,
        "elements": [{"type": "node", "id": 4242, "lat": 30.27, "lon": -97.74, "tags": {
            "amenity": "dentist", "name": "Barton Creek Dental", "phone": "+1 512 555 0142",
            "addr:housenumber": "1200", "addr:street": "South Lamar Boulevard", "addr:city": "Austin",
            "addr:postcode": "78704", "addr:country": "US", "opening_hours": "Mo-Fr 08:00-17:00"}}]
    });
    let answer = Page { content_type: "application/json", body: dentists.to_string() };
    let osm = FixtureSite::serve(vec![("api/interpreter", answer)]).await;
    let (_tmp, dir) = data_dir();
    let server = Server::start_with(&dir, false, &env_with("wikidata,openstreetmap,web_search", &osm));
    let (job, leads) = run_live_job(&server, "Find dentists in Austin, Texas.").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let summary = job["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("OpenStreetMap (1)"), "the practice came from OpenStreetMap: {summary}");
    assert!(osm.hit_count() >= 1, "the Overpass stand-in was asked");
    let practice = leads.iter().find(|l| l["company"]["name"] == "Barton Creek Dental").unwrap_or_else(|| panic!("{leads:?}"));
    assert_eq!(practice["company"]["phone"], "+15125550142", "the record's phone, in E.164: {practice}");
    let sources = practice["sources"].as_array().unwrap();
    assert!(
        sources.iter().all(|s| s["kind"] == "open_data" && s["url"] == "https://www.openstreetmap.org/node/4242"),
        "grounded by the map record alone (it names no website): {practice}"
    );
}

/// Posts `prompt` (at most 5 rows) in a new thread, approves its job, streams it to the end and
/// returns the job and its leads.
async fn run_live_job(server: &Server, prompt: &str) -> (Value, Vec<Value>) {
    let key = server.printed_key("live").expect("live key printed");
    let http = client();
    let thread: Value =
        http.post(server.url("/v1/threads")).bearer_auth(&key).json(&serde_json::json!({})).send().await.unwrap().json().await.unwrap();
    let thread_id = thread["id"].as_str().unwrap_or_else(|| panic!("{thread}"));
    let posted: Value = http
        .post(server.url(&format!("/v1/threads/{thread_id}/messages")))
        .bearer_auth(&key)
        .json(&serde_json::json!({"content": prompt, "hints": {"max_rows": 5}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_id = posted["job"]["id"].as_str().unwrap_or_else(|| panic!("{posted}")).to_string();
    let approved = http.post(server.url(&format!("/v1/jobs/{job_id}/approve"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(approved.status().as_u16(), 200, "{}", approved.text().await.unwrap());
    let events = http.get(server.url(&format!("/v1/jobs/{job_id}/stream"))).bearer_auth(&key).send().await.unwrap().text().await.unwrap();
    assert!(events.contains("event: done"), "{events}");
    let job: Value = http.get(server.url(&format!("/v1/jobs/{job_id}"))).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    let page: Value =
        http.get(server.url(&format!("/v1/leads?job_id={job_id}&limit=100"))).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    let leads = page["data"].as_array().unwrap_or_else(|| panic!("{page}")).clone();
    (job, leads)
}

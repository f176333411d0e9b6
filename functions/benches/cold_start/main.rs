//! Issue 13, P1: the cold start of the `account` Lambda entry against a hello-world `lambda_http`
//! binary, measured in one run.
//!
//! Run: `cargo run --release -p quarry-functions --features cold-start-bench --bin cold-start-bench`
//! (`COLD_START_RUNS`, default 30, sets the runs per binary).
//!
//! It builds both binaries with one `cargo build --release` (same profile, same flags, same
//! dependency features as the deployed build, since no dev-dependency is involved), then spawns
//! each fresh, alternately, under a minimal Lambda Runtime API emulator on loopback: the port of
//! `../shared/perf/cold_start.py`, with the same environment and the same single API Gateway v2
//! event (`GET /openapi.json`, which needs no storage). A run's time is exec → the function's
//! `/response` POST; its memory is the process's `VmHWM` read at that moment (the high-water
//! mark, so nothing before the answer is missed). Alternating runs lets machine drift hit both
//! alike: the ratio is the figure, the absolute times are not.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The two binaries the runner builds, measured first to last.
const BINARIES: [&str; 2] = ["account", "cold-start-hello-world"];
/// The target: `account` at most this many times the hello world's median.
const MAX_RATIO: f64 = 1.5;
/// The target: `account`'s peak RSS at most 32 MB.
const MAX_RSS_BYTES: f64 = 32e6;
/// How long one run may take before it counts as unanswered.
const RUN_TIMEOUT: Duration = Duration::from_secs(10);

/// The one event every run serves, as `cold_start.py` sends it.
const EVENT: &str = r#"{"version":"2.0","routeKey":"GET /openapi.json","rawPath":"/openapi.json","rawQueryString":"",
"headers":{"accept":"application/json","host":"abc123.execute-api.us-east-1.amazonaws.com"},
"requestContext":{"accountId":"123456789012","apiId":"abc123","domainName":"abc123.execute-api.us-east-1.amazonaws.com",
"domainPrefix":"abc123","http":{"method":"GET","path":"/openapi.json","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"bench"},
"requestId":"r1","routeKey":"GET /openapi.json","stage":"$default","time":"01/Dec/2026:09:00:00 +0000","timeEpoch":1796115600000},
"isBase64Encoded":false}"#;

/// The environment of a run beyond the inherited one (`cold_start.py`'s): a Lambda function's
/// variables, the Quarry resources, and an unreachable AWS endpoint, so a start-up that called
/// AWS would show.
const ENV: &[(&str, &str)] = &[
    ("AWS_LAMBDA_FUNCTION_NAME", "f"),
    ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
    ("AWS_LAMBDA_FUNCTION_VERSION", "1"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("QUARRY_TABLE", "t"),
    ("QUARRY_BUCKET", "b"),
    ("QUARRY_STEPS_QUEUE_URL", "http://127.0.0.1:9/q1"),
    ("QUARRY_DELIVERIES_QUEUE_URL", "http://127.0.0.1:9/q2"),
    ("QUARRY_AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ("QUARRY_LOG", "warn"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// One run's outcome.
struct Run {
    ms: f64,
    rss_bytes: f64,
    answered: bool,
}

fn main() {
    let runs: usize = std::env::var("COLD_START_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(30);
    let dir = build();
    let paths: Vec<PathBuf> = BINARIES.iter().map(|name| dir.join(name)).collect();
    let mut results: Vec<Vec<Run>> = BINARIES.iter().map(|_| Vec::new()).collect();
    // Round 0 warms the page cache and is dropped.
    for round in 0..=runs {
        for (path, result) in paths.iter().zip(&mut results) {
            let run = once(path);
            if round > 0 {
                result.push(run);
            }
        }
    }
    report(&results);
}

/// Builds both binaries in release with one cargo invocation; returns their directory (the
/// runner's own: the same target directory and profile).
fn build() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--release", "-p", "quarry-functions", "--features", "cold-start-bench"]);
    for name in BINARIES {
        command.args(["--bin", name]);
    }
    let status = command.status().expect("cargo runs");
    assert!(status.success(), "building the binaries failed");
    let me = std::env::current_exe().expect("the runner's path");
    me.parent().expect("the runner lives in the profile directory").to_path_buf()
}

/// What the emulator tells the runner.
enum Seen {
    /// The function posted its answer (`/response`) or an error (`/error`).
    Answer { at: Instant, ok: bool },
}

/// Spawns `binary` under a fresh emulator and waits for its first answer.
fn once(binary: &Path) -> Run {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("the bound address").port();
    let (tx, rx) = mpsc::channel();
    let served = Arc::new(Mutex::new(false));
    std::thread::spawn(move || serve(listener, tx, served));
    let mut command = Command::new(binary);
    command.envs(ENV.iter().copied()).env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"));
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let start = Instant::now();
    let mut child = command.spawn().unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let run = wait(&rx, start, child.id());
    let _ = child.kill();
    let _ = child.wait();
    run
}

/// Waits for the answer of the process `pid` started at `start`, and reads its peak RSS then.
fn wait(rx: &Receiver<Seen>, start: Instant, pid: u32) -> Run {
    match rx.recv_timeout(RUN_TIMEOUT) {
        Ok(Seen::Answer { at, ok }) => Run { ms: at.duration_since(start).as_secs_f64() * 1e3, rss_bytes: peak_rss(pid), answered: ok },
        Err(_) => Run { ms: f64::NAN, rss_bytes: peak_rss(pid), answered: false },
    }
}

/// `VmHWM` of `/proc/<pid>/status`, in bytes (0 when the process is gone).
fn peak_rss(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status.lines().find_map(|line| line.strip_prefix("VmHWM:")).and_then(|rest| rest.split_whitespace().next());
    kib.and_then(|n| n.parse::<f64>().ok()).map_or(0.0, |kib| kib * 1024.0)
}

/// The emulator: each connection on its own thread, as the runtime may open more than one.
fn serve(listener: TcpListener, tx: Sender<Seen>, served: Arc<Mutex<bool>>) {
    for stream in listener.incoming().flatten() {
        let (tx, served) = (tx.clone(), served.clone());
        std::thread::spawn(move || connection(stream, tx, served));
    }
}

/// Serves the requests of one keep-alive connection until it closes.
fn connection(stream: TcpStream, tx: Sender<Seen>, served: Arc<Mutex<bool>>) {
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().expect("a second handle on the connection");
    let mut reader = BufReader::new(stream);
    while let Some((method, path)) = request(&mut reader) {
        if method == "GET" && path.ends_with("/invocation/next") {
            if std::mem::replace(&mut *served.lock().unwrap(), true) {
                // One event per run: the next poll waits until the runner kills the process.
                std::thread::sleep(RUN_TIMEOUT * 3);
                return;
            }
            let _ = writer.write_all(next_response().as_bytes());
        } else if method == "POST" {
            let _ = tx.send(Seen::Answer { at: Instant::now(), ok: path.ends_with("/response") });
            let _ = writer.write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n");
        }
    }
}

/// The answer to `/invocation/next`: the event and the invocation's headers.
fn next_response() -> String {
    let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 30_000;
    format!(
        "HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id: req-1\r\nlambda-runtime-deadline-ms: {deadline}\r\n\
         lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:f\r\n\
         lambda-runtime-trace-id: Root=1-0-0\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{EVENT}",
        EVENT.len()
    )
}

/// Reads one request (head and body); `None` when the connection closes. Returns the method and
/// the path.
fn request(reader: &mut BufReader<TcpStream>) -> Option<(String, String)> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_owned(), words.next()?.to_owned());
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok().filter(|&n| n > 0)?;
        let header = header.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(value) = header.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        chunked |= header.starts_with("transfer-encoding:") && header.contains("chunked");
    }
    if chunked {
        skip_chunked(reader)?
    } else {
        skip(reader, length)?
    }
    Some((method, path))
}

/// Reads and drops `length` bytes.
fn skip(reader: &mut BufReader<TcpStream>, length: usize) -> Option<()> {
    let copied = std::io::copy(&mut reader.by_ref().take(length as u64), &mut std::io::sink()).ok()?;
    (copied == length as u64).then_some(())
}

/// Reads and drops a chunked body, through its last (empty) chunk and trailers.
fn skip_chunked(reader: &mut BufReader<TcpStream>) -> Option<()> {
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok().filter(|&n| n > 0)?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        if size == 0 {
            let mut trailer = String::new();
            while reader.read_line(&mut trailer).ok()? > 2 {
                trailer.clear();
            }
            return Some(());
        }
        skip(reader, size + 2)?;
    }
}

/// Prints each binary's figures, then the ratio and whether the targets hold.
fn report(results: &[Vec<Run>]) {
    let mut medians = Vec::new();
    for (name, runs) in BINARIES.iter().zip(results) {
        let mut ms: Vec<f64> = runs.iter().filter(|r| r.answered).map(|r| r.ms).collect();
        ms.sort_by(f64::total_cmp);
        let median = ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN);
        let min = ms.first().copied().unwrap_or(f64::NAN);
        let rss = runs.iter().map(|r| r.rss_bytes).fold(0.0, f64::max);
        let answered = ms.len();
        println!(
            "cold_start: {name} median {median:.2} ms (min {min:.2}), peak RSS {:.1} MiB ({:.1} MB), {answered}/{} answered",
            rss / 1048576.0,
            rss / 1e6,
            runs.len()
        );
        medians.push((median, min, rss));
    }
    let ((account, account_min, rss), (hello, hello_min, _)) = (medians[0], medians[1]);
    let ratio = account / hello;
    println!("cold_start: account / hello world = {ratio:.2}x median ({:.2}x min); target <= {MAX_RATIO}x", account_min / hello_min);
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!("cold_start: ratio target {}, peak RSS target (<= 32 MB) {}", verdict(ratio <= MAX_RATIO), verdict(rss <= MAX_RSS_BYTES));
}

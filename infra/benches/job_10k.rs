//! A 10,000-row test-mode job on the real local server: starts the `quarry` binary (release) on a
//! fresh data directory, posts the quickstart prompt with `max_rows: 10000`, approves the job and
//! polls it to the end, then reports wall time, throughput and the server's peak memory
//! (`VmHWM` from /proc). A benchmark, not a test: it asserts only that the job succeeded.
//!
//! Run: `cargo bench -p quarry-infra --bench job_10k`

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ROWS: u64 = 10_000;

/// Peak resident memory of a process, in MiB (Linux only).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir.path())
        .env("QUARRY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start quarry");
    let mut key = None;
    for line in BufReader::new(server.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(k) = line.trim().strip_prefix("test key: ") {
            key = Some(k.to_string());
        }
        if line.contains("listening on") {
            break;
        }
    }
    let key = key.expect("the first start prints a test key");
    let base = format!("http://127.0.0.1:{port}/v1");
    let http = reqwest::Client::new();
    let post = |path: String, body: Value| http.post(format!("{base}{path}")).bearer_auth(&key).json(&body).send();

    let thread: Value = post("/threads".into(), json!({})).await.unwrap().json().await.unwrap();
    let prompt = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.";
    let body = json!({"content": prompt, "hints": {"max_rows": ROWS}});
    let posted: Value = post(format!("/threads/{}/messages", thread["id"].as_str().unwrap()), body).await.unwrap().json().await.unwrap();
    let job_id = posted["job"]["id"].as_str().unwrap().to_string();

    let started = Instant::now();
    let approved = post(format!("/jobs/{job_id}/approve"), json!({})).await.unwrap();
    assert_eq!(approved.status(), 200);
    let job = loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let job: Value = http.get(format!("{base}/jobs/{job_id}")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        if job["status"] != "running" {
            break job;
        }
    };
    let elapsed = started.elapsed();
    assert_eq!(job["status"], "succeeded", "{job}");
    let rows = job["artifact"]["rows"].as_u64().unwrap();
    let leads = job["artifact"]["bytes"].as_u64().unwrap();
    let peak = peak_rss_mib(server.id());
    println!("10,000-row test-mode job on the local server (embedded store, synchronous=FULL)");
    println!("  rows {rows}, CSV {:.1} MiB", leads as f64 / 1_048_576.0);
    println!("  wall time {:.1} s ({:.0} rows/s, approve to succeeded)", elapsed.as_secs_f64(), rows as f64 / elapsed.as_secs_f64());
    match peak {
        Some(mib) => println!("  server peak memory (VmHWM) {mib:.0} MiB"),
        None => println!("  server peak memory: not available on this platform"),
    }
    let _ = server.kill();
    let _ = server.wait();
}

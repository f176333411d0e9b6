//! A 10,000-row test-mode job on the real local server: starts the `quarry` binary (release) on a
//! fresh data directory, posts the quickstart prompt with `max_rows: 10000`, approves the job and
//! polls it to the end, then reports wall time, throughput and the server's peak memory
//! (`VmHWM` from /proc). It then reads the job's ~20,000 leads back through the lead store
//! (`/v1/leads`: a full walk in pages of 100, a page by score, a `status` filter, a `search`) and
//! times an export of all of them. A benchmark, not a test: it asserts only that things succeeded.
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

    let get = |path: String| {
        let request = http.get(format!("{base}{path}")).bearer_auth(&key);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // The whole store, newest first, in pages of 100.
    let started = Instant::now();
    let (mut walked, mut pages, mut cursor) = (0usize, 0usize, None::<String>);
    loop {
        let after = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = get(format!("/leads?limit=100{after}")).await;
        walked += page["data"].as_array().unwrap().len();
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) if page["has_more"] == true => cursor = Some(next.to_string()),
            _ => break,
        }
    }
    let walk = started.elapsed();
    println!("lead store (/v1/leads over the job's leads)");
    println!(
        "  full walk: {walked} leads in {pages} pages of 100, {:.1} s ({:.0} leads/s, {:.1} ms per page)",
        walk.as_secs_f64(),
        walked as f64 / walk.as_secs_f64(),
        walk.as_secs_f64() * 1000.0 / pages as f64
    );
    let first = get("/leads?limit=1".into()).await;
    let name = first["data"][0]["person"]["last_name"].as_str().unwrap_or("Martin").to_string();
    for (label, query) in [
        ("top 100 by score", "/leads?limit=100&sort=score".to_string()),
        ("first 100 hot, by score", "/leads?limit=100&status=hot&sort=score".to_string()),
        ("first 100 by company", "/leads?limit=100&sort=company&order=asc".to_string()),
        ("first page of search", format!("/leads?limit=100&search={name}")),
    ] {
        let started = Instant::now();
        let page = get(query).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        println!("  {label}: {} leads in {ms:.0} ms", page["data"].as_array().unwrap().len());
    }
    let started = Instant::now();
    let export: Value = post("/leads/export".into(), json!({"format": "csv"})).await.unwrap().json().await.unwrap();
    let export_id = export["id"].as_str().unwrap_or_else(|| panic!("{export}")).to_string();
    let export = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let export = get(format!("/exports/{export_id}")).await;
        if export["status"] != "processing" {
            break export;
        }
    };
    assert_eq!(export["status"], "completed", "{export}");
    println!(
        "  CSV export of {} leads: {:.1} s from request to completed",
        export["total_leads"].as_u64().unwrap_or(0),
        started.elapsed().as_secs_f64()
    );
    let _ = server.kill();
    let _ = server.wait();
}

//! A bounded mixed load from outside, as an organization grows (issue 13, "load that does not
//! degrade"). Quarry serves one organization over loopback HTTP, with its worker running and a
//! webhook endpoint (a loopback receiver) subscribed to every event, as `quarry serve` does. Eight
//! clients send, back to back: create a thread, post a message to it (a plan and a pending job),
//! post a message to the client's long-lived thread (which grows by one message a round), list
//! threads, list jobs, `GET /v1/me`. Each run lasts `LOAD_RUN_SECS` (default 10 s). Before each
//! run the organization is grown to the next size (threads with one message each, so a plan
//! and a pending job each), up to `LOAD_GROW_TO` (default 10,000; the issue asks for 100,000,
//! which takes about ten minutes to seed on 2 cores).
//!
//! Midway through each run a 3-row test job is approved and timed to `succeeded`, and the steps
//! and deliveries queue depths are sampled every 250 ms from the store's file. The printout is
//! one line per run and the last run's throughput as a share of the first.
//!
//! Rate limits are counted in memory, on a clock whose minutes pass 100 times faster: one
//! organization's tier caps it at 3,000 requests a minute, which would measure the limit, not
//! the server.
//!
//! Run: `cargo bench -p quarry-shared --bench mixed_load`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use quarry_engine::net::TargetPolicy;
use quarry_ports::clock::Clock;
use quarry_shared::http::listener::{serve, ConnectionLimits};
use quarry_shared::http::{self, AppState, Group};
use quarry_shared::ratelimit::RateLimiter;
use quarry_shared::worker::Worker;
use serde_json::{json, Value};

mod support;
use support::{BenchStore, PROMPT};

const CLIENTS: usize = 8;
/// Concurrent posters while the organization is grown between runs.
const SEEDERS: usize = 16;

/// A clock whose minutes pass 100 times faster than real ones (for the rate limiter only).
struct FastMinutes {
    started: Instant,
    at_start: DateTime<Utc>,
}

impl Clock for FastMinutes {
    fn now(&self) -> DateTime<Utc> {
        self.at_start + chrono::Duration::from_std(self.started.elapsed() * 100).unwrap()
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A client of one organization's API.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    async fn thread(&self) -> String {
        self.call(reqwest::Method::POST, "/v1/threads", Some(json!({}))).await["id"].as_str().unwrap().to_string()
    }

    async fn post(&self, thread: &str, hints: Value) -> Value {
        self.call(reqwest::Method::POST, &format!("/v1/threads/{thread}/messages"), Some(json!({"content": PROMPT, "hints": hints}))).await
    }
}

/// Starts `app` on a loopback port; answers its base URL.
async fn start(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, app, ConnectionLimits::default(), std::future::pending()));
    base
}

/// Grows the organization to `size` seeded threads (each with a message: a plan and a job).
async fn grow(api: &Api, from: u64, size: u64) {
    let next = Arc::new(std::sync::atomic::AtomicU64::new(from));
    let seeders: Vec<_> = (0..SEEDERS)
        .map(|_| {
            let (api, next) = (api.clone(), next.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < size {
                    let thread = api.thread().await;
                    api.post(&thread, json!({"max_rows": 5})).await;
                }
            })
        })
        .collect();
    for seeder in seeders {
        seeder.await.unwrap();
    }
}

/// Each client's rounds for `run`: latencies per operation.
async fn mixed_load(api: &Api, run: Duration) -> HashMap<&'static str, Vec<Duration>> {
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                let mut latencies: HashMap<&'static str, Vec<Duration>> = HashMap::new();
                let long_lived = api.thread().await;
                while started.elapsed() < run {
                    let mut timed = |name, t: Instant| latencies.entry(name).or_default().push(t.elapsed());
                    let t = Instant::now();
                    let thread = api.thread().await;
                    timed("create thread", t);
                    let t = Instant::now();
                    api.post(&thread, json!({"max_rows": 5})).await;
                    timed("post message", t);
                    let t = Instant::now();
                    api.post(&long_lived, json!({"max_rows": 5})).await;
                    timed("post to a growing thread", t);
                    let t = Instant::now();
                    api.call(reqwest::Method::GET, "/v1/threads?limit=20", None).await;
                    timed("list threads", t);
                    let t = Instant::now();
                    api.call(reqwest::Method::GET, "/v1/jobs?limit=20", None).await;
                    timed("list jobs", t);
                    let t = Instant::now();
                    api.call(reqwest::Method::GET, "/v1/me", None).await;
                    timed("/v1/me", t);
                }
                latencies
            })
        })
        .collect();
    let mut all: HashMap<&'static str, Vec<Duration>> = HashMap::new();
    for client in clients {
        for (name, mut latencies) in client.await.unwrap() {
            all.entry(name).or_default().append(&mut latencies);
        }
    }
    all
}

/// Approves a 3-row test job and waits for it to end; answers how long that took.
async fn small_job(api: &Api) -> Duration {
    let thread = api.thread().await;
    let posted = api.post(&thread, json!({"max_rows": 3})).await;
    let job = posted["job"]["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    api.call(reqwest::Method::POST, &format!("/v1/jobs/{job}/approve"), Some(json!({}))).await;
    loop {
        let status = api.call(reqwest::Method::GET, &format!("/v1/jobs/{job}"), None).await["status"].clone();
        if status != "running" {
            assert_eq!(status, "succeeded");
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Messages waiting in each queue of the store's file, sampled until `until`: (largest, last).
fn queue_depths(db: std::path::PathBuf, until: Instant) -> HashMap<String, (u64, u64)> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut depths: HashMap<String, (u64, u64)> = HashMap::new();
    while Instant::now() < until {
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut stmt = conn.prepare_cached("SELECT queue, count(*) FROM queue_messages GROUP BY queue").unwrap();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))).unwrap() {
            let (queue, n) = row.unwrap();
            seen.insert(queue, n);
        }
        for (queue, entry) in depths.iter_mut() {
            let n = seen.remove(queue).unwrap_or(0);
            *entry = (entry.0.max(n), n);
        }
        for (queue, n) in seen {
            depths.insert(queue, (n, n));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    depths
}

/// Waits (at most `limit`) for every queue of the store's file to empty: (messages left, time).
fn drain(db: &std::path::Path, limit: Duration) -> (u64, Duration) {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let started = Instant::now();
    loop {
        let left: u64 = conn.query_row("SELECT count(*) FROM queue_messages", [], |r| r.get(0)).unwrap();
        if left == 0 || started.elapsed() >= limit {
            return (left, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn percentile(sorted: &[Duration], p: usize) -> f64 {
    sorted.get(sorted.len() * p / 100).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let run = Duration::from_secs(env_number("LOAD_RUN_SECS", 10));
    let grow_to = env_number("LOAD_GROW_TO", 10_000);
    let stages = [0, grow_to / 10, grow_to];

    let store = BenchStore::open();
    let mut settings = store.settings.clone();
    settings.outbound.policy = TargetPolicy::LoopbackOnly; // the webhook receiver is on loopback
    let fast = Arc::new(FastMinutes { started: Instant::now(), at_start: Utc::now() });
    let state = AppState::new(store.embedded.storage.clone(), store.clock.clone(), &Group::ALL, &settings)
        .with_rate_limiter(RateLimiter::in_memory(fast));
    let base = start(http::router(state, None)).await;
    let worker = Worker::new(store.embedded.storage.clone(), store.clock.clone(), &settings);
    tokio::spawn(worker.run(std::future::pending()));
    let receiver = start(axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }))).await;

    let (_, key) = store.organization_with_key().await;
    let api = Api { http: reqwest::Client::new(), base, key };
    api.call(reqwest::Method::POST, "/v1/webhooks", Some(json!({"url": format!("{receiver}/hook")}))).await;

    println!("mixed load: {CLIENTS} clients, {} s per run, one organization grown to {grow_to} threads and jobs", run.as_secs());
    let mut rates = Vec::new();
    let mut seeded = 0;
    for size in stages {
        let t = Instant::now();
        grow(&api, seeded, size).await;
        let grown_in = t.elapsed();
        seeded = size;

        let until = Instant::now() + run;
        let db = store.db_file();
        let depths = tokio::task::spawn_blocking(move || queue_depths(db, until + Duration::from_secs(1)));
        let job = {
            let api = api.clone();
            tokio::spawn(async move {
                tokio::time::sleep(run / 2).await;
                small_job(&api).await
            })
        };
        let latencies = mixed_load(&api, run).await;
        let job = job.await.unwrap();
        let depths = depths.await.unwrap();

        let requests: usize = latencies.values().map(Vec::len).sum();
        let rate = requests as f64 / run.as_secs_f64();
        rates.push(rate);
        let mut everything: Vec<Duration> = latencies.values().flatten().copied().collect();
        everything.sort();
        println!(
            "org at {size:>6} seeded threads (grown in {:.0} s): {rate:.0} req/s, p50 {:.1} ms, p99 {:.1} ms; 3-row job approved mid-run took {:.2} s",
            grown_in.as_secs_f64(),
            percentile(&everything, 50),
            percentile(&everything, 99),
            job.as_secs_f64()
        );
        let mut names: Vec<_> = latencies.keys().copied().collect();
        names.sort();
        for name in names {
            let mut sorted = latencies[name].clone();
            sorted.sort();
            println!(
                "    {name:<26} {:>5} requests, p50 {:6.1} ms, p99 {:6.1} ms",
                sorted.len(),
                percentile(&sorted, 50),
                percentile(&sorted, 99)
            );
        }
        let mut queues: Vec<_> = depths.into_iter().collect();
        queues.sort();
        for (queue, (most, last)) in queues {
            println!("    queue {queue:<24} depth at most {most}, {last} a second after the run");
        }
    }
    println!("last run served {:.0} % of the first run's rate", 100.0 * rates[rates.len() - 1] / rates[0]);
    let db = store.db_file();
    let (left, took) = tokio::task::spawn_blocking(move || drain(&db, Duration::from_secs(120))).await.unwrap();
    println!("after the load: the queues held {left} messages {:.1} s later (waiting at most 120 s for them to drain)", took.as_secs_f64());
}

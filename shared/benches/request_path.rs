//! Throughput and latency of the request path on the embedded store: the full router (request
//! ID, auth, rate limit, idempotency, handler) over a real SQLite file, driven in-process through
//! `tower::ServiceExt::oneshot`, so the figure is Quarry's cost without network noise.
//!
//! Run: `cargo bench -p quarry-shared --bench request_path`

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use quarry_planner::RulePlanner;
use quarry_ports::clock::SystemClock;
use quarry_shared::http::{self, AppState, Group};
use quarry_shared::research::{Caller, NewThread, Research};
use tower::ServiceExt;

mod support;
use support::{BenchStore, PROMPT};

/// Concurrent clients, each with its own organization (so no client hits the rate limit).
const CLIENTS: usize = 8;
/// Requests per client per scenario (below the Scale tier's 3,000 a minute).
const REQUESTS: usize = 250;

/// Messages posted to one thread in the message scenario before moving to the next thread (the
/// planner reads a thread's whole history, so this fixes the history length being measured).
const MESSAGES_PER_THREAD: usize = 10;

/// One benchmark client: its key and the threads it posts to.
struct Client {
    key: String,
    threads: Vec<String>,
}

struct Scenario {
    name: &'static str,
    build: fn(&Client, usize, usize) -> Request<Body>,
    /// Served as `quarry serve` serves it (rate limits counted in memory) rather than as a Lambda
    /// does (counted in the table).
    in_memory: bool,
}

fn health(_: &Client, _: usize, _: usize) -> Request<Body> {
    Request::get("/health").body(Body::empty()).unwrap()
}

fn me(c: &Client, _: usize, _: usize) -> Request<Body> {
    Request::get("/v1/me").header("authorization", format!("Bearer {}", c.key)).body(Body::empty()).unwrap()
}

fn create_key(c: &Client, client: usize, i: usize) -> Request<Body> {
    Request::post("/v1/api-keys")
        .header("authorization", format!("Bearer {}", c.key))
        .header("content-type", "application/json")
        .header("idempotency-key", format!("bench-{client}-{i}"))
        .body(Body::from("{\"name\":\"bench\"}"))
        .unwrap()
}

fn post_message(c: &Client, _: usize, i: usize) -> Request<Body> {
    let thread = &c.threads[i / MESSAGES_PER_THREAD];
    Request::post(format!("/v1/threads/{thread}/messages"))
        .header("authorization", format!("Bearer {}", c.key))
        .header("content-type", "application/json")
        .body(Body::from(serde_json::json!({ "content": PROMPT }).to_string()))
        .unwrap()
}

/// The rule planner alone, in one thread: plans per second for the quickstart prompt.
async fn planner_alone() {
    use quarry_planner::{PlanInput, Planner, Turn};
    const RUNS: usize = 20_000;
    let planner = RulePlanner::new();
    let input = PlanInput { turns: vec![Turn { content: PROMPT.into(), ..Turn::default() }] };
    let started = Instant::now();
    for _ in 0..RUNS {
        std::hint::black_box(planner.plan(std::hint::black_box(&input)).await.unwrap());
    }
    let per = started.elapsed() / RUNS as u32;
    println!(
        "{:<40} {:>8.0} plans/s   {:>7.1} µs per plan",
        "RulePlanner::plan (quickstart prompt)",
        1.0 / per.as_secs_f64(),
        per.as_secs_f64() * 1e6
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let store = BenchStore::open();
    let (embedded, settings, clock) = (&store.embedded, &store.settings, store.clock.clone());
    let router = http::router(AppState::new(embedded.storage.clone(), clock.clone(), &Group::ALL, settings), None);
    let local = http::router(AppState::new(embedded.storage.clone(), clock, &Group::ALL, settings).with_in_memory_rate_limits(), None);

    let scenarios = [
        Scenario { name: "GET /health (1 table read)", build: health, in_memory: false },
        Scenario { name: "GET /v1/me (auth + table rate limit)", build: me, in_memory: false },
        Scenario { name: "GET /v1/me (auth + in-memory rate limit)", build: me, in_memory: true },
        Scenario { name: "POST /v1/api-keys + Idempotency-Key", build: create_key, in_memory: false },
        Scenario { name: "POST /v1/threads/{id}/messages (planner)", build: post_message, in_memory: false },
    ];
    planner_alone().await;
    let research =
        Research::new(embedded.storage.table.clone(), embedded.storage.steps.clone(), Arc::new(SystemClock), Arc::new(RulePlanner::new()));
    println!("{CLIENTS} concurrent clients x {REQUESTS} requests, embedded store (SQLite WAL, synchronous=FULL)");
    for scenario in &scenarios {
        // Fresh organizations per scenario keep every client under its per-minute limit.
        let mut keys = Vec::new();
        for _ in 0..CLIENTS {
            let (org_id, key) = store.organization_with_key().await;
            let caller = Caller { org_id, livemode: false, plans_per_day: None, key_id: None, member_id: None };
            let mut threads = Vec::new();
            for _ in 0..REQUESTS.div_ceil(MESSAGES_PER_THREAD) {
                threads.push(research.create_thread(&caller, NewThread::default()).await.unwrap().id);
            }
            keys.push(Client { key, threads });
        }
        let started = Instant::now();
        let tasks: Vec<_> = keys
            .into_iter()
            .enumerate()
            .map(|(client, key)| {
                let router = if scenario.in_memory { local.clone() } else { router.clone() };
                let build = scenario.build;
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(REQUESTS);
                    for i in 0..REQUESTS {
                        let t = Instant::now();
                        let response = router.clone().oneshot(build(&key, client, i)).await.unwrap();
                        assert!(response.status().is_success(), "{}", response.status());
                        latencies.push(t.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies: Vec<Duration> = Vec::new();
        for t in tasks {
            latencies.extend(t.await.unwrap());
        }
        let elapsed = started.elapsed();
        latencies.sort();
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        println!(
            "{:<40} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms",
            scenario.name,
            latencies.len() as f64 / elapsed.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3
        );
    }
}

//! Quarry's request path over loopback HTTP against a bare axum server in the same run (issue 13,
//! P2): a bare axum 0.8 handler answering a small JSON body is the ceiling any axum service on
//! this machine can reach, so the ratio is Quarry's own overhead. Both servers run in this
//! process on the same runtime; 8 clients, each on its own keep-alive connection, send
//! requests back to back, as `wrk -c 8` does.
//!
//! Scenarios: bare axum `GET /hello`; Quarry's `GET /health`; Quarry's authenticated
//! `GET /v1/jobs/{id}` served as `quarry serve` serves it (the rate limit counted in memory).
//!
//! Run: `cargo bench -p quarry-shared --bench bare_axum`

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use quarry_shared::http::listener::{serve, ConnectionLimits};
use quarry_shared::http::{self, AppState, Group};
use tower::ServiceExt;

mod support;
use support::{BenchStore, PROMPT};

/// Concurrent clients, one connection each.
const CLIENTS: usize = 8;
/// How long each scenario runs.
const RUN: Duration = Duration::from_secs(5);

/// One client's authenticated request: its key and the job it reads.
#[derive(Clone)]
struct Reader {
    key: String,
    job_id: String,
}

/// Organizations each client rotates through, so none reaches its tier's per-minute limit
/// (3,000 on Scale) while the run measures throughput.
const ORGS_PER_CLIENT: usize = 12;

/// A client's requests, taken in turn: a path and the key it is sent with, if any.
type Rotation = Vec<(String, Option<String>)>;

/// Requests per second and p50/p99 latency of one client per rotation, each sending GETs back to back.
async fn drive(base: &str, rotations: Vec<Rotation>) -> (f64, Duration, Duration) {
    let started = Instant::now();
    let tasks: Vec<_> = rotations
        .into_iter()
        .map(|rotation| {
            let base = base.to_string();
            tokio::spawn(async move {
                let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
                let mut latencies = Vec::new();
                for (path, key) in rotation.iter().cycle() {
                    if started.elapsed() >= RUN {
                        break;
                    }
                    let url = format!("{base}{path}");
                    let t = Instant::now();
                    let mut request = client.get(&url);
                    if let Some(key) = &key {
                        request = request.bearer_auth(key);
                    }
                    let response = request.send().await.unwrap();
                    assert!(response.status().is_success(), "{url}: {}", response.status());
                    response.bytes().await.unwrap();
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    (all.len() as f64 / elapsed.as_secs_f64(), all[all.len() / 2], all[all.len() * 99 / 100])
}

/// Starts `app` on a loopback port; answers its base URL.
async fn start(app: axum::Router, bare: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    if bare {
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    } else {
        tokio::spawn(serve(listener, app, ConnectionLimits::default(), std::future::pending()));
    }
    base
}

/// Organizations, keys and one pending job each, made through the router itself.
async fn readers(router: &axum::Router, store: &BenchStore, count: usize) -> Vec<Reader> {
    let mut readers = Vec::new();
    for _ in 0..count {
        let (_, key) = store.organization_with_key().await;
        let post = |uri: String, body: serde_json::Value| {
            Request::post(uri)
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let thread = json_of(router.clone().oneshot(post("/v1/threads".into(), serde_json::json!({}))).await.unwrap()).await;
        let prompt = serde_json::json!({"content": PROMPT});
        let uri = format!("/v1/threads/{}/messages", thread["id"].as_str().unwrap());
        let posted = json_of(router.clone().oneshot(post(uri, prompt)).await.unwrap()).await;
        readers.push(Reader { key: key.clone(), job_id: posted["job"]["id"].as_str().expect("the message drafts a job").into() });
    }
    readers
}

async fn json_of(response: axum::response::Response) -> serde_json::Value {
    assert!(response.status().is_success(), "{}", response.status());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let store = BenchStore::open();
    let state =
        AppState::new(store.embedded.storage.clone(), store.clock.clone(), &Group::ALL, &store.settings).with_in_memory_rate_limits();
    let quarry = http::router(state, None);
    let readers = readers(&quarry, &store, CLIENTS * ORGS_PER_CLIENT).await;

    let bare = axum::Router::new().route("/hello", axum::routing::get(|| async { axum::Json(serde_json::json!({"hello": "world"})) }));
    let bare_base = start(bare, true).await;
    let quarry_base = start(quarry, false).await;

    println!("{CLIENTS} clients, one keep-alive connection each, {} s per scenario, loopback HTTP", RUN.as_secs());
    let unauthenticated = |path: &str| (0..CLIENTS).map(|_| vec![(path.to_string(), None)]).collect::<Vec<Rotation>>();
    let (ceiling, p50, p99) = drive(&bare_base, unauthenticated("/hello")).await;
    println!("{:<50} {ceiling:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms", "bare axum GET /hello", ms(p50), ms(p99));
    let jobs: Vec<Rotation> = readers
        .chunks(ORGS_PER_CLIENT)
        .map(|orgs| orgs.iter().map(|r| (format!("/v1/jobs/{}", r.job_id), Some(r.key.clone()))).collect())
        .collect();
    let scenarios = [("Quarry GET /health", unauthenticated("/health")), ("Quarry GET /v1/jobs/{id} (auth, in-memory limit)", jobs)];
    for (name, paths) in scenarios {
        let (rate, p50, p99) = drive(&quarry_base, paths).await;
        println!(
            "{name:<50} {rate:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   {:>5.1} % of bare axum",
            ms(p50),
            ms(p99),
            100.0 * rate / ceiling
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

//! Signed webhook deliveries per second to a receiver on loopback, through the whole path: events
//! recorded in the event log, fanned out of the outbox into delivery records, queued on the
//! embedded deliveries queue, claimed, signed (both schemes) and POSTed by the local worker, and
//! their outcome recorded — over a real SQLite file.
//!
//! Run: `cargo bench -p quarry-shared --bench webhook_delivery`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quarry_engine::net::TargetPolicy;
use quarry_ports::clock::{SharedClock, SystemClock};
use quarry_shared::accounts::{Accounts, Tier};
use quarry_shared::events::{Event, EventLog, EventType};
use quarry_shared::research::Caller;
use quarry_shared::webhooks::{Endpoints, NewEndpoint};
use quarry_shared::worker::Worker;
use quarry_store::Embedded;

/// Events delivered per run.
const EVENTS: usize = 2_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let clock: SharedClock = Arc::new(SystemClock);
    let embedded = Embedded::open(dir.path(), "http://127.0.0.1:9", b"k".to_vec(), clock.clone()).unwrap();
    let storage = embedded.storage;
    let org = Accounts::new(storage.table.clone(), clock.clone()).create_organization("bench", Tier::Scale, 0).await.unwrap();
    let caller = Caller { org_id: org.id.clone(), livemode: false, plans_per_day: None };
    let endpoints = Endpoints::new(storage.table.clone(), clock.clone(), TargetPolicy::AllowLoopback);
    endpoints.create(&caller, NewEndpoint { url, ..NewEndpoint::default() }).await.unwrap();

    let log = EventLog::new(storage.table.as_ref());
    let object = serde_json::json!({"id": "job_bench", "object": "job", "status": "succeeded", "summary": "x".repeat(800)});
    for _ in 0..EVENTS {
        log.record(&org.id, &Event::new(EventType::JobSucceeded, &object, false, clock.now().into()).unwrap()).await.unwrap();
    }

    let started = Instant::now();
    let worker = Worker::with_target_policy(storage.clone(), clock.clone(), TargetPolicy::AllowLoopback);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    while received.load(Ordering::Relaxed) < EVENTS {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(());
    let _ = running.await;
    println!(
        "webhook deliveries: {EVENTS} signed deliveries in {:.2} s = {:.0} deliveries/s (fan-out, queue, claim, sign, POST, record; embedded store, 2 worker threads)",
        elapsed.as_secs_f64(),
        EVENTS as f64 / elapsed.as_secs_f64()
    );
}

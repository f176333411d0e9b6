//! Signed webhook deliveries per second to a receiver on loopback, through the whole path: events
//! recorded in the event log, fanned out of the outbox into delivery records, queued on the
//! embedded deliveries queue, claimed, signed (both schemes) and POSTed by the local worker, and
//! their outcome recorded — over a real SQLite file. It also counts the writes the path makes
//! per delivery: table write calls (each one SQLite commit; on DynamoDB one request, or one
//! request per group of a grouped call) and queue write calls (send, receive, delete).
//!
//! Run: `cargo bench -p quarry-shared --bench webhook_delivery`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quarry_engine::net::TargetPolicy;
use quarry_ports::clock::{SharedClock, SystemClock};
use quarry_ports::storage::Storage;
use quarry_ports::{Condition, Item, Key, Page, Query, Queue, Received, StoreResult, Table, Update, WriteOp};
use quarry_shared::accounts::{Accounts, Tier};
use quarry_shared::events::{Event, EventLog, EventType};
use quarry_shared::research::Caller;
use quarry_shared::webhooks::{Endpoints, NewEndpoint};
use quarry_shared::worker::Worker;
use quarry_store::Embedded;

/// Write calls counted by [`Counted`].
#[derive(Default)]
struct Writes {
    table: AtomicUsize,
    queue: AtomicUsize,
}

/// A table or queue that counts the write calls made to it.
struct Counted<T: ?Sized> {
    inner: Arc<T>,
    writes: Arc<Writes>,
}

impl<T: ?Sized> Counted<T> {
    fn table_write(&self) {
        self.writes.table.fetch_add(1, Ordering::Relaxed);
    }
    fn queue_write(&self) {
        self.writes.queue.fetch_add(1, Ordering::Relaxed);
    }
}

#[async_trait::async_trait]
impl Table for Counted<dyn Table> {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()> {
        self.table_write();
        self.inner.put(item, condition).await
    }
    async fn update(&self, key: &Key, update: Update, condition: Condition) -> StoreResult<Item> {
        self.table_write();
        self.inner.update(key, update, condition).await
    }
    async fn delete(&self, key: &Key, condition: Condition) -> StoreResult<Option<Item>> {
        self.table_write();
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> StoreResult<Page> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> StoreResult<()> {
        self.table_write();
        self.inner.transact(ops).await
    }
    async fn transact_groups(&self, groups: Vec<Vec<WriteOp>>) -> StoreResult<Vec<bool>> {
        self.table_write();
        self.inner.transact_groups(groups).await
    }
}

#[async_trait::async_trait]
impl Queue for Counted<dyn Queue> {
    async fn send(&self, body: &str, delay: Duration) -> StoreResult<String> {
        self.queue_write();
        self.inner.send(body, delay).await
    }
    async fn send_batch(&self, bodies: &[String], delay: Duration) -> StoreResult<()> {
        self.queue_write();
        self.inner.send_batch(bodies, delay).await
    }
    async fn receive(&self, max: usize, visibility: Duration) -> StoreResult<Vec<Received>> {
        self.queue_write();
        self.inner.receive(max, visibility).await
    }
    async fn delete(&self, receipt: &str) -> StoreResult<()> {
        self.queue_write();
        self.inner.delete(receipt).await
    }
    async fn change_visibility(&self, receipt: &str, timeout: Duration) -> StoreResult<()> {
        self.queue_write();
        self.inner.change_visibility(receipt, timeout).await
    }
}

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
    let caller = Caller { org_id: org.id.clone(), livemode: false, plans_per_day: None, key_id: None, member_id: None };
    let endpoints = Endpoints::new(storage.table.clone(), clock.clone(), TargetPolicy::AllowLoopback);
    endpoints.create(&caller, NewEndpoint { url, ..NewEndpoint::default() }).await.unwrap();

    let log = EventLog::new(storage.table.as_ref());
    let object = serde_json::json!({"id": "job_bench", "object": "job", "status": "succeeded", "summary": "x".repeat(800)});
    for _ in 0..EVENTS {
        log.record(&org.id, &Event::new(EventType::JobSucceeded, &object, false, clock.now().into()).unwrap()).await.unwrap();
    }

    let writes = Arc::new(Writes::default());
    let counted = Storage {
        table: Arc::new(Counted { inner: storage.table.clone(), writes: writes.clone() }),
        steps: Arc::new(Counted { inner: storage.steps.clone(), writes: writes.clone() }),
        deliveries: Arc::new(Counted { inner: storage.deliveries.clone(), writes: writes.clone() }),
        ..storage.clone()
    };
    // As every path that records events does: the fan-out runs now, continuing batch after
    // batch, instead of waiting for the scheduler's sweep.
    quarry_shared::events::nudge_fan_out(counted.steps.as_ref()).await;
    let started = Instant::now();
    let worker = Worker::with_target_policy(counted, clock.clone(), TargetPolicy::AllowLoopback);
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
    let per_delivery = |n: &AtomicUsize| n.load(Ordering::Relaxed) as f64 / EVENTS as f64;
    println!(
        "writes per delivery: {:.2} table write calls, {:.2} queue write calls (fan-out and delivery; idle polls included)",
        per_delivery(&writes.table),
        per_delivery(&writes.queue)
    );
}

//! Webhook delivery is at least once and never twice at once: a lost queue message is released
//! again by the scheduler, a duplicated one sends one request, and fanning the same event out
//! twice creates one delivery. Embedded store, manual clock, a real receiver on loopback.

use std::sync::Arc;
use std::time::Duration;

use quarry_engine::net::TargetPolicy;
use quarry_ports::clock::{ManualClock, SharedClock};
use quarry_shared::accounts::{Accounts, Tier};
use quarry_shared::events::{Event, EventLog, EventType};
use quarry_shared::research::Caller;
use quarry_shared::tasks::Task;
use quarry_shared::webhooks::{DeliveryStatus, Endpoints, NewEndpoint};
use quarry_shared::worker::Worker;
use quarry_store::Embedded;
use quarry_tests::contract::webhooks::signed_by;
use quarry_tests::fixtures::Receiver;

struct Setup {
    _dir: tempfile::TempDir,
    store: Embedded,
    manual: Arc<ManualClock>,
    worker: Worker,
    receiver: Receiver,
    org_id: String,
    webhook_id: String,
    secret: String,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let manual = ManualClock::new();
    let clock: SharedClock = manual.clone();
    let store = Embedded::open(dir.path(), "http://127.0.0.1:9", b"k".to_vec(), clock.clone()).unwrap();
    let org = Accounts::new(store.storage.table.clone(), clock.clone()).create_organization("o", Tier::Scale, 0).await.unwrap();
    let receiver = Receiver::start().await;
    let caller = Caller { org_id: org.id.clone(), livemode: false, plans_per_day: None, key_id: None, member_id: None };
    let endpoints = Endpoints::new(store.storage.table.clone(), clock.clone(), TargetPolicy::AllowLoopback);
    let created = endpoints.create(&caller, NewEndpoint { url: receiver.url("hook"), ..NewEndpoint::default() }).await.unwrap();
    let worker = Worker::with_target_policy(store.storage.clone(), clock.clone(), TargetPolicy::AllowLoopback);
    let event =
        Event::new(EventType::ThreadCreated, &serde_json::json!({"id": "thr_x", "object": "thread"}), false, clock.now().into()).unwrap();
    EventLog::new(store.storage.table.as_ref()).record(&org.id, &event).await.unwrap();
    Setup { _dir: dir, store, manual, worker, receiver, org_id: org.id, webhook_id: created.endpoint.id, secret: created.signing_secret }
}

/// Every message now on the deliveries queue, taken off it unhandled.
async fn take_all(s: &Setup) -> Vec<String> {
    let queue = &s.store.storage.deliveries;
    let mut bodies = Vec::new();
    for message in queue.receive(10, Duration::from_secs(30)).await.unwrap() {
        queue.delete(&message.receipt).await.unwrap();
        bodies.push(message.body);
    }
    bodies
}

async fn status(s: &Setup) -> (DeliveryStatus, u32) {
    let caller = Caller { org_id: s.org_id.clone(), livemode: false, plans_per_day: None, key_id: None, member_id: None };
    let (page, _) = s.worker.deliveries().list(&caller, &s.webhook_id, quarry_ports::Order::Desc, 10, None).await.unwrap();
    assert_eq!(page.len(), 1, "one delivery: {page:?}");
    (page[0].status, page[0].attempt)
}

#[tokio::test]
async fn a_lost_message_is_released_again_by_the_scheduler() {
    let s = setup().await;
    s.worker.handle(&Task::FanOut).await.unwrap();
    let lost = take_all(&s).await; // the dispatcher "crashed" with these
    assert_eq!(lost.len(), 1);
    assert!(s.receiver.received("hook").is_empty());
    assert_eq!(s.worker.scheduled().await.unwrap().deliveries_released, 0, "not before its grace period");

    s.manual.advance(Duration::from_secs(6 * 60));
    assert_eq!(s.worker.scheduled().await.unwrap().deliveries_released, 1);
    for body in take_all(&s).await {
        s.worker.handle_body(&body).await.unwrap();
    }
    let got = s.receiver.received("hook");
    assert_eq!(got.len(), 1);
    assert!(signed_by(&got[0], &s.secret));
    assert_eq!(status(&s).await, (DeliveryStatus::Succeeded, 1));
    s.manual.advance(Duration::from_secs(3600));
    assert_eq!(s.worker.scheduled().await.unwrap().deliveries_released, 0, "a finished delivery is never released");
}

#[tokio::test]
async fn duplicates_send_one_request() {
    let s = setup().await;
    // Fanning the same outbox out twice (a crash before the marker was cleared) makes one delivery.
    s.worker.handle(&Task::FanOut).await.unwrap();
    let first = take_all(&s).await;
    let event_items = s.store.storage.table.query(quarry_ports::Query::gsi1("OUTBOX")).await.unwrap().items;
    assert!(event_items.is_empty(), "the outbox is empty once fanned out");
    // The same message delivered three times at once.
    let body = first[0].clone();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let (worker, body) = (s.worker.clone(), body.clone());
            tokio::spawn(async move { worker.handle_body(&body).await })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    assert_eq!(s.receiver.received("hook").len(), 1, "one claim wins; the copies are dropped");
    assert_eq!(status(&s).await, (DeliveryStatus::Succeeded, 1));
}

#[tokio::test]
async fn a_lost_retry_message_is_released_again() {
    let s = setup().await;
    s.receiver.script("hook", &[(500, None)]);
    s.worker.handle(&Task::FanOut).await.unwrap();
    let body = take_all(&s).await.remove(0);
    s.worker.handle_body(&body).await.unwrap(); // attempt 1 fails with a 500
    assert_eq!(status(&s).await, (DeliveryStatus::Pending, 2));
    // Attempt 2 is queued with a 5 s delay; let it come due, then lose its message.
    s.manual.advance(Duration::from_secs(6));
    assert_eq!(take_all(&s).await.len(), 1);
    s.manual.advance(Duration::from_secs(6 * 60));
    assert_eq!(s.worker.scheduled().await.unwrap().deliveries_released, 1);
    for body in take_all(&s).await {
        s.worker.handle_body(&body).await.unwrap();
    }
    assert_eq!(s.receiver.received("hook").len(), 2);
    assert_eq!(status(&s).await, (DeliveryStatus::Succeeded, 2));
}

#[tokio::test]
async fn a_sender_that_died_mid_attempt_is_retried_after_its_claim_lapses() {
    let s = setup().await;
    s.receiver.script("hook", &[(0, None)]); // the first request hangs
    s.worker.handle(&Task::FanOut).await.unwrap();
    let body = take_all(&s).await.remove(0);
    let worker = s.worker.clone();
    let sender = tokio::spawn(async move { worker.handle_body(&body).await });
    s.receiver.wait_for("hook", |r| r.len() == 1).await;
    sender.abort(); // the dispatcher dies mid-request, its claim held
    assert_eq!(status(&s).await, (DeliveryStatus::Pending, 1));
    assert_eq!(s.worker.scheduled().await.unwrap().deliveries_released, 0);

    s.manual.advance(Duration::from_secs(6 * 60));
    assert_eq!(s.worker.scheduled().await.unwrap().deliveries_released, 1, "the lapsed claim is released");
    for body in take_all(&s).await {
        s.worker.handle_body(&body).await.unwrap();
    }
    let got = s.receiver.received("hook");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("leadex-delivery"), got[1].header("leadex-delivery"), "the same delivery, sent again");
    assert_eq!(status(&s).await, (DeliveryStatus::Succeeded, 1));
}

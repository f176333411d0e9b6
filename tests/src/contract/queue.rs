//! The `Queue` contract. Uses real time (the AWS emulator does), so each test sleeps briefly.

use std::sync::Arc;
use std::time::Duration;

use quarry_ports::{Queue, StoreError};

/// A queue and its dead-letter queue; messages move to the DLQ after `max_receives` receives.
pub struct QueueFixture {
    pub queue: Arc<dyn Queue>,
    pub dead_letters: Arc<dyn Queue>,
    pub max_receives: u32,
}

const LONG: Duration = Duration::from_secs(30);

/// Receives until something arrives or `within` passes (SQS may return an empty batch even when
/// messages are visible).
async fn receive_within(queue: &dyn Queue, within: Duration, visibility: Duration) -> Vec<quarry_ports::Received> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = queue.receive(10, visibility).await.unwrap();
        if !got.is_empty() || tokio::time::Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn send_receive_delete(f: QueueFixture) {
    let id = f.queue.send("{\"step\":1}", Duration::ZERO).await.unwrap();
    let got = receive_within(&*f.queue, Duration::from_secs(3), LONG).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, id);
    assert_eq!(got[0].body, "{\"step\":1}");
    assert_eq!(got[0].receive_count, 1);
    assert!(f.queue.receive(10, LONG).await.unwrap().is_empty(), "hidden while in flight");
    f.queue.delete(&got[0].receipt).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(f.queue.receive(10, LONG).await.unwrap().is_empty(), "deleted for good");
}

pub async fn delayed_messages_wait(f: QueueFixture) {
    f.queue.send("later", Duration::from_secs(2)).await.unwrap();
    assert!(f.queue.receive(10, LONG).await.unwrap().is_empty(), "not before its delay");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let got = receive_within(&*f.queue, Duration::from_secs(3), LONG).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "later");
    let too_long = f.queue.send("never", Duration::from_secs(16 * 60)).await;
    assert!(matches!(too_long, Err(StoreError::Invalid(_))));
}

pub async fn unacknowledged_messages_come_back(f: QueueFixture) {
    f.queue.send("work", Duration::ZERO).await.unwrap();
    let first = receive_within(&*f.queue, Duration::from_secs(3), Duration::from_secs(1)).await;
    assert_eq!(first.len(), 1);
    // The worker "dies": no delete. After the visibility timeout the message is back.
    assert!(f.queue.receive(10, Duration::from_secs(1)).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let second = receive_within(&*f.queue, Duration::from_secs(3), LONG).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, first[0].id);
    assert_eq!(second[0].receive_count, 2);
    // Releasing it early makes it visible at once.
    f.queue.change_visibility(&second[0].receipt, Duration::ZERO).await.unwrap();
    let third = receive_within(&*f.queue, Duration::from_secs(3), LONG).await;
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].receive_count, 3);
    f.queue.delete(&third[0].receipt).await.unwrap();
}

pub async fn poison_messages_move_to_the_dead_letter_queue(f: QueueFixture) {
    f.queue.send("poison", Duration::ZERO).await.unwrap();
    for attempt in 1..=f.max_receives {
        let got = receive_within(&*f.queue, Duration::from_secs(3), LONG).await;
        assert_eq!(got.len(), 1, "delivery {attempt}");
        assert_eq!(got[0].receive_count, attempt);
        f.queue.change_visibility(&got[0].receipt, Duration::ZERO).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(f.queue.receive(10, LONG).await.unwrap().is_empty(), "moved away after {} receives", f.max_receives);
    let dead = receive_within(&*f.dead_letters, Duration::from_secs(3), LONG).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
}

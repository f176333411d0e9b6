//! The `Queue` port: at-least-once work queues (the step worker's and the webhook dispatcher's).
//!
//! On AWS, Lambda's SQS trigger does the receiving; `receive`, `delete` and `change_visibility`
//! exist for the local runner and for tests. Semantics follow SQS standard queues: a received
//! message is hidden for its visibility timeout and comes back if it is not deleted by then; each
//! receive increments its receive count; after the queue's maximum receives the next receive moves
//! it to the dead-letter queue instead of delivering it.

use std::time::Duration;

use async_trait::async_trait;

use super::StoreResult;

/// Longest delay a message can be sent with (SQS's limit). Longer waits go through the scheduler.
pub const MAX_QUEUE_DELAY: Duration = Duration::from_secs(15 * 60);

/// Longest visibility timeout (SQS's limit: 12 hours).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

/// A received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Stable message id (the same on every delivery of the message).
    pub id: String,
    /// Handle for `delete` / `change_visibility`, valid for this delivery only.
    pub receipt: String,
    pub body: String,
    /// How many times the message has been received, this delivery included.
    pub receive_count: u32,
}

/// The queue port.
#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// Enqueues a message that becomes visible after `delay` (at most [`MAX_QUEUE_DELAY`]).
    /// Returns the message id.
    async fn send(&self, body: &str, delay: Duration) -> StoreResult<String>;

    /// Enqueues many messages with the same `delay`, in as few calls as the backend allows (one
    /// commit on the embedded store, `SendMessageBatch`es of 10 on SQS). Either call may have sent
    /// some of them when it fails, so senders send messages that are safe to repeat (as every
    /// message is: delivery is at least once). This default sends them one by one.
    async fn send_batch(&self, bodies: &[String], delay: Duration) -> StoreResult<()> {
        for body in bodies {
            self.send(body, delay).await?;
        }
        Ok(())
    }

    /// Up to `max` (1–10) visible messages, each hidden for `visibility` afterwards.
    async fn receive(&self, max: usize, visibility: Duration) -> StoreResult<Vec<Received>>;

    /// Acknowledges a message so it is never delivered again.
    async fn delete(&self, receipt: &str) -> StoreResult<()>;

    /// Acknowledges many messages at once (one commit on the embedded store). A receipt that no
    /// longer matches is skipped, as `delete` skips it. This default deletes them one by one.
    async fn delete_batch(&self, receipts: &[String]) -> StoreResult<()> {
        for receipt in receipts {
            self.delete(receipt).await?;
        }
        Ok(())
    }

    /// Changes how long a received message stays hidden, counted from now (0 releases it).
    async fn change_visibility(&self, receipt: &str, timeout: Duration) -> StoreResult<()>;
}

/// Rejects arguments SQS would reject, so both adapters fail the same way.
pub fn check_send(body: &str, delay: Duration) -> StoreResult<()> {
    use super::StoreError;
    if delay > MAX_QUEUE_DELAY {
        return Err(StoreError::Invalid("a queue delay is at most 15 minutes; use the scheduler for longer waits".into()));
    }
    if body.is_empty() || body.len() > 256 * 1024 {
        return Err(StoreError::Invalid("a message body is 1 byte to 256 KiB".into()));
    }
    Ok(())
}

/// Rejects receive arguments SQS would reject.
pub fn check_receive(max: usize, visibility: Duration) -> StoreResult<()> {
    use super::StoreError;
    if !(1..=10).contains(&max) {
        return Err(StoreError::Invalid("receive takes 1 to 10 messages at a time".into()));
    }
    if visibility > MAX_VISIBILITY {
        return Err(StoreError::Invalid("a visibility timeout is at most 12 hours".into()));
    }
    Ok(())
}

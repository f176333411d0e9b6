//! The storage bundle every component is built over: one table, one blob store, the work queues.

use std::sync::Arc;

use crate::{Blobs, Queue, Table};

/// Name of the step worker's queue (its dead-letter queue is `<name>-dlq`).
pub const STEPS_QUEUE: &str = "steps";
/// Name of the webhook dispatcher's queue.
pub const DELIVERIES_QUEUE: &str = "deliveries";
/// Receives before a message is moved to its dead-letter queue (the template's redrive policy).
pub const MAX_RECEIVES: u32 = 5;

/// The adapters in use.
#[derive(Clone)]
pub struct Storage {
    pub table: Arc<dyn Table>,
    pub blobs: Arc<dyn Blobs>,
    /// Work for the step worker.
    pub steps: Arc<dyn Queue>,
    /// Webhook deliveries for the dispatcher.
    pub deliveries: Arc<dyn Queue>,
    /// `embedded` or `aws`, as `/health` reports it.
    pub backend: &'static str,
}

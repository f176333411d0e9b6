//! The vocabulary of background work: the [`Task`] a queue message carries, beside the queue port
//! it travels on. Domain services enqueue their own continuations with [`enqueue`]; the step
//! worker (`crate::worker`) decodes a message and calls the domain back. The domain imports this
//! module, never the worker, so dependencies point one way.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use quarry_ports::{Queue, StoreError, StoreResult};

/// A unit of background work, as carried in a queue message body (JSON, tagged by `task`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Task {
    /// Delete a thread marked `deleting` and everything it owns.
    DeleteThread { org_id: String, thread_id: String },
    /// Run the chunk of a job at `position` (stale positions are dropped).
    RunJob { org_id: String, job_id: String, position: String },
    /// Fan recorded events out of the outbox into webhook deliveries.
    FanOut,
    /// Make attempt `attempt` of a webhook delivery (stale attempts are dropped).
    Deliver { org_id: String, webhook_id: String, delivery_id: String, attempt: u32 },
    /// Write the file of a lead export.
    ExportLeads { org_id: String, export_id: String },
}

impl Task {
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).expect("tasks serialise")
    }

    pub fn from_body(body: &str) -> StoreResult<Task> {
        serde_json::from_str(body).map_err(|e| StoreError::Invalid(format!("not a task message ({e}): {}", truncate(body))))
    }
}

fn truncate(body: &str) -> String {
    body.chars().take(200).collect()
}

/// Sends `task` to `queue`, due after `delay` (zero: at once).
pub async fn enqueue(queue: &dyn Queue, task: &Task, delay: Duration) -> StoreResult<()> {
    queue.send(&task.to_body(), delay).await.map(drop)
}

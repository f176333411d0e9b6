//! Deleting a thread: the request marks the thread `deleting` (it disappears from the API at
//! once), records `thread.deleted`, and enqueues a [`crate::tasks::Task::DeleteThread`] for the step worker. The
//! worker removes the thread's messages and every child its pointers name (plans, jobs, and what
//! those own: artifact blobs listed in `blob_keys`, lead partitions named by `owned_partition`) in
//! bounded chunks, re-enqueueing itself until nothing is left, then deletes the thread record.
//! Every chunk is idempotent, so a repeated or crashed run only repeats deletes.
//!
//! The thread's shareable artifacts are unshared as soon as it is marked (and again by a repeated
//! delete, should the first have stopped in between), so publishable keys stop seeing them at
//! once rather than when the cascade reaches them.
//!
//! Running jobs are stopped first: `?force=true` raises their stop flag, and the cascade waits for
//! them to end (checking every [`STOP_POLL`]); a job still not stopped after [`STOP_GRACE`] is
//! marked `stopped` by the cascade itself, so a dead runner cannot hold a deletion forever.

use std::time::Duration;

use super::threads::{load, thread_key, StoredThread, ACTIVE, DELETING, STATE};
use super::{Caller, DeletedThread, Research, ResearchError, ResearchResult};
use crate::accounts::org_partition;
use crate::events::{Event, EventType};
use crate::jobs::{self, JobStatus};
use crate::ownership::{self, BLOB_KEYS};
use crate::tasks::Task;
use quarry_ports::clock::{Clock, Timestamp};
use quarry_ports::{BlobKey, Blobs, Condition, Key, Query, StoreError, StoreResult, Table, Update, WriteOp};

/// How long a job asked to stop may take to end before the cascade marks it stopped itself.
pub const STOP_GRACE: Duration = Duration::from_secs(120);
/// How often the cascade checks whether stopping jobs have ended.
pub const STOP_POLL: Duration = Duration::from_secs(10);
/// Most records one cascade run deletes before handing the rest to a fresh message, which keeps
/// each run far inside the worker's time limit however large the thread is.
pub const DELETES_PER_RUN: usize = 500;

/// Attribute of a child record naming a partition it owns (e.g. a job's leads) to delete with it.
pub const OWNED_PARTITION: &str = "owned_partition";

/// What a cascade run achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CascadeProgress {
    /// The thread and everything it owned are gone.
    Done,
    /// More to delete: run again at once.
    Continue,
    /// Waiting for jobs to stop: run again after the delay.
    WaitFor(Duration),
}

impl Research {
    /// Marks a thread for deletion and hands the cascade to the worker. With running jobs this is
    /// a conflict unless `force`, which asks them to stop first. Repeating the call for a thread
    /// already being deleted re-enqueues its cascade (so a failed enqueue can be retried).
    pub async fn delete_thread(&self, caller: &Caller, thread_id: &str, force: bool) -> ResearchResult<DeletedThread> {
        let org = caller.org_id.as_str();
        let Some(stored) = load(self, caller, thread_id).await? else { return Err(ResearchError::thread_not_found(thread_id)) };
        let answer = |stopped| DeletedThread { id: thread_id.to_string(), object: "thread", deleted: true, stopped_job_ids: stopped };
        if stored.state == DELETING {
            jobs::catalog::unshare_thread(self.table.as_ref(), org, thread_id).await?;
            self.enqueue_cascade(org, thread_id).await?;
            return Ok(answer(Vec::new()));
        }
        let running = self.running_jobs(org, thread_id).await?;
        if !running.is_empty() && !force {
            return Err(ResearchError::Conflict(format!(
                "Thread {thread_id} has running jobs ({}). Stop them first, or pass ?force=true to stop them as part of the delete.",
                running.join(", ")
            )));
        }
        let now = self.now();
        for job_id in &running {
            jobs::request_stop(self.table.as_ref(), org, job_id, now).await?;
        }
        self.mark_deleting(caller, stored, now).await?;
        jobs::catalog::unshare_thread(self.table.as_ref(), org, thread_id).await?;
        self.enqueue_cascade(org, thread_id).await?;
        Ok(answer(running))
    }

    async fn running_jobs(&self, org_id: &str, thread_id: &str) -> ResearchResult<Vec<String>> {
        let mut running = Vec::new();
        for sk in ownership::all(self.table.as_ref(), org_id, thread_id, jobs::JOB_SK).await? {
            let job_id = sk.trim_start_matches(jobs::JOB_SK);
            if let Some(job) = jobs::get(self.table.as_ref(), org_id, job_id).await? {
                if job.status == JobStatus::Running {
                    running.push(job.id);
                }
            }
        }
        Ok(running)
    }

    async fn mark_deleting(&self, caller: &Caller, stored: StoredThread, now: Timestamp) -> ResearchResult<()> {
        let org = caller.org_id.as_str();
        let thread = stored.thread;
        let update = Update::new().set(STATE, DELETING).set("deleted_at", now.to_string());
        let event = Event::new(EventType::ThreadDeleted, &thread, caller.livemode, now)?;
        let mut ops = vec![WriteOp::Update { key: thread_key(org, &thread.id), update, condition: Condition::equals(STATE, ACTIVE) }];
        ops.extend(event.record_ops(org)?);
        match self.table.transact(ops).await {
            Ok(()) => {
                crate::events::nudge_fan_out(self.notifications.as_ref()).await;
                Ok(())
            }
            // Deleted by a concurrent request: that one enqueued the cascade.
            Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn enqueue_cascade(&self, org_id: &str, thread_id: &str) -> ResearchResult<()> {
        let task = Task::DeleteThread { org_id: org_id.into(), thread_id: thread_id.into() };
        self.steps.send(&task.to_body(), Duration::ZERO).await?;
        Ok(())
    }
}

/// One run of a thread's delete cascade.
pub struct ThreadCascade<'a> {
    pub table: &'a dyn Table,
    pub blobs: &'a dyn Blobs,
    pub clock: &'a dyn Clock,
}

impl ThreadCascade<'_> {
    /// Deletes up to [`DELETES_PER_RUN`] records of the thread and says what is left to do.
    pub async fn run(&self, org_id: &str, thread_id: &str) -> StoreResult<CascadeProgress> {
        let key = thread_key(org_id, thread_id);
        let Some(item) = self.table.get(&key).await? else { return Ok(CascadeProgress::Done) };
        if item.str(STATE) != Some(DELETING) {
            // Not marked for deletion (a stale message): nothing to do.
            return Ok(CascadeProgress::Done);
        }
        if let Some(wait) = self.wait_for_running_jobs(org_id, thread_id).await? {
            return Ok(CascadeProgress::WaitFor(wait));
        }
        let mut budget = DELETES_PER_RUN;
        let messages = super::messages::thread_messages_prefix(thread_id);
        if !self.delete_prefix(&org_partition(org_id), &messages, &mut budget).await? {
            return Ok(CascadeProgress::Continue);
        }
        if !self.delete_children(org_id, thread_id, &mut budget).await? {
            return Ok(CascadeProgress::Continue);
        }
        self.table.delete(&key, Condition::equals(STATE, DELETING)).await.or_else(ignore_condition)?;
        Ok(CascadeProgress::Done)
    }

    /// `Some(delay)` while a job of the thread is still running and within its grace period;
    /// jobs past it are marked stopped.
    async fn wait_for_running_jobs(&self, org_id: &str, thread_id: &str) -> StoreResult<Option<Duration>> {
        let now: Timestamp = self.clock.now().into();
        let mut waiting = false;
        for sk in ownership::all(self.table, org_id, thread_id, jobs::JOB_SK).await? {
            let job_id = sk.trim_start_matches(jobs::JOB_SK);
            let Some(job) = jobs::get(self.table, org_id, job_id).await? else { continue };
            if job.status != JobStatus::Running {
                continue;
            }
            let asked = match job.stop_requested_at {
                Some(t) => t,
                None => {
                    jobs::request_stop(self.table, org_id, job_id, now).await?;
                    now
                }
            };
            if now.0 - asked.0 >= chrono::Duration::from_std(STOP_GRACE).expect("small duration") {
                jobs::mark_stopped(self.table, org_id, job_id, "Stopped because its thread was deleted.", now).await?;
            } else {
                waiting = true;
            }
        }
        Ok(waiting.then_some(STOP_POLL))
    }

    /// Deletes the items of `partition` whose sort key starts with `prefix`; true when none remain.
    async fn delete_prefix(&self, partition: &str, prefix: &str, budget: &mut usize) -> StoreResult<bool> {
        loop {
            if *budget == 0 {
                return Ok(false);
            }
            let query = Query::partition(partition).limit((*budget).min(100));
            let query = if prefix.is_empty() { query } else { query.prefix(prefix) };
            let page = self.table.query(query).await?;
            if page.items.is_empty() {
                return Ok(true);
            }
            for item in page.items {
                self.table.delete(&item.key, Condition::None).await?;
                *budget -= 1;
            }
        }
    }

    /// Deletes the thread's children (and what they own), then their pointers; true when done.
    async fn delete_children(&self, org_id: &str, thread_id: &str, budget: &mut usize) -> StoreResult<bool> {
        let partition = org_partition(org_id);
        loop {
            if *budget == 0 {
                return Ok(false);
            }
            let pointers = ownership::page(self.table, org_id, thread_id, "", (*budget).min(100)).await?;
            if pointers.is_empty() {
                return Ok(true);
            }
            for pointer in pointers {
                if let Some(child_sk) = pointer.str(ownership::CHILD_SK) {
                    if !self.delete_child(&Key::new(partition.clone(), child_sk), budget).await? {
                        return Ok(false);
                    }
                }
                self.table.delete(&pointer.key, Condition::None).await?;
                *budget = budget.saturating_sub(1);
            }
        }
    }

    /// Deletes one child with its blobs and owned partition; false when the budget ran out first.
    async fn delete_child(&self, key: &Key, budget: &mut usize) -> StoreResult<bool> {
        let Some(child) = self.table.get(key).await? else { return Ok(true) };
        if let Some(partition) = child.str(OWNED_PARTITION) {
            if !self.delete_prefix(partition, "", budget).await? {
                return Ok(false);
            }
        }
        if let Some(keys) = child.attrs.get(BLOB_KEYS).and_then(|v| v.as_array()) {
            for raw in keys.iter().filter_map(|k| k.as_str()) {
                self.blobs.delete(&BlobKey::parse(raw)?).await?;
            }
        }
        self.table.delete(key, Condition::None).await?;
        *budget = budget.saturating_sub(1);
        Ok(true)
    }
}

fn ignore_condition(e: StoreError) -> StoreResult<Option<quarry_ports::Item>> {
    match e {
        StoreError::ConditionFailed => Ok(None),
        other => Err(other),
    }
}

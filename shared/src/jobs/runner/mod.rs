//! The job runner, in the worker: one bounded chunk of work per queue message, the advance of a
//! job's position, the end of a job, and the watchdog. One file per kind of chunk: synthetic rows
//! of test mode ([`synthetic`]), live companies ([`live`]), URL scrapes ([`scrape`]).
//!
//! Exactly-once effects over at-least-once delivery come from three rules:
//! 1. **A position per job.** The job record holds `run_position` (`s<step>:<offset>`); a task
//!    message names the position it continues. A message whose position is not the job's current
//!    one is stale and is dropped, so a duplicate can never run a chunk twice.
//! 2. **Idempotent chunk writes.** Leads have IDs derived from the job and the row index, and
//!    merges are idempotent, so a chunk interrupted before its position advanced can simply be
//!    run again: it rewrites the same leads.
//! 3. **Conditional advances.** The position, the live credit counter and the job's progress move
//!    in one conditional update on the old position; the end of a job (status, final credits, the
//!    organization's running-job count and monthly usage, the catalog event) is one transaction on
//!    the same condition. Credits are therefore billed once, whatever is replayed.
//!
//! A worker that dies after advancing but before enqueueing the next message would leave the job
//! idle; the watchdog ([`JobRunner::watchdog`], every minute) re-enqueues the current position of
//! any running job whose heartbeat is older than [`STALE_AFTER`].

mod live;
mod scrape;
mod synthetic;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::log::EntryKind;
use super::records::{
    heartbeat_sk, parse_position, position, progress_with_rows, JobRecords, Outcome, CREDIT_TENTHS, ORG_ID, ROWS_DONE, RUNNING_INDEX,
    RUN_POSITION,
};
use super::web::WebSource;
use super::{job_key, Job, JobError, JobKind, JobStatus};
use crate::events::{Event, EventType};
use crate::leads::store::JobLeadWriter;
use crate::plans::{plan_key, Plan};
use quarry_engine::net::Fetcher;
use quarry_planner::Intent;
use quarry_ports::clock::SharedClock;
use quarry_ports::{Blobs, Condition, KeyRange, Query, Queue, StoreError, StoreResult, Table, Update, WriteOp};

/// Company rows one queue message produces: small enough to finish far inside a Lambda's time
/// limit on any backend, large enough that a 10,000-row job is 100 messages.
pub const CHUNK_ROWS: u64 = 100;
/// Companies per message when the web engine reads their sites (each takes seconds, politely).
pub const WEB_CHUNK_ROWS: u64 = 5;
/// Leads per `result` log entry (keeps each entry far below the table's item size limit).
const RESULT_BATCH: usize = 25;
/// A running job whose heartbeat is older than this is presumed to have lost its worker.
pub const STALE_AFTER: Duration = Duration::from_secs(120);

/// What one chunk achieved, applied by [`JobRunner::advance`].
struct Advance {
    /// The position to move to.
    next: String,
    /// Company rows the chunk delivered.
    delivered: u64,
    /// Tenths of a credit the chunk cost (0 in test mode).
    tenths: u64,
    /// Whole credits used so far, this chunk included.
    credits_used: u64,
    /// How a scrape chunk moved the job's URL counters.
    scrape: Option<scrape::ScrapeTally>,
    /// The job's progress once the chunk is applied.
    progress: super::Progress,
}

/// The rows a job is expected to produce: a scrape's URLs, else the plan's row cap.
fn rows_planned(job: &Job, plan: &Plan) -> u64 {
    match job.total_urls {
        Some(urls) if job.kind == JobKind::Scrape => urls,
        _ => u64::from(quarry_planner::RulePlanner::planned_rows(&plan.criteria).min(quarry_planner::MAX_ROWS)),
    }
}

/// What one chunk did, before it is applied.
struct Chunk {
    next: String,
    delivered: u64,
    tenths: u64,
    /// Log entries of the chunk's work (the step's start and end are added around them).
    entries: Vec<(EntryKind, Value)>,
    /// Set when the job's `max_credits` stopped the chunk: the reason it ends `stopped`.
    ceiling: Option<String>,
    /// The leads the chunk wrote (for `leads.delivered`).
    lead_ids: Vec<String>,
    /// How a scrape chunk moved the job's URL counters.
    scrape: Option<scrape::ScrapeTally>,
}

/// Runs jobs over the storage ports, reading the web through its fetcher and web engine.
#[derive(Clone)]
pub struct JobRunner {
    records: JobRecords,
    /// Fetches seed files and scraped pages (behind the guard against internal targets).
    fetcher: Fetcher,
    /// The web engine: live jobs read company sites with it.
    web: WebSource,
}

impl JobRunner {
    pub fn new(
        table: Arc<dyn Table>,
        blobs: Arc<dyn Blobs>,
        steps: Arc<dyn Queue>,
        clock: SharedClock,
        fetcher: Fetcher,
        web: WebSource,
    ) -> Self {
        JobRunner { records: JobRecords::new(table, blobs, steps, clock), fetcher, web }
    }

    /// The same runner sending webhook fan-out nudges to `queue` (the worker passes the
    /// deliveries queue, so a chunk's notifications never queue in front of the next chunk).
    pub fn with_notifications(mut self, queue: Arc<dyn Queue>) -> Self {
        self.records.notifications = queue;
        self
    }

    /// Writes the leads of `job` into its partition.
    fn lead_writer<'a>(&'a self, org_id: &'a str, job: &'a Job) -> JobLeadWriter<'a> {
        JobLeadWriter { table: self.records.table.as_ref(), org_id, job_id: &job.id, livemode: job.livemode, now: self.records.now() }
    }

    /// Runs the chunk of `job_id` at `at`, if that is still the job's position.
    pub async fn run_chunk(&self, org_id: &str, job_id: &str, at: &str) -> StoreResult<()> {
        let Some(item) = self.records.table.get(&job_key(org_id, job_id)).await? else { return Ok(()) };
        let job: Job = item.to_record()?;
        if job.status != JobStatus::Running || item.str(RUN_POSITION) != Some(at) {
            return Ok(()); // a stale or duplicate message
        }
        let Some((step, offset)) = parse_position(at) else { return Ok(()) };
        let plan: Plan = match self.records.table.get(&plan_key(org_id, &job.plan_id)).await? {
            Some(p) => p.to_record()?,
            None => {
                let error = JobError { code: "job_halted".into(), message: "The job's plan no longer exists.".into() };
                return self.records.fail_with_artifact(org_id, &item, &job, None, Some(at), error).await;
            }
        };
        if job.stop_requested_at.is_some() {
            return self.records.end_with_artifact(org_id, &item, &job, &plan, at, Outcome::Stopped("Stopped on request.".into())).await;
        }
        if step >= plan.steps.len() || plan.steps[step].intent == Intent::Export {
            return self.records.end_with_artifact(org_id, &item, &job, &plan, at, Outcome::Succeeded).await;
        }
        // A live job checks the monthly budget before each chunk of work it would bill.
        if job.livemode {
            if let Some(reason) = self.records.billing.checkpoint(org_id, job.credits_used).await? {
                return self.records.end_with_artifact(org_id, &item, &job, &plan, at, Outcome::Stopped(reason)).await;
            }
        }
        let meta = &plan.steps[step];
        let mut chunk = if step == 0 && job.kind == JobKind::Scrape {
            // Live scrapes read the pages; test-mode ones fetch nothing and invent each URL's
            // company (see `scrape`), for free.
            let Some(chunk) = self.scrape_chunk(org_id, &item, &job, &plan, at, offset).await? else { return Ok(()) };
            chunk
        } else if step == 0 && !job.livemode {
            self.synthetic_chunk(org_id, &job, &plan, offset).await?
        } else if step == 0 {
            let Some(chunk) = self.live_chunk(org_id, &item, &job, &plan, at, offset).await? else { return Ok(()) };
            chunk
        } else {
            let note = match (job.kind, job.livemode) {
                (JobKind::Scrape, _) => "done as each lead was stored",
                (_, true) => {
                    let verifying = plan.criteria.verify_emails && self.web.verifies_emails();
                    live::live_step_note(meta.intent, verifying)
                }
                (_, false) => "covered by the synthetic rows of test mode",
            };
            let entries = vec![(EntryKind::Log, json!({"message": format!("{}: {note}.", meta.title)}))];
            Chunk { next: position(step + 1, 0), delivered: 0, tenths: 0, entries, ceiling: None, lead_ids: Vec::new(), scrape: None }
        };
        let mut entries = Vec::new();
        if offset == 0 {
            entries.push((EntryKind::Step, json!({"step_id": meta.id, "status": "started", "title": meta.title})));
        }
        entries.append(&mut chunk.entries);
        if parse_position(&chunk.next).is_some_and(|(next_step, _)| next_step > step) {
            entries.push((EntryKind::Step, json!({"step_id": meta.id, "status": "completed", "title": meta.title})));
        }
        self.records.log(org_id, &job.id, Some(step), offset, entries).await?;
        let credits_used = (item.i64(CREDIT_TENTHS).unwrap_or(0).max(0) as u64 + chunk.tenths).div_ceil(10);
        let rows_done = item.i64(ROWS_DONE).unwrap_or(0).max(0) as u64 + chunk.delivered;
        let next_step = parse_position(&chunk.next).map_or(step, |(s, _)| s);
        let progress = progress_with_rows(&plan, next_step, rows_done, rows_planned(&job, &plan));
        let advance =
            Advance { next: chunk.next, delivered: chunk.delivered, tenths: chunk.tenths, credits_used, scrape: chunk.scrape, progress };
        let events = self.chunk_events(&job, &plan, (step, offset), &advance, &chunk.lead_ids)?;
        if !self.advance(org_id, &job, at, &advance, events).await? {
            return Ok(()); // another delivery advanced it
        }
        crate::events::nudge_fan_out(self.records.notifications.as_ref()).await;
        match chunk.ceiling {
            // The ceiling's rows are billed and kept; the job ends at its new position.
            Some(reason) => self.stop_at(org_id, &job.id, &plan, &advance.next, reason).await,
            None => self.records.enqueue(org_id, &job.id, &advance.next).await,
        }
    }

    /// Ends a job that has just advanced to `at` as `stopped` (with its artifact).
    async fn stop_at(&self, org_id: &str, job_id: &str, plan: &Plan, at: &str, reason: String) -> StoreResult<()> {
        let Some(item) = self.records.table.get(&job_key(org_id, job_id)).await? else { return Ok(()) };
        let job: Job = item.to_record()?;
        self.records.end_with_artifact(org_id, &item, &job, plan, at, Outcome::Stopped(reason)).await
    }

    /// The catalog events of a chunk: `job.started` (the first chunk), `job.step.started` and
    /// `job.step.completed`, `leads.delivered`, and `job.progress` when the progress crosses a
    /// tenth.
    fn chunk_events(
        &self,
        job: &Job,
        plan: &Plan,
        (step, offset): (usize, u64),
        advance: &Advance,
        lead_ids: &[String],
    ) -> StoreResult<Vec<Event>> {
        let now = self.records.now();
        let live = job.livemode;
        let mut events = Vec::new();
        let meta = &plan.steps[step];
        let step_object = |status: &str| json!({"object": "job_step", "job_id": job.id, "step_id": meta.id, "title": meta.title, "intent": meta.intent, "status": status});
        if step == 0 && offset == 0 {
            events.push(Event::new(EventType::JobStarted, job, live, now)?);
        }
        if offset == 0 {
            events.push(Event::new(EventType::JobStepStarted, &step_object("running"), live, now)?);
        }
        if !lead_ids.is_empty() {
            let batch = json!({"object": "lead_batch", "job_id": job.id, "count": lead_ids.len(), "lead_ids": lead_ids});
            events.push(Event::new(EventType::LeadsDelivered, &batch, live, now)?);
        }
        let next_step = parse_position(&advance.next).map_or(step, |(s, _)| s);
        if next_step > step {
            events.push(Event::new(EventType::JobStepCompleted, &step_object("completed"), live, now)?);
        }
        // Every tenth crossed, within a step as much as at its end.
        if advance.progress.percent / 10 > job.progress.percent / 10 {
            let mut moved = job.clone();
            moved.progress = advance.progress;
            moved.credits_used = advance.credits_used;
            moved.updated_at = now;
            events.push(Event::new(EventType::JobProgress, &moved, live, now)?);
        }
        Ok(events)
    }

    /// Moves the job to the next position, with the chunk's events, in one transaction on the
    /// old position; `false` when another delivery moved it first.
    async fn advance(&self, org_id: &str, job: &Job, at: &str, chunk: &Advance, events: Vec<Event>) -> StoreResult<bool> {
        let Advance { next, delivered, tenths, credits_used, scrape, progress } = chunk;
        let now = self.records.now();
        let update = match scrape {
            Some(tally) => scrape::scrape_progress(Update::new(), job, tally, now),
            None => Update::new(),
        };
        let update = update
            .set(RUN_POSITION, next.as_str())
            .add(CREDIT_TENTHS, *tenths as i64)
            .add(ROWS_DONE, *delivered as i64)
            .set("progress", serde_json::to_value(progress).unwrap_or_default())
            .set("updated_at", now.to_string())
            // Exact: nothing else moves the credit counter while the position stays `at`.
            .set("credits_used", *credits_used)
            .set(quarry_ports::table::GSI1_SK, heartbeat_sk(now.unix(), &job.id));
        let mut ops = vec![WriteOp::Update { key: job_key(org_id, &job.id), update, condition: Condition::equals(RUN_POSITION, at) }];
        for event in &events {
            ops.extend(event.record_ops(org_id)?);
        }
        match self.records.table.transact(ops).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Ends a job `failed` with `job_halted` after its task kept failing.
    pub async fn fail(&self, org_id: &str, job_id: &str, message: &str) -> StoreResult<()> {
        let Some(item) = self.records.table.get(&job_key(org_id, job_id)).await? else { return Ok(()) };
        let job: Job = item.to_record()?;
        if job.status.is_terminal() {
            return Ok(());
        }
        let error = JobError { code: "job_halted".into(), message: message.into() };
        let plan: Option<Plan> = self.records.table.get(&plan_key(org_id, &job.plan_id)).await?.map(|p| p.to_record()).transpose()?;
        self.records.fail_with_artifact(org_id, &item, &job, plan.as_ref(), None, error).await
    }

    /// Re-enqueues the current position of running jobs whose heartbeat is older than
    /// [`STALE_AFTER`] (their worker died between advancing and enqueueing, or its message was
    /// lost), and refreshes their heartbeat. Returns how many jobs it woke.
    pub async fn watchdog(&self) -> StoreResult<usize> {
        let now = self.records.clock.unix();
        let page = self.records.table.query(self.running_query(now - STALE_AFTER.as_secs() as i64).limit(100)).await?;
        self.wake(page.items, now).await
    }

    /// Re-enqueues every running job at once, whatever its heartbeat says: what a starting local
    /// server does, being the only worker of its store, so jobs a crash interrupted go on at once
    /// instead of after [`STALE_AFTER`]. A chunk that was still queued then runs twice, which
    /// its position guard makes harmless.
    pub async fn resume_interrupted(&self) -> StoreResult<usize> {
        let now = self.records.clock.unix();
        let mut woken = 0;
        let mut cursor = None;
        loop {
            let page = self.records.table.query(self.running_query(now).limit(100).cursor(cursor)).await?;
            woken += self.wake(page.items, now).await?;
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(woken),
            }
        }
    }

    /// Running jobs whose heartbeat is at or before `unix`, oldest first.
    fn running_query(&self, unix: i64) -> Query {
        Query::gsi1(RUNNING_INDEX).range(KeyRange::To(heartbeat_sk(unix, "~")))
    }

    /// Refreshes the heartbeat of each running job in `items` and enqueues its current chunk,
    /// unless it moved meanwhile.
    async fn wake(&self, items: Vec<quarry_ports::Item>, now: i64) -> StoreResult<usize> {
        let mut woken = 0;
        for item in items {
            let (Some(org_id), Some(at)) = (item.str(ORG_ID), item.str(RUN_POSITION)) else { continue };
            let job_id = item.key.sk.trim_start_matches(super::JOB_SK).to_string();
            let refresh = Update::new().set(quarry_ports::table::GSI1_SK, heartbeat_sk(now, &job_id));
            match self.records.table.update(&item.key, refresh, Condition::equals(RUN_POSITION, at)).await {
                Ok(_) => {}
                Err(StoreError::ConditionFailed) => continue, // it moved meanwhile: alive
                Err(e) => return Err(e),
            }
            tracing::warn!(org_id, job_id, position = at, "job had no heartbeat; re-enqueued its current chunk");
            self.records.enqueue(org_id, &job_id, at).await?;
            woken += 1;
        }
        Ok(woken)
    }
}

//! The job runner: approval, one bounded chunk of work per queue message, and the end of a job.
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

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::live::{Candidates, LiveSources, WebReport};
use super::log::{self, entry_id, EntryKind, LogEntry};
use super::web::WebSource;
use super::{job_key, running_key, Job, JobError, JobStatus};
use crate::accounts::{org_partition, Organization};
use crate::events::{Event, EventType};
use crate::leads::index::LeadIndex;
use crate::leads::{confidence::confidence, dedupe, store, synthetic, Lead, LeadDraft};
use crate::research::cascade::BLOB_KEYS;
use crate::research::plans::{plan_key, Plan};
use crate::research::{ResearchError, ResearchResult};
use crate::worker::Task;
use quarry_engine::net::{FetchLimits, Fetcher, TargetPolicy};
use quarry_planner::{Intent, RulePlanner, MAX_ROWS};
use quarry_ports::clock::{SharedClock, Timestamp};
use quarry_ports::{BlobKey, Blobs, Condition, Item, Key, KeyRange, Query, Queue, StoreError, StoreResult, Table, Update, WriteOp};

mod scraping;

/// Company rows one queue message produces: small enough to finish far inside a Lambda's time
/// limit on any backend, large enough that a 10,000-row job is 100 messages.
pub const CHUNK_ROWS: u64 = 100;
/// Companies per message when the web engine reads their sites (each takes seconds, politely).
pub const WEB_CHUNK_ROWS: u64 = 5;
/// Leads per `result` log entry (keeps each entry far below the table's item size limit).
const RESULT_BATCH: usize = 25;
/// A running job whose heartbeat is older than this is presumed to have lost its worker.
pub const STALE_AFTER: Duration = Duration::from_secs(120);

/// Secondary-index partition listing running jobs by heartbeat (for the watchdog).
const RUNNING_INDEX: &str = "RUNNING";
/// Attributes of the job item that are run state, not part of the job object.
const RUN_POSITION: &str = "run_position";
const CREDIT_TENTHS: &str = "credit_tenths";
const ORG_ID: &str = "org_id";
const ROWS_DONE: &str = "rows_done";
/// What a live job's sources yielded (counts and notes), for its summary.
const LIVE_SOURCES: &str = "live_sources";
/// The position of a job that has ended.
const DONE: &str = "done";

/// The partition holding what a job produced: its leads and its log (owned by the job record, so a
/// thread delete removes it).
pub fn job_data_partition(org_id: &str, job_id: &str) -> String {
    format!("JOBDATA#{org_id}#{job_id}")
}

/// The sort-key prefix of leads in their partition.
pub const LEAD_SK: &str = "LEAD#";

fn position(step: usize, offset: u64) -> String {
    format!("s{step}:{offset}")
}

fn parse_position(raw: &str) -> Option<(usize, u64)> {
    let (step, offset) = raw.strip_prefix('s')?.split_once(':')?;
    Some((step.parse().ok()?, offset.parse().ok()?))
}

fn heartbeat_sk(unix: i64, job_id: &str) -> String {
    format!("{unix:012}#{job_id}")
}

/// What approving a job may set.
#[derive(Clone, Debug, Default)]
pub struct Approval {
    /// Events of this job are also posted here (the webhook dispatcher delivers them).
    pub webhook_url: Option<String>,
    /// The job stops rather than spend more than this.
    pub max_credits: Option<u64>,
}

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
    scrape: Option<scraping::ScrapeTally>,
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
    scrape: Option<scraping::ScrapeTally>,
}

/// What [`JobRunner::write_live_rows`] stored.
#[derive(Default)]
struct LiveRows {
    /// What the web engine read for these rows.
    web: WebReport,
    leads: Vec<Lead>,
    /// Companies written.
    rows: u64,
    tenths: u64,
    ceiling_hit: bool,
}

/// How a job ended.
enum Outcome {
    Succeeded,
    Stopped(String),
    Failed(JobError),
}

/// Runs jobs over the storage ports.
#[derive(Clone)]
pub struct JobRunner {
    table: Arc<dyn Table>,
    blobs: Arc<dyn Blobs>,
    steps: Arc<dyn Queue>,
    clock: SharedClock,
    /// Fetches seed files; built from the environment on first use when none was given.
    fetcher: Option<Fetcher>,
    /// The web engine, in the worker (live jobs then read company sites).
    web: Option<WebSource>,
}

fn usage_key(org_id: &str, now: Timestamp) -> Key {
    Key::new(org_partition(org_id), format!("USAGE#{}", now.0.format("%Y-%m")))
}

impl JobRunner {
    pub fn new(table: Arc<dyn Table>, blobs: Arc<dyn Blobs>, steps: Arc<dyn Queue>, clock: SharedClock) -> Self {
        JobRunner { table, blobs, steps, clock, fetcher: None, web: None }
    }

    /// Uses `fetcher` for the outbound requests of live sources (the worker shares one).
    pub fn with_fetcher(mut self, fetcher: Fetcher) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// Reads company sites with `web` in live jobs.
    pub fn with_web(mut self, web: WebSource) -> Self {
        self.web = Some(web);
        self
    }

    fn now(&self) -> Timestamp {
        self.clock.now().into()
    }

    async fn load(&self, org_id: &str, job_id: &str) -> ResearchResult<(Item, Job)> {
        let not_found = || ResearchError::NotFound { what: "Job", id: job_id.to_string(), param: "job_id" };
        if !crate::ids::has_prefix(job_id, crate::ids::prefix::JOB) {
            return Err(not_found());
        }
        let item = self.table.get(&job_key(org_id, job_id)).await?.ok_or_else(not_found)?;
        let job = item.to_record()?;
        Ok((item, job))
    }

    /// A job of the organization.
    pub async fn job(&self, org_id: &str, job_id: &str) -> ResearchResult<Job> {
        Ok(self.load(org_id, job_id).await?.1)
    }

    /// One page of the organization's jobs.
    pub async fn list(
        &self,
        org_id: &str,
        filter: &super::JobFilter,
        order: quarry_ports::Order,
        limit: usize,
        cursor: Option<String>,
    ) -> ResearchResult<(Vec<Job>, Option<String>)> {
        Ok(super::list(self.table.as_ref(), org_id, filter, order, limit, cursor).await?)
    }

    /// One page of a job's leads that pass `keep`, in discovery order by default.
    pub async fn lead_page(
        &self,
        org_id: &str,
        job_id: &str,
        order: quarry_ports::Order,
        limit: usize,
        cursor: Option<String>,
        keep: impl Fn(&Lead) -> bool,
    ) -> ResearchResult<(Vec<Lead>, Option<String>)> {
        self.load(org_id, job_id).await?;
        let base = Query::partition(job_data_partition(org_id, job_id)).prefix(LEAD_SK).order(order).cursor(cursor);
        let pick = |item: &Item| -> StoreResult<Option<Lead>> {
            let lead: Lead = item.to_record()?;
            Ok(keep(&lead).then_some(lead))
        };
        Ok(quarry_ports::table::query_matching(self.table.as_ref(), base, limit, 2_000, pick).await?)
    }

    /// An artifact of the organization with a fresh download link to `format`.
    pub async fn artifact(
        &self,
        org_id: &str,
        artifact_id: &str,
        format: super::artifact::Format,
    ) -> ResearchResult<super::artifact::Artifact> {
        let not_found = || ResearchError::NotFound { what: "Artifact", id: artifact_id.to_string(), param: "artifact_id" };
        if !crate::ids::has_prefix(artifact_id, crate::ids::prefix::ARTIFACT) {
            return Err(not_found());
        }
        super::artifact::fetch(self.table.as_ref(), self.blobs.as_ref(), org_id, artifact_id, format).await?.ok_or_else(not_found)
    }

    /// What a job found, how complete it is, and its caveats.
    pub async fn summary(&self, org_id: &str, job_id: &str) -> ResearchResult<super::summary::JobSummary> {
        let (item, job) = self.load(org_id, job_id).await?;
        let plan: Plan = match self.table.get(&plan_key(org_id, &job.plan_id)).await? {
            Some(p) => p.to_record()?,
            None => return Err(ResearchError::NotFound { what: "Job", id: job_id.to_string(), param: "job_id" }),
        };
        let leads = self.leads(org_id, job_id).await?;
        let notes = live_report(&item).map(|r| r.notes).unwrap_or_default();
        Ok(super::summary::summarize(&job, &plan, &leads, &notes))
    }

    /// Credits the organization has used this month.
    pub async fn used_this_month(&self, org_id: &str) -> StoreResult<u64> {
        let item = self.table.get(&usage_key(org_id, self.now())).await?;
        Ok(item.and_then(|i| i.i64("credits")).unwrap_or(0).max(0) as u64)
    }

    /// Starts a pending job: checks the concurrent-job limit and (live keys) the credit balance,
    /// marks it running and enqueues its first chunk. The work itself happens in the worker.
    pub async fn approve(&self, org: &Organization, job_id: &str, approval: Approval) -> ResearchResult<Job> {
        let (_, job) = self.load(&org.id, job_id).await?;
        if job.status != JobStatus::Pending {
            return Err(ResearchError::Conflict(format!("Job {job_id} is {}; only pending jobs can be approved.", job.status.as_str())));
        }
        if job.livemode {
            let needed = approval.max_credits.map_or(job.credits_estimate, |m| m.min(job.credits_estimate));
            let used = self.used_this_month(&org.id).await?;
            let left = org.monthly_credits.saturating_sub(used);
            if needed > left {
                return Err(ResearchError::InsufficientCredits(format!(
                    "Job {job_id} needs about {needed} credits and your organization has {left} left this month. Lower max_rows or max_credits, or raise the allowance."
                )));
            }
        }
        let now = self.now();
        let limit = org.tier.limits().concurrent_jobs;
        let mut update = Update::new()
            .set("status", JobStatus::Running.as_str())
            .set("started_at", now.to_string())
            .set("updated_at", now.to_string())
            .set(RUN_POSITION, position(0, 0))
            .set(CREDIT_TENTHS, 0)
            .set(ROWS_DONE, 0)
            .set(ORG_ID, org.id.as_str())
            .set("owned_partition", job_data_partition(&org.id, job_id))
            .set(quarry_ports::table::GSI1_PK, RUNNING_INDEX)
            .set(quarry_ports::table::GSI1_SK, heartbeat_sk(now.unix(), job_id));
        if let Some(max) = approval.max_credits {
            update = update.set("max_credits", max);
        }
        if let Some(url) = &approval.webhook_url {
            update = update.set("webhook_url", url.as_str());
        }
        let mut approved = job.clone();
        approved.status = JobStatus::Running;
        approved.started_at = Some(now);
        approved.updated_at = now;
        approved.max_credits = approval.max_credits;
        let event = Event::new(EventType::JobApproved, &approved, job.livemode, now)?;
        let ops = vec![
            WriteOp::Update { key: job_key(&org.id, job_id), update, condition: Condition::equals("status", JobStatus::Pending.as_str()) },
            WriteOp::Update {
                key: running_key(&org.id),
                update: Update::new().add("count", 1),
                condition: Condition::counter_within("count", 1, i64::from(limit)),
            },
            event.record_op(&org.id)?,
        ];
        match self.table.transact(ops).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => {
                let (_, now_job) = self.load(&org.id, job_id).await?;
                if now_job.status != JobStatus::Pending {
                    return Err(ResearchError::Conflict(format!(
                        "Job {job_id} is {}; only pending jobs can be approved.",
                        now_job.status.as_str()
                    )));
                }
                return Err(ResearchError::TooManyJobs { limit });
            }
            Err(e) => return Err(e.into()),
        }
        self.sync_thread_status(&org.id, &approved).await?;
        crate::events::nudge_fan_out(self.steps.as_ref()).await;
        self.enqueue(&org.id, job_id, &position(0, 0)).await?;
        Ok(approved)
    }

    /// Stops a job: a running job gets its stop flag (it ends `stopped` at its next checkpoint,
    /// with a partial artifact); a pending job ends `stopped` at once. Ended jobs are a conflict.
    pub async fn stop(&self, org_id: &str, job_id: &str) -> ResearchResult<Job> {
        let (item, job) = self.load(org_id, job_id).await?;
        match job.status {
            JobStatus::Running => Ok(super::request_stop(self.table.as_ref(), org_id, job_id, self.now()).await?.unwrap_or(job)),
            JobStatus::Pending => {
                let ended = self.finish(org_id, &item, &job, None, Outcome::Stopped("Stopped before it started.".into()), None).await?;
                Ok(ended.unwrap_or(job))
            }
            status => Err(ResearchError::Conflict(format!("Job {job_id} has already ended ({}).", status.as_str()))),
        }
    }

    async fn enqueue(&self, org_id: &str, job_id: &str, at: &str) -> StoreResult<()> {
        let task = Task::RunJob { org_id: org_id.into(), job_id: job_id.into(), position: at.into() };
        self.steps.send(&task.to_body(), Duration::ZERO).await.map(drop)
    }

    /// Runs the chunk of `job_id` at `at`, if that is still the job's position.
    pub async fn run_chunk(&self, org_id: &str, job_id: &str, at: &str) -> StoreResult<()> {
        let Some(item) = self.table.get(&job_key(org_id, job_id)).await? else { return Ok(()) };
        let job: Job = item.to_record()?;
        if job.status != JobStatus::Running || item.str(RUN_POSITION) != Some(at) {
            return Ok(()); // a stale or duplicate message
        }
        let Some((step, offset)) = parse_position(at) else { return Ok(()) };
        let plan: Plan = match self.table.get(&plan_key(org_id, &job.plan_id)).await? {
            Some(p) => p.to_record()?,
            None => {
                let error = JobError { code: "job_halted".into(), message: "The job's plan no longer exists.".into() };
                return self.finish(org_id, &item, &job, Some(at), Outcome::Failed(error), None).await.map(drop);
            }
        };
        if job.stop_requested_at.is_some() {
            return self.end_with_artifact(org_id, &item, &job, &plan, at, Outcome::Stopped("Stopped on request.".into())).await;
        }
        if step >= plan.steps.len() || plan.steps[step].intent == Intent::Export {
            return self.end_with_artifact(org_id, &item, &job, &plan, at, Outcome::Succeeded).await;
        }
        let meta = &plan.steps[step];
        let mut chunk = if step == 0 && job.kind == super::JobKind::Scrape {
            // Test-mode scrapes read the pages too (for free): a URL has no synthetic stand-in.
            let Some(chunk) = self.scrape_chunk(org_id, &item, &job, &plan, at, offset).await? else { return Ok(()) };
            chunk
        } else if step == 0 && !job.livemode {
            self.synthetic_chunk(org_id, &job, &plan, offset).await?
        } else if step == 0 {
            let Some(chunk) = self.live_chunk(org_id, &item, &job, &plan, at, offset).await? else { return Ok(()) };
            chunk
        } else {
            let note = match (job.kind, job.livemode) {
                (super::JobKind::Scrape, _) => "done as each lead was stored",
                (_, true) => {
                    let verifying = plan.criteria.verify_emails && self.web.as_ref().is_some_and(WebSource::verifies_emails);
                    live_step_note(meta.intent, verifying)
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
        self.log(org_id, &job.id, Some(step), offset, entries).await?;
        let credits_used = (item.i64(CREDIT_TENTHS).unwrap_or(0).max(0) as u64 + chunk.tenths).div_ceil(10);
        let advance = Advance { next: chunk.next, delivered: chunk.delivered, tenths: chunk.tenths, credits_used, scrape: chunk.scrape };
        let events = self.chunk_events(&job, &plan, (step, offset), &advance, &chunk.lead_ids)?;
        if !self.advance(org_id, &job, &plan, at, &advance, events).await? {
            return Ok(()); // another delivery advanced it
        }
        crate::events::nudge_fan_out(self.steps.as_ref()).await;
        match chunk.ceiling {
            // The ceiling's rows are billed and kept; the job ends at its new position.
            Some(reason) => self.stop_at(org_id, &job.id, &plan, &advance.next, reason).await,
            None => self.enqueue(org_id, &job.id, &advance.next).await,
        }
    }

    /// Rows `offset..` of a test-mode job's synthetic discovery, one chunk's worth.
    async fn synthetic_chunk(&self, org_id: &str, job: &Job, plan: &Plan, offset: u64) -> StoreResult<Chunk> {
        let target = u64::from(RulePlanner::planned_rows(&plan.criteria).min(MAX_ROWS));
        let end = (offset + CHUNK_ROWS).min(target);
        let leads = self.write_synthetic_rows(org_id, job, plan, offset, end).await?;
        let mut entries =
            vec![(EntryKind::Log, json!({"message": format!("Captured {} companies (rows {} to {}).", end - offset, offset + 1, end)}))];
        entries.extend(leads.chunks(RESULT_BATCH).map(|batch| (EntryKind::Result, json!({"leads": batch}))));
        let next = if end < target { position(0, end) } else { position(1, 0) };
        let lead_ids = leads.iter().map(|l| l.id.clone()).collect();
        Ok(Chunk { next, delivered: end - offset, tenths: 0, entries, ceiling: None, lead_ids, scrape: None })
    }

    /// Rows `offset..` of a live job's companies, one chunk's worth, within its `max_credits`.
    /// `None` when the job moved on meanwhile.
    async fn live_chunk(&self, org_id: &str, item: &Item, job: &Job, plan: &Plan, at: &str, offset: u64) -> StoreResult<Option<Chunk>> {
        let Some(candidates) = self.candidates(org_id, job, plan, at).await? else { return Ok(None) };
        let mut entries = Vec::new();
        if offset == 0 {
            let gathered = format!(
                "Working through {} companies: {} from seed files, {} from the organization's lead index, {} from web search.",
                candidates.rows.len(),
                candidates.from_seeds,
                candidates.from_index,
                candidates.from_search
            );
            entries.push((EntryKind::Log, json!({"message": gathered})));
            entries.extend(candidates.notes.iter().map(|note| (EntryKind::Log, json!({"message": note}))));
        }
        let total = candidates.rows.len() as u64;
        // Reading sites takes seconds each, so a chunk with the web engine holds fewer companies.
        let per_chunk = if self.web.is_some() { WEB_CHUNK_ROWS } else { CHUNK_ROWS };
        let end = (offset + per_chunk).min(total);
        let spent = item.i64(CREDIT_TENTHS).unwrap_or(0).max(0) as u64;
        let budget = job.max_credits.map(|max| (max * 10).saturating_sub(spent));
        let written = self.write_live_rows(org_id, job, plan, &candidates, offset..end, budget).await?;
        let reached = offset + written.rows;
        if written.rows > 0 {
            let message = format!("Enriched {} companies (rows {} to {}).", written.rows, offset + 1, reached);
            entries.push((EntryKind::Log, json!({ "message": message })));
        }
        if written.web.sites > 0 {
            let mut message = format!("Read {} pages from {} company sites.", written.web.pages, written.web.sites);
            if written.web.unreadable > 0 {
                let first = written.web.first_problem.as_deref().unwrap_or("no page could be fetched");
                message.push_str(&format!(" {} sites could not be read (first: {first}).", written.web.unreadable));
            }
            if written.web.emails_checked > 0 {
                message.push_str(&format!(
                    " Verified {} email addresses; inferred {} from verified company patterns (marked email_inferred).",
                    written.web.emails_checked, written.web.emails_inferred
                ));
            }
            entries.push((EntryKind::Log, json!({ "message": message })));
        }
        entries.extend(written.leads.chunks(RESULT_BATCH).map(|batch| (EntryKind::Result, json!({"leads": batch}))));
        let lead_ids = written.leads.iter().map(|l| l.id.clone()).collect();
        let ceiling = written.ceiling_hit.then(|| {
            format!("Stopped at the max_credits ceiling of {}: the next company would have gone over it.", job.max_credits.unwrap_or(0))
        });
        let next = if reached < total || ceiling.is_some() { position(0, reached) } else { position(1, 0) };
        Ok(Some(Chunk { next, delivered: written.rows, tenths: written.tenths, entries, ceiling, lead_ids, scrape: None }))
    }

    /// Ends a job that has just advanced to `at` as `stopped` (with its artifact).
    async fn stop_at(&self, org_id: &str, job_id: &str, plan: &Plan, at: &str, reason: String) -> StoreResult<()> {
        let Some(item) = self.table.get(&job_key(org_id, job_id)).await? else { return Ok(()) };
        let job: Job = item.to_record()?;
        self.end_with_artifact(org_id, &item, &job, plan, at, Outcome::Stopped(reason)).await
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
        let now = self.now();
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
            let progress = progress_at(plan, next_step);
            if progress.percent / 10 > job.progress.percent / 10 {
                let mut moved = job.clone();
                moved.progress = progress;
                moved.credits_used = advance.credits_used;
                moved.updated_at = now;
                events.push(Event::new(EventType::JobProgress, &moved, live, now)?);
            }
        }
        Ok(events)
    }

    /// Moves the job to the next position, with the chunk's events, in one transaction on the
    /// old position; `false` when another delivery moved it first.
    async fn advance(&self, org_id: &str, job: &Job, plan: &Plan, at: &str, chunk: &Advance, events: Vec<Event>) -> StoreResult<bool> {
        let Advance { next, delivered, tenths, credits_used, scrape } = chunk;
        let now = self.now();
        let (step, _) = parse_position(next).unwrap_or((0, 0));
        let update = match scrape {
            Some(tally) => scraping::scrape_progress(Update::new(), job, tally, now),
            None => Update::new(),
        };
        let update = update
            .set(RUN_POSITION, next.as_str())
            .add(CREDIT_TENTHS, *tenths as i64)
            .add(ROWS_DONE, *delivered as i64)
            .set("progress", serde_json::to_value(progress_at(plan, step)).unwrap_or_default())
            .set("updated_at", now.to_string())
            // Exact: nothing else moves the credit counter while the position stays `at`.
            .set("credits_used", *credits_used)
            .set(quarry_ports::table::GSI1_SK, heartbeat_sk(now.unix(), &job.id));
        let mut ops = vec![WriteOp::Update { key: job_key(org_id, &job.id), update, condition: Condition::equals(RUN_POSITION, at) }];
        for event in &events {
            ops.push(event.record_op(org_id)?);
        }
        match self.table.transact(ops).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes log entries at a position (idempotently: replays rewrite the same IDs).
    async fn log(&self, org_id: &str, job_id: &str, step: Option<usize>, offset: u64, entries: Vec<(EntryKind, Value)>) -> StoreResult<()> {
        let now = self.now();
        let entries: Vec<LogEntry> = entries
            .into_iter()
            .enumerate()
            .map(|(n, (kind, data))| LogEntry { id: entry_id(step, offset, n), kind, data, created_at: now })
            .collect();
        log::write(self.table.as_ref(), &job_data_partition(org_id, job_id), &entries).await
    }

    /// A job's log, in order.
    pub async fn log_entries(&self, org_id: &str, job_id: &str) -> ResearchResult<Vec<LogEntry>> {
        self.load(org_id, job_id).await?;
        Ok(log::all(self.table.as_ref(), &job_data_partition(org_id, job_id)).await?)
    }

    /// Up to `limit` log entries of a job after `after`.
    pub async fn log_after(&self, org_id: &str, job_id: &str, after: Option<&str>, limit: usize) -> StoreResult<Vec<LogEntry>> {
        log::read_after(self.table.as_ref(), &job_data_partition(org_id, job_id), after, limit).await
    }

    /// Generates and stores synthetic company rows `from..to` of a test-mode job; returns the
    /// leads as stored.
    async fn write_synthetic_rows(&self, org_id: &str, job: &Job, plan: &Plan, from: u64, to: u64) -> StoreResult<Vec<Lead>> {
        // The job's start time, not "now", so a replayed chunk writes byte-identical leads.
        let at = job.started_at.unwrap_or(job.created_at);
        let mut stored = Vec::new();
        for index in from..to {
            let drafts = dedupe::dedupe(synthetic::company_leads(&plan.criteria, &job.id, index, at));
            for (slot, draft) in drafts.into_iter().enumerate() {
                stored.push(self.store_lead(org_id, job, Some(&plan.criteria), (index, slot), draft, at).await?);
            }
        }
        Ok(stored)
    }

    /// The companies a live job covers: its saved snapshot, or (first chunk) gathered from its
    /// sources and saved before any row is written, so replays and later chunks see the same
    /// list. `None` when the job moved on meanwhile (this message is stale).
    async fn candidates(&self, org_id: &str, job: &Job, plan: &Plan, at: &str) -> StoreResult<Option<Candidates>> {
        let key = BlobKey::parse(&format!("jobs/{org_id}/{}/candidates.json", job.id))?;
        if let Some(blob) = self.blobs.get(&key).await? {
            return Ok(Some(serde_json::from_slice(&blob.bytes).map_err(|e| StoreError::Backend(format!("job snapshot {key}: {e}")))?));
        }
        let fetcher = self.fetcher.clone().unwrap_or_else(|| Fetcher::new(TargetPolicy::from_env(), FetchLimits::ATTACHMENT));
        // The web source is passed for its search provider: web search discovers companies.
        let candidates =
            LiveSources { table: self.table.as_ref(), web: self.web.as_ref() }.gather(org_id, &plan.criteria, &fetcher, self.now()).await?;
        let bytes = serde_json::to_vec(&candidates).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.blobs.put(&key, bytes.into(), "application/json").await?;
        // The job owns the snapshot (a thread delete removes it) and keeps what the sources said.
        let report = json!({"from_seeds": candidates.from_seeds, "from_index": candidates.from_index,
            "from_search": candidates.from_search, "notes": candidates.notes});
        let update = Update::new().set(BLOB_KEYS, json!([key.as_str()])).set(LIVE_SOURCES, report);
        match self.table.update(&job_key(org_id, &job.id), update, Condition::equals(RUN_POSITION, at)).await {
            Ok(_) => Ok(Some(candidates)),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Enriches and stores the companies `rows` of a live job's snapshot, feeding what they
    /// ground back into the organization's lead index, and stops before the first company whose
    /// price (company plus each role filled) would go over `budget` tenths of a credit.
    async fn write_live_rows(
        &self,
        org_id: &str,
        job: &Job,
        plan: &Plan,
        candidates: &Candidates,
        rows: std::ops::Range<u64>,
        budget: Option<u64>,
    ) -> StoreResult<LiveRows> {
        let at = job.started_at.unwrap_or(job.created_at);
        // The plan may turn verification off (`verify_emails`).
        let web = self.web.as_ref().map(|w| if plan.criteria.verify_emails { w.clone() } else { w.without_verifier() });
        let sources = LiveSources { table: self.table.as_ref(), web: web.as_ref() };
        let index = LeadIndex::new(self.table.as_ref());
        let mut written = LiveRows::default();
        // Sites are read side by side; rows are then written in order, so lead IDs stay fixed.
        let picked: Vec<(u64, &LeadDraft)> = rows.filter_map(|row| candidates.rows.get(row as usize).map(|c| (row, c))).collect();
        let enriched = futures_util::future::join_all(picked.iter().map(|(_, candidate)| async {
            let mut report = WebReport::default();
            let result = sources.enrich(org_id, (*candidate).clone(), &plan.criteria.roles, at, &mut report).await;
            (result, report)
        }))
        .await;
        for ((row, _), (result, report)) in picked.iter().copied().zip(enriched) {
            let (drafts, filled) = result?;
            written.web.sites += report.sites;
            written.web.pages += report.pages;
            written.web.unreadable += report.unreadable;
            written.web.first_problem = written.web.first_problem.take().or(report.first_problem);
            written.web.emails_checked += report.emails_checked;
            written.web.emails_inferred += report.emails_inferred;
            // A company that yielded no lead (a search hit whose site said nothing) costs nothing.
            let price = if drafts.is_empty() { 0 } else { RulePlanner::delivered_tenths(filled) };
            if budget.is_some_and(|budget| written.tenths + price > budget) {
                written.ceiling_hit = true;
                break;
            }
            for (slot, draft) in drafts.into_iter().enumerate() {
                index.absorb(org_id, &draft).await?;
                written.leads.push(self.store_lead(org_id, job, Some(&plan.criteria), (row, slot), draft, at).await?);
            }
            written.tenths += price;
            written.rows += 1;
        }
        Ok(written)
    }

    /// Stores one lead, merging it into the job's lead with the same dedupe key if there is one.
    /// A lead that is hot when first stored (or becomes hot by a merge) records `lead.qualified`
    /// in the same transaction, so replays never record it twice.
    async fn store_lead(
        &self,
        org_id: &str,
        job: &Job,
        criteria: Option<&quarry_planner::Criteria>,
        (index, slot): (u64, usize),
        draft: LeadDraft,
        at: Timestamp,
    ) -> StoreResult<Lead> {
        let partition = job_data_partition(org_id, &job.id);
        let key = dedupe::dedupe_key(&draft).unwrap_or_else(|| format!("row:{index}:{slot}"));
        let pointer = Key::new(partition.clone(), format!("LKEY#{}", dedupe::key_digest(&key, 16)));
        // Optimistically a new lead: one transaction that fails if its dedupe key is taken.
        let id = lead_id(job, index, slot);
        let sk = format!("{LEAD_SK}{id}");
        let lead = lead_from(id, job, draft.clone(), at, criteria);
        let mut ops = vec![
            WriteOp::Put {
                item: store::lead_item(Key::new(partition.clone(), sk.clone()), &lead, org_id, job.livemode, &pointer.sk)?,
                condition: Condition::None,
            },
            WriteOp::Put { item: Item::new(pointer.clone()).with("lead_sk", sk), condition: Condition::Absent },
            store::pointer_op(org_id, &lead, job.livemode),
        ];
        ops.extend(self.qualified_event(org_id, job, None, &lead)?);
        match self.table.transact(ops).await {
            Ok(()) => return Ok(lead),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
        // The key is taken: by this same lead on a replay, or by a duplicate. Merge into it
        // (merging is idempotent, so a replay changes nothing).
        let existing = self.table.get(&pointer).await?.and_then(|p| p.str("lead_sk").map(str::to_string)).unwrap_or_default();
        let Some(item) = self.table.get(&Key::new(partition.clone(), existing.clone())).await? else {
            return Err(StoreError::Backend(format!("lead pointer {pointer} names a missing lead")));
        };
        let mut stored: Lead = item.to_record()?;
        let before = stored.clone();
        let mut merged = LeadDraft {
            company: stored.company.take(),
            person: stored.person.take(),
            fields: std::mem::take(&mut stored.fields),
            sources: std::mem::take(&mut stored.sources),
        };
        dedupe::merge(&mut merged, draft);
        let mut lead = lead_from(stored.id, job, merged, stored.created_at, criteria);
        // What the user wrote on the lead is theirs: a merge keeps it.
        (lead.custom_notes, lead.tags, lead.updated_at) = (stored.custom_notes, stored.tags, stored.updated_at);
        if lead == before {
            return Ok(lead);
        }
        // An update of the job's attributes only, so a user's concurrent PATCH is never lost.
        let item = store::lead_item(Key::new(partition, existing), &lead, org_id, job.livemode, &pointer.sk)?;
        let mut update = Update::new();
        for (name, value) in item.attrs.into_iter().filter(|(name, _)| !store::USER_OWNED.contains(&name.as_str())) {
            update = update.set(&name, value);
        }
        let mut ops = vec![WriteOp::Update { key: item.key, update, condition: Condition::Exists }];
        ops.extend(self.qualified_event(org_id, job, Some(&before), &lead)?);
        self.table.transact(ops).await?;
        Ok(lead)
    }

    /// The `lead.qualified` event of a lead that is hot now and was not `before`.
    fn qualified_event(&self, org_id: &str, job: &Job, before: Option<&Lead>, lead: &Lead) -> StoreResult<Option<WriteOp>> {
        let hot = |l: &Lead| l.lead_status == Some(crate::leads::score::LeadStatus::Hot);
        if !hot(lead) || before.is_some_and(hot) {
            return Ok(None);
        }
        Ok(Some(Event::new(EventType::LeadQualified, lead, job.livemode, self.now())?.record_op(org_id)?))
    }

    /// Every lead of a job, in discovery order.
    pub async fn leads(&self, org_id: &str, job_id: &str) -> StoreResult<Vec<Lead>> {
        let query = Query::partition(job_data_partition(org_id, job_id)).prefix(LEAD_SK);
        quarry_ports::table::query_all_records(self.table.as_ref(), query).await
    }

    /// Writes the artifact (CSV + JSON lead list) of whatever the job has, then ends the job.
    async fn end_with_artifact(&self, org_id: &str, item: &Item, job: &Job, plan: &Plan, at: &str, outcome: Outcome) -> StoreResult<()> {
        let leads = self.leads(org_id, &job.id).await?;
        let artifact = super::artifact::write(self.table.as_ref(), self.blobs.as_ref(), org_id, job, plan, &leads).await?;
        self.finish(org_id, item, job, Some(at), outcome, Some(artifact)).await.map(drop)
    }

    /// Ends a job in one transaction on its position: status, final credits (refunded on failure),
    /// the organization's running count and monthly usage, and the catalog event.
    async fn finish(
        &self,
        org_id: &str,
        item: &Item,
        job: &Job,
        at: Option<&str>,
        outcome: Outcome,
        artifact: Option<super::ArtifactRef>,
    ) -> StoreResult<Option<Job>> {
        let now = self.now();
        let was_running = job.status == JobStatus::Running;
        let tenths = item.i64(CREDIT_TENTHS).unwrap_or(0).max(0) as u64;
        let mut ended = job.clone();
        let rows = artifact.as_ref().map_or(0, |a| a.rows);
        let (status, kind) = match &outcome {
            Outcome::Succeeded => (JobStatus::Succeeded, EventType::JobSucceeded),
            Outcome::Stopped(_) => (JobStatus::Stopped, EventType::JobStopped),
            Outcome::Failed(_) => (JobStatus::Failed, EventType::JobFailed),
        };
        ended.status = status;
        ended.finished_at = Some(now);
        ended.updated_at = now;
        ended.credits_used = match outcome {
            Outcome::Failed(_) => 0, // failed jobs are refunded
            _ if job.livemode => tenths.div_ceil(10),
            _ => 0,
        };
        ended.summary = Some(summary(job, live_report(item).as_ref(), rows, &outcome));
        ended.error = match &outcome {
            Outcome::Failed(e) => Some(e.clone()),
            _ => None,
        };
        ended.artifact = artifact;
        if was_running {
            ended.progress.step = ended.progress.total;
            ended.progress.percent = if status == JobStatus::Succeeded { 100 } else { ended.progress.percent };
        }
        let mut entries = Vec::new();
        if let Some(a) = &ended.artifact {
            entries.push((EntryKind::Artifact, json!({"artifact_id": a.id, "rows": a.rows, "bytes": a.bytes})));
        }
        let closing = json!({"job_id": job.id, "artifact_id": ended.artifact.as_ref().map(|a| a.id.clone()), "summary": ended.summary});
        entries.push(match &outcome {
            Outcome::Succeeded => (EntryKind::Done, closing),
            Outcome::Stopped(_) => (EntryKind::Stopped, closing),
            Outcome::Failed(e) => (EntryKind::Error, json!({"job_id": job.id, "code": e.code, "message": e.message})),
        });
        self.log(org_id, &job.id, None, 0, entries).await?;
        let condition = match at {
            Some(at) => Condition::equals(RUN_POSITION, at),
            None => Condition::equals("status", job.status.as_str()),
        };
        let mut fields = Item::from_record(job_key(org_id, &job.id), &ended)?;
        fields.attrs.remove("id");
        let mut update = Update::new().set(RUN_POSITION, DONE).remove(quarry_ports::table::GSI1_PK).remove(quarry_ports::table::GSI1_SK);
        for (name, value) in fields.attrs {
            update = update.set(&name, value);
        }
        let mut ops = vec![WriteOp::Update { key: job_key(org_id, &job.id), update, condition }];
        if was_running {
            ops.push(WriteOp::Update { key: running_key(org_id), update: Update::new().add("count", -1), condition: Condition::None });
        }
        if ended.credits_used > 0 {
            let usage = Update::new().add("credits", ended.credits_used as i64);
            ops.push(WriteOp::Update { key: usage_key(org_id, now), update: usage, condition: Condition::None });
        }
        if let (Outcome::Failed(error), Some(step)) = (&outcome, item.str(RUN_POSITION).and_then(parse_position).map(|(s, _)| s)) {
            // The step that was running when the job halted.
            if let Some(plan) = self.table.get(&plan_key(org_id, &job.plan_id)).await? {
                let plan: Plan = plan.to_record()?;
                if let Some(meta) = plan.steps.get(step) {
                    let object = json!({"object": "job_step", "job_id": job.id, "step_id": meta.id, "title": meta.title,
                        "intent": meta.intent, "status": "failed", "error": error});
                    ops.push(Event::new(EventType::JobStepFailed, &object, job.livemode, now)?.record_op(org_id)?);
                }
            }
        }
        if let Some(artifact) = &ended.artifact {
            if let Some(record) = self.table.get(&super::artifact::artifact_key(org_id, &artifact.id)).await? {
                let record: super::artifact::Artifact = record.to_record()?;
                ops.push(Event::new(EventType::ArtifactCreated, &record, job.livemode, now)?.record_op(org_id)?);
            }
        }
        ops.push(Event::new(kind, &ended, job.livemode, now)?.record_op(org_id)?);
        match self.table.transact(ops).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => return Ok(None), // another delivery ended it
            Err(e) => return Err(e),
        }
        self.sync_thread_status(org_id, &ended).await?;
        crate::events::nudge_fan_out(self.steps.as_ref()).await;
        Ok(Some(ended))
    }

    /// Ends a job `failed` with `job_halted` after its task kept failing.
    pub async fn fail(&self, org_id: &str, job_id: &str, message: &str) -> StoreResult<()> {
        let Some(item) = self.table.get(&job_key(org_id, job_id)).await? else { return Ok(()) };
        let job: Job = item.to_record()?;
        if job.status.is_terminal() {
            return Ok(());
        }
        let error = JobError { code: "job_halted".into(), message: message.into() };
        self.finish(org_id, &item, &job, None, Outcome::Failed(error), None).await.map(drop)
    }

    /// Keeps the thread's `last_job_status` (its list filter) true when its last job changes.
    async fn sync_thread_status(&self, org_id: &str, job: &Job) -> StoreResult<()> {
        let key = Key::new(org_partition(org_id), format!("THR#{}", job.thread_id));
        let update = Update::new().set("last_job_status", job.status.as_str());
        match self.table.update(&key, update, Condition::equals("last_job_id", job.id.as_str())).await {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Re-enqueues the current position of running jobs whose heartbeat is older than
    /// [`STALE_AFTER`] (their worker died between advancing and enqueueing, or its message was
    /// lost), and refreshes their heartbeat. Returns how many jobs it woke.
    pub async fn watchdog(&self) -> StoreResult<usize> {
        let now = self.clock.unix();
        let cutoff = heartbeat_sk(now - STALE_AFTER.as_secs() as i64, "~");
        let mut woken = 0;
        let page = self.table.query(Query::gsi1(RUNNING_INDEX).range(KeyRange::To(cutoff)).limit(100)).await?;
        for item in page.items {
            let (Some(org_id), Some(at)) = (item.str(ORG_ID), item.str(RUN_POSITION)) else { continue };
            let job_id = item.key.sk.trim_start_matches(super::JOB_SK).to_string();
            let refresh = Update::new().set(quarry_ports::table::GSI1_SK, heartbeat_sk(now, &job_id));
            match self.table.update(&item.key, refresh, Condition::equals(RUN_POSITION, at)).await {
                Ok(_) => {}
                Err(StoreError::ConditionFailed) => continue, // it moved meanwhile: alive
                Err(e) => return Err(e),
            }
            tracing::warn!(org_id, job_id, position = at, "job had no heartbeat; re-enqueued its current chunk");
            self.enqueue(org_id, &job_id, at).await?;
            woken += 1;
        }
        Ok(woken)
    }
}

/// A lead ID fixed by the job and the row: the same on every replay, and sorted by row.
fn lead_id(job: &Job, index: u64, slot: usize) -> String {
    let job_ms = ulid::Ulid::from_string(job.id.trim_start_matches("job_")).map(|u| u.timestamp_ms()).unwrap_or(0);
    let random = (u128::from(index) << 16) | slot as u128;
    format!("lead_{}", ulid::Ulid::from_parts(job_ms, random))
}

/// The stored lead of a draft, scored against the request as of `created_at` (so a replay writes
/// the same lead); without `criteria` it is not scored.
fn lead_from(id: String, job: &Job, draft: LeadDraft, created_at: Timestamp, criteria: Option<&quarry_planner::Criteria>) -> Lead {
    let confidence = confidence(&draft);
    let scored = criteria.map(|criteria| crate::leads::score::qualify(&draft, criteria, created_at));
    let (lead_score, lead_status) = (scored.as_ref().map(|s| s.lead_score), scored.as_ref().map(|s| s.lead_status));
    let (signals_detected, qualification_notes) = scored.map(|s| (s.signals_detected, s.qualification_notes)).unwrap_or_default();
    Lead {
        id,
        object: "lead".into(),
        job_id: job.id.clone(),
        company: draft.company,
        person: draft.person,
        fields: draft.fields,
        sources: draft.sources,
        confidence,
        lead_score,
        lead_status,
        signals_detected,
        qualification_notes,
        custom_notes: None,
        tags: Vec::new(),
        created_at,
        updated_at: None,
    }
}

/// The progress of a job about to run step `step` (0-based) of `plan`.
fn progress_at(plan: &Plan, step: usize) -> super::Progress {
    let total = plan.steps.len().max(1) as u32;
    let done = (step as u32).min(total);
    super::Progress { step: done, total, percent: done * 100 / total }
}

/// What a live job's sources yielded, as saved with its snapshot.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(crate) struct LiveReport {
    pub from_seeds: u64,
    pub from_index: u64,
    #[serde(default)]
    pub from_search: u64,
    pub notes: Vec<String>,
}

pub(crate) fn live_report(item: &Item) -> Option<LiveReport> {
    item.attrs.get(LIVE_SOURCES).and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// The job's summary line, written from what happened.
fn summary(job: &Job, live: Option<&LiveReport>, rows: u64, outcome: &Outcome) -> String {
    let source = match (job.livemode, live) {
        _ if job.kind == super::JobKind::Scrape => format!(
            "Read {} of {} URLs ({} could not be read) and found {} leads{}.",
            job.successful_urls.unwrap_or(0),
            job.total_urls.unwrap_or(0),
            job.failed_urls.unwrap_or(0),
            job.leads_found.unwrap_or(0),
            if job.livemode { "" } else { "; test mode: no page was fetched, the leads are synthetic and cost nothing" }
        ),
        (false, _) => "Test mode: the rows are synthetic (plausible, never real) and cost nothing.".to_string(),
        (true, None) => "No source was read before the job ended.".to_string(),
        (true, Some(r)) if r.from_seeds + r.from_index + r.from_search == 0 => {
            format!("No source had anything for this request, so nothing was invented: {}", r.notes.join(" "))
        }
        (true, Some(r)) => format!(
            "The companies came from the attached seed files ({}), the organization's lead index ({}) and web search ({}).",
            r.from_seeds, r.from_index, r.from_search
        ),
    };
    match outcome {
        Outcome::Succeeded => format!("Found {rows} rows. {source}"),
        Outcome::Stopped(reason) => format!("{reason} {rows} rows were collected before the stop. {source}"),
        Outcome::Failed(e) => format!("Failed: {}", e.message),
    }
}

/// What a plan step beyond the first says in a live job: the first step gathers and enriches
/// from the connected sources; the rest need the web engine or are covered by that step.
fn live_step_note(intent: Intent, verifying: bool) -> &'static str {
    match intent {
        Intent::Verify if verifying => {
            "done with the companies of the first step: every address a company site states was verified (syntax, MX records, disposable/free-mail/role flags; mail servers are never contacted), and people without one got an address inferred from the verified ones, marked email_inferred"
        }
        Intent::Verify => {
            "email verification is off (QUARRY_VERIFY_EMAILS=false, or the request turned it off), so emails are as their sources state them"
        }
        Intent::Scrape => "done with the companies of the first step: their sites were read by the web engine",
        Intent::Discover | Intent::Enrich | Intent::FindPeople | Intent::Qualify | Intent::Export => {
            "done with the companies of the first step, from the seed files and the lead index"
        }
    }
}

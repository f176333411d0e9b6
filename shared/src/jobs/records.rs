//! A job's records and the writes both sides of a job make: loading it, its run state (the
//! position, counters and heartbeat on the job item), its log, and the end of a job in one
//! transaction. The API-side [`super::service::Jobs`] and the worker-side
//! [`super::runner::JobRunner`] are both built over [`JobRecords`]; neither imports the other.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::log::{self, entry_id, EntryKind, LogEntry};
use super::{job_key, running_key, ArtifactRef, Job, JobError, JobKind, JobStatus, Progress};
use crate::accounts::{org_partition, Caller};
use crate::billing::{Billing, Ended, JobCharge};
use crate::error::{ResearchError, ResearchResult};
use crate::events::{Event, EventType};
use crate::leads::store::{job_data_partition, LEAD_SK};
use crate::plans::{plan_key, Plan};
use crate::tasks::{self, Task};
use quarry_ports::clock::{SharedClock, Timestamp};
use quarry_ports::{Blobs, Condition, Item, Key, Query, Queue, StoreError, StoreResult, Table, Update, WriteOp};

/// Secondary-index partition listing running jobs by heartbeat (for the watchdog).
pub(super) const RUNNING_INDEX: &str = "RUNNING";
/// Attributes of the job item that are run state, not part of the job object.
pub(super) const RUN_POSITION: &str = "run_position";
pub(super) const CREDIT_TENTHS: &str = "credit_tenths";
pub(super) const ORG_ID: &str = "org_id";
pub(super) const ROWS_DONE: &str = "rows_done";
/// What a live job's sources yielded (counts and notes), for its summary.
pub(super) const LIVE_SOURCES: &str = "live_sources";
/// The position of a job that has ended.
const DONE: &str = "done";

pub(super) fn position(step: usize, offset: u64) -> String {
    format!("s{step}:{offset}")
}

pub(super) fn parse_position(raw: &str) -> Option<(usize, u64)> {
    let (step, offset) = raw.strip_prefix('s')?.split_once(':')?;
    Some((step.parse().ok()?, offset.parse().ok()?))
}

pub(super) fn heartbeat_sk(unix: i64, job_id: &str) -> String {
    format!("{unix:012}#{job_id}")
}

/// Attributes of a running job's item naming who approved it: usage is billed to them.
pub(super) const APPROVED_KEY: &str = "approved_key_id";
pub(super) const APPROVED_MEMBER: &str = "approved_member_id";

/// The progress of a job about to run step `step` (0-based) of `plan`.
pub(super) fn progress_at(plan: &Plan, step: usize) -> Progress {
    let total = plan.steps.len().max(1) as u32;
    let done = (step as u32).min(total);
    Progress { step: done, total, percent: done * 100 / total }
}

/// The progress of a running job at step `step` with `rows_done` of `rows_planned` rows: the
/// steps finished or the rows done, whichever says more, so a long discovery step moves the
/// percentage as it goes. Below 100 until the job has succeeded.
pub(super) fn progress_with_rows(plan: &Plan, step: usize, rows_done: u64, rows_planned: u64) -> Progress {
    let by_steps = progress_at(plan, step);
    let by_rows = (rows_done.min(rows_planned) * 100).checked_div(rows_planned).unwrap_or(0) as u32;
    Progress { percent: by_steps.percent.max(by_rows).min(99), ..by_steps }
}

/// What a live job's sources yielded, as saved with its snapshot.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(super) struct LiveReport {
    pub from_seeds: u64,
    pub from_index: u64,
    #[serde(default)]
    pub from_search: u64,
    #[serde(default)]
    pub from_wikidata: u64,
    #[serde(default)]
    pub from_osm: u64,
    pub notes: Vec<String>,
}

pub(super) fn live_report(item: &Item) -> Option<LiveReport> {
    item.attrs.get(LIVE_SOURCES).and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// How a job ended.
pub(super) enum Outcome {
    Succeeded,
    Stopped(String),
    Failed(JobError),
}

/// The storage a job's records live in, and the clock. Cheap to clone.
#[derive(Clone)]
pub(super) struct JobRecords {
    pub(super) table: Arc<dyn Table>,
    pub(super) blobs: Arc<dyn Blobs>,
    pub(super) steps: Arc<dyn Queue>,
    /// Where webhook fan-out nudges go: the steps queue unless a lane of its own is set.
    pub(super) notifications: Arc<dyn Queue>,
    pub(super) clock: SharedClock,
    /// The credit ledger a live job's end bills into.
    pub(super) billing: Billing,
}

impl JobRecords {
    pub(super) fn new(table: Arc<dyn Table>, blobs: Arc<dyn Blobs>, steps: Arc<dyn Queue>, clock: SharedClock) -> Self {
        let billing = Billing::new(table.clone(), clock.clone());
        JobRecords { table, blobs, notifications: steps.clone(), steps, clock, billing }
    }

    pub(super) fn now(&self) -> Timestamp {
        self.clock.now().into()
    }

    /// A job of the caller's organization and mode, or 404 (a job of the other mode included).
    pub(super) async fn load(&self, caller: &Caller, job_id: &str) -> ResearchResult<(Item, Job)> {
        let not_found = || ResearchError::NotFound { what: "Job", id: job_id.to_string(), param: "job_id" };
        if !crate::ids::has_prefix(job_id, crate::ids::prefix::JOB) {
            return Err(not_found());
        }
        let item = self.table.get(&job_key(&caller.org_id, job_id)).await?.ok_or_else(not_found)?;
        let job: Job = item.to_record()?;
        if job.livemode != caller.livemode {
            return Err(not_found());
        }
        Ok((item, job))
    }

    pub(super) async fn enqueue(&self, org_id: &str, job_id: &str, at: &str) -> StoreResult<()> {
        let task = Task::RunJob { org_id: org_id.into(), job_id: job_id.into(), position: at.into() };
        tasks::enqueue(self.steps.as_ref(), &task, Duration::ZERO).await
    }

    /// Writes log entries at a position (idempotently: replays rewrite the same IDs).
    pub(super) async fn log(
        &self,
        org_id: &str,
        job_id: &str,
        step: Option<usize>,
        offset: u64,
        entries: Vec<(EntryKind, Value)>,
    ) -> StoreResult<()> {
        let now = self.now();
        let entries: Vec<LogEntry> = entries
            .into_iter()
            .enumerate()
            .map(|(n, (kind, data))| LogEntry { id: entry_id(step, offset, n), kind, data, created_at: now })
            .collect();
        log::write(self.table.as_ref(), &job_data_partition(org_id, job_id), &entries).await
    }

    /// Writes the artifact (CSV + JSON lead list) of whatever the job has, then ends the job.
    pub(super) async fn end_with_artifact(
        &self,
        org_id: &str,
        item: &Item,
        job: &Job,
        plan: &Plan,
        at: &str,
        outcome: Outcome,
    ) -> StoreResult<()> {
        let columns = super::artifact::plan_columns(plan);
        let artifact = super::artifact::write(self.table.as_ref(), self.blobs.as_ref(), org_id, job, &columns).await?;
        self.finish(org_id, item, job, Some(at), outcome, Some(artifact)).await.map(drop)
    }

    /// Ends a job `failed` with `error`, keeping what it found: when it has leads, the artifact of
    /// them is written first (as a stopped job's is), so `job.failed` carries it. Without its
    /// plan the artifact has the lead columns only.
    pub(super) async fn fail_with_artifact(
        &self,
        org_id: &str,
        item: &Item,
        job: &Job,
        plan: Option<&Plan>,
        at: Option<&str>,
        error: JobError,
    ) -> StoreResult<()> {
        let any_lead = Query::partition(job_data_partition(org_id, &job.id)).prefix(LEAD_SK).limit(1);
        let artifact = if self.table.query(any_lead).await?.items.is_empty() {
            None
        } else {
            let columns = plan.map(super::artifact::plan_columns).unwrap_or_default();
            Some(super::artifact::write(self.table.as_ref(), self.blobs.as_ref(), org_id, job, &columns).await?)
        };
        self.finish(org_id, item, job, at, Outcome::Failed(error), artifact).await.map(drop)
    }

    /// Ends a job in one transaction on its position: status, final credits (refunded on failure),
    /// the organization's running count and monthly usage, and the catalog event.
    pub(super) async fn finish(
        &self,
        org_id: &str,
        item: &Item,
        job: &Job,
        at: Option<&str>,
        outcome: Outcome,
        artifact: Option<ArtifactRef>,
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
        // The step that was running when the job halted, if its plan is still there.
        let halted = match (&outcome, item.str(RUN_POSITION).and_then(parse_position).map(|(s, _)| s)) {
            (Outcome::Failed(_), Some(step)) => match self.table.get(&plan_key(org_id, &job.plan_id)).await? {
                Some(plan) => plan.to_record::<Plan>()?.steps.get(step).cloned(),
                None => None,
            },
            _ => None,
        };
        let mut entries = Vec::new();
        if let Some(meta) = &halted {
            entries.push((EntryKind::Step, json!({"step_id": meta.id, "status": "failed", "title": meta.title})));
        }
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
        // The metadata is the caller's (`PATCH /v1/jobs/{id}` may change it while the job runs):
        // the end of the job never writes back the copy it read.
        fields.attrs.remove("metadata");
        let mut update = Update::new().set(RUN_POSITION, DONE).remove(quarry_ports::table::GSI1_PK).remove(quarry_ports::table::GSI1_SK);
        for (name, value) in fields.attrs {
            update = update.set(&name, value);
        }
        let mut ops = vec![WriteOp::Update { key: job_key(org_id, &job.id), update, condition }];
        if was_running {
            ops.push(WriteOp::Update { key: running_key(org_id), update: Update::new().add("count", -1), condition: Condition::None });
        }
        let charge = JobCharge {
            job_id: &job.id,
            thread_id: &job.thread_id,
            livemode: job.livemode,
            credits: ended.credits_used,
            rows,
            ended: match status {
                JobStatus::Succeeded => Ended::Succeeded,
                JobStatus::Stopped => Ended::Stopped,
                _ => Ended::Failed,
            },
            api_key_id: item.str(APPROVED_KEY),
            member_id: item.str(APPROVED_MEMBER),
        };
        let billed = job.livemode && ended.credits_used > 0;
        if billed {
            // The period's grant is written before the usage it pays for.
            self.ensure_period(org_id).await?;
        }
        ops.extend(self.billing.job_end_ops(org_id, &charge)?);
        if let (Outcome::Failed(error), Some(meta)) = (&outcome, &halted) {
            let object = json!({"object": "job_step", "job_id": job.id, "step_id": meta.id, "title": meta.title,
                "intent": meta.intent, "status": "failed", "error": error});
            ops.extend(Event::new(EventType::JobStepFailed, &object, job.livemode, now)?.record_ops(org_id)?);
        }
        if let Some(artifact) = &ended.artifact {
            if let Some(record) = self.table.get(&super::artifact::artifact_key(org_id, &artifact.id)).await? {
                let record: super::artifact::Artifact = record.to_record()?;
                ops.extend(Event::new(EventType::ArtifactCreated, &record, job.livemode, now)?.record_ops(org_id)?);
            }
        }
        ops.extend(Event::new(kind, &ended, job.livemode, now)?.record_ops(org_id)?);
        match self.table.transact(ops).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => return Ok(None), // another delivery ended it
            Err(e) => return Err(e),
        }
        self.sync_thread_status(org_id, &ended).await?;
        if billed {
            self.check_alerts(org_id).await?;
        }
        crate::events::nudge_fan_out(self.notifications.as_ref()).await;
        Ok(Some(ended))
    }

    async fn organization(&self, org_id: &str) -> StoreResult<Option<crate::accounts::Organization>> {
        crate::accounts::Accounts::new(self.table.clone(), self.clock.clone()).organization(org_id).await
    }

    /// Makes sure the current period's grant is in the ledger (see [`Billing::ensure_period`]).
    async fn ensure_period(&self, org_id: &str) -> StoreResult<()> {
        match self.organization(org_id).await? {
            Some(org) => self.billing.ensure_period(&org).await.map(drop),
            None => Ok(()), // the organization is being deleted: nothing to bill it for
        }
    }

    /// Records the budget and balance alerts the job's usage made due. Best effort after the
    /// job's own transaction: a failure is logged, and the next billing checks again.
    async fn check_alerts(&self, org_id: &str) -> StoreResult<()> {
        if let Some(org) = self.organization(org_id).await? {
            if let Err(e) = self.billing.check_alerts(&org).await {
                tracing::warn!(error = %e, org_id, "could not check the budget alerts");
            }
        }
        Ok(())
    }

    /// Keeps the thread's `last_job_status` (its list filter) true when its last job changes.
    pub(super) async fn sync_thread_status(&self, org_id: &str, job: &Job) -> StoreResult<()> {
        let key = Key::new(org_partition(org_id), format!("THR#{}", job.thread_id));
        let update = Update::new().set("last_job_status", job.status.as_str());
        match self.table.update(&key, update, Condition::equals("last_job_id", job.id.as_str())).await {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The job's summary line, written from what happened.
fn summary(job: &Job, live: Option<&LiveReport>, rows: u64, outcome: &Outcome) -> String {
    let source = match (job.livemode, live) {
        _ if job.kind == JobKind::Scrape => format!(
            "Read {} of {} URLs ({} could not be read) and found {} leads{}.",
            job.successful_urls.unwrap_or(0),
            job.total_urls.unwrap_or(0),
            job.failed_urls.unwrap_or(0),
            job.leads_found.unwrap_or(0),
            if job.livemode { "" } else { "; test mode: no page was fetched, the leads are synthetic and cost nothing" }
        ),
        (false, _) => "Test mode: the rows are synthetic (plausible, never real) and cost nothing.".to_string(),
        (true, None) => "No source was read before the job ended.".to_string(),
        (true, Some(r)) if r.from_seeds + r.from_index + r.from_search + r.from_wikidata + r.from_osm == 0 => {
            format!("No source had anything for this request, so nothing was invented: {}", r.notes.join(" "))
        }
        (true, Some(r)) => {
            let mut sources =
                vec![format!("the attached seed files ({})", r.from_seeds), format!("the organization's lead index ({})", r.from_index)];
            // The open databases are named when they gave something: most jobs never use them.
            if r.from_wikidata > 0 {
                sources.push(format!("Wikidata ({})", r.from_wikidata));
            }
            if r.from_osm > 0 {
                sources.push(format!("OpenStreetMap ({})", r.from_osm));
            }
            let last = format!("web search ({})", r.from_search);
            format!("The companies came from {} and {last}.", sources.join(", "))
        }
    };
    match outcome {
        Outcome::Succeeded => format!("Found {rows} rows. {source}"),
        Outcome::Stopped(reason) => format!("{reason} {rows} rows were collected before the stop. {source}"),
        Outcome::Failed(e) => format!("Failed: {}", e.message),
    }
}

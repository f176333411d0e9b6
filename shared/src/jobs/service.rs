//! The jobs service of the API: reading jobs, their leads, log, artifact and summary, approving a
//! pending job (which enqueues its first chunk) and stopping one; and the operator's refund of a
//! finished live job ([`refund`]). It needs no fetcher and no web engine: the work of a job
//! happens in the worker ([`super::runner::JobRunner`]).

use std::sync::Arc;

use super::log::{self, LogEntry};
use super::records::{
    heartbeat_sk, live_report, position, JobRecords, Outcome, APPROVED_KEY, APPROVED_MEMBER, CREDIT_TENTHS, ORG_ID, ROWS_DONE,
    RUNNING_INDEX, RUN_POSITION,
};
use super::{job_key, running_key, Job, JobStatus};
use crate::accounts::{Caller, Organization};
use crate::billing::{Billing, Ended, JobCharge, LedgerEntry, TransactionKind};
use crate::error::{ResearchError, ResearchResult};
use crate::events::{Event, EventType};
use crate::leads::store::{job_data_partition, job_leads, LEAD_SK};
use crate::leads::Lead;
use crate::plans::{plan_key, Plan};
use quarry_ports::clock::{SharedClock, Timestamp};
use quarry_ports::{Blobs, Condition, Item, Order, Query, Queue, StoreError, StoreResult, Table, Update, WriteOp};

/// What approving a job may set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Approval {
    /// Events of this job are also posted here (the webhook dispatcher delivers them).
    pub webhook_url: Option<String>,
    /// The job stops rather than spend more than this.
    pub max_credits: Option<u64>,
    /// Metadata changes (merged as `PATCH /v1/jobs/{id}` merges them), checked.
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Which of a job's leads a page of `GET /v1/jobs/{id}/leads` shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobLeadFilter {
    /// Leads below this confidence (0–1) are left out.
    pub min_confidence: f64,
    /// Dotted paths (`person.email`) every lead shown has a non-null value at.
    pub has_fields: Vec<String>,
}

/// The idempotency step of approving a job.
const STEP_APPROVE: &str = "approved";

impl JobLeadFilter {
    /// The filter of a `min_confidence` text and the repeated `has_field` values.
    pub fn parse(min_confidence: Option<&str>, has_fields: Vec<String>) -> ResearchResult<JobLeadFilter> {
        let min_confidence = match min_confidence {
            None => 0.0,
            Some(raw) => match raw.parse::<f64>() {
                Ok(v) if (0.0..=1.0).contains(&v) => v,
                _ => {
                    let message = format!("`min_confidence` must be a number from 0 to 1; got `{raw}`.");
                    return Err(ResearchError::invalid("min_confidence", message));
                }
            },
        };
        Ok(JobLeadFilter { min_confidence, has_fields })
    }

    fn keeps(&self, lead: &Lead) -> bool {
        if lead.confidence < self.min_confidence {
            return false;
        }
        // Only leads that pass the cheap check are turned into JSON to look up field paths.
        self.has_fields.is_empty() || {
            let value = serde_json::to_value(lead).unwrap_or(serde_json::Value::Null);
            self.has_fields.iter().all(|path| field_at(&value, path).is_some())
        }
    }
}

/// The value at a dotted path of a lead (`person.email`, `fields.tech_stack`).
fn field_at<'a>(lead: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(lead, |v, part| v.get(part)).filter(|v| !v.is_null())
}

/// Jobs as the API sees them. Cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    records: JobRecords,
    /// How long an artifact file is kept after it is written ([`Settings::artifact_retention_days`](crate::settings::Settings)).
    artifact_retention: std::time::Duration,
}

impl Jobs {
    pub fn new(table: Arc<dyn Table>, blobs: Arc<dyn Blobs>, steps: Arc<dyn Queue>, clock: SharedClock) -> Self {
        let artifact_retention = super::artifact::retention(super::artifact::DEFAULT_RETENTION_DAYS);
        Jobs { records: JobRecords::new(table, blobs, steps, clock), artifact_retention }
    }

    /// The same jobs sending webhook fan-out nudges to `queue` (the deliveries queue in the API).
    pub fn with_notifications(mut self, queue: Arc<dyn Queue>) -> Self {
        self.records.notifications = queue;
        self
    }

    /// The same jobs with artifact files kept `days` after they are written.
    pub fn with_artifact_retention(mut self, days: u32) -> Self {
        self.artifact_retention = super::artifact::retention(days);
        self
    }

    /// A job of the caller.
    pub async fn job(&self, caller: &Caller, job_id: &str) -> ResearchResult<Job> {
        Ok(self.records.load(caller, job_id).await?.1)
    }

    /// One page of the caller's jobs (its organization and mode).
    pub async fn list(
        &self,
        caller: &Caller,
        filter: &super::JobFilter,
        order: quarry_ports::Order,
        limit: usize,
        cursor: Option<String>,
    ) -> ResearchResult<(Vec<Job>, Option<String>)> {
        Ok(super::list(self.records.table.as_ref(), caller, filter, order, limit, cursor).await?)
    }

    /// One page of a job's leads that pass `filter`, in discovery order by default.
    pub async fn lead_page(
        &self,
        caller: &Caller,
        job_id: &str,
        order: quarry_ports::Order,
        limit: usize,
        cursor: Option<String>,
        filter: &JobLeadFilter,
    ) -> ResearchResult<(Vec<Lead>, Option<String>)> {
        self.records.load(caller, job_id).await?;
        let base = Query::partition(job_data_partition(&caller.org_id, job_id)).prefix(LEAD_SK).order(order).cursor(cursor);
        let pick = |item: &Item| -> StoreResult<Option<Lead>> {
            let lead: Lead = item.to_record()?;
            Ok(filter.keeps(&lead).then_some(lead))
        };
        Ok(quarry_ports::table::query_matching(self.records.table.as_ref(), base, limit, 2_000, pick).await?)
    }

    /// An artifact of the caller's jobs with a fresh download link to `format`.
    pub async fn artifact(
        &self,
        caller: &Caller,
        artifact_id: &str,
        format: super::artifact::Format,
    ) -> ResearchResult<super::artifact::Artifact> {
        let not_found = || ResearchError::NotFound { what: "Artifact", id: artifact_id.to_string(), param: "artifact_id" };
        let Some(job_id) = super::artifact::job_of(artifact_id) else { return Err(not_found()) };
        // The job carries the mode: an artifact of the other mode's job is not found.
        self.records.load(caller, &job_id).await.map_err(|_| not_found())?;
        let files = super::artifact::Files {
            table: self.records.table.as_ref(),
            blobs: self.records.blobs.as_ref(),
            retention: self.artifact_retention,
        };
        files.fetch(&caller.org_id, artifact_id, format, self.records.now()).await?.ok_or_else(not_found)
    }

    /// What a job found, how complete it is, and its caveats.
    pub async fn summary(&self, caller: &Caller, job_id: &str) -> ResearchResult<super::summary::JobSummary> {
        let org_id = caller.org_id.as_str();
        let (item, job) = self.records.load(caller, job_id).await?;
        let plan: Plan = match self.records.table.get(&plan_key(org_id, &job.plan_id)).await? {
            Some(p) => p.to_record()?,
            None => return Err(ResearchError::NotFound { what: "Job", id: job_id.to_string(), param: "job_id" }),
        };
        let leads = self.leads(org_id, job_id).await?;
        let notes = live_report(&item).map(|r| r.notes).unwrap_or_default();
        Ok(super::summary::summarize(&job, &plan, &leads, &notes))
    }

    /// Refuses a live job needing `needed` credits when the balance cannot pay for it or the
    /// monthly budget would not allow it (402 `insufficient_credits`, saying which).
    async fn check_credits(&self, org: &Organization, job_id: &str, needed: u64) -> ResearchResult<()> {
        let billing = &self.records.billing;
        let left = billing.balance(org).await?.balance.max(0) as u64;
        if needed > left {
            return Err(ResearchError::InsufficientCredits(format!(
                "Job {job_id} needs about {needed} credits and your organization has {left} left. Lower max_rows or max_credits, or ask the operator to raise the monthly allowance."
            )));
        }
        let (_, counters) = billing.period_counters(org).await?;
        match billing.budget(&org.id).await?.refusal(counters.used, needed) {
            Some(reason) => Err(ResearchError::InsufficientCredits(format!("Job {job_id}: {reason}"))),
            None => Ok(()),
        }
    }

    /// Starts a pending job: checks the concurrent-job limit and (live keys) the credit balance,
    /// marks it running and enqueues its first chunk. The work itself happens in the worker.
    pub async fn approve(&self, caller: &Caller, org: &Organization, job_id: &str, approval: Approval) -> ResearchResult<Job> {
        if let Some(job) = crate::idempotency::recovered(STEP_APPROVE) {
            return Ok(job);
        }
        let (_, job) = self.records.load(caller, job_id).await?;
        if job.status != JobStatus::Pending {
            return Err(ResearchError::Conflict(format!("Job {job_id} is {}; only pending jobs can be approved.", job.status.as_str())));
        }
        if job.livemode {
            let needed = approval.max_credits.map_or(job.credits_estimate, |m| m.min(job.credits_estimate));
            self.check_credits(org, job_id, needed).await?;
        }
        let now = self.records.now();
        let limit = org.limits().concurrent_jobs;
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
        if let Some(key_id) = &caller.key_id {
            update = update.set(APPROVED_KEY, key_id.as_str());
        }
        if let Some(member_id) = &caller.member_id {
            update = update.set(APPROVED_MEMBER, member_id.as_str());
        }
        let metadata = approval.metadata.map(|changes| crate::metadata::merge(&job.metadata, changes)).transpose()?;
        if let Some(metadata) = &metadata {
            update = update.set("metadata", serde_json::Value::Object(metadata.clone()));
        }
        let mut approved = job.clone();
        approved.status = JobStatus::Running;
        approved.started_at = Some(now);
        approved.updated_at = now;
        approved.max_credits = approval.max_credits;
        if let Some(metadata) = metadata {
            approved.metadata = metadata;
        }
        let event = Event::new(EventType::JobApproved, &approved, job.livemode, now)?;
        let ops: Vec<WriteOp> = vec![
            WriteOp::Update { key: job_key(&org.id, job_id), update, condition: Condition::equals("status", JobStatus::Pending.as_str()) },
            WriteOp::Update {
                key: running_key(&org.id),
                update: Update::new().add("count", 1),
                condition: Condition::counter_within("count", 1, i64::from(limit)),
            },
        ];
        let ops = [ops, event.record_ops(&org.id)?.into()].concat();
        let ops = crate::idempotency::with_outcome(ops, STEP_APPROVE, &approved)?;
        match self.records.table.transact(ops).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => {
                let (_, now_job) = self.records.load(caller, job_id).await?;
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
        self.records.sync_thread_status(&org.id, &approved).await?;
        crate::events::nudge_fan_out(self.records.notifications.as_ref()).await;
        self.records.enqueue(&org.id, job_id, &position(0, 0)).await?;
        Ok(approved)
    }

    /// Applies metadata changes to a job of the caller, whatever its status (the metadata is the
    /// caller's own): a key set to `null` is removed, other keys are kept.
    pub async fn update_metadata(
        &self,
        caller: &Caller,
        job_id: &str,
        changes: serde_json::Map<String, serde_json::Value>,
    ) -> ResearchResult<Job> {
        let (item, mut job) = self.records.load(caller, job_id).await?;
        job.metadata = crate::metadata::merge(&job.metadata, changes)?;
        job.updated_at = self.records.now();
        let update =
            Update::new().set("metadata", serde_json::Value::Object(job.metadata.clone())).set("updated_at", job.updated_at.to_string());
        // On the metadata read, so two concurrent changes cannot drop one another's keys.
        let condition = Condition::equals("metadata", item.attrs.get("metadata").cloned().unwrap_or(serde_json::Value::Null));
        match self.records.table.update(&job_key(&caller.org_id, job_id), update, condition).await {
            Ok(_) => Ok(job),
            Err(StoreError::ConditionFailed) => {
                Err(ResearchError::Conflict("The job's metadata changed meanwhile; send the change again.".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stops a job: a running job gets its stop flag (it ends `stopped` at its next checkpoint,
    /// with a partial artifact); a pending job ends `stopped` at once. Ended jobs are a conflict.
    pub async fn stop(&self, caller: &Caller, job_id: &str) -> ResearchResult<Job> {
        let org_id = caller.org_id.as_str();
        let (item, job) = self.records.load(caller, job_id).await?;
        match job.status {
            JobStatus::Running => {
                Ok(super::request_stop(self.records.table.as_ref(), org_id, job_id, self.records.now()).await?.unwrap_or(job))
            }
            JobStatus::Pending => {
                let ended =
                    self.records.finish(org_id, &item, &job, None, Outcome::Stopped("Stopped before it started.".into()), None).await?;
                Ok(ended.unwrap_or(job))
            }
            status => Err(ResearchError::Conflict(format!("Job {job_id} has already ended ({}).", status.as_str()))),
        }
    }

    /// One page of a job's log, in order by default.
    pub async fn log_page(
        &self,
        caller: &Caller,
        job_id: &str,
        order: quarry_ports::Order,
        limit: usize,
        cursor: Option<String>,
    ) -> ResearchResult<(Vec<LogEntry>, Option<String>)> {
        self.records.load(caller, job_id).await?;
        Ok(log::page(self.records.table.as_ref(), &job_data_partition(&caller.org_id, job_id), order, limit, cursor).await?)
    }

    /// Up to `limit` log entries of a job after `after`.
    pub async fn log_after(&self, org_id: &str, job_id: &str, after: Option<&str>, limit: usize) -> StoreResult<Vec<LogEntry>> {
        log::read_after(self.records.table.as_ref(), &job_data_partition(org_id, job_id), after, limit).await
    }

    /// Every lead of a job, in discovery order.
    pub async fn leads(&self, org_id: &str, job_id: &str) -> StoreResult<Vec<Lead>> {
        job_leads(self.records.table.as_ref(), org_id, job_id).await
    }

    /// Gives back the credits a finished live job of `org` was billed (see [`refund`]).
    pub async fn refund(&self, org: &Organization, job_id: &str, note: Option<&str>) -> ResearchResult<LedgerEntry> {
        refund(self.records.table.as_ref(), &self.records.billing, org, job_id, note).await
    }
}

/// Longest note a refund's ledger entry takes.
pub const MAX_REFUND_NOTE: usize = 500;

/// Gives back the credits a finished live job of `org` was billed, once per job: an operator's
/// decision, recorded as a `refund` entry of the ledger that names the job, its thread, and the
/// key and member that approved it (so usage by key or member nets it out), with `note` as its
/// description (`Refund of job …` without one).
///
/// Refused with a conflict: a job that has not ended (its credits are not billed yet), a test-mode
/// job (it ran free), a job that billed nothing (failed jobs are not billed; a job stopped by the
/// deletion of its thread never was), and a job refunded already. A job of either mode is looked
/// up, so a test job is told apart from a missing one (404).
///
/// A function of the table and the ledger rather than of [`Jobs`] alone: the operator's CLI opens
/// a deployment's table without its bucket and queues.
pub async fn refund(
    table: &dyn Table,
    billing: &Billing,
    org: &Organization,
    job_id: &str,
    note: Option<&str>,
) -> ResearchResult<LedgerEntry> {
    let note = match note.map(str::trim) {
        None => format!("Refund of job {job_id}"),
        Some("") => {
            return Err(ResearchError::invalid(
                "note",
                "A refund's note may not be blank: say why the credits are given back, or leave the note out.",
            ))
        }
        Some(n) if n.chars().count() > MAX_REFUND_NOTE => {
            return Err(ResearchError::invalid("note", format!("A refund's note is at most {MAX_REFUND_NOTE} characters.")))
        }
        Some(n) => n.to_string(),
    };
    let not_found = || ResearchError::NotFound { what: "Job", id: job_id.to_string(), param: "job_id" };
    if !crate::ids::has_prefix(job_id, crate::ids::prefix::JOB) {
        return Err(not_found());
    }
    let item = table.get(&job_key(&org.id, job_id)).await?.ok_or_else(not_found)?;
    let job: Job = item.to_record()?;
    let ended = match job.status {
        JobStatus::Succeeded => Ended::Succeeded,
        JobStatus::Stopped => Ended::Stopped,
        JobStatus::Failed => Ended::Failed,
        status @ (JobStatus::Pending | JobStatus::Running) => {
            return Err(ResearchError::Conflict(format!(
                "Job {job_id} is {}: only a job that has ended can be refunded, since a job is billed when it ends. Stop it or wait for its end, then refund it.",
                status.as_str()
            )))
        }
    };
    if !job.livemode {
        return Err(ResearchError::Conflict(format!("Job {job_id} ran in test mode, which is free: it billed no credits to refund.")));
    }
    if job.credits_used == 0 {
        let why = if ended == Ended::Failed { "failed, and failed jobs are not billed" } else { "used no credits" };
        return Err(ResearchError::Conflict(format!("Job {job_id} {why}: there is nothing to refund.")));
    }
    if usage_entry(billing, org, &job).await?.is_none() {
        return Err(ResearchError::Conflict(format!(
            "Job {job_id} counted {} credits but the ledger has no usage entry for it (it ended without being billed): there is nothing to refund.",
            job.credits_used
        )));
    }
    let charge = JobCharge {
        job_id,
        thread_id: &job.thread_id,
        livemode: true,
        credits: job.credits_used,
        rows: job.artifact.as_ref().map_or(0, |a| a.rows),
        ended,
        api_key_id: item.str(APPROVED_KEY),
        member_id: item.str(APPROVED_MEMBER),
    };
    billing.refund_job(org, &charge, &note).await?.ok_or_else(|| {
        ResearchError::Conflict(format!(
            "Job {job_id} was refunded already: a job's credits are given back once, and its refund is in the ledger."
        ))
    })
}

/// The usage entry a live job's end wrote. It is dated a moment after the job's `finished_at`
/// (both are read from the clock as the job ends), so the ledger is read
/// from a minute before to an hour after, not whole.
async fn usage_entry(billing: &Billing, org: &Organization, job: &Job) -> StoreResult<Option<LedgerEntry>> {
    let Some(finished) = job.finished_at else { return Ok(None) };
    let range = (Some(Timestamp(finished.0 - chrono::Duration::minutes(1))), Some(Timestamp(finished.0 + chrono::Duration::hours(1))));
    let mut cursor = None;
    loop {
        let (entries, next) = billing.ledger_page(org, range, Order::Asc, 100, cursor).await?;
        if let Some(entry) = entries.into_iter().find(|e| e.kind == TransactionKind::Usage && e.job_id.as_deref() == Some(job.id.as_str()))
        {
            return Ok(Some(entry));
        }
        match next {
            Some(c) => cursor = Some(c),
            None => return Ok(None),
        }
    }
}

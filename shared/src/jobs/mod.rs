//! Jobs: the execution of an approved plan. This module owns the job record and its lifecycle
//! vocabulary (`pending → running → succeeded | failed | stopped`). Jobs are created `pending`
//! with their plan; approving and executing them is the job runner's work.

pub mod artifact;
pub mod catalog;
pub mod live;
pub mod log;
mod records;
pub mod runner;
pub mod scrape;
pub mod service;
pub mod summary;
pub mod web;

pub use catalog::Artifacts;
pub use runner::JobRunner;
pub use service::{Approval, Jobs};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::accounts::{org_partition, Caller};
use crate::error::{ResearchError, ResearchResult};
use crate::filters::parse_time;
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, StoreError, StoreResult, Table, Update, WriteOp};

/// Sort-key prefix of jobs in the organization's partition.
pub(crate) const JOB_SK: &str = "JOB#";

/// Filters of `GET /v1/jobs`.
#[derive(Clone, Debug, Default)]
pub struct JobFilter {
    /// Any of these statuses (empty: all).
    pub statuses: Vec<JobStatus>,
    pub thread_id: Option<String>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
}

/// The raw text of the job filters, as a query string carries them.
#[derive(Clone, Copy, Debug, Default)]
pub struct JobFilterText<'a> {
    pub status: Option<&'a str>,
    pub thread_id: Option<&'a str>,
    pub created_after: Option<&'a str>,
    pub created_before: Option<&'a str>,
}

impl JobFilter {
    /// The filter the text asks for; a bad value is an `Invalid` naming its parameter.
    pub fn parse(text: JobFilterText<'_>) -> ResearchResult<JobFilter> {
        Ok(JobFilter {
            statuses: text.status.map(|raw| JobStatus::parse_list("status", raw)).transpose()?.unwrap_or_default(),
            thread_id: text.thread_id.filter(|t| !t.is_empty()).map(str::to_string),
            created_after: parse_time("created_after", text.created_after)?,
            created_before: parse_time("created_before", text.created_before)?,
        })
    }

    fn keeps(&self, job: &Job) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&job.status))
            && self.thread_id.as_ref().is_none_or(|t| *t == job.thread_id)
            && self.created_after.is_none_or(|t| job.created_at >= t)
            && self.created_before.is_none_or(|t| job.created_at < t)
    }

    /// The sort-key range the creation bounds allow (job IDs are time-ordered ULIDs).
    fn key_range(&self) -> quarry_ports::KeyRange {
        let bound = |t: Option<Timestamp>, fill: u128| {
            t.map(|t| format!("{JOB_SK}job_{}", ulid::Ulid::from_parts(t.0.timestamp_millis().max(0) as u64, fill)))
        };
        let low = bound(self.created_after, 0).unwrap_or_else(|| JOB_SK.to_string());
        let high = bound(self.created_before, 0).unwrap_or_else(|| format!("{JOB_SK}~"));
        quarry_ports::KeyRange::Between(low, high)
    }
}

/// Most jobs one list request examines while filtering.
const MAX_EXAMINED_PER_PAGE: usize = 1_000;

/// One page of the organization's jobs matching `filter`.
pub async fn list(
    table: &dyn Table,
    caller: &Caller,
    filter: &JobFilter,
    order: quarry_ports::Order,
    limit: usize,
    cursor: Option<String>,
) -> StoreResult<(Vec<Job>, Option<String>)> {
    let base = quarry_ports::Query::partition(org_partition(&caller.org_id)).range(filter.key_range()).order(order).cursor(cursor);
    let keep = |item: &Item| -> StoreResult<Option<Job>> {
        let job: Job = item.to_record()?;
        Ok((job.livemode == caller.livemode && filter.keeps(&job)).then_some(job))
    };
    quarry_ports::table::query_matching(table, base, limit, MAX_EXAMINED_PER_PAGE, keep).await
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Stopped,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [JobStatus::Pending, JobStatus::Running, JobStatus::Succeeded, JobStatus::Failed, JobStatus::Stopped];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Stopped => "stopped",
        }
    }

    /// Parses a status filter value, accepting the other products' names as aliases
    /// (`processing` → running, `completed` / `complete` → succeeded, `cancelled` → stopped).
    pub fn parse_filter(raw: &str) -> Option<JobStatus> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "pending" | "queued" => Some(JobStatus::Pending),
            "running" | "processing" => Some(JobStatus::Running),
            "succeeded" | "completed" | "complete" => Some(JobStatus::Succeeded),
            "failed" => Some(JobStatus::Failed),
            "stopped" | "cancelled" | "canceled" => Some(JobStatus::Stopped),
            _ => None,
        }
    }

    /// Parses a comma-separated status filter (the other products' names accepted too); a bad
    /// status is an `Invalid` naming `param`.
    pub fn parse_list(param: &str, raw: &str) -> ResearchResult<Vec<JobStatus>> {
        raw.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                JobStatus::parse_filter(s).ok_or_else(|| {
                    let message = format!(
                        "`{}` is not a job status. Use pending, running, succeeded, failed or stopped (comma-separated).",
                        s.trim()
                    );
                    ResearchError::invalid(param, message)
                })
            })
            .collect()
    }

    /// True once the job can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed | JobStatus::Stopped)
    }
}

/// How far a job has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// Steps finished.
    pub step: u32,
    /// Steps in the plan.
    pub total: u32,
    pub percent: u32,
}

/// The artifact a job produced, in brief.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArtifactRef {
    pub id: String,
    pub rows: u64,
    pub bytes: u64,
}

/// Why a job failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobError {
    pub code: String,
    pub message: String,
}

/// The job object, as stored and as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Job {
    pub id: String,
    #[schema(example = "job")]
    pub object: String,
    pub thread_id: String,
    pub plan_id: String,
    pub status: JobStatus,
    pub progress: Progress,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Whole credits used so far.
    pub credits_used: u64,
    /// The plan's estimate, copied here so a job alone tells what it should cost.
    pub credits_estimate: u64,
    /// Ceiling set on approval; the job stops rather than exceed it.
    pub max_credits: Option<u64>,
    pub artifact: Option<ArtifactRef>,
    pub summary: Option<String>,
    pub error: Option<JobError>,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// False for jobs created with a test key (synthetic, free execution).
    pub livemode: bool,
    /// The message asked for the job to start without an explicit approval.
    pub auto_approve: bool,
    /// When a stop was asked for; the runner stops at its next checkpoint.
    pub stop_requested_at: Option<Timestamp>,
    /// `research` (a plan drafted from a conversation) or `scrape` (`POST /v1/scrape`).
    #[serde(default)]
    pub kind: JobKind,
    /// Scrape jobs: `single`, `bulk` or `sitemap` (`null` for research jobs).
    #[serde(rename = "type", default)]
    pub scrape_type: Option<ScrapeType>,
    /// Scrape jobs: URLs to read (for `sitemap` jobs, the pages the sitemaps list, once read).
    #[serde(default)]
    pub total_urls: Option<u64>,
    /// Scrape jobs: URLs read so far, successfully or not.
    #[serde(default)]
    pub processed_urls: Option<u64>,
    /// Scrape jobs: URLs whose page could be read.
    #[serde(default)]
    pub successful_urls: Option<u64>,
    /// Scrape jobs: URLs that could not be read (robots.txt, errors, not HTML).
    #[serde(default)]
    pub failed_urls: Option<u64>,
    /// Scrape jobs: leads stored so far (duplicates across URLs merged).
    #[serde(default)]
    pub leads_found: Option<u64>,
    /// Scrape jobs: `processed_urls` as a percentage of `total_urls`.
    #[serde(default)]
    pub progress_percentage: Option<u32>,
    /// Scrape jobs: when the job should end at its pace so far (`null` until a URL is read).
    #[serde(default)]
    pub estimated_completion: Option<Timestamp>,
}

/// What a job does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Runs a plan drafted from a research conversation.
    #[default]
    Research,
    /// Reads a list of URLs (`POST /v1/scrape`).
    Scrape,
}

/// What a new job is for.
#[derive(Clone, Debug)]
pub struct NewJob<'a> {
    pub thread_id: &'a str,
    pub plan_id: &'a str,
    /// Steps in the plan.
    pub steps: usize,
    pub credits_estimate: u64,
    pub livemode: bool,
    pub auto_approve: bool,
}

impl Job {
    /// A new pending job.
    pub fn pending(id: String, new: NewJob<'_>, now: Timestamp) -> Job {
        Job {
            id,
            object: "job".into(),
            thread_id: new.thread_id.into(),
            plan_id: new.plan_id.into(),
            status: JobStatus::Pending,
            progress: Progress { step: 0, total: new.steps as u32, percent: 0 },
            created_at: now,
            updated_at: now,
            started_at: None,
            finished_at: None,
            credits_used: 0,
            credits_estimate: new.credits_estimate,
            max_credits: None,
            artifact: None,
            summary: None,
            error: None,
            metadata: Map::new(),
            livemode: new.livemode,
            auto_approve: new.auto_approve,
            stop_requested_at: None,
            kind: JobKind::Research,
            scrape_type: None,
            total_urls: None,
            processed_urls: None,
            successful_urls: None,
            failed_urls: None,
            leads_found: None,
            progress_percentage: None,
            estimated_completion: None,
        }
    }
}

/// The organization's count of running jobs (held within the tier's concurrent-job limit).
pub(crate) fn running_key(org_id: &str) -> Key {
    Key::new(org_partition(org_id), "RUNNING")
}

/// The key of a job record.
pub fn job_key(org_id: &str, job_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("{JOB_SK}{job_id}"))
}

/// The write that creates a job (fails if the ID is taken).
pub fn create_op(org_id: &str, job: &Job) -> StoreResult<WriteOp> {
    Ok(WriteOp::Put { item: Item::from_record(job_key(org_id, &job.id), job)?, condition: Condition::Absent })
}

/// Reads a job.
pub async fn get(table: &dyn Table, org_id: &str, job_id: &str) -> StoreResult<Option<Job>> {
    table.get(&job_key(org_id, job_id)).await?.map(|item| item.to_record()).transpose()
}

/// Asks a running or pending job to stop at its next checkpoint. Returns the job as it now is,
/// or `None` when it does not exist. A job that has already ended is returned unchanged.
pub async fn request_stop(table: &dyn Table, org_id: &str, job_id: &str, now: Timestamp) -> StoreResult<Option<Job>> {
    let Some(job) = get(table, org_id, job_id).await? else { return Ok(None) };
    if job.status.is_terminal() || job.stop_requested_at.is_some() {
        return Ok(Some(job));
    }
    let update = Update::new().set("stop_requested_at", now.to_string()).set("updated_at", now.to_string());
    match table.update(&job_key(org_id, job_id), update, Condition::equals("status", job.status.as_str())).await {
        Ok(item) => Ok(Some(item.to_record()?)),
        // The status moved under us; report the job as it is now.
        Err(StoreError::ConditionFailed) => get(table, org_id, job_id).await,
        Err(e) => Err(e),
    }
}

/// Ends a running or pending job as `stopped` without its runner (used when the runner no longer
/// answers the stop flag): status, the organization's running count and the event, in one
/// transaction on the job's status. A job that already ended is left as it is.
pub async fn mark_stopped(table: &dyn Table, org_id: &str, job_id: &str, reason: &str, now: Timestamp) -> StoreResult<()> {
    let Some(mut job) = get(table, org_id, job_id).await? else { return Ok(()) };
    if job.status.is_terminal() {
        return Ok(());
    }
    let was = job.status;
    job.status = JobStatus::Stopped;
    job.finished_at = Some(now);
    job.updated_at = now;
    job.summary = Some(reason.to_string());
    let update = Update::new()
        .set("status", JobStatus::Stopped.as_str())
        .set("finished_at", now.to_string())
        .set("updated_at", now.to_string())
        .set("summary", reason)
        .set("run_position", "done")
        .remove(quarry_ports::table::GSI1_PK)
        .remove(quarry_ports::table::GSI1_SK);
    let mut ops = vec![WriteOp::Update { key: job_key(org_id, job_id), update, condition: Condition::equals("status", was.as_str()) }];
    if was == JobStatus::Running {
        ops.push(WriteOp::Update { key: running_key(org_id), update: Update::new().add("count", -1), condition: Condition::None });
    }
    ops.extend(crate::events::Event::new(crate::events::EventType::JobStopped, &job, job.livemode, now)?.record_ops(org_id)?);
    match table.transact(ops).await {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

/// What the listed URLs are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScrapeType {
    /// One page.
    Single,
    /// A list of pages.
    Bulk,
    /// Sitemaps (or sites, whose sitemaps are then found): every page they list is read.
    Sitemap,
}

impl ScrapeType {
    pub(crate) fn parse(raw: &str) -> Option<ScrapeType> {
        match raw {
            "single" => Some(ScrapeType::Single),
            "bulk" => Some(ScrapeType::Bulk),
            "sitemap" => Some(ScrapeType::Sitemap),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ScrapeType::Single => "single",
            ScrapeType::Bulk => "bulk",
            ScrapeType::Sitemap => "sitemap",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_filters_accept_the_other_products_names() {
        assert_eq!(JobStatus::parse_filter("processing"), Some(JobStatus::Running));
        assert_eq!(JobStatus::parse_filter("Complete"), Some(JobStatus::Succeeded));
        assert_eq!(JobStatus::parse_filter("cancelled"), Some(JobStatus::Stopped));
        assert_eq!(JobStatus::parse_filter("done"), None);
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse_filter(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), Value::String(s.as_str().into()));
        }
    }
}

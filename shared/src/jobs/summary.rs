//! The summary of a job: what it found, how complete the data is, and what to keep in mind —
//! written from the job's record, its plan and its leads, never from a template of hopes.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Job, JobStatus};
use crate::leads::Lead;
use crate::plans::Plan;
use quarry_planner::RulePlanner;

/// `GET /v1/jobs/{job_id}/summary`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct JobSummary {
    #[schema(example = "job_summary")]
    pub object: &'static str,
    pub job_id: String,
    pub status: JobStatus,
    /// Artifact rows (one per company).
    pub rows: u64,
    /// Lead records (one per person found, or per company when no people were asked for).
    pub leads: u64,
    /// The one-line summary of the job.
    pub summary: Option<String>,
    /// How complete the data is, per requested role.
    pub coverage: Vec<String>,
    /// What to keep in mind when using the result.
    pub caveats: Vec<String>,
}

/// Summarises `job` from its plan, its leads and what its live sources reported (`source_notes`:
/// files that could not be read, rows skipped, sources missing).
pub fn summarize(job: &Job, plan: &Plan, leads: &[Lead], source_notes: &[String]) -> JobSummary {
    let rows = job.artifact.as_ref().map_or(0, |a| a.rows);
    let coverage = plan
        .criteria
        .roles
        .iter()
        .map(|role| {
            let found: Vec<&Lead> =
                leads.iter().filter(|l| l.person.as_ref().and_then(|p| p.role.as_deref()) == Some(role.title.as_str())).collect();
            let emails = found.iter().filter(|l| l.person.as_ref().is_some_and(|p| p.email.is_some())).count();
            format!("{}: found at {} of {rows} companies, {emails} with an email.", role.title, found.len())
        })
        .collect();
    JobSummary {
        object: "job_summary",
        job_id: job.id.clone(),
        status: job.status,
        rows,
        leads: leads.len() as u64,
        summary: job.summary.clone(),
        coverage,
        caveats: caveats(job, plan, rows, source_notes),
    }
}

fn caveats(job: &Job, plan: &Plan, rows: u64, source_notes: &[String]) -> Vec<String> {
    let mut out = source_notes.to_vec();
    if !job.livemode {
        out.push("Test mode: every row is synthetic (plausible, deterministic, never a real company or person).".into());
    }
    let planned = u64::from(RulePlanner::planned_rows(&plan.criteria));
    if job.status == JobStatus::Succeeded && rows < planned {
        out.push(format!("{rows} rows were found of the {planned} the plan asked for."));
    }
    match job.status {
        JobStatus::Stopped => out.push("The job was stopped: the artifact holds the rows collected until then.".into()),
        JobStatus::Failed => out.push("The job failed: its credits were refunded.".into()),
        JobStatus::Pending | JobStatus::Running => out.push("The job has not ended yet: these figures will change.".into()),
        JobStatus::Succeeded => {}
    }
    out
}

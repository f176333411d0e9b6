//! The one-shot search: from a prompt to leads in one call. It runs the same pipeline as the
//! conversation (a thread, the planner, the job started at once, the step worker) and then waits
//! for the job to end, within a budget that fits inside API Gateway's 29 s.

use std::time::Duration;

use super::Operations;
use crate::accounts::{Caller, Organization};
use crate::error::{ResearchError, ResearchResult};
use crate::jobs::artifact::{Artifact, Format};
use crate::jobs::{Approval, Job};
use crate::leads::Lead;
use crate::research::{NewMessage, NewThread, MAX_CONTENT_CHARS, MAX_TITLE_CHARS};
use quarry_planner::Hints;

/// Longest a sync search waits for its job on Lambda before answering with the running job
/// instead (the local server waits as long as `QUARRY_SEARCH_WAIT_SECS` says).
pub const SYNC_BUDGET: Duration = Duration::from_secs(25);
/// How often a sync search looks at its job.
const POLL_EVERY: Duration = Duration::from_millis(250);
/// Row cap of one search, and the default.
pub const MAX_SEARCH_ROWS: u32 = 2_000;
const DEFAULT_SEARCH_ROWS: u32 = 200;

/// How long the caller waits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Wait {
    /// Until the job ends, at most [`SYNC_BUDGET`] (on the local server, its own bound).
    #[default]
    Sync,
    /// Not at all: the job is answered as it starts.
    Async,
}

/// A search, checked: a prompt of 1 to [`MAX_CONTENT_CHARS`] characters, 1 to
/// [`MAX_SEARCH_ROWS`] rows, `max_credits` of at least 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    prompt: String,
    rows: u32,
    max_credits: Option<u64>,
    wait: Wait,
    format: Format,
}

impl SearchQuery {
    pub fn parse(
        prompt: String,
        max_rows: Option<u32>,
        max_credits: Option<u64>,
        wait: Option<Wait>,
        format: Option<Format>,
    ) -> ResearchResult<Self> {
        let rows = max_rows.unwrap_or(DEFAULT_SEARCH_ROWS);
        if rows == 0 || rows > MAX_SEARCH_ROWS {
            return Err(ResearchError::invalid("max_rows", format!("`max_rows` must be from 1 to {MAX_SEARCH_ROWS}.")));
        }
        if max_credits == Some(0) {
            return Err(ResearchError::invalid("max_credits", "`max_credits` must be at least 1."));
        }
        if prompt.trim().is_empty() {
            return Err(ResearchError::Unprocessable {
                param: "prompt".into(),
                message: "`prompt` is blank. Describe who you are looking for, e.g. \"CTOs of US Series B dev-tools companies\".".into(),
            });
        }
        if prompt.chars().count() > MAX_CONTENT_CHARS {
            return Err(ResearchError::invalid("prompt", format!("`prompt` must be 1 to {MAX_CONTENT_CHARS} characters.")));
        }
        Ok(SearchQuery { prompt, rows, max_credits, wait: wait.unwrap_or_default(), format: format.unwrap_or(Format::Json) })
    }
}

/// What a search found: the job, and once it has ended its leads (`json`) and its artifact with
/// a download link in the requested format.
pub struct SearchOutcome {
    pub job: Job,
    pub leads: Option<Vec<Lead>>,
    pub artifact: Option<Artifact>,
    /// The CSV file itself, for a `csv` search that waited and ended with an artifact.
    pub csv: Option<bytes::Bytes>,
}

impl SearchOutcome {
    /// Whether the job ended within the wait (otherwise the caller polls the job).
    pub fn ended(&self) -> bool {
        self.job.status.is_terminal()
    }
}

impl Operations {
    /// Runs a search: a thread titled after the prompt, the prompt as its message, the job
    /// started at once, then (`sync`) a wait for its end within the search wait.
    pub async fn search(&self, caller: &Caller, org: &Organization, request: SearchQuery) -> ResearchResult<SearchOutcome> {
        let title: String = request.prompt.chars().take(MAX_TITLE_CHARS).collect();
        let thread = self.research.create_thread(caller, NewThread { title: Some(title), metadata: None }).await?;
        let message = NewMessage {
            content: request.prompt,
            hints: Some(Hints { max_rows: Some(request.rows), preferred_sources: Vec::new() }),
            ..NewMessage::default()
        };
        let posted = self.research.post_message(caller, &thread.id, message).await?;
        let approval = Approval { max_credits: request.max_credits, ..Approval::default() };
        let mut job = self.jobs.approve(caller, org, &posted.job.id, approval).await?;
        if request.wait == Wait::Sync {
            let deadline = tokio::time::Instant::now() + self.search_wait;
            while !job.status.is_terminal() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(POLL_EVERY).await;
                job = self.jobs.job(caller, &job.id).await?;
            }
        }
        if !job.status.is_terminal() {
            return Ok(SearchOutcome { job, leads: None, artifact: None, csv: None });
        }
        let leads = match request.format {
            Format::Json => Some(self.jobs.leads(&org.id, &job.id).await?),
            _ => None,
        };
        let artifact = match &job.artifact {
            Some(a) => Some(self.jobs.artifact(caller, &a.id, request.format).await?),
            None => None,
        };
        let csv = match (&artifact, request.format, request.wait) {
            (Some(a), Format::Csv, Wait::Sync) => {
                crate::jobs::artifact::read_file(self.blobs.as_ref(), &org.id, &a.id, Format::Csv).await?
            }
            _ => None,
        };
        Ok(SearchOutcome { job, leads, artifact, csv })
    }
}

//! Operations that span several services, as the API offers them: starting a job with its own
//! webhook, posting a message with auto-approval, starting a URL scrape, the one-shot search, and
//! sharing an artifact (only while its thread is not being deleted).
//! Each takes parsed input (the types here and in `jobs::scrape` are the rules: a value that
//! exists is valid) and is one call from its handler. The services below (research, jobs,
//! webhooks) do not know this module; only the HTTP layer calls it.

mod search;
mod start;

use std::sync::Arc;

pub use search::{SearchOutcome, SearchQuery, Wait, MAX_SEARCH_ROWS, SYNC_BUDGET};
pub use start::{ApprovedJob, StartRequest};

use crate::accounts::{Caller, Organization};
use crate::error::{ResearchError, ResearchResult};
use crate::jobs::artifact::Artifact;
use crate::jobs::scrape::ScrapeRequest;
use crate::jobs::{Approval, Artifacts, Jobs};
use crate::research::{NewMessage, Posted, Research};
use crate::webhooks::Endpoints;
use quarry_ports::Blobs;

/// The services an operation combines. Cheap to clone.
#[derive(Clone)]
pub struct Operations {
    research: Research,
    jobs: Jobs,
    artifacts: Artifacts,
    endpoints: Endpoints,
    blobs: Arc<dyn Blobs>,
    /// How long a `wait: sync` search waits for its job.
    search_wait: std::time::Duration,
}

impl Operations {
    /// Operations whose sync searches wait [`SYNC_BUDGET`] (inside API Gateway's 29 s).
    pub fn new(research: Research, jobs: Jobs, artifacts: Artifacts, endpoints: Endpoints, blobs: Arc<dyn Blobs>) -> Self {
        Operations { research, jobs, artifacts, endpoints, blobs, search_wait: SYNC_BUDGET }
    }

    /// The same operations with sync searches waiting up to `wait` (the local server's own
    /// bound: no gateway cuts its requests short).
    pub fn with_search_wait(mut self, wait: std::time::Duration) -> Self {
        self.search_wait = wait;
        self
    }

    /// Posts a user message; with `auto_approve`, also starts the job it drafted. The message,
    /// plan and job are stored whatever happens next: a job that cannot start (credits,
    /// concurrency) stays pending, and approving it by hand gives the reason.
    pub async fn post_message(&self, caller: &Caller, org: &Organization, thread_id: &str, new: NewMessage) -> ResearchResult<Posted> {
        let mut posted = self.research.post_message(caller, thread_id, new).await?;
        if posted.message.auto_approve {
            match self.jobs.approve(caller, org, &posted.job.id, Approval::default()).await {
                Ok(job) => posted.job = job,
                Err(e) => tracing::info!(job_id = %posted.job.id, error = ?e, "auto-approval did not start the job"),
            }
        }
        Ok(posted)
    }

    /// Marks an artifact of the caller shareable with the organization's publishable keys, or
    /// not. An artifact whose thread is being deleted is not found to share (its thread's delete
    /// has unshared it, and the cascade is removing it); unsharing always works.
    pub async fn share_artifact(&self, caller: &Caller, artifact_id: &str, shareable: bool) -> ResearchResult<Artifact> {
        if shareable {
            let artifact = self.artifacts.get(caller, artifact_id).await?;
            self.research.thread(caller, &artifact.thread_id).await.map_err(|_| ResearchError::NotFound {
                what: "Artifact",
                id: artifact_id.to_string(),
                param: "artifact_id",
            })?;
        }
        self.artifacts.set_shareable(caller, artifact_id, shareable).await
    }

    /// Creates a scrape job and starts it at once. A scrape that cannot start now (credits,
    /// concurrent jobs) is stopped rather than left pending, and the reason is the error.
    pub async fn start_scrape(
        &self,
        caller: &Caller,
        org: &Organization,
        request: &ScrapeRequest,
        start: StartRequest,
    ) -> ResearchResult<ApprovedJob> {
        let job = self.research.create_scrape(self.blobs.as_ref(), caller, request).await?;
        match self.start_job(caller, org, &job.id, start).await {
            Ok(started) => Ok(started),
            Err(e) => {
                self.jobs.stop(caller, &job.id).await?;
                Err(e)
            }
        }
    }
}

//! Starting a URL scrape as research: its thread (titled after it), the request as the thread's
//! message, its plan and pending job, and the saved request the job runner reads.

use serde_json::json;

use super::{Caller, NewThread, Research, ResearchResult};
use crate::jobs::scrape::{self, ScrapeRequest};
use crate::jobs::{job_key, Job};
use crate::ownership::BLOB_KEYS;
use quarry_ports::{Blobs, Condition, StoreError, Update};

impl Research {
    /// Creates a scrape: its thread (titled after it), the request as the thread's message, its plan
    /// and its pending job, and the saved request the runner reads. Approving it is the caller's next
    /// step (the API does it at once).
    pub async fn create_scrape(&self, blobs: &dyn Blobs, caller: &Caller, request: &ScrapeRequest) -> ResearchResult<Job> {
        let thread = self.create_thread(caller, NewThread { title: Some(request.title()), metadata: None }).await?;
        let posted = self.post_drafted(caller, &thread.id, request.describe(), request.plan(), |job| request.shape(job)).await?;
        let job = posted.job;
        let saved = scrape::request_blob(&caller.org_id, &job.id)?;
        let bytes = serde_json::to_vec(request).map_err(|e| StoreError::Backend(e.to_string()))?;
        blobs.put(&saved, bytes.into(), "application/json").await?;
        // The job owns its request and target list: a thread delete removes them with it.
        let owned = json!([saved.as_str(), scrape::targets_blob(&caller.org_id, &job.id)?.as_str()]);
        self.table.update(&job_key(&caller.org_id, &job.id), Update::new().set(BLOB_KEYS, owned), Condition::Exists).await?;
        Ok(job)
    }
}

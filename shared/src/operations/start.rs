//! Starting a pending job, optionally with a webhook endpoint of its own that receives the job's
//! events (its signing secret is answered once, with the started job).

use serde::Serialize;
use utoipa::ToSchema;

use super::Operations;
use crate::accounts::{Caller, Organization};
use crate::error::{ResearchError, ResearchResult};
use crate::jobs::{Approval, Job};

/// How to start a job, checked: a `webhook_url` is an absolute http(s) URL, `max_credits` is at
/// least 1.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StartRequest {
    approval: Approval,
}

impl StartRequest {
    /// Checks the optional fields of an approval as a client sent them.
    pub fn parse(
        webhook_url: Option<String>,
        max_credits: Option<u64>,
        metadata: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> ResearchResult<StartRequest> {
        if let Some(url) = &webhook_url {
            if quarry_engine::net::web_url(url).is_none() {
                let message = "`webhook_url` must be an absolute http or https URL with a host.".to_string();
                return Err(crate::filters::url_error(url, "webhook_url", message));
            }
        }
        if max_credits == Some(0) {
            return Err(ResearchError::invalid("max_credits", "`max_credits` must be at least 1."));
        }
        if let Some(changes) = &metadata {
            crate::metadata::validate(changes, true)?;
        }
        Ok(StartRequest { approval: Approval { webhook_url, max_credits, metadata } })
    }
}

/// The answer to an approval: the job, and when a `webhook_url` was given, the endpoint made for
/// it and that endpoint's signing secret (shown here only).
#[derive(Serialize, ToSchema)]
pub struct ApprovedJob {
    #[serde(flatten)]
    pub job: Job,
    /// The job-scoped webhook endpoint that delivers this job's events to `webhook_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    /// Verifies the deliveries to `webhook_url` (`Leadex-Signature` / `webhook-signature`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_signing_secret: Option<String>,
}

impl Operations {
    /// Approves a pending job. With a `webhook_url`, the job must exist before anything is
    /// created, and the endpoint made for it is removed again if the job cannot start.
    pub async fn start_job(&self, caller: &Caller, org: &Organization, job_id: &str, start: StartRequest) -> ResearchResult<ApprovedJob> {
        let approval = start.approval;
        let endpoint = match &approval.webhook_url {
            Some(url) => {
                self.jobs.job(caller, job_id).await?; // 404 before creating anything
                Some(self.endpoints.create_for_job(caller, job_id, url).await?)
            }
            None => None,
        };
        match self.jobs.approve(caller, org, job_id, approval).await {
            Ok(job) => Ok(ApprovedJob {
                job,
                webhook_id: endpoint.as_ref().map(|e| e.endpoint.id.clone()),
                webhook_signing_secret: endpoint.map(|e| e.signing_secret),
            }),
            Err(e) => {
                if let Some(endpoint) = endpoint {
                    self.endpoints.delete(caller, &endpoint.endpoint.id).await?;
                }
                Err(e)
            }
        }
    }
}

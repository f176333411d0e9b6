//! The one error of the domain's API-facing operations (research, jobs, webhooks, leads): what
//! did not happen and why, in terms the HTTP layer maps to a status and an error code in one
//! place (`http::error`). Storage failures pass through as [`ResearchError::Store`].

use quarry_ports::StoreError;

/// Why a research operation did not happen. The HTTP layer maps each to its status and code.
#[derive(Debug)]
pub enum ResearchError {
    /// 400: a request field is invalid; `param` names it.
    Invalid {
        param: String,
        message: String,
    },
    /// 404: the object does not exist in the caller's organization.
    NotFound {
        what: &'static str,
        id: String,
        param: &'static str,
    },
    /// 422: a request field is well-formed but cannot be acted on (a blank prompt); `param`
    /// names it.
    Unprocessable {
        param: String,
        message: String,
    },
    /// 409: the object is not in a state that allows the operation.
    Conflict(String),
    /// 422: the planner declined the request; the message says what is missing.
    Rejected(String),
    /// 429: the organization's daily plan quota is used up until `retry_after_secs` from now.
    PlanQuota {
        limit: u32,
        retry_after_secs: i64,
    },
    /// 429: the tier's concurrent-job limit is reached.
    TooManyJobs {
        limit: u32,
    },
    /// 402: not enough credits left this month for a live job.
    InsufficientCredits(String),
    Store(StoreError),
}

impl From<StoreError> for ResearchError {
    fn from(e: StoreError) -> Self {
        ResearchError::Store(e)
    }
}

impl ResearchError {
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        ResearchError::Invalid { param: param.into(), message: message.into() }
    }

    /// A 422: the value has the documented form but cannot be used (blank text, a time that must
    /// be in the future, a URL of a host that is not allowed). What the OpenAPI schema forbids is
    /// a 400 ([`Self::invalid`]); what it allows and the rules still refuse is this.
    pub fn unprocessable(param: impl Into<String>, message: impl Into<String>) -> Self {
        ResearchError::Unprocessable { param: param.into(), message: message.into() }
    }

    pub(crate) fn thread_not_found(id: &str) -> Self {
        ResearchError::NotFound { what: "Thread", id: id.to_string(), param: "thread_id" }
    }

    pub(crate) fn plan_not_found(id: &str) -> Self {
        ResearchError::NotFound { what: "Plan", id: id.to_string(), param: "plan_id" }
    }
}

pub type ResearchResult<T> = Result<T, ResearchError>;

//! Research conversations: threads, their messages, the plans the planner drafts from them, and
//! the pending jobs those plans are attached to.
//!
//! A user message is stored together with everything it causes (the plan, the pending job, the
//! assistant's reply, the thread's counters and the catalog events) in ONE transaction, so a crash
//! or a retry never leaves a plan without its job or a thread whose counters lie. Deleting a
//! thread marks it and hands the cascade to the step worker ([`cascade`]), so a thread of any size
//! is deleted without a request timing out.
//!
//! Storage layout (all in the organization's partition `ORG#<org_id>`; see TABLE_LAYOUT.md):
//! `THR#<thread>` threads, `MSG#<thread>#<message>` messages (chronological by sort key),
//! `PLN#<plan>` plans, `JOB#<job>` jobs, and `THRC#<thread>#<child sort key>` pointers from a
//! thread to each plan, job (and later artifact) it owns, which the cascade follows.

pub mod cascade;
mod children;
pub use children::pointer_op as child_pointer_op;
mod conversation;
mod messages;
pub(crate) mod plans;
mod quota;
mod threads;

use std::sync::Arc;

pub use conversation::{NewMessage, Posted, MAX_ATTACHMENTS, MAX_CONTENT_CHARS, MAX_FEEDBACK_CHARS};
pub use messages::{Message, MessageKind, Role};
pub use plans::{Plan, PlanRejectedObject};
pub use threads::{DeletedThread, NewThread, Thread, ThreadFilter, ThreadPatch, MAX_METADATA_PAIRS, MAX_TITLE_CHARS};

use quarry_planner::Planner;
use quarry_ports::clock::SharedClock;
use quarry_ports::{Queue, StoreError, Table};

/// Who is asking: the organization, whether the key is live, and the tier's daily plan quota.
#[derive(Clone, Debug)]
pub struct Caller {
    pub org_id: String,
    pub livemode: bool,
    /// Plans the organization may draft per UTC day; `None` when unlimited.
    pub plans_per_day: Option<u32>,
}

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
    pub(crate) fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        ResearchError::Invalid { param: param.into(), message: message.into() }
    }

    pub(crate) fn thread_not_found(id: &str) -> Self {
        ResearchError::NotFound { what: "Thread", id: id.to_string(), param: "thread_id" }
    }

    pub(crate) fn plan_not_found(id: &str) -> Self {
        ResearchError::NotFound { what: "Plan", id: id.to_string(), param: "plan_id" }
    }
}

pub type ResearchResult<T> = Result<T, ResearchError>;

/// The research service over the storage ports, the clock and a planner.
#[derive(Clone)]
pub struct Research {
    table: Arc<dyn Table>,
    steps: Arc<dyn Queue>,
    clock: SharedClock,
    planner: Arc<dyn Planner>,
}

impl Research {
    pub fn new(table: Arc<dyn Table>, steps: Arc<dyn Queue>, clock: SharedClock, planner: Arc<dyn Planner>) -> Self {
        Research { table, steps, clock, planner }
    }

    fn now(&self) -> quarry_ports::clock::Timestamp {
        self.clock.now().into()
    }
}

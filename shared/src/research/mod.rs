//! Research conversations: threads, their messages, the plans the planner drafts from them, and
//! the pending jobs those plans are attached to.
//!
//! A user message is stored together with everything it causes (the plan, the pending job, the
//! assistant's reply, the thread's counters and the catalog events) in ONE transaction, so a crash
//! or a retry never leaves a plan without its job or a thread whose counters lie. Deleting a
//! thread marks it and hands the cascade to the step worker ([`cascade`]), so a thread of any size
//! is deleted without a request timing out.
//!
//! Storage layout (all in the organization's partition `ORG#<org_id>`; see `shared/store/TABLE_LAYOUT.md`):
//! `THR#<thread>` threads, `MSG#<thread>#<message>` messages (chronological by sort key),
//! `PLN#<plan>` plans, `JOB#<job>` jobs, and `THRC#<thread>#<child sort key>` pointers from a
//! thread to each plan, job and artifact it owns (`crate::ownership`), which the cascade follows.

pub mod cascade;
mod conversation;
mod messages;
mod plans;
mod quota;
mod scrape;
mod threads;

use std::sync::Arc;

pub use crate::metadata::MAX_METADATA_PAIRS;
pub use crate::plans::{Plan, PlanRejectedObject};
pub use conversation::{NewMessage, Posted, MAX_ATTACHMENTS, MAX_CONTENT_CHARS, MAX_FEEDBACK_CHARS};
pub use messages::{Message, MessageKind, Role};
pub use threads::{DeletedThread, NewThread, Thread, ThreadFilter, ThreadPatch, MAX_TITLE_CHARS};

use quarry_engine::net::TargetPolicy;
use quarry_planner::Planner;
use quarry_ports::clock::SharedClock;
use quarry_ports::{Queue, Table};

pub use crate::accounts::Caller;
pub use crate::error::{ResearchError, ResearchResult};

/// The research service over the storage ports, the clock and a planner.
#[derive(Clone)]
pub struct Research {
    table: Arc<dyn Table>,
    steps: Arc<dyn Queue>,
    /// Where webhook fan-out nudges go ([`Research::with_notifications`]; the steps queue unless
    /// set), so notifications can have a lane of their own beside job chunks.
    notifications: Arc<dyn Queue>,
    clock: SharedClock,
    planner: Arc<dyn Planner>,
    /// Which attachment URLs are accepted: an internal address written as an IP literal is
    /// refused when the message is posted, not only when the worker would fetch it.
    policy: TargetPolicy,
}

impl Research {
    /// Research with the default outbound policy (public addresses only).
    pub fn new(table: Arc<dyn Table>, steps: Arc<dyn Queue>, clock: SharedClock, planner: Arc<dyn Planner>) -> Self {
        Research { table, notifications: steps.clone(), steps, clock, planner, policy: TargetPolicy::default() }
    }

    /// The same research sending its webhook fan-out nudges to `queue` (the deliveries queue in
    /// the API: notifications then never wait behind job chunks on the steps queue).
    pub fn with_notifications(mut self, queue: Arc<dyn Queue>) -> Self {
        self.notifications = queue;
        self
    }

    /// The same research judging attachment URLs by `policy` (test suites allow loopback).
    pub fn with_target_policy(mut self, policy: TargetPolicy) -> Self {
        self.policy = policy;
        self
    }

    fn now(&self) -> quarry_ports::clock::Timestamp {
        self.clock.now().into()
    }
}

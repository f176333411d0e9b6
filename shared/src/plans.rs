//! The plan record: what the planner drafted for a thread turn, attached to one pending job.
//! Research writes plans; jobs read the plan they run. Both import this module.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::org_partition;
use crate::error::ResearchResult;
use quarry_planner::{Criteria, PlanStep};
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, WriteOp};

pub const PLAN_SK: &str = "PLN#";

/// The plan object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub id: String,
    #[schema(example = "plan")]
    pub object: String,
    /// The pending job that runs this plan once approved.
    pub job_id: String,
    pub thread_id: String,
    /// The user message (or replan feedback) the plan answers.
    pub message_id: String,
    pub title: String,
    pub steps: Vec<PlanStep>,
    /// Whole credits the plan is expected to cost.
    pub credits_estimate: u64,
    /// How the request was read: audience, places, sizes, roles, signals, row cap. Additive field.
    pub criteria: Criteria,
    /// `rules` or `llm`: which planner drafted it.
    pub planner: String,
    /// The plan this one replaces, when it came from `POST /v1/plans/{id}/replan`.
    pub replan_of: Option<String>,
    pub created_at: Timestamp,
}

/// The object of a `plan.rejected` event: what was asked and why the planner declined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanRejectedObject {
    #[schema(example = "plan_rejection")]
    pub object: String,
    pub thread_id: String,
    /// The request that was declined (message content or replan feedback).
    pub content: String,
    /// Set when the rejected request was feedback on this plan.
    pub replan_of: Option<String>,
    /// What is missing, as the caller was told.
    pub reason: String,
    pub created_at: Timestamp,
}

pub fn plan_key(org_id: &str, plan_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("{PLAN_SK}{plan_id}"))
}

impl Plan {
    pub fn create_op(&self, org_id: &str) -> ResearchResult<WriteOp> {
        Ok(WriteOp::Put { item: Item::from_record(plan_key(org_id, &self.id), self)?, condition: Condition::Absent })
    }
}

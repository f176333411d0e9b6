//! Plans: what the planner drafted for a thread turn, attached to one pending job.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Research, ResearchError, ResearchResult};
use crate::accounts::org_partition;
use crate::ids::prefix;
use quarry_planner::{Criteria, PlanStep};
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, WriteOp};

pub(super) const PLAN_SK: &str = "PLN#";

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

pub(crate) fn plan_key(org_id: &str, plan_id: &str) -> Key {
    Key::new(org_partition(org_id), format!("{PLAN_SK}{plan_id}"))
}

impl Plan {
    pub(super) fn create_op(&self, org_id: &str) -> ResearchResult<WriteOp> {
        Ok(WriteOp::Put { item: Item::from_record(plan_key(org_id, &self.id), self)?, condition: Condition::Absent })
    }
}

impl Research {
    /// A plan of the organization (plans of threads being deleted are gone already).
    pub async fn plan(&self, org_id: &str, plan_id: &str) -> ResearchResult<Plan> {
        if !crate::ids::has_prefix(plan_id, prefix::PLAN) {
            return Err(ResearchError::plan_not_found(plan_id));
        }
        let plan: Plan = match self.table.get(&plan_key(org_id, plan_id)).await? {
            Some(item) => item.to_record()?,
            None => return Err(ResearchError::plan_not_found(plan_id)),
        };
        // A plan whose thread is being deleted is as good as gone.
        match super::threads::load(self, org_id, &plan.thread_id).await? {
            Some(t) if t.state == super::threads::ACTIVE => Ok(plan),
            _ => Err(ResearchError::plan_not_found(plan_id)),
        }
    }
}

//! Reading plans through research: a plan of a thread being deleted is as good as gone.

use super::{Research, ResearchError, ResearchResult};
use crate::ids::prefix;
use crate::plans::{plan_key, Plan};

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

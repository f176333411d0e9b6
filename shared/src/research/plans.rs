//! Reading plans through research: a plan of a thread being deleted is as good as gone.

use super::{Caller, Research, ResearchError, ResearchResult};
use crate::ids::prefix;
use crate::plans::{plan_key, Plan};

impl Research {
    /// A plan of the caller (plans of threads being deleted, or of the other mode's threads, are
    /// not found).
    pub async fn plan(&self, caller: &Caller, plan_id: &str) -> ResearchResult<Plan> {
        if !crate::ids::has_prefix(plan_id, prefix::PLAN) {
            return Err(ResearchError::plan_not_found(plan_id));
        }
        let plan: Plan = match self.table.get(&plan_key(&caller.org_id, plan_id)).await? {
            Some(item) => item.to_record()?,
            None => return Err(ResearchError::plan_not_found(plan_id)),
        };
        // A plan whose thread is being deleted is as good as gone; its thread carries the mode.
        match super::threads::load(self, caller, &plan.thread_id).await? {
            Some(t) if t.state == super::threads::ACTIVE => Ok(plan),
            _ => Err(ResearchError::plan_not_found(plan_id)),
        }
    }
}

//! The tier's plans-per-day quota: one counter item per organization per UTC day, incremented
//! atomically with a condition so concurrent requests cannot overshoot it. Every planner run
//! counts, including declined prompts, because each one costs the same work.

use super::{Caller, Research, ResearchError, ResearchResult};
use crate::accounts::org_partition;
use quarry_ports::{Condition, Key, StoreError, Update};

/// Counters outlive their day by this much, then expire.
const COUNTER_TTL_SECS: i64 = 2 * 24 * 3600;

impl Research {
    /// Counts one planner run against the caller's daily quota, or says when it frees up.
    pub(super) async fn count_plan(&self, caller: &Caller) -> ResearchResult<()> {
        let Some(limit) = caller.plans_per_day else { return Ok(()) };
        let now = self.clock.unix();
        let day = now.div_euclid(86_400);
        let next_day = (day + 1) * 86_400;
        let key = Key::new(org_partition(&caller.org_id), format!("PLANS#{day}"));
        let update = Update::new().add("count", 1).set("ttl", next_day + COUNTER_TTL_SECS);
        match self.table.update(&key, update, Condition::counter_within("count", 1, limit as i64)).await {
            Ok(_) => Ok(()),
            Err(StoreError::ConditionFailed) => Err(ResearchError::PlanQuota { limit, retry_after_secs: next_day - now }),
            Err(e) => Err(e.into()),
        }
    }
}

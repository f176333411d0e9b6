//! The organization's monthly budget: a ceiling on the credits one period may use, and the
//! hard-stop threshold (a percentage of the ceiling) at which new live approvals are refused and
//! running live jobs stop at their next checkpoint. The warning alert fires at
//! [`WARNING_PERCENT`] of the ceiling.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::period::Period;
use super::{Billing, PeriodCounters};
use crate::accounts::{org_partition, Organization};
use crate::error::{ResearchError, ResearchResult};
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, StoreResult};

/// Percentage of the ceiling at which `usage.budget.warning` is recorded.
pub const WARNING_PERCENT: u32 = 80;
/// The hard stop when none is set: at the ceiling itself.
pub const DEFAULT_HARD_STOP_PERCENT: u32 = 100;
/// Highest ceiling accepted (a typo's extra zeros are refused rather than stored).
pub const MAX_CEILING: u64 = 1_000_000_000;

pub(super) fn budget_key(org_id: &str) -> Key {
    Key::new(org_partition(org_id), "BUDGET")
}

/// The budget as stored. No ceiling means no budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    pub monthly_ceiling: Option<u64>,
    pub hard_stop_threshold: u32,
    pub updated_at: Option<Timestamp>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { monthly_ceiling: None, hard_stop_threshold: DEFAULT_HARD_STOP_PERCENT, updated_at: None }
    }
}

/// Body of `PUT /v1/usage/budget`.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
pub struct BudgetSettings {
    /// Credits one month may use; `null` removes the budget.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub monthly_ceiling: Option<u64>,
    /// Percentage of the ceiling (1–100, default 100) at which new live approvals are refused
    /// and running live jobs stop.
    #[schema(minimum = 1, maximum = 100)]
    pub hard_stop_threshold: Option<u32>,
}

impl BudgetSettings {
    /// The budget these settings ask for, or the field that is out of range.
    pub fn parse(self, now: Timestamp) -> ResearchResult<Budget> {
        if self.monthly_ceiling.is_some_and(|c| c > MAX_CEILING) {
            return Err(ResearchError::invalid("monthly_ceiling", format!("`monthly_ceiling` must be at most {MAX_CEILING} credits.")));
        }
        let threshold = self.hard_stop_threshold.unwrap_or(DEFAULT_HARD_STOP_PERCENT);
        if !(1..=100).contains(&threshold) {
            return Err(ResearchError::invalid("hard_stop_threshold", "`hard_stop_threshold` is a percentage of the ceiling, 1 to 100."));
        }
        Ok(Budget { monthly_ceiling: self.monthly_ceiling, hard_stop_threshold: threshold, updated_at: Some(now) })
    }
}

/// Where the period stands against its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BudgetStatus {
    /// Under the warning threshold, or no budget.
    Ok,
    /// At or past the warning threshold.
    Warning,
    /// The hard stop is reached: live approvals are refused, running live jobs stop.
    Exceeded,
}

/// A date range of the API: both days inclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DateRange {
    #[schema(example = "2026-12-01")]
    pub from: String,
    #[schema(example = "2026-12-31")]
    pub to: String,
}

impl DateRange {
    pub fn of(period: Period) -> Self {
        DateRange { from: period.first_day().to_string(), to: period.last_day().to_string() }
    }
}

/// The budget object of `GET /v1/usage/budget` (and of the budget events).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct BudgetObject {
    #[schema(example = "budget")]
    pub object: &'static str,
    /// Credits one month may use; `null` when no budget is set.
    pub monthly_ceiling: Option<u64>,
    /// Percentage of the ceiling at which live approvals are refused and live jobs stop.
    pub hard_stop_threshold: u32,
    /// Percentage of the ceiling at which `usage.budget.warning` is recorded.
    pub warning_threshold: u32,
    /// The credits at which the hard stop applies (`null` without a budget).
    pub hard_stop_at: Option<u64>,
    /// The current period.
    pub period: DateRange,
    /// Credits the current period has used.
    pub used: i64,
    pub status: BudgetStatus,
    pub updated_at: Option<Timestamp>,
}

impl Budget {
    /// The credits at which the hard stop applies.
    pub fn hard_stop_at(&self) -> Option<u64> {
        self.monthly_ceiling.map(|c| c * u64::from(self.hard_stop_threshold) / 100)
    }

    /// The budget's standing once `used` credits are spent in `period`.
    pub fn object(&self, used: i64, period: Period) -> BudgetObject {
        let status = match (self.monthly_ceiling, self.hard_stop_at()) {
            (Some(_), Some(stop)) if used >= stop as i64 => BudgetStatus::Exceeded,
            (Some(ceiling), _) if used * 100 >= (ceiling * u64::from(WARNING_PERCENT)) as i64 => BudgetStatus::Warning,
            _ => BudgetStatus::Ok,
        };
        BudgetObject {
            object: "budget",
            monthly_ceiling: self.monthly_ceiling,
            hard_stop_threshold: self.hard_stop_threshold,
            warning_threshold: WARNING_PERCENT,
            hard_stop_at: self.hard_stop_at(),
            period: DateRange::of(period),
            used,
            status,
            updated_at: self.updated_at,
        }
    }

    /// The object to alert with, when a budget is set.
    pub(super) fn alert(&self, used: i64, period: Period) -> Option<BudgetObject> {
        self.monthly_ceiling.map(|_| self.object(used, period))
    }

    /// Why a live job needing `needed` more credits may not start or go on, if the budget says so.
    pub fn refusal(&self, used: i64, needed: u64) -> Option<String> {
        let stop = self.hard_stop_at()? as i64;
        let ceiling = self.monthly_ceiling?;
        let threshold = self.hard_stop_threshold;
        if used >= stop {
            return Some(format!(
                "The organization's monthly budget is used up: {used} credits used this month, and live jobs stop at {stop} ({threshold} % of the {ceiling}-credit ceiling). Raise it with PUT /v1/usage/budget, or wait for next month."
            ));
        }
        let left = (stop - used) as u64;
        (needed > left).then(|| {
            format!(
                "The job needs about {needed} credits and the monthly budget allows {left} more ({used} used this month, live jobs stop at {stop}, {threshold} % of the {ceiling}-credit ceiling). Lower max_rows or max_credits, or raise the budget with PUT /v1/usage/budget."
            )
        })
    }
}

impl Billing {
    /// The organization's budget (the default, no ceiling, when none is set).
    pub async fn budget(&self, org_id: &str) -> StoreResult<Budget> {
        Ok(self.table.get(&budget_key(org_id)).await?.map(|i| i.to_record()).transpose()?.unwrap_or_default())
    }

    /// The budget's standing in the current period.
    pub async fn budget_object(&self, org: &Organization) -> StoreResult<BudgetObject> {
        let (period, counters) = self.period_counters(org).await?;
        Ok(self.budget(&org.id).await?.object(counters.used, period))
    }

    /// Replaces the budget, then records the alerts it makes due (a ceiling set below what the
    /// period used is exceeded at once). Also says whether an alert was recorded (the caller
    /// nudges the webhook fan-out).
    pub async fn set_budget(&self, org: &Organization, budget: Budget) -> StoreResult<(BudgetObject, bool)> {
        self.table.put(Item::from_record(budget_key(&org.id), &budget)?, Condition::None).await?;
        let alerted = self.check_alerts(org).await?;
        Ok((self.budget_object(org).await?, alerted))
    }

    /// Why a live job that has used `job_credits` so far (not yet billed) must stop, if the
    /// budget says so: the period's usage plus the job's reaches the hard stop. One read call.
    pub async fn checkpoint(&self, org_id: &str, job_credits: u64) -> StoreResult<Option<String>> {
        let period = Period::of(self.now());
        let items = self.table.get_many(&[budget_key(org_id), super::period_key(org_id, period)]).await?;
        let Some(budget) = items[0].as_ref().map(Item::to_record::<Budget>).transpose()? else { return Ok(None) };
        let Some(stop) = budget.hard_stop_at() else { return Ok(None) };
        let used = PeriodCounters::from_item(items[1].as_ref()).used + job_credits as i64;
        Ok((used >= stop as i64).then(|| {
            format!(
                "Stopped: the organization's monthly budget was reached ({used} credits with this job's, live jobs stop at {stop}). Raise it with PUT /v1/usage/budget."
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_warns_then_stops() {
        let budget = Budget { monthly_ceiling: Some(100), hard_stop_threshold: 90, updated_at: None };
        let p = Period::of(Timestamp::parse("2026-12-03T00:00:00Z").unwrap());
        assert_eq!(budget.object(79, p).status, BudgetStatus::Ok);
        assert_eq!(budget.object(80, p).status, BudgetStatus::Warning);
        assert_eq!(budget.object(90, p).status, BudgetStatus::Exceeded);
        assert_eq!(budget.refusal(50, 40), None);
        assert!(budget.refusal(50, 41).unwrap().contains("allows 40 more"));
        assert!(budget.refusal(95, 1).unwrap().contains("used up"));
        assert_eq!(Budget::default().refusal(1_000_000, 1_000_000), None);
        assert!(BudgetSettings { monthly_ceiling: Some(1), hard_stop_threshold: Some(0) }.parse(Timestamp(p.start())).is_err());
    }
}

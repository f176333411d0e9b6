//! Credits: the ledger every movement of credits is recorded in, the balance it sums to, the
//! monthly grant, budgets and their alerts, and the usage reports built on them.
//!
//! - **The ledger** ([`ledger`]): one entry per movement (the period's grant, a job's usage when
//!   it ends, a refund, an operator's adjustment, the expiry of an unused grant), written in the
//!   same transaction as the change it records and as an atomic add of its amount to the
//!   balance, so the balance is the ledger's sum and cannot drift.
//! - **Periods** ([`period`]): calendar months in UTC. The grant of a period is written the first
//!   time anything needs the period (a job's approval or end, a usage or account read), once: its
//!   ledger ID is derived from the organization and the month, and it is put only if absent. The
//!   unused part of the previous period's grant expires in the same transaction; credits an
//!   operator added, and an overdraft, carry over (`credits.rollover`).
//! - **Budgets and alerts** ([`budget`]): a monthly ceiling with a hard-stop threshold, checked on
//!   approval and at every checkpoint of a running live job; `usage.budget.warning`,
//!   `usage.budget.exceeded` and `credit.low` recorded once per period each.
//! - **Usage** ([`usage`]): what a period or a date range used, by day, thread, key or member.
//!
//! Only live jobs move credits; test keys run free.

pub mod budget;
pub mod ledger;
pub mod period;
pub mod usage;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

pub use budget::{Budget, BudgetObject, BudgetSettings};
pub use ledger::{LedgerEntry, TransactionKind, TXN_PREFIX};
pub use period::Period;
pub use usage::{GroupBy, UsageQuery, UsageReport};

use crate::accounts::{org_partition, Mode, Organization};
use crate::events::{Event, EventType};
use ledger::{entries_ops, entry_key, TXN_SK};
use quarry_ports::clock::{SharedClock, Timestamp};
use quarry_ports::{Condition, Item, Key, Order, Query, StoreError, StoreResult, Table, Update, WriteOp};

/// The organization's balance and lifetime totals.
pub(crate) fn credits_key(org_id: &str) -> Key {
    Key::new(org_partition(org_id), "CREDITS")
}

/// A period's counters: `credits` (used, net of refunds), `granted`, `adjusted`, `expired`,
/// `rollover`.
pub(crate) fn period_key(org_id: &str, period: Period) -> Key {
    Key::new(org_partition(org_id), format!("USAGE#{}", period.label()))
}

/// A day's counters in one mode: `credits` and the jobs that ended, by outcome.
pub(crate) fn day_key(org_id: &str, mode: Mode, day: NaiveDate) -> Key {
    Key::new(org_partition(org_id), format!("{}{day}", day_prefix(mode)))
}

fn day_prefix(mode: Mode) -> &'static str {
    match mode {
        Mode::Live => "USAGE#DAY#live#",
        Mode::Test => "USAGE#DAY#test#",
    }
}

/// How a job ended, as the usage counters count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Succeeded,
    Failed,
    Stopped,
}

impl Ended {
    fn counter(self) -> &'static str {
        match self {
            Ended::Succeeded => "jobs_succeeded",
            Ended::Failed => "jobs_failed",
            Ended::Stopped => "jobs_stopped",
        }
    }
}

/// What a job's end bills: its whole credits and what the ledger entry names.
#[derive(Clone, Debug)]
pub struct JobCharge<'a> {
    pub job_id: &'a str,
    pub thread_id: &'a str,
    pub livemode: bool,
    pub credits: u64,
    pub rows: u64,
    pub ended: Ended,
    pub api_key_id: Option<&'a str>,
    pub member_id: Option<&'a str>,
}

/// The balance and lifetime totals (`GET /v1/account`'s `credits`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Balance {
    /// Credits available now: the sum of the ledger.
    pub balance: i64,
    /// Every grant and operator adjustment so far.
    pub total_purchased: i64,
    /// Every job's usage so far, net of refunds.
    pub total_used: i64,
}

/// A period's counters as stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeriodCounters {
    pub used: i64,
    pub granted: i64,
    pub adjusted: i64,
    pub expired: i64,
    pub rollover: i64,
}

impl PeriodCounters {
    fn from_item(item: Option<&Item>) -> Self {
        let get = |name| item.and_then(|i| i.i64(name)).unwrap_or(0);
        PeriodCounters {
            used: get("credits"),
            granted: get("granted"),
            adjusted: get("adjusted"),
            expired: get("expired"),
            rollover: get("rollover"),
        }
    }
}

/// The billing service. Clones share the memory of which periods' grants are known written.
#[derive(Clone)]
pub struct Billing {
    table: Arc<dyn Table>,
    clock: SharedClock,
    granted: Arc<Mutex<HashSet<(String, Period)>>>,
}

impl Billing {
    pub fn new(table: Arc<dyn Table>, clock: SharedClock) -> Self {
        Billing { table, clock, granted: Arc::default() }
    }

    fn now(&self) -> Timestamp {
        self.clock.now().into()
    }

    /// Makes sure the current period's grant is in the ledger (see the module doc). Reads one
    /// item the first time a process needs the period, and writes only when the period is new.
    pub async fn ensure_period(&self, org: &Organization) -> StoreResult<Period> {
        let period = Period::of(self.now());
        let known = (org.id.clone(), period);
        if self.granted.lock().unwrap_or_else(|p| p.into_inner()).contains(&known) {
            return Ok(period);
        }
        let grant = grant_entry(&org.id, period, org.monthly_credits);
        if self.table.get(&entry_key(&org.id, &grant)).await?.is_none() {
            self.open_period(&org.id, period, &grant).await?;
        }
        self.granted.lock().unwrap_or_else(|p| p.into_inner()).insert(known);
        Ok(period)
    }

    /// Writes `period`'s grant, the expiry of the previous period's unused grant, and the
    /// rollover, in one transaction. Another writer having done it first is success.
    async fn open_period(&self, org_id: &str, period: Period, grant: &LedgerEntry) -> StoreResult<()> {
        let previous = period.previous();
        let items = self.table.get_many(&[period_key(org_id, previous), credits_key(org_id)]).await?;
        let before = PeriodCounters::from_item(items[0].as_ref());
        let balance = items[1].as_ref().and_then(|i| i.i64("balance")).unwrap_or(0);
        // What the previous grant left unused expires, never more than the balance holds.
        let unused = (before.granted - before.used.max(0)).max(0);
        let expire = unused.min(balance).max(0);
        let mut entries = vec![grant];
        let expiry;
        if expire > 0 {
            let at = Timestamp(period.start() - chrono::Duration::milliseconds(1));
            let description = format!("Unused credits of the {} grant (they do not roll over)", previous.label());
            expiry = LedgerEntry::new(TransactionKind::Expiry, -expire, description, at)
                .with_derived_id(&format!("{org_id}/{}/expiry", previous.label()));
            entries.push(&expiry);
        }
        let rollover = Update::new().set("rollover", balance - expire);
        match self.table.transact(entries_ops(org_id, &entries, vec![(period_key(org_id, period), rollover)])?).await {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The balance and lifetime totals (after the current period's grant).
    pub async fn balance(&self, org: &Organization) -> StoreResult<Balance> {
        self.ensure_period(org).await?;
        let item = self.table.get(&credits_key(&org.id)).await?;
        let get = |name| item.as_ref().and_then(|i| i.i64(name)).unwrap_or(0);
        Ok(Balance { balance: get("balance"), total_purchased: get("total_granted"), total_used: get("total_used") })
    }

    /// The current period's counters (after its grant).
    pub async fn period_counters(&self, org: &Organization) -> StoreResult<(Period, PeriodCounters)> {
        let period = self.ensure_period(org).await?;
        let item = self.table.get(&period_key(&org.id, period)).await?;
        Ok((period, PeriodCounters::from_item(item.as_ref())))
    }

    /// The writes a job's end adds to its transaction: the day's counters and, when the job
    /// cost credits, its usage entry. The caller has made sure of the period
    /// ([`Billing::ensure_period`]) so the grant precedes the usage.
    pub fn job_end_ops(&self, org_id: &str, charge: &JobCharge<'_>) -> StoreResult<Vec<WriteOp>> {
        let now = self.now();
        let mode = if charge.livemode { Mode::Live } else { Mode::Test };
        let mut day = Update::new().add(charge.ended.counter(), 1);
        if charge.credits > 0 {
            day = day.add("credits", charge.credits as i64);
        }
        let day_op = WriteOp::Update { key: day_key(org_id, mode, now.0.date_naive()), update: day, condition: Condition::None };
        if charge.credits == 0 || !charge.livemode {
            return Ok(vec![day_op]);
        }
        let description = format!("Job {} ({} rows)", charge.job_id, charge.rows);
        let mut entry = LedgerEntry::new(TransactionKind::Usage, -(charge.credits as i64), description, now);
        entry.job_id = Some(charge.job_id.to_string());
        entry.thread_id = Some(charge.thread_id.to_string());
        entry.api_key_id = charge.api_key_id.map(str::to_string);
        entry.member_id = charge.member_id.map(str::to_string);
        let mut ops = entries_ops(org_id, &[&entry], Vec::new())?;
        ops.push(day_op);
        Ok(ops)
    }

    /// An operator's adjustment of `amount` credits (either sign), with a note for the ledger.
    pub async fn adjust(&self, org: &Organization, amount: i64, note: &str) -> StoreResult<LedgerEntry> {
        self.ensure_period(org).await?;
        let entry = LedgerEntry::new(TransactionKind::Adjustment, amount, note, self.now());
        self.table.transact(entries_ops(&org.id, &[&entry], Vec::new())?).await?;
        self.check_alerts(org).await?;
        Ok(entry)
    }

    /// Gives back `credits` a job was billed, once per job (a marker item put only if absent in
    /// the refund's transaction): `None` when the job was refunded already.
    pub async fn refund_job(&self, org: &Organization, charge: &JobCharge<'_>, note: &str) -> StoreResult<Option<LedgerEntry>> {
        self.ensure_period(org).await?;
        let mut refund = LedgerEntry::new(TransactionKind::Refund, charge.credits as i64, note, self.now());
        refund.job_id = Some(charge.job_id.to_string());
        refund.thread_id = Some(charge.thread_id.to_string());
        refund.api_key_id = charge.api_key_id.map(str::to_string);
        refund.member_id = charge.member_id.map(str::to_string);
        let marker = Item::new(Key::new(org_partition(&org.id), format!("REFUND#{}", charge.job_id)));
        // The day's credits are net of refunds too, so a report's days add up to its periods.
        let day = Update::new().add("credits", -(charge.credits as i64));
        let mut ops = entries_ops(&org.id, &[&refund], vec![(day_key(&org.id, Mode::Live, self.now().0.date_naive()), day)])?;
        ops.push(WriteOp::Put { item: marker, condition: Condition::Absent });
        match self.table.transact(ops).await {
            Ok(()) => Ok(Some(refund)),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One page of the ledger, newest first by default, optionally within `[from, to)`.
    pub async fn ledger_page(
        &self,
        org: &Organization,
        range: (Option<Timestamp>, Option<Timestamp>),
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> StoreResult<(Vec<LedgerEntry>, Option<String>)> {
        self.ensure_period(org).await?;
        let query = Query::partition(org_partition(&org.id)).range(ledger_range(range)).order(order).limit(limit).cursor(cursor);
        let page = self.table.query(query).await?;
        let entries = page.items.into_iter().map(Item::into_record).collect::<StoreResult<Vec<LedgerEntry>>>()?;
        Ok((entries, page.next_cursor))
    }

    /// Records the period's alerts that are due and not yet recorded: `usage.budget.warning` at
    /// 80 % of the budget's ceiling, `usage.budget.exceeded` at its hard stop, `credit.low` when
    /// the balance is under 20 % of the period's grant. Once per period each (a marker item put
    /// only if absent, in the event's transaction). Returns whether any was recorded.
    pub async fn check_alerts(&self, org: &Organization) -> StoreResult<bool> {
        let period = self.ensure_period(org).await?;
        let marker_key = |name: &str| Key::new(org_partition(&org.id), format!("ALERT#{}#{name}", period.label()));
        // The markers are read with the counters, so an alert already recorded costs no write.
        let keys = [
            period_key(&org.id, period),
            credits_key(&org.id),
            budget::budget_key(&org.id),
            marker_key(WARNING),
            marker_key(EXCEEDED),
            marker_key(LOW),
        ];
        let items = self.table.get_many(&keys).await?;
        let counters = PeriodCounters::from_item(items[0].as_ref());
        let balance = items[1].as_ref().and_then(|i| i.i64("balance")).unwrap_or(0);
        let budget = items[2].as_ref().map(Item::to_record::<Budget>).transpose()?.unwrap_or_default();
        let recorded_already =
            |name: &str| [WARNING, EXCEEDED, LOW].iter().position(|n| *n == name).is_some_and(|i| items[3 + i].is_some());
        let now = self.now();
        let mut due = Vec::new();
        if let Some(object) = budget.alert(counters.used, period) {
            if object.status != budget::BudgetStatus::Ok {
                due.push((WARNING, EventType::UsageBudgetWarning, serde_json::to_value(&object).unwrap_or_default()));
            }
            if object.status == budget::BudgetStatus::Exceeded {
                due.push((EXCEEDED, EventType::UsageBudgetExceeded, serde_json::to_value(&object).unwrap_or_default()));
            }
        }
        let grant = counters.granted;
        if grant > 0 && balance * 5 < grant {
            let object = serde_json::json!({"object": "credit_balance", "balance": balance, "monthly_credits": grant,
                "period": {"from": period.first_day().to_string(), "to": period.last_day().to_string()}});
            due.push((LOW, EventType::CreditLow, object));
        }
        let mut recorded = false;
        for (name, kind, object) in due.into_iter().filter(|(name, _, _)| !recorded_already(name)) {
            let marker = Item::new(marker_key(name)).expires_at(period.end().timestamp() + ALERT_MARKER_TTL_SECS);
            let mut ops = vec![WriteOp::Put { item: marker, condition: Condition::Absent }];
            ops.extend(Event::new(kind, &object, true, now)?.record_ops(&org.id)?);
            match self.table.transact(ops).await {
                Ok(()) => recorded = true,
                Err(StoreError::ConditionFailed) => {} // another process recorded it just now
                Err(e) => return Err(e),
            }
        }
        Ok(recorded)
    }
}

/// The alerts' marker names (their event types).
const WARNING: &str = "usage.budget.warning";
const EXCEEDED: &str = "usage.budget.exceeded";
const LOW: &str = "credit.low";

/// Alert markers outlive their period by this much (a late job end of the period still sees them).
const ALERT_MARKER_TTL_SECS: i64 = 35 * 86_400;

/// The grant entry of `period`: dated at its start, its ID derived from the organization and the
/// month, so it is written once whoever writes it.
fn grant_entry(org_id: &str, period: Period, monthly_credits: u64) -> LedgerEntry {
    let description = format!("Monthly credits for {}", period.label());
    LedgerEntry::new(TransactionKind::Grant, monthly_credits as i64, description, Timestamp(period.start()))
        .with_derived_id(&format!("{org_id}/{}/grant", period.label()))
}

/// The ledger's key range for `[from, to)`.
fn ledger_range((from, to): (Option<Timestamp>, Option<Timestamp>)) -> quarry_ports::KeyRange {
    use quarry_ports::KeyRange;
    // `~` sorts after every digit and `#`, closing the range just before `to`'s millisecond.
    let before = |t: Timestamp| ledger::sk_at(Timestamp(t.0 - chrono::Duration::milliseconds(1))) + "~";
    match (from, to) {
        (None, None) => KeyRange::Prefix(TXN_SK.to_string()),
        (Some(from), None) => KeyRange::Between(ledger::sk_at(from), format!("{TXN_SK}~")),
        (None, Some(to)) => KeyRange::Between(TXN_SK.to_string(), before(to)),
        (Some(from), Some(to)) => KeyRange::Between(ledger::sk_at(from), before(to)),
    }
}

//! Usage reports (`GET /v1/usage`): what a date range used, from the day counters (bounded by
//! the number of days) and, grouped by thread, key or member, from the ledger's usage and refund
//! entries in the range (a scan capped at [`MAX_ENTRIES_GROUPED`]; the report says when it was
//! cut short).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::budget::DateRange;
use super::ledger::{LedgerEntry, TransactionKind};
use super::period::Period;
use super::{day_key, day_prefix, Billing};
use crate::accounts::{org_partition, Mode, Organization};
use crate::error::{ResearchError, ResearchResult};
use quarry_ports::clock::Timestamp;
use quarry_ports::{Item, KeyRange, Query, StoreResult};

/// Longest date range one report covers.
pub const MAX_DAYS: i64 = 366;
/// Most ledger entries a grouped report reads.
pub const MAX_ENTRIES_GROUPED: usize = 10_000;

/// How a report is broken down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Day,
    Thread,
    Key,
    /// `user` is accepted as another name for it (the Leadex document's word).
    #[serde(alias = "user")]
    Member,
}

/// A report request, parsed: a range of whole days and the breakdown.
#[derive(Clone, Debug)]
pub struct UsageQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: Option<GroupBy>,
}

impl UsageQuery {
    /// The report `from`..=`to` (`YYYY-MM-DD`) asks for: the current period by default, `to` not
    /// before `from`, at most [`MAX_DAYS`] days.
    pub fn parse(from: Option<&str>, to: Option<&str>, group_by: Option<GroupBy>, now: Timestamp) -> ResearchResult<Self> {
        let period = Period::of(now);
        let day = |raw: Option<&str>, param: &str, default: NaiveDate| match raw.filter(|r| !r.is_empty()) {
            None => Ok(default),
            Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| ResearchError::invalid(param, format!("`{param}` must be a date, YYYY-MM-DD (got `{raw}`)."))),
        };
        let from = day(from, "from", period.first_day())?;
        let to = day(to, "to", period.last_day().max(from))?;
        // Dates of the documented form that cannot go together are a 422, not a 400.
        if to < from {
            return Err(ResearchError::unprocessable("to", "`to` must not be before `from`."));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(ResearchError::unprocessable("from", format!("A report covers at most {MAX_DAYS} days; narrow `from` and `to`.")));
        }
        Ok(UsageQuery { from, to, group_by })
    }
}

/// The credits of a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CreditFigures {
    /// The current period's grant.
    pub included: i64,
    /// Credits the report's range used (live jobs, net of refunds).
    pub used: i64,
    /// Credits available now (the balance).
    pub remaining: i64,
    /// Credits carried into the current period (operator additions, or an overdraft when
    /// negative); an unused grant does not roll over.
    pub rollover: i64,
}

/// Jobs that ended in the report's range, in the caller's mode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct JobCounts {
    pub succeeded: i64,
    pub failed: i64,
    pub stopped: i64,
}

/// One group of a broken-down report.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct UsageGroup {
    /// The day (`2026-12-03`), thread ID, key ID or member ID; `null` for usage of no key or
    /// member (an operator's job).
    pub key: Option<String>,
    pub credits_used: i64,
    /// By day: the jobs that ended. By thread, key or member: the billed jobs (every job
    /// that cost credits), as succeeded or stopped.
    pub jobs: i64,
}

/// The requests of the current minute (the `X-RateLimit-*` headers of this response).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RateLimitUse {
    pub limit: u32,
    pub used: u32,
    pub remaining: u32,
    /// Unix seconds when the minute's window ends.
    pub reset: i64,
}

/// The report of `GET /v1/usage`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct UsageReport {
    #[schema(example = "usage")]
    pub object: &'static str,
    pub period: DateRange,
    /// The tier.
    #[schema(example = "scale")]
    pub plan: String,
    pub credits: CreditFigures,
    pub jobs: JobCounts,
    /// The breakdown asked for with `group_by`, else `null`.
    pub group_by: Option<String>,
    pub groups: Option<Vec<UsageGroup>>,
    /// True when a grouped report read its cap of ledger entries and the groups are partial.
    pub truncated: bool,
    /// The current period's grant (Trust Leads' name for `credits.included`).
    pub quota_total: i64,
    /// Credits the current period has used.
    pub quota_used: i64,
    /// What the grant has left this period (never below 0).
    pub quota_remaining: i64,
    /// Credits available now, carried-over ones included (the balance).
    pub credits_remaining: i64,
    /// When the period's grant renews.
    pub reset_date: Timestamp,
    pub rate_limit: Option<RateLimitUse>,
}

impl Billing {
    /// The report `query` asks for, in `mode`'s job counts (credits are always live: test keys
    /// run free).
    pub async fn usage(&self, org: &Organization, mode: Mode, query: &UsageQuery) -> StoreResult<UsageReport> {
        let (period, counters) = self.period_counters(org).await?;
        let balance = self.balance(org).await?.balance;
        let days = self.days(&org.id, Mode::Live, query).await?;
        let job_days = if mode == Mode::Live { days.clone() } else { self.days(&org.id, mode, query).await? };
        let used = days.iter().map(|(_, d)| d.credits).sum();
        let jobs = job_days.iter().fold(JobCounts::default(), |mut jobs, (_, d)| {
            jobs.succeeded += d.jobs.succeeded;
            jobs.failed += d.jobs.failed;
            jobs.stopped += d.jobs.stopped;
            jobs
        });
        let (groups, truncated) = match query.group_by {
            None => (None, false),
            Some(GroupBy::Day) => (Some(by_day(query, &days, &job_days)), false),
            Some(by) => {
                let (groups, truncated) = self.by_ledger(&org.id, query, by).await?;
                (Some(groups), truncated)
            }
        };
        Ok(UsageReport {
            object: "usage",
            period: DateRange { from: query.from.to_string(), to: query.to.to_string() },
            plan: org.tier.as_str().to_string(),
            credits: CreditFigures { included: counters.granted, used, remaining: balance, rollover: counters.rollover },
            jobs,
            group_by: query.group_by.map(|g| group_name(g).to_string()),
            groups,
            truncated,
            quota_total: counters.granted,
            quota_used: counters.used,
            quota_remaining: (counters.granted - counters.used).max(0),
            credits_remaining: balance,
            reset_date: Timestamp(period.end()),
            rate_limit: None,
        })
    }

    /// The day counters of `mode` in the query's range, by day.
    async fn days(&self, org_id: &str, mode: Mode, query: &UsageQuery) -> StoreResult<Vec<(NaiveDate, Day)>> {
        let first = day_key(org_id, mode, query.from).sk;
        let last = day_key(org_id, mode, query.to).sk;
        let q = Query::partition(org_partition(org_id)).range(KeyRange::Between(first, last));
        let items = quarry_ports::table::query_all(self.table.as_ref(), q).await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let date = item.key.sk.strip_prefix(day_prefix(mode))?.parse().ok()?;
                Some((date, Day::from_item(item)))
            })
            .collect())
    }

    /// Groups the ledger's usage and refunds in the range by thread, key or member.
    async fn by_ledger(&self, org_id: &str, query: &UsageQuery, by: GroupBy) -> StoreResult<(Vec<UsageGroup>, bool)> {
        let start = |d: NaiveDate| Timestamp(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
        let to = query.to.succ_opt().unwrap_or(query.to);
        let range = super::ledger_range((Some(start(query.from)), Some(start(to))));
        let mut cursor = None;
        let mut read = 0;
        let mut groups: BTreeMap<Option<String>, (i64, i64)> = BTreeMap::new();
        loop {
            let q = Query::partition(org_partition(org_id)).range(range.clone()).limit(100).cursor(cursor);
            let page = self.table.query(q).await?;
            for item in page.items {
                read += 1;
                let entry: LedgerEntry = item.into_record()?;
                if !matches!(entry.kind, TransactionKind::Usage | TransactionKind::Refund) {
                    continue;
                }
                let key = match by {
                    GroupBy::Thread => entry.thread_id,
                    GroupBy::Key => entry.api_key_id,
                    GroupBy::Member => entry.member_id,
                    GroupBy::Day => unreachable!("days come from the day counters"),
                };
                let group = groups.entry(key).or_default();
                group.0 -= entry.amount;
                if entry.kind == TransactionKind::Usage {
                    group.1 += 1;
                }
            }
            match page.next_cursor {
                Some(next) if read < MAX_ENTRIES_GROUPED => cursor = Some(next),
                Some(_) => return Ok((into_groups(groups), true)),
                None => return Ok((into_groups(groups), false)),
            }
        }
    }
}

fn into_groups(groups: BTreeMap<Option<String>, (i64, i64)>) -> Vec<UsageGroup> {
    groups.into_iter().map(|(key, (credits_used, jobs))| UsageGroup { key, credits_used, jobs }).collect()
}

fn group_name(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Day => "day",
        GroupBy::Thread => "thread",
        GroupBy::Key => "key",
        GroupBy::Member => "member",
    }
}

/// One day's counters.
#[derive(Clone, Debug, Default)]
struct Day {
    credits: i64,
    jobs: JobCounts,
}

impl Day {
    fn from_item(item: &Item) -> Self {
        let get = |name| item.i64(name).unwrap_or(0);
        Day {
            credits: get("credits"),
            jobs: JobCounts { succeeded: get("jobs_succeeded"), failed: get("jobs_failed"), stopped: get("jobs_stopped") },
        }
    }
}

/// Every day of the range, with zeros where nothing happened.
/// Credits come from the live days, jobs from the caller's mode's.
fn by_day(query: &UsageQuery, days: &[(NaiveDate, Day)], job_days: &[(NaiveDate, Day)]) -> Vec<UsageGroup> {
    let on = |list: &[(NaiveDate, Day)], day| list.iter().find(|(d, _)| *d == day).map(|(_, c)| c.clone()).unwrap_or_default();
    let mut out = Vec::new();
    let mut day = query.from;
    while day <= query.to {
        let credits = on(days, day).credits;
        let jobs = on(job_days, day).jobs;
        let jobs = jobs.succeeded + jobs.failed + jobs.stopped;
        out.push(UsageGroup { key: Some(day.to_string()), credits_used: credits, jobs });
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    out
}

//! Per-organization request rate limiting in fixed one-minute windows, counted one of two ways:
//!
//! - **in the `Table`** ([`RateLimiter::new`]), so the limit holds across every Lambda instance:
//!   one counter item per organization per minute, incremented with a conditional atomic add
//!   that refuses to pass the limit, expiring two minutes after its window closes;
//! - **in memory** ([`RateLimiter::in_memory`]), for the local server, which is the only process
//!   serving its store: exact for that process, and no disk write on a read request (the table
//!   counter cost every request an fsync). A restart starts the minute's count afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::accounts::org_partition;
use quarry_ports::clock::SharedClock;
use quarry_ports::{Condition, Key, StoreError, StoreResult, Table, Update};

/// Length of a rate-limit window.
pub const WINDOW_SECS: i64 = 60;
/// How long a window's counter is kept after the window ends.
const KEEP_AFTER_WINDOW_SECS: i64 = 120;

/// The outcome of counting one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the current window ends.
    pub reset: i64,
    /// Seconds until a retry can succeed (when not allowed).
    pub retry_after: i64,
}

/// Which counter a request counts against. Publishable keys sit in web pages anyone can load, so
/// they share a counter of their own: traffic on them never leaves the organization's secret keys
/// at 429.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Secret keys (`sk_test_`, `sk_live_`): the organization's counter.
    Secret,
    /// Publishable keys (`pk_pub_`): their own counter, with the same limit.
    Publishable,
}

impl Bucket {
    fn sort_key(self, window: i64) -> String {
        match self {
            Bucket::Secret => format!("RATE#{window}"),
            Bucket::Publishable => format!("RATE#PUB#{window}"),
        }
    }
}

/// Counts requests per organization per minute.
#[derive(Clone)]
pub struct RateLimiter {
    counts: Counts,
    clock: SharedClock,
}

#[derive(Clone)]
enum Counts {
    Table(Arc<dyn Table>),
    Memory(Arc<Mutex<Windows>>),
}

/// The in-memory counts of the current windows.
#[derive(Default)]
struct Windows {
    counts: HashMap<(String, Bucket, i64), u32>,
    /// The newest window counted: older entries are dropped when it moves on.
    newest: i64,
}

impl Windows {
    /// Adds one request to `org_id`'s count in `window` unless that passes `limit`; the count
    /// after the request, or `None` when refused.
    fn hit(&mut self, org_id: &str, bucket: Bucket, window: i64, limit: u32) -> Option<u32> {
        if window > self.newest {
            self.newest = window;
            self.counts.retain(|(_, _, w), _| *w >= window);
        }
        let count = self.counts.entry((org_id.to_string(), bucket, window)).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(*count)
    }
}

impl RateLimiter {
    /// Counts kept in `table`: the limit holds across processes (Lambda).
    pub fn new(table: Arc<dyn Table>, clock: SharedClock) -> Self {
        RateLimiter { counts: Counts::Table(table), clock }
    }

    /// Counts kept in this process: exact for a server that is its store's only server.
    pub fn in_memory(clock: SharedClock) -> Self {
        RateLimiter { counts: Counts::Memory(Arc::default()), clock }
    }

    /// Counts one request of `org_id` against `limit` requests per minute in `bucket`.
    pub async fn hit(&self, org_id: &str, bucket: Bucket, limit: u32) -> StoreResult<RateDecision> {
        let now = self.clock.unix();
        let window = now.div_euclid(WINDOW_SECS);
        let reset = (window + 1) * WINDOW_SECS;
        let decision = |allowed, count: i64| RateDecision {
            allowed,
            limit,
            remaining: (limit as i64 - count).max(0) as u32,
            reset,
            retry_after: if allowed { 0 } else { (reset - now).max(1) },
        };
        let table = match &self.counts {
            Counts::Table(table) => table,
            Counts::Memory(windows) => {
                let counted = windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).hit(org_id, bucket, window, limit);
                return Ok(decision(counted.is_some(), i64::from(counted.unwrap_or(limit))));
            }
        };
        let key = Key::new(org_partition(org_id), bucket.sort_key(window));
        let update = Update::new().add("count", 1).set("ttl", reset + KEEP_AFTER_WINDOW_SECS);
        match table.update(&key, update, Condition::counter_within("count", 1, limit as i64)).await {
            Ok(item) => Ok(decision(true, item.i64("count").unwrap_or(limit as i64))),
            Err(StoreError::ConditionFailed) => Ok(decision(false, limit as i64)),
            Err(e) => Err(e),
        }
    }
}

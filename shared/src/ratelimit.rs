//! Per-organization request rate limiting, counted in the `Table` so the limit holds across every
//! Lambda instance (and across restarts of the local server).
//!
//! Fixed one-minute windows: one counter item per organization per minute, incremented with a
//! conditional atomic add that refuses to pass the limit. The item expires two minutes after its
//! window closes.

use std::sync::Arc;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    table: Arc<dyn Table>,
    clock: SharedClock,
}

impl RateLimiter {
    pub fn new(table: Arc<dyn Table>, clock: SharedClock) -> Self {
        RateLimiter { table, clock }
    }

    /// Counts one request of `org_id` against `limit` requests per minute in `bucket`.
    pub async fn hit(&self, org_id: &str, bucket: Bucket, limit: u32) -> StoreResult<RateDecision> {
        let now = self.clock.unix();
        let window = now.div_euclid(WINDOW_SECS);
        let reset = (window + 1) * WINDOW_SECS;
        let key = Key::new(org_partition(org_id), bucket.sort_key(window));
        let update = Update::new().add("count", 1).set("ttl", reset + KEEP_AFTER_WINDOW_SECS);
        let decision = |allowed, count: i64| RateDecision {
            allowed,
            limit,
            remaining: (limit as i64 - count).max(0) as u32,
            reset,
            retry_after: if allowed { 0 } else { (reset - now).max(1) },
        };
        match self.table.update(&key, update, Condition::counter_within("count", 1, limit as i64)).await {
            Ok(item) => Ok(decision(true, item.i64("count").unwrap_or(limit as i64))),
            Err(StoreError::ConditionFailed) => Ok(decision(false, limit as i64)),
            Err(e) => Err(e),
        }
    }
}

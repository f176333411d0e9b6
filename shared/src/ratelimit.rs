//! Per-organization request rate limiting in fixed one-minute windows, counted one of two ways:
//!
//! - **in the `Table`** ([`RateLimiter::new`]), so the limit holds across every Lambda instance:
//!   one counter item per organization per minute, expiring two minutes after its window closes.
//!   An instance does not add one per request: it **leases** a batch (a twentieth of the
//!   minute's budget, at most [`MAX_LEASE`]) with one conditional atomic add that refuses to pass
//!   the limit, and spends it in memory, so a read request costs a write once per batch. The
//!   limit therefore holds exactly across instances: the counter never passes it. What a batch
//!   costs is that requests an instance leased and did not spend are lost to the others until
//!   the minute ends (at most one batch per instance); near the limit the batches shrink to what
//!   is left, then to one request. Once the counter is full, the instance refuses the rest of
//!   the minute without writing (the counter only grows within a window);
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
/// Largest batch an instance leases from the table counter at once.
pub const MAX_LEASE: u32 = 100;
/// An instance leases this fraction of the minute's budget at a time (1/20: three requests of a
/// 60-a-minute tier, thirty of a 600-a-minute one).
const LEASE_DIVISOR: u32 = 20;

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
    Table(Arc<dyn Table>, Arc<Mutex<Leases>>),
    Memory(Arc<Mutex<Windows>>),
}

/// The batches this instance leased from the table counters, one per organization and bucket.
#[derive(Default)]
struct Leases(HashMap<(String, Bucket), Lease>);

/// A batch of one window's budget.
#[derive(Clone, Copy)]
struct Lease {
    window: i64,
    /// Requests leased and not yet spent.
    unspent: u32,
    /// The table counter after this instance's last add: what every instance has leased.
    counted: i64,
}

impl Leases {
    /// Spends one leased request of `window`: the requests counted so far (all instances'
    /// leases less what this one has not spent), or `None` when nothing is left in hand.
    fn spend(&mut self, org_id: &str, bucket: Bucket, window: i64) -> Option<i64> {
        let lease = self.0.get_mut(&(org_id.to_string(), bucket)).filter(|l| l.window == window && l.unspent > 0)?;
        lease.unspent -= 1;
        Some(lease.counted - i64::from(lease.unspent))
    }

    /// The table counter as this instance last saw it in `window` (0 before its first lease).
    fn counted(&self, org_id: &str, bucket: Bucket, window: i64) -> i64 {
        self.0.get(&(org_id.to_string(), bucket)).filter(|l| l.window == window).map_or(0, |l| l.counted)
    }

    /// Adds a granted batch of `size` (one of it spent at once) after which the counter read
    /// `counted`; returns the requests counted so far, as [`Leases::spend`] does.
    fn grant(&mut self, org_id: &str, bucket: Bucket, window: i64, size: u32, counted: i64) -> i64 {
        if self.0.len() > 10_000 {
            self.0.retain(|_, l| l.window >= window);
        }
        let lease = self.0.entry((org_id.to_string(), bucket)).or_insert(Lease { window, unspent: 0, counted: 0 });
        if lease.window != window {
            *lease = Lease { window, unspent: 0, counted: 0 };
        }
        lease.unspent += size - 1;
        lease.counted = lease.counted.max(counted);
        lease.counted - i64::from(lease.unspent)
    }

    /// Marks `window`'s counter full: the rest of the minute is refused without a write.
    fn exhausted(&mut self, org_id: &str, bucket: Bucket, window: i64, limit: u32) {
        self.0.insert((org_id.to_string(), bucket), Lease { window, unspent: 0, counted: i64::from(limit) });
    }
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
        RateLimiter { counts: Counts::Table(table, Arc::default()), clock }
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
        let (table, leases) = match &self.counts {
            Counts::Table(table, leases) => (table, leases),
            Counts::Memory(windows) => {
                let counted = lock(windows).hit(org_id, bucket, window, limit);
                return Ok(decision(counted.is_some(), i64::from(counted.unwrap_or(limit))));
            }
        };
        if let Some(counted) = lock(leases).spend(org_id, bucket, window) {
            return Ok(decision(true, counted));
        }
        let left = i64::from(limit) - lock(leases).counted(org_id, bucket, window);
        if left <= 0 {
            return Ok(decision(false, i64::from(limit)));
        }
        let batch = (limit / LEASE_DIVISOR).clamp(1, MAX_LEASE).min(left as u32);
        // The whole batch, or (another instance took part of what was left) a single request.
        for size in if batch > 1 { vec![batch, 1] } else { vec![1] } {
            let key = Key::new(org_partition(org_id), bucket.sort_key(window));
            let update = Update::new().add("count", i64::from(size)).set("ttl", reset + KEEP_AFTER_WINDOW_SECS);
            match table.update(&key, update, Condition::counter_within("count", i64::from(size), i64::from(limit))).await {
                Ok(item) => {
                    let counted = item.i64("count").unwrap_or(i64::from(limit));
                    return Ok(decision(true, lock(leases).grant(org_id, bucket, window, size, counted)));
                }
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(e),
            }
        }
        lock(leases).exhausted(org_id, bucket, window, limit);
        Ok(decision(false, i64::from(limit)))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

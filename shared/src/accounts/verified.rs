//! Keys verified recently, kept in the process for [`VERIFIED_KEY_TTL`] so that an authenticated
//! request does not read the key lookup, the key and the organization again (three table reads,
//! the largest part of a small read request's cost).
//!
//! Only successes are kept: an unknown secret is looked up every time, so a key minted by another
//! process works at once. A cached key is checked against the clock on every hit, for its expiry
//! and for its revocation time, so a rotation's grace period ends on time even for a key verified
//! a moment before it ends. A revoke, a rotation, a key's use being recorded, or a change to the
//! organization made through this process's [`super::Accounts`] updates or drops the entries at
//! once. A change made by **another** process (another Lambda instance, `quarry keys revoke`
//! beside a running `quarry serve`) reaches this one within [`VERIFIED_KEY_TTL`]: a revoked key
//! may be accepted for up to that long by instances that had verified it just before.

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};

use super::Principal;
use quarry_ports::clock::Timestamp;

/// How long a verified key is trusted without reading it again: the longest a change made by
/// another process (a revoke, a tier change) takes to reach this one.
pub const VERIFIED_KEY_TTL: chrono::Duration = chrono::Duration::seconds(10);
/// Most keys remembered; past it, expired entries go, and then all of them (a process serving
/// more distinct keys than this in ten seconds gains little from the cache anyway).
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    principal: Principal,
    verified_at: DateTime<Utc>,
}

impl Entry {
    fn fresh(&self, now: DateTime<Utc>) -> bool {
        // A clock set back (tests do) makes an entry stale rather than trusted for longer.
        self.verified_at <= now && now - self.verified_at < VERIFIED_KEY_TTL
    }
}

/// The cache, keyed by the secret's hash (the secret itself is never kept).
#[derive(Default)]
pub(super) struct VerifiedKeys {
    entries: RwLock<HashMap<String, Entry>>,
}

impl VerifiedKeys {
    /// The principal of `secret_hash` if it was verified less than [`VERIFIED_KEY_TTL`] ago and
    /// has neither expired nor reached its revocation time (a rotation's grace period) since.
    /// A key past either is read again, and refused with the reason.
    pub(super) fn get(&self, secret_hash: &str, now: DateTime<Utc>) -> Option<Principal> {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = entries.get(secret_hash).filter(|e| e.fresh(now))?;
        let key = &entry.principal.key;
        (!key.is_expired(now) && !key.is_revoked(now)).then(|| entry.principal.clone())
    }

    pub(super) fn put(&self, secret_hash: String, principal: Principal, now: DateTime<Utc>) {
        let mut entries = self.write();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.fresh(now));
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(secret_hash, Entry { principal, verified_at: now });
    }

    /// Records in the cached copies that `key_id` was used at `at`, so its once-a-minute
    /// `last_used_at` write is not repeated on every request of the next ten seconds.
    pub(super) fn used(&self, key_id: &str, at: Timestamp) {
        for entry in self.write().values_mut().filter(|e| e.principal.key.id == key_id) {
            entry.principal.key.last_used_at = Some(at);
        }
    }

    /// Drops the entries of one key (revoked or rotated).
    pub(super) fn forget_key(&self, key_id: &str) {
        self.write().retain(|_, e| e.principal.key.id != key_id);
    }

    /// Drops the entries of one organization's keys (its tier or allowance changed).
    pub(super) fn forget_organization(&self, org_id: &str) {
        self.write().retain(|_, e| e.principal.organization.id != org_id);
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Entry>> {
        self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

//! The credit ledger: one entry (`txn_…`) per movement of credits, and the writes that record
//! one.
//!
//! An entry is never written alone. [`entry_ops`] returns the entry (put only if absent) together
//! with an atomic add of exactly its amount to the organization's balance item and to the
//! period's counters, to go into the transaction of the change the entry records (a job's end,
//! a grant, an operator's adjustment). The balance is therefore the sum of the ledger by
//! construction: no process ever computes a balance and writes it back.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::period::Period;
use super::{credits_key, period_key};
use crate::accounts::org_partition;
use crate::ids::new_id;
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, StoreResult, Update, WriteOp};

/// ID prefix of ledger entries.
pub const TXN_PREFIX: &str = "txn";
/// Sort-key prefix of ledger entries: `TXN#<created_at ms, 13 digits>#<txn_id>`, so the ledger
/// lists by time and a date range is a key range.
pub(super) const TXN_SK: &str = "TXN#";

/// What moved the credits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TransactionKind {
    /// The period's allowance, at the period's start (positive).
    Grant,
    /// A job's credits, billed when it ends (negative).
    Usage,
    /// Credits given back for a job (positive).
    Refund,
    /// An operator's correction or top-up (either sign).
    Adjustment,
    /// The unused part of the previous period's grant, which does not roll over (negative).
    Expiry,
}

/// One movement of credits, as stored and as `GET /v1/credits/usage` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LedgerEntry {
    #[schema(example = "txn_01KBQ3S7Y5B3C2M6Z3T4W5X6Y7")]
    pub id: String,
    #[schema(example = "credit_transaction")]
    pub object: String,
    #[serde(rename = "type")]
    pub kind: TransactionKind,
    /// Credits added to (positive) or taken from (negative) the balance.
    pub amount: i64,
    pub description: String,
    /// The billing period the entry counts in (`2026-12`).
    pub period: String,
    pub job_id: Option<String>,
    pub thread_id: Option<String>,
    /// The key that approved the job (usage and refunds).
    pub api_key_id: Option<String>,
    /// The member that key belongs to, if any.
    pub member_id: Option<String>,
    pub created_at: Timestamp,
}

impl LedgerEntry {
    /// A new entry of `kind` for `amount`, dated `at`.
    pub fn new(kind: TransactionKind, amount: i64, description: impl Into<String>, at: Timestamp) -> Self {
        LedgerEntry {
            id: new_id(TXN_PREFIX),
            object: "credit_transaction".into(),
            kind,
            amount,
            description: description.into(),
            period: Period::of(at).label(),
            job_id: None,
            thread_id: None,
            api_key_id: None,
            member_id: None,
            created_at: at,
        }
    }

    /// The entry's ID derived from what it is about (`seed`) instead of drawn at random, dated
    /// `at`: two writers of the same entry (the grant of one period, a job's refund) write the
    /// same key, and the put-if-absent lets only one of them through.
    pub fn with_derived_id(mut self, seed: &str) -> Self {
        let digest = Sha256::digest(seed.as_bytes());
        let mut random = [0u8; 16];
        random[6..].copy_from_slice(&digest[..10]);
        let ulid = ulid::Ulid::from_parts(self.created_at.0.timestamp_millis().max(0) as u64, u128::from_be_bytes(random));
        self.id = format!("{TXN_PREFIX}_{ulid}");
        self
    }
}

/// The key of an entry.
pub(super) fn entry_key(org_id: &str, entry: &LedgerEntry) -> Key {
    Key::new(org_partition(org_id), format!("{TXN_SK}{:013}#{}", entry.created_at.0.timestamp_millis().max(0), entry.id))
}

/// The sort key that starts the ledger at `at` (inclusive).
pub(super) fn sk_at(at: Timestamp) -> String {
    format!("{TXN_SK}{:013}", at.0.timestamp_millis().max(0))
}

/// The writes that record `entries` in one transaction: each entry (put only if absent), and
/// one update per touched item (the balance and totals, each period's counters) summing the
/// entries' amounts, since a transaction may touch an item once. `extra` updates to the same
/// items (a period's rollover) are merged in. Atomic adds only, so concurrent writers never lose
/// one another's amounts.
pub(super) fn entries_ops(org_id: &str, entries: &[&LedgerEntry], extra: Vec<(Key, Update)>) -> StoreResult<Vec<WriteOp>> {
    let mut updates: Vec<(Key, Update)> = Vec::new();
    let mut merge = |key: Key, update: Update| match updates.iter_mut().find(|(k, _)| *k == key) {
        Some((_, existing)) => {
            for (attr, delta) in update.add {
                match existing.add.iter_mut().find(|(a, _)| *a == attr) {
                    Some((_, total)) => *total += delta,
                    None => existing.add.push((attr, delta)),
                }
            }
            existing.set.extend(update.set);
        }
        None => updates.push((key, update)),
    };
    let mut ops = Vec::new();
    for entry in entries {
        let (totals, counters) = entry_updates(entry);
        ops.push(WriteOp::Put { item: Item::from_record(entry_key(org_id, entry), entry)?, condition: Condition::Absent });
        merge(credits_key(org_id), totals);
        merge(period_key(org_id, Period::of(entry.created_at)), counters);
    }
    for (key, update) in extra {
        merge(key, update);
    }
    ops.extend(updates.into_iter().map(|(key, update)| WriteOp::Update { key, update, condition: Condition::None }));
    Ok(ops)
}

/// What one entry adds to the organization's totals and to its period's counters.
fn entry_updates(entry: &LedgerEntry) -> (Update, Update) {
    let amount = entry.amount;
    let totals = Update::new().add("balance", amount);
    match entry.kind {
        TransactionKind::Grant => (totals.add("total_granted", amount), Update::new().add("granted", amount)),
        TransactionKind::Adjustment => (totals.add("total_granted", amount), Update::new().add("adjusted", amount)),
        // `credits` is what the period used, net of refunds (the attribute predates the ledger).
        TransactionKind::Usage | TransactionKind::Refund => (totals.add("total_used", -amount), Update::new().add("credits", -amount)),
        TransactionKind::Expiry => (totals, Update::new().add("expired", -amount)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_sort_by_their_date() {
        let at = Timestamp::parse("2026-12-01T00:00:00Z").unwrap();
        let a = LedgerEntry::new(TransactionKind::Grant, 10, "g", at).with_derived_id("org_1/2026-12/grant");
        let b = LedgerEntry::new(TransactionKind::Grant, 10, "g", at).with_derived_id("org_1/2026-12/grant");
        let c = LedgerEntry::new(TransactionKind::Grant, 10, "g", at).with_derived_id("org_2/2026-12/grant");
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
        assert!(crate::ids::has_prefix(&a.id, TXN_PREFIX));
        let later = LedgerEntry::new(TransactionKind::Usage, -1, "u", Timestamp::parse("2026-12-02T00:00:00Z").unwrap());
        assert!(entry_key("o", &a).sk < entry_key("o", &later).sk);
    }
}

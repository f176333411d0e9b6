//! Deleting an organization and everything it owns (`quarry org delete`): a deployment that
//! stops serving a team must be able to remove the team's data, not only its keys.
//!
//! What an organization owns, by where it is stored (`shared/store/TABLE_LAYOUT.md`):
//! - its partition `ORG#<org>`: the organization record, API keys, threads, messages, plans,
//!   jobs, artifacts, exports, webhook endpoints and deliveries, events and outbox markers,
//!   counters, idempotency records, stream leases. The secondary-index entries of these items
//!   (the `ORGS` listing, `RUNNING`, `OUTBOX`, `DLVDUE`) go with them;
//! - the partitions named after it: `JOBDATA#<org>#<job>` for each job (its leads, dedupe
//!   pointers and log, also named by the job's `owned_partition`), `LEADID#<org>` (lead
//!   pointers) and `LIDX#<org>` (the lead index). The leads' index entries (`LEADS#<org>#…`)
//!   go with the leads;
//! - one key lookup `KEYHASH#<sha256>` per API key, found through the key records;
//! - its files: every blob under `<folder>/<org>/` for each of [`ORGANIZATION_BLOB_FOLDERS`],
//!   and any blob an item names in `blob_keys`.
//!
//! The partition names are written here rather than taken from `jobs` and `leads`, which sit
//! above `accounts` in the crate's module graph; the operators contract test deletes an
//! organization that went through the real code paths and checks each one is empty.
//!
//! The order makes the deletion safe beside running servers and repeatable after a crash:
//! 1. the key lookups go, so no key of the organization authenticates again (this process's
//!    cache of verified keys is dropped at once; other processes trust theirs for up to
//!    [`super::VERIFIED_KEY_TTL`]);
//! 2. the job records go, so the step worker drops every further chunk of them;
//! 3. the caller's `settle` passes: time for requests that other processes had already
//!    authenticated, and job chunks already under way, to finish their writes;
//! 4. everything else goes: each partition, each item of the organization's partition with what
//!    it names, the blob folders;
//! 5. the organization record goes last, so until the whole deletion has run the organization
//!    is still listed (`quarry org list`) and running the deletion again finishes it.

use std::time::Duration;

use serde::Serialize;

use super::{keys, org_partition, organizations::ORG_SK, Accounts};
use quarry_ports::table::{query_all, MAX_TRANSACTION_OPS};
use quarry_ports::{BlobKey, Blobs, Condition, Item, Key, Query, StoreResult, WriteOp};

/// The blob folders whose `<folder>/<org_id>/` subfolder holds an organization's files: job
/// artifacts, lead exports, job snapshots and scrape requests, the raw pages that grounded
/// leads, uploads.
pub const ORGANIZATION_BLOB_FOLDERS: [&str; 5] = ["artifacts", "exports", "jobs", "pages", "uploads"];

/// Sort-key prefix of job records in the organization's partition.
const JOB_SK: &str = "JOB#";
/// Attribute of an item naming a partition it owns (a job's leads and log).
const OWNED_PARTITION: &str = "owned_partition";
/// Attribute of an item listing the blobs it owns.
const BLOB_KEYS: &str = "blob_keys";
/// Items read (and deleted) per round.
const PAGE: usize = 100;

/// What deleting an organization removed, as `quarry org delete` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeletedOrganization {
    pub id: String,
    pub object: &'static str,
    pub deleted: bool,
    /// API keys whose lookups were removed (they answer 401 from now on).
    pub keys: u64,
    /// Job records removed (running ones included: their runners drop the next chunk).
    pub jobs: u64,
    /// Table items removed, the keys' lookups and the organization record included.
    pub items: u64,
    /// Files removed.
    pub blobs: u64,
}

impl Accounts {
    /// Deletes the organization `org_id` and everything it owns (see the module comment), waiting
    /// `settle` between cutting off its keys and jobs and removing the rest. `None` when there is
    /// no such organization. Running it again after a failure finishes the deletion.
    pub async fn delete_organization(&self, blobs: &dyn Blobs, org_id: &str, settle: Duration) -> StoreResult<Option<DeletedOrganization>> {
        if self.organization(org_id).await?.is_none() {
            return Ok(None);
        }
        let partition = org_partition(org_id);
        let table = self.table.as_ref();

        let lookups = keys::key_lookups(table, org_id).await?;
        let keys = lookups.len() as u64;
        let mut items = self.delete_keys(lookups).await?;
        self.verified.forget_organization(org_id);

        let jobs = query_all(table, Query::partition(partition.clone()).prefix(JOB_SK)).await?;
        let mut owned: Vec<String> = Vec::new();
        for job in &jobs {
            let job_id = job.key.sk.trim_start_matches(JOB_SK);
            owned.push(format!("JOBDATA#{org_id}#{job_id}"));
            owned.extend(job.str(OWNED_PARTITION).map(str::to_string));
        }
        let job_count = jobs.len() as u64;
        let mut files = self.delete_named_blobs(blobs, &jobs).await?;
        items += self.delete_keys(jobs.into_iter().map(|job| job.key).collect()).await?;

        if !settle.is_zero() {
            tokio::time::sleep(settle).await;
        }

        owned.extend([format!("LEADID#{org_id}"), format!("LIDX#{org_id}")]);
        owned.sort();
        owned.dedup();
        for pk in &owned {
            items += self.delete_partition(pk).await?;
        }
        let (swept, swept_files) = self.sweep_organization_partition(blobs, &partition).await?;
        items += swept;
        files += swept_files;
        for folder in ORGANIZATION_BLOB_FOLDERS {
            files += blobs.delete_under(&BlobKey::parse(&format!("{folder}/{org_id}"))?).await?;
        }
        self.table.delete(&Key::new(partition, ORG_SK), Condition::None).await?;
        items += 1;
        // A request authenticated while the deletion ran must not keep the organization alive.
        self.verified.forget_organization(org_id);
        Ok(Some(DeletedOrganization {
            id: org_id.to_string(),
            object: "organization",
            deleted: true,
            keys,
            jobs: job_count,
            items,
            blobs: files,
        }))
    }

    /// Removes every item of the organization's partition but its record, with the partitions
    /// and blobs they name; answers the items and files removed.
    async fn sweep_organization_partition(&self, blobs: &dyn Blobs, partition: &str) -> StoreResult<(u64, u64)> {
        let (mut items, mut files) = (0, 0);
        let mut cursor = None;
        loop {
            // Deleting what a page held does not disturb the cursor: it names the last key read.
            let page = self.table.query(Query::partition(partition).limit(PAGE).cursor(cursor)).await?;
            let batch: Vec<Item> = page.items.into_iter().filter(|item| item.key.sk != ORG_SK).collect();
            for pk in batch.iter().filter_map(|item| item.str(OWNED_PARTITION)) {
                items += self.delete_partition(pk).await?;
            }
            files += self.delete_named_blobs(blobs, &batch).await?;
            items += self.delete_keys(batch.into_iter().map(|item| item.key).collect()).await?;
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok((items, files)),
            }
        }
    }

    /// Removes a whole partition; answers how many items it held.
    async fn delete_partition(&self, pk: &str) -> StoreResult<u64> {
        let mut deleted = 0;
        loop {
            let page = self.table.query(Query::partition(pk).limit(PAGE)).await?;
            if page.items.is_empty() {
                return Ok(deleted);
            }
            deleted += self.delete_keys(page.items.into_iter().map(|item| item.key).collect()).await?;
        }
    }

    /// Deletes the blobs the items list in `blob_keys`; answers how many were named.
    async fn delete_named_blobs(&self, blobs: &dyn Blobs, items: &[Item]) -> StoreResult<u64> {
        let mut named = 0;
        for item in items {
            for raw in item.attrs.get(BLOB_KEYS).and_then(|v| v.as_array()).into_iter().flatten().filter_map(|k| k.as_str()) {
                blobs.delete(&BlobKey::parse(raw)?).await?;
                named += 1;
            }
        }
        Ok(named)
    }

    /// Deletes the items under `keys`, a transaction of up to 100 at a time; answers how many.
    async fn delete_keys(&self, keys: Vec<Key>) -> StoreResult<u64> {
        let count = keys.len() as u64;
        let mut keys = keys.into_iter().peekable();
        while keys.peek().is_some() {
            let ops = keys.by_ref().take(MAX_TRANSACTION_OPS).map(|key| WriteOp::Delete { key, condition: Condition::None }).collect();
            self.table.transact(ops).await?;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::accounts::{KeyKind, Limit, Mode, NewKey, OrganizationChanges, OverrideChange, Scope, Tier};
    use quarry_ports::clock::{SharedClock, SystemClock};
    use quarry_store::files::FileBlobs;
    use quarry_store::sqlite::{SqliteDb, SqliteTable};

    /// This process's cache of verified keys follows what it changes and deletes at once:
    /// a new override applies to the next request, and a deleted organization's key is refused.
    #[tokio::test]
    async fn the_verified_keys_of_this_process_follow_changes_and_deletion() {
        let dir = tempfile::tempdir().unwrap();
        let clock: SharedClock = Arc::new(SystemClock);
        let table = Arc::new(SqliteTable::new(SqliteDb::open(&dir.path().join("q.db")).unwrap(), clock.clone()));
        let blobs = FileBlobs::new(dir.path().join("blobs"), "http://127.0.0.1:1", b"k".to_vec(), clock.clone());
        let accounts = Accounts::new(table, clock);
        let org = accounts.create_organization("Acme", Tier::Starter, 10).await.unwrap();
        let new = NewKey { name: "k".into(), kind: KeyKind::Secret, mode: Mode::Test, scopes: Scope::ALL.to_vec(), expires_at: None };
        let (_, secret) = accounts.create_key(&org.id, new).await.unwrap();
        let limits = |p: crate::accounts::Principal| p.organization.limits();
        assert_eq!(limits(accounts.authenticate(Some(&secret)).await.unwrap()).concurrent_jobs, 1);

        let raise = OverrideChange::Set(Limit::ConcurrentJobs.to(9).unwrap());
        accounts.change_organization(&org.id, &OrganizationChanges { overrides: vec![raise], ..Default::default() }).await.unwrap();
        assert_eq!(limits(accounts.authenticate(Some(&secret)).await.unwrap()).concurrent_jobs, 9, "not the cached principal");

        let file = BlobKey::parse(&format!("artifacts/{}/art_1/leads.csv", org.id)).unwrap();
        blobs.put(&file, "a\n".into(), "text/csv").await.unwrap();
        let deleted = accounts.delete_organization(&blobs, &org.id, Duration::ZERO).await.unwrap().unwrap();
        assert_eq!((deleted.keys, deleted.blobs), (1, 1));
        assert!(matches!(accounts.authenticate(Some(&secret)).await, Err(crate::accounts::AuthOutcome::Denied(_))));
        assert!(blobs.get(&file).await.unwrap().is_none());
        assert!(accounts.organization(&org.id).await.unwrap().is_none());
    }
}

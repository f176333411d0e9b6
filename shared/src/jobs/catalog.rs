//! The organization's artifacts as lists, and sharing: which artifacts its publishable
//! (`pk_pub_`) keys may see.
//!
//! A secret key lists its mode's artifacts from the organization's partition (`ART#…`, by
//! artifact ID, which is the job's ULID: newest job first by default). A publishable key lists
//! only the artifacts marked shareable, from the sparse index entry each of them carries while it
//! is (`gsi1`: `ARTSHARE#<org>#<live|test>` / `<artifact_id>`), so its list never reads the
//! artifacts that are not shared. The entry is set and removed with the flag in one update, the
//! rewrite of an artifact leaves both alone ([`super::artifact`]), deleting a thread unshares its
//! artifacts at once ([`unshare_thread`]) and the delete cascade removes the records, entry and
//! all.
//!
//! A publishable key sees the shareable artifacts of its own mode only, as every key sees only its
//! mode's objects: a test-mode artifact is as absent to a live `pk_pub_` key as another
//! organization's. The index is eventually consistent on DynamoDB, so a change of the flag shows
//! in the publishable list within a moment; reading one artifact checks the record itself, so an
//! artifact unshared is refused at once.

use std::collections::HashMap;
use std::sync::Arc;

use super::artifact::{artifact_key, job_of, Artifact, Files, Format, ARTIFACT_SK, LIVEMODE, SHAREABLE};
use crate::accounts::{org_partition, Caller};
use crate::error::{ResearchError, ResearchResult};
use quarry_ports::clock::{SharedClock, Timestamp};
use quarry_ports::table::{Cursor, GSI1_PK, GSI1_SK};
use quarry_ports::{Blobs, Condition, Item, Key, Order, Query, StoreError, StoreResult, Table, Update};

/// Most artifact records one page of a secret key's list examines (both modes share the
/// partition).
const MAX_EXAMINED: usize = 1_000;

/// The `gsi1` partition of an organization's shareable artifacts of one mode.
pub(crate) fn shared_partition(org_id: &str, livemode: bool) -> String {
    format!("ARTSHARE#{org_id}#{}", if livemode { "live" } else { "test" })
}

/// Artifacts as the API lists and shares them. Cheap to clone.
#[derive(Clone)]
pub struct Artifacts {
    table: Arc<dyn Table>,
    blobs: Arc<dyn Blobs>,
    clock: SharedClock,
    retention: std::time::Duration,
}

fn not_found(artifact_id: &str) -> ResearchError {
    ResearchError::NotFound { what: "Artifact", id: artifact_id.to_string(), param: "artifact_id" }
}

impl Artifacts {
    /// Artifacts whose files are kept `retention_days` after they are written (as
    /// [`super::Jobs::with_artifact_retention`]).
    pub fn new(table: Arc<dyn Table>, blobs: Arc<dyn Blobs>, clock: SharedClock, retention_days: u32) -> Self {
        Artifacts { table, blobs, clock, retention: super::artifact::retention(retention_days) }
    }

    fn files(&self) -> Files<'_> {
        Files { table: self.table.as_ref(), blobs: self.blobs.as_ref(), retention: self.retention }
    }

    fn now(&self) -> Timestamp {
        self.clock.now().into()
    }

    /// The modes of artifact records, in order: the record's own, or (records written before it
    /// was stored) its job's, those jobs read in one call; `None` for a record whose job is gone.
    async fn modes(&self, org_id: &str, items: &[Item]) -> StoreResult<Vec<Option<bool>>> {
        let stored = |item: &Item| item.attrs.get(LIVEMODE).and_then(serde_json::Value::as_bool);
        let lacking: Vec<Key> =
            items.iter().filter(|i| stored(i).is_none()).filter_map(|i| i.str("job_id")).map(|job| super::job_key(org_id, job)).collect();
        let jobs = if lacking.is_empty() { Vec::new() } else { self.table.get_many(&lacking).await? };
        let job_modes: HashMap<String, bool> = lacking
            .into_iter()
            .zip(jobs)
            .filter_map(|(key, job)| {
                // A job stored before modes were separated carries none: it counts as live.
                let mode = job?.attrs.get("livemode").and_then(serde_json::Value::as_bool).unwrap_or(crate::accounts::live_by_default());
                Some((key.sk, mode))
            })
            .collect();
        let of_job = |item: &Item| item.str("job_id").and_then(|job| job_modes.get(&super::job_key(org_id, job).sk).copied());
        Ok(items.iter().map(|item| stored(item).or_else(|| of_job(item))).collect())
    }

    /// One page of the caller's artifacts (its organization and mode), by artifact ID (newest job
    /// first with `Order::Desc`). Records carry no download link: read one for it.
    pub async fn list(
        &self,
        caller: &Caller,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> ResearchResult<(Vec<Artifact>, Option<String>)> {
        let base = Query::partition(org_partition(&caller.org_id)).prefix(ARTIFACT_SK).order(order).cursor(cursor);
        let mut cursor = base.cursor.clone();
        let mut out = Vec::new();
        let mut examined = 0;
        loop {
            let page = self.table.query(base.clone().limit(100).cursor(cursor.clone())).await?;
            let exhausted = page.next_cursor.is_none();
            let modes = self.modes(&caller.org_id, &page.items).await?;
            let count = page.items.len();
            for (i, (item, mode)) in page.items.iter().zip(modes).enumerate() {
                examined += 1;
                if mode == Some(caller.livemode) {
                    out.push(item.to_record::<Artifact>()?);
                }
                if out.len() == limit || examined >= MAX_EXAMINED {
                    let last_of_all = exhausted && i + 1 == count;
                    return Ok((out, (!last_of_all).then(|| Cursor::after(&base, item).encode())));
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok((out, None)),
            }
        }
    }

    /// One page of the organization's shareable artifacts of one mode (what a publishable key
    /// lists), by artifact ID, from the shared index.
    pub async fn list_shareable(
        &self,
        org_id: &str,
        livemode: bool,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> ResearchResult<(Vec<Artifact>, Option<String>)> {
        let base = Query::gsi1(shared_partition(org_id, livemode)).order(order).cursor(cursor);
        let keep = |item: &Item| -> StoreResult<Option<Artifact>> {
            let artifact: Artifact = item.to_record()?;
            Ok(artifact.shareable.then_some(artifact))
        };
        Ok(quarry_ports::table::query_matching(self.table.as_ref(), base, limit, MAX_EXAMINED, keep).await?)
    }

    /// The record of an artifact of the organization in `livemode`, read consistently; `None`
    /// for a malformed ID, another mode's artifact or none at all.
    async fn record(&self, org_id: &str, livemode: bool, artifact_id: &str) -> StoreResult<Option<Item>> {
        if job_of(artifact_id).is_none() {
            return Ok(None);
        }
        let Some(item) = self.table.get(&artifact_key(org_id, artifact_id)).await? else { return Ok(None) };
        let mode = self.modes(org_id, std::slice::from_ref(&item)).await?.pop().flatten();
        Ok((mode == Some(livemode)).then_some(item))
    }

    /// A shareable artifact of the organization in `livemode` with a fresh link to `format`: what
    /// a publishable key may read. An artifact not shared is not found, like another
    /// organization's.
    pub async fn shared(&self, org_id: &str, livemode: bool, artifact_id: &str, format: Format) -> ResearchResult<Artifact> {
        let item = self.record(org_id, livemode, artifact_id).await?.ok_or_else(|| not_found(artifact_id))?;
        if item.attrs.get(SHAREABLE).and_then(|v| v.as_bool()) != Some(true) {
            return Err(not_found(artifact_id));
        }
        Ok(self.files().fetch_item(org_id, &item, format, self.now()).await?)
    }

    /// An artifact of the caller (its organization and mode), without a download link.
    pub async fn get(&self, caller: &Caller, artifact_id: &str) -> ResearchResult<Artifact> {
        let item = self.record(&caller.org_id, caller.livemode, artifact_id).await?.ok_or_else(|| not_found(artifact_id))?;
        Ok(item.to_record()?)
    }

    /// Marks an artifact of the caller shareable or not, and answers it with a fresh CSV link.
    /// Sharing puts the record in the shared index of its mode, unsharing takes it out, in the
    /// same update; setting the flag it already has writes it again and changes nothing.
    pub async fn set_shareable(&self, caller: &Caller, artifact_id: &str, shareable: bool) -> ResearchResult<Artifact> {
        let org_id = caller.org_id.as_str();
        self.record(org_id, caller.livemode, artifact_id).await?.ok_or_else(|| not_found(artifact_id))?;
        let update = Update::new().set(SHAREABLE, shareable).set(LIVEMODE, caller.livemode);
        let update = if shareable {
            update.set(GSI1_PK, shared_partition(org_id, caller.livemode)).set(GSI1_SK, artifact_id)
        } else {
            update.remove(GSI1_PK).remove(GSI1_SK)
        };
        let item = match self.table.update(&artifact_key(org_id, artifact_id), update, Condition::Exists).await {
            Ok(item) => item,
            // Deleted meanwhile (its thread's cascade).
            Err(StoreError::ConditionFailed) => return Err(not_found(artifact_id)),
            Err(e) => return Err(e.into()),
        };
        Ok(self.files().fetch_item(org_id, &item, Format::Csv, self.now()).await?)
    }
}

/// Takes every artifact of a thread out of sharing (the thread is being deleted: its artifacts
/// leave the publishable list and reads at once, before the cascade removes them).
pub async fn unshare_thread(table: &dyn Table, org_id: &str, thread_id: &str) -> StoreResult<()> {
    let children = crate::ownership::all(table, org_id, thread_id, ARTIFACT_SK).await?;
    let keys: Vec<Key> = children.iter().map(|sk| Key::new(org_partition(org_id), sk.as_str())).collect();
    for item in table.get_many(&keys).await?.into_iter().flatten() {
        if item.attrs.get(SHAREABLE).and_then(|v| v.as_bool()) == Some(true) || item.gsi1_key().is_some() {
            let update = Update::new().set(SHAREABLE, false).remove(GSI1_PK).remove(GSI1_SK);
            match table.update(&item.key, update, Condition::Exists).await {
                Ok(_) | Err(StoreError::ConditionFailed) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{new_id, prefix};
    use crate::jobs::{Job, NewJob};
    use quarry_ports::clock::ManualClock;

    fn caller(org_id: &str, livemode: bool) -> Caller {
        Caller { org_id: org_id.to_string(), livemode, plans_per_day: None, key_id: None, member_id: None }
    }

    async fn ids(page: ResearchResult<(Vec<Artifact>, Option<String>)>) -> Vec<String> {
        page.unwrap().0.into_iter().map(|a| a.id).collect()
    }

    /// The flag and the shared index entry survive the artifact being written again (a job's end
    /// replayed after a crash, an export replayed), and a record written before the mode was
    /// stored on it is listed by its job's mode.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sharing_survives_a_rewrite_and_old_records_take_their_jobs_mode() {
        let dir = tempfile::tempdir().unwrap();
        let clock: SharedClock = ManualClock::new();
        let store = quarry_store::Embedded::open(dir.path(), "http://127.0.0.1:9", b"k".to_vec(), clock.clone()).unwrap();
        let (table, blobs) = (store.storage.table.clone(), store.storage.blobs.clone());
        let artifacts = Artifacts::new(table.clone(), blobs.clone(), clock.clone(), 90);
        let org = "org_01HXA5Q6T9ZJ3N1V0B7K2M4P8R";
        let new = NewJob {
            thread_id: "thr_01HXA5Q6T9ZJ3N1V0B7K2M4P8R",
            plan_id: "pln_1",
            steps: 1,
            credits_estimate: 0,
            livemode: false,
            auto_approve: false,
        };
        let job = Job::pending(new_id(prefix::JOB), new, clock.now().into());
        table.put(Item::from_record(super::super::job_key(org, &job.id), &job).unwrap(), Condition::None).await.unwrap();
        let written = super::super::artifact::write(table.as_ref(), blobs.as_ref(), org, &job, &[]).await.unwrap();
        let test = caller(org, false);
        let shared = || artifacts.list_shareable(org, false, Order::Desc, 20, None);

        assert_eq!(ids(artifacts.list(&test, Order::Desc, 20, None).await).await, [written.id.as_str()]);
        assert!(ids(artifacts.list(&caller(org, true), Order::Desc, 20, None).await).await.is_empty(), "another mode's");
        assert!(ids(shared().await).await.is_empty(), "not shared until marked");
        assert!(artifacts.set_shareable(&test, &written.id, true).await.unwrap().shareable);
        assert_eq!(ids(shared().await).await, [written.id.as_str()]);
        assert!(ids(artifacts.list_shareable(org, true, Order::Desc, 20, None).await).await.is_empty(), "its own mode only");

        super::super::artifact::write(table.as_ref(), blobs.as_ref(), org, &job, &[]).await.unwrap();
        assert_eq!(ids(shared().await).await, [written.id.as_str()], "still shared after the rewrite");
        assert!(artifacts.shared(org, false, &written.id, Format::Csv).await.unwrap().shareable);
        assert!(matches!(artifacts.shared(org, true, &written.id, Format::Csv).await, Err(ResearchError::NotFound { .. })));

        assert!(!artifacts.set_shareable(&test, &written.id, false).await.unwrap().shareable);
        super::super::artifact::write(table.as_ref(), blobs.as_ref(), org, &job, &[]).await.unwrap();
        assert!(ids(shared().await).await.is_empty(), "still unshared after the rewrite");
        assert!(matches!(artifacts.shared(org, false, &written.id, Format::Csv).await, Err(ResearchError::NotFound { .. })));

        // A record from before the mode was stored on it: its job's mode decides.
        let key = artifact_key(org, &written.id);
        table.update(&key, Update::new().remove(LIVEMODE), Condition::Exists).await.unwrap();
        assert_eq!(ids(artifacts.list(&test, Order::Desc, 20, None).await).await, [written.id.as_str()]);
        assert!(ids(artifacts.list(&caller(org, true), Order::Desc, 20, None).await).await.is_empty());
        assert!(matches!(artifacts.set_shareable(&caller(org, true), &written.id, true).await, Err(ResearchError::NotFound { .. })));
    }
}

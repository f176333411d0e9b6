//! The organization's lead store: every lead any of its jobs wrote, readable across jobs
//! (`GET /v1/leads`), one by one (`GET/PATCH/DELETE /v1/leads/{id}`) and in bulk exports.
//!
//! A lead lives in its job's data partition (so a thread delete removes it with the job). Two
//! things make it findable without knowing its job:
//! - a **pointer** `LEADID#<org>` / `<lead_id>` naming the job, written in the lead's own
//!   transaction, for reads by ID;
//! - three **sorted views** of the organization's leads, kept in the table's secondary indexes by
//!   attributes of the lead item itself (so they vanish with it): by creation time (`gsi1`), by
//!   score (`gsi2`) and by company name (`gsi3`). Test-mode and live leads are separate views, as
//!   every other list of the API separates them by key.
//!
//! A pointer whose lead has gone (its thread was deleted) reads as "not found" and is removed.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::confidence::confidence;
use super::dedupe;
use super::score::LeadStatus;
use super::{Lead, LeadDraft};
use crate::events::{Event, EventType};
use quarry_planner::Criteria;
use quarry_ports::clock::Timestamp;
use quarry_ports::table::{query_matching, KeyRange, Order, Query};
use quarry_ports::{Condition, Item, Key, StoreError, StoreResult, Table, Update, WriteOp};

/// The lead item attribute naming its dedupe pointer (removed with the lead, so a later
/// duplicate creates a fresh lead instead of merging into a deleted one).
pub(crate) const DEDUPE_SK: &str = "dedupe_sk";

/// Sort-key stand-in for a lead without a score: below every score (`000`), so unscored leads
/// come last in the default descending order.
const NO_SCORE: &str = "---";
/// Sort-key stand-in for a lead without a company name: after every name.
const NO_COMPANY: &str = "~";
/// Longest company-name prefix the company view sorts by.
const COMPANY_SORT_CHARS: usize = 60;

/// The partition of an organization's leads in each sorted view, test-mode and live apart.
pub(crate) fn view_partition(org_id: &str, livemode: bool) -> String {
    format!("LEADS#{org_id}#{}", if livemode { "live" } else { "test" })
}

/// The key of the pointer from a lead ID to its job.
pub(crate) fn pointer_key(org_id: &str, lead_id: &str) -> Key {
    Key::new(format!("LEADID#{org_id}"), lead_id)
}

/// The write that creates a lead's pointer.
pub(crate) fn pointer_op(org_id: &str, lead: &Lead, livemode: bool) -> WriteOp {
    let item = Item::new(pointer_key(org_id, &lead.id)).with("job_id", lead.job_id.as_str()).with("livemode", livemode);
    WriteOp::Put { item, condition: Condition::None }
}

/// The sort key of a lead in the creation view: time, then ID.
pub(crate) fn created_sort_key(created_at: Timestamp, lead_id: &str) -> String {
    format!("{created_at}#{lead_id}")
}

/// The sort key of a lead in the score view: the score on three digits, then creation order.
pub(crate) fn score_sort_key(score: Option<u8>, created_at: Timestamp, lead_id: &str) -> String {
    let score = score.map_or_else(|| NO_SCORE.to_string(), |s| format!("{s:03}"));
    format!("{score}#{}", created_sort_key(created_at, lead_id))
}

/// The sort key of a lead in the company view: the company name folded to lowercase ASCII
/// letters and digits with `-` between words (so "Acme" sorts before "Acme Corp"), then the ID.
pub(crate) fn company_sort_key(name: Option<&str>, lead_id: &str) -> String {
    let folded = name.map(super::dedupe::fold_ascii).unwrap_or_default();
    let mut key = String::new();
    for word in folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !key.is_empty() {
            key.push('-');
        }
        key.push_str(word);
    }
    let key: String = key.chars().take(COMPANY_SORT_CHARS).collect();
    format!("{}#{lead_id}", if key.is_empty() { NO_COMPANY } else { key.as_str() })
}

/// The lead's item with its sorted-view attributes (and the other stored attributes it keeps).
pub(crate) fn lead_item(key: Key, lead: &Lead, org_id: &str, livemode: bool, dedupe_sk: &str) -> StoreResult<Item> {
    let view = view_partition(org_id, livemode);
    let company = lead.company.as_ref().and_then(|c| c.name.as_deref());
    Ok(Item::from_record(key, lead)?
        .with_gsi1(view.as_str(), created_sort_key(lead.created_at, &lead.id))
        .with_gsi2(view.as_str(), score_sort_key(lead.lead_score, lead.created_at, &lead.id))
        .with_gsi3(view, company_sort_key(company, &lead.id))
        .with(DEDUPE_SK, dedupe_sk)
        .with("livemode", json!(livemode)))
}

/// Attributes of a lead that only its user writes (`PATCH`): a job's merge never touches them.
pub(crate) const USER_OWNED: [&str; 3] = ["custom_notes", "tags", "updated_at"];

/// Most leads one list request examines while filtering.
const MAX_EXAMINED_PER_PAGE: usize = 2_000;
/// Longest `custom_notes`, in characters.
pub const MAX_NOTES_CHARS: usize = 5_000;
/// Most tags on a lead, and the longest tag.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;
/// Longest `search` text.
pub const MAX_SEARCH_CHARS: usize = 200;

/// How a lead list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSort {
    #[default]
    CreatedAt,
    Score,
    Company,
}

impl LeadSort {
    pub fn parse(raw: &str) -> Option<LeadSort> {
        match raw {
            "created_at" => Some(LeadSort::CreatedAt),
            "score" | "lead_score" => Some(LeadSort::Score),
            "company" | "company_name" => Some(LeadSort::Company),
            _ => None,
        }
    }
}

/// Which leads a list or an export covers; every filter is optional and they all apply.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadFilter {
    pub job_id: Option<String>,
    pub score_min: Option<u8>,
    pub score_max: Option<u8>,
    pub status: Option<LeadStatus>,
    /// Case-insensitive text in the lead's email, phone, name, company name or domain.
    pub search: Option<String>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
}

impl LeadFilter {
    /// The score range the filter allows (a status is a score range too), when it restricts it.
    fn score_bounds(&self) -> Option<(u8, u8)> {
        let (mut low, mut high) = (self.score_min.unwrap_or(0), self.score_max.unwrap_or(100));
        let (status_low, status_high) = match self.status {
            Some(LeadStatus::Hot) => (70, 100),
            Some(LeadStatus::Warm) => (40, 69),
            Some(LeadStatus::Cold) => (0, 39),
            None => (0, 100),
        };
        low = low.max(status_low);
        high = high.min(status_high);
        let restricted = self.score_min.is_some() || self.score_max.is_some() || self.status.is_some();
        restricted.then_some((low, high))
    }

    /// True when `lead` passes every filter.
    pub fn keeps(&self, lead: &Lead) -> bool {
        let score_ok = match self.score_bounds() {
            None => true,
            Some((low, high)) => lead.lead_score.is_some_and(|s| (low..=high).contains(&s)),
        };
        score_ok
            && self.job_id.as_ref().is_none_or(|j| *j == lead.job_id)
            && self.created_after.is_none_or(|t| lead.created_at >= t)
            && self.created_before.is_none_or(|t| lead.created_at < t)
            && self.search.as_deref().is_none_or(|text| mentions(lead, text))
    }
}

/// True when the lead's email, phone, name, company name or domain contains `text` (folded).
fn mentions(lead: &Lead, text: &str) -> bool {
    let needle = super::dedupe::fold_ascii(text.trim());
    let person = lead.person.as_ref();
    let company = lead.company.as_ref();
    let haystack = [
        person.and_then(|p| p.email.as_deref()),
        person.and_then(|p| p.phone.as_deref()),
        person.and_then(|p| p.full_name.as_deref()),
        company.and_then(|c| c.name.as_deref()),
        company.and_then(|c| c.domain.as_deref()),
        company.and_then(|c| c.phone.as_deref()),
    ];
    let emails = lead.fields.get("emails").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    haystack.into_iter().flatten().chain(emails).any(|value| super::dedupe::fold_ascii(value).contains(&needle))
}

/// What `PATCH /v1/leads/{id}` may change; `Some(None)` clears the notes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeadPatch {
    pub custom_notes: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
}

/// The organization's leads, across its jobs.
pub struct LeadStore<'a> {
    table: &'a dyn Table,
}

impl<'a> LeadStore<'a> {
    pub fn new(table: &'a dyn Table) -> Self {
        LeadStore { table }
    }

    /// One page of the leads of the organization's `livemode` view that pass `filter`, sorted.
    /// A selective filter examines at most 2,000 leads per page: the page may then be short with
    /// a cursor to continue.
    #[allow(clippy::too_many_arguments)]
    pub async fn list(
        &self,
        org_id: &str,
        livemode: bool,
        filter: &LeadFilter,
        sort: LeadSort,
        order: Order,
        limit: usize,
        cursor: Option<String>,
    ) -> StoreResult<(Vec<Lead>, Option<String>)> {
        let query = self.query_for(org_id, livemode, filter, sort).order(order).cursor(cursor);
        let keep = |item: &Item| -> StoreResult<Option<Lead>> {
            if item.attrs.get("livemode").and_then(Value::as_bool) != Some(livemode) {
                return Ok(None);
            }
            let lead: Lead = item.to_record()?;
            Ok(filter.keeps(&lead).then_some(lead))
        };
        query_matching(self.table, query, limit, MAX_EXAMINED_PER_PAGE, keep).await
    }

    /// The narrowest sorted view that serves the request; the filter is applied on top.
    fn query_for(&self, org_id: &str, livemode: bool, filter: &LeadFilter, sort: LeadSort) -> Query {
        let view = view_partition(org_id, livemode);
        match sort {
            // One job's leads are all created together: its own partition lists them, in row order.
            LeadSort::CreatedAt if filter.job_id.is_some() => {
                Query::partition(job_data_partition(org_id, filter.job_id.as_deref().unwrap_or_default())).prefix(LEAD_SK)
            }
            LeadSort::CreatedAt => {
                // DynamoDB refuses empty key values, so an open end is a one-sided range.
                let range = match (filter.created_after.map(|t| t.to_string()), filter.created_before.map(|t| t.to_string())) {
                    (Some(low), Some(high)) => KeyRange::Between(low, high),
                    (Some(low), None) => KeyRange::From(low),
                    (None, Some(high)) => KeyRange::To(high),
                    (None, None) => KeyRange::All,
                };
                Query::gsi1(view).range(range)
            }
            LeadSort::Score => match filter.score_bounds() {
                Some((low, high)) => Query::gsi2(view).range(KeyRange::Between(format!("{low:03}"), format!("{high:03}~"))),
                None => Query::gsi2(view),
            },
            LeadSort::Company => Query::gsi3(view),
        }
    }

    /// A lead of the organization's `livemode` view, with its stored item.
    async fn find(&self, org_id: &str, livemode: bool, lead_id: &str) -> StoreResult<Option<(Item, Lead)>> {
        let Some(pointer) = self.table.get(&pointer_key(org_id, lead_id)).await? else { return Ok(None) };
        let (Some(job_id), Some(mode)) = (pointer.str("job_id"), pointer.attrs.get("livemode").and_then(Value::as_bool)) else {
            return Ok(None);
        };
        if mode != livemode {
            return Ok(None);
        }
        let key = Key::new(job_data_partition(org_id, job_id), format!("{LEAD_SK}{lead_id}"));
        match self.table.get(&key).await? {
            Some(item) => {
                let lead = item.to_record()?;
                Ok(Some((item, lead)))
            }
            None => {
                // Its job's thread was deleted: the pointer outlived the lead.
                self.table.delete(&pointer.key, Condition::None).await?;
                Ok(None)
            }
        }
    }

    /// A lead by ID; `None` when it is not in the organization's `livemode` view.
    pub async fn get(&self, org_id: &str, livemode: bool, lead_id: &str) -> StoreResult<Option<Lead>> {
        Ok(self.find(org_id, livemode, lead_id).await?.map(|(_, lead)| lead))
    }

    /// Applies the user's changes; `None` when there is no such lead.
    pub async fn update(&self, org_id: &str, livemode: bool, lead_id: &str, patch: LeadPatch, now: Timestamp) -> StoreResult<Option<Lead>> {
        let Some((item, _)) = self.find(org_id, livemode, lead_id).await? else { return Ok(None) };
        let mut update = Update::new().set("updated_at", now.to_string());
        if let Some(notes) = patch.custom_notes {
            update = update.set("custom_notes", notes.map_or(Value::Null, Value::String));
        }
        if let Some(tags) = patch.tags {
            update = update.set("tags", json!(tags));
        }
        match self.table.update(&item.key, update, Condition::Exists).await {
            Ok(item) => Ok(Some(item.to_record()?)),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a lead, its pointer and its dedupe key (so a later duplicate makes a fresh lead);
    /// `false` when there is no such lead.
    pub async fn delete(&self, org_id: &str, livemode: bool, lead_id: &str) -> StoreResult<bool> {
        let Some((item, _)) = self.find(org_id, livemode, lead_id).await? else { return Ok(false) };
        let mut ops = vec![
            WriteOp::Delete { key: item.key.clone(), condition: Condition::Exists },
            WriteOp::Delete { key: pointer_key(org_id, lead_id), condition: Condition::None },
        ];
        if let Some(dedupe_sk) = item.str(DEDUPE_SK) {
            ops.push(WriteOp::Delete { key: Key::new(item.key.pk.clone(), dedupe_sk), condition: Condition::None });
        }
        match self.table.transact(ops).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The partition holding what a job produced: its leads (this store) and its log
/// (`jobs::log`). The job record names it as owned, so a thread delete removes it.
pub fn job_data_partition(org_id: &str, job_id: &str) -> String {
    format!("JOBDATA#{org_id}#{job_id}")
}

/// The sort-key prefix of leads in their partition.
pub const LEAD_SK: &str = "LEAD#";

/// Every lead of a job, in discovery order.
pub async fn job_leads(table: &dyn Table, org_id: &str, job_id: &str) -> StoreResult<Vec<Lead>> {
    let query = Query::partition(job_data_partition(org_id, job_id)).prefix(LEAD_SK);
    quarry_ports::table::query_all_records(table, query).await
}

/// One lead of a chunk for [`JobLeadWriter::store_chunk`]: the row and person slot that fix its
/// ID, and what was found.
pub struct ChunkRow {
    pub index: u64,
    pub slot: usize,
    pub draft: LeadDraft,
}

/// Writes the leads of one job: each with an ID fixed by its row, merged into the job's lead of
/// the same dedupe key, with its pointer and sorted-view keys, and `lead.qualified` when it turns
/// hot, all in the transaction of the lead.
pub struct JobLeadWriter<'a> {
    pub table: &'a dyn Table,
    pub org_id: &'a str,
    pub job_id: &'a str,
    pub livemode: bool,
    /// When events are recorded.
    pub now: Timestamp,
}

impl JobLeadWriter<'_> {
    /// Stores one lead, merging it into the job's lead with the same dedupe key if there is one.
    /// A lead that is hot when first stored (or becomes hot by a merge) records `lead.qualified`
    /// in the same transaction, so replays never record it twice.
    pub async fn store(
        &self,
        criteria: Option<&Criteria>,
        (index, slot): (u64, usize),
        draft: LeadDraft,
        at: Timestamp,
    ) -> StoreResult<Lead> {
        let (org_id, partition) = (self.org_id, job_data_partition(self.org_id, self.job_id));
        let key = dedupe::dedupe_key(&draft).unwrap_or_else(|| format!("row:{index}:{slot}"));
        let pointer = Key::new(partition.clone(), format!("LKEY#{}", dedupe::key_digest(&key, 16)));
        // Optimistically a new lead: one transaction that fails if its dedupe key is taken.
        let lead = lead_from(lead_id(self.job_id, index, slot), self.job_id, draft.clone(), at, criteria);
        match self.table.transact(self.new_lead_ops(&partition, &key, &lead)?).await {
            Ok(()) => return Ok(lead),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
        // The key is taken: by this same lead on a replay, or by a duplicate. Merge into it
        // (merging is idempotent, so a replay changes nothing).
        let existing = self.table.get(&pointer).await?.and_then(|p| p.str("lead_sk").map(str::to_string)).unwrap_or_default();
        let Some(item) = self.table.get(&Key::new(partition.clone(), existing.clone())).await? else {
            return Err(StoreError::Backend(format!("lead pointer {pointer} names a missing lead")));
        };
        let mut stored: Lead = item.to_record()?;
        let before = stored.clone();
        let mut merged = LeadDraft {
            company: stored.company.take(),
            person: stored.person.take(),
            fields: std::mem::take(&mut stored.fields),
            sources: std::mem::take(&mut stored.sources),
        };
        dedupe::merge(&mut merged, draft);
        let mut lead = lead_from(stored.id, self.job_id, merged, stored.created_at, criteria);
        // What the user wrote on the lead is theirs: a merge keeps it.
        (lead.custom_notes, lead.tags, lead.updated_at) = (stored.custom_notes, stored.tags, stored.updated_at);
        if lead == before {
            return Ok(lead);
        }
        // An update of the job's attributes only, so a user's concurrent PATCH is never lost.
        let item = lead_item(Key::new(partition, existing), &lead, org_id, self.livemode, &pointer.sk)?;
        let mut update = Update::new();
        for (name, value) in item.attrs.into_iter().filter(|(name, _)| !USER_OWNED.contains(&name.as_str())) {
            update = update.set(&name, value);
        }
        let mut ops = vec![WriteOp::Update { key: item.key, update, condition: Condition::Exists }];
        ops.extend(self.qualified_event(Some(&before), &lead)?);
        self.table.transact(ops).await?;
        Ok(lead)
    }

    /// Stores a chunk of leads in one [`Table::transact_groups`] call (one commit on the embedded
    /// store, a few packed transactions on DynamoDB) instead of a transaction per lead, and
    /// answers the stored lead of each row, in order. Each new lead is its own group (the lead,
    /// its dedupe pointer, its ID pointer, its `lead.qualified` event), so the result is what
    /// [`JobLeadWriter::store`] row by row would write: rows of the chunk with the same dedupe key
    /// are merged in memory into the first one's lead, and a lead whose key is already taken
    /// (a duplicate of an earlier chunk, or this chunk replayed) goes through `store`'s merge.
    pub async fn store_chunk(&self, criteria: Option<&Criteria>, rows: Vec<ChunkRow>, at: Timestamp) -> StoreResult<Vec<Lead>> {
        let partition = job_data_partition(self.org_id, self.job_id);
        // The chunk's distinct dedupe keys, first row first, each with the rows it merges.
        let mut keys: Vec<(String, Vec<usize>)> = Vec::new();
        let mut by_key: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (n, row) in rows.iter().enumerate() {
            let key = dedupe::dedupe_key(&row.draft).unwrap_or_else(|| format!("row:{}:{}", row.index, row.slot));
            match by_key.get(&key) {
                Some(&k) => keys[k].1.push(n),
                None => {
                    by_key.insert(key.clone(), keys.len());
                    keys.push((key, vec![n]));
                }
            }
        }
        let mut leads = Vec::with_capacity(keys.len());
        let mut groups = Vec::with_capacity(keys.len());
        for (key, members) in &keys {
            let first = &rows[members[0]];
            let mut draft = first.draft.clone();
            for &n in &members[1..] {
                dedupe::merge(&mut draft, rows[n].draft.clone());
            }
            let lead = lead_from(lead_id(self.job_id, first.index, first.slot), self.job_id, draft, at, criteria);
            groups.push(self.new_lead_ops(&partition, key, &lead)?);
            leads.push(lead);
        }
        let written = self.table.transact_groups(groups).await?;
        let mut stored: Vec<Option<Lead>> = vec![None; rows.len()];
        let mut rows: Vec<Option<ChunkRow>> = rows.into_iter().map(Some).collect();
        for (((_, members), lead), written) in keys.iter().zip(leads).zip(written) {
            let lead = if written {
                lead
            } else {
                // Taken before this chunk: merge row by row, as `store` always did.
                let mut last = None;
                for &n in members {
                    let row = rows[n].take().expect("each row merges once");
                    last = Some(self.store(criteria, (row.index, row.slot), row.draft, at).await?);
                }
                last.expect("a key has a row")
            };
            for &n in members {
                stored[n] = Some(lead.clone());
            }
        }
        Ok(stored.into_iter().map(|lead| lead.expect("every row belongs to a key")).collect())
    }

    /// The writes that create `lead` under the dedupe `key`: the lead, its dedupe pointer (on
    /// condition that the key is free), its ID pointer and, if it is hot, `lead.qualified`.
    fn new_lead_ops(&self, partition: &str, key: &str, lead: &Lead) -> StoreResult<Vec<WriteOp>> {
        let pointer = Key::new(partition, format!("LKEY#{}", dedupe::key_digest(key, 16)));
        let sk = format!("{LEAD_SK}{}", lead.id);
        let mut ops = vec![
            WriteOp::Put {
                item: lead_item(Key::new(partition, sk.clone()), lead, self.org_id, self.livemode, &pointer.sk)?,
                condition: Condition::None,
            },
            WriteOp::Put { item: Item::new(pointer).with("lead_sk", sk), condition: Condition::Absent },
            pointer_op(self.org_id, lead, self.livemode),
        ];
        ops.extend(self.qualified_event(None, lead)?);
        Ok(ops)
    }

    /// The `lead.qualified` event of a lead that is hot now and was not `before` (its two writes).
    fn qualified_event(&self, before: Option<&Lead>, lead: &Lead) -> StoreResult<Vec<WriteOp>> {
        let hot = |l: &Lead| l.lead_status == Some(LeadStatus::Hot);
        if !hot(lead) || before.is_some_and(hot) {
            return Ok(Vec::new());
        }
        Ok(Event::new(EventType::LeadQualified, lead, self.livemode, self.now)?.record_ops(self.org_id)?.into())
    }
}

/// A lead ID fixed by the job and the row: the same on every replay, sorted by row within the
/// job, and distinct across jobs even when they were created in the same millisecond. The ULID
/// keeps the job's time and the top 40 of the job ID's 80 random bits, then the row (24 bits,
/// far above the 10,000 rows a job may have) and the person slot (16 bits).
pub fn lead_id(job_id: &str, index: u64, slot: usize) -> String {
    const ROW_BITS: u32 = 24;
    const SLOT_BITS: u32 = 16;
    let job = ulid::Ulid::from_string(job_id.trim_start_matches("job_")).unwrap_or_default();
    let job_bits = job.random() >> (ROW_BITS + SLOT_BITS);
    debug_assert!(index < 1 << ROW_BITS && slot < 1 << SLOT_BITS, "row {index} or slot {slot} out of range");
    let row = u128::from(index) & ((1 << ROW_BITS) - 1);
    let slot = slot as u128 & ((1 << SLOT_BITS) - 1);
    let random = (job_bits << (ROW_BITS + SLOT_BITS)) | (row << SLOT_BITS) | slot;
    format!("lead_{}", ulid::Ulid::from_parts(job.timestamp_ms(), random))
}

/// The stored lead of a draft, scored against the request as of `created_at` (so a replay writes
/// the same lead); without `criteria` it is not scored.
fn lead_from(id: String, job_id: &str, draft: LeadDraft, created_at: Timestamp, criteria: Option<&Criteria>) -> Lead {
    let confidence = confidence(&draft);
    let scored = criteria.map(|criteria| super::score::qualify(&draft, criteria, created_at));
    let (lead_score, lead_status) = (scored.as_ref().map(|s| s.lead_score), scored.as_ref().map(|s| s.lead_status));
    let (signals_detected, qualification_notes) = scored.map(|s| (s.signals_detected, s.qualification_notes)).unwrap_or_default();
    Lead {
        id,
        object: "lead".into(),
        job_id: job_id.to_string(),
        company: draft.company,
        person: draft.person,
        fields: draft.fields,
        sources: draft.sources,
        confidence,
        lead_score,
        lead_status,
        signals_detected,
        qualification_notes,
        custom_notes: None,
        tags: Vec::new(),
        created_at,
        updated_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_ids_of_jobs_made_in_the_same_millisecond_differ() {
        let ms = 1_764_633_600_000;
        let jobs: Vec<String> = (0..300).map(|_| format!("job_{}", ulid::Ulid::from_parts(ms, rand::random::<u128>()))).collect();
        let mut ids = std::collections::HashSet::new();
        for job in &jobs {
            for row in 0..5 {
                assert!(ids.insert(lead_id(job, row, 0)), "a lead ID repeated across jobs");
            }
        }
        // Stable on replay, and in row order (then slot) within the job.
        let job = &jobs[0];
        assert_eq!(lead_id(job, 7, 1), lead_id(job, 7, 1));
        let ordered = [lead_id(job, 0, 0), lead_id(job, 0, 1), lead_id(job, 1, 0), lead_id(job, 9_999, 0)];
        assert!(ordered.windows(2).all(|w| w[0] < w[1]), "{ordered:?}");
        assert!(crate::ids::has_prefix(&ordered[0], crate::ids::prefix::LEAD));
    }

    /// A company draft of `domain`, with `city` when given (so a later duplicate adds a fact).
    fn company(domain: &str, city: Option<&str>) -> LeadDraft {
        let company = super::super::Company {
            name: Some(format!("{domain} GmbH")),
            domain: Some(domain.into()),
            hq_city: city.map(str::to_string),
            ..Default::default()
        };
        LeadDraft { company: Some(company), ..LeadDraft::default() }
    }

    fn rows(chunk: &[(u64, LeadDraft)]) -> Vec<ChunkRow> {
        chunk.iter().map(|(index, draft)| ChunkRow { index: *index, slot: 0, draft: draft.clone() }).collect()
    }

    /// `store_chunk` writes what `store` row by row writes: duplicates within a chunk and across
    /// chunks merge into the first lead, and a replayed chunk changes nothing. (Row by row, an
    /// in-chunk duplicate's first row is answered before the merge; a chunk answers it after.)
    #[tokio::test]
    async fn a_chunk_stores_what_row_by_row_stores() {
        use quarry_store::sqlite::{SqliteDb, SqliteTable};
        let dir = tempfile::tempdir().unwrap();
        let clock: quarry_ports::clock::SharedClock = quarry_ports::clock::ManualClock::new();
        let open = |name: &str| SqliteTable::new(SqliteDb::open(&dir.path().join(name)).unwrap(), clock.clone());
        let (chunked, row_by_row) = (open("chunked.db"), open("rows.db"));
        let job = format!("job_{}", ulid::Ulid::new());
        let at = Timestamp::from(clock.now());
        let chunks = [
            vec![(0, company("a.de", None)), (1, company("b.de", None)), (2, company("a.de", Some("Berlin")))],
            vec![(3, company("b.de", Some("Köln"))), (4, company("c.de", None))],
        ];
        let writer = |table| JobLeadWriter { table, org_id: "org_1", job_id: &job, livemode: false, now: at };
        for chunk in chunks.iter().chain(&chunks[..1]) {
            let answered = writer(&chunked).store_chunk(None, rows(chunk), at).await.unwrap();
            let mut expected = Vec::new();
            for row in rows(chunk) {
                expected.push(writer(&row_by_row).store(None, (row.index, row.slot), row.draft, at).await.unwrap());
            }
            // Each row is answered with the lead it went into, as stored once the chunk is in.
            let stored = job_leads(&chunked, "org_1", &job).await.unwrap();
            for (answer, expected) in answered.iter().zip(&expected) {
                assert_eq!(answer.id, expected.id);
                assert_eq!(Some(answer), stored.iter().find(|lead| lead.id == answer.id));
            }
        }
        let leads = job_leads(&chunked, "org_1", &job).await.unwrap();
        assert_eq!(leads, job_leads(&row_by_row, "org_1", &job).await.unwrap());
        assert_eq!(leads.len(), 3, "a.de, b.de and c.de, each once");
        let city = |lead: &Lead| lead.company.as_ref().and_then(|c| c.hq_city.clone());
        assert_eq!(leads.iter().map(city).collect::<Vec<_>>(), [Some("Berlin".into()), Some("Köln".into()), None]);
        assert_eq!(leads[0].id, lead_id(&job, 0, 0), "a duplicate keeps the first row's ID");
    }

    #[test]
    fn company_keys_sort_by_words() {
        let acme = company_sort_key(Some("Acme"), "lead_2");
        let acme_corp = company_sort_key(Some("ACME Corp."), "lead_1");
        let bolt = company_sort_key(Some("Bölt GmbH"), "lead_0");
        assert!(acme < acme_corp && acme_corp < bolt, "{acme} {acme_corp} {bolt}");
        assert!(bolt.starts_with("bolt-gmbh#"));
        assert!(company_sort_key(None, "lead_9") > bolt);
        assert!(company_sort_key(Some("!!!"), "lead_9").starts_with(NO_COMPANY));
    }

    #[test]
    fn score_keys_sort_numerically_and_unscored_last() {
        let at = Timestamp::parse("2026-11-01T00:00:00.000Z").unwrap();
        let nine = score_sort_key(Some(9), at, "lead_1");
        let seventy = score_sort_key(Some(70), at, "lead_1");
        let hundred = score_sort_key(Some(100), at, "lead_1");
        assert!(nine < seventy && seventy < hundred);
        assert!(score_sort_key(None, at, "lead_1") < nine);
    }
}

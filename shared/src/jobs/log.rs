//! A job's log: the entries its stream shows (`log`, `step`, `result`, `artifact`, `error`,
//! `done`, `stopped`), stored in the job's data partition so `/logs`, live streams and reconnects
//! with `Last-Event-ID` all read exactly the same sequence.
//!
//! Entry IDs are fixed by where the runner was when it wrote them (step, row offset, index), so a
//! replayed chunk rewrites the same entries instead of appending duplicates, and IDs sort in the
//! order the job produced them.
//!
//! A `result` entry is stored as the IDs of its leads (`{lead_ids}`), not copies of them: the
//! leads are already stored once in the same partition, and copying them made the log the
//! largest thing a job wrote. Reading the log puts the leads in (`{leads}`, the documented
//! shape) as they are when read: a lead edited since shows its edits, and a deleted lead is gone
//! from the log too. Entries written before this kept their copies and are served as stored.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::leads::store::LEAD_SK;
use crate::leads::Lead;
use quarry_ports::clock::Timestamp;
use quarry_ports::{Condition, Item, Key, KeyRange, Query, StoreResult, Table, WriteOp};

const LOG_SK: &str = "LOG#";
/// What a stored `result` entry holds: the IDs of its leads, in order.
const LEAD_IDS: &str = "lead_ids";
/// The step number used for the entries that end a job (after every real step).
const END_STEP: usize = 999;

/// What an entry reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A free-text progress line.
    Log,
    /// A step started or completed: `{step_id, status, title}`.
    Step,
    /// A batch of captured leads: `{leads: [...]}`.
    Result,
    /// The artifact is ready: `{artifact_id, rows, bytes}`.
    Artifact,
    /// The job failed: `{message}`.
    Error,
    /// The job succeeded: `{job_id, artifact_id, summary}`.
    Done,
    /// The job was stopped: `{job_id, artifact_id, summary}`.
    Stopped,
}

impl EntryKind {
    /// Whether the entry ends the job's stream.
    pub fn is_terminal(self) -> bool {
        matches!(self, EntryKind::Error | EntryKind::Done | EntryKind::Stopped)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Log => "log",
            EntryKind::Step => "step",
            EntryKind::Result => "result",
            EntryKind::Artifact => "artifact",
            EntryKind::Error => "error",
            EntryKind::Done => "done",
            EntryKind::Stopped => "stopped",
        }
    }
}

/// One log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LogEntry {
    /// Sortable and stable: the stream's `id:` and what `Last-Event-ID` names.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EntryKind,
    #[schema(value_type = Object)]
    pub data: Value,
    pub created_at: Timestamp,
}

/// The entry ID for the `n`th entry written at (`step`, `offset`); `None` step means the end.
pub fn entry_id(step: Option<usize>, offset: u64, n: usize) -> String {
    format!("{:03}{offset:07}{n:03}", step.unwrap_or(END_STEP))
}

/// The data of a `result` entry reporting `leads`, as stored: their IDs.
pub fn result_data(leads: &[Lead]) -> Value {
    serde_json::json!({ LEAD_IDS: leads.iter().map(|lead| lead.id.as_str()).collect::<Vec<_>>() })
}

/// Writes entries of a job (idempotent: an entry with the same ID is overwritten, not repeated),
/// all in one call: one commit on the embedded store, `BatchWriteItem`s on DynamoDB.
pub async fn write(table: &dyn Table, partition: &str, entries: &[LogEntry]) -> StoreResult<()> {
    let puts = entries
        .iter()
        .map(|entry| {
            let item = Item::from_record(Key::new(partition, format!("{LOG_SK}{}", entry.id)), entry)?;
            Ok(vec![WriteOp::Put { item, condition: Condition::None }])
        })
        .collect::<StoreResult<Vec<_>>>()?;
    if !puts.is_empty() {
        table.transact_groups(puts).await?;
    }
    Ok(())
}

/// Up to `limit` entries after the entry `after` (from the start when `None`), in order.
pub async fn read_after(table: &dyn Table, partition: &str, after: Option<&str>, limit: usize) -> StoreResult<Vec<LogEntry>> {
    // `LOG#<id>~` sorts after `LOG#<id>` and before the next ID (IDs are digits).
    let range = match after {
        Some(id) => KeyRange::Between(format!("{LOG_SK}{id}~"), format!("{LOG_SK}~")),
        None => KeyRange::Prefix(LOG_SK.into()),
    };
    let page = table.query(Query::partition(partition).range(range).limit(limit)).await?;
    with_leads(table, partition, page.items.iter().map(Item::to_record).collect::<StoreResult<_>>()?).await
}

/// One page of a job's entries in `order`, and the cursor of the next page.
pub async fn page(
    table: &dyn Table,
    partition: &str,
    order: quarry_ports::Order,
    limit: usize,
    cursor: Option<String>,
) -> StoreResult<(Vec<LogEntry>, Option<String>)> {
    let page = table.query(Query::partition(partition).prefix(LOG_SK).order(order).limit(limit).cursor(cursor)).await?;
    let entries = with_leads(table, partition, page.items.iter().map(Item::to_record).collect::<StoreResult<_>>()?).await?;
    Ok((entries, page.next_cursor))
}

/// The lead IDs a stored `result` entry names (none for any other entry, or an old `result`
/// entry that holds its leads).
fn result_lead_ids(entry: &LogEntry) -> Vec<String> {
    let ids = entry.data.get(LEAD_IDS).and_then(Value::as_array).filter(|_| names_leads(entry));
    ids.map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

/// Whether the entry is a `result` entry stored as lead IDs.
fn names_leads(entry: &LogEntry) -> bool {
    entry.kind == EntryKind::Result && entry.data.get(LEAD_IDS).is_some_and(Value::is_array)
}

/// The entries with each `result` entry's lead IDs replaced by the leads, read in one call
/// (see the module docs).
async fn with_leads(table: &dyn Table, partition: &str, mut entries: Vec<LogEntry>) -> StoreResult<Vec<LogEntry>> {
    let named: Vec<Vec<String>> = entries.iter().map(result_lead_ids).collect();
    let keys: Vec<Key> = named.iter().flatten().map(|id| Key::new(partition, format!("{LEAD_SK}{id}"))).collect();
    if keys.is_empty() {
        return Ok(entries);
    }
    let mut found = table.get_many(&keys).await?.into_iter();
    for (entry, ids) in entries.iter_mut().zip(&named).filter(|(entry, _)| names_leads(entry)) {
        // A lead deleted since is left out (`flatten` skips the `None`).
        let leads: Vec<Value> = found
            .by_ref()
            .take(ids.len())
            .flatten()
            .map(|item| item.into_record::<Lead>().map(|lead| serde_json::to_value(lead).unwrap_or_default()))
            .collect::<StoreResult<_>>()?;
        entry.data = serde_json::json!({ "leads": leads });
    }
    Ok(entries)
}

/// Every entry of a job, in order.
pub async fn all(table: &dyn Table, partition: &str) -> StoreResult<Vec<LogEntry>> {
    let mut out: Vec<LogEntry> = Vec::new();
    loop {
        let batch = read_after(table, partition, out.last().map(|e| e.id.as_str()), 100).await?;
        if batch.is_empty() {
            return Ok(out);
        }
        out.extend(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_sort_in_production_order() {
        let ids =
            [entry_id(Some(0), 0, 0), entry_id(Some(0), 0, 1), entry_id(Some(0), 100, 0), entry_id(Some(1), 0, 0), entry_id(None, 0, 0)];
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(ids.iter().all(|id| id.len() == 13 && id.bytes().all(|b| b.is_ascii_digit())));
    }
}

//! What a thread owns: pointers from a thread to its records (plans, jobs, artifacts), written in
//! the same transaction as each child, so the delete cascade (`research::cascade`) and per-thread
//! listings find them with one strongly consistent partition query, with no secondary index to
//! lag behind; and the attributes by which a child names what goes with it ([`BLOB_KEYS`], an
//! `owned_partition`). Research and jobs both write owned records, so this sits below both.

use crate::accounts::org_partition;
use quarry_ports::{Condition, Item, Key, Query, StoreResult, Table, WriteOp};

/// Attribute of an owned record listing blob keys to delete with it.
pub const BLOB_KEYS: &str = "blob_keys";

/// Attribute of a pointer naming the child's sort key.
pub const CHILD_SK: &str = "child_sk";

fn prefix(thread_id: &str) -> String {
    format!("THRC#{thread_id}#")
}

/// The write that records `child_sk` (e.g. `JOB#job_…`) as a child of the thread, to put in the
/// transaction that creates the child. The delete cascade follows these pointers; a child record
/// may carry `blob_keys` and `owned_partition` to have those deleted with it.
pub fn pointer_op(org_id: &str, thread_id: &str, child_sk: &str) -> WriteOp {
    let key = Key::new(org_partition(org_id), format!("{}{child_sk}", prefix(thread_id)));
    WriteOp::Put { item: Item::new(key).with(CHILD_SK, child_sk), condition: Condition::None }
}

/// The sort keys of the thread's children whose sort key starts with `kind` (`JOB#`, `PLN#`, or
/// `""` for all), oldest first, one page at a time.
pub async fn page(table: &dyn Table, org_id: &str, thread_id: &str, kind: &str, limit: usize) -> StoreResult<Vec<Item>> {
    let query = Query::partition(org_partition(org_id)).prefix(format!("{}{kind}", prefix(thread_id))).limit(limit);
    Ok(table.query(query).await?.items)
}

/// Every child sort key of one kind (for the small per-thread kinds: plans and jobs).
pub async fn all(table: &dyn Table, org_id: &str, thread_id: &str, kind: &str) -> StoreResult<Vec<String>> {
    let query = Query::partition(org_partition(org_id)).prefix(format!("{}{kind}", prefix(thread_id)));
    let items = quarry_ports::table::query_all(table, query).await?;
    Ok(items.iter().filter_map(|i| i.str(CHILD_SK).map(str::to_string)).collect())
}

//! [`Table::transact_groups`](quarry_ports::Table::transact_groups) on DynamoDB: many small
//! transactions in as few calls and write units as the service allows.
//!
//! A group of one operation needs no transaction, which would cost 2 write units per KB instead
//! of 1: an unconditional put or delete goes through `BatchWriteItem` (25 items a call), a
//! conditional one is its own `PutItem` / `UpdateItem` / `DeleteItem`, several in flight. Every
//! other group keeps its all-or-nothing guarantee inside a `TransactWriteItems` call, several
//! groups packed into one call up to the 100-item limit. When a packed call is cancelled by
//! failed conditions, the cancellation reasons name the items: their groups are answered
//! `false` and the call is retried with the others (a cancelled call wrote nothing).

use std::time::Duration;

use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
use futures_util::StreamExt;

use super::{built, check_key, key_attrs, to_attrs, DynamoTable, TransactFailure};
use quarry_ports::table::{validate_groups, MAX_TRANSACTION_OPS};
use quarry_ports::{Condition, StoreError, StoreResult, Table, WriteOp};

/// Most items in one `BatchWriteItem` call (DynamoDB's limit).
const MAX_BATCH_ITEMS: usize = 25;
/// How many times unprocessed batch items (throttling) are sent again before giving up.
const BATCH_RETRIES: u32 = 8;

/// Single conditional writes of one call in flight at once.
const SINGLE_WRITES_IN_FLIGHT: usize = 8;

/// True for a group of one write (a check alone needs the transaction's condition check).
fn single_write(group: &[WriteOp]) -> bool {
    matches!(group, [op] if !matches!(op, WriteOp::Check { .. }))
}

/// True for a group that needs no transaction: one put or delete without a condition.
fn batchable(group: &[WriteOp]) -> bool {
    matches!(group, [WriteOp::Put { condition: Condition::None, .. } | WriteOp::Delete { condition: Condition::None, .. }])
}

impl DynamoTable {
    /// Writes the groups: the batchable ones in `BatchWriteItem` calls, the rest packed into
    /// `TransactWriteItems` calls. Returns, per group, whether it was written.
    pub(super) async fn write_groups(&self, groups: Vec<Vec<WriteOp>>) -> StoreResult<Vec<bool>> {
        validate_groups(&groups)?;
        for op in groups.iter().flatten() {
            check_key(op.key())?;
        }
        let now = self.now();
        let mut written = vec![true; groups.len()];
        let (singles, rest): (Vec<usize>, Vec<usize>) = (0..groups.len()).partition(|&g| batchable(&groups[g]));
        let requests = singles.iter().map(|&g| write_request(&groups[g][0])).collect::<StoreResult<Vec<_>>>()?;
        for batch in requests.chunks(MAX_BATCH_ITEMS) {
            self.batch_write(batch.to_vec()).await?;
        }
        let (conditional, transactional): (Vec<usize>, Vec<usize>) = rest.into_iter().partition(|&g| single_write(&groups[g]));
        let outcomes: Vec<(usize, StoreResult<()>)> = futures_util::stream::iter(conditional)
            .map(|g| {
                let op = &groups[g][0];
                async move { (g, self.write_single(op).await) }
            })
            .buffer_unordered(SINGLE_WRITES_IN_FLIGHT)
            .collect()
            .await;
        for (g, outcome) in outcomes {
            match outcome {
                Ok(()) => {}
                Err(StoreError::ConditionFailed) => written[g] = false,
                Err(e) => return Err(e),
            }
        }
        let mut pack: Vec<usize> = Vec::new();
        let mut items = 0;
        for g in transactional {
            if items + groups[g].len() > MAX_TRANSACTION_OPS {
                self.transact_pack(&groups, std::mem::take(&mut pack), &mut written, now).await?;
                items = 0;
            }
            items += groups[g].len();
            pack.push(g);
        }
        if !pack.is_empty() {
            self.transact_pack(&groups, pack, &mut written, now).await?;
        }
        Ok(written)
    }

    /// One packed `TransactWriteItems` of the groups `pack`, retried without the groups whose
    /// conditions failed (those are marked `false` in `written`).
    async fn transact_pack(&self, groups: &[Vec<WriteOp>], mut pack: Vec<usize>, written: &mut [bool], now: i64) -> StoreResult<()> {
        // Each round either writes the pack or drops (or purges) at least one group.
        for _ in 0..=pack.len() {
            if pack.is_empty() {
                return Ok(());
            }
            let failed = match self.transact_once(pack.iter().flat_map(|&g| &groups[g]), now).await {
                Ok(()) => return Ok(()),
                Err(TransactFailure::Conditions(failed)) => failed,
                Err(TransactFailure::Store(e)) => return Err(e),
            };
            let mut kept = Vec::with_capacity(pack.len());
            let mut start = 0;
            for g in pack {
                let end = start + groups[g].len();
                let own: Vec<usize> = failed.iter().filter(|&&i| (start..end).contains(&i)).map(|&i| i - start).collect();
                start = end;
                // An expired item may fail a condition that holds on an absent one: purge and keep.
                if own.is_empty() || self.purge_for_retry(&groups[g], &own, now).await? {
                    kept.push(g);
                } else {
                    written[g] = false;
                }
            }
            pack = kept;
        }
        Err(StoreError::Backend("DynamoDB kept cancelling a packed transaction".into()))
    }

    /// One operation with its condition, as the table's own single-item write.
    async fn write_single(&self, op: &WriteOp) -> StoreResult<()> {
        match op.clone() {
            WriteOp::Put { item, condition } => self.put(item, condition).await,
            WriteOp::Update { key, update, condition } => self.update(&key, update, condition).await.map(drop),
            WriteOp::Delete { key, condition } => self.delete(&key, condition).await.map(drop),
            WriteOp::Check { .. } => Err(StoreError::Invalid("a check is written in a transaction".into())),
        }
    }

    /// One `BatchWriteItem` of up to 25 requests, sending unprocessed items again with backoff.
    async fn batch_write(&self, mut requests: Vec<WriteRequest>) -> StoreResult<()> {
        for attempt in 0..=BATCH_RETRIES {
            if requests.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
            }
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(|e| self.fail("BatchWriteItem", e))?;
            requests = out.unprocessed_items.and_then(|mut left| left.remove(&self.table)).unwrap_or_default();
        }
        Err(StoreError::Backend(format!(
            "DynamoDB BatchWriteItem on table `{}` left {} items unprocessed after {BATCH_RETRIES} retries",
            self.table,
            requests.len()
        )))
    }
}

/// The batch request of a batchable operation.
fn write_request(op: &WriteOp) -> StoreResult<WriteRequest> {
    Ok(match op {
        WriteOp::Put { item, .. } => {
            WriteRequest::builder().put_request(built(PutRequest::builder().set_item(Some(to_attrs(item)?)).build())?)
        }
        WriteOp::Delete { key, .. } => {
            WriteRequest::builder().delete_request(built(DeleteRequest::builder().set_key(Some(key_attrs(key))).build())?)
        }
        _ => return Err(StoreError::Invalid("only unconditional puts and deletes can be batched".into())),
    }
    .build())
}

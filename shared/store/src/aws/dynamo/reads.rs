//! [`Table::get_many`](quarry_ports::Table::get_many) on DynamoDB: `BatchGetItem` calls of up to
//! 100 keys, strongly consistent like [`Table::get`](quarry_ports::Table::get), with the keys the
//! service left unprocessed (throttling) asked again with backoff. The service answers in no
//! particular order, so the items are put back in the order of the keys.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;

use super::{built, check_key, from_attrs, key_attrs, Attrs, DynamoTable};
use quarry_ports::{Item, Key, StoreError, StoreResult};

/// Most keys in one `BatchGetItem` call (DynamoDB's limit).
const MAX_BATCH_KEYS: usize = 100;
/// How many times unprocessed keys are asked again before giving up.
const BATCH_RETRIES: u32 = 8;

impl DynamoTable {
    /// The live items under `keys`, in their order.
    pub(super) async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Option<Item>>> {
        keys.iter().try_for_each(check_key)?;
        let now = self.now();
        let mut found: HashMap<Key, Item> = HashMap::with_capacity(keys.len());
        let mut distinct: Vec<&Key> = Vec::with_capacity(keys.len());
        let mut seen = std::collections::HashSet::with_capacity(keys.len());
        // A key twice in one call is an error to DynamoDB.
        distinct.extend(keys.iter().filter(|key| seen.insert(*key)));
        for batch in distinct.chunks(MAX_BATCH_KEYS) {
            for item in self.batch_get_call(batch.iter().map(|key| key_attrs(key)).collect()).await? {
                let item = from_attrs(item)?;
                if !item.is_expired(now) {
                    found.insert(item.key.clone(), item);
                }
            }
        }
        Ok(keys.iter().map(|key| found.get(key).cloned()).collect())
    }

    /// One batch of at most 100 keys, asking again for the keys left unprocessed.
    async fn batch_get_call(&self, mut keys: Vec<Attrs>) -> StoreResult<Vec<Attrs>> {
        let mut items = Vec::with_capacity(keys.len());
        for attempt in 0..=BATCH_RETRIES {
            if keys.is_empty() {
                return Ok(items);
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
            }
            let request = built(KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build())?;
            let out =
                self.client.batch_get_item().request_items(&self.table, request).send().await.map_err(|e| self.fail("BatchGetItem", e))?;
            items.extend(out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default());
            keys = out.unprocessed_keys.and_then(|mut left| left.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
        }
        Err(StoreError::Backend(format!(
            "DynamoDB BatchGetItem on table `{}` left {} keys unprocessed after {BATCH_RETRIES} retries",
            self.table,
            keys.len()
        )))
    }
}

//! The [`Table`] port on DynamoDB.
//!
//! Items are stored as DynamoDB items: the key as string attributes `pk` / `sk`, the JSON
//! attributes converted by `serde_dynamo` (numbers as `N`, objects as `M`, arrays as `L`, null as
//! `NULL`). Every port condition becomes a `ConditionExpression` (values always go through
//! `ExpressionAttributeValues`), made TTL-aware: DynamoDB deletes expired items only lazily, so an
//! item whose `ttl` is at or before the clock's "now" is treated as absent by conditions, reads
//! and queries, and an update never resurrects the attributes of an expired item.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, Put, ReturnValue, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update as DynamoUpdate,
};
use aws_sdk_dynamodb::Client;
use serde_dynamo::aws_sdk_dynamodb_1 as convert;
use serde_json::{Map, Value};

use quarry_ports::clock::SharedClock;
use quarry_ports::table::{validate_transaction, Cursor, PRIMARY_KEY_ATTRS, TTL};
use quarry_ports::{Condition, Index, Item, Key, KeyRange, Order, Page, Query, StoreError, StoreResult, Table, Update, WriteOp};

mod groups;
mod reads;

/// Name of the secondary index `gsi1pk` / `gsi1sk` in the DynamoDB table. Every secondary index
/// is named by [`Index::name`]: `gsi1`, `gsi2`, `gsi3`.
pub const GSI1_INDEX_NAME: &str = Index::Gsi1.name();

/// How long [`create_table`] waits for a new table to become active.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);

/// A DynamoDB item: attribute name to value.
type Attrs = HashMap<String, AttributeValue>;

/// The [`Table`] port over one DynamoDB table laid out as [`create_table`] creates it.
///
/// Why: the Lambda functions store everything in one DynamoDB table; this adapter gives them the
/// same semantics (conditions, TTL, cursors) as the embedded SQLite table the local server uses.
#[derive(Clone)]
pub struct DynamoTable {
    client: Client,
    table: String,
    clock: SharedClock,
}

impl DynamoTable {
    /// An adapter for the existing table `table_name`; `clock` decides which items have expired.
    pub fn new(client: Client, table_name: impl Into<String>, clock: SharedClock) -> Self {
        DynamoTable { client, table: table_name.into(), clock }
    }

    /// An adapter for `table_name` with a client built from a loaded SDK configuration.
    pub fn from_config(config: &aws_config::SdkConfig, table_name: impl Into<String>, clock: SharedClock) -> Self {
        DynamoTable::new(Client::new(config), table_name, clock)
    }

    /// The DynamoDB table this adapter reads and writes.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    fn now(&self) -> i64 {
        self.clock.unix()
    }

    /// Maps an SDK error to the port's error, naming the action and the table.
    fn fail<E>(&self, action: &str, err: SdkError<E>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match err.code() {
            Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
            Some("ValidationException") => StoreError::Invalid(format!(
                "DynamoDB rejected {action} on table `{}`: {}",
                self.table,
                err.message().unwrap_or("validation error")
            )),
            _ => StoreError::Backend(format!("DynamoDB {action} on table `{}` failed: {}", self.table, DisplayErrorContext(&err))),
        }
    }

    /// The stored item under `key`, expired or not.
    async fn get_raw(&self, key: &Key) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.fail("GetItem", e))?;
        out.item.map(from_attrs).transpose()
    }

    /// Deletes the item under `key` if it has expired at `now`. Returns whether it was there.
    async fn purge_expired(&self, key: &Key, now: i64) -> StoreResult<bool> {
        match self.get_raw(key).await? {
            Some(item) if item.is_expired(now) => {}
            _ => return Ok(false),
        }
        let mut p = Placeholders::new(now);
        let expired = format!("{} <= {}", p.name(TTL), p.now());
        let result = p
            .apply_to_delete(self.client.delete_item().table_name(&self.table).set_key(Some(key_attrs(key))))
            .condition_expression(expired)
            .send()
            .await;
        match result.map_err(|e| self.fail("DeleteItem (expired item)", e)) {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// One `UpdateItem` call whose condition also requires the stored item not to be expired.
    async fn update_once(&self, key: &Key, update: &Update, condition: &Condition, now: i64) -> StoreResult<Item> {
        let mut p = Placeholders::new(now);
        let expression = update_expression(update, &mut p)?;
        let guard = update_condition(condition, &mut p)?;
        let out = p
            .apply_to_update(self.client.update_item().table_name(&self.table).set_key(Some(key_attrs(key))))
            .update_expression(expression)
            .condition_expression(guard)
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| self.fail("UpdateItem", e))?;
        let attrs = out.attributes.ok_or_else(|| {
            StoreError::Backend(format!("DynamoDB UpdateItem on table `{}` returned no attributes for {key}", self.table))
        })?;
        from_attrs(attrs)
    }

    /// One page of DynamoDB results (at most `limit` scanned items, those expired at `now`
    /// filtered out) and the key to continue from.
    async fn query_page(&self, query: &Query, start: Option<Attrs>, limit: usize, now: i64) -> StoreResult<(Vec<Item>, Option<Attrs>)> {
        let mut p = Placeholders::new(now);
        let key_condition = key_condition(query, &mut p)?;
        let filter = live_ttl(&mut p);
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(key_condition)
            .filter_expression(filter)
            .set_expression_attribute_names(p.names())
            .set_expression_attribute_values(p.values())
            .scan_index_forward(query.order == Order::Asc)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start);
        // Global secondary indexes cannot be read consistently.
        let request = if query.index.is_secondary() { request.index_name(query.index.name()) } else { request.consistent_read(true) };
        let out = request.send().await.map_err(|e| self.query_error(query, e))?;
        let items = out.items.unwrap_or_default().into_iter().map(from_attrs).collect::<StoreResult<Vec<_>>>()?;
        Ok((items, out.last_evaluated_key.filter(|k| !k.is_empty())))
    }

    /// DynamoDB rejects a start key outside the key condition: that is a cursor from another query.
    fn query_error<E>(&self, query: &Query, err: SdkError<E>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let bad_start = err.message().is_some_and(|m| m.to_ascii_lowercase().contains("start"));
        match self.fail("Query", err) {
            StoreError::Invalid(_) if query.cursor.is_some() && bad_start => StoreError::InvalidCursor,
            other => other,
        }
    }

    /// One `TransactWriteItems` call.
    async fn transact_once<'a>(&self, ops: impl IntoIterator<Item = &'a WriteOp>, now: i64) -> Result<(), TransactFailure> {
        let items = ops.into_iter().map(|op| self.transact_item(op, now)).collect::<StoreResult<Vec<_>>>()?;
        let result = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        result.map(|_| ()).map_err(|err| self.transact_error(err))
    }

    fn transact_item(&self, op: &WriteOp, now: i64) -> StoreResult<TransactWriteItem> {
        let mut p = Placeholders::new(now);
        let item = match op {
            WriteOp::Put { item, condition } => {
                let condition = condition_expression(condition, &mut p)?;
                let put = Put::builder().table_name(&self.table).set_item(Some(to_attrs(item)?));
                let put = put.set_condition_expression(condition);
                TransactWriteItem::builder().put(built(p.apply_to_put(put).build())?)
            }
            WriteOp::Update { key, update, condition } => {
                let expression = update_expression(update, &mut p)?;
                let condition = update_condition(condition, &mut p)?;
                let update = DynamoUpdate::builder().table_name(&self.table).set_key(Some(key_attrs(key)));
                let update = update.update_expression(expression).condition_expression(condition);
                TransactWriteItem::builder().update(built(p.apply_to_tx_update(update).build())?)
            }
            WriteOp::Delete { key, condition } => {
                let condition = condition_expression(condition, &mut p)?;
                let delete = Delete::builder().table_name(&self.table).set_key(Some(key_attrs(key)));
                let delete = delete.set_condition_expression(condition);
                TransactWriteItem::builder().delete(built(p.apply_to_tx_delete(delete).build())?)
            }
            WriteOp::Check { key, condition } => {
                let condition = condition_expression(condition, &mut p)?.unwrap_or_else(|| always(&mut p));
                let check = ConditionCheck::builder().table_name(&self.table).set_key(Some(key_attrs(key)));
                let check = check.condition_expression(condition);
                TransactWriteItem::builder().condition_check(built(p.apply_to_check(check).build())?)
            }
        };
        Ok(item.build())
    }

    fn transact_error(&self, err: SdkError<TransactWriteItemsError>) -> TransactFailure {
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() {
            let codes: Vec<&str> = cancelled.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None")).collect();
            let failed: Vec<usize> = codes.iter().enumerate().filter(|(_, c)| **c == "ConditionalCheckFailed").map(|(i, _)| i).collect();
            if !failed.is_empty() {
                return TransactFailure::Conditions(failed);
            }
            return TransactFailure::Store(StoreError::Backend(format!(
                "DynamoDB TransactWriteItems on table `{}` was cancelled (reasons: [{}]): {}",
                self.table,
                codes.join(", "),
                DisplayErrorContext(&err)
            )));
        }
        TransactFailure::Store(self.fail("TransactWriteItems", err))
    }

    /// After a cancelled transaction: when every failed condition belongs to an update whose
    /// item has expired (and whose condition holds on an absent item), deletes those expired
    /// items so a retry sees them as absent. Returns whether a retry can succeed.
    async fn purge_for_retry(&self, ops: &[WriteOp], failed: &[usize], now: i64) -> StoreResult<bool> {
        let mut keys = Vec::new();
        for &index in failed {
            match ops.get(index) {
                Some(WriteOp::Update { key, condition, .. }) if condition.holds(None) => keys.push(key),
                _ => return Ok(false),
            }
        }
        for key in keys {
            if !self.purge_expired(key, now).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Why one `TransactWriteItems` call failed.
enum TransactFailure {
    /// The conditions of these operations (indexes into the transaction) did not hold.
    Conditions(Vec<usize>),
    Store(StoreError),
}

impl From<StoreError> for TransactFailure {
    fn from(e: StoreError) -> Self {
        TransactFailure::Store(e)
    }
}

impl From<TransactFailure> for StoreError {
    fn from(f: TransactFailure) -> Self {
        match f {
            TransactFailure::Conditions(_) => StoreError::ConditionFailed,
            TransactFailure::Store(e) => e,
        }
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        check_key(key)?;
        let now = self.now();
        Ok(self.get_raw(key).await?.filter(|item| !item.is_expired(now)))
    }

    async fn get_many(&self, keys: &[Key]) -> StoreResult<Vec<Option<Item>>> {
        self.batch_get(keys).await
    }

    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()> {
        item.validate()?;
        let mut p = Placeholders::new(self.now());
        let condition = condition_expression(&condition, &mut p)?;
        p.apply_to_put_item(self.client.put_item().table_name(&self.table).set_item(Some(to_attrs(&item)?)))
            .set_condition_expression(condition)
            .send()
            .await
            .map_err(|e| self.fail("PutItem", e))?;
        Ok(())
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> StoreResult<Item> {
        check_key(key)?;
        update.validate()?;
        let now = self.now();
        match self.update_once(key, &update, &condition, now).await {
            // The item may be expired but not yet deleted: then it counts as absent, so drop it
            // and try again, unless the condition could not hold on an absent item anyway.
            Err(StoreError::ConditionFailed) if condition.holds(None) && self.purge_expired(key, now).await? => {
                self.update_once(key, &update, &condition, now).await
            }
            other => other,
        }
    }

    async fn delete(&self, key: &Key, condition: Condition) -> StoreResult<Option<Item>> {
        check_key(key)?;
        let now = self.now();
        let mut p = Placeholders::new(now);
        let condition = condition_expression(&condition, &mut p)?;
        let out = p
            .apply_to_delete(self.client.delete_item().table_name(&self.table).set_key(Some(key_attrs(key))))
            .set_condition_expression(condition)
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| self.fail("DeleteItem", e))?;
        let old = out.attributes.filter(|attrs| !attrs.is_empty()).map(from_attrs).transpose()?;
        Ok(old.filter(|item| !item.is_expired(now)))
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        query.validate()?;
        let mut start = start_key(&query)?;
        if range_is_empty(&query.range) {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        // DynamoDB applies `Limit` before the expiry filter: read on until one item more than
        // the page holds is found (so we know another page follows) or the partition ends.
        let wanted = query.limit.saturating_add(1);
        let now = self.now();
        let mut items = Vec::new();
        loop {
            let (page, last) = self.query_page(&query, start, wanted - items.len(), now).await?;
            items.extend(page);
            if items.len() >= wanted || last.is_none() {
                break;
            }
            start = last;
        }
        let next_cursor = if items.len() > query.limit {
            items.truncate(query.limit);
            Some(Cursor::after(&query, &items[query.limit - 1]).encode())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> StoreResult<()> {
        validate_transaction(&ops)?;
        for op in &ops {
            check_key(op.key())?;
        }
        let now = self.now();
        match self.transact_once(&ops, now).await {
            Err(TransactFailure::Conditions(failed)) if self.purge_for_retry(&ops, &failed, now).await? => {
                Ok(self.transact_once(&ops, now).await?)
            }
            other => Ok(other?),
        }
    }

    async fn transact_groups(&self, groups: Vec<Vec<WriteOp>>) -> StoreResult<Vec<bool>> {
        self.write_groups(groups).await
    }
}

/// Creates the table as `template.yaml` does: on-demand billing, key `pk` (hash) / `sk`
/// (range), one index per [`Index::ALL_SECONDARY`] (`gsi1` on `gsi1pk` / `gsi1sk`, `gsi2`,
/// `gsi3` likewise) projecting all attributes, TTL on `ttl`. Waits until the table is active.
/// Fails when the table already exists (tests create a fresh one each; deployments get theirs
/// from the template).
pub async fn create_table(client: &Client, name: &str) -> StoreResult<()> {
    let fail = |action: &str, detail: String| StoreError::Backend(format!("{action} for table `{name}` failed: {detail}"));
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_schema("pk", KeyType::Hash)?)
        .key_schema(key_schema("sk", KeyType::Range)?);
    let mut key_attrs = vec!["pk", "sk"];
    for index in Index::ALL_SECONDARY {
        let (pk, sk) = index.attrs();
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index.name())
            .key_schema(key_schema(pk, KeyType::Hash)?)
            .key_schema(key_schema(sk, KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build());
        request = request.global_secondary_indexes(built(gsi.build())?);
        key_attrs.extend([pk, sk]);
    }
    for attr in key_attrs {
        let definition = AttributeDefinition::builder().attribute_name(attr).attribute_type(ScalarAttributeType::S);
        request = request.attribute_definitions(built(definition.build())?);
    }
    request.send().await.map_err(|e| fail("CreateTable", DisplayErrorContext(&e).to_string()))?;
    client
        .wait_until_table_exists()
        .table_name(name)
        .wait(TABLE_ACTIVE_TIMEOUT)
        .await
        .map_err(|e| fail("waiting for the table to become active", DisplayErrorContext(&e).to_string()))?;
    let ttl = TimeToLiveSpecification::builder().enabled(true).attribute_name(TTL);
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(built(ttl.build())?)
        .send()
        .await
        .map_err(|e| fail("UpdateTimeToLive", DisplayErrorContext(&e).to_string()))?;
    Ok(())
}

fn key_schema(attr: &str, key_type: KeyType) -> StoreResult<KeySchemaElement> {
    built(KeySchemaElement::builder().attribute_name(attr).key_type(key_type).build())
}

fn built<T>(result: Result<T, BuildError>) -> StoreResult<T> {
    result.map_err(|e| StoreError::Backend(format!("building a DynamoDB request failed: {e}")))
}

fn check_key(key: &Key) -> StoreResult<()> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::Invalid("pk and sk must not be empty".into()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Item conversion

fn key_attrs(key: &Key) -> Attrs {
    HashMap::from([("pk".to_string(), AttributeValue::S(key.pk.clone())), ("sk".to_string(), AttributeValue::S(key.sk.clone()))])
}

/// The DynamoDB item for a port item: its attributes plus `pk` / `sk`.
fn to_attrs(item: &Item) -> StoreResult<Attrs> {
    let mut attrs: Attrs =
        convert::to_item(&item.attrs).map_err(|e| StoreError::Invalid(format!("item {} cannot be stored in DynamoDB: {e}", item.key)))?;
    attrs.extend(key_attrs(&item.key));
    Ok(attrs)
}

/// The port item for a DynamoDB item.
fn from_attrs(mut attrs: Attrs) -> StoreResult<Item> {
    let mut take_key = |name: &str| match attrs.remove(name) {
        Some(AttributeValue::S(s)) => Ok(s),
        other => Err(StoreError::Backend(format!("DynamoDB item has no string `{name}` attribute (found {other:?})"))),
    };
    let key = Key { pk: take_key("pk")?, sk: take_key("sk")? };
    let attrs: Map<String, Value> =
        convert::from_item(attrs).map_err(|e| StoreError::Backend(format!("DynamoDB item {key} does not convert to JSON: {e}")))?;
    Ok(Item { key, attrs })
}

fn to_value(value: &Value) -> StoreResult<AttributeValue> {
    convert::to_attribute_value(value).map_err(|e| StoreError::Invalid(format!("value {value} cannot be stored in DynamoDB: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Expressions

/// The placeholders of one request's expressions: `#nN` for attribute names and `:vN` for
/// values, so that no name or value is ever spliced into expression text.
struct Placeholders {
    names: HashMap<String, String>,
    values: Attrs,
    now: i64,
}

impl Placeholders {
    fn new(now: i64) -> Self {
        Placeholders { names: HashMap::new(), values: HashMap::new(), now }
    }

    /// The placeholder for an attribute name (the same one each time it is asked for).
    fn name(&mut self, attr: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, name)| *name == attr) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attr.to_string());
        placeholder
    }

    /// A new placeholder for a value.
    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// The placeholder for the current Unix time (`:now`).
    fn now(&mut self) -> String {
        let placeholder = ":now".to_string();
        self.values.entry(placeholder.clone()).or_insert_with(|| AttributeValue::N(self.now.to_string()));
        placeholder
    }

    /// The names for the request (DynamoDB rejects an empty map).
    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The values for the request (DynamoDB rejects an empty map).
    fn values(&self) -> Option<Attrs> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// Attaches the placeholders to each request builder that takes expressions.
macro_rules! apply_placeholders {
    ($($method:ident: $builder:ty),* $(,)?) => {
        impl Placeholders {
            $(fn $method(&self, builder: $builder) -> $builder {
                builder.set_expression_attribute_names(self.names()).set_expression_attribute_values(self.values())
            })*
        }
    };
}

apply_placeholders! {
    apply_to_put_item: aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder,
    apply_to_update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    apply_to_delete: aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder,
    apply_to_put: aws_sdk_dynamodb::types::builders::PutBuilder,
    apply_to_tx_update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    apply_to_tx_delete: aws_sdk_dynamodb::types::builders::DeleteBuilder,
    apply_to_check: aws_sdk_dynamodb::types::builders::ConditionCheckBuilder,
}

/// A live item exists under the key.
fn live(p: &mut Placeholders) -> String {
    let pk = p.name("pk");
    format!("(attribute_exists({pk}) AND {})", live_ttl(p))
}

/// No live item exists under the key (none at all, or an expired one).
fn not_live(p: &mut Placeholders) -> String {
    let (pk, ttl, now) = (p.name("pk"), p.name(TTL), p.now());
    format!("(attribute_not_exists({pk}) OR {ttl} <= {now})")
}

/// The item (if any) has not expired.
fn live_ttl(p: &mut Placeholders) -> String {
    let (ttl, now) = (p.name(TTL), p.now());
    format!("(attribute_not_exists({ttl}) OR {ttl} > {now})")
}

/// An expression that always holds.
fn always(p: &mut Placeholders) -> String {
    let pk = p.name("pk");
    format!("(attribute_exists({pk}) OR attribute_not_exists({pk}))")
}

/// An expression that never holds.
fn never(p: &mut Placeholders) -> String {
    let pk = p.name("pk");
    format!("(attribute_exists({pk}) AND attribute_not_exists({pk}))")
}

/// The `ConditionExpression` of a port condition (`None`: no condition), with the same meaning
/// as [`Condition::holds`] on the live item.
fn condition_expression(condition: &Condition, p: &mut Placeholders) -> StoreResult<Option<String>> {
    let expression = match condition {
        Condition::None => return Ok(None),
        Condition::Absent => not_live(p),
        Condition::Exists => live(p),
        // `pk` / `sk` are not item attributes in the port's model: they count as missing.
        Condition::Equals { attr, .. } if PRIMARY_KEY_ATTRS.contains(&attr.as_str()) => never(p),
        Condition::AtMost { attr, max } if PRIMARY_KEY_ATTRS.contains(&attr.as_str()) => {
            return Ok((*max < 0).then(|| never(p)));
        }
        // DynamoDB does not compare NULLs with `=`; NULL has a single value, so test the type.
        Condition::Equals { attr, value: Value::Null } => {
            let live = live(p);
            let (a, null) = (p.name(attr), p.value(AttributeValue::S("NULL".into())));
            format!("({live} AND attribute_type({a}, {null}))")
        }
        Condition::Equals { attr, value } => {
            let live = live(p);
            let (a, v) = (p.name(attr), p.value(to_value(value)?));
            format!("({live} AND {a} = {v})")
        }
        // A missing attribute counts as 0, so whether it passes depends on the sign of `max`.
        Condition::AtMost { attr, max } if *max >= 0 => {
            let not_live = not_live(p);
            let at_most = number_at_most(attr, *max, p);
            let a = p.name(attr);
            format!("({not_live} OR attribute_not_exists({a}) OR {at_most})")
        }
        Condition::AtMost { attr, max } => {
            let live = live(p);
            format!("({live} AND {})", number_at_most(attr, *max, p))
        }
    };
    Ok(Some(expression))
}

/// `attr` is a number at most `max`. The type test keeps a non-number attribute from being
/// compared with a number (false in `holds`; moto even fails the request on it).
fn number_at_most(attr: &str, max: i64, p: &mut Placeholders) -> String {
    let a = p.name(attr);
    let number = p.value(AttributeValue::S("N".into()));
    let m = p.value(AttributeValue::N(max.to_string()));
    format!("(attribute_type({a}, {number}) AND {a} <= {m})")
}

/// The condition of an update: the port condition and "the stored item has not expired", so
/// an update never builds on the attributes of an expired item.
fn update_condition(condition: &Condition, p: &mut Placeholders) -> StoreResult<String> {
    let guard = live_ttl(p);
    Ok(match condition_expression(condition, p)? {
        Some(expression) => format!("{expression} AND {guard}"),
        None => guard,
    })
}

/// The `UpdateExpression` of a port update (which [`Update::validate`] has accepted).
fn update_expression(update: &Update, p: &mut Placeholders) -> StoreResult<String> {
    let mut clauses = Vec::new();
    if !update.set.is_empty() {
        let mut parts = Vec::new();
        for (attr, value) in &update.set {
            parts.push(format!("{} = {}", p.name(attr), p.value(to_value(value)?)));
        }
        clauses.push(format!("SET {}", parts.join(", ")));
    }
    if !update.remove.is_empty() {
        let parts: Vec<String> = update.remove.iter().map(|attr| p.name(attr)).collect();
        clauses.push(format!("REMOVE {}", parts.join(", ")));
    }
    if !update.add.is_empty() {
        let parts: Vec<String> =
            update.add.iter().map(|(attr, delta)| format!("{} {}", p.name(attr), p.value(AttributeValue::N(delta.to_string())))).collect();
        clauses.push(format!("ADD {}", parts.join(", ")));
    }
    Ok(clauses.join(" "))
}

/// The `KeyConditionExpression` of a query.
fn key_condition(query: &Query, p: &mut Placeholders) -> StoreResult<String> {
    let (pk_attr, sk_attr) = query.index.attrs();
    let partition = format!("{} = {}", p.name(pk_attr), p.value(AttributeValue::S(query.partition.clone())));
    let mut bound = |s: &String| p.value(AttributeValue::S(s.clone()));
    let range = match &query.range {
        KeyRange::All => return Ok(partition),
        KeyRange::Prefix(prefix) if prefix.is_empty() => return Ok(partition),
        KeyRange::Prefix(prefix) => format!("begins_with(#sk, {})", bound(prefix)),
        KeyRange::Between(low, high) => format!("#sk BETWEEN {} AND {}", bound(low), bound(high)),
        KeyRange::From(low) => format!("#sk >= {}", bound(low)),
        KeyRange::To(high) => format!("#sk <= {}", bound(high)),
    };
    let sk = p.name(sk_attr);
    Ok(format!("{partition} AND {}", range.replace("#sk", &sk)))
}

/// A `BETWEEN` with its bounds reversed matches nothing (DynamoDB would reject it).
fn range_is_empty(range: &KeyRange) -> bool {
    matches!(range, KeyRange::Between(low, high) if low > high)
}

/// The `ExclusiveStartKey` of a query's cursor.
fn start_key(query: &Query) -> StoreResult<Option<Attrs>> {
    let Some(raw) = &query.cursor else {
        return Ok(None);
    };
    let cursor = Cursor::decode_for(query, raw)?;
    if cursor.key.pk.is_empty() || cursor.key.sk.is_empty() {
        return Err(StoreError::InvalidCursor);
    }
    let mut key = key_attrs(&cursor.key);
    if query.index.is_secondary() {
        // An index's start key is the table key plus the index key of the last item.
        let (pk_attr, sk_attr) = query.index.attrs();
        let index_sk = cursor.index_sk.ok_or(StoreError::InvalidCursor)?;
        key.insert(pk_attr.to_string(), AttributeValue::S(query.partition.clone()));
        key.insert(sk_attr.to_string(), AttributeValue::S(index_sk));
    } else if cursor.key.pk != query.partition {
        return Err(StoreError::InvalidCursor);
    }
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_dynamodb_attributes() {
        let attrs = json!({
            "int": 42, "neg": -7, "big": i64::MAX, "float": 2.5, "whole_float": 3.0,
            "s": "", "b": true, "null": null,
            "nested": {"list": [1, "two", {"three": [null, false]}], "empty": {}, "none": []}
        });
        let item = Item { key: Key::new("P", "S"), attrs: attrs.as_object().unwrap().clone() };
        let stored = to_attrs(&item).unwrap();
        assert_eq!(stored["pk"], AttributeValue::S("P".into()));
        assert_eq!(stored["int"], AttributeValue::N("42".into()));
        let back = from_attrs(stored).unwrap();
        assert_eq!(back.key, item.key);
        assert_eq!(back.i64("int"), Some(42));
        assert_eq!(back.i64("big"), Some(i64::MAX));
        assert_eq!(back.attrs["float"], json!(2.5));
        // DynamoDB numbers have no type: 3.0 comes back as the integer 3.
        assert_eq!(back.attrs["whole_float"], json!(3));
        let mut expected = item.attrs.clone();
        expected["whole_float"] = json!(3);
        assert_eq!(back.attrs, expected);
    }

    #[test]
    fn conditions_use_placeholders_only() {
        let mut p = Placeholders::new(100);
        let expression = condition_expression(&Condition::equals("na me", "x'); --"), &mut p).unwrap().unwrap();
        assert!(!expression.contains("na me") && !expression.contains("x'"));
        assert_eq!(p.values[":now"], AttributeValue::N("100".into()));
        let mut p = Placeholders::new(100);
        assert_eq!(condition_expression(&Condition::None, &mut p).unwrap(), None);
        assert!(p.names().is_none() && p.values().is_none());
    }

    #[test]
    fn key_conditions_cover_every_range() {
        for index in [Index::Primary, Index::Gsi1, Index::Gsi2, Index::Gsi3] {
            let query = Query::on(index, "P").range(KeyRange::Between("a".into(), "b".into()));
            let mut p = Placeholders::new(0);
            let expression = key_condition(&query, &mut p).unwrap();
            assert_eq!(expression, "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
            assert_eq!((p.names["#n0"].as_str(), p.names["#n1"].as_str()), index.attrs());
        }
        assert!(range_is_empty(&KeyRange::Between("b".into(), "a".into())));
    }

    #[test]
    fn index_cursors_start_at_the_index_key() {
        let item = Item::new(Key::new("ORG#1", "LEAD#a")).with_gsi2("LEADS#1", "085#a");
        let query = Query::gsi2("LEADS#1");
        let query = query.clone().cursor(Some(Cursor::after(&query, &item).encode()));
        let start = start_key(&query).unwrap().unwrap();
        assert_eq!(start.len(), 4);
        assert_eq!(start["gsi2pk"], AttributeValue::S("LEADS#1".into()));
        assert_eq!(start["gsi2sk"], AttributeValue::S("085#a".into()));
        assert_eq!(start["sk"], AttributeValue::S("LEAD#a".into()));
        let elsewhere = Query::gsi3("LEADS#1").cursor(query.cursor.clone());
        assert!(matches!(start_key(&elsewhere), Err(StoreError::InvalidCursor)));
    }
}

//! The `Table` port: a sorted key-value table with conditional writes, atomic counters,
//! transactions, three sparse secondary indexes and TTL.
//!
//! The model is DynamoDB's: every item has a partition key `pk` and a sort key `sk` (both
//! strings); a query reads one partition in sort-key order. Items are JSON objects. A few
//! attribute names are reserved and have meaning to every adapter:
//!
//! | attribute | meaning |
//! |---|---|
//! | `gsi1pk`, `gsi1sk` | keys of the secondary index [`Index::Gsi1`]; an item without both is not in it |
//! | `gsi2pk`, `gsi2sk` | keys of the secondary index [`Index::Gsi2`], same rules |
//! | `gsi3pk`, `gsi3sk` | keys of the secondary index [`Index::Gsi3`], same rules |
//! | `ttl` | expiry, in Unix seconds; an item whose `ttl` is at or before "now" is treated as absent |
//!
//! Expired items are never returned, and conditions see them as absent, on every adapter, even
//! before the backend deletes them (DynamoDB removes expired items lazily, within days).

use std::fmt;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{StoreError, StoreResult};

/// Reserved attribute: partition key of the secondary index [`Index::Gsi1`].
pub const GSI1_PK: &str = "gsi1pk";
/// Reserved attribute: sort key of the secondary index [`Index::Gsi1`].
pub const GSI1_SK: &str = "gsi1sk";
/// Reserved attribute: partition key of the secondary index [`Index::Gsi2`].
pub const GSI2_PK: &str = "gsi2pk";
/// Reserved attribute: sort key of the secondary index [`Index::Gsi2`].
pub const GSI2_SK: &str = "gsi2sk";
/// Reserved attribute: partition key of the secondary index [`Index::Gsi3`].
pub const GSI3_PK: &str = "gsi3pk";
/// Reserved attribute: sort key of the secondary index [`Index::Gsi3`].
pub const GSI3_SK: &str = "gsi3sk";
/// Reserved attribute: expiry time in Unix seconds.
pub const TTL: &str = "ttl";
/// Attribute names an item's own attributes may not use: the primary key lives in [`Key`].
pub const PRIMARY_KEY_ATTRS: [&str; 2] = ["pk", "sk"];
/// Largest number of operations in one [`Table::transact`] call (DynamoDB's limit).
pub const MAX_TRANSACTION_OPS: usize = 100;

/// The primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key { pk: pk.into(), sk: sk.into() }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.pk, self.sk)
    }
}

/// One stored item: its key and its attributes (a JSON object, without `pk` / `sk`).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub key: Key,
    pub attrs: Map<String, Value>,
}

impl Item {
    /// An item with no attributes.
    pub fn new(key: Key) -> Self {
        Item { key, attrs: Map::new() }
    }

    /// An item whose attributes are the fields of a serialisable record (a struct or a map).
    pub fn from_record<T: Serialize>(key: Key, record: &T) -> StoreResult<Self> {
        match serde_json::to_value(record) {
            Ok(Value::Object(attrs)) => {
                let item = Item { key, attrs };
                item.check_attrs()?;
                Ok(item)
            }
            Ok(_) => Err(StoreError::Invalid("a record must serialise to a JSON object".into())),
            Err(e) => Err(StoreError::Invalid(format!("record does not serialise: {e}"))),
        }
    }

    /// The attributes read back as a record. Reserved attributes are ignored by records that
    /// do not declare them (serde ignores unknown fields unless told otherwise).
    pub fn to_record<T: DeserializeOwned>(&self) -> StoreResult<T> {
        serde_json::from_value(Value::Object(self.attrs.clone()))
            .map_err(|e| StoreError::Backend(format!("item {} does not match its record type: {e}", self.key)))
    }

    /// The attributes read back as a record, taking them instead of copying them (for bulk
    /// reads, where the copy cost as much as the parse).
    pub fn into_record<T: DeserializeOwned>(self) -> StoreResult<T> {
        let key = self.key;
        serde_json::from_value(Value::Object(self.attrs))
            .map_err(|e| StoreError::Backend(format!("item {key} does not match its record type: {e}")))
    }

    /// Sets (or replaces) one attribute.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(name.to_string(), value.into());
        self
    }

    /// Puts the item in the secondary index `index` under partition `pk`, sorted by `sk` (sets
    /// the index's two key attributes). [`Index::Primary`] has no key attributes of its own: its
    /// `pk` / `sk` are the item's [`Key`], so naming it here makes [`Item::validate`] fail.
    pub fn with_index(self, index: Index, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        let (pk_attr, sk_attr) = index.attrs();
        self.with(pk_attr, pk.into()).with(sk_attr, sk.into())
    }

    /// Puts the item in [`Index::Gsi1`] under partition `pk`, sorted by `sk`.
    pub fn with_gsi1(self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.with_index(Index::Gsi1, pk, sk)
    }

    /// Puts the item in [`Index::Gsi2`] under partition `pk`, sorted by `sk`.
    pub fn with_gsi2(self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.with_index(Index::Gsi2, pk, sk)
    }

    /// Puts the item in [`Index::Gsi3`] under partition `pk`, sorted by `sk`.
    pub fn with_gsi3(self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.with_index(Index::Gsi3, pk, sk)
    }

    /// Makes the item expire at `unix_seconds`.
    pub fn expires_at(self, unix_seconds: i64) -> Self {
        self.with(TTL, unix_seconds)
    }

    /// The expiry time, when the item has one.
    pub fn ttl(&self) -> Option<i64> {
        self.attrs.get(TTL).and_then(Value::as_i64)
    }

    /// True when the item has expired at `now` (Unix seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.ttl().is_some_and(|ttl| ttl <= now)
    }

    /// A string attribute.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Value::as_str)
    }

    /// An integer attribute.
    pub fn i64(&self, name: &str) -> Option<i64> {
        self.attrs.get(name).and_then(Value::as_i64)
    }

    /// The item's (partition, sort) key in `index`, when it is in it: always for
    /// [`Index::Primary`]; for a secondary index only when both of its key attributes are strings.
    pub fn index_key(&self, index: Index) -> Option<(String, String)> {
        match index {
            Index::Primary => Some((self.key.pk.clone(), self.key.sk.clone())),
            _ => {
                let (pk_attr, sk_attr) = index.attrs();
                Some((self.str(pk_attr)?.to_string(), self.str(sk_attr)?.to_string()))
            }
        }
    }

    /// The item's key in [`Index::Gsi1`], when it is in it.
    pub fn gsi1_key(&self) -> Option<(String, String)> {
        self.index_key(Index::Gsi1)
    }

    fn check_attrs(&self) -> StoreResult<()> {
        for name in PRIMARY_KEY_ATTRS {
            if self.attrs.contains_key(name) {
                return Err(StoreError::Invalid(format!("attribute name `{name}` is reserved for the primary key")));
            }
        }
        for (name, v) in &self.attrs {
            if is_index_key_attr(name) && !v.is_string() {
                return Err(StoreError::Invalid(format!("`{name}` must be a string")));
            }
        }
        if let Some(v) = self.attrs.get(TTL) {
            if v.as_i64().is_none() {
                return Err(StoreError::Invalid(format!("`{TTL}` must be an integer of Unix seconds")));
            }
        }
        Ok(())
    }

    /// Validates an item before an adapter writes it.
    pub fn validate(&self) -> StoreResult<()> {
        if self.key.pk.is_empty() || self.key.sk.is_empty() {
            return Err(StoreError::Invalid("pk and sk must not be empty".into()));
        }
        self.check_attrs()
    }
}

/// A condition on the item currently stored under a key, checked atomically with a write.
///
/// An expired item counts as absent. `AtMost` treats a missing attribute as 0.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// Always holds.
    None,
    /// No (live) item exists under the key.
    Absent,
    /// A (live) item exists under the key.
    Exists,
    /// The item exists and `attr` equals `value`.
    Equals { attr: String, value: Value },
    /// The item is absent or `attr` (missing = 0) is at most `max`. Used to keep a counter
    /// within a bound: see [`Condition::counter_within`].
    AtMost { attr: String, max: i64 },
}

/// The attribute optimistic-concurrency helpers use for the record version.
pub const VERSION_ATTR: &str = "version";

impl Condition {
    /// The item exists and `attr == value`.
    pub fn equals(attr: &str, value: impl Into<Value>) -> Self {
        Condition::Equals { attr: attr.to_string(), value: value.into() }
    }

    /// The item exists and its `version` attribute is `version`.
    pub fn version_is(version: i64) -> Self {
        Condition::equals(VERSION_ATTR, version)
    }

    /// Adding `delta` to counter `attr` keeps it at or below `limit`.
    pub fn counter_within(attr: &str, delta: i64, limit: i64) -> Self {
        Condition::AtMost { attr: attr.to_string(), max: limit - delta }
    }

    /// Evaluates the condition against the live item (`None` when absent or expired). Adapters
    /// that cannot push the condition to the backend use this; the others must agree with it.
    pub fn holds(&self, current: Option<&Item>) -> bool {
        match self {
            Condition::None => true,
            Condition::Absent => current.is_none(),
            Condition::Exists => current.is_some(),
            Condition::Equals { attr, value } => current.and_then(|item| item.attrs.get(attr)).is_some_and(|v| values_equal(v, value)),
            Condition::AtMost { attr, max } => match current.and_then(|item| item.attrs.get(attr)) {
                None => 0 <= *max,
                Some(v) => v.as_f64().is_some_and(|n| n <= *max as f64),
            },
        }
    }
}

/// Equality as DynamoDB sees it: numbers compare by value (1 == 1.0), everything else exactly.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Changes to one item: set attributes, remove attributes, add to numeric counters.
/// Like DynamoDB's `UpdateItem`, an update creates the item when it is absent (guard with
/// [`Condition::Exists`] to prevent that). An attribute may appear in only one clause.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(String, Value)>,
    pub remove: Vec<String>,
    pub add: Vec<(String, i64)>,
}

impl Update {
    pub fn new() -> Self {
        Update::default()
    }

    pub fn set(mut self, attr: &str, value: impl Into<Value>) -> Self {
        self.set.push((attr.to_string(), value.into()));
        self
    }

    pub fn remove(mut self, attr: &str) -> Self {
        self.remove.push(attr.to_string());
        self
    }

    /// Atomically adds `delta` to a numeric attribute (a missing attribute counts as 0).
    pub fn add(mut self, attr: &str, delta: i64) -> Self {
        self.add.push((attr.to_string(), delta));
        self
    }

    /// Checks the update is well formed: not empty, no primary-key attribute, each attribute
    /// in one clause only, reserved attributes with the right types.
    pub fn validate(&self) -> StoreResult<()> {
        if self.set.is_empty() && self.remove.is_empty() && self.add.is_empty() {
            return Err(StoreError::Invalid("an update must change something".into()));
        }
        let mut seen = std::collections::HashSet::new();
        let names = self.set.iter().map(|(n, _)| n).chain(&self.remove).chain(self.add.iter().map(|(n, _)| n));
        for name in names {
            if PRIMARY_KEY_ATTRS.contains(&name.as_str()) {
                return Err(StoreError::Invalid(format!("`{name}` is part of the primary key and cannot be updated")));
            }
            if name.is_empty() {
                return Err(StoreError::Invalid("attribute names must not be empty".into()));
            }
            if !seen.insert(name) {
                return Err(StoreError::Invalid(format!("attribute `{name}` appears twice in one update")));
            }
        }
        for (name, value) in &self.set {
            let ok = match name.as_str() {
                key if is_index_key_attr(key) => value.is_string(),
                TTL => value.as_i64().is_some(),
                _ => true,
            };
            if !ok {
                return Err(StoreError::Invalid(format!("reserved attribute `{name}` has the wrong type")));
            }
        }
        Ok(())
    }

    /// Applies the update to the current item (or a new, empty one). Used by adapters that
    /// evaluate updates themselves.
    pub fn apply(&self, key: &Key, current: Option<Item>) -> StoreResult<Item> {
        let mut item = current.unwrap_or_else(|| Item::new(key.clone()));
        for (name, value) in &self.set {
            item.attrs.insert(name.clone(), value.clone());
        }
        for name in &self.remove {
            item.attrs.remove(name);
        }
        for (name, delta) in &self.add {
            let next = match item.attrs.get(name) {
                None => *delta,
                Some(v) => match v.as_i64() {
                    Some(n) => n.checked_add(*delta).ok_or_else(|| StoreError::Invalid(format!("counter `{name}` overflows")))?,
                    None => return Err(StoreError::Invalid(format!("cannot add to `{name}`: it is not an integer"))),
                },
            };
            item.attrs.insert(name.clone(), Value::from(next));
        }
        Ok(item)
    }
}

/// One operation of a transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteOp {
    Put {
        item: Item,
        condition: Condition,
    },
    Update {
        key: Key,
        update: Update,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Writes nothing; the transaction fails unless the condition holds.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl WriteOp {
    /// The key the operation touches.
    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put { item, .. } => &item.key,
            WriteOp::Update { key, .. } | WriteOp::Delete { key, .. } | WriteOp::Check { key, .. } => key,
        }
    }
}

/// Checks a transaction's shape: 1–100 operations, each key at most once (DynamoDB's rules).
pub fn validate_transaction(ops: &[WriteOp]) -> StoreResult<()> {
    if ops.is_empty() || ops.len() > MAX_TRANSACTION_OPS {
        return Err(StoreError::Invalid(format!("a transaction has 1 to {MAX_TRANSACTION_OPS} operations")));
    }
    let mut keys = std::collections::HashSet::new();
    for op in ops {
        if !keys.insert(op.key()) {
            return Err(StoreError::Invalid(format!("key {} appears twice in one transaction", op.key())));
        }
        match op {
            WriteOp::Put { item, .. } => item.validate()?,
            WriteOp::Update { update, .. } => update.validate()?,
            _ => {}
        }
    }
    Ok(())
}

/// Which sorted view a query reads.
///
/// The secondary indexes all behave alike: sparse (an item is in one only while it has both of
/// its key attributes, as strings), sorted by their sort key then by primary key, eventually
/// consistent on DynamoDB (do not read your own writes through them). They differ only in the
/// attributes they are keyed on, given by [`Index::attrs`], so adapters handle them generically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Index {
    /// The table itself: partition `pk`, sorted by `sk`.
    Primary,
    /// Partition `gsi1pk`, sorted by `gsi1sk`: cross-record lookups (organizations, outbox, ...).
    Gsi1,
    /// Partition `gsi2pk`, sorted by `gsi2sk`: an organization's leads by score.
    Gsi2,
    /// Partition `gsi3pk`, sorted by `gsi3sk`: an organization's leads by company name.
    Gsi3,
}

impl Index {
    /// Every secondary index, in order.
    pub const ALL_SECONDARY: [Index; 3] = [Index::Gsi1, Index::Gsi2, Index::Gsi3];

    /// The attributes holding the view's (partition, sort) key: `("pk", "sk")` for the table.
    pub const fn attrs(self) -> (&'static str, &'static str) {
        match self {
            Index::Primary => ("pk", "sk"),
            Index::Gsi1 => (GSI1_PK, GSI1_SK),
            Index::Gsi2 => (GSI2_PK, GSI2_SK),
            Index::Gsi3 => (GSI3_PK, GSI3_SK),
        }
    }

    /// The view's name: the DynamoDB index name of a secondary index, `primary` for the table.
    pub const fn name(self) -> &'static str {
        match self {
            Index::Primary => "primary",
            Index::Gsi1 => "gsi1",
            Index::Gsi2 => "gsi2",
            Index::Gsi3 => "gsi3",
        }
    }

    /// True for the secondary indexes (every view but the table itself).
    pub const fn is_secondary(self) -> bool {
        !matches!(self, Index::Primary)
    }
}

/// True when `name` is a key attribute of a secondary index (and so must hold a string).
pub fn is_index_key_attr(name: &str) -> bool {
    Index::ALL_SECONDARY.iter().any(|index| {
        let (pk, sk) = index.attrs();
        name == pk || name == sk
    })
}

/// Which sort keys of the partition a query returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRange {
    All,
    /// Sort keys starting with the prefix.
    Prefix(String),
    /// Sort keys from `.0` to `.1`, both inclusive.
    Between(String, String),
    /// Sort keys at or after the bound.
    From(String),
    /// Sort keys at or before the bound.
    To(String),
}

/// Sort-key order of a query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Asc,
    #[default]
    Desc,
}

/// A query of one partition.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub index: Index,
    pub partition: String,
    pub range: KeyRange,
    pub order: Order,
    /// Page size, at least 1.
    pub limit: usize,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Query {
    /// All items of a partition of the table, ascending, 100 per page.
    pub fn partition(pk: impl Into<String>) -> Self {
        Query { index: Index::Primary, partition: pk.into(), range: KeyRange::All, order: Order::Asc, limit: 100, cursor: None }
    }

    /// All items of a partition of `index`, ascending, 100 per page.
    pub fn on(index: Index, pk: impl Into<String>) -> Self {
        Query { index, ..Query::partition(pk) }
    }

    /// All items of a partition of [`Index::Gsi1`], ascending, 100 per page.
    pub fn gsi1(pk: impl Into<String>) -> Self {
        Query::on(Index::Gsi1, pk)
    }

    /// All items of a partition of [`Index::Gsi2`], ascending, 100 per page.
    pub fn gsi2(pk: impl Into<String>) -> Self {
        Query::on(Index::Gsi2, pk)
    }

    /// All items of a partition of [`Index::Gsi3`], ascending, 100 per page.
    pub fn gsi3(pk: impl Into<String>) -> Self {
        Query::on(Index::Gsi3, pk)
    }

    pub fn range(mut self, range: KeyRange) -> Self {
        self.range = range;
        self
    }

    pub fn prefix(self, prefix: impl Into<String>) -> Self {
        self.range(KeyRange::Prefix(prefix.into()))
    }

    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    pub fn cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Checks the query before an adapter runs it.
    pub fn validate(&self) -> StoreResult<()> {
        if self.partition.is_empty() {
            return Err(StoreError::Invalid("the partition key must not be empty".into()));
        }
        if self.limit == 0 {
            return Err(StoreError::Invalid("limit must be at least 1".into()));
        }
        Ok(())
    }
}

/// One page of query results.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when more items follow; pass it as the next query's cursor.
    pub next_cursor: Option<String>,
}

/// Where a page ended: the position after which the next page starts. Encoded into an opaque
/// string; it names its index and partition so it cannot be replayed against another query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "i")]
    pub index: Index,
    #[serde(rename = "p")]
    pub partition: String,
    #[serde(rename = "k")]
    pub key: Key,
    /// The last item's sort key in the secondary index the query reads (`None` for the table,
    /// whose sort key is `key.sk`). Serialised as `g`, as when only `gsi1` existed, so cursors
    /// handed out before stay valid.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub index_sk: Option<String>,
}

impl Cursor {
    /// The cursor positioned just after `item` in `query`'s view.
    pub fn after(query: &Query, item: &Item) -> Self {
        let index_sk = if query.index.is_secondary() { item.index_key(query.index).map(|(_, sk)| sk) } else { None };
        Cursor { index: query.index, partition: query.partition.clone(), key: item.key.clone(), index_sk }
    }

    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("cursor serialises");
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Decodes a cursor and checks it belongs to `query`.
    pub fn decode_for(query: &Query, raw: &str) -> StoreResult<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| StoreError::InvalidCursor)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
        let fits = cursor.index == query.index
            && cursor.partition == query.partition
            && (!query.index.is_secondary() || cursor.index_sk.is_some());
        if fits {
            Ok(cursor)
        } else {
            Err(StoreError::InvalidCursor)
        }
    }
}

/// Hands every page of `query` to `visit`, following cursors to the end.
async fn each_page(table: &dyn Table, query: Query, mut visit: impl FnMut(Vec<Item>) -> StoreResult<()>) -> StoreResult<()> {
    let mut cursor = query.cursor.clone();
    loop {
        let page = table.query(query.clone().cursor(cursor)).await?;
        visit(page.items)?;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

/// Every item of `query`, page after page (for bounded sets: a thread's messages, a job's leads).
pub async fn query_all(table: &dyn Table, query: Query) -> StoreResult<Vec<Item>> {
    let mut out = Vec::new();
    each_page(table, query, |items| {
        out.extend(items);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// Every item of `query` as a record, converted page by page so the raw items of only one page
/// are held at a time (a job's 20,000 leads would otherwise sit in memory twice).
pub async fn query_all_records<T: serde::de::DeserializeOwned>(table: &dyn Table, query: Query) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    each_page(table, query, |items| {
        for item in items {
            out.push(item.into_record()?);
        }
        Ok(())
    })
    .await?;
    Ok(out)
}

/// One page of the items of `base` that `keep` turns into records: reads ahead in pages of 100,
/// stops at `limit` records or after examining `max_examined` items (then the page is short and
/// the cursor resumes after the last item examined), so a selective filter cannot scan a whole
/// partition in one request.
pub async fn query_matching<T>(
    table: &dyn Table,
    base: Query,
    limit: usize,
    max_examined: usize,
    mut keep: impl FnMut(&Item) -> StoreResult<Option<T>>,
) -> StoreResult<(Vec<T>, Option<String>)> {
    let mut cursor = base.cursor.clone();
    let mut out = Vec::new();
    let mut examined = 0;
    loop {
        let page = table.query(base.clone().limit(100).cursor(cursor.clone())).await?;
        let exhausted = page.next_cursor.is_none();
        let count = page.items.len();
        for (i, item) in page.items.iter().enumerate() {
            examined += 1;
            if let Some(record) = keep(item)? {
                out.push(record);
            }
            if out.len() == limit || examined >= max_examined {
                // Resume after this item, unless it was the last one there is.
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

/// The table port. All reads are strongly consistent except queries on the secondary indexes.
#[async_trait]
pub trait Table: Send + Sync + 'static {
    /// The live item under `key`, if any.
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>>;

    /// The live items under `keys`, in the same order (`None` where there is none): for reads
    /// of many known keys at once, e.g. the leads a job log entry names. This default reads them
    /// one by one; the adapters read them in one call (one SQLite statement, `BatchGetItem`s of
    /// up to 100 keys).
    async fn get_many(&self, keys: &[Key]) -> StoreResult<Vec<Option<Item>>> {
        let mut items = Vec::with_capacity(keys.len());
        for key in keys {
            items.push(self.get(key).await?);
        }
        Ok(items)
    }

    /// Writes the whole item (replacing any item under its key) when `condition` holds.
    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()>;

    /// Applies `update` when `condition` holds and returns the item as it now is.
    async fn update(&self, key: &Key, update: Update, condition: Condition) -> StoreResult<Item>;

    /// Deletes the item when `condition` holds; returns the live item that was removed.
    async fn delete(&self, key: &Key, condition: Condition) -> StoreResult<Option<Item>>;

    /// One page of a partition, in sort-key order, expired items left out.
    async fn query(&self, query: Query) -> StoreResult<Page>;

    /// Applies every operation or none: when any condition fails, nothing is written and the
    /// result is [`StoreError::ConditionFailed`].
    async fn transact(&self, ops: Vec<WriteOp>) -> StoreResult<()>;

    /// Applies many small transactions in one call: each group is all-or-nothing with its
    /// conditions (as [`Table::transact`]; 1–100 operations), the groups are independent, and the
    /// answer says per group, in order, whether it was written (`false`: one of its conditions
    /// failed and nothing of it was written). A key may appear in only one group of a call.
    ///
    /// This is how bulk work (a job's chunk of leads, its log) writes at the cost of one commit:
    /// the embedded store makes the whole call one transaction; DynamoDB packs the groups into
    /// `TransactWriteItems` calls of up to 100 items, and single unconditional puts into
    /// `BatchWriteItem` (half the write units). A crash during the call can leave some groups
    /// written and others not, never part of a group, so callers write groups that are safe to
    /// write again. This default, one transaction per group, is correct on any table.
    async fn transact_groups(&self, groups: Vec<Vec<WriteOp>>) -> StoreResult<Vec<bool>> {
        validate_groups(&groups)?;
        let mut written = Vec::with_capacity(groups.len());
        for group in groups {
            written.push(match self.transact(group).await {
                Ok(()) => true,
                Err(StoreError::ConditionFailed) => false,
                Err(e) => return Err(e),
            });
        }
        Ok(written)
    }
}

/// Checks the groups of a [`Table::transact_groups`] call: each a valid transaction, and no key
/// in two groups (so packing groups into one backend transaction never repeats a key).
pub fn validate_groups(groups: &[Vec<WriteOp>]) -> StoreResult<()> {
    let mut keys = std::collections::HashSet::new();
    for group in groups {
        validate_transaction(group)?;
        for op in group {
            if !keys.insert(op.key()) {
                return Err(StoreError::Invalid(format!("key {} appears in two groups of one call", op.key())));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(attrs: Value) -> Item {
        Item { key: Key::new("p", "s"), attrs: attrs.as_object().unwrap().clone() }
    }

    #[test]
    fn conditions_follow_dynamodb_semantics() {
        let counter = item(json!({"n": 4, "version": 2}));
        assert!(Condition::Absent.holds(None));
        assert!(!Condition::Absent.holds(Some(&counter)));
        assert!(Condition::Exists.holds(Some(&counter)));
        assert!(Condition::version_is(2).holds(Some(&counter)));
        assert!(!Condition::version_is(3).holds(Some(&counter)));
        assert!(!Condition::version_is(2).holds(None));
        assert!(Condition::counter_within("n", 1, 5).holds(Some(&counter)));
        assert!(!Condition::counter_within("n", 2, 5).holds(Some(&counter)));
        assert!(Condition::counter_within("missing", 5, 5).holds(Some(&counter)));
        assert!(!Condition::counter_within("missing", 6, 5).holds(None));
        assert!(Condition::equals("n", 4.0).holds(Some(&counter)));
    }

    #[test]
    fn update_applies_set_remove_add() {
        let current = item(json!({"a": 1, "b": "x", "n": 5}));
        let next = Update::new().set("a", "y").remove("b").add("n", -2).add("m", 3).apply(&current.key.clone(), Some(current)).unwrap();
        assert_eq!(Value::Object(next.attrs), json!({"a": "y", "n": 3, "m": 3}));
        let err = Update::new().add("b", 1).apply(&Key::new("p", "s"), Some(item(json!({"b": "x"}))));
        assert!(matches!(err, Err(StoreError::Invalid(_))));
        assert!(Update::new().set("a", 1).remove("a").validate().is_err());
        assert!(Update::new().set("pk", 1).validate().is_err());
        assert!(Update::new().validate().is_err());
    }

    #[test]
    fn cursor_roundtrips_and_is_bound_to_its_query() {
        // One item in every index, under the same partition name with a different sort key each.
        let it = Index::ALL_SECONDARY.iter().fold(item(json!({})), |it, &index| it.with_index(index, "ORGS", index.name()));
        for index in Index::ALL_SECONDARY {
            let q = Query::on(index, "ORGS");
            let raw = Cursor::after(&q, &it).encode();
            assert_eq!(Cursor::decode_for(&q, &raw).unwrap().index_sk.as_deref(), Some(index.name()));
            assert!(matches!(Cursor::decode_for(&Query::on(index, "OTHER"), &raw), Err(StoreError::InvalidCursor)));
            assert!(matches!(Cursor::decode_for(&Query::partition("ORGS"), &raw), Err(StoreError::InvalidCursor)));
            for other in Index::ALL_SECONDARY.into_iter().filter(|&other| other != index) {
                assert!(
                    matches!(Cursor::decode_for(&Query::on(other, "ORGS"), &raw), Err(StoreError::InvalidCursor)),
                    "{index:?} on {other:?}"
                );
            }
            assert!(matches!(Cursor::decode_for(&q, "not a cursor!"), Err(StoreError::InvalidCursor)));
        }
        // A table cursor carries no index sort key, so it cannot stand in for an index cursor.
        let raw = Cursor::after(&Query::partition("ORGS"), &it).encode();
        assert!(matches!(Cursor::decode_for(&Query::gsi2("ORGS"), &raw), Err(StoreError::InvalidCursor)));
    }

    #[test]
    fn cursors_from_before_the_new_indexes_still_decode() {
        // Encoded by the previous version, where the field was `gsi1sk` (serialised as `g`).
        let raw = URL_SAFE_NO_PAD.encode(br#"{"i":"Gsi1","p":"ORGS","k":{"pk":"ORG#1","sk":"ORG"},"g":"2024"}"#);
        assert_eq!(Cursor::decode_for(&Query::gsi1("ORGS"), &raw).unwrap().index_sk.as_deref(), Some("2024"));
    }

    #[test]
    fn indexes_are_described_once() {
        let it = item(json!({})).with_gsi1("A", "1").with_gsi2("B", "2").with_gsi3("C", "3");
        assert_eq!(it.gsi1_key(), Some(("A".to_string(), "1".to_string())));
        assert_eq!(it.index_key(Index::Gsi2), Some(("B".to_string(), "2".to_string())));
        assert_eq!(it.index_key(Index::Gsi3), Some(("C".to_string(), "3".to_string())));
        assert_eq!(it.index_key(Index::Primary), Some(("p".to_string(), "s".to_string())));
        assert_eq!(item(json!({"gsi2pk": "B"})).index_key(Index::Gsi2), None, "sparse: both keys or none");
        assert!(Item::new(Key::new("p", "s")).with_index(Index::Primary, "x", "y").validate().is_err());
        for index in Index::ALL_SECONDARY {
            let (pk, sk) = index.attrs();
            assert!(pk.starts_with(index.name()) && sk.starts_with(index.name()));
            for attr in [pk, sk] {
                assert!(is_index_key_attr(attr));
                assert!(Item::from_record(Key::new("p", "s"), &json!({ attr: 7 })).is_err(), "{attr} must be a string");
                assert!(Update::new().set(attr, 7).validate().is_err(), "{attr} must be a string");
                assert!(Update::new().set(attr, "x").validate().is_ok());
            }
        }
        assert!(!is_index_key_attr("gsi4pk") && !is_index_key_attr("pk"));
    }

    #[test]
    fn records_cannot_shadow_the_primary_key() {
        assert!(Item::from_record(Key::new("p", "s"), &json!({"pk": "x"})).is_err());
        assert!(Item::from_record(Key::new("p", "s"), &json!({"ttl": "soon"})).is_err());
        assert!(Item::from_record(Key::new("p", "s"), &json!([1])).is_err());
    }
}

//! Embedded adapters over one SQLite file: the [`SqliteTable`] and the [`SqliteQueue`].
//!
//! The file is opened in WAL mode with `synchronous=FULL`, so a committed write survives a killed
//! process (and a power cut). One connection, behind a mutex, serialises the writes; reads run on
//! read-only connections beside it (a WAL reader never waits for the writer's fsync); every
//! operation runs on tokio's blocking pool so it never stalls the async runtime. Conditions and
//! updates are evaluated in Rust inside an `IMMEDIATE` transaction, which makes each write atomic
//! with its condition exactly as DynamoDB's conditional writes are. Writes that arrive together
//! share one commit, each in its own savepoint ([`group_commit`]): one fsync for all of them.
//!
//! Each secondary index of the port is a pair of columns copied from the item's attributes on
//! every write, with a partial SQLite index over the rows that have both. Files created before
//! an index existed gain its columns when opened (see [`migrate_index_columns`]).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension, Savepoint, TransactionBehavior};
use serde_json::{Map, Value};

mod group_commit;

use quarry_ports::clock::SharedClock;
use quarry_ports::queue::{check_receive, check_send};
use quarry_ports::table::{validate_groups, validate_transaction, Cursor, TTL};
use quarry_ports::{
    Condition, Index, Item, Key, KeyRange, Order, Page, Query, Queue, Received, StoreError, StoreResult, Table, Update, WriteOp,
};

/// The schema, less the secondary-index columns: [`migrate_index_columns`] adds those (to new
/// files and to files created before an index existed alike) and their SQLite indexes.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS items (
    pk     TEXT NOT NULL,
    sk     TEXT NOT NULL,
    ttl    INTEGER,
    attrs  TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL;
CREATE TABLE IF NOT EXISTS queue_messages (
    id            TEXT PRIMARY KEY,
    queue         TEXT NOT NULL,
    body          TEXT NOT NULL,
    sent_at_ms    INTEGER NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt       TEXT
);
CREATE INDEX IF NOT EXISTS queue_ready ON queue_messages (queue, visible_at_ms, id);
CREATE UNIQUE INDEX IF NOT EXISTS queue_receipts ON queue_messages (receipt) WHERE receipt IS NOT NULL;
"#;

/// One SQLite database file shared by the embedded table and queues.
#[derive(Clone)]
pub struct SqliteDb {
    /// The writer (and the connection of maintenance work).
    conn: Arc<Mutex<Connection>>,
    /// Writes waiting for the next commit.
    pending: group_commit::Pending,
    /// Read-only connections: in WAL mode a reader sees the last commit without waiting for the
    /// writer, so a read request never queues behind another request's fsync.
    readers: Arc<[Mutex<Connection>]>,
    next_reader: Arc<AtomicUsize>,
}

/// Read-only connections per database file (the development machine has 2 cores).
const READERS: usize = 2;
/// The writer's page cache, as SQLite's `cache_size` takes it (negative: KiB): 16 MiB.
const WRITER_CACHE_KIB: i64 = -16 * 1024;
/// The page size of new files: large enough that a lead or an event (about 2 KB of JSON) stays
/// on its b-tree page instead of an overflow page.
const PAGE_SIZE: i64 = 16 * 1024;
/// WAL size at which the writer checkpoints it into the main file.
const WAL_CHECKPOINT_BYTES: i64 = 16 * 1024 * 1024;

impl SqliteDb {
    /// Opens (creating if needed) the database file and applies the schema.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut conn = Connection::open(path).map_err(backend)?;
        // Only a new, empty file takes this (an existing one keeps the page size it was made
        // with). The items table is clustered by key (`WITHOUT ROWID`), and such a b-tree keeps
        // a row on its page only up to about a quarter of the page: with SQLite's default 4 KiB a
        // 2 KB lead or event spilled into an overflow page of its own, doubling what a job wrote.
        conn.pragma_update(None, "page_size", PAGE_SIZE).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
        // The writer's page cache: a job chunk touches the lead, pointer, index and event b-trees
        // at once, and SQLite's default 2 MiB cache re-read their pages on every chunk.
        conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB).map_err(backend)?;
        // Savepoints (each write of a group commit has one) copy the pages they change: in
        // memory, not in a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(backend)?;
        // Checkpoint the WAL every 16 MiB instead of SQLite's 1,000 pages: fewer copies of hot
        // pages into the main file (and their fsyncs) while a job writes.
        let page_size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0)).map_err(backend)?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_BYTES / page_size.max(512)).map_err(backend)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        migrate_index_columns(&mut conn)?;
        let readers = (0..READERS).map(|_| open_reader(path).map(Mutex::new)).collect::<StoreResult<Vec<_>>>()?;
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(conn)),
            pending: group_commit::Pending::default(),
            readers: readers.into(),
            next_reader: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("sqlite task failed: {e}")))?
    }

    /// Runs the read `f` on a reader connection (a free one if there is one), on the blocking pool.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (readers, start) = (self.readers.clone(), self.next_reader.fetch_add(1, Ordering::Relaxed));
        tokio::task::spawn_blocking(move || {
            let free = (0..readers.len()).find_map(|n| readers[(start + n) % readers.len()].try_lock().ok());
            let reader = match free {
                Some(reader) => reader,
                None => readers[start % readers.len()].lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
            };
            f(&reader)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("sqlite task failed: {e}")))?
    }

    /// Runs the write `f` in a savepoint of the next group commit; answers once it is on disk.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Savepoint<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.pending.write(self.conn.clone(), f).await
    }

    /// Checkpoints the WAL into the main file; called on graceful shutdown.
    pub async fn checkpoint(&self) -> StoreResult<()> {
        self.run(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").map_err(backend)).await
    }
}

/// A read-only connection to the file `open` has set up.
fn open_reader(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(backend)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(backend)?;
    Ok(conn)
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("sqlite: {e}"))
}

/// Gives the `items` table a `<index>pk` / `<index>sk` column pair for every secondary index it
/// lacks, filled from the attributes of the rows already stored (as DynamoDB backfills a new
/// index), and a partial SQLite index over the rows in each index. One `IMMEDIATE` transaction,
/// so two processes opening an old file at once cannot both add a column. Idempotent.
fn migrate_index_columns(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let columns: Vec<String> = {
        let mut stmt = tx.prepare("SELECT name FROM pragma_table_info('items')").map_err(backend)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)?
    };
    for index in Index::ALL_SECONDARY {
        let (pk, sk) = index.attrs();
        if !columns.iter().any(|c| c == pk) {
            // Only rows whose both keys are strings are in the index (`Item::index_key`).
            tx.execute_batch(&format!(
                "ALTER TABLE items ADD COLUMN {pk} TEXT;
                 ALTER TABLE items ADD COLUMN {sk} TEXT;
                 UPDATE items SET {pk} = attrs ->> '$.{pk}', {sk} = attrs ->> '$.{sk}'
                     WHERE json_type(attrs, '$.{pk}') = 'text' AND json_type(attrs, '$.{sk}') = 'text';"
            ))
            .map_err(backend)?;
        }
        tx.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS items_{name} ON items ({pk}, {sk}, pk, sk) WHERE {pk} IS NOT NULL AND {sk} IS NOT NULL;",
            name = index.name()
        ))
        .map_err(backend)?;
    }
    tx.commit().map_err(backend)
}

/// The `Table` port on SQLite. Expired items are hidden on every read and removed by
/// [`SqliteTable::purge_expired`], which the local runner calls periodically.
#[derive(Clone)]
pub struct SqliteTable {
    db: SqliteDb,
    clock: SharedClock,
}

impl SqliteTable {
    pub fn new(db: SqliteDb, clock: SharedClock) -> Self {
        SqliteTable { db, clock }
    }

    /// Deletes expired items; returns how many were removed.
    pub async fn purge_expired(&self) -> StoreResult<usize> {
        let now = self.clock.unix();
        self.db.run(move |c| c.execute("DELETE FROM items WHERE ttl IS NOT NULL AND ttl <= ?1", params![now]).map_err(backend)).await
    }
}

/// Reads the live item under `key` (expired counts as absent).
fn load(conn: &Connection, key: &Key, now: i64) -> StoreResult<Option<Item>> {
    let mut stmt = conn.prepare_cached("SELECT attrs, ttl FROM items WHERE pk = ?1 AND sk = ?2").map_err(backend)?;
    let row: Option<(String, Option<i64>)> =
        stmt.query_row(params![key.pk, key.sk], |r| Ok((r.get(0)?, r.get(1)?))).optional().map_err(backend)?;
    match row {
        Some((_, Some(ttl))) if ttl <= now => Ok(None),
        Some((attrs, _)) => Ok(Some(Item { key: key.clone(), attrs: parse_attrs(&attrs)? })),
        None => Ok(None),
    }
}

fn parse_attrs(raw: &str) -> StoreResult<Map<String, Value>> {
    serde_json::from_str(raw).map_err(|e| StoreError::Backend(format!("stored item is not JSON: {e}")))
}

fn store(conn: &Connection, item: &Item) -> StoreResult<()> {
    let attrs = serde_json::to_string(&item.attrs).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut columns = vec!["pk", "sk", TTL, "attrs"];
    let mut values =
        vec![SqlValue::Text(item.key.pk.clone()), SqlValue::Text(item.key.sk.clone()), item.ttl().into(), SqlValue::Text(attrs)];
    for index in Index::ALL_SECONDARY {
        let (pk, sk) = index.attrs();
        // Both columns or neither: an item with only one of the keys is not in the index.
        let (pk_value, sk_value) = match item.index_key(index) {
            Some((p, s)) => (SqlValue::Text(p), SqlValue::Text(s)),
            None => (SqlValue::Null, SqlValue::Null),
        };
        columns.extend([pk, sk]);
        values.extend([pk_value, sk_value]);
    }
    let placeholders = vec!["?"; columns.len()].join(", ");
    let sql = format!("INSERT OR REPLACE INTO items ({}) VALUES ({placeholders})", columns.join(", "));
    conn.prepare_cached(&sql).and_then(|mut stmt| stmt.execute(params_from_iter(values))).map_err(backend)?;
    Ok(())
}

fn remove(conn: &Connection, key: &Key) -> StoreResult<()> {
    conn.execute("DELETE FROM items WHERE pk = ?1 AND sk = ?2", params![key.pk, key.sk]).map_err(backend)?;
    Ok(())
}

fn check(condition: &Condition, current: Option<&Item>) -> StoreResult<()> {
    if condition.holds(current) {
        Ok(())
    } else {
        Err(StoreError::ConditionFailed)
    }
}

/// Whether every condition of a group holds on what is stored now (a write without one always
/// does, and reads nothing).
fn group_holds(conn: &Connection, group: &[WriteOp], now: i64) -> StoreResult<bool> {
    for op in group {
        let condition = match op {
            WriteOp::Put { condition, .. }
            | WriteOp::Update { condition, .. }
            | WriteOp::Delete { condition, .. }
            | WriteOp::Check { condition, .. } => condition,
        };
        if matches!(condition, Condition::None) {
            continue;
        }
        if !condition.holds(load(conn, op.key(), now)?.as_ref()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Applies one write inside an open transaction; returns (old live item, new item), except for
/// a put, whose caller has the new item and needs neither.
fn apply_op(conn: &Connection, op: &WriteOp, now: i64) -> StoreResult<(Option<Item>, Option<Item>)> {
    if let WriteOp::Put { item, condition: Condition::None } = op {
        // Nothing to check, so nothing to read (most of a job's writes).
        store(conn, item)?;
        return Ok((None, None));
    }
    let current = load(conn, op.key(), now)?;
    match op {
        WriteOp::Put { item, condition } => {
            check(condition, current.as_ref())?;
            store(conn, item)?;
            Ok((None, None))
        }
        WriteOp::Update { key, update, condition } => {
            check(condition, current.as_ref())?;
            let next = update.apply(key, current.clone())?;
            next.validate()?;
            store(conn, &next)?;
            Ok((current, Some(next)))
        }
        WriteOp::Delete { key, condition } => {
            check(condition, current.as_ref())?;
            remove(conn, key)?;
            Ok((current, None))
        }
        WriteOp::Check { condition, .. } => {
            check(condition, current.as_ref())?;
            Ok((current, None))
        }
    }
}

impl SqliteTable {
    /// Runs writes in one IMMEDIATE transaction; rolls back on any error.
    async fn write(&self, ops: Vec<WriteOp>) -> StoreResult<Vec<(Option<Item>, Option<Item>)>> {
        let now = self.clock.unix();
        self.db
            .write(move |tx| {
                let mut results = Vec::with_capacity(ops.len());
                for op in &ops {
                    results.push(apply_op(tx, op, now)?);
                }
                Ok(results)
            })
            .await
    }

    async fn write_one(&self, op: WriteOp) -> StoreResult<(Option<Item>, Option<Item>)> {
        Ok(self.write(vec![op]).await?.remove(0))
    }
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        let key = key.clone();
        let now = self.clock.unix();
        self.db.read(move |c| load(c, &key, now)).await
    }

    async fn get_many(&self, keys: &[Key]) -> StoreResult<Vec<Option<Item>>> {
        let keys = keys.to_vec();
        let now = self.clock.unix();
        // One reader for all of them: a consistent view, and one trip to the blocking pool.
        self.db.read(move |c| keys.iter().map(|key| load(c, key, now)).collect()).await
    }

    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()> {
        item.validate()?;
        self.write_one(WriteOp::Put { item, condition }).await.map(|_| ())
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> StoreResult<Item> {
        update.validate()?;
        let (_, new) = self.write_one(WriteOp::Update { key: key.clone(), update, condition }).await?;
        new.ok_or_else(|| StoreError::Backend("update produced no item".into()))
    }

    async fn delete(&self, key: &Key, condition: Condition) -> StoreResult<Option<Item>> {
        let (old, _) = self.write_one(WriteOp::Delete { key: key.clone(), condition }).await?;
        Ok(old)
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        query.validate()?;
        let cursor = query.cursor.as_deref().map(|raw| Cursor::decode_for(&query, raw)).transpose()?;
        let now = self.clock.unix();
        let (sql, args) = query_sql(&query, cursor.as_ref(), now);
        let rows = self
            .db
            .read(move |c| {
                let mut stmt = c.prepare_cached(&sql).map_err(backend)?;
                let rows = stmt
                    .query_map(params_from_iter(args), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
                    .map_err(backend)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(backend)
            })
            .await?;
        let mut items = rows
            .into_iter()
            .map(|(pk, sk, attrs)| Ok(Item { key: Key { pk, sk }, attrs: parse_attrs(&attrs)? }))
            .collect::<StoreResult<Vec<_>>>()?;
        let next_cursor = if items.len() > query.limit {
            items.truncate(query.limit);
            items.last().map(|last| Cursor::after(&query, last).encode())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> StoreResult<()> {
        validate_transaction(&ops)?;
        self.write(ops).await.map(|_| ())
    }

    /// One write for the whole call (one commit, one fsync), each group in a nested savepoint
    /// that is rolled back alone when one of its conditions fails.
    async fn transact_groups(&self, groups: Vec<Vec<WriteOp>>) -> StoreResult<Vec<bool>> {
        validate_groups(&groups)?;
        let now = self.clock.unix();
        self.db
            .write(move |tx| {
                // No key is in two groups, and none twice in a group, so a group's conditions
                // depend only on what was stored before the call: checked first, they decide the
                // group without the savepoint per group that rolling it back would need (SQLite
                // copies every page a savepoint touches, which was a third of a job's write time).
                let mut written = Vec::with_capacity(groups.len());
                for group in &groups {
                    let holds = group_holds(tx, group, now)?;
                    if holds {
                        group.iter().try_for_each(|op| apply_op(tx, op, now).map(drop))?;
                    }
                    written.push(holds);
                }
                Ok(written)
            })
            .await
    }
}

/// The least string greater than every string that starts with `prefix` (`None` when there is
/// none, or the prefix is empty). SQLite compares text byte by byte, and UTF-8's byte order is
/// code-point order, so raising the last code point that can be raised (dropping the ones after
/// it) gives that bound.
fn past_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Builds the SELECT for a query: the partition, the key range, the cursor position, live items
/// only, in index order, one more row than the page so we know whether another page follows.
fn query_sql(query: &Query, cursor: Option<&Cursor>, now: i64) -> (String, Vec<SqlValue>) {
    let (part_col, sort_col) = query.index.attrs();
    let mut sql = format!("SELECT pk, sk, attrs FROM items WHERE {part_col} = ?");
    let mut args = vec![SqlValue::Text(query.partition.clone())];
    if query.index.is_secondary() {
        // Matches the partial index's predicate, so SQLite uses it.
        sql.push_str(&format!(" AND {sort_col} IS NOT NULL"));
    }
    match &query.range {
        KeyRange::All => {}
        // A range, not `substr(..) = ?`, so SQLite seeks the index to the prefix instead of
        // reading every row of the partition (which made a prefix query cost more as an
        // organization's partition grew).
        KeyRange::Prefix(p) => {
            sql.push_str(&format!(" AND {sort_col} >= ?"));
            args.push(SqlValue::Text(p.clone()));
            if let Some(past) = past_prefix(p) {
                sql.push_str(&format!(" AND {sort_col} < ?"));
                args.push(SqlValue::Text(past));
            }
        }
        KeyRange::Between(lo, hi) => {
            sql.push_str(&format!(" AND {sort_col} >= ? AND {sort_col} <= ?"));
            args.extend([SqlValue::Text(lo.clone()), SqlValue::Text(hi.clone())]);
        }
        KeyRange::From(lo) => {
            sql.push_str(&format!(" AND {sort_col} >= ?"));
            args.push(SqlValue::Text(lo.clone()));
        }
        KeyRange::To(hi) => {
            sql.push_str(&format!(" AND {sort_col} <= ?"));
            args.push(SqlValue::Text(hi.clone()));
        }
    }
    let (cmp, dir) = match query.order {
        Order::Asc => (">", "ASC"),
        Order::Desc => ("<", "DESC"),
    };
    if let Some(c) = cursor {
        if query.index.is_secondary() {
            sql.push_str(&format!(" AND ({sort_col}, pk, sk) {cmp} (?, ?, ?)"));
            args.extend([
                SqlValue::Text(c.index_sk.clone().unwrap_or_default()),
                SqlValue::Text(c.key.pk.clone()),
                SqlValue::Text(c.key.sk.clone()),
            ]);
        } else {
            sql.push_str(&format!(" AND sk {cmp} ?"));
            args.push(SqlValue::Text(c.key.sk.clone()));
        }
    }
    sql.push_str(&format!(" AND ({TTL} IS NULL OR {TTL} > ?)"));
    args.push(SqlValue::Integer(now));
    let order_by = if query.index.is_secondary() { format!("{sort_col} {dir}, pk {dir}, sk {dir}") } else { format!("sk {dir}") };
    sql.push_str(&format!(" ORDER BY {order_by} LIMIT ?"));
    args.push(SqlValue::Integer(query.limit as i64 + 1));
    (sql, args)
}

/// Settings of one embedded queue.
#[derive(Clone, Debug)]
pub struct QueueSettings {
    /// The queue's name (several queues share the `queue_messages` table).
    pub name: String,
    /// After this many receives, the next receive moves the message to `dead_letter` instead.
    pub max_receives: u32,
    /// Name of the dead-letter queue; `None` keeps redelivering forever.
    pub dead_letter: Option<String>,
}

impl QueueSettings {
    /// A queue with a dead-letter queue named `<name>-dlq`.
    pub fn with_dlq(name: &str, max_receives: u32) -> Self {
        QueueSettings { name: name.to_string(), max_receives, dead_letter: Some(format!("{name}-dlq")) }
    }

    /// A queue without redrive (used for dead-letter queues themselves).
    pub fn plain(name: &str) -> Self {
        QueueSettings { name: name.to_string(), max_receives: u32::MAX, dead_letter: None }
    }
}

/// The `Queue` port on SQLite, with SQS semantics: delays, visibility timeouts, receive counts and
/// a dead-letter move. Messages live in the database file, so nothing is lost on restart and a
/// message whose worker died becomes visible again when its visibility timeout ends.
#[derive(Clone)]
pub struct SqliteQueue {
    db: SqliteDb,
    clock: SharedClock,
    settings: QueueSettings,
}

impl SqliteQueue {
    pub fn new(db: SqliteDb, clock: SharedClock, settings: QueueSettings) -> Self {
        SqliteQueue { db, clock, settings }
    }
}

fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[async_trait]
impl Queue for SqliteQueue {
    async fn send(&self, body: &str, delay: Duration) -> StoreResult<String> {
        check_send(body, delay)?;
        let id = ulid::Ulid::new().to_string();
        let now = self.clock.unix_ms();
        let (queue, body, msg_id) = (self.settings.name.clone(), body.to_string(), id.clone());
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO queue_messages (id, queue, body, sent_at_ms, visible_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![msg_id, queue, body, now, now + delay.as_millis() as i64],
                )
                .map_err(backend)
            })
            .await?;
        Ok(id)
    }

    /// One transaction for all of them.
    async fn send_batch(&self, bodies: &[String], delay: Duration) -> StoreResult<()> {
        for body in bodies {
            check_send(body, delay)?;
        }
        let now = self.clock.unix_ms();
        let (queue, bodies) = (self.settings.name.clone(), bodies.to_vec());
        self.db
            .write(move |tx| {
                {
                    let mut insert = tx
                        .prepare_cached(
                            "INSERT INTO queue_messages (id, queue, body, sent_at_ms, visible_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                        )
                        .map_err(backend)?;
                    for body in &bodies {
                        let id = ulid::Ulid::new().to_string();
                        insert.execute(params![id, queue, body, now, now + delay.as_millis() as i64]).map_err(backend)?;
                    }
                }
                Ok(())
            })
            .await
    }

    async fn receive(&self, max: usize, visibility: Duration) -> StoreResult<Vec<Received>> {
        check_receive(max, visibility)?;
        let now = self.clock.unix_ms();
        let settings = self.settings.clone();
        self.db
            .write(move |tx| {
                let mut out = Vec::new();
                loop {
                    let candidates: Vec<(String, String, u32)> = {
                        let mut stmt = tx
                            .prepare_cached(
                                "SELECT id, body, receive_count FROM queue_messages WHERE queue = ?1 AND visible_at_ms <= ?2 ORDER BY visible_at_ms, id LIMIT ?3",
                            )
                            .map_err(backend)?;
                        let rows = stmt.query_map(params![settings.name, now, (max - out.len()) as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(backend)?;
                        rows.collect::<Result<_, _>>().map_err(backend)?
                    };
                    if candidates.is_empty() {
                        break;
                    }
                    for (id, body, count) in candidates {
                        if let (Some(dlq), true) = (&settings.dead_letter, count >= settings.max_receives) {
                            tx.execute(
                                "UPDATE queue_messages SET queue = ?1, receive_count = 0, receipt = NULL, visible_at_ms = ?2 WHERE id = ?3",
                                params![dlq, now, id],
                            )
                            .map_err(backend)?;
                            continue;
                        }
                        let receipt = random_token();
                        tx.execute(
                            "UPDATE queue_messages SET receive_count = receive_count + 1, receipt = ?1, visible_at_ms = ?2 WHERE id = ?3",
                            params![receipt, now + visibility.as_millis() as i64, id],
                        )
                        .map_err(backend)?;
                        out.push(Received { id, receipt, body, receive_count: count + 1 });
                    }
                    if out.len() >= max {
                        break;
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn delete(&self, receipt: &str) -> StoreResult<()> {
        // A receipt from an earlier delivery no longer matches once the message was received
        // again, so a slow worker cannot delete a message another worker is now processing.
        let receipt = receipt.to_string();
        self.db
            .write(move |c| c.execute("DELETE FROM queue_messages WHERE receipt = ?1", params![receipt]).map(|_| ()).map_err(backend))
            .await
    }

    /// One write for all of them.
    async fn delete_batch(&self, receipts: &[String]) -> StoreResult<()> {
        let receipts = receipts.to_vec();
        self.db
            .write(move |c| {
                let mut delete = c.prepare_cached("DELETE FROM queue_messages WHERE receipt = ?1").map_err(backend)?;
                for receipt in &receipts {
                    delete.execute(params![receipt]).map_err(backend)?;
                }
                Ok(())
            })
            .await
    }

    async fn change_visibility(&self, receipt: &str, timeout: Duration) -> StoreResult<()> {
        check_receive(1, timeout)?;
        let visible_at = self.clock.unix_ms() + timeout.as_millis() as i64;
        let receipt = receipt.to_string();
        let changed = self
            .db
            .write(move |c| {
                c.execute("UPDATE queue_messages SET visible_at_ms = ?1 WHERE receipt = ?2", params![visible_at, receipt]).map_err(backend)
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::Invalid("the receipt handle is unknown or stale".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_ports::clock::ManualClock;

    #[test]
    fn a_prefix_becomes_a_range_that_holds_exactly_its_strings() {
        assert_eq!(past_prefix("EVT#").as_deref(), Some("EVT$"));
        assert_eq!(past_prefix("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(past_prefix("\u{D7FF}").as_deref(), Some("\u{E000}"), "surrogates are skipped");
        assert_eq!(past_prefix(""), None);
        assert_eq!(past_prefix("\u{10FFFF}"), None);
        let past = past_prefix("LEAD#").unwrap();
        for inside in ["LEAD#", "LEAD#zzz", "LEAD#\u{10FFFF}\u{10FFFF}"] {
            assert!(inside >= "LEAD#" && inside < past.as_str(), "{inside}");
        }
        assert!("LEAD$" >= past.as_str() && "LEAD" < "LEAD#");
    }

    #[test]
    fn a_prefix_query_seeks_the_index() {
        let query = Query::partition("ORG#1").prefix("EVT#");
        let (sql, _) = query_sql(&query, None, 0);
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(params!["ORG#1", "EVT#", "EVT$", 0, 101], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan.iter().any(|step| step.contains("sk>? AND sk<?") || step.contains("sk>?) AND (sk<?")), "{plan:?}");
    }

    /// The `items` table as files written before `gsi2` / `gsi3` existed have it.
    const OLD_SCHEMA: &str = r#"
        CREATE TABLE items (
            pk     TEXT NOT NULL,
            sk     TEXT NOT NULL,
            gsi1pk TEXT,
            gsi1sk TEXT,
            ttl    INTEGER,
            attrs  TEXT NOT NULL,
            PRIMARY KEY (pk, sk)
        ) WITHOUT ROWID;
        CREATE INDEX items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL AND gsi1sk IS NOT NULL;
        INSERT INTO items (pk, sk, gsi1pk, gsi1sk, ttl, attrs) VALUES
            ('ORG#1', 'ORG', 'ORGS', '1', NULL, '{"gsi1pk":"ORGS","gsi1sk":"1","name":"old"}'),
            ('ORG#1', 'LEAD#a', NULL, NULL, NULL, '{"gsi2pk":"LEADS#1","gsi2sk":"050#a"}'),
            ('ORG#1', 'LEAD#b', NULL, NULL, NULL, '{"gsi2pk":"LEADS#1","gsi2sk":7}');
    "#;

    /// Writes made together share commits, yet each is answered on its own: a write whose
    /// condition fails changes nothing and fails no other write of its commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_commit_together_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let table = Arc::new(SqliteTable::new(SqliteDb::open(&path).unwrap(), ManualClock::new()));
        for n in (0..200).step_by(4) {
            table.put(Item::new(Key::new("P", format!("{n:03}"))).with("v", "old"), Condition::None).await.unwrap();
        }
        let writes = (0..200).map(|n| {
            let table = table.clone();
            tokio::spawn(async move {
                let ops = vec![
                    WriteOp::Put { item: Item::new(Key::new("P", format!("{n:03}"))).with("v", "new"), condition: Condition::Absent },
                    WriteOp::Update {
                        key: Key::new("C", format!("{n:03}")),
                        update: Update::new().add("n", 1),
                        condition: Condition::None,
                    },
                ];
                table.transact(ops).await
            })
        });
        let outcomes = futures_util::future::join_all(writes).await;
        for (n, outcome) in outcomes.into_iter().enumerate() {
            match outcome.unwrap() {
                Ok(()) => assert!(n % 4 != 0, "write {n} should have failed its condition"),
                Err(StoreError::ConditionFailed) => assert!(n % 4 == 0, "write {n} failed"),
                Err(e) => panic!("write {n}: {e}"),
            }
        }
        // What was answered is on disk: a fresh connection to the file sees exactly it.
        drop(table);
        let reopened = SqliteTable::new(SqliteDb::open(&path).unwrap(), ManualClock::new());
        for n in 0..200 {
            let value = reopened.get(&Key::new("P", format!("{n:03}"))).await.unwrap().unwrap();
            assert_eq!(value.str("v"), Some(if n % 4 == 0 { "old" } else { "new" }));
            let counter = reopened.get(&Key::new("C", format!("{n:03}"))).await.unwrap();
            assert_eq!(counter.and_then(|c| c.i64("n")), (n % 4 != 0).then_some(1), "counter {n}");
        }
    }

    fn sort_keys(page: &Page) -> Vec<&str> {
        page.items.iter().map(|item| item.key.sk.as_str()).collect()
    }

    #[tokio::test]
    async fn files_from_the_previous_schema_gain_the_new_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        Connection::open(&path).unwrap().execute_batch(OLD_SCHEMA).unwrap();

        let table = SqliteTable::new(SqliteDb::open(&path).unwrap(), ManualClock::new());
        let orgs = table.query(Query::gsi1("ORGS")).await.unwrap();
        assert_eq!(orgs.items.len(), 1, "gsi1 entries survive the migration");
        assert_eq!(orgs.items[0].str("name"), Some("old"));
        // Stored rows are backfilled, but only those whose keys are strings (the port's rule).
        assert_eq!(sort_keys(&table.query(Query::gsi2("LEADS#1")).await.unwrap()), ["LEAD#a"]);

        table
            .put(Item::new(Key::new("ORG#1", "LEAD#c")).with_gsi2("LEADS#1", "085#c").with_gsi3("LEADS#1", "acme"), Condition::None)
            .await
            .unwrap();
        let by_score = table.query(Query::gsi2("LEADS#1").order(Order::Desc)).await.unwrap();
        assert_eq!(sort_keys(&by_score), ["LEAD#c", "LEAD#a"]);
        assert_eq!(sort_keys(&table.query(Query::gsi3("LEADS#1")).await.unwrap()), ["LEAD#c"]);

        // Opening the migrated file again changes nothing.
        drop(table);
        let table = SqliteTable::new(SqliteDb::open(&path).unwrap(), ManualClock::new());
        assert_eq!(sort_keys(&table.query(Query::gsi2("LEADS#1").order(Order::Desc)).await.unwrap()), ["LEAD#c", "LEAD#a"]);
        let indexes: Vec<String> = table
            .db
            .run(|c| {
                let mut stmt = c
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'items_gsi%' ORDER BY name")
                    .map_err(backend)?;
                let names = stmt.query_map([], |r| r.get(0)).map_err(backend)?;
                names.collect::<Result<_, _>>().map_err(backend)
            })
            .await
            .unwrap();
        assert_eq!(indexes, ["items_gsi1", "items_gsi2", "items_gsi3"]);
    }
}

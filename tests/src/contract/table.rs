//! The `Table` contract.

use std::sync::Arc;
use std::time::Duration;

use quarry_shared::clock::{Clock, ManualClock};
use quarry_shared::ports::{Condition, Item, Key, KeyRange, Order, Query, StoreError, Table, Update, WriteOp};
use serde_json::{json, Value};

/// What a table contract test gets: the table and the clock it reads "now" from.
pub struct TableFixture {
    pub table: Arc<dyn Table>,
    pub clock: Arc<ManualClock>,
}

fn item(pk: &str, sk: &str, attrs: Value) -> Item {
    Item { key: Key::new(pk, sk), attrs: attrs.as_object().expect("object").clone() }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}#{}", ulid::Ulid::new())
}

pub async fn put_get_roundtrips_json(f: TableFixture) {
    let pk = unique("P");
    let attrs = json!({"s": "text", "i": 42, "neg": -7, "f": 1.5, "b": true, "n": null, "list": [1, "two", {"three": 3}], "map": {"a": {"b": "c"}}, "empty": ""});
    f.table.put(item(&pk, "A", attrs.clone()), Condition::None).await.unwrap();
    let got = f.table.get(&Key::new(&pk, "A")).await.unwrap().expect("item");
    assert_eq!(Value::Object(got.attrs), attrs);
    assert_eq!(f.table.get(&Key::new(&pk, "B")).await.unwrap(), None);
}

pub async fn conditional_writes_conflict(f: TableFixture) {
    let pk = unique("P");
    let key = Key::new(&pk, "A");
    f.table.put(item(&pk, "A", json!({"version": 1})), Condition::Absent).await.unwrap();
    let again = f.table.put(item(&pk, "A", json!({"version": 9})), Condition::Absent).await;
    assert!(matches!(again, Err(StoreError::ConditionFailed)), "{again:?}");
    let stale = f.table.put(item(&pk, "A", json!({"version": 3})), Condition::version_is(2)).await;
    assert!(matches!(stale, Err(StoreError::ConditionFailed)));
    f.table.put(item(&pk, "A", json!({"version": 2})), Condition::version_is(1)).await.unwrap();
    let missing = f.table.put(item(&pk, "B", json!({})), Condition::Exists).await;
    assert!(matches!(missing, Err(StoreError::ConditionFailed)));
    assert!(matches!(
        f.table.update(&key, Update::new().set("x", 1), Condition::equals("version", 7)).await,
        Err(StoreError::ConditionFailed)
    ));
    assert_eq!(f.table.get(&key).await.unwrap().unwrap().i64("version"), Some(2));
}

pub async fn only_one_of_concurrent_creators_wins(f: TableFixture) {
    let pk = unique("P");
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let table = f.table.clone();
            let pk = pk.clone();
            tokio::spawn(async move { table.put(item(&pk, "A", json!({"writer": i})), Condition::Absent).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(wins, 1);
}

pub async fn update_sets_removes_and_adds(f: TableFixture) {
    let pk = unique("P");
    let key = Key::new(&pk, "A");
    let created = f.table.update(&key, Update::new().set("name", "x").add("n", 5), Condition::None).await.unwrap();
    assert_eq!(created.i64("n"), Some(5));
    let next = f.table.update(&key, Update::new().set("name", "y").remove("gone").add("n", -2), Condition::Exists).await.unwrap();
    assert_eq!(Value::Object(next.attrs.clone()), json!({"name": "y", "n": 3}));
    assert_eq!(next.key, key);
    let guarded = f.table.update(&Key::new(&pk, "missing"), Update::new().set("a", 1), Condition::Exists).await;
    assert!(matches!(guarded, Err(StoreError::ConditionFailed)));
    assert_eq!(f.table.get(&Key::new(&pk, "missing")).await.unwrap(), None);
}

pub async fn counters_add_atomically(f: TableFixture) {
    let key = Key::new(unique("P"), "COUNTER");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let table = f.table.clone();
            let key = key.clone();
            tokio::spawn(async move { table.update(&key, Update::new().add("n", 1), Condition::None).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(f.table.get(&key).await.unwrap().unwrap().i64("n"), Some(20));
}

pub async fn counter_stays_within_bound(f: TableFixture) {
    let key = Key::new(unique("P"), "QUOTA");
    for expected in 1..=3 {
        let item = f.table.update(&key, Update::new().add("used", 1), Condition::counter_within("used", 1, 3)).await.unwrap();
        assert_eq!(item.i64("used"), Some(expected));
    }
    let over = f.table.update(&key, Update::new().add("used", 1), Condition::counter_within("used", 1, 3)).await;
    assert!(matches!(over, Err(StoreError::ConditionFailed)));
    let too_big = f.table.update(&Key::new(unique("P"), "Q"), Update::new().add("used", 5), Condition::counter_within("used", 5, 3)).await;
    assert!(matches!(too_big, Err(StoreError::ConditionFailed)));
    assert_eq!(f.table.get(&key).await.unwrap().unwrap().i64("used"), Some(3));
}

pub async fn delete_returns_the_old_item(f: TableFixture) {
    let pk = unique("P");
    let key = Key::new(&pk, "A");
    f.table.put(item(&pk, "A", json!({"v": 1})), Condition::None).await.unwrap();
    assert!(matches!(f.table.delete(&key, Condition::equals("v", 2)).await, Err(StoreError::ConditionFailed)));
    let old = f.table.delete(&key, Condition::equals("v", 1)).await.unwrap().expect("old item");
    assert_eq!(old.i64("v"), Some(1));
    assert_eq!(f.table.get(&key).await.unwrap(), None);
    assert_eq!(f.table.delete(&key, Condition::None).await.unwrap(), None);
}

/// Reads a whole partition page by page, checking page sizes.
async fn read_all(table: &dyn Table, query: Query) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = None;
    let limit = query.limit;
    loop {
        let page = table.query(query.clone().cursor(cursor)).await.unwrap();
        assert!(page.items.len() <= limit);
        if page.next_cursor.is_some() {
            assert_eq!(page.items.len(), limit, "a page with a cursor is full");
        }
        out.extend(page.items.iter().map(|i| i.key.sk.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

pub async fn query_pages_in_order(f: TableFixture) {
    let pk = unique("P");
    let sks: Vec<String> = (0..25).map(|i| format!("ITEM#{i:03}")).collect();
    for sk in &sks {
        f.table.put(item(&pk, sk, json!({})), Condition::None).await.unwrap();
    }
    f.table.put(item(&pk, "OTHER#1", json!({})), Condition::None).await.unwrap();
    f.table.put(item(&unique("P"), "ITEM#000", json!({})), Condition::None).await.unwrap();

    let asc = read_all(&*f.table, Query::partition(&pk).prefix("ITEM#").limit(10)).await;
    assert_eq!(asc, sks);
    let desc = read_all(&*f.table, Query::partition(&pk).prefix("ITEM#").order(Order::Desc).limit(7)).await;
    assert_eq!(desc, sks.iter().rev().cloned().collect::<Vec<_>>());
    let exact = read_all(&*f.table, Query::partition(&pk).prefix("ITEM#").limit(25)).await;
    assert_eq!(exact.len(), 25);

    let between = read_all(&*f.table, Query::partition(&pk).range(KeyRange::Between("ITEM#005".into(), "ITEM#009".into())).limit(2)).await;
    assert_eq!(between, sks[5..=9].to_vec());
    let from = read_all(&*f.table, Query::partition(&pk).range(KeyRange::From("ITEM#020".into())).limit(3)).await;
    assert_eq!(from, [&sks[20..], &["OTHER#1".to_string()][..]].concat());
    let to = read_all(&*f.table, Query::partition(&pk).range(KeyRange::To("ITEM#002".into())).limit(100)).await;
    assert_eq!(to, sks[..=2].to_vec());
    let all = read_all(&*f.table, Query::partition(&pk).limit(100)).await;
    assert_eq!(all.len(), 26);
}

pub async fn secondary_index_pages_in_order(f: TableFixture) {
    let index_pk = unique("IDX");
    let mut expected = Vec::new();
    for i in 0..23 {
        // Items spread over several table partitions, two sharing each index sort key.
        let pk = format!("{index_pk}-P{}", i % 4);
        let sk = format!("S{i:03}");
        let it = item(&pk, &sk, json!({"i": i})).with_gsi1(index_pk.clone(), format!("G{:03}", i / 2));
        f.table.put(it, Condition::None).await.unwrap();
        expected.push((format!("G{:03}", i / 2), pk, sk));
    }
    f.table.put(item(&format!("{index_pk}-P0"), "NOT-INDEXED", json!({})), Condition::None).await.unwrap();
    expected.sort();

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = f.table.query(Query::gsi1(&index_pk).limit(5).cursor(cursor)).await.unwrap();
        for it in &page.items {
            seen.push((it.str("gsi1sk").unwrap().to_string(), it.key.pk.clone(), it.key.sk.clone()));
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 23, "every indexed item once");
    let sort_keys: Vec<_> = seen.iter().map(|s| s.0.clone()).collect();
    let mut sorted = sort_keys.clone();
    sorted.sort();
    assert_eq!(sort_keys, sorted, "in index sort-key order");
    seen.sort();
    assert_eq!(seen, expected);

    let desc = f.table.query(Query::gsi1(&index_pk).order(Order::Desc).limit(3)).await.unwrap();
    assert_eq!(desc.items[0].str("gsi1sk"), Some("G011"));
    let prefixed = f.table.query(Query::gsi1(&index_pk).prefix("G00").limit(100)).await.unwrap();
    assert_eq!(prefixed.items.len(), 20);
}

pub async fn foreign_cursors_are_rejected(f: TableFixture) {
    let pk = unique("P");
    for i in 0..3 {
        f.table.put(item(&pk, &format!("S{i}"), json!({})), Condition::None).await.unwrap();
    }
    let page = f.table.query(Query::partition(&pk).limit(1)).await.unwrap();
    let cursor = page.next_cursor.expect("more pages");
    let other = f.table.query(Query::partition(unique("P")).limit(1).cursor(Some(cursor))).await;
    assert!(matches!(other, Err(StoreError::InvalidCursor)));
    let garbage = f.table.query(Query::partition(&pk).cursor(Some("%%%".into()))).await;
    assert!(matches!(garbage, Err(StoreError::InvalidCursor)));
}

pub async fn transactions_are_all_or_nothing(f: TableFixture) {
    let pk = unique("P");
    f.table.put(item(&pk, "LOCKED", json!({"state": "closed"})), Condition::None).await.unwrap();
    f.table.put(item(&pk, "GONE", json!({})), Condition::None).await.unwrap();
    let failing = vec![
        WriteOp::Put { item: item(&pk, "NEW", json!({"a": 1})), condition: Condition::Absent },
        WriteOp::Update { key: Key::new(&pk, "COUNT"), update: Update::new().add("n", 1), condition: Condition::None },
        WriteOp::Delete { key: Key::new(&pk, "GONE"), condition: Condition::None },
        WriteOp::Check { key: Key::new(&pk, "LOCKED"), condition: Condition::equals("state", "open") },
    ];
    assert!(matches!(f.table.transact(failing.clone()).await, Err(StoreError::ConditionFailed)));
    assert_eq!(f.table.get(&Key::new(&pk, "NEW")).await.unwrap(), None);
    assert_eq!(f.table.get(&Key::new(&pk, "COUNT")).await.unwrap(), None);
    assert!(f.table.get(&Key::new(&pk, "GONE")).await.unwrap().is_some());

    f.table.put(item(&pk, "LOCKED", json!({"state": "open"})), Condition::None).await.unwrap();
    f.table.transact(failing).await.unwrap();
    assert!(f.table.get(&Key::new(&pk, "NEW")).await.unwrap().is_some());
    assert_eq!(f.table.get(&Key::new(&pk, "COUNT")).await.unwrap().unwrap().i64("n"), Some(1));
    assert_eq!(f.table.get(&Key::new(&pk, "GONE")).await.unwrap(), None);

    let twice = vec![
        WriteOp::Put { item: item(&pk, "X", json!({})), condition: Condition::None },
        WriteOp::Delete { key: Key::new(&pk, "X"), condition: Condition::None },
    ];
    assert!(matches!(f.table.transact(twice).await, Err(StoreError::Invalid(_))));
}

pub async fn expired_items_are_never_returned(f: TableFixture) {
    let pk = unique("P");
    let now = f.clock.unix();
    f.table.put(item(&pk, "SHORT", json!({"n": 7})).expires_at(now + 10), Condition::None).await.unwrap();
    f.table.put(item(&pk, "LONG", json!({})).expires_at(now + 1000), Condition::None).await.unwrap();
    f.table.put(item(&pk, "FOREVER", json!({})), Condition::None).await.unwrap();
    assert!(f.table.get(&Key::new(&pk, "SHORT")).await.unwrap().is_some());

    f.clock.advance(Duration::from_secs(11));
    assert_eq!(f.table.get(&Key::new(&pk, "SHORT")).await.unwrap(), None);
    let live = read_all(&*f.table, Query::partition(&pk).limit(1)).await;
    assert_eq!(live, vec!["FOREVER".to_string(), "LONG".to_string()]);
    // An expired item is absent to conditions and to updates.
    assert!(matches!(
        f.table.update(&Key::new(&pk, "SHORT"), Update::new().add("n", 1), Condition::Exists).await,
        Err(StoreError::ConditionFailed)
    ));
    let fresh = f.table.update(&Key::new(&pk, "SHORT"), Update::new().add("n", 1), Condition::None).await.unwrap();
    assert_eq!(fresh.i64("n"), Some(1), "an update of an expired item starts from nothing");
    assert_eq!(fresh.ttl(), None);
    f.clock.advance(Duration::from_secs(2000));
    f.table.put(item(&pk, "LONG", json!({"v": 2})), Condition::Absent).await.unwrap();
    assert_eq!(f.table.delete(&Key::new(&pk, "NONE"), Condition::None).await.unwrap(), None);
}

pub async fn reserved_attributes_are_checked(f: TableFixture) {
    let pk = unique("P");
    let bad_ttl = item(&pk, "A", json!({"ttl": "tomorrow"}));
    assert!(matches!(f.table.put(bad_ttl, Condition::None).await, Err(StoreError::Invalid(_))));
    assert!(matches!(
        f.table.update(&Key::new(&pk, "A"), Update::new().set("sk", "x"), Condition::None).await,
        Err(StoreError::Invalid(_))
    ));
}

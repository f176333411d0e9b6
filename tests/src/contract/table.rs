//! The `Table` contract.

use std::sync::Arc;
use std::time::Duration;

use quarry_ports::clock::{Clock, ManualClock};
use quarry_ports::{Condition, Index, Item, Key, KeyRange, Order, Query, StoreError, Table, Update, WriteOp};
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

/// One item's position in a secondary index: (index sort key, table pk, table sk).
type IndexEntry = (String, String, String);

/// Reads a whole index partition page by page, checking page sizes, as index entries.
async fn read_index(table: &dyn Table, query: Query) -> Vec<IndexEntry> {
    let (_, sort_attr) = query.index.attrs();
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = table.query(query.clone().cursor(cursor)).await.unwrap();
        assert!(page.items.len() <= query.limit);
        if page.next_cursor.is_some() {
            assert_eq!(page.items.len(), query.limit, "a page with a cursor is full");
        }
        out.extend(page.items.iter().map(|i| (i.str(sort_attr).expect("index sort key").to_string(), i.key.pk.clone(), i.key.sk.clone())));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// Checks that `query` returns exactly the entries of `all` its range selects, in index order.
/// Items sharing a sort key may come in any primary-key order (DynamoDB does not promise one),
/// but each exactly once, however the pages fall.
async fn assert_index_reads(table: &dyn Table, query: Query, all: &[IndexEntry]) {
    let in_range = |sort: &str| match &query.range {
        KeyRange::All => true,
        KeyRange::Prefix(p) => sort.starts_with(p.as_str()),
        KeyRange::Between(lo, hi) => lo.as_str() <= sort && sort <= hi.as_str(),
        KeyRange::From(lo) => lo.as_str() <= sort,
        KeyRange::To(hi) => sort <= hi.as_str(),
    };
    let mut expected: Vec<IndexEntry> = all.iter().filter(|e| in_range(&e.0)).cloned().collect();
    expected.sort();
    let mut seen = read_index(table, query.clone()).await;
    let mut expected_order: Vec<&String> = expected.iter().map(|e| &e.0).collect();
    if query.order == Order::Desc {
        expected_order.reverse();
    }
    assert_eq!(seen.iter().map(|e| &e.0).collect::<Vec<_>>(), expected_order, "index sort-key order of {query:?}");
    seen.sort();
    assert_eq!(seen, expected, "every selected item once: {query:?}");
}

/// Every secondary index lists its partition in its own sort-key order, both ways, by range and
/// prefix, across pages; items without both of an index's keys are not in it.
pub async fn secondary_index_pages_in_order(f: TableFixture) {
    let index_pk = unique("IDX");
    let mut entries: Vec<Vec<IndexEntry>> = vec![Vec::new(); Index::ALL_SECONDARY.len()];
    for i in 0..23 {
        // Items spread over several table partitions, two sharing most index sort keys; each
        // index orders them differently, so a query reading the wrong index shows.
        let pk = format!("{index_pk}-P{}", i % 4);
        let sk = format!("S{i:03}");
        let mut it = item(&pk, &sk, json!({"i": i}));
        for (n, index) in Index::ALL_SECONDARY.into_iter().enumerate() {
            let sort = format!("G{:03}", ((i + 5 * n) % 23) / 2);
            it = it.with_index(index, index_pk.clone(), sort.clone());
            entries[n].push((sort, pk.clone(), sk.clone()));
        }
        f.table.put(it, Condition::None).await.unwrap();
    }
    let p0 = format!("{index_pk}-P0");
    f.table.put(item(&p0, "NOT-INDEXED", json!({})), Condition::None).await.unwrap();
    // Sparse: in gsi1 only, and a partition key without a sort key puts an item in no index.
    f.table.put(item(&p0, "GSI1-ONLY", json!({})).with_gsi1(index_pk.clone(), "G005"), Condition::None).await.unwrap();
    entries[0].push(("G005".to_string(), p0.clone(), "GSI1-ONLY".to_string()));
    let half = Index::ALL_SECONDARY.iter().fold(item(&p0, "HALF-KEYED", json!({})), |it, index| it.with(index.attrs().0, index_pk.clone()));
    f.table.put(half, Condition::None).await.unwrap();

    for (index, all) in Index::ALL_SECONDARY.into_iter().zip(&entries) {
        let on = |limit| Query::on(index, &index_pk).limit(limit);
        assert_index_reads(&*f.table, on(5), all).await;
        assert_index_reads(&*f.table, on(4).order(Order::Desc), all).await;
        assert_index_reads(&*f.table, on(100).prefix("G00"), all).await;
        assert_index_reads(&*f.table, on(3).prefix("G01").order(Order::Desc), all).await;
        assert_index_reads(&*f.table, on(2).range(KeyRange::Between("G003".into(), "G005".into())), all).await;
        assert_index_reads(&*f.table, on(2).range(KeyRange::Between("G003".into(), "G005".into())).order(Order::Desc), all).await;
        assert_index_reads(&*f.table, on(3).range(KeyRange::From("G009".into())), all).await;
        assert_index_reads(&*f.table, on(3).range(KeyRange::To("G002".into())).order(Order::Desc), all).await;
        let desc = f.table.query(on(3).order(Order::Desc)).await.unwrap();
        assert_eq!(desc.items[0].str(index.attrs().1), Some("G011"), "{index:?}");
        assert!(f.table.query(Query::on(index, unique("IDX"))).await.unwrap().items.is_empty());
    }
}

/// Writes move items within, into and out of every secondary index: updates of its keys,
/// deletes, and expiry.
pub async fn secondary_indexes_follow_writes(f: TableFixture) {
    for index in Index::ALL_SECONDARY {
        let (pk_attr, sk_attr) = index.attrs();
        let index_pk = unique("IDX");
        let pk = unique("P");
        let listed = || async {
            let page = f.table.query(Query::on(index, &index_pk)).await.unwrap();
            page.items.into_iter().map(|i| i.key.sk).collect::<Vec<_>>()
        };
        for (sk, sort) in [("A", "S1"), ("B", "S2"), ("C", "S3")] {
            f.table.put(item(&pk, sk, json!({})).with_index(index, index_pk.clone(), sort), Condition::None).await.unwrap();
        }
        assert_eq!(listed().await, ["A", "B", "C"], "{index:?}");

        f.table.update(&Key::new(&pk, "B"), Update::new().set(sk_attr, "S9"), Condition::Exists).await.unwrap();
        assert_eq!(listed().await, ["A", "C", "B"], "{index:?}: a new sort key moves the item");
        f.table.update(&Key::new(&pk, "A"), Update::new().remove(sk_attr), Condition::Exists).await.unwrap();
        assert_eq!(listed().await, ["C", "B"], "{index:?}: without its sort key the item leaves");
        f.table.update(&Key::new(&pk, "A"), Update::new().set(sk_attr, "S0"), Condition::Exists).await.unwrap();
        assert_eq!(listed().await, ["A", "C", "B"], "{index:?}: and comes back with it");
        f.table.update(&Key::new(&pk, "C"), Update::new().set(pk_attr, unique("IDX")), Condition::Exists).await.unwrap();
        assert_eq!(listed().await, ["A", "B"], "{index:?}: a new partition key moves it elsewhere");
        f.table.delete(&Key::new(&pk, "A"), Condition::None).await.unwrap();
        assert_eq!(listed().await, ["B"], "{index:?}: deleted");
        let d = f.table.update(&Key::new(&pk, "D"), Update::new().set(pk_attr, index_pk.clone()).set(sk_attr, "S5"), Condition::None).await;
        assert_eq!(d.unwrap().index_key(index), Some((index_pk.clone(), "S5".to_string())));
        assert_eq!(listed().await, ["D", "B"], "{index:?}: an update can create an indexed item");

        let expiring = item(&pk, "E", json!({})).with_index(index, index_pk.clone(), "S0").expires_at(f.clock.unix() + 10);
        f.table.put(expiring, Condition::None).await.unwrap();
        assert_eq!(listed().await, ["E", "D", "B"], "{index:?}");
        f.clock.advance(Duration::from_secs(11));
        assert_eq!(listed().await, ["D", "B"], "{index:?}: expired items are never listed");
        let page = f.table.query(Query::on(index, &index_pk).order(Order::Desc).limit(1)).await.unwrap();
        let rest = f.table.query(Query::on(index, &index_pk).order(Order::Desc).limit(1).cursor(page.next_cursor)).await.unwrap();
        assert_eq!((page.items[0].key.sk.as_str(), rest.items[0].key.sk.as_str()), ("B", "D"));
        assert_eq!(rest.next_cursor, None, "{index:?}: the expired item does not make another page");
    }
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

    // Index cursors are bound to their index and partition: the items are in every index under
    // the same partition, so only the cursor's index tells the queries apart.
    let index_pk = unique("IDX");
    for i in 0..3 {
        let it = Index::ALL_SECONDARY
            .iter()
            .fold(item(&pk, &format!("I{i}"), json!({})), |it, &index| it.with_index(index, index_pk.clone(), "G"));
        f.table.put(it, Condition::None).await.unwrap();
    }
    for index in Index::ALL_SECONDARY {
        let cursor = f.table.query(Query::on(index, &index_pk).limit(1)).await.unwrap().next_cursor.expect("more pages");
        for other in Index::ALL_SECONDARY.into_iter().filter(|&other| other != index) {
            let foreign = f.table.query(Query::on(other, &index_pk).limit(1).cursor(Some(cursor.clone()))).await;
            assert!(matches!(foreign, Err(StoreError::InvalidCursor)), "{index:?} cursor on {other:?}: {foreign:?}");
        }
        let elsewhere = f.table.query(Query::on(index, unique("IDX")).limit(1).cursor(Some(cursor.clone()))).await;
        assert!(matches!(elsewhere, Err(StoreError::InvalidCursor)), "{index:?}: {elsewhere:?}");
        let on_table = f.table.query(Query::partition(&pk).limit(1).cursor(Some(cursor))).await;
        assert!(matches!(on_table, Err(StoreError::InvalidCursor)), "{index:?} cursor on the table: {on_table:?}");
    }
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

/// Groups are independent transactions in one call: a failing condition drops its own group
/// only; single writes (with or without a condition) and packs beyond one backend call
/// (more than 100 items, more than 25 single puts) are all written; a key in two groups is refused.
pub async fn grouped_transactions_fail_alone(f: TableFixture) {
    let pk = unique("P");
    f.table.put(item(&pk, "TAKEN", json!({"v": 0})), Condition::None).await.unwrap();
    f.table.put(item(&pk, "OLD", json!({})), Condition::None).await.unwrap();
    let claim = |name: &str| {
        vec![
            WriteOp::Put { item: item(&pk, name, json!({"v": 1})), condition: Condition::Absent },
            WriteOp::Update { key: Key::new(&pk, format!("{name}#N")), update: Update::new().add("n", 1), condition: Condition::None },
        ]
    };
    let single = |name: &str| vec![WriteOp::Put { item: item(&pk, name, json!({"v": 2})), condition: Condition::Absent }];
    let mut groups = vec![
        claim("A"),
        claim("TAKEN"),
        vec![WriteOp::Delete { key: Key::new(&pk, "OLD"), condition: Condition::None }],
        single("HELD"),
        single("ONE"),
    ];
    f.table.put(item(&pk, "HELD", json!({"n": 5})), Condition::None).await.unwrap();
    // 60 two-item groups (120 items: two packed transactions) and 30 single puts (two batches).
    groups.extend((0..60).map(|i| claim(&format!("G{i:02}"))));
    groups
        .extend((0..30).map(|i| vec![WriteOp::Put { item: item(&pk, &format!("S{i:02}"), json!({"i": i})), condition: Condition::None }]));
    let written = f.table.transact_groups(groups).await.unwrap();
    assert_eq!(written.len(), 95);
    assert_eq!(&written[..5], &[true, false, true, false, true], "only the groups whose condition failed are dropped");
    assert!(written[5..].iter().all(|&w| w));
    assert_eq!(f.table.get(&Key::new(&pk, "TAKEN")).await.unwrap().unwrap().i64("v"), Some(0));
    assert_eq!(f.table.get(&Key::new(&pk, "TAKEN#N")).await.unwrap(), None, "a dropped group writes nothing");
    assert_eq!(f.table.get(&Key::new(&pk, "HELD")).await.unwrap().unwrap().i64("v"), None);
    assert_eq!(f.table.get(&Key::new(&pk, "ONE")).await.unwrap().unwrap().i64("v"), Some(2));
    assert_eq!(f.table.get(&Key::new(&pk, "A#N")).await.unwrap().unwrap().i64("n"), Some(1));
    assert_eq!(f.table.get(&Key::new(&pk, "OLD")).await.unwrap(), None);
    let all = read_all(&*f.table, Query::partition(&pk).limit(100)).await;
    assert_eq!(all.iter().filter(|sk| sk.starts_with('G')).count(), 120);
    assert_eq!(all.iter().filter(|sk| sk.starts_with('S')).count(), 30);

    let repeated = vec![claim("B"), vec![WriteOp::Put { item: item(&pk, "B", json!({})), condition: Condition::None }]];
    assert!(matches!(f.table.transact_groups(repeated).await, Err(StoreError::Invalid(_))));
    assert_eq!(f.table.get(&Key::new(&pk, "B")).await.unwrap(), None, "a refused call writes nothing");

    // A condition late in a group undoes the unconditional writes before it.
    let late = vec![
        WriteOp::Put { item: item(&pk, "EARLY", json!({})), condition: Condition::None },
        WriteOp::Update { key: Key::new(&pk, "TAKEN"), update: Update::new().set("v", 9), condition: Condition::equals("v", 1) },
    ];
    assert_eq!(f.table.transact_groups(vec![late, single("LATER")]).await.unwrap(), [false, true]);
    assert_eq!(f.table.get(&Key::new(&pk, "EARLY")).await.unwrap(), None, "nothing of a failed group is written");
    assert_eq!(f.table.get(&Key::new(&pk, "TAKEN")).await.unwrap().unwrap().i64("v"), Some(0));
}

/// `get_many` answers each key's live item in the keys' order, `None` for a missing or expired
/// one, and takes more keys than one backend call does (DynamoDB's is 100) and repeated keys.
pub async fn many_keys_are_read_in_one_call(f: TableFixture) {
    let pk = unique("P");
    let puts: Vec<Vec<WriteOp>> = (0..150)
        .map(|i| vec![WriteOp::Put { item: item(&pk, &format!("K{i:03}"), json!({"i": i})), condition: Condition::None }])
        .collect();
    f.table.transact_groups(puts).await.unwrap();
    let soon = f.clock.unix() + 60;
    f.table.put(item(&pk, "GONE", json!({})).expires_at(soon), Condition::None).await.unwrap();
    f.clock.advance(Duration::from_secs(61));
    let mut keys: Vec<Key> = (0..150).rev().map(|i| Key::new(&pk, format!("K{i:03}"))).collect();
    keys.extend([Key::new(&pk, "MISSING"), Key::new(&pk, "GONE"), Key::new(&pk, "K007")]);
    let got = f.table.get_many(&keys).await.unwrap();
    assert_eq!(got.len(), 153);
    let values: Vec<Option<i64>> = got.iter().map(|item| item.as_ref().and_then(|i| i.i64("i"))).collect();
    let expected: Vec<Option<i64>> = (0..150).rev().map(Some).chain([None, None, Some(7)]).collect();
    assert_eq!(values, expected);
    assert_eq!(got[0].as_ref().unwrap().key, keys[0]);
    assert!(f.table.get_many(&[]).await.unwrap().is_empty());
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
    // Index keys are strings: a number would silently keep the item out of the index on DynamoDB.
    for index in Index::ALL_SECONDARY {
        let (pk_attr, sk_attr) = index.attrs();
        for attr in [pk_attr, sk_attr] {
            let numbered = item(&pk, "B", json!({})).with_index(index, "IDX", "G").with(attr, 7);
            assert!(matches!(f.table.put(numbered, Condition::None).await, Err(StoreError::Invalid(_))), "{attr}");
            let update = f.table.update(&Key::new(&pk, "B"), Update::new().set(attr, 7), Condition::None).await;
            assert!(matches!(update, Err(StoreError::Invalid(_))), "{attr}");
        }
    }
    assert_eq!(f.table.get(&Key::new(&pk, "B")).await.unwrap(), None);
}

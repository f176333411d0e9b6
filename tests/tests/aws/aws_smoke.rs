//! Smoke tests of the AWS adapters against moto. The full port contract suites live in
//! `tests/src/contract/`; these only check that each adapter talks to the emulator correctly.

use std::sync::Arc;
use std::time::Duration;

use quarry_ports::clock::{ManualClock, SharedClock};
use quarry_ports::{BlobKey, Blobs, Condition, Item, Key, KeyRange, Order, Query, Queue, StoreError, Table, Update, WriteOp};
use quarry_tests::moto;
use serde_json::json;

fn clock() -> (Arc<ManualClock>, SharedClock) {
    let manual = ManualClock::new();
    (manual.clone(), manual)
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn dynamo_table_reads_writes_and_expires() {
    let (manual, clock) = clock();
    let table = moto::fresh_table(clock.clone()).await;
    let key = Key::new("ORG#1", "PROFILE");
    let attrs = json!({"name": "Acme", "n": 4, "f": 2.5, "ok": true, "none": null, "tags": ["a", {"b": []}], "m": {"x": 1}});
    let item = Item { key: key.clone(), attrs: attrs.as_object().unwrap().clone() };

    table.put(item.clone(), Condition::Absent).await.unwrap();
    assert_eq!(table.get(&key).await.unwrap(), Some(item.clone()));
    assert!(matches!(table.put(item.clone(), Condition::Absent).await, Err(StoreError::ConditionFailed)));

    let next = table.update(&key, Update::new().add("n", 1).set("version", 1), Condition::counter_within("n", 1, 5)).await.unwrap();
    assert_eq!(next.i64("n"), Some(5));
    let refused = table.update(&key, Update::new().add("n", 1), Condition::counter_within("n", 1, 5)).await;
    assert!(matches!(refused, Err(StoreError::ConditionFailed)));
    assert!(matches!(table.update(&key, Update::new().set("a", 1), Condition::version_is(2)).await, Err(StoreError::ConditionFailed)));

    // An expired item is absent for reads and conditions, and an update does not resurrect it.
    let stale = Item::new(Key::new("ORG#1", "SESSION")).with("stale", "yes").expires_at(clock.unix() + 10);
    table.put(stale.clone(), Condition::None).await.unwrap();
    manual.advance(Duration::from_secs(20));
    assert_eq!(table.get(&stale.key).await.unwrap(), None);
    assert!(matches!(table.update(&stale.key, Update::new().set("x", 1), Condition::Exists).await, Err(StoreError::ConditionFailed)));
    let fresh = table.update(&stale.key, Update::new().set("fresh", 1), Condition::None).await.unwrap();
    assert_eq!(serde_json::Value::Object(fresh.attrs), json!({"fresh": 1}));
    let stale2 = Item::new(Key::new("ORG#1", "SESSION2")).expires_at(clock.unix() - 1);
    table.put(stale2.clone(), Condition::None).await.unwrap();
    table.put(stale2.clone().with("again", true), Condition::Absent).await.unwrap();
    assert_eq!(table.delete(&Key::new("ORG#1", "SESSION2"), Condition::None).await.unwrap(), None);
    assert_eq!(table.delete(&stale.key, Condition::Exists).await.unwrap().and_then(|i| i.i64("fresh")), Some(1));
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn dynamo_table_queries_pages_and_transactions() {
    let (_, clock) = clock();
    let table = moto::fresh_table(clock.clone()).await;
    for i in 0..7 {
        let mut item = Item::new(Key::new("P", format!("item#{i}"))).with("i", i).with_gsi1("G", format!("g#{}", i % 3));
        if i == 3 {
            item = item.expires_at(clock.unix()); // expired right now
        }
        table.put(item, Condition::None).await.unwrap();
    }
    let live: Vec<i64> = vec![0, 1, 2, 4, 5, 6];
    for (index_query, expected) in [(Query::partition("P"), live.clone()), (Query::gsi1("G"), vec![0, 6, 1, 4, 2, 5])] {
        for order in [Order::Asc, Order::Desc] {
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let page = table.query(index_query.clone().order(order).limit(2).cursor(cursor)).await.unwrap();
                assert!(page.items.len() <= 2);
                seen.extend(page.items.iter().map(|i| i.i64("i").unwrap()));
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
            let mut want = expected.clone();
            if order == Order::Desc {
                want.reverse();
            }
            assert_eq!(seen, want, "{:?} {order:?}", index_query.index);
        }
    }
    let prefix = table.query(Query::partition("P").prefix("item#5")).await.unwrap();
    assert_eq!(prefix.items.len(), 1);
    let between = table.query(Query::partition("P").range(KeyRange::Between("item#1".into(), "item#4".into()))).await.unwrap();
    assert_eq!(between.items.iter().map(|i| i.i64("i").unwrap()).collect::<Vec<_>>(), vec![1, 2, 4]);
    let exact = table.query(Query::partition("P").limit(6)).await.unwrap();
    assert_eq!((exact.items.len(), exact.next_cursor), (6, None));

    let ok = vec![
        WriteOp::Put { item: Item::new(Key::new("T", "a")).with("v", 1), condition: Condition::Absent },
        WriteOp::Update { key: Key::new("T", "b"), update: Update::new().add("n", 2), condition: Condition::None },
        WriteOp::Check { key: Key::new("P", "item#0"), condition: Condition::equals("i", 0) },
        WriteOp::Update { key: Key::new("P", "item#3"), update: Update::new().set("back", true), condition: Condition::Absent },
    ];
    table.transact(ok).await.unwrap();
    let revived = table.get(&Key::new("P", "item#3")).await.unwrap().unwrap();
    assert_eq!(serde_json::Value::Object(revived.attrs), json!({"back": true}));
    let failing = vec![
        WriteOp::Delete { key: Key::new("T", "a"), condition: Condition::Exists },
        WriteOp::Check { key: Key::new("T", "b"), condition: Condition::equals("n", 3) },
    ];
    assert!(matches!(table.transact(failing).await, Err(StoreError::ConditionFailed)));
    assert!(table.get(&Key::new("T", "a")).await.unwrap().is_some());
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn s3_blobs_store_and_sign() {
    let (_, clock) = clock();
    let blobs = moto::fresh_bucket(clock.clone()).await;
    let key = BlobKey::parse("artifacts/org_1/leads.csv").unwrap();
    assert_eq!(blobs.get(&key).await.unwrap(), None);
    blobs.put(&key, "a,b\n1,2\n".into(), "text/csv").await.unwrap();
    let blob = blobs.get(&key).await.unwrap().unwrap();
    assert_eq!((blob.bytes.as_ref(), blob.content_type.as_str()), (b"a,b\n1,2\n".as_ref(), "text/csv"));
    let signed = blobs.signed_url(&key, Duration::from_secs(3600)).await.unwrap();
    assert_eq!((signed.expires_at - clock.now()).num_seconds(), 3600);
    assert!(signed.url.contains("X-Amz-Signature=") && signed.url.contains("/artifacts/org_1/leads.csv"), "{}", signed.url);
    let fetched = reqwest::get(&signed.url).await.unwrap();
    assert!(fetched.status().is_success(), "{}", fetched.status());
    assert_eq!(fetched.text().await.unwrap(), "a,b\n1,2\n");
    blobs.delete(&key).await.unwrap();
    blobs.delete(&key).await.unwrap();
    assert_eq!(blobs.get(&key).await.unwrap(), None);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn sqs_queue_delivers_redelivers_and_dead_letters() {
    let (queue, dlq) = moto::fresh_queue_with_dlq(2).await;
    let id = queue.send("job-1", Duration::ZERO).await.unwrap();
    queue.send("later", Duration::from_secs(30)).await.unwrap();
    let first = queue.receive(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(first.len(), 1, "the delayed message is not visible yet");
    assert_eq!((first[0].id.as_str(), first[0].body.as_str(), first[0].receive_count), (id.as_str(), "job-1", 1));
    assert!(queue.receive(10, Duration::from_secs(30)).await.unwrap().is_empty(), "hidden while in flight");
    queue.change_visibility(&first[0].receipt, Duration::ZERO).await.unwrap();
    let second = queue.receive(1, Duration::from_secs(30)).await.unwrap();
    assert_eq!(second[0].receive_count, 2);
    queue.change_visibility(&second[0].receipt, Duration::ZERO).await.unwrap();
    assert!(queue.receive(1, Duration::from_secs(30)).await.unwrap().is_empty(), "moved to the DLQ after 2 receives");
    let dead = dlq.receive(1, Duration::from_secs(30)).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "job-1");
    dlq.delete(&dead[0].receipt).await.unwrap();
    assert!(dlq.receive(1, Duration::ZERO).await.unwrap().is_empty());
}

/// Builds one kind of write under a given condition.
type OpWith = fn(Condition) -> WriteOp;

/// Every condition pushed down to DynamoDB agrees with `Condition::holds` on the live item,
/// for put, update, delete and transaction checks, on absent, live and expired items.
#[tokio::test]
#[ignore = "needs the AWS emulator: run infra/test.sh"]
async fn dynamo_conditions_agree_with_holds() {
    let (_, clock) = clock();
    let table = moto::fresh_table(clock.clone()).await;
    let now = clock.unix();
    let base = json!({"n": 4, "s": "x", "z": null, "m": {"a": [1, 2]}, "l": [1, "b"]});
    let states: Vec<(&str, Option<Item>)> = vec![
        ("absent", None),
        ("live", Some(Item { key: Key::new("C", "k"), attrs: base.as_object().unwrap().clone() })),
        ("live-ttl", Some(Item { key: Key::new("C", "k"), attrs: base.as_object().unwrap().clone() }.expires_at(now + 100))),
        ("expired", Some(Item { key: Key::new("C", "k"), attrs: base.as_object().unwrap().clone() }.expires_at(now))),
    ];
    let conditions = vec![
        Condition::None,
        Condition::Absent,
        Condition::Exists,
        Condition::equals("n", 4),
        Condition::equals("n", 4.0),
        Condition::equals("n", 5),
        Condition::equals("s", "x"),
        Condition::equals("s", 4),
        Condition::equals("missing", 4),
        Condition::equals("z", serde_json::Value::Null),
        Condition::equals("s", serde_json::Value::Null),
        Condition::equals("pk", "C"),
        Condition::equals("m", json!({"a": [1, 2]})),
        Condition::equals("l", json!([1, "b"])),
        Condition::AtMost { attr: "n".into(), max: 3 },
        Condition::AtMost { attr: "n".into(), max: 4 },
        Condition::AtMost { attr: "n".into(), max: -4 },
        Condition::AtMost { attr: "missing".into(), max: 0 },
        Condition::AtMost { attr: "missing".into(), max: -1 },
        Condition::AtMost { attr: "s".into(), max: 10 },
    ];
    for (state, stored) in &states {
        let live = stored.clone().filter(|i| !i.is_expired(now));
        for condition in &conditions {
            let expected = condition.holds(live.as_ref());
            let ops: [(&str, OpWith); 4] = [
                ("put", |c| WriteOp::Put { item: Item::new(Key::new("C", "k")).with("w", 1), condition: c }),
                ("update", |c| WriteOp::Update { key: Key::new("C", "k"), update: Update::new().set("w", 1), condition: c }),
                ("delete", |c| WriteOp::Delete { key: Key::new("C", "k"), condition: c }),
                ("check", |c| WriteOp::Check { key: Key::new("C", "k"), condition: c }),
            ];
            for (name, op) in ops {
                table.delete(&Key::new("C", "k"), Condition::None).await.unwrap();
                if let Some(item) = stored {
                    table.put(item.clone(), Condition::None).await.unwrap();
                }
                let result = match op(condition.clone()) {
                    WriteOp::Put { item, condition } => table.put(item, condition).await,
                    WriteOp::Update { key, update, condition } => table.update(&key, update, condition).await.map(|_| ()),
                    WriteOp::Delete { key, condition } => table.delete(&key, condition).await.map(|_| ()),
                    check => table.transact(vec![check]).await,
                };
                match result {
                    Ok(()) => assert!(expected, "{name} {condition:?} on {state}: wrote, but holds() is false"),
                    Err(StoreError::ConditionFailed) => assert!(!expected, "{name} {condition:?} on {state}: refused, but holds() is true"),
                    Err(e) => panic!("{name} {condition:?} on {state}: {e}"),
                }
            }
        }
    }
}

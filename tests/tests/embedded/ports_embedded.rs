//! The port contract suites on the embedded adapters: SQLite table and queue, file blobs.

use std::sync::Arc;
use std::time::Duration;

use quarry_ports::clock::{ManualClock, SystemClock};
use quarry_ports::{BlobKey, Blobs, Queue};
use quarry_store::sqlite::{QueueSettings, SqliteDb, SqliteQueue, SqliteTable};
use quarry_tests::contract::queue::QueueFixture;
use quarry_tests::contract::table::TableFixture;
use quarry_tests::server::TestServer;

fn db() -> (SqliteDb, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (SqliteDb::open(&dir.path().join("test.db")).unwrap(), dir)
}

/// Keeps the temporary directory alive for the test's duration by leaking it (tests are short).
fn table_fixture() -> TableFixture {
    let (db, dir) = db();
    std::mem::forget(dir);
    let clock = ManualClock::new();
    TableFixture { table: Arc::new(SqliteTable::new(db, clock.clone())), clock }
}

fn queue_fixture() -> QueueFixture {
    let (db, dir) = db();
    std::mem::forget(dir);
    let clock = Arc::new(SystemClock);
    QueueFixture {
        queue: Arc::new(SqliteQueue::new(db.clone(), clock.clone(), QueueSettings::with_dlq("work", 3))),
        dead_letters: Arc::new(SqliteQueue::new(db, clock, QueueSettings::plain("work-dlq"))),
        max_receives: 3,
    }
}

mod table {
    use super::*;
    quarry_tests::table_suite!(fixture = table_fixture());
}

mod queue {
    use super::*;
    quarry_tests::queue_suite!(fixture = queue_fixture());
}

mod blobs {
    use super::*;
    quarry_tests::blobs_suite!(fixture = TestServer::embedded().await.storage.blobs.clone());
}

#[tokio::test]
async fn tampered_or_expired_download_links_are_refused() {
    let (manual, clock) = quarry_tests::server::manual_clock();
    let server = TestServer::embedded_with_clock(clock).await;
    let blobs = server.file_blobs.clone().unwrap();
    let key = BlobKey::parse("artifacts/a/leads.csv").unwrap();
    blobs.put(&key, bytes::Bytes::from_static(b"x,y\n"), "text/csv").await.unwrap();
    let signed = blobs.signed_url(&key, Duration::from_secs(60)).await.unwrap();

    let ok = reqwest::get(&signed.url).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-disposition"], "attachment; filename=\"leads.csv\"");

    let forged = [
        signed.url.replace("leads.csv", "other.csv"),
        signed.url.replace("expires=", "expires=9"),
        format!("{}0", signed.url),
        signed.url.split('?').next().unwrap().to_string(),
    ];
    for url in forged {
        let r = reqwest::get(&url).await.unwrap();
        assert_eq!(r.status(), 403, "{url}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "permission_error");
        assert!(body["error"]["request_id"].as_str().unwrap().starts_with("req_"));
    }
    manual.advance(Duration::from_secs(61));
    assert_eq!(reqwest::get(&signed.url).await.unwrap().status(), 403, "expired");
}

#[tokio::test]
async fn queued_messages_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let clock = Arc::new(SystemClock);
    {
        let q = SqliteQueue::new(SqliteDb::open(&path).unwrap(), clock.clone(), QueueSettings::with_dlq("work", 3));
        q.send("kept", Duration::ZERO).await.unwrap();
        q.send("in flight", Duration::ZERO).await.unwrap();
        q.receive(1, Duration::from_millis(500)).await.unwrap();
    }
    let q = SqliteQueue::new(SqliteDb::open(&path).unwrap(), clock, QueueSettings::with_dlq("work", 3));
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut bodies: Vec<String> = q.receive(10, Duration::from_secs(30)).await.unwrap().into_iter().map(|m| m.body).collect();
    bodies.sort();
    assert_eq!(bodies, ["in flight", "kept"]);
}

/// The local sweep's lifecycle rule: blobs under a prefix written longer ago than the rule's age
/// (by the store's clock) are deleted, data and content type; others are kept.
#[tokio::test]
async fn file_blobs_expire_by_prefix_and_age() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let blobs = quarry_store::files::FileBlobs::new(dir.path(), "http://127.0.0.1:9", b"k".to_vec(), clock.clone());
    let old = BlobKey::parse("artifacts/org_1/art_1/leads.csv").unwrap();
    let other = BlobKey::parse("uploads/org_1/seed.csv").unwrap();
    for key in [&old, &other] {
        blobs.put(key, bytes::Bytes::from_static(b"a,b\n"), "text/csv").await.unwrap();
    }
    let day = Duration::from_secs(86_400);
    assert_eq!(blobs.expire("artifacts/", day).await.unwrap(), 0, "nothing is a day old yet");
    clock.advance(day * 2);
    assert_eq!(blobs.expire("artifacts/", day).await.unwrap(), 1);
    assert!(blobs.get(&old).await.unwrap().is_none(), "expired");
    assert!(blobs.get(&other).await.unwrap().is_some(), "another prefix keeps its files");
    assert!(!dir.path().join("meta/artifacts/org_1/art_1/leads.csv").exists(), "its content type goes too");
}

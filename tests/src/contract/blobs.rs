//! The `Blobs` contract.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use quarry_ports::{BlobKey, Blobs};

fn key(name: &str) -> BlobKey {
    BlobKey::parse(&format!("contract/{}/{name}", ulid::Ulid::new())).unwrap()
}

pub async fn put_get_delete(blobs: Arc<dyn Blobs>) {
    let k = key("leads.csv");
    assert_eq!(blobs.get(&k).await.unwrap(), None);
    blobs.put(&k, Bytes::from_static(b"a,b\n1,2\n"), "text/csv").await.unwrap();
    let got = blobs.get(&k).await.unwrap().expect("blob");
    assert_eq!(&got.bytes[..], b"a,b\n1,2\n");
    assert_eq!(got.content_type, "text/csv");
    blobs.put(&k, Bytes::from_static(b"replaced"), "text/plain").await.unwrap();
    assert_eq!(&blobs.get(&k).await.unwrap().unwrap().bytes[..], b"replaced");
    blobs.delete(&k).await.unwrap();
    assert_eq!(blobs.get(&k).await.unwrap(), None);
    blobs.delete(&k).await.unwrap();
}

pub async fn signed_url_downloads_without_credentials(blobs: Arc<dyn Blobs>) {
    let k = key("report.json");
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    blobs.put(&k, Bytes::from(body.clone()), "application/json").await.unwrap();
    let signed = blobs.signed_url(&k, Duration::from_secs(4 * 3600)).await.unwrap();
    let remaining = signed.expires_at - chrono::Utc::now();
    assert!(remaining.num_minutes() >= 239 && remaining.num_minutes() <= 240, "expires in 4 h, got {remaining}");
    let response = reqwest::get(&signed.url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().to_vec(), body);
    assert!(blobs.signed_url(&k, Duration::from_secs(8 * 24 * 3600)).await.is_err(), "longer than 7 days is refused");
}

/// A file written in parts reads back whole, in order, and replaces what was there; over 8 MiB
/// it takes more than one part (a multipart upload on S3), below that one.
pub async fn written_in_parts_reads_back_whole(blobs: Arc<dyn Blobs>) {
    let k = key("leads.json");
    blobs.put(&k, Bytes::from_static(b"old"), "text/plain").await.unwrap();
    let part: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut writer = blobs.writer(&k, "application/json").await.unwrap();
    for _ in 0..19 {
        writer.write(Bytes::from(part.clone())).await.unwrap();
    }
    assert_eq!(&blobs.get(&k).await.unwrap().unwrap().bytes[..], b"old", "nothing shows before it finishes");
    assert_eq!(writer.finish().await.unwrap(), 19_000_000);
    let got = blobs.get(&k).await.unwrap().expect("blob");
    assert_eq!(got.content_type, "application/json");
    assert_eq!(got.bytes.len(), 19_000_000);
    assert!(got.bytes.chunks(part.len()).all(|chunk| chunk == part.as_slice()), "the parts come back in order");

    let small = key("small.csv");
    let mut writer = blobs.writer(&small, "text/csv").await.unwrap();
    writer.write(Bytes::from_static(b"a,b\r\n")).await.unwrap();
    writer.write(Bytes::from_static(b"1,2\r\n")).await.unwrap();
    assert_eq!(writer.finish().await.unwrap(), 10);
    assert_eq!(&blobs.get(&small).await.unwrap().unwrap().bytes[..], b"a,b\r\n1,2\r\n");
}

/// A writer dropped before it finishes leaves no object (and the old one in place).
pub async fn an_unfinished_writer_leaves_nothing(blobs: Arc<dyn Blobs>) {
    let (k, kept) = (key("never.csv"), key("kept.csv"));
    let mut writer = blobs.writer(&k, "text/csv").await.unwrap();
    writer.write(Bytes::from(vec![b'x'; 9 * 1024 * 1024])).await.unwrap();
    drop(writer);
    assert_eq!(blobs.get(&k).await.unwrap(), None);
    blobs.put(&kept, Bytes::from_static(b"v1"), "text/csv").await.unwrap();
    let mut writer = blobs.writer(&kept, "text/csv").await.unwrap();
    writer.write(Bytes::from_static(b"v2")).await.unwrap();
    drop(writer);
    assert_eq!(&blobs.get(&kept).await.unwrap().unwrap().bytes[..], b"v1");
}

/// Deleting a folder removes every object under it, however deep, and nothing beside it: not a
/// sibling folder whose name starts the same, nor an object named like the folder.
pub async fn a_folder_is_deleted_whole(blobs: Arc<dyn Blobs>) {
    let root = format!("contract/{}", ulid::Ulid::new());
    let at = |path: &str| BlobKey::parse(&format!("{root}/{path}")).unwrap();
    let under = [at("org_1/a.csv"), at("org_1/art_2/leads.json"), at("org_1/art_2/deep/page.html.gz")];
    let beside = [at("org_10/a.csv"), at("org_1.csv")];
    for key in under.iter().chain(&beside) {
        blobs.put(key, Bytes::from_static(b"x"), "text/plain").await.unwrap();
    }
    assert_eq!(blobs.delete_under(&at("org_1")).await.unwrap(), 3);
    for key in &under {
        assert_eq!(blobs.get(key).await.unwrap(), None, "{key} is gone");
    }
    for key in &beside {
        assert!(blobs.get(key).await.unwrap().is_some(), "{key} is not under the folder and stays");
    }
    assert_eq!(blobs.delete_under(&at("org_1")).await.unwrap(), 0, "deleting again finds nothing");
    assert_eq!(blobs.delete_under(&at("nothing_here")).await.unwrap(), 0);
}

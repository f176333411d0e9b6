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

//! The raw pages that grounded leads, kept for audit: when a job or scrape reads a site, every
//! page that a lead cites as a source is stored gzip-compressed under a key made of the
//! organization, the page's URL and the time it was read, which the lead's source entry already
//! carries (`url`, `retrieved_at`), so the entry finds its page without any extra field. The
//! pages expire 30 days after they were read, by the bucket's lifecycle rule on AWS and by the
//! local server's sweep on the embedded store; an admin key reads one through
//! `GET /v1/leads/{lead_id}/sources/{index}`.

use std::io::{Read, Write};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use url::Url;

use super::{LeadDraft, Source, SourceKind};
use quarry_ports::clock::Timestamp;
use quarry_ports::{BlobKey, Blobs, StoreError, StoreResult};

/// Where archived pages live in the blob store (the prefix of their lifecycle rule).
pub const PREFIX: &str = "pages/";
/// Days a page is kept after it was read.
pub const RETENTION_DAYS: u32 = 30;
/// Largest page kept, before compression (the crawler reads at most this much of a page anyway).
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// The key of the page `url` read at `retrieved_at` for `org_id`.
pub fn page_key(org_id: &str, url: &str, retrieved_at: Timestamp) -> StoreResult<BlobKey> {
    let digest = hex::encode(Sha256::digest(url.as_bytes()));
    BlobKey::parse(&format!("{PREFIX}{org_id}/{}/{}.html.gz", &digest[..32], retrieved_at.0.timestamp_millis()))
}

/// The pages of `pages` (URL and HTML) that one of `leads` cites, read at `at`: what to keep.
pub fn grounding<'a>(pages: impl IntoIterator<Item = (&'a Url, &'a str)>, leads: &[&LeadDraft]) -> Vec<(String, String)> {
    let cited =
        |url: &str| leads.iter().any(|lead| lead.sources.iter().any(|s| s.kind == SourceKind::Web && s.url.as_deref() == Some(url)));
    pages.into_iter().filter(|(url, _)| cited(url.as_str())).map(|(url, html)| (url.to_string(), html.to_string())).collect()
}

/// Stores `pages` (URL and HTML) read at `at`, compressed.
pub async fn keep(blobs: &dyn Blobs, org_id: &str, pages: &[(String, String)], at: Timestamp) -> StoreResult<()> {
    for (url, html) in pages {
        let body = &html.as_bytes()[..html.len().min(MAX_PAGE_BYTES)];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(body).and_then(|()| gz.flush()).map_err(|e| StoreError::Backend(e.to_string()))?;
        let compressed = gz.finish().map_err(|e| StoreError::Backend(e.to_string()))?;
        blobs.put(&page_key(org_id, url, at)?, Bytes::from(compressed), "application/gzip").await?;
    }
    Ok(())
}

/// The page a lead's source entry cites, as it was read; `None` when the source is not a web
/// page or the page is no longer kept.
pub async fn page_of(blobs: &dyn Blobs, org_id: &str, source: &Source) -> StoreResult<Option<String>> {
    let Some(url) = source.url.as_deref().filter(|_| source.kind == SourceKind::Web) else { return Ok(None) };
    let Some(blob) = blobs.get(&page_key(org_id, url, source.retrieved_at)?).await? else { return Ok(None) };
    let mut html = String::new();
    flate2::read::GzDecoder::new(&blob.bytes[..]).read_to_string(&mut html).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(Some(html))
}

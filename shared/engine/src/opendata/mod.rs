//! Keyless open sources of companies for live discovery: Wikidata (its public SPARQL endpoint)
//! for businesses by industry and place, and OpenStreetMap (the Overpass API) for local
//! businesses by the kind of place they are. Each provider module builds its query from an
//! [`OpenQuery`] and parses the documented answer format into [`OpenRecord`]s.
//!
//! Both endpoints are free services run by volunteers and shared with everyone, so Quarry asks
//! politely: its descriptive `User-Agent` with a contact, one query at a time per process (a
//! lock held for the whole exchange), a `LIMIT` on every query, a bounded wait when the service
//! says it is busy (429, 503 and 504, honouring `Retry-After` up to [`MAX_WAIT`]), a timeout and
//! a size cap on every answer. Calls go through the engine's [`Fetcher`], so the target guard
//! and `QUARRY_RESOLVE` pinning apply as to every other outbound request. Caching answers for a
//! day is the caller's job (it has the table; a Lambda instance keeps no memory between jobs).
//!
//! A record is what the open database states about one business, with the page that states it
//! (`https://www.wikidata.org/wiki/Q…`, `https://www.openstreetmap.org/node/…`); nothing in it
//! is inferred.

pub mod overpass;
pub mod wikidata;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::net::{FetchError, FetchLimits, Fetcher};

/// Largest answer accepted from a provider, in bytes (a few hundred records are some hundreds of KiB).
pub const MAX_ANSWER_BYTES: u64 = 4 * 1024 * 1024;
/// Budget for one request: Overpass and the query service cut queries off at their own limits.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for a busy provider before one retry; a longer `Retry-After` ends the attempt.
pub const MAX_WAIT: Duration = Duration::from_secs(10);
/// Retries after a busy answer.
const MAX_RETRIES: usize = 2;
/// Wait when a busy answer names none.
const DEFAULT_WAIT: Duration = Duration::from_secs(2);
/// Most records asked of a provider for one query.
pub const MAX_RECORDS: usize = 200;

/// The open databases Quarry reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Wikidata,
    OpenStreetMap,
}

impl Provider {
    /// The name shown in job summaries.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Wikidata => "Wikidata",
            Provider::OpenStreetMap => "OpenStreetMap",
        }
    }
}

/// What a job looks for, in the words of its plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenQuery {
    /// Industry slugs, canonical (`robotics`) or kept as written (`dental_clinics`).
    pub industries: Vec<String>,
    /// ISO 3166-1 alpha-2 codes, uppercase.
    pub countries: Vec<String>,
    /// ISO 3166-2 codes (`US-TX`).
    pub regions: Vec<String>,
    /// City names as written (`Austin`).
    pub cities: Vec<String>,
    /// Most records wanted (capped at [`MAX_RECORDS`]).
    pub limit: usize,
}

/// One business as an open database records it. Every field is what the record states.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenRecord {
    /// The record's page: what a lead cites as its source.
    pub url: String,
    pub name: String,
    pub website: Option<String>,
    /// ISO 3166-1 alpha-2, uppercase.
    pub country: Option<String>,
    pub city: Option<String>,
    pub employees: Option<u32>,
    /// Year of inception.
    pub founded: Option<i32>,
    /// Listed on a stock exchange (Wikidata P414): `Some(true)`; nothing stated: `None`.
    pub public: Option<bool>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Street address as tagged (`addr:housenumber addr:street, addr:postcode addr:city`).
    pub address: Option<String>,
    pub opening_hours: Option<String>,
}

/// Why a provider gave no records. The text names the host and says what to check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenDataError {
    /// Still busy (429, 503, 504) after the bounded retries.
    #[error("{host} is busy (HTTP status {status}) and asked Quarry to wait; the job goes on without it, and a later job retries")]
    Busy { host: String, status: u16 },
    /// Any other failure to get an answer (unreachable, refused by the target guard, timeout, too large, other status).
    #[error("{host} could not be queried: {detail}")]
    Failed { host: String, detail: String },
    /// An answer that is not in the provider's documented format.
    #[error("{host} answered in a format Quarry does not read ({detail}); check that the endpoint URL points at the provider's API")]
    Malformed { host: String, detail: String },
}

/// Where the providers are: the public endpoints unless the operator points elsewhere (a
/// mirror, or a loopback stand-in in tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub wikidata: Url,
    pub overpass: Url,
}

impl Endpoints {
    pub const WIKIDATA: &'static str = "https://query.wikidata.org/sparql";
    pub const OVERPASS: &'static str = "https://overpass-api.de/api/interpreter";
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints { wikidata: Url::parse(Self::WIKIDATA).expect("valid URL"), overpass: Url::parse(Self::OVERPASS).expect("valid URL") }
    }
}

/// The client both providers share: one guarded fetcher, one query at a time.
#[derive(Clone, Debug)]
pub struct OpenDataClient {
    fetcher: Fetcher,
    endpoints: Endpoints,
    one_at_a_time: Arc<tokio::sync::Mutex<()>>,
    max_wait: Duration,
}

impl OpenDataClient {
    /// A client fetching through `fetcher`'s guard and host overrides, with this module's limits.
    pub fn new(fetcher: &Fetcher, endpoints: Endpoints) -> Self {
        let limits =
            FetchLimits { max_bytes: MAX_ANSWER_BYTES, timeout: TIMEOUT, connect_timeout: Duration::from_secs(10), max_redirects: 3 };
        OpenDataClient { fetcher: fetcher.with_limits(limits), endpoints, one_at_a_time: Arc::default(), max_wait: MAX_WAIT }
    }

    /// The same client waiting at most `max_wait` for a busy provider (tests use milliseconds).
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Wikidata businesses for `query` (none when its industries map to no Wikidata class).
    pub async fn wikidata(&self, query: &OpenQuery) -> Result<Vec<OpenRecord>, OpenDataError> {
        let Some(sparql) = wikidata::sparql(query) else { return Ok(Vec::new()) };
        let body = self.get(&wikidata::request_url(&self.endpoints.wikidata, &sparql), wikidata::ACCEPT).await?;
        wikidata::parse(&body).map_err(|detail| OpenDataError::Malformed { host: host(&self.endpoints.wikidata), detail })
    }

    /// OpenStreetMap places for `query` (none without a city or region, or a tag for its industries).
    pub async fn overpass(&self, query: &OpenQuery) -> Result<Vec<OpenRecord>, OpenDataError> {
        let Some(ql) = overpass::query(query) else { return Ok(Vec::new()) };
        let body = self.get(&overpass::request_url(&self.endpoints.overpass, &ql), "application/json").await?;
        overpass::parse(&body).map_err(|detail| OpenDataError::Malformed { host: host(&self.endpoints.overpass), detail })
    }

    /// One polite exchange: the lock held throughout, busy answers retried after a bounded wait.
    async fn get(&self, url: &Url, accept: &str) -> Result<Vec<u8>, OpenDataError> {
        let _turn = self.one_at_a_time.lock().await;
        let host = host(url);
        let mut retries = 0;
        loop {
            match self.fetcher.get_accepting(url.as_str(), Some(accept)).await {
                Ok(fetched) => return Ok(fetched.body.to_vec()),
                Err(failed) => match failed.error {
                    FetchError::Status { status: status @ (429 | 503 | 504), .. } => {
                        let wait = failed.retry_after.unwrap_or(DEFAULT_WAIT.min(self.max_wait));
                        if retries == MAX_RETRIES || wait > self.max_wait {
                            return Err(OpenDataError::Busy { host, status });
                        }
                        retries += 1;
                        tracing::debug!(%host, status, ?wait, "open data provider busy; waiting");
                        tokio::time::sleep(wait).await;
                    }
                    other => return Err(OpenDataError::Failed { host, detail: other.to_string() }),
                },
            }
        }
    }
}

fn host(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_string()
}

/// Names of fields that end in -ics and are not plurals.
const FIELDS_IN_ICS: &[&str] = &[
    "robotics",
    "analytics",
    "logistics",
    "electronics",
    "genomics",
    "physics",
    "economics",
    "graphics",
    "optics",
    "aeronautics",
    "cosmetics",
    "diagnostics",
    "therapeutics",
    "photonics",
];

/// The lowercase words of an industry slug, singular (`dental_clinics` → `dental`, `clinic`).
pub(crate) fn industry_words(slug: &str) -> Vec<String> {
    slug.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            match w.strip_suffix("ies") {
                Some(stem) if w.len() > 4 => format!("{stem}y"),
                _ => match w.strip_suffix('s') {
                    Some(stem) if w.len() > 4 && !w.ends_with("ss") && !FIELDS_IN_ICS.contains(&w.as_str()) => stem.to_string(),
                    _ => w,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industry_words_are_lowercase_singulars() {
        assert_eq!(industry_words("dental_clinics"), ["dental", "clinic"]);
        assert_eq!(industry_words("coffee roasters"), ["coffee", "roaster"]);
        assert_eq!(industry_words("retail_banks"), ["retail", "bank"]);
        assert_eq!(industry_words("robotics"), ["robotics"]);
        assert_eq!(industry_words("pharmacies"), ["pharmacy"]);
        assert_eq!(industry_words("saas"), ["saas"]);
    }

    /// A provider on loopback that always answers 429 with `retry_after`, counting requests.
    async fn busy(retry_after: &'static str) -> (Url, Arc<std::sync::atomic::AtomicUsize>) {
        use axum::response::IntoResponse;
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = count.clone();
        let router = axum::Router::new().fallback(move || {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                (axum::http::StatusCode::TOO_MANY_REQUESTS, [("retry-after", retry_after)]).into_response()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/sparql", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (url, count)
    }

    #[tokio::test]
    async fn a_busy_provider_is_retried_a_bounded_number_of_times() {
        let fetcher = Fetcher::new(crate::net::TargetPolicy::LoopbackOnly, FetchLimits::ATTACHMENT);
        let query = OpenQuery { industries: vec!["robotics".into()], countries: vec!["DE".into()], limit: 5, ..OpenQuery::default() };

        let (url, count) = busy("0").await;
        let client = OpenDataClient::new(&fetcher, Endpoints { wikidata: url.clone(), overpass: url });
        let error = client.wikidata(&query).await.unwrap_err();
        assert_eq!(error, OpenDataError::Busy { host: "127.0.0.1".into(), status: 429 });
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1 + MAX_RETRIES, "asked again twice, then gave up");

        // A wait longer than the bound is not waited for.
        let (url, count) = busy("3600").await;
        let client = OpenDataClient::new(&fetcher, Endpoints { wikidata: url.clone(), overpass: url });
        let started = std::time::Instant::now();
        assert!(matches!(client.wikidata(&query).await, Err(OpenDataError::Busy { .. })));
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(started.elapsed() < Duration::from_secs(5));

        // The guard applies: a fetcher that allows only public targets refuses loopback.
        let public = Fetcher::new(crate::net::TargetPolicy::PublicOnly, FetchLimits::ATTACHMENT);
        let (url, count) = busy("0").await;
        let client = OpenDataClient::new(&public, Endpoints { wikidata: url.clone(), overpass: url });
        let refused = client.wikidata(&query).await.unwrap_err();
        assert!(matches!(&refused, OpenDataError::Failed { detail, .. } if detail.contains("Refused")), "{refused}");
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}

//! Web search as a way to discover company sites: the [`WebSearch`] trait, and [`SearxngSearch`],
//! an adapter for the JSON API of a SearXNG metasearch instance the operator runs or trusts.
//!
//! Search answers *which sites to read*, never *what is true*: a hit's title and snippet are a
//! search engine's summary, so callers use hits only to pick sites and ground facts on what those
//! sites then say.
//!
//! The provider's address is configured by the operator ([`SearchConfig`]), not supplied by a user,
//! so it may well be private or on loopback (a SearXNG container beside Quarry). It therefore does
//! not pass the server-side request forgery guard of [`crate::net`]; the client still has a
//! timeout, a size cap on every answer, a bounded redirect chain and Quarry's `User-Agent`.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::net::USER_AGENT;

pub mod brave;

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    /// The result's address (always http or https).
    pub url: Url,
    /// Its title as the search engine shows it (may be empty).
    pub title: String,
    /// The search engine's snippet of the page (may be empty).
    pub snippet: String,
}

/// Why a search gave no results. The text names the provider's host and says what to check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// No connection, or it broke off.
    #[error("the search provider at {host} could not be reached: {detail}")]
    Unreachable { host: String, detail: String },
    /// No complete answer within the configured timeout.
    #[error("the search provider at {host} did not answer within {} ms", .timeout.as_millis())]
    Timeout { host: String, timeout: Duration },
    /// A status other than 2xx. SearXNG answers 403 when its `json` format is not enabled.
    #[error("the search provider at {host} answered with HTTP status {status}{}", status_hint(.status))]
    Status { host: String, status: u16 },
    /// The answer was larger than [`MAX_ANSWER_BYTES`].
    #[error("the search provider at {host} sent more than {MAX_ANSWER_BYTES} bytes")]
    TooLarge { host: String },
    /// The answer was not JSON (an HTML page, say, from a reverse proxy or the wrong URL).
    #[error("the search provider at {host} did not answer with JSON: {detail}")]
    NotJson { host: String, detail: String },
    /// JSON, but without a `results` array: not a SearXNG search answer.
    #[error("the search provider at {host} answered with JSON that has no `results` list")]
    NoResults { host: String },
}

/// What to check for a status: SearXNG refuses JSON with 403 unless its settings allow it.
fn status_hint(status: &u16) -> &'static str {
    if *status == 403 {
        " (a SearXNG instance must list `json` under `search.formats` in its settings.yml)"
    } else {
        ""
    }
}

/// A web search provider. Object-safe, so installations choose one at start-up (`Arc<dyn WebSearch>`).
#[async_trait::async_trait]
pub trait WebSearch: Send + Sync {
    /// Up to `limit` results for `query`, best first, without duplicate URLs.
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, SearchError>;
}

/// Largest answer accepted per request, in bytes. A SearXNG page of results is some tens of KiB.
pub const MAX_ANSWER_BYTES: usize = 2 * 1024 * 1024;

/// Most result pages requested for one search, however large `limit` is: a query whose first
/// pages hold nothing new will not improve further down.
pub const MAX_PAGES: u32 = 5;

/// Most redirects followed (a SearXNG behind a proxy may redirect once to add a slash or https).
const MAX_REDIRECTS: usize = 3;

/// How to reach the search provider, from the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchConfig {
    /// The instance's base URL; searches go to `<base>/search`.
    pub base_url: Url,
    /// Budget for one request, connection included.
    pub timeout: Duration,
    /// SearXNG's `language` parameter (`de`, `en-US`, `all`), when set.
    pub language: Option<String>,
    /// SearXNG's `categories` parameter (`general`), when set.
    pub categories: Option<String>,
}

impl SearchConfig {
    /// Base URL of a SearXNG instance, e.g. `http://localhost:8888` or `https://search.example.org/searx`.
    /// Unset or empty: no web search, and live jobs discover companies only from the lead index.
    pub const ENV_URL: &'static str = "QUARRY_SEARCH_URL";
    /// Milliseconds one search request may take (1–60000, default [`Self::DEFAULT_TIMEOUT`]).
    pub const ENV_TIMEOUT_MS: &'static str = "QUARRY_SEARCH_TIMEOUT_MS";
    /// Language of the results (`de`, `en-US`, `all`); unset leaves it to the instance.
    pub const ENV_LANGUAGE: &'static str = "QUARRY_SEARCH_LANGUAGE";
    /// Comma-separated SearXNG categories; unset leaves it to the instance (normally `general`).
    pub const ENV_CATEGORIES: &'static str = "QUARRY_SEARCH_CATEGORIES";

    /// Default for [`Self::ENV_TIMEOUT_MS`]: a metasearch fans out to several engines and waits for them.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Largest accepted [`Self::ENV_TIMEOUT_MS`].
    pub const MAX_TIMEOUT_MS: u64 = 60_000;

    /// Reads the configuration through `lookup` (a stand-in for the environment in tests).
    /// `Ok(None)` when [`Self::ENV_URL`] is unset or empty; `Err` with a sentence naming the
    /// variable when a value is malformed. Values are trimmed; empty counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<SearchConfig>, String> {
        let read = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        let Some(raw) = read(Self::ENV_URL) else { return Ok(None) };
        let base_url = Url::parse(&raw).map_err(|e| format!("{} is not a valid URL ({e}): {raw:?}", Self::ENV_URL))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.host().is_none() {
            return Err(format!("{} must be an http or https URL with a host, got {raw:?}", Self::ENV_URL));
        }
        let timeout = match read(Self::ENV_TIMEOUT_MS) {
            None => Self::DEFAULT_TIMEOUT,
            Some(raw) => match raw.parse::<u64>() {
                Ok(ms @ 1..=Self::MAX_TIMEOUT_MS) => Duration::from_millis(ms),
                _ => {
                    return Err(format!(
                        "{} must be a whole number of milliseconds from 1 to {}, got {raw:?}",
                        Self::ENV_TIMEOUT_MS,
                        Self::MAX_TIMEOUT_MS
                    ))
                }
            },
        };
        Ok(Some(SearchConfig { base_url, timeout, language: read(Self::ENV_LANGUAGE), categories: read(Self::ENV_CATEGORIES) }))
    }
}

/// A SearXNG instance's JSON API: `GET <base>/search?q=…&format=json&pageno=N`, reading
/// `results[].url`, `title` and `content`. Cheap to share; one client for all searches.
#[derive(Clone, Debug)]
pub struct SearxngSearch {
    config: SearchConfig,
    client: reqwest::Client,
}

impl SearxngSearch {
    /// An adapter for the instance `config` names. Fails only if the HTTP client cannot be built
    /// (the TLS backend did not initialise).
    pub fn new(config: SearchConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| format!("cannot build the search client: {e}"))?;
        Ok(SearxngSearch { config, client })
    }

    /// The configuration it searches with.
    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    /// The request URL for one page of results.
    fn page_url(&self, query: &str, page: u32) -> Url {
        let mut url = self.config.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("search");
        }
        {
            let mut params = url.query_pairs_mut();
            params.clear().append_pair("q", query).append_pair("format", "json").append_pair("pageno", &page.to_string());
            if let Some(language) = &self.config.language {
                params.append_pair("language", language);
            }
            if let Some(categories) = &self.config.categories {
                params.append_pair("categories", categories);
            }
        }
        url
    }

    fn host(&self) -> String {
        self.config.base_url.host_str().unwrap_or_default().to_string()
    }

    /// One page of results, parsed.
    async fn page(&self, query: &str, page: u32) -> Result<Vec<SearchHit>, SearchError> {
        let host = self.host();
        let transport = |e: reqwest::Error| {
            if e.is_timeout() {
                SearchError::Timeout { host: host.clone(), timeout: self.config.timeout }
            } else {
                SearchError::Unreachable { host: host.clone(), detail: root_cause(&e) }
            }
        };
        let mut response = self.client.get(self.page_url(query, page)).send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(SearchError::Status { host, status: status.as_u16() });
        }
        if response.content_length().is_some_and(|len| len > MAX_ANSWER_BYTES as u64) {
            return Err(SearchError::TooLarge { host });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(SearchError::TooLarge { host });
            }
            body.extend_from_slice(&chunk);
        }
        parse_answer(&body).map_err(|problem| match problem {
            AnswerProblem::NotJson(detail) => SearchError::NotJson { host: host.clone(), detail },
            AnswerProblem::NoResults => SearchError::NoResults { host: host.clone() },
        })
    }
}

#[async_trait::async_trait]
impl WebSearch for SearxngSearch {
    /// Reads result pages until `limit` distinct URLs are found, a page adds nothing new, or
    /// [`MAX_PAGES`] pages were read. An error on a later page ends the search with what the
    /// earlier pages found; an error on the first page is the search's error.
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, SearchError> {
        let mut hits: Vec<SearchHit> = Vec::new();
        for page in 1..=MAX_PAGES {
            if hits.len() >= limit {
                break;
            }
            let found = match self.page(query, page).await {
                Ok(found) => found,
                Err(e) if page == 1 => return Err(e),
                Err(e) => {
                    tracing::debug!(error = %e, page, "search stopped early");
                    break;
                }
            };
            let before = hits.len();
            for hit in found {
                if hits.len() < limit && !hits.iter().any(|h| h.url == hit.url) {
                    hits.push(hit);
                }
            }
            if hits.len() == before {
                break;
            }
        }
        Ok(hits)
    }
}

enum AnswerProblem {
    NotJson(String),
    NoResults,
}

/// One entry of SearXNG's `results`; anything else it carries is ignored.
#[derive(Deserialize)]
struct RawResult {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    content: Option<String>,
}

/// The hits of one SearXNG JSON answer. Entries without an http(s) URL are skipped (some engines
/// return answers or infoboxes without one); a body that is not JSON, or JSON without a
/// `results` array, is an error.
fn parse_answer(body: &[u8]) -> Result<Vec<SearchHit>, AnswerProblem> {
    let answer: serde_json::Value = serde_json::from_slice(body).map_err(|e| AnswerProblem::NotJson(e.to_string()))?;
    let results = answer.get("results").and_then(serde_json::Value::as_array).ok_or(AnswerProblem::NoResults)?;
    let hits = results
        .iter()
        .filter_map(|entry| serde_json::from_value::<RawResult>(entry.clone()).ok())
        .filter_map(|raw| {
            let url = Url::parse(raw.url?.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())?;
            let clean = |text: Option<String>| text.map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default();
            Some(SearchHit { url, title: clean(raw.title), snippet: clean(raw.content) })
        })
        .collect();
    Ok(hits)
}

/// Reads a provider's answer within [`MAX_ANSWER_BYTES`], mapping transport failures to the
/// errors that name `host`.
pub(crate) async fn read_answer(request: reqwest::RequestBuilder, host: &str, timeout: Duration) -> Result<Vec<u8>, SearchError> {
    let host = host.to_string();
    let transport = |e: reqwest::Error| {
        if e.is_timeout() {
            SearchError::Timeout { host: host.clone(), timeout }
        } else {
            SearchError::Unreachable { host: host.clone(), detail: root_cause(&e) }
        }
    };
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status();
    if !status.is_success() {
        return Err(SearchError::Status { host, status: status.as_u16() });
    }
    if response.content_length().is_some_and(|len| len > MAX_ANSWER_BYTES as u64) {
        return Err(SearchError::TooLarge { host });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(SearchError::TooLarge { host });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The innermost cause of a transport error: what an operator can act on ("Connection refused").
fn root_cause(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests;

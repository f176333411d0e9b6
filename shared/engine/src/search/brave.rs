//! The Brave Search API as a [`WebSearch`] provider, for operators who have a subscription token:
//! `GET <url>?q=…&count=20&offset=N` with the token in `X-Subscription-Token`, reading
//! `web.results[].url`, `title` and `description`. Brave's `offset` counts pages of `count`
//! results (0 to 9), not results.
//!
//! Like SearXNG's, its address is the operator's configuration, so the client is the search
//! client (timeout, size cap, bounded redirects, Quarry's `User-Agent`) rather than the guarded
//! fetcher; the token travels only to that address.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::{read_answer, SearchError, SearchHit, WebSearch, MAX_PAGES};
use crate::net::USER_AGENT;

/// Results per page (Brave's most).
pub const PAGE_SIZE: usize = 20;
/// Brave's largest `offset`.
const MAX_OFFSET: u32 = 9;

/// How to reach the Brave Search API, from the environment.
#[derive(Clone, PartialEq, Eq)]
pub struct BraveConfig {
    /// The web search endpoint (default [`Self::DEFAULT_URL`]).
    pub url: Url,
    /// The subscription token.
    pub api_key: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for BraveConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BraveConfig").field("url", &self.url).field("api_key", &"<redacted>").field("timeout", &self.timeout).finish()
    }
}

impl BraveConfig {
    /// The subscription token; unset or empty: no Brave search.
    pub const ENV_API_KEY: &'static str = "QUARRY_BRAVE_API_KEY";
    /// Another endpoint (a proxy, or a stand-in in tests).
    pub const ENV_URL: &'static str = "QUARRY_BRAVE_URL";
    pub const DEFAULT_URL: &'static str = "https://api.search.brave.com/res/v1/web/search";

    /// `Ok(None)` without a token; `Err` naming the variable when the URL is malformed. The
    /// timeout is SearXNG's (`QUARRY_SEARCH_TIMEOUT_MS`, default 10 s).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<BraveConfig>, String> {
        let read = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        let Some(api_key) = read(Self::ENV_API_KEY) else { return Ok(None) };
        let raw = read(Self::ENV_URL).unwrap_or_else(|| Self::DEFAULT_URL.to_string());
        let url = Url::parse(&raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| format!("{} must be an http or https URL with a host, got {raw:?}", Self::ENV_URL))?;
        let timeout = match read(super::SearchConfig::ENV_TIMEOUT_MS).and_then(|ms| ms.parse::<u64>().ok()) {
            Some(ms @ 1..=super::SearchConfig::MAX_TIMEOUT_MS) => Duration::from_millis(ms),
            _ => super::SearchConfig::DEFAULT_TIMEOUT,
        };
        Ok(Some(BraveConfig { url, api_key, timeout }))
    }
}

/// The Brave Search API adapter.
#[derive(Clone, Debug)]
pub struct BraveSearch {
    config: BraveConfig,
    client: reqwest::Client,
}

impl BraveSearch {
    pub fn new(config: BraveConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| format!("cannot build the search client: {e}"))?;
        Ok(BraveSearch { config, client })
    }

    fn page_url(&self, query: &str, offset: u32) -> Url {
        let mut url = self.config.url.clone();
        url.query_pairs_mut()
            .append_pair("q", query)
            .append_pair("count", &PAGE_SIZE.to_string())
            .append_pair("offset", &offset.to_string());
        url
    }

    async fn page(&self, query: &str, offset: u32) -> Result<Vec<SearchHit>, SearchError> {
        let host = self.config.url.host_str().unwrap_or_default().to_string();
        let request = self
            .client
            .get(self.page_url(query, offset))
            .header(reqwest::header::ACCEPT, "application/json")
            .header("X-Subscription-Token", &self.config.api_key);
        let body = read_answer(request, &host, self.config.timeout).await?;
        parse(&body).map_err(|problem| match problem {
            Some(detail) => SearchError::NotJson { host: host.clone(), detail },
            None => SearchError::NoResults { host: host.clone() },
        })
    }
}

#[async_trait::async_trait]
impl WebSearch for BraveSearch {
    /// Pages until `limit` distinct URLs, a page with nothing new, or [`MAX_PAGES`] pages; an
    /// error on a later page keeps what the earlier ones found.
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, SearchError> {
        let mut hits: Vec<SearchHit> = Vec::new();
        for offset in 0..MAX_PAGES.min(MAX_OFFSET + 1) {
            if hits.len() >= limit {
                break;
            }
            let found = match self.page(query, offset).await {
                Ok(found) => found,
                Err(e) if offset == 0 => return Err(e),
                Err(_) => break,
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

#[derive(Deserialize)]
struct Answer {
    web: Option<Web>,
}

#[derive(Deserialize)]
struct Web {
    #[serde(default)]
    results: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawResult {
    url: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// The hits of one answer. `Err(Some(_))`: not JSON; `Err(None)`: JSON of another shape. An
/// answer without a `web` section (nothing found) is no hits.
fn parse(body: &[u8]) -> Result<Vec<SearchHit>, Option<String>> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| Some(e.to_string()))?;
    if value.get("type").and_then(|t| t.as_str()) != Some("search") && value.get("web").is_none() {
        return Err(None);
    }
    let answer: Answer = serde_json::from_value(value).map_err(|_| None)?;
    let results = answer.web.map(|w| w.results).unwrap_or_default();
    Ok(results
        .into_iter()
        .filter_map(|entry| serde_json::from_value::<RawResult>(entry).ok())
        .filter_map(|raw| {
            let url = Url::parse(raw.url?.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())?;
            // Brave marks query words in descriptions with <strong>.
            let clean = |t: Option<String>| {
                t.map(|t| t.replace("<strong>", "").replace("</strong>", "").split_whitespace().collect::<Vec<_>>().join(" "))
                    .unwrap_or_default()
            };
            Some(SearchHit { url, title: clean(raw.title), snippet: clean(raw.description) })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape Brave documents for `GET /res/v1/web/search`.
    const ANSWER: &str = r#"{
      "type": "search",
      "query": {"original": "robotics companies in Hamburg"},
      "web": {"type": "search", "results": [
        {"type": "search_result", "title": "Halyard Robotics", "url": "https://halyardrobotics.com/",
         "description": "Autonomous <strong>robotics</strong> for ports", "language": "en"},
        {"type": "search_result", "title": "Not a link", "url": "mailto:a@b.c"},
        {"type": "search_result", "title": "Werft", "url": "https://werft.example/about", "description": ""}
      ]}
    }"#;

    #[test]
    fn answers_are_read_from_web_results() {
        let hits = parse(ANSWER.as_bytes()).unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].url.as_str(), "https://halyardrobotics.com/");
        assert_eq!(hits[0].snippet, "Autonomous robotics for ports");
        assert!(parse(br#"{"type": "search", "query": {}}"#).unwrap().is_empty(), "nothing found");
        assert_eq!(parse(br#"{"error": "x"}"#).unwrap_err(), None);
        assert!(parse(b"<html>").unwrap_err().is_some());
    }

    #[test]
    fn configuration_needs_a_token_and_takes_a_url_override() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(BraveConfig::from_lookup(env(&[])).unwrap(), None);
        let config = BraveConfig::from_lookup(env(&[(BraveConfig::ENV_API_KEY, "tok")])).unwrap().unwrap();
        assert_eq!(config.url.as_str(), BraveConfig::DEFAULT_URL);
        assert!(!format!("{config:?}").contains("tok"));
        let error = BraveConfig::from_lookup(env(&[(BraveConfig::ENV_API_KEY, "tok"), (BraveConfig::ENV_URL, "brave")])).unwrap_err();
        assert!(error.starts_with(BraveConfig::ENV_URL));
        let search = BraveSearch::new(config).unwrap();
        assert_eq!(search.page_url("a b", 2).as_str(), "https://api.search.brave.com/res/v1/web/search?q=a+b&count=20&offset=2");
    }

    /// A fake Brave on loopback: pages of `PAGE_SIZE` results by `offset`, and what it was asked.
    async fn fake(pages: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>) {
        use axum::extract::{Request, State};
        use axum::response::IntoResponse;
        type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;
        async fn answer(State((seen, pages)): State<(Seen, usize)>, request: Request) -> axum::response::Response {
            let params: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes()).into_owned().collect();
            let token = request.headers().get("x-subscription-token").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            seen.lock().unwrap().push((params.get("offset").cloned().unwrap_or_default(), token.clone()));
            if token != "tok" {
                return axum::http::StatusCode::UNAUTHORIZED.into_response();
            }
            let offset: usize = params.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
            let results: Vec<serde_json::Value> = if offset < pages {
                (0..PAGE_SIZE)
                    .map(|i| serde_json::json!({"url": format!("https://company{}.example/", offset * PAGE_SIZE + i), "title": "Co"}))
                    .collect()
            } else {
                Vec::new()
            };
            axum::Json(serde_json::json!({"type": "search", "web": {"type": "search", "results": results}})).into_response()
        }
        let seen: Seen = Default::default();
        let router = axum::Router::new().fallback(answer).with_state((seen.clone(), pages));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/res/v1/web/search", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (base, seen)
    }

    #[tokio::test]
    async fn searches_page_by_offset_with_the_token_in_its_header() {
        let (url, seen) = fake(2).await;
        let config = |key: &str| BraveConfig { url: Url::parse(&url).unwrap(), api_key: key.into(), timeout: Duration::from_secs(2) };
        let brave = BraveSearch::new(config("tok")).unwrap();
        let hits = brave.search("robotics companies", 30).await.unwrap();
        assert_eq!(hits.len(), 30);
        assert_eq!(*seen.lock().unwrap(), [("0".to_string(), "tok".to_string()), ("1".to_string(), "tok".to_string())]);
        // Past the last page: a page with nothing new ends the search.
        seen.lock().unwrap().clear();
        assert_eq!(brave.search("robotics companies", 100).await.unwrap().len(), 40);
        assert_eq!(seen.lock().unwrap().len(), 3);
        let refused = BraveSearch::new(config("wrong")).unwrap().search("x", 5).await.unwrap_err();
        assert_eq!(refused, SearchError::Status { host: "127.0.0.1".into(), status: 401 });
    }
}

//! [`SearxngSearch`] against a fake SearXNG on 127.0.0.1 that records what it was asked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::json;

use super::*;

/// What the fake answers for one request, given its query parameters.
type Answer = Arc<dyn Fn(&HashMap<String, String>) -> Response + Send + Sync>;

/// One request the fake received: its path, query parameters and `User-Agent`.
#[derive(Clone, Debug)]
struct Asked {
    path: String,
    params: HashMap<String, String>,
    agent: String,
}

struct Fake {
    base: String,
    asked: Arc<Mutex<Vec<Asked>>>,
}

impl Fake {
    async fn start(answer: impl Fn(&HashMap<String, String>) -> Response + Send + Sync + 'static) -> Fake {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let answer: Answer = Arc::new(answer);
        let router = Router::new().fallback(serve).with_state((answer, asked.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Fake { base, asked }
    }

    fn asked(&self) -> Vec<Asked> {
        self.asked.lock().unwrap().clone()
    }

    fn search(&self, path: &str) -> SearxngSearch {
        let config = SearchConfig {
            base_url: Url::parse(&format!("{}{path}", self.base)).unwrap(),
            timeout: Duration::from_millis(500),
            language: None,
            categories: None,
        };
        SearxngSearch::new(config).unwrap()
    }
}

async fn serve(State((answer, asked)): State<(Answer, Arc<Mutex<Vec<Asked>>>)>, request: Request) -> Response {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes()).into_owned().collect();
    let agent = request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    asked.lock().unwrap().push(Asked { path: request.uri().path().to_string(), params: params.clone(), agent });
    answer(&params)
}

fn json_reply(value: serde_json::Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

/// Two pages of results (the second repeats one URL of the first), then empty pages.
fn two_pages(params: &HashMap<String, String>) -> Response {
    match params.get("pageno").map(String::as_str) {
        Some("1") => json_reply(json!({
            "query": params.get("q"),
            "results": [
                {"url": "https://www.lumorapay.de/", "title": "Lumora  Pay\n", "content": "Payments for\tSMEs", "engine": "duckduckgo"},
                {"title": "An infobox without a URL"},
                {"url": "mailto:info@lumorapay.de", "title": "Not a page"},
                {"url": "https://de.linkedin.com/company/lumora", "title": "Lumora | LinkedIn"},
            ],
            "answers": [], "infoboxes": [], "number_of_results": 0
        })),
        Some("2") => json_reply(json!({"results": [
            {"url": "https://www.lumorapay.de/", "title": "Lumora Pay again"},
            {"url": "https://kassenwerk.de/about", "title": "Kassenwerk", "content": null},
        ]})),
        _ => json_reply(json!({"results": []})),
    }
}

#[tokio::test]
async fn reads_pages_of_results_until_nothing_new_comes() {
    let fake = Fake::start(two_pages).await;
    let hits = fake.search("/").search("fintech companies in berlin", 10).await.unwrap();
    let urls: Vec<&str> = hits.iter().map(|h| h.url.as_str()).collect();
    assert_eq!(urls, ["https://www.lumorapay.de/", "https://de.linkedin.com/company/lumora", "https://kassenwerk.de/about"]);
    assert_eq!((hits[0].title.as_str(), hits[0].snippet.as_str()), ("Lumora Pay", "Payments for SMEs"), "whitespace is tidied");
    assert_eq!(hits[2].snippet, "", "a null content is an empty snippet");

    let asked = fake.asked();
    let pages: Vec<&str> = asked.iter().map(|a| a.params["pageno"].as_str()).collect();
    assert_eq!(pages, ["1", "2", "3"], "page 3 added nothing, so the search stopped there");
    for request in &asked {
        assert_eq!(request.path, "/search");
        assert_eq!(request.params["q"], "fintech companies in berlin");
        assert_eq!(request.params["format"], "json");
        assert!(!request.params.contains_key("language") && !request.params.contains_key("categories"));
        assert!(request.agent.starts_with("Quarry/"), "{}", request.agent);
    }
}

#[tokio::test]
async fn stops_at_the_limit() {
    let fake = Fake::start(two_pages).await;
    let hits = fake.search("/").search("q", 2).await.unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(fake.asked().len(), 1, "the first page was enough");
    assert!(fake.search("/").search("q", 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn never_reads_more_than_the_page_cap() {
    let fake = Fake::start(|params| {
        let page = &params["pageno"];
        json_reply(json!({"results": [{"url": format!("https://site{page}.de/")}]}))
    })
    .await;
    let hits = fake.search("/").search("q", 100).await.unwrap();
    assert_eq!(hits.len(), MAX_PAGES as usize);
    assert_eq!(fake.asked().len(), MAX_PAGES as usize);
}

#[tokio::test]
async fn a_base_path_language_and_categories_are_kept() {
    let fake = Fake::start(two_pages).await;
    let config = SearchConfig {
        base_url: Url::parse(&format!("{}/searx/", fake.base)).unwrap(),
        timeout: Duration::from_millis(500),
        language: Some("de-DE".into()),
        categories: Some("general".into()),
    };
    SearxngSearch::new(config).unwrap().search("Zahlungsanbieter München", 1).await.unwrap();
    let asked = &fake.asked()[0];
    assert_eq!(asked.path, "/searx/search");
    assert_eq!(asked.params["q"], "Zahlungsanbieter München", "the query is encoded and decoded intact");
    assert_eq!((asked.params["language"].as_str(), asked.params["categories"].as_str()), ("de-DE", "general"));
}

#[tokio::test]
async fn a_failing_first_page_is_the_error() {
    let forbidden = Fake::start(|_| StatusCode::FORBIDDEN.into_response()).await;
    let error = forbidden.search("/").search("q", 5).await.unwrap_err();
    assert!(matches!(error, SearchError::Status { status: 403, .. }), "{error:?}");
    assert!(error.to_string().contains("search.formats"), "{error}");

    let html = Fake::start(|_| ([(header::CONTENT_TYPE, "text/html")], "<html>SearXNG</html>").into_response()).await;
    let error = html.search("/").search("q", 5).await.unwrap_err();
    assert!(matches!(error, SearchError::NotJson { .. }), "{error:?}");

    let other_json = Fake::start(|_| json_reply(json!({"error": "rate limited"}))).await;
    let error = other_json.search("/").search("q", 5).await.unwrap_err();
    assert_eq!(error, SearchError::NoResults { host: "127.0.0.1".into() });
    assert_eq!(error.to_string(), "the search provider at 127.0.0.1 answered with JSON that has no `results` list");
}

#[tokio::test]
async fn a_failing_later_page_keeps_what_came_before() {
    let fake = Fake::start(|params| match params["pageno"].as_str() {
        "1" => two_pages(params),
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    })
    .await;
    let hits = fake.search("/").search("q", 10).await.unwrap();
    assert_eq!(hits.len(), 2);
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let padding = "x".repeat(MAX_ANSWER_BYTES);
    let fake = Fake::start(move |_| json_reply(json!({"results": [], "padding": padding}))).await;
    let error = fake.search("/").search("q", 5).await.unwrap_err();
    assert!(matches!(error, SearchError::TooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn a_slow_provider_times_out_within_the_budget() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts connections and never answers.
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let config = SearchConfig {
        base_url: Url::parse(&format!("http://{addr}/")).unwrap(),
        timeout: Duration::from_millis(300),
        language: None,
        categories: None,
    };
    let started = Instant::now();
    let error = SearxngSearch::new(config).unwrap().search("q", 5).await.unwrap_err();
    assert!(matches!(error, SearchError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    held.abort();
}

#[tokio::test]
async fn an_unreachable_provider_says_why() {
    // Bind and drop, so the port is (almost certainly) closed.
    let addr = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let config = SearchConfig::from_lookup(|name| (name == SearchConfig::ENV_URL).then(|| format!("http://{addr}"))).unwrap().unwrap();
    let error = SearxngSearch::new(config).unwrap().search("q", 5).await.unwrap_err();
    assert!(matches!(&error, SearchError::Unreachable { detail, .. } if !detail.is_empty()), "{error:?}");
}

#[test]
fn configuration_from_the_environment() {
    let env = |pairs: &[(&str, &str)]| {
        let pairs: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        SearchConfig::from_lookup(move |name| pairs.get(name).cloned())
    };
    assert_eq!(env(&[]), Ok(None));
    assert_eq!(env(&[(SearchConfig::ENV_URL, "  "), (SearchConfig::ENV_TIMEOUT_MS, "oops")]), Ok(None), "off unless the URL is set");

    let config = env(&[(SearchConfig::ENV_URL, " http://searxng:8080 ")]).unwrap().unwrap();
    assert_eq!(config.base_url.as_str(), "http://searxng:8080/");
    assert_eq!((config.timeout, config.language, config.categories), (SearchConfig::DEFAULT_TIMEOUT, None, None));

    let config = env(&[
        (SearchConfig::ENV_URL, "https://search.example.org/searx"),
        (SearchConfig::ENV_TIMEOUT_MS, "2500"),
        (SearchConfig::ENV_LANGUAGE, "de"),
        (SearchConfig::ENV_CATEGORIES, "general"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(config.timeout, Duration::from_millis(2500));
    assert_eq!((config.language.as_deref(), config.categories.as_deref()), (Some("de"), Some("general")));

    for (url, timeout) in
        [("searxng:8080", "100"), ("ftp://searxng", "100"), ("not a url", "100"), ("http://searxng", "0"), ("http://searxng", "2s")]
    {
        let error = env(&[(SearchConfig::ENV_URL, url), (SearchConfig::ENV_TIMEOUT_MS, timeout)]).unwrap_err();
        assert!(error.contains("QUARRY_SEARCH_"), "{url} {timeout}: {error}");
    }
}

/// The trait is object-safe and its futures can cross threads.
#[test]
fn providers_are_shareable_trait_objects() {
    fn send<T: Send>(_: T) {}
    let config = SearchConfig::from_lookup(|name| (name == SearchConfig::ENV_URL).then(|| "http://127.0.0.1:9".into()));
    let provider: Arc<dyn WebSearch> = Arc::new(SearxngSearch::new(config.unwrap().unwrap()).unwrap());
    send(provider.search("q", 1));
}

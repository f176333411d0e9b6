//! Fixture websites: real HTTP servers on loopback serving fixed files, for sources that fetch
//! (seed attachments now, the crawler later). Only loopback addresses are ever a target.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// A file the site serves.
#[derive(Clone)]
pub struct Page {
    pub content_type: &'static str,
    pub body: String,
}

/// A running fixture site; `hits` counts the requests it answered.
pub struct FixtureSite {
    pub base_url: String,
    pub hits: Arc<AtomicUsize>,
}

impl FixtureSite {
    /// Serves `pages` (path without the leading `/` → page) on a fresh loopback port; other paths
    /// are 404.
    pub async fn serve(pages: Vec<(&str, Page)>) -> FixtureSite {
        let pages: Arc<HashMap<String, Page>> = Arc::new(pages.into_iter().map(|(path, page)| (path.to_string(), page)).collect());
        let hits = Arc::new(AtomicUsize::new(0));
        let app = axum::Router::new().route("/{*path}", axum::routing::get(page)).with_state((pages, hits.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fixture site") });
        FixtureSite { base_url, hits }
    }

    /// `base_url` + `/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url)
    }

    pub fn hit_count(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

type SiteState = (Arc<HashMap<String, Page>>, Arc<AtomicUsize>);

async fn page(State((pages, hits)): State<SiteState>, Path(path): Path<String>) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    match pages.get(&path) {
        Some(page) => ([(header::CONTENT_TYPE, page.content_type)], page.body.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// One request a [`Receiver`] got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: axum::http::HeaderMap,
    pub body: bytes::Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A scripted answer: status and an optional `Retry-After`. Status 0 never answers (the
/// receiver hangs for a minute), for senders that must time out or die mid-request.
pub type Answer = (u16, Option<&'static str>);

#[derive(Default)]
struct ReceiverState {
    received: std::sync::Mutex<Vec<Received>>,
    /// Per path, the answers to give next (then 200).
    script: std::sync::Mutex<HashMap<String, std::collections::VecDeque<Answer>>>,
}

/// A webhook receiver on loopback: records every POST and answers from a per-path script
/// (200 once the script is used up).
#[derive(Clone)]
pub struct Receiver {
    pub base_url: String,
    state: Arc<ReceiverState>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(ReceiverState::default());
        let app = axum::Router::new().route("/{*path}", axum::routing::post(receive)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("receiver") });
        Receiver { base_url, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url)
    }

    /// The next answers to `path`, in order.
    pub fn script(&self, path: &str, answers: &[Answer]) {
        self.state.script.lock().unwrap().entry(path.to_string()).or_default().extend(answers.iter().copied());
    }

    /// What `path` received so far.
    pub fn received(&self, path: &str) -> Vec<Received> {
        self.state.received.lock().unwrap().iter().filter(|r| r.path == path).cloned().collect()
    }

    /// Waits (up to 60 s) until `path` has received something `done` accepts, and returns all it received.
    pub async fn wait_for(&self, path: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..600 {
            let got = self.received(path);
            if done(&got) {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "{path} never received what the test waited for; got {:?}",
            self.received(path).iter().map(|r| r.json()).collect::<Vec<_>>()
        );
    }
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    Path(path): Path<String>,
    headers: axum::http::HeaderMap,
    body: bytes::Bytes,
) -> Response {
    state.received.lock().unwrap().push(Received { path: path.clone(), headers, body });
    let answer = state.script.lock().unwrap().get_mut(&path).and_then(|s| s.pop_front()).unwrap_or((200, None));
    if answer.0 == 0 {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        return (StatusCode::OK, "late").into_response();
    }
    let status = StatusCode::from_u16(answer.0).unwrap();
    match answer.1 {
        Some(after) => (status, [(header::RETRY_AFTER, after)], "scripted").into_response(),
        None => (status, "ok").into_response(),
    }
}

/// The fixture web of the engine's tests (`shared/engine/tests/fixtures/web/`): the company sites with
/// ground truth (the blind sites' too, when present), served by one loopback server that picks the site by the `Host` header. Sites
/// keep their realistic domains (the worker resolves them to loopback through host overrides);
/// absolute `https://<domain>/` links in the files are served as `http://<domain>:<port>/`.
pub struct FixtureWeb {
    pub port: u16,
    /// Requests per `<domain><path>`.
    hits: Arc<std::sync::Mutex<HashMap<String, usize>>>,
}

/// Where the fixture web's files are.
fn web_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/engine/tests/fixtures/web")
}

/// `(domain, site directory)` of every fixture site, from its ground truth: `ground_truth.json`
/// and, when present, `ground_truth_blind.json` (the sites written without reading the extractor).
pub fn fixture_sites() -> Vec<(String, String)> {
    ["ground_truth.json", "ground_truth_blind.json"]
        .iter()
        .filter_map(|file| std::fs::read(web_root().join(file)).ok())
        .flat_map(|bytes| {
            let truth: serde_json::Value = serde_json::from_slice(&bytes).expect("ground truth is JSON");
            truth["sites"]
                .as_array()
                .expect("ground truth lists sites")
                .iter()
                .map(|s| (s["domain"].as_str().unwrap().to_string(), s["site"].as_str().unwrap().to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every fixture domain (and its `www.` form) answered as loopback, for the worker's fetcher.
pub fn fixture_hosts() -> quarry_engine::net::HostOverrides {
    let loopback: std::net::IpAddr = [127, 0, 0, 1].into();
    Arc::new(fixture_sites().into_iter().flat_map(|(domain, _)| [(format!("www.{domain}"), loopback), (domain, loopback)]).collect())
}

type WebState = (Arc<HashMap<String, String>>, u16, Arc<std::sync::Mutex<HashMap<String, usize>>>);

impl FixtureWeb {
    pub async fn serve() -> FixtureWeb {
        let sites: Arc<HashMap<String, String>> = Arc::new(fixture_sites().into_iter().collect());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(std::sync::Mutex::new(HashMap::new()));
        let app = axum::Router::new().fallback(axum::routing::get(web_page)).with_state((sites, port, hits.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fixture web") });
        FixtureWeb { port, hits }
    }

    /// The site's home page as the worker reaches it.
    pub fn home(&self, domain: &str) -> String {
        format!("http://{domain}:{}/", self.port)
    }

    /// A seed CSV of three of the sites (Kontorwerk, Halyard Robotics, Brightwell), each with a
    /// CEO and a CTO on its pages.
    pub fn seed_list(&self) -> String {
        format!(
            "Company,Website\nKontorwerk,{}\nHalyard Robotics,{}\nBrightwell,{}\n",
            self.home("kontorwerk.de"),
            self.home("halyardrobotics.com"),
            self.home("brightwell.co.uk")
        )
    }

    /// Requests so far, on every site.
    pub fn total_hits(&self) -> usize {
        self.hits.lock().unwrap().values().sum()
    }

    /// Requests so far for `path` on `domain`.
    pub fn hits(&self, domain: &str, path: &str) -> usize {
        self.hits.lock().unwrap().get(&format!("{domain}{path}")).copied().unwrap_or(0)
    }
}

async fn web_page(State((sites, port, hits)): State<WebState>, headers: axum::http::HeaderMap, uri: axum::http::Uri) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let domain = host.split(':').next().unwrap_or_default().trim_start_matches("www.").to_string();
    *hits.lock().unwrap().entry(format!("{domain}{}", uri.path())).or_default() += 1;
    let Some(site) = sites.get(&domain) else { return StatusCode::NOT_FOUND.into_response() };
    let mut path = uri.path().trim_start_matches('/').to_string();
    if path.is_empty() || path.ends_with('/') {
        path.push_str("index.html");
    }
    if path.split('/').any(|segment| segment == "..") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let Ok(body) = std::fs::read(web_root().join(site).join(&path)) else { return StatusCode::NOT_FOUND.into_response() };
    let content_type = match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("xml") => "application/xml",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    // Absolute links to the site point at this server.
    let body = match String::from_utf8(body) {
        Ok(text) => text
            .replace(&format!("https://{domain}/"), &format!("http://{domain}:{port}/"))
            .replace(&format!("https://www.{domain}/"), &format!("http://{domain}:{port}/"))
            .into_bytes(),
        Err(raw) => raw.into_bytes(),
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

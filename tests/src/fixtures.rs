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

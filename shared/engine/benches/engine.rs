//! Throughput of the research engine on this machine:
//! - extraction: every page of the fixture web (`tests/fixtures/web`) run through `extract`
//!   repeatedly, reported in MB of HTML per second;
//! - crawling: a 300-page site on a loopback server (each page ~8 KB, linking to 8 others)
//!   crawled to depth 3 with politeness delay off and 4 requests in flight, in pages per second.
//!
//! Run: `cargo bench -p quarry-engine --bench engine`

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Path;
use quarry_engine::crawl::{CrawlConfig, Crawler};
use quarry_engine::extract::extract;
use quarry_engine::net::{FetchLimits, Fetcher, TargetPolicy};
use url::Url;

/// Pages of the synthetic crawl site.
const SITE_PAGES: usize = 300;

fn fixture_pages() -> Vec<(Url, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/web");
    let mut pages = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                let relative = path.strip_prefix(&root).unwrap().to_string_lossy().to_string();
                let (site, rest) = relative.split_once('/').unwrap();
                let url = Url::parse(&format!("https://{site}.example/{rest}")).unwrap();
                pages.push((url, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    pages
}

fn bench_extraction() {
    let pages = fixture_pages();
    let bytes: usize = pages.iter().map(|(_, html)| html.len()).sum();
    let started = Instant::now();
    let mut rounds = 0;
    let mut found = 0;
    while started.elapsed() < Duration::from_secs(3) {
        for (url, html) in &pages {
            found += extract(url, html).emails.len();
        }
        rounds += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    let mb = (bytes * rounds) as f64 / 1e6;
    println!(
        "extraction: {} pages ({:.0} KB) × {rounds} rounds in {seconds:.2} s = {:.1} MB/s of HTML, {:.0} pages/s ({found} emails found)",
        pages.len(),
        bytes as f64 / 1e3,
        mb / seconds,
        (pages.len() * rounds) as f64 / seconds
    );
}

/// Page `n` of the synthetic site: some text, and links to the next few pages.
fn site_page(n: usize) -> String {
    let links: String =
        (1..=8).map(|k| format!("<a href=\"/p/{}\">page {}</a> ", (n * 8 + k) % SITE_PAGES, (n * 8 + k) % SITE_PAGES)).collect();
    let filler = "<p>Quarry benchmark page with some ordinary paragraph text about products and people.</p>".repeat(80);
    format!("<!doctype html><html><head><title>Page {n}</title></head><body><h1>Page {n}</h1>{links}{filler}</body></html>")
}

async fn bench_crawl() {
    let app = axum::Router::new()
        .route("/robots.txt", axum::routing::get(|| async { "User-agent: *\nAllow: /\n" }))
        .route("/", axum::routing::get(|| async { axum::response::Html(site_page(0)) }))
        .route("/p/{n}", axum::routing::get(|Path(n): Path<usize>| async move { axum::response::Html(site_page(n)) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let hosts = Arc::new([("bench.example".to_string(), [127, 0, 0, 1].into())].into_iter().collect());
    let fetcher = Fetcher::with_hosts(TargetPolicy::LoopbackOnly, FetchLimits::ATTACHMENT, hosts);
    let config = CrawlConfig {
        max_depth: 3,
        max_pages: SITE_PAGES,
        max_bytes: 100 * 1024 * 1024,
        per_host_concurrency: 4,
        per_host_delay: Duration::ZERO,
        use_sitemaps: false,
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(fetcher, config);
    let start = Url::parse(&format!("http://bench.example:{port}/")).unwrap();
    let started = Instant::now();
    let crawl = crawler.crawl_site(&start).await;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "crawl: {} pages ({:.1} MB) in {seconds:.2} s = {:.0} pages/s (depth 3, 4 in flight, no delay, loopback)",
        crawl.pages.len(),
        crawl.bytes as f64 / 1e6,
        crawl.pages.len() as f64 / seconds
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    bench_extraction();
    bench_crawl().await;
}

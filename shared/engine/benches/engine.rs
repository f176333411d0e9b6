//! Throughput of the research engine on this machine:
//! - extraction: every page of the fixture web (`tests/fixtures/web`) run through `extract`
//!   repeatedly, reported in MB of HTML per second, and in the same run the Python baseline
//!   (`../shared/perf/py_extract.py`: lxml + phonenumbers + extruct) on the same directory, with
//!   the ratio. The machine is shared and noisy, so only a ratio measured in one run means anything.
//! - crawling: a 300-page site on a loopback server (each page ~8 KB, linking to 8 others)
//!   crawled to depth 3 with politeness delay off and 4 requests in flight, in pages per second.
//!
//! Run: `cargo bench -p quarry-engine --bench engine`. The baseline runs when a Python with lxml,
//! phonenumbers and extruct is found: `QUARRY_PY_EXTRACT_PYTHON`, else `<repo>/.venv/bin/python`,
//! else `python3`; the script is `QUARRY_PY_EXTRACT` or `<repo>/../shared/perf/py_extract.py`.
//! `QUARRY_EXTRACT_SECONDS` sets how long each side runs (default 3).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Path;
use quarry_engine::crawl::{CrawlConfig, Crawler};
use quarry_engine::extract::extract;
use quarry_engine::net::{FetchLimits, Fetcher, TargetPolicy};
use url::Url;

/// Pages of the synthetic crawl site.
const SITE_PAGES: usize = 300;

fn fixture_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/web")
}

fn fixture_pages() -> Vec<(Url, String)> {
    let root = fixture_root();
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

/// How long each side of the extraction comparison runs.
fn extract_seconds() -> f64 {
    std::env::var("QUARRY_EXTRACT_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3.0)
}

/// Quarry's extraction throughput in MB/s. One untimed round first, as the Python side has its
/// imports done before it starts timing: lazily built regexes and metadata are start-up, not throughput.
fn bench_extraction(seconds: f64) -> f64 {
    let pages = fixture_pages();
    let bytes: usize = pages.iter().map(|(_, html)| html.len()).sum();
    pages.iter().for_each(|(url, html)| drop(extract(url, html)));
    let started = Instant::now();
    let mut rounds = 0;
    let mut found = 0;
    while started.elapsed().as_secs_f64() < seconds {
        for (url, html) in &pages {
            found += extract(url, html).emails.len();
        }
        rounds += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mb_per_s = (bytes * rounds) as f64 / 1e6 / elapsed;
    println!(
        "extraction: {} pages ({:.0} KB) × {rounds} rounds in {elapsed:.2} s = {mb_per_s:.1} MB/s of HTML, {:.0} pages/s ({found} emails found)",
        pages.len(),
        bytes as f64 / 1e3,
        (pages.len() * rounds) as f64 / elapsed
    );
    mb_per_s
}

/// The repository root (this crate is `shared/engine`).
fn repo_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The first Python that imports the baseline's modules.
fn baseline_python() -> Option<PathBuf> {
    let candidates = std::env::var_os("QUARRY_PY_EXTRACT_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo_root().join(".venv/bin/python"), PathBuf::from("python3")]);
    candidates.into_iter().find(|python| {
        let probe = Command::new(python).args(["-c", "import lxml.html, phonenumbers, extruct"]).output();
        probe.is_ok_and(|out| out.status.success())
    })
}

/// py_extract's MB/s on the fixture web, or `None` (said why) when it cannot run here.
fn bench_python_baseline(seconds: f64) -> Option<f64> {
    let script =
        std::env::var_os("QUARRY_PY_EXTRACT").map(PathBuf::from).unwrap_or_else(|| repo_root().join("../shared/perf/py_extract.py"));
    if !script.is_file() {
        println!("py_extract: {} not found (set QUARRY_PY_EXTRACT); no ratio", script.display());
        return None;
    }
    let Some(python) = baseline_python() else {
        println!(
            "py_extract: no Python with lxml, phonenumbers and extruct; no ratio. Install them with \
             `python3 -m venv .venv && .venv/bin/pip install lxml phonenumbers extruct` or set QUARRY_PY_EXTRACT_PYTHON"
        );
        return None;
    };
    let out = Command::new(&python).arg(&script).arg(fixture_root()).arg(seconds.to_string()).output().ok()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    if !out.status.success() {
        println!("py_extract failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        return None;
    }
    // "... = 3.41 MB/s (...)"
    stdout.split(" = ").nth(1)?.split_whitespace().next()?.parse().ok()
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
    let seconds = extract_seconds();
    let quarry = bench_extraction(seconds);
    if let Some(python) = bench_python_baseline(seconds) {
        println!("extraction ratio: Quarry {quarry:.1} MB/s / py_extract {python:.2} MB/s = {:.1}x (target ≥ 10x)", quarry / python);
    }
    bench_crawl().await;
}

//! End-to-end crawler tests against real HTTP servers on 127.0.0.1 that count what they are asked for.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::Router;

use super::*;
use crate::net::{TargetPolicy, USER_AGENT};

/// One canned response.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

fn html(body: &str) -> Reply {
    Reply { status: 200, headers: vec![("content-type", "text/html; charset=utf-8".into())], body: body.into(), delay: Duration::ZERO }
}

fn typed(content_type: &str, body: &[u8]) -> Reply {
    Reply { status: 200, headers: vec![("content-type", content_type.into())], body: body.to_vec(), delay: Duration::ZERO }
}

fn text(body: &str) -> Reply {
    typed("text/plain", body.as_bytes())
}

fn status(code: u16) -> Reply {
    Reply { status: code, headers: Vec::new(), body: Vec::new(), delay: Duration::ZERO }
}

fn redirect(to: &str) -> Reply {
    Reply { status: 302, headers: vec![("location", to.into())], body: Vec::new(), delay: Duration::ZERO }
}

fn links(hrefs: &[&str]) -> Reply {
    html(&hrefs.iter().map(|href| format!("<a href=\"{href}\">{href}</a>\n")).collect::<String>())
}

#[derive(Default)]
struct Log {
    /// Arrival times per path (with query).
    hits: Mutex<HashMap<String, Vec<Instant>>>,
    /// `User-Agent` of every request.
    agents: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

struct Shared {
    routes: HashMap<String, Reply>,
    log: Log,
}

struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Server {
    /// Serves the routes `make` returns given the server's base URL (`http://127.0.0.1:port`); others are 404.
    async fn spawn(make: impl FnOnce(&str) -> Vec<(&'static str, Reply)>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes = make(&format!("http://{addr}")).into_iter().map(|(path, reply)| (path.to_owned(), reply)).collect();
        let shared = Arc::new(Shared { routes, log: Log::default() });
        let router = Router::new().fallback(serve).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Server { addr, shared }
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).unwrap()
    }

    fn hits(&self, path: &str) -> usize {
        self.shared.log.hits.lock().unwrap().get(path).map_or(0, Vec::len)
    }

    fn times(&self, path: &str) -> Vec<Instant> {
        self.shared.log.hits.lock().unwrap().get(path).cloned().unwrap_or_default()
    }

    fn total_hits(&self) -> usize {
        self.shared.log.hits.lock().unwrap().values().map(Vec::len).sum()
    }

    fn max_in_flight(&self) -> usize {
        self.shared.log.max_in_flight.load(Ordering::SeqCst)
    }

    fn agents(&self) -> Vec<String> {
        self.shared.log.agents.lock().unwrap().clone()
    }
}

async fn serve(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path_and_query().map_or("/".to_owned(), |pq| pq.as_str().to_owned());
    let log = &shared.log;
    log.hits.lock().unwrap().entry(path.clone()).or_default().push(Instant::now());
    let agent = request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    log.agents.lock().unwrap().push(agent);
    let now = log.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    log.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let reply = shared.routes.get(&path).cloned().unwrap_or_else(|| status(404));
    tokio::time::sleep(reply.delay).await;
    log.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        response = response.header(*name, value.as_str());
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// Fast defaults for tests: no delay, small pages, short timeouts.
fn config() -> CrawlConfig {
    CrawlConfig {
        per_host_delay: Duration::ZERO,
        page_limits: FetchLimits {
            max_bytes: 64 * 1024,
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            max_redirects: 3,
        },
        ..CrawlConfig::default()
    }
}

fn crawler(config: CrawlConfig) -> Crawler {
    Crawler::new(Fetcher::new(TargetPolicy::AllowLoopback, FetchLimits::ATTACHMENT), config)
}

fn paths(pages: &[CrawledPage]) -> Vec<String> {
    pages.iter().map(|page| page.url.path().to_owned() + &page.url.query().map(|q| format!("?{q}")).unwrap_or_default()).collect()
}

fn skipped_with<'a>(crawl: &'a SiteCrawl, reason: &SkipReason) -> Vec<&'a str> {
    crawl.skipped.iter().filter(|s| &s.reason == reason).map(|s| s.url.path()).collect()
}

#[tokio::test]
async fn robots_disallowed_pages_are_never_requested() {
    let server = Server::spawn(|_| {
        vec![
            (
                "/robots.txt",
                text(
                    "User-agent: *\nDisallow: /\n\n\
                     User-agent: Quarry\nDisallow: /private\nAllow: /private/ok\nDisallow: /*.php$\nDisallow: /tie\nAllow: /tie\n",
                ),
            ),
            ("/", links(&["/public", "/private/secret", "/private/ok", "/index.php", "/index.php?x=1", "/tie"])),
            ("/public", html("public")),
            ("/private/secret", html("secret")),
            ("/private/ok", html("ok")),
            ("/index.php", html("php")),
            ("/index.php?x=1", html("php with query")),
            ("/tie", html("tie")),
        ]
    })
    .await;
    let crawler = crawler(config());
    let crawl = crawler.crawl_site(&server.url("/")).await;
    assert_eq!(paths(&crawl.pages), ["/", "/public", "/private/ok", "/index.php?x=1", "/tie"]);
    assert_eq!(skipped_with(&crawl, &SkipReason::RobotsDisallowed), ["/private/secret", "/index.php"]);
    assert_eq!(server.hits("/private/secret"), 0);
    assert_eq!(server.hits("/index.php"), 0);

    // The bulk path obeys the same cached rules.
    let outcomes = crawler.fetch_pages(&[server.url("/private/secret"), server.url("/public#top")]).await;
    assert_eq!(outcomes[0], PageOutcome::Skipped(Skipped { url: server.url("/private/secret"), reason: SkipReason::RobotsDisallowed }));
    assert!(matches!(&outcomes[1], PageOutcome::Page(page) if page.html == "public" && page.requested == server.url("/public")));
    assert_eq!(server.hits("/private/secret"), 0);
    assert_eq!(server.hits("/robots.txt"), 1, "robots.txt is fetched once per host");
}

#[tokio::test]
async fn sends_the_net_user_agent() {
    let server = Server::spawn(|_| vec![("/", links(&["/a"])), ("/a", html("a"))]).await;
    crawler(config()).crawl_site(&server.url("/")).await;
    let agents = server.agents();
    // robots.txt, /, sitemap.xml, /a
    assert_eq!(agents.len(), 4, "{agents:?}");
    assert!(agents.iter().all(|agent| agent == USER_AGENT), "{agents:?}");
}

#[tokio::test]
async fn robots_404_allows_everything() {
    let server = Server::spawn(|_| vec![("/", links(&["/a", "/b"])), ("/a", html("a")), ("/b", html("b"))]).await;
    let crawl = crawler(config()).crawl_site(&server.url("/")).await;
    assert_eq!(paths(&crawl.pages), ["/", "/a", "/b"]);
    assert!(crawl.skipped.is_empty(), "{:?}", crawl.skipped);
    assert_eq!(server.hits("/robots.txt"), 1);
}

#[tokio::test]
async fn robots_500_disallows_the_whole_host() {
    let server = Server::spawn(|_| vec![("/robots.txt", status(500)), ("/", links(&["/a"])), ("/a", html("a"))]).await;
    let crawler = crawler(config());
    let crawl = crawler.crawl_site(&server.url("/")).await;
    assert!(crawl.pages.is_empty());
    assert_eq!(skipped_with(&crawl, &SkipReason::RobotsDisallowed), ["/"]);
    let outcomes = crawler.fetch_pages(&[server.url("/a")]).await;
    assert!(matches!(&outcomes[0], PageOutcome::Skipped(Skipped { reason: SkipReason::RobotsDisallowed, .. })));
    assert_eq!(server.hits("/robots.txt"), 1);
    assert_eq!(server.total_hits(), 1, "nothing but robots.txt was requested");
}

#[tokio::test]
async fn crawl_delay_raises_the_gap_between_requests() {
    let delay = Duration::from_millis(300);
    let server =
        Server::spawn(|_| vec![("/robots.txt", text("User-agent: *\nCrawl-delay: 0.3\n")), ("/", links(&["/a"])), ("/a", html("a"))]).await;
    let crawler = crawler(CrawlConfig { per_host_delay: Duration::from_millis(10), ..config() });
    crawler.crawl_site(&server.url("/")).await;
    let mut times: Vec<Instant> = ["/robots.txt", "/", "/sitemap.xml", "/a"].iter().flat_map(|path| server.times(path)).collect();
    times.sort();
    assert_eq!(times.len(), 4);
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        // Starts are spaced on the client; allow for a little jitter in when each request reaches the server.
        assert!(gap + Duration::from_millis(15) >= delay, "gap {gap:?} is shorter than the crawl delay");
    }

    assert_eq!(crawler.inner.delay_for(&Robots::parse("User-agent: *\nCrawl-delay: 0.3", "quarry", &server.url("/"))), delay);
    // A huge Crawl-delay is capped, and a config delay larger than Crawl-delay stands.
    let robots = Robots::parse("User-agent: *\nCrawl-delay: 3600", "quarry", &server.url("/"));
    assert_eq!(crawler.inner.delay_for(&robots), MAX_CRAWL_DELAY);
    let slow = self::crawler(CrawlConfig { per_host_delay: Duration::from_secs(1), ..config() });
    assert_eq!(slow.inner.delay_for(&Robots::parse("User-agent: *\nCrawl-delay: 0.3", "quarry", &server.url("/"))), Duration::from_secs(1));
}

#[tokio::test]
async fn per_host_concurrency_is_never_exceeded() {
    let slow = |body: &str| Reply { delay: Duration::from_millis(100), ..html(body) };
    let server = Server::spawn(|_| {
        let mut routes = vec![("/", links(&["/p1", "/p2", "/p3", "/p4", "/p5", "/p6"]))];
        for path in ["/p1", "/p2", "/p3", "/p4", "/p5", "/p6"] {
            routes.push((path, slow(path)));
        }
        routes
    })
    .await;
    let crawler = crawler(config());
    let urls: Vec<Url> = (1..=6).map(|n| server.url(&format!("/p{n}"))).collect();
    let (start, pair) = (server.url("/"), [server.url("/p1"), server.url("/p2")]);
    let (crawl, outcomes, more) = tokio::join!(
        crawler.crawl_site(&start),
        tokio::spawn({
            let crawler = crawler.clone();
            async move { crawler.fetch_pages(&urls).await }
        }),
        crawler.fetch_pages(&pair),
    );
    assert_eq!(crawl.pages.len(), 7);
    assert!(outcomes.unwrap().iter().all(|o| matches!(o, PageOutcome::Page(_))));
    assert!(more.iter().all(|o| matches!(o, PageOutcome::Page(_))));
    assert_eq!(server.max_in_flight(), 2, "two requests at a time, no more (and no fewer)");
    assert_eq!(server.hits("/robots.txt"), 1, "concurrent tasks share one robots.txt fetch");

    let single = self::crawler(CrawlConfig { per_host_concurrency: 1, ..config() });
    let server = Server::spawn(|_| vec![("/", links(&["/a", "/b", "/c"])), ("/a", slow("a")), ("/b", slow("b")), ("/c", slow("c"))]).await;
    assert_eq!(single.crawl_site(&server.url("/")).await.pages.len(), 4);
    assert_eq!(server.max_in_flight(), 1);
}

#[tokio::test]
async fn depth_limits_link_following() {
    let routes = |_: &str| vec![("/", links(&["/a"])), ("/a", links(&["/b"])), ("/b", links(&["/c"])), ("/c", html("c"))];
    for (depth, expected) in [(0, vec!["/"]), (1, vec!["/", "/a"]), (2, vec!["/", "/a", "/b"])] {
        let server = Server::spawn(routes).await;
        let crawl = crawler(CrawlConfig { max_depth: depth, ..config() }).crawl_site(&server.url("/")).await;
        assert_eq!(paths(&crawl.pages), expected, "depth {depth}");
        assert_eq!(crawl.pages.iter().map(|p| p.depth).collect::<Vec<_>>(), (0..=depth).collect::<Vec<_>>());
        for path in ["/a", "/b", "/c"].into_iter().skip(usize::from(depth)) {
            assert_eq!(server.hits(path), 0, "depth {depth} must not fetch {path}");
        }
    }
}

#[tokio::test]
async fn sitemap_index_leads_to_unlinked_pages() {
    let server = Server::spawn(|base| {
        vec![
            ("/robots.txt", text("User-agent: *\nDisallow: /blocked\n\nSitemap: /sitemap_index.xml\n")),
            ("/", html("<p>No links here</p>")),
            (
                "/sitemap_index.xml",
                typed(
                    "application/xml",
                    format!(
                        r#"<?xml version="1.0" encoding="UTF-8"?>
                        <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
                          <sitemap><loc>{base}/nested_index.xml</loc></sitemap>
                          <sitemap><loc>https://elsewhere.example/sitemap.xml</loc></sitemap>
                        </sitemapindex>"#
                    )
                    .as_bytes(),
                ),
            ),
            (
                "/nested_index.xml",
                typed(
                    "text/xml",
                    format!(
                        r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
                          <sitemap><loc>{base}/pages.xml</loc></sitemap></sitemapindex>"#
                    )
                    .as_bytes(),
                ),
            ),
            (
                "/pages.xml",
                typed(
                    "application/xml",
                    format!(
                        r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
                          <url><loc>{base}/hidden-1</loc></url>
                          <url><loc>{base}/hidden-2</loc></url>
                          <url><loc>{base}/</loc></url>
                          <url><loc>{base}/brochure.pdf</loc></url>
                          <url><loc>{base}/blocked</loc></url>
                          <url><loc>https://elsewhere.example/page</loc></url>
                        </urlset>"#
                    )
                    .as_bytes(),
                ),
            ),
            ("/hidden-1", html("one")),
            ("/hidden-2", html("two")),
            ("/blocked", html("blocked")),
        ]
    })
    .await;
    let crawl = crawler(config()).crawl_site(&server.url("/")).await;
    assert_eq!(paths(&crawl.pages), ["/", "/hidden-1", "/hidden-2"]);
    assert_eq!(crawl.pages.iter().map(|p| p.depth).collect::<Vec<_>>(), [0, 1, 1]);
    let off_site: Vec<String> = crawl.skipped.iter().filter(|s| s.reason == SkipReason::OffSite).map(|s| s.url.to_string()).collect();
    assert_eq!(off_site, ["https://elsewhere.example/page"]);
    assert_eq!(skipped_with(&crawl, &SkipReason::RobotsDisallowed), ["/blocked"]);
    assert_eq!(server.hits("/blocked"), 0);
    assert_eq!(server.hits("/brochure.pdf"), 0);
    assert_eq!(server.hits("/sitemap.xml"), 0, "robots.txt named the sitemaps");
    assert_eq!(server.hits("/"), 1);

    // Without Sitemap lines, /sitemap.xml is tried; with sitemaps off, not even that.
    let server = Server::spawn(|base| {
        vec![
            ("/", html("home")),
            ("/sitemap.xml", typed("application/xml", format!("<urlset><url><loc>{base}/only-in-sitemap</loc></url></urlset>").as_bytes())),
            ("/only-in-sitemap", html("found")),
        ]
    })
    .await;
    let crawl = crawler(config()).crawl_site(&server.url("/")).await;
    assert_eq!(paths(&crawl.pages), ["/", "/only-in-sitemap"]);
    let crawl = crawler(CrawlConfig { use_sitemaps: false, ..config() }).crawl_site(&server.url("/")).await;
    assert_eq!(paths(&crawl.pages), ["/"]);
    assert_eq!(server.hits("/sitemap.xml"), 1);
}

#[tokio::test]
async fn sitemap_listing_reads_a_named_sitemap_or_the_sites() {
    let server = Server::spawn(|base| {
        let urlset = |pages: &[&str]| {
            let locs: String = pages.iter().map(|p| format!("<url><loc>{base}{p}</loc></url>")).collect();
            typed("application/xml", format!("<urlset>{locs}</urlset>").as_bytes())
        };
        vec![
            ("/robots.txt", text("User-agent: *\nDisallow: /private/\n\nSitemap: /listed.xml\n")),
            ("/listed.xml", urlset(&["/a", "/b", "/c"])),
            ("/other.xml", urlset(&["/x", "/y"])),
            ("/private/hidden.xml", urlset(&["/never"])),
        ]
    })
    .await;
    let crawler = crawler(config());
    let names = |urls: Vec<Url>| urls.iter().map(|u| u.path().to_string()).collect::<Vec<_>>();
    let (named, _) = crawler.sitemap_listing(&server.url("/other.xml"), 100).await;
    assert_eq!(names(named), ["/x", "/y"], "a sitemap file is read as given");
    let (site, _) = crawler.sitemap_listing(&server.url("/"), 2).await;
    assert_eq!(names(site), ["/a", "/b"], "a site's sitemaps come from robots.txt, up to the limit");
    let (blocked, _) = crawler.sitemap_listing(&server.url("/private/hidden.xml"), 100).await;
    assert!(blocked.is_empty(), "robots.txt disallows reading it");
    assert_eq!(server.hits("/private/hidden.xml"), 0);
    let (missing, _) = crawler.sitemap_listing(&server.url("/nothing.xml"), 100).await;
    assert!(missing.is_empty());
}

#[tokio::test]
async fn page_cap_stops_requests() {
    let server = Server::spawn(|_| {
        let mut routes = vec![("/", links(&["/p1", "/p2", "/p3", "/p4", "/p5", "/p6"]))];
        for path in ["/p1", "/p2", "/p3", "/p4", "/p5", "/p6"] {
            routes.push((path, html(path)));
        }
        routes
    })
    .await;
    let crawl = crawler(CrawlConfig { max_pages: 3, ..config() }).crawl_site(&server.url("/")).await;
    assert_eq!(paths(&crawl.pages), ["/", "/p1", "/p2"]);
    assert_eq!(skipped_with(&crawl, &SkipReason::PageCap), ["/p3", "/p4", "/p5", "/p6"]);
    for path in ["/p3", "/p4", "/p5", "/p6"] {
        assert_eq!(server.hits(path), 0, "{path}");
    }
}

#[tokio::test]
async fn byte_cap_stops_requests() {
    let kilobyte = "x".repeat(1000);
    let server = Server::spawn(|_| {
        let mut routes = vec![("/", links(&["/p1", "/p2", "/p3", "/p4", "/p5", "/p6"]))];
        for path in ["/p1", "/p2", "/p3", "/p4", "/p5", "/p6"] {
            routes.push((path, html(&kilobyte)));
        }
        routes
    })
    .await;
    let config = CrawlConfig { max_bytes: 2500, per_host_concurrency: 1, use_sitemaps: false, ..config() };
    let crawl = crawler(config).crawl_site(&server.url("/")).await;
    // The start page is ~150 bytes, so /p1 and /p2 leave the total under 2500 and /p3 crosses it.
    assert_eq!(paths(&crawl.pages), ["/", "/p1", "/p2", "/p3"]);
    assert_eq!(skipped_with(&crawl, &SkipReason::ByteCap), ["/p4", "/p5", "/p6"]);
    let body_bytes: u64 = crawl.pages.iter().map(|p| p.html.len() as u64).sum();
    assert_eq!(crawl.bytes, body_bytes);
    assert!(crawl.bytes >= 2500 && crawl.bytes < 3500, "{}", crawl.bytes);
    assert_eq!(server.hits("/p4") + server.hits("/p5") + server.hits("/p6"), 0);
}

#[tokio::test]
async fn non_html_responses_are_skipped() {
    let server = Server::spawn(|_| {
        vec![
            ("/", links(&["/data", "/image", "/bare", "/brochure.pdf", "/big"])),
            ("/data", typed("application/json", b"{\"a\":1}")),
            ("/image", typed("image/png", b"\x89PNG\r\n")),
            ("/bare", Reply { status: 200, headers: Vec::new(), body: b"<!DOCTYPE html><p>sniffed</p>".to_vec(), delay: Duration::ZERO }),
            ("/brochure.pdf", typed("text/html", b"never asked for")),
            ("/big", html(&"x".repeat(70 * 1024))),
        ]
    })
    .await;
    let crawler = crawler(config());
    let crawl = crawler.crawl_site(&server.url("/")).await;
    assert_eq!(paths(&crawl.pages), ["/", "/bare"]);
    assert_eq!(skipped_with(&crawl, &SkipReason::NotHtml("application/json".into())), ["/data"]);
    assert_eq!(skipped_with(&crawl, &SkipReason::NotHtml("image/png".into())), ["/image"]);
    assert_eq!(skipped_with(&crawl, &SkipReason::TooLarge), ["/big"]);
    assert_eq!(server.hits("/brochure.pdf"), 0, "obvious assets are not requested");

    // Explicit URLs are fetched whatever their extension, and checked by content type.
    let outcomes = crawler.fetch_pages(&[server.url("/brochure.pdf"), server.url("/data"), server.url("/missing")]).await;
    assert!(matches!(&outcomes[0], PageOutcome::Page(p) if p.html == "never asked for" && p.content_type == "text/html"));
    assert!(
        matches!(&outcomes[1], PageOutcome::Skipped(Skipped { reason: SkipReason::NotHtml(media), .. }) if media == "application/json")
    );
    match &outcomes[2] {
        PageOutcome::Skipped(Skipped { reason: SkipReason::Fetch(error), .. }) => assert!(error.contains("HTTP status 404"), "{error}"),
        other => panic!("expected a fetch error, got {other:?}"),
    }
}

#[tokio::test]
async fn charsets_are_decoded() {
    let server = Server::spawn(|_| {
        vec![
            ("/latin1", typed("text/html; charset=ISO-8859-1", b"<p>Caf\xe9 M\xfcller</p>")),
            ("/meta", typed("text/html", b"<html><head><meta charset=\"windows-1252\"></head><p>\x80 5 \x93ok\x94</p>")),
            (
                "/http-equiv",
                typed("text/html", b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"><p>Fran\xe7ois</p>"),
            ),
            ("/utf8", typed("application/xhtml+xml", "<p>Zoë</p>".as_bytes())),
        ]
    })
    .await;
    let outcomes =
        crawler(config()).fetch_pages(&[server.url("/latin1"), server.url("/meta"), server.url("/http-equiv"), server.url("/utf8")]).await;
    let texts: Vec<&str> = outcomes
        .iter()
        .map(|o| match o {
            PageOutcome::Page(page) => page.html.as_str(),
            other => panic!("expected a page, got {other:?}"),
        })
        .collect();
    assert_eq!(texts[0], "<p>Café Müller</p>");
    assert!(texts[1].ends_with("<p>€ 5 \u{201c}ok\u{201d}</p>"), "{}", texts[1]);
    assert!(texts[2].ends_with("<p>François</p>"), "{}", texts[2]);
    assert_eq!(texts[3], "<p>Zoë</p>");
}

#[tokio::test]
async fn off_site_links_and_redirects_are_not_followed() {
    let other = Server::spawn(|_| vec![("/page", html("other")), ("/landing", links(&["/deeper"])), ("/deeper", html("deeper"))]).await;
    let elsewhere = format!("http://{}", other.addr);
    let server = Server::spawn(|base| {
        vec![
            (
                "/",
                html(&format!(r#"<a href="{elsewhere}/page">x</a><a href="/away">y</a><a href="/moved">z</a><a href="{base}/same">w</a>"#)),
            ),
            ("/away", redirect(&format!("{elsewhere}/landing"))),
            ("/moved", redirect("/new")),
            ("/new", links(&["/from-new"])),
            ("/same", html("same")),
            ("/from-new", html("from new")),
        ]
    })
    .await;
    let crawl = crawler(CrawlConfig { max_depth: 2, ..config() }).crawl_site(&server.url("/")).await;
    assert_eq!(other.hits("/page"), 0, "an off-site link is not followed");
    assert_eq!(other.hits("/deeper"), 0, "a page reached by an off-site redirect is not mined for links");
    let away = crawl.pages.iter().find(|p| p.requested == server.url("/away")).expect("the redirected page is kept");
    assert_eq!(away.url, other.url("/landing"));
    let moved = crawl.pages.iter().find(|p| p.requested == server.url("/moved")).expect("same-site redirect");
    assert_eq!(moved.url, server.url("/new"));
    assert_eq!(server.hits("/from-new"), 1, "links of a same-site redirect target are followed");
    assert_eq!(server.hits("/same"), 1);
    assert_eq!(crawl.pages.len(), 5);
}

#[tokio::test]
async fn the_guard_still_applies() {
    let server = Server::spawn(|_| vec![("/", html("home"))]).await;
    let public_only = Crawler::with_policy(TargetPolicy::PublicOnly, config());
    let crawl = public_only.crawl_site(&server.url("/")).await;
    assert!(crawl.pages.is_empty());
    match &crawl.skipped[..] {
        [Skipped { reason: SkipReason::Fetch(error), .. }] => assert!(error.starts_with("Refused to fetch"), "{error}"),
        other => panic!("expected one refusal, got {other:?}"),
    }
    let outcomes = public_only.fetch_pages(&[server.url("/"), Url::parse("ftp://127.0.0.1/x").unwrap()]).await;
    assert!(matches!(&outcomes[0], PageOutcome::Skipped(Skipped { reason: SkipReason::Fetch(e), .. }) if e.starts_with("Refused")));
    assert!(
        matches!(&outcomes[1], PageOutcome::Skipped(Skipped { reason: SkipReason::Fetch(e), .. }) if e.contains("only http and https"))
    );
    assert_eq!(server.total_hits(), 0);
}

#[tokio::test]
async fn page_time_limit_applies_on_top_of_the_fetchers() {
    let server =
        Server::spawn(|_| vec![("/slow", Reply { delay: Duration::from_secs(3), ..html("late") }), ("/quick", html("quick"))]).await;
    // The fetcher itself would wait 30 s (FetchLimits::ATTACHMENT).
    let limits = FetchLimits { timeout: Duration::from_millis(300), ..config().page_limits };
    let crawler = crawler(CrawlConfig { page_limits: limits, ..config() });
    let started = Instant::now();
    let outcomes = crawler.fetch_pages(&[server.url("/slow"), server.url("/quick")]).await;
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    match &outcomes[0] {
        PageOutcome::Skipped(Skipped { reason: SkipReason::Fetch(error), .. }) => {
            assert!(error.contains("did not respond in time"), "{error}")
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(matches!(&outcomes[1], PageOutcome::Page(page) if page.html == "quick"));
}

#[tokio::test]
async fn realistic_host_names_through_the_fetchers_overrides() {
    // Every request uses the given fetcher's host overrides, so a fixture web can use real-looking names; the
    // bare name and `www.` are one site, another name is not.
    let server = Server::spawn(|base| {
        let port = base.rsplit(':').next().unwrap().to_owned();
        let team = format!("http://acme.test:{port}/team");
        let other = format!("http://other.test:{port}/elsewhere");
        vec![("/", links(&["/about", &team, &other])), ("/about", html("about")), ("/team", html("team")), ("/elsewhere", html("no"))]
    })
    .await;
    let port = server.addr.port();
    let ip = server.addr.ip();
    let hosts: crate::net::HostOverrides =
        Arc::new([("acme.test".to_owned(), ip), ("www.acme.test".to_owned(), ip), ("other.test".to_owned(), ip)].into_iter().collect());
    let fetcher = Fetcher::with_hosts(TargetPolicy::AllowLoopback, config().page_limits, hosts);
    let crawl = Crawler::new(fetcher, config()).crawl_site(&Url::parse(&format!("http://www.acme.test:{port}/")).unwrap()).await;
    let urls: Vec<String> = crawl.pages.iter().map(|p| p.url.to_string()).collect();
    assert_eq!(
        urls,
        [format!("http://www.acme.test:{port}/"), format!("http://www.acme.test:{port}/about"), format!("http://acme.test:{port}/team")]
    );
    assert_eq!(server.hits("/elsewhere"), 0);
    // One robots.txt per origin: www.acme.test and acme.test.
    assert_eq!(server.hits("/robots.txt"), 2);
}

#[test]
fn crawler_is_shareable_and_its_futures_are_send() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let crawler = crawler(config());
    send_sync(&crawler);
    let start = Url::parse("http://127.0.0.1/").unwrap();
    send(crawler.crawl_site(&start));
    send(crawler.fetch_pages(&[]));
    let defaults = CrawlConfig::default();
    assert_eq!(
        (defaults.max_depth, defaults.max_pages, defaults.max_bytes, defaults.per_host_concurrency, defaults.per_host_delay),
        (1, 50, 10 * 1024 * 1024, 2, Duration::from_millis(250))
    );
    assert_eq!(
        (defaults.page_limits.max_bytes, defaults.page_limits.timeout, defaults.page_limits.max_redirects),
        (2 << 20, Duration::from_secs(10), 5)
    );
    assert!(defaults.use_sitemaps);
}

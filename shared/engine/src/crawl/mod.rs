//! The polite, bounded crawler: fetches a company's site (or a given list of pages) so extraction has HTML to read.
//!
//! Every request goes through [`crate::net::Fetcher`], so the server-side request forgery guard, the redirect cap,
//! the per-page size and time limits and the `User-Agent` ([`crate::net::USER_AGENT`]) apply to all of them. On top
//! of that the crawler is a good citizen of the sites it visits:
//!
//! - **robots.txt** is fetched once per origin and cached (24 h; 10 min for failures) and obeyed before every
//!   request: a disallowed page is never requested. A 4xx robots.txt allows everything; a 5xx or an unreachable one
//!   disallows the whole origin (module `robots` has the rules).
//! - **Politeness**: at most [`CrawlConfig::per_host_concurrency`] requests in flight per host, and request starts to
//!   one host at least [`CrawlConfig::per_host_delay`] apart, raised to the site's robots `Crawl-delay` when that is
//!   larger (capped at [`MAX_CRAWL_DELAY`]). The limits are shared by every task using one [`Crawler`].
//! - **Bounds per site**: [`CrawlConfig::max_pages`] page requests and [`CrawlConfig::max_bytes`] of page bodies.
//!
//! A site crawl is a breadth-first walk from the start page (depth 0) along same-site links (same host once `www.`
//! is removed; see module `links`) up to [`CrawlConfig::max_depth`] hops. Sitemaps (from robots.txt `Sitemap:` lines, else
//! `/sitemap.xml`, following nested indexes a few levels) add pages nobody links to: they join the depth-1 frontier
//! after the start page's own links, which usually are the pages lead research wants (about, team, contact).
//! Only `text/html` and `application/xhtml+xml` responses become pages, decoded to text by their declared charset
//! (module `charset`); everything not fetched or not kept is reported in [`SiteCrawl::skipped`] with a reason.

mod charset;
mod links;
mod politeness;
mod robots;
mod sitemap;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use url::Url;

use crate::net::{FetchError, FetchLimits, Fetched, Fetcher, TargetPolicy};
use politeness::Politeness;
use robots::{Robots, RobotsCache};

/// The longest robots `Crawl-delay` honoured; a site asking for more gets this (it would otherwise stall a job
/// for minutes per page).
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(10);

/// Deepest link-following allowed; larger [`CrawlConfig::max_depth`] values are treated as this.
pub const MAX_DEPTH: u8 = 3;

/// Most sitemap files fetched for one site crawl (indexes and their children together).
const MAX_SITEMAP_FILES: usize = 10;

/// Nesting followed below the first sitemap: index → index → urlset.
const MAX_SITEMAP_LEVELS: usize = 3;

/// Sitemap bodies may be larger than pages (the protocol allows 50 MB); this is the most accepted (and no more than
/// the fetcher's own limit).
const SITEMAP_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// `<loc>` entries read from one sitemap file (the protocol's own maximum).
const MAX_SITEMAP_ENTRIES: usize = 50_000;

/// Most pages [`Crawler::fetch_pages`] has in flight at once, across all hosts (each host is still limited by
/// [`CrawlConfig::per_host_concurrency`]).
const MAX_PARALLEL_FETCHES: usize = 16;

/// How a crawl is bounded and paced.
#[derive(Clone, Debug)]
pub struct CrawlConfig {
    /// Link hops followed from the start page (0 = the start page only; 1–3 is the useful range; above
    /// [`MAX_DEPTH`] counts as [`MAX_DEPTH`]). Sitemap pages count as one hop.
    pub max_depth: u8,
    /// Most page requests per site crawl, whatever their outcome (robots.txt and sitemap requests not included).
    pub max_pages: usize,
    /// Most page-body bytes downloaded per site crawl. Checked before each request, so the page that crosses it is
    /// still kept; pages already in flight may add up to `per_host_concurrency × page_limits.max_bytes` more.
    pub max_bytes: u64,
    /// Most requests in flight to one host (`host:port`) at once; 0 counts as 1.
    pub per_host_concurrency: usize,
    /// Least time between the starts of two requests to one host; a larger robots `Crawl-delay` (up to
    /// [`MAX_CRAWL_DELAY`]) replaces it for that site.
    pub per_host_delay: Duration,
    /// Size and time limits for each page and robots.txt request, applied on top of the [`Fetcher`]'s own limits
    /// (the smaller wins; sitemaps may be up to 10 MiB within the fetcher's limit). Redirects and the connect
    /// timeout are the fetcher's: build it with these limits, as [`Crawler::with_policy`] does, for them to apply.
    pub page_limits: FetchLimits,
    /// Whether sitemaps are read for extra start points in [`Crawler::crawl_site`].
    pub use_sitemaps: bool,
}

impl Default for CrawlConfig {
    /// Depth 1, 50 pages, 10 MiB, 2 requests per host at least 250 ms apart, pages of at most 2 MiB fetched within
    /// 10 s (5 s to connect) through at most 5 redirects, sitemaps on.
    fn default() -> Self {
        Self {
            max_depth: 1,
            max_pages: 50,
            max_bytes: 10 * 1024 * 1024,
            per_host_concurrency: 2,
            per_host_delay: Duration::from_millis(250),
            page_limits: FetchLimits {
                max_bytes: 2 * 1024 * 1024,
                timeout: Duration::from_secs(10),
                connect_timeout: Duration::from_secs(5),
                max_redirects: 5,
            },
            use_sitemaps: true,
        }
    }
}

/// The result of crawling one site.
#[derive(Clone, Debug)]
pub struct SiteCrawl {
    /// The URL the crawl started from, as given.
    pub start: Url,
    /// HTML pages fetched, breadth-first (start page first), one per final URL.
    pub pages: Vec<CrawledPage>,
    /// URLs that were considered but not fetched, or fetched but not kept, with why.
    pub skipped: Vec<Skipped>,
    /// Page-body bytes downloaded (kept or not; robots.txt and sitemaps not included).
    pub bytes: u64,
}

/// One fetched HTML page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrawledPage {
    /// Where the page came from, after redirects (without fragment).
    pub url: Url,
    /// The URL that was requested (without fragment).
    pub requested: Url,
    /// Link hops from the start page (0 for the start page and for [`Crawler::fetch_pages`]).
    pub depth: u8,
    /// HTTP status of the final response (always 2xx: other statuses are skipped as [`SkipReason::Fetch`]).
    pub status: u16,
    /// The `Content-Type` header as sent, or empty if there was none.
    pub content_type: String,
    /// The body decoded to text.
    pub html: String,
}

/// A URL that was not fetched, or whose response was not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The URL concerned (the final URL when the reason concerns where a redirect led).
    pub url: Url,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why a URL was skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// robots.txt disallows it (or could not be read because the server failed, which disallows the whole host).
    /// When a redirect led to a disallowed URL, the response was discarded unread.
    RobotsDisallowed,
    /// The response was not HTML; holds its media type (e.g. `application/pdf`), or `(none)` without a header.
    NotHtml(String),
    /// The body was larger than [`CrawlConfig::page_limits`] allows.
    TooLarge,
    /// The site's page budget ([`CrawlConfig::max_pages`]) was used up first.
    PageCap,
    /// The site's byte budget ([`CrawlConfig::max_bytes`]) was used up first.
    ByteCap,
    /// The fetch failed; holds the [`FetchError`] text (status, timeout, network failure, guard refusal…).
    Fetch(String),
    /// A sitemap listed a URL on another site.
    OffSite,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::RobotsDisallowed => f.write_str("disallowed by the site's robots.txt"),
            SkipReason::NotHtml(media) => write!(f, "not an HTML page ({media})"),
            SkipReason::TooLarge => f.write_str("page too large"),
            SkipReason::PageCap => f.write_str("page limit for the site reached"),
            SkipReason::ByteCap => f.write_str("download limit for the site reached"),
            SkipReason::Fetch(error) => f.write_str(error),
            SkipReason::OffSite => f.write_str("on another site"),
        }
    }
}

/// The outcome of fetching one URL with [`Crawler::fetch_pages`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageOutcome {
    /// The page was fetched and is HTML.
    Page(CrawledPage),
    /// It was not fetched, or not kept.
    Skipped(Skipped),
}

/// Crawls sites politely. Cheap to clone; clones share the robots.txt cache and per-host politeness state, and so
/// does every task using one crawler (it is `Send + Sync`).
#[derive(Clone)]
pub struct Crawler {
    inner: Arc<Inner>,
}

struct Inner {
    /// Every request goes through it (its policy, host overrides and redirect cap).
    fetcher: Fetcher,
    config: CrawlConfig,
    robots: RobotsCache,
    politeness: Politeness,
}

impl fmt::Debug for Crawler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crawler").field("policy", &self.inner.fetcher.policy()).field("config", &self.inner.config).finish_non_exhaustive()
    }
}

/// What fetching one page produced, and how many body bytes it cost.
struct Fetch {
    outcome: PageOutcome,
    bytes: u64,
    /// Same-site-worthy links of the page, when they were asked for and the page stayed on the site.
    links: Vec<Url>,
}

impl Crawler {
    /// A crawler making every request through `fetcher` (so its target policy, host overrides and redirect cap
    /// apply), with [`CrawlConfig::page_limits`]' size and time limits on top of the fetcher's own. Build the fetcher
    /// with `config.page_limits` (as [`Crawler::with_policy`] does) so that its limits and the crawler's agree.
    pub fn new(fetcher: Fetcher, config: CrawlConfig) -> Self {
        let politeness = Politeness::new(config.per_host_concurrency);
        Self { inner: Arc::new(Inner { fetcher, config, robots: RobotsCache::default(), politeness }) }
    }

    /// A crawler with its own [`Fetcher`] enforcing `policy` and exactly [`CrawlConfig::page_limits`].
    ///
    /// # Panics
    ///
    /// If the TLS backend cannot be initialised, as [`Fetcher::new`] does.
    pub fn with_policy(policy: TargetPolicy, config: CrawlConfig) -> Self {
        Self::new(Fetcher::new(policy, config.page_limits), config)
    }

    /// The fetcher every request goes through (its guard and host overrides).
    pub fn fetcher(&self) -> &Fetcher {
        &self.inner.fetcher
    }

    /// The configuration this crawler runs with.
    pub fn config(&self) -> &CrawlConfig {
        &self.inner.config
    }

    /// Crawls one site from `start` (depth-limited BFS + sitemap seeds).
    ///
    /// Never fails as a whole: every URL that could not be fetched is in [`SiteCrawl::skipped`]. Links are followed
    /// only from pages that are still on `start`'s site after redirects; off-site links, non-http(s) links and links
    /// to obvious non-HTML files (by extension) are not followed and not reported.
    pub async fn crawl_site(&self, start: &Url) -> SiteCrawl {
        let config = &self.inner.config;
        let max_depth = config.max_depth.min(MAX_DEPTH);
        let mut crawl = SiteCrawl { start: start.clone(), pages: Vec::new(), skipped: Vec::new(), bytes: 0 };
        let Some(start_url) = links::normalise(start) else {
            crawl.skipped.push(Skipped { url: start.clone(), reason: SkipReason::Fetch(not_http(start)) });
            return crawl;
        };
        let mut walk = Walk { seen: HashSet::from([start_url.clone()]), kept: HashSet::new(), attempts: 0 };
        let mut level = vec![start_url.clone()];
        for depth in 0..=max_depth {
            if depth == 1 && config.use_sitemaps {
                for url in self.inner.sitemap_pages(&start_url, config.max_pages, &mut crawl.skipped).await {
                    if walk.seen.insert(url.clone()) {
                        level.push(url);
                    }
                }
            }
            if level.is_empty() {
                break;
            }
            level = self.crawl_level(level, depth, depth < max_depth, &start_url, &mut walk, &mut crawl).await;
        }
        crawl
    }

    /// Fetches exactly these URLs (bulk scrape, no link following), still obeying robots and politeness.
    ///
    /// Outcomes are in the order of `urls`, one each (duplicates are fetched again). There is no page or byte
    /// budget here beyond each page's [`CrawlConfig::page_limits`].
    pub async fn fetch_pages(&self, urls: &[Url]) -> Vec<PageOutcome> {
        let mut outcomes: Vec<Option<PageOutcome>> = vec![None; urls.len()];
        // Interleave hosts (first URL of every host, then the second of every host, …) so one host with many
        // URLs does not hold up the others behind its politeness limits.
        let mut per_host: HashMap<String, usize> = HashMap::new();
        let mut order: Vec<(usize, usize)> = urls
            .iter()
            .enumerate()
            .map(|(i, url)| {
                let rank = per_host.entry(Politeness::host_key(url)).or_default();
                *rank += 1;
                (*rank, i)
            })
            .collect();
        order.sort_unstable();

        let mut tasks = JoinSet::new();
        for (_, i) in order {
            while tasks.len() >= MAX_PARALLEL_FETCHES {
                let (i, fetch) = joined(tasks.join_next().await);
                outcomes[i] = Some(fetch.outcome);
            }
            let Some(url) = links::normalise(&urls[i]) else {
                outcomes[i] = Some(skipped(urls[i].clone(), SkipReason::Fetch(not_http(&urls[i]))));
                continue;
            };
            let inner = self.inner.clone();
            tasks.spawn(async move { (i, inner.fetch_page(url, 0, None).await) });
        }
        while let Some(result) = tasks.join_next().await {
            let (i, fetch) = joined(Some(result));
            outcomes[i] = Some(fetch.outcome);
        }
        outcomes.into_iter().map(|outcome| outcome.expect("every URL has an outcome")).collect()
    }

    /// The page URLs a sitemap lists, at most `limit`, in sitemap order (indexes followed, robots.txt obeyed,
    /// off-site entries reported as skipped). `sitemap` may be a sitemap file, or any other URL of a site, whose
    /// robots.txt `Sitemap:` lines (else `/sitemap.xml`) are then read. An unreadable sitemap lists nothing.
    pub async fn sitemap_listing(&self, sitemap: &Url, limit: usize) -> (Vec<Url>, Vec<Skipped>) {
        let mut skipped = Vec::new();
        let Some(url) = links::normalise(sitemap) else {
            skipped.push(Skipped { url: sitemap.clone(), reason: SkipReason::Fetch(not_http(sitemap)) });
            return (Vec::new(), skipped);
        };
        let is_file = url.path().to_ascii_lowercase().ends_with(".xml");
        let pages = if is_file {
            self.inner.read_sitemaps(&url, vec![url.clone()], limit, &mut skipped).await
        } else {
            self.inner.sitemap_pages(&url, limit, &mut skipped).await
        };
        (pages, skipped)
    }

    /// Fetches one BFS level within the site's budgets and returns the next level's URLs (if `follow`).
    async fn crawl_level(&self, level: Vec<Url>, depth: u8, follow: bool, start: &Url, walk: &mut Walk, crawl: &mut SiteCrawl) -> Vec<Url> {
        let config = &self.inner.config;
        let parallel = config.per_host_concurrency.max(1);
        let mut results: Vec<Option<Fetch>> = level.iter().map(|_| None).collect();
        let mut tasks = JoinSet::new();
        for (i, url) in level.into_iter().enumerate() {
            while tasks.len() >= parallel {
                let (i, fetch) = joined(tasks.join_next().await);
                crawl.bytes += fetch.bytes;
                results[i] = Some(fetch);
            }
            let reason = if walk.attempts >= config.max_pages {
                Some(SkipReason::PageCap)
            } else if crawl.bytes >= config.max_bytes {
                Some(SkipReason::ByteCap)
            } else {
                self.inner.robots_refusal(&url).await
            };
            if let Some(reason) = reason {
                results[i] = Some(Fetch { outcome: skipped(url, reason), bytes: 0, links: Vec::new() });
                continue;
            }
            walk.attempts += 1;
            let inner = self.inner.clone();
            let site = follow.then(|| start.clone());
            tasks.spawn(async move { (i, inner.fetch_page(url, depth, site.as_ref()).await) });
        }
        while let Some(result) = tasks.join_next().await {
            let (i, fetch) = joined(Some(result));
            crawl.bytes += fetch.bytes;
            results[i] = Some(fetch);
        }

        // In frontier order, so the result does not depend on which response came first.
        let mut next = Vec::new();
        for fetch in results.into_iter().flatten() {
            match fetch.outcome {
                PageOutcome::Page(page) => {
                    walk.seen.insert(page.url.clone());
                    if !walk.kept.insert(page.url.clone()) {
                        // Another URL of this level (or an earlier one) redirected to the same page.
                        continue;
                    }
                    for link in fetch.links {
                        if links::same_site(&link, start) && !links::is_asset(&link) && walk.seen.insert(link.clone()) {
                            next.push(link);
                        }
                    }
                    crawl.pages.push(page);
                }
                PageOutcome::Skipped(skip) => crawl.skipped.push(skip),
            }
        }
        next
    }
}

/// Bookkeeping of one site crawl.
struct Walk {
    /// URLs queued or fetched (normalised), so none is fetched twice.
    seen: HashSet<Url>,
    /// Final URLs of the pages kept.
    kept: HashSet<Url>,
    /// Page requests made (or under way).
    attempts: usize,
}

impl Inner {
    /// The robots rules for `url`'s origin, fetched (politely) on first use.
    async fn robots_for(&self, url: &Url) -> Arc<Robots> {
        self.robots
            .get(url, |robots_url| async move {
                let _turn = self.politeness.wait_turn(&robots_url, self.config.per_host_delay).await;
                self.get(&robots_url, self.config.page_limits.max_bytes).await
            })
            .await
    }

    /// GETs `url` through the fetcher, within [`CrawlConfig::page_limits`]' timeout and at most `max_bytes` of
    /// body (both on top of the fetcher's own limits).
    async fn get(&self, url: &Url, max_bytes: u64) -> Result<Fetched, FetchError> {
        let fetched = tokio::time::timeout(self.config.page_limits.timeout, self.fetcher.get(url.as_str()))
            .await
            .map_err(|_| FetchError::Timeout { url: url.to_string() })??;
        if fetched.body.len() as u64 > max_bytes {
            return Err(FetchError::TooLarge { url: url.to_string(), limit: max_bytes });
        }
        Ok(fetched)
    }

    /// Why robots forbids fetching `url`, if it does.
    async fn robots_refusal(&self, url: &Url) -> Option<SkipReason> {
        let robots = self.robots_for(url).await;
        (!robots.is_allowed(url)).then(|| robots.refusal().map_or(SkipReason::RobotsDisallowed, |why| SkipReason::Fetch(why.to_owned())))
    }

    /// The pause between request starts on a host with these robots rules.
    fn delay_for(&self, robots: &Robots) -> Duration {
        let crawl_delay = robots.crawl_delay().unwrap_or_default().min(MAX_CRAWL_DELAY);
        self.config.per_host_delay.max(crawl_delay)
    }

    /// Fetches one page (robots and politeness permitting). With `site`, also returns the page's links if the page
    /// is still on that site after redirects.
    async fn fetch_page(&self, url: Url, depth: u8, site: Option<&Url>) -> Fetch {
        let robots = self.robots_for(&url).await;
        if !robots.is_allowed(&url) {
            let reason = robots.refusal().map_or(SkipReason::RobotsDisallowed, |why| SkipReason::Fetch(why.to_owned()));
            return Fetch { outcome: skipped(url, reason), bytes: 0, links: Vec::new() };
        }
        let result = {
            let _turn = self.politeness.wait_turn(&url, self.delay_for(&robots)).await;
            self.get(&url, self.config.page_limits.max_bytes).await
        };
        let fetched = match result {
            Ok(fetched) => fetched,
            Err(FetchError::TooLarge { .. }) => return Fetch { outcome: skipped(url, SkipReason::TooLarge), bytes: 0, links: Vec::new() },
            Err(err) => return Fetch { outcome: skipped(url, SkipReason::Fetch(err.to_string())), bytes: 0, links: Vec::new() },
        };
        let bytes = fetched.body.len() as u64;
        let final_url = links::normalise(&fetched.final_url).unwrap_or_else(|| url.clone());
        // Redirect hops are followed inside the fetcher, so robots can only be checked on where they led.
        if final_url != url && !self.robots_for(&final_url).await.is_allowed(&final_url) {
            return Fetch { outcome: skipped(final_url, SkipReason::RobotsDisallowed), bytes, links: Vec::new() };
        }
        if !charset::is_html(fetched.content_type.as_deref(), &fetched.body) {
            let media = fetched.content_type.as_deref().map_or_else(|| "(none)".to_owned(), charset::essence);
            return Fetch { outcome: skipped(final_url, SkipReason::NotHtml(media)), bytes, links: Vec::new() };
        }
        let html = charset::decode_html(&fetched.body, fetched.content_type.as_deref());
        let links = match site {
            Some(site) if links::same_site(&final_url, site) => links::extract_links(&html, &final_url),
            _ => Vec::new(),
        };
        let page = CrawledPage {
            url: final_url,
            requested: url,
            depth,
            status: fetched.status,
            content_type: fetched.content_type.unwrap_or_default(),
            html,
        };
        Fetch { outcome: PageOutcome::Page(page), bytes, links }
    }

    /// Same-site page URLs listed by the site's sitemaps, at most `limit`, in sitemap order. Sitemaps come from
    /// robots.txt `Sitemap:` lines on `start`'s site, else `/sitemap.xml`; indexes are followed breadth-first.
    /// Off-site entries are reported as [`SkipReason::OffSite`]; sitemaps that cannot be fetched are ignored.
    async fn sitemap_pages(&self, start: &Url, limit: usize, skipped_out: &mut Vec<Skipped>) -> Vec<Url> {
        let robots = self.robots_for(start).await;
        let mut sitemaps: Vec<Url> = robots.sitemaps().iter().filter(|url| links::same_site(url, start)).cloned().collect();
        if sitemaps.is_empty() {
            sitemaps.extend(start.join("/sitemap.xml").ok());
        }
        self.read_sitemaps(start, sitemaps, limit, skipped_out).await
    }

    /// Reads `sitemaps` (and the indexes they lead to) for same-site page URLs of `start`, at most `limit`.
    async fn read_sitemaps(&self, start: &Url, sitemaps: Vec<Url>, limit: usize, skipped_out: &mut Vec<Skipped>) -> Vec<Url> {
        let mut queue: VecDeque<(Url, usize)> = sitemaps.into_iter().map(|url| (url, 0)).collect();
        let mut visited = HashSet::new();
        let mut pages = Vec::new();
        let mut listed = HashSet::new();
        let mut off_site = 0;
        let mut files = 0;
        while let Some((url, level)) = queue.pop_front() {
            if pages.len() >= limit || files >= MAX_SITEMAP_FILES {
                break;
            }
            if !visited.insert(url.clone()) {
                continue;
            }
            let robots = self.robots_for(&url).await;
            if !robots.is_allowed(&url) {
                continue;
            }
            files += 1;
            let result = {
                let _turn = self.politeness.wait_turn(&url, self.delay_for(&robots)).await;
                self.get(&url, SITEMAP_MAX_BYTES).await
            };
            let fetched = match result {
                Ok(fetched) if links::same_site(&fetched.final_url, start) => fetched,
                Ok(_) => continue,
                Err(err) => {
                    tracing::debug!(sitemap = %url, error = %err, "sitemap not read");
                    continue;
                }
            };
            let base = fetched.final_url;
            match sitemap::parse(&fetched.body, MAX_SITEMAP_ENTRIES) {
                sitemap::Sitemap::Index(locs) if level + 1 < MAX_SITEMAP_LEVELS => {
                    for child in locs.iter().filter_map(|loc| base.join(loc).ok()).filter(|url| links::same_site(url, start)) {
                        queue.push_back((child, level + 1));
                    }
                }
                sitemap::Sitemap::Pages(locs) => {
                    for page in locs.iter().filter_map(|loc| base.join(loc).ok()).filter_map(|url| links::normalise(&url)) {
                        if pages.len() >= limit {
                            break;
                        }
                        if !links::same_site(&page, start) {
                            if off_site < limit {
                                off_site += 1;
                                skipped_out.push(Skipped { url: page, reason: SkipReason::OffSite });
                            }
                        } else if !links::is_asset(&page) && listed.insert(page.clone()) {
                            pages.push(page);
                        }
                    }
                }
                _ => {}
            }
        }
        pages
    }
}

fn skipped(url: Url, reason: SkipReason) -> PageOutcome {
    PageOutcome::Skipped(Skipped { url, reason })
}

/// The error text for a URL the crawler cannot fetch at all.
fn not_http(url: &Url) -> String {
    FetchError::InvalidUrl { url: url.to_string(), reason: format!("only http and https URLs can be fetched, not {}:", url.scheme()) }
        .to_string()
}

/// Unwraps a finished fetch task; a panic in one is a bug and is passed on.
fn joined(result: Option<Result<(usize, Fetch), tokio::task::JoinError>>) -> (usize, Fetch) {
    match result.expect("a task was running") {
        Ok(done) => done,
        Err(err) => std::panic::resume_unwind(err.into_panic()),
    }
}

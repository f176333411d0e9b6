//! robots.txt (RFC 9309): a compact parser and matcher, and a per-origin cache that fetches each file once.
//!
//! Written here rather than taken from a crate because the rules are short and we want exact control over the
//! failure policy: a 4xx answer means "no rules" (allow all), while a 5xx answer or an unreachable server means
//! "disallow all" for that origin, the conservative reading of RFC 9309 §2.3.1.
//!
//! Group selection: the groups whose `User-agent` names our product token ([`PRODUCT_TOKEN`], compared
//! case-insensitively, ignoring anything after the token such as `/1.0`) are merged; if there are none, the `*`
//! groups are merged; if there are none either, everything is allowed. Rules match the URL's path and query
//! (`*` matches any run of characters, a trailing `$` anchors the end, otherwise a rule is a prefix). The longest
//! matching rule wins; on equal length `Allow` wins. An empty `Disallow` is no rule at all. `/robots.txt` itself
//! is always allowed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;
use url::Url;

use crate::net::{FetchError, Fetched};

/// The product token matched against `User-agent` lines (RFC 9309 §2.2.1).
pub(crate) const PRODUCT_TOKEN: &str = "quarry";

/// Only the first 512 KiB of a robots.txt are parsed (RFC 9309 §2.5 asks for at least 500 KiB).
const MAX_PARSED_BYTES: usize = 512 * 1024;

/// How long a fetched (or 4xx) robots.txt is trusted (RFC 9309 §2.4: no more than 24 hours).
const TTL_FETCHED: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a "disallow all" verdict from a 5xx or an unreachable server is kept before trying again.
const TTL_UNREACHABLE: Duration = Duration::from_secs(10 * 60);

/// Above this many cached origins, expired entries are dropped (and if none are, the whole cache).
const MAX_CACHED_ORIGINS: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Allow,
    Disallow,
}

#[derive(Clone, Debug)]
struct Rule {
    kind: Kind,
    /// Normalised pattern, without a trailing `$`.
    pattern: Vec<u8>,
    anchored: bool,
    /// Octets of the pattern as written (including `$`), for longest-match.
    specificity: usize,
}

/// What the crawler may do on one origin, from its robots.txt.
#[derive(Clone, Debug, Default)]
pub(crate) struct Robots {
    rules: Vec<Rule>,
    disallow_all: bool,
    crawl_delay: Option<Duration>,
    sitemaps: Vec<Url>,
    /// Set when robots.txt could not be requested at all because the URL itself cannot be fetched (the
    /// guard refused the host, or the URL is invalid): the fetch error's text, which explains the skip better than
    /// "disallowed by robots.txt".
    refusal: Option<String>,
}

#[derive(Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
    crawl_delay: Option<Duration>,
}

impl Robots {
    /// No restrictions (no robots.txt, or a 4xx answer).
    pub(crate) fn allow_all() -> Self {
        Self::default()
    }

    /// Nothing may be fetched (5xx or unreachable robots.txt).
    pub(crate) fn disallow_all() -> Self {
        Self { disallow_all: true, ..Self::default() }
    }

    /// Parses a robots.txt body for `agent` (a product token, lower case). `base` resolves relative `Sitemap`
    /// lines.
    pub(crate) fn parse(text: &str, agent: &str, base: &Url) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut groups: Vec<Group> = Vec::new();
        let mut sitemaps = Vec::new();
        // Whether the current group has had a rule line, so the next User-agent line starts a new group.
        let mut in_rules = true;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else { continue };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if in_rules {
                        groups.push(Group::default());
                        in_rules = false;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.agents.push(agent_token(value));
                    }
                }
                "allow" | "disallow" => {
                    in_rules = true;
                    let Some(group) = groups.last_mut() else { continue };
                    if value.is_empty() {
                        continue;
                    }
                    let kind = if key == "allow" { Kind::Allow } else { Kind::Disallow };
                    group.rules.push(Rule::new(kind, value));
                }
                "crawl-delay" => {
                    in_rules = true;
                    let Some(group) = groups.last_mut() else { continue };
                    if let Some(delay) = parse_delay(value) {
                        group.crawl_delay = Some(group.crawl_delay.map_or(delay, |d| d.max(delay)));
                    }
                }
                "sitemap" => {
                    if let Ok(url) = base.join(value) {
                        if matches!(url.scheme(), "http" | "https") && !sitemaps.contains(&url) {
                            sitemaps.push(url);
                        }
                    }
                }
                _ => {}
            }
        }

        let ours: Vec<&Group> = groups.iter().filter(|g| g.agents.iter().any(|a| a == agent)).collect();
        let chosen = if ours.is_empty() { groups.iter().filter(|g| g.agents.iter().any(|a| a == "*")).collect() } else { ours };
        let mut robots = Robots { sitemaps, ..Robots::default() };
        for group in chosen {
            robots.rules.extend(group.rules.iter().cloned());
            if let Some(delay) = group.crawl_delay {
                robots.crawl_delay = Some(robots.crawl_delay.map_or(delay, |d| d.max(delay)));
            }
        }
        robots
    }

    /// Whether `url` may be fetched.
    pub(crate) fn is_allowed(&self, url: &Url) -> bool {
        if url.path() == "/robots.txt" {
            return true;
        }
        if self.disallow_all {
            return false;
        }
        let mut target = url.path().to_owned();
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        self.is_path_allowed(&target)
    }

    /// Whether a path (with `?query` if any) may be fetched under the rules alone.
    fn is_path_allowed(&self, path: &str) -> bool {
        let path = normalise(path);
        let mut best: Option<(usize, Kind)> = None;
        for rule in &self.rules {
            if !rule.matches(&path) {
                continue;
            }
            let better = match best {
                None => true,
                Some((len, kind)) => rule.specificity > len || (rule.specificity == len && kind == Kind::Disallow),
            };
            if better {
                best = Some((rule.specificity, rule.kind));
            }
        }
        !matches!(best, Some((_, Kind::Disallow)))
    }

    /// The `Crawl-delay` of the chosen groups (the largest if several), uncapped.
    pub(crate) fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }

    /// Why the origin cannot be fetched at all, when robots.txt was refused before any request was made.
    pub(crate) fn refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
    }

    /// The `Sitemap` URLs listed (all groups; they are not group members).
    pub(crate) fn sitemaps(&self) -> &[Url] {
        &self.sitemaps
    }
}

impl Rule {
    fn new(kind: Kind, value: &str) -> Self {
        let specificity = value.len();
        let (body, anchored) = match value.strip_suffix('$') {
            Some(body) => (body, true),
            None => (value, false),
        };
        let mut pattern = normalise(body);
        // Rules are paths; tolerate the common "Disallow: private/" slip.
        if !pattern.starts_with(b"/") && !pattern.starts_with(b"*") {
            pattern.insert(0, b'/');
        }
        Rule { kind, pattern, anchored, specificity }
    }

    fn matches(&self, path: &[u8]) -> bool {
        wildcard_match(&self.pattern, path, self.anchored)
    }
}

/// The product token of a `User-agent` value: the leading run of letters, `-` and `_`, lower-cased; `*` stays.
fn agent_token(value: &str) -> String {
    if value.starts_with('*') {
        return "*".to_owned();
    }
    value.chars().take_while(|c| c.is_ascii_alphabetic() || *c == '-' || *c == '_').collect::<String>().to_ascii_lowercase()
}

fn parse_delay(value: &str) -> Option<Duration> {
    let seconds: f64 = value.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// Percent-encodes non-ASCII octets, spaces and controls, and upper-cases existing `%xx` escapes, so a rule
/// written with raw UTF-8 matches the URL crate's encoded path and vice versa.
fn normalise(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit() {
            out.push(b'%');
            out.push(bytes[i + 1].to_ascii_uppercase());
            out.push(bytes[i + 2].to_ascii_uppercase());
            i += 3;
            continue;
        }
        if b >= 0x80 || b <= b' ' || b == 0x7f {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// Matches `pattern` (where `*` is any run of octets) against `text`: as a prefix, or in full when `anchored`.
fn wildcard_match(pattern: &[u8], text: &[u8], anchored: bool) -> bool {
    // Classic glob matching with single-star backtracking; a non-anchored pattern behaves as if it ended in `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p == pattern.len() {
            if !anchored || t == text.len() {
                return true;
            }
        } else if pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
            continue;
        } else if t < text.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
            continue;
        }
        // Mismatch: let the last star swallow one more octet, if there is one and text left.
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp + 1;
                t = st + 1;
            }
            _ => return false,
        }
    }
}

/// The verdict for one origin, with when it stops being trusted.
#[derive(Clone, Debug)]
struct Cached {
    robots: Arc<Robots>,
    expires: Instant,
}

/// robots.txt per origin (`scheme://host:port`), each fetched at most once at a time however many tasks ask.
#[derive(Default)]
pub(crate) struct RobotsCache {
    origins: Mutex<HashMap<String, Arc<OnceCell<Cached>>>>,
}

impl RobotsCache {
    /// The robots rules for `url`'s origin, fetching them with `fetch` when not cached (or expired).
    pub(crate) async fn get<F, Fut>(&self, url: &Url, fetch: F) -> Arc<Robots>
    where
        F: FnOnce(Url) -> Fut,
        Fut: std::future::Future<Output = Result<Fetched, FetchError>>,
    {
        let origin = url.origin().ascii_serialization();
        let cell = {
            let mut origins = self.origins.lock().unwrap_or_else(|e| e.into_inner());
            let expired = origins.get(&origin).and_then(|cell| cell.get()).is_some_and(|c| c.expires <= Instant::now());
            if expired {
                origins.remove(&origin);
            }
            if origins.len() >= MAX_CACHED_ORIGINS && !origins.contains_key(&origin) {
                let now = Instant::now();
                origins.retain(|_, cell| cell.get().is_none_or(|c| c.expires > now));
                if origins.len() >= MAX_CACHED_ORIGINS {
                    origins.clear();
                }
            }
            origins.entry(origin.clone()).or_default().clone()
        };
        let cached = cell
            .get_or_init(|| async {
                let mut robots_url = url.clone();
                robots_url.set_path("/robots.txt");
                robots_url.set_query(None);
                robots_url.set_fragment(None);
                let result = fetch(robots_url.clone()).await;
                let (robots, ttl) = interpret(&robots_url, result);
                tracing::debug!(origin = %origin, disallow_all = robots.disallow_all, rules = robots.rules.len(), "robots.txt loaded");
                Cached { robots: Arc::new(robots), expires: Instant::now() + ttl }
            })
            .await;
        cached.robots.clone()
    }
}

/// Turns the outcome of fetching a robots.txt into rules and how long to keep them.
fn interpret(robots_url: &Url, result: Result<Fetched, FetchError>) -> (Robots, Duration) {
    match result {
        Ok(fetched) => {
            let body = &fetched.body[..fetched.body.len().min(MAX_PARSED_BYTES)];
            let text = String::from_utf8_lossy(body);
            (Robots::parse(&text, PRODUCT_TOKEN, &fetched.final_url), TTL_FETCHED)
        }
        // "Too many requests" is the server asking us to back off, not a missing file.
        Err(FetchError::Status { status: 429, .. }) => (Robots::disallow_all(), TTL_UNREACHABLE),
        // "Unavailable" (RFC 9309 §2.3.1.3): no rules.
        Err(FetchError::Status { status: 400..=499, .. }) => (Robots::allow_all(), TTL_FETCHED),
        // More than five redirects also counts as unavailable (§2.3.1.2).
        Err(FetchError::TooManyRedirects { .. }) => (Robots::allow_all(), TTL_FETCHED),
        // The guard (or URL syntax) forbids the origin: nothing there can be fetched, and the page fetch would say why.
        Err(err @ (FetchError::Refused { .. } | FetchError::InvalidUrl { .. })) => {
            (Robots { refusal: Some(err.to_string()), ..Robots::disallow_all() }, TTL_UNREACHABLE)
        }
        // 5xx, timeouts, network failures, oversized files: assume complete disallow (§2.3.1.4).
        Err(err) => {
            tracing::debug!(url = %robots_url, error = %err, "robots.txt unreachable; disallowing the origin");
            (Robots::disallow_all(), TTL_UNREACHABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Robots {
        Robots::parse(text, PRODUCT_TOKEN, &Url::parse("https://example.com/robots.txt").unwrap())
    }

    fn allowed(robots: &Robots, path: &str) -> bool {
        robots.is_allowed(&Url::parse("https://example.com").unwrap().join(path).unwrap())
    }

    #[test]
    fn picks_our_group_case_insensitively_else_star() {
        let robots = parse("User-agent: *\nDisallow: /\n\nUser-agent: QUARRY/1.0\nDisallow: /private\n");
        assert!(allowed(&robots, "/public"));
        assert!(!allowed(&robots, "/private/x"));

        let robots = parse("User-agent: otherbot\nDisallow: /\n\nUser-agent: *\nDisallow: /star-only\n");
        assert!(allowed(&robots, "/anything"));
        assert!(!allowed(&robots, "/star-only"));

        // A longer token is a different crawler.
        let robots = parse("User-agent: quarrybot\nDisallow: /\n");
        assert!(allowed(&robots, "/"));

        // No matching group and no `*` group: allow all.
        let robots = parse("User-agent: otherbot\nDisallow: /\n");
        assert!(allowed(&robots, "/x"));
    }

    #[test]
    fn groups_share_rules_and_same_agent_groups_merge() {
        let robots = parse(
            "# comment\nUser-agent: a\nUser-agent: quarry\nDisallow: /one # trailing\n\nUser-agent: b\nAllow: /\n\nuser-agent: Quarry\ndisallow: /two\n",
        );
        assert!(!allowed(&robots, "/one"));
        assert!(!allowed(&robots, "/two"));
        assert!(allowed(&robots, "/three"));
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let robots = parse("User-agent: *\nDisallow: /shop\nAllow: /shop/public\nAllow: /page\nDisallow: /page\n");
        assert!(!allowed(&robots, "/shop/cart"));
        assert!(allowed(&robots, "/shop/public/item"));
        assert!(allowed(&robots, "/page"), "Allow wins an equal-length tie");

        let robots = parse("User-agent: *\nAllow: /a\nDisallow: /a/b\n");
        assert!(allowed(&robots, "/a/c"));
        assert!(!allowed(&robots, "/a/b/c"), "the longer Disallow beats the shorter Allow");
    }

    #[test]
    fn wildcards_and_end_anchor() {
        let robots = parse("User-agent: *\nDisallow: /*.pdf$\nDisallow: /private*/secret\nDisallow: /exact$\nDisallow: /*?session=\n");
        assert!(!allowed(&robots, "/docs/file.pdf"));
        assert!(allowed(&robots, "/docs/file.pdf?download=1"), "$ anchors the end");
        assert!(allowed(&robots, "/docs/file.pdfx"));
        assert!(!allowed(&robots, "/private-area/secret/x"));
        assert!(allowed(&robots, "/private-area/open"));
        assert!(!allowed(&robots, "/exact"));
        assert!(allowed(&robots, "/exactly"));
        assert!(!allowed(&robots, "/list?session=abc"));
        assert!(allowed(&robots, "/list?page=2"));
        assert!(wildcard_match(b"/a*b*c", b"/axxbyyc", true));
        assert!(!wildcard_match(b"/a*b*c", b"/axxbyy", true));
        assert!(wildcard_match(b"*", b"", true));
    }

    #[test]
    fn empty_disallow_allows_everything_and_robots_txt_is_always_allowed() {
        let robots = parse("User-agent: *\nDisallow:\n");
        assert!(allowed(&robots, "/anything"));
        assert!(Robots::disallow_all().is_allowed(&Url::parse("https://example.com/robots.txt").unwrap()));
        assert!(!Robots::disallow_all().is_allowed(&Url::parse("https://example.com/").unwrap()));
        assert!(Robots::allow_all().is_allowed(&Url::parse("https://example.com/x").unwrap()));
    }

    #[test]
    fn crawl_delay_and_sitemaps() {
        let robots = parse(
            "Sitemap: https://example.com/a.xml\nUser-agent: *\nCrawl-delay: 1.5\nDisallow: /x\n\nUser-agent: other\nCrawl-delay: 30\nSitemap: /b.xml\nSitemap: ftp://example.com/c.xml\n",
        );
        assert_eq!(robots.crawl_delay(), Some(Duration::from_millis(1500)));
        let sitemaps: Vec<&str> = robots.sitemaps().iter().map(Url::as_str).collect();
        assert_eq!(sitemaps, ["https://example.com/a.xml", "https://example.com/b.xml"]);
        assert_eq!(parse("User-agent: *\nCrawl-delay: soon\n").crawl_delay(), None);
        assert_eq!(parse("User-agent: *\nCrawl-delay: -1\n").crawl_delay(), None);
    }

    #[test]
    fn non_ascii_rules_match_encoded_paths() {
        let robots = parse("User-agent: *\nDisallow: /café\nDisallow: /a%2fb\nDisallow: no-slash\n");
        assert!(!allowed(&robots, "/café/menu"));
        assert!(!allowed(&robots, "/caf%C3%A9"));
        assert!(!allowed(&robots, "/a%2Fb"));
        assert!(!allowed(&robots, "/no-slash"));
    }

    #[test]
    fn interprets_fetch_failures() {
        let url = Url::parse("https://example.com/robots.txt").unwrap();
        let status = |status| Err(FetchError::Status { url: url.to_string(), status });
        assert!(!interpret(&url, status(404)).0.disallow_all);
        assert!(!interpret(&url, status(403)).0.disallow_all);
        assert!(interpret(&url, status(429)).0.disallow_all);
        assert!(interpret(&url, status(500)).0.disallow_all);
        assert!(interpret(&url, status(503)).0.disallow_all);
        assert!(interpret(&url, Err(FetchError::Timeout { url: url.to_string() })).0.disallow_all);
        assert!(interpret(&url, Err(FetchError::Network { url: url.to_string(), detail: "refused".into() })).0.disallow_all);
        let refused = interpret(&url, Err(FetchError::Refused { url: url.to_string(), reason: "private".into() })).0;
        assert!(refused.disallow_all);
        assert!(refused.refusal().is_some_and(|why| why.contains("private")), "{refused:?}");
        assert_eq!(interpret(&url, status(500)).0.refusal(), None);
    }
}

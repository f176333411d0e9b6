//! Outbound HTTP to user-supplied URLs: seed CSV attachments, webhook deliveries, web search and
//! the crawler's page fetches.
//!
//! Every fetch goes through a server-side request forgery guard: a URL a user hands us must not let them
//! read loopback services, the cloud metadata endpoint or anything else on the operator's private network.
//! [`guard`] decides which addresses are acceptable and checks them after DNS resolution; [`fetch`] wires
//! that into an HTTP client that also re-checks every redirect hop and enforces size and time limits.

pub mod client;
pub mod fetch;
pub mod guard;

pub use client::{check_target, guarded_client};
pub use fetch::{FailedFetch, FetchError, FetchLimits, Fetched, Fetcher, USER_AGENT};
pub use guard::{host_overrides_from_lookup, is_internal, HostOverrides, TargetPolicy, RESOLVE_ENV};

/// Longest URL a user may hand Quarry (attachments, scrape lists, webhook targets).
pub const MAX_URL_CHARS: usize = 2_048;

/// `raw` (trimmed) as a URL Quarry may be asked to fetch: absolute, http or https, naming a host, at most
/// [`MAX_URL_CHARS`] long. Whether its address is acceptable is the guard's question, asked when it is fetched.
pub fn web_url(raw: &str) -> Option<url::Url> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_URL_CHARS {
        return None;
    }
    let url = url::Url::parse(raw).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_are_absolute_http_with_a_host() {
        assert_eq!(web_url(" https://acme.example/team ").map(String::from).as_deref(), Some("https://acme.example/team"));
        for bad in ["acme.example", "ftp://acme.example/x", "javascript:alert(1)", "http://", "mailto:a@acme.example"] {
            assert!(web_url(bad).is_none(), "{bad}");
        }
        assert!(web_url(&format!("https://acme.example/{}", "a".repeat(MAX_URL_CHARS))).is_none());
    }
}

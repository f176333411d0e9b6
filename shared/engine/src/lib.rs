//! Quarry's research engine: what turns the open web into grounded facts. It knows nothing of
//! storage, organizations or the API (the `quarry-shared` crate maps its findings into leads), so
//! it is tested on its own against fixture sites on loopback.
//!
//! - [`net`]: outbound HTTP to user-supplied URLs behind a guard against internal targets.
//! - [`domains`]: registrable domains by the public suffix list.
//! - [`extract`]: contacts and company facts from HTML and JSON-LD.
//! - [`verify`]: email syntax, MX lookups, disposable/free/role flags, pattern inference.
//! - [`crawl`]: the polite crawler (robots.txt, sitemaps, depth, per-host politeness, caps).
//! - [`search`]: web search (a SearXNG adapter) to discover company sites.

pub mod crawl;
pub mod domains;
pub mod extract;
pub mod net;
pub mod opendata;
pub mod search;
pub mod verify;

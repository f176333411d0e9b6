//! What the environment asks of the web engine beyond crawling: email verification and a web
//! search provider. Read once when a process starts, so a malformed value stops it with a sentence
//! naming the variable instead of surprising a job halfway through.
//!
//! | Variable | Meaning |
//! |---|---|
//! | `QUARRY_VERIFY_EMAILS` | `true` (default) or `false`: verify the addresses sites state, infer the missing ones |
//! | `QUARRY_DNS_SERVERS` | comma-separated `ip:port` (or bare `ip`, port 53) name servers for MX look-ups; unset or empty: the system resolver |
//! | `QUARRY_SEARCH_URL`, `QUARRY_SEARCH_TIMEOUT_MS`, `QUARRY_SEARCH_LANGUAGE`, `QUARRY_SEARCH_CATEGORIES` | the SearXNG provider, see [`SearchConfig`] |
//! | `QUARRY_BRAVE_API_KEY`, `QUARRY_BRAVE_URL` | the Brave Search API, see [`BraveConfig`] (SearXNG wins when both are set) |
//! | `QUARRY_DISCOVERY_SOURCES` | the discovery sources live jobs may use, in order: `wikidata`, `openstreetmap` (`osm`), `web_search`, comma-separated; default all three; `none` for none |
//! | `QUARRY_WIKIDATA_URL`, `QUARRY_OVERPASS_URL` | the Wikidata SPARQL endpoint and the Overpass API (default the public ones) |

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use quarry_engine::opendata::Endpoints;
use quarry_engine::search::brave::{BraveConfig, BraveSearch};
use quarry_engine::search::{SearchConfig, SearxngSearch, WebSearch};
use url::Url;

use crate::jobs::live::LiveSource;
use quarry_engine::verify::{DnsConfig, EmailVerifier};

/// Turns email verification on (`true`, the default) or off (`false`).
pub const ENV_VERIFY_EMAILS: &str = "QUARRY_VERIFY_EMAILS";
/// The name servers MX look-ups ask, instead of the system resolver.
pub const ENV_DNS_SERVERS: &str = "QUARRY_DNS_SERVERS";

/// The discovery sources live jobs may use, in the order they are tried.
pub const ENV_DISCOVERY_SOURCES: &str = "QUARRY_DISCOVERY_SOURCES";
/// The Wikidata SPARQL endpoint (default [`Endpoints::WIKIDATA`]).
pub const ENV_WIKIDATA_URL: &str = "QUARRY_WIKIDATA_URL";
/// The Overpass API interpreter (default [`Endpoints::OVERPASS`]).
pub const ENV_OVERPASS_URL: &str = "QUARRY_OVERPASS_URL";

/// What `QUARRY_DISCOVERY_SOURCES` means when unset: every keyless open source, then web search.
pub const DEFAULT_DISCOVERY: [LiveSource; 3] = [LiveSource::Wikidata, LiveSource::OpenStreetMap, LiveSource::WebSearch];

/// The verifier, search provider and discovery sources the environment configures.
#[derive(Clone)]
pub struct WebSettings {
    /// `None` when `QUARRY_VERIFY_EMAILS=false`.
    pub verifier: Option<Arc<EmailVerifier>>,
    /// `None` when neither `QUARRY_SEARCH_URL` nor `QUARRY_BRAVE_API_KEY` is set.
    pub search: Option<Arc<dyn WebSearch>>,
    /// The discovery sources live jobs may use, in order (besides the lead index, which is the
    /// organization's own and always read first unless a job says otherwise).
    pub discovery: Vec<LiveSource>,
    /// Where Wikidata and Overpass are.
    pub open_data: Endpoints,
}

/// Without the environment (test workers): web search when a provider is set, no open data, so
/// nothing reaches a public endpoint unless asked to.
impl Default for WebSettings {
    fn default() -> Self {
        WebSettings { verifier: None, search: None, discovery: vec![LiveSource::WebSearch], open_data: Endpoints::default() }
    }
}

impl WebSettings {
    /// Reads the variables through `lookup` (a stand-in for the environment in tests). `Err`
    /// names the variable and what it should hold.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let verifier = email_verifier_from_lookup(&lookup)?.map(Arc::new);
        let brave = BraveConfig::from_lookup(&lookup)?;
        // An instance the operator runs (SearXNG) is preferred to a metered API key (Brave).
        let search = match (SearchConfig::from_lookup(&lookup)?, brave) {
            (Some(config), _) => Some(Arc::new(SearxngSearch::new(config)?) as Arc<dyn WebSearch>),
            (None, Some(config)) => Some(Arc::new(BraveSearch::new(config)?) as Arc<dyn WebSearch>),
            (None, None) => None,
        };
        let discovery = discovery_from_lookup(&lookup)?;
        let read = |name: &str, default: &str| -> Result<Url, String> {
            let raw = lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string());
            Url::parse(&raw)
                .ok()
                .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
                .ok_or_else(|| format!("{name} must be an http or https URL with a host, got {raw:?}"))
        };
        let open_data =
            Endpoints { wikidata: read(ENV_WIKIDATA_URL, Endpoints::WIKIDATA)?, overpass: read(ENV_OVERPASS_URL, Endpoints::OVERPASS)? };
        Ok(WebSettings { verifier, search, discovery, open_data })
    }
}

/// Reads [`ENV_DISCOVERY_SOURCES`]: unset or empty is [`DEFAULT_DISCOVERY`], `none` is no source,
/// anything else a comma-separated list of `wikidata`, `openstreetmap` (`osm`) and `web_search`.
pub fn discovery_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Vec<LiveSource>, String> {
    let Some(raw) = lookup(ENV_DISCOVERY_SOURCES).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) else {
        return Ok(DEFAULT_DISCOVERY.to_vec());
    };
    if raw.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut sources = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match LiveSource::from_name(name).filter(|s| DEFAULT_DISCOVERY.contains(s)) {
            Some(source) if !sources.contains(&source) => sources.push(source),
            Some(_) => {}
            None => {
                return Err(format!(
                    "{ENV_DISCOVERY_SOURCES} lists {name:?}, which is not a discovery source; use wikidata, openstreetmap and web_search, comma-separated, or none"
                ))
            }
        }
    }
    Ok(sources)
}

/// The email verifier the environment asks for, or `None` when `QUARRY_VERIFY_EMAILS=false`.
///
/// Verification is syntax, MX look-ups (through `QUARRY_DNS_SERVERS`, else the system resolver)
/// and the disposable, free-mail and role-account lists. **SMTP probing is off and not
/// implemented**: Quarry never connects to a mail server (see [`quarry_engine::verify`] for why),
/// so `valid` means the address is well-formed and its domain receives mail.
///
/// `QUARRY_VERIFY_EMAILS` takes `true`/`1`/`yes` or `false`/`0`/`no` (any case; unset or empty
/// is `true`); `QUARRY_DNS_SERVERS` takes `ip:port` entries (`[v6]:port` for IPv6, a bare IP means
/// port 53) separated by commas. Anything else is an error naming the variable, and so is a
/// system resolver configuration that cannot be read.
pub fn email_verifier_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<EmailVerifier>, String> {
    let read = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
    let enabled = match read(ENV_VERIFY_EMAILS).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("true" | "1" | "yes") => true,
        Some("false" | "0" | "no") => false,
        Some(_) => {
            return Err(format!("{ENV_VERIFY_EMAILS} must be true or false, got {:?}", lookup(ENV_VERIFY_EMAILS).unwrap_or_default()))
        }
    };
    let dns = match read(ENV_DNS_SERVERS) {
        None => DnsConfig::System,
        Some(raw) => DnsConfig::Servers(parse_servers(&raw)?),
    };
    if !enabled {
        return Ok(None);
    }
    let verifier = EmailVerifier::new(dns).map_err(|e| {
        format!("email verification cannot start: {e}; set {ENV_DNS_SERVERS} to name servers, or {ENV_VERIFY_EMAILS}=false")
    })?;
    Ok(Some(verifier))
}

/// `ip:port` entries separated by commas (blank entries ignored).
fn parse_servers(raw: &str) -> Result<Vec<SocketAddr>, String> {
    let servers: Vec<SocketAddr> = raw
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<SocketAddr>()
                .or_else(|_| entry.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| format!("{ENV_DNS_SERVERS} must list name servers as ip:port separated by commas; {entry:?} is not one"))
        })
        .collect::<Result<_, _>>()?;
    if servers.is_empty() {
        return Err(format!("{ENV_DNS_SERVERS} names no server; leave it unset to use the system resolver"));
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.get(name).cloned()
    }

    #[test]
    fn verification_is_on_unless_turned_off() {
        let loopback = (ENV_DNS_SERVERS, "127.0.0.1:5353");
        assert!(email_verifier_from_lookup(env(&[loopback])).unwrap().is_some());
        assert!(email_verifier_from_lookup(env(&[loopback, (ENV_VERIFY_EMAILS, " TRUE ")])).unwrap().is_some());
        for off in ["false", "0", "No"] {
            assert!(email_verifier_from_lookup(env(&[loopback, (ENV_VERIFY_EMAILS, off)])).unwrap().is_none(), "{off}");
        }
        let error = email_verifier_from_lookup(env(&[loopback, (ENV_VERIFY_EMAILS, "maybe")])).err().unwrap();
        assert_eq!(error, "QUARRY_VERIFY_EMAILS must be true or false, got \"maybe\"");
    }

    #[test]
    fn dns_servers_are_ip_and_port_lists() {
        assert_eq!(
            parse_servers("127.0.0.1:5353, [::1]:53,10.0.0.2,").unwrap(),
            ["127.0.0.1:5353".parse().unwrap(), "[::1]:53".parse().unwrap(), "10.0.0.2:53".parse().unwrap()] as [SocketAddr; 3]
        );
        for bad in ["dns.example.org:53", "127.0.0.1:99999", " , "] {
            let error = parse_servers(bad).unwrap_err();
            assert!(error.starts_with(ENV_DNS_SERVERS), "{bad}: {error}");
        }
        // A bad list is an error even with verification off: the typo is found at start-up.
        let error = email_verifier_from_lookup(env(&[(ENV_VERIFY_EMAILS, "false"), (ENV_DNS_SERVERS, "resolver")])).err().unwrap();
        assert!(error.contains("\"resolver\" is not one"), "{error}");
    }

    #[test]
    fn settings_combine_verification_and_search() {
        let settings = WebSettings::from_lookup(env(&[(ENV_VERIFY_EMAILS, "false")])).unwrap();
        assert!(settings.verifier.is_none() && settings.search.is_none());
        let settings = WebSettings::from_lookup(env(&[
            (ENV_DNS_SERVERS, "127.0.0.1:5353"),
            (SearchConfig::ENV_URL, "http://127.0.0.1:8888"),
            (SearchConfig::ENV_TIMEOUT_MS, "1500"),
        ]))
        .unwrap();
        assert!(settings.verifier.is_some() && settings.search.is_some());
        let error = WebSettings::from_lookup(env(&[(ENV_VERIFY_EMAILS, "false"), (SearchConfig::ENV_URL, "searx")])).err().unwrap();
        assert!(error.starts_with(SearchConfig::ENV_URL), "{error}");
    }

    #[test]
    fn discovery_sources_default_to_all_open_ones_and_can_be_chosen_or_turned_off() {
        let off = (ENV_VERIFY_EMAILS, "false");
        let default = WebSettings::from_lookup(env(&[off])).unwrap();
        assert_eq!(default.discovery, DEFAULT_DISCOVERY);
        assert_eq!(default.open_data, Endpoints::default());
        let none = WebSettings::from_lookup(env(&[off, (ENV_DISCOVERY_SOURCES, " None ")])).unwrap();
        assert!(none.discovery.is_empty());
        let chosen = discovery_from_lookup(env(&[(ENV_DISCOVERY_SOURCES, "osm, web_search,osm")])).unwrap();
        assert_eq!(chosen, [LiveSource::OpenStreetMap, LiveSource::WebSearch]);
        let error = discovery_from_lookup(env(&[(ENV_DISCOVERY_SOURCES, "wikidata,lead_index")])).unwrap_err();
        assert!(error.starts_with("QUARRY_DISCOVERY_SOURCES lists \"lead_index\""), "{error}");
        let moved = WebSettings::from_lookup(env(&[off, (ENV_WIKIDATA_URL, "http://query.wikidata.org:8123/sparql")])).unwrap();
        assert_eq!(moved.open_data.wikidata.as_str(), "http://query.wikidata.org:8123/sparql");
        let error = WebSettings::from_lookup(env(&[off, (ENV_OVERPASS_URL, "overpass")])).err().unwrap();
        assert!(error.starts_with(ENV_OVERPASS_URL), "{error}");
        // Brave is used when it is the only provider; SearXNG wins when both are set.
        assert!(WebSettings::from_lookup(env(&[off, (BraveConfig::ENV_API_KEY, "key")])).unwrap().search.is_some());
    }
}

//! What the environment asks of the web engine beyond crawling: email verification and a web
//! search provider. Read once when a process starts, so a malformed value stops it with a sentence
//! naming the variable instead of surprising a job halfway through.
//!
//! | Variable | Meaning |
//! |---|---|
//! | `QUARRY_VERIFY_EMAILS` | `true` (default) or `false`: verify the addresses sites state, infer the missing ones |
//! | `QUARRY_DNS_SERVERS` | comma-separated `ip:port` (or bare `ip`, port 53) name servers for MX look-ups; unset or empty: the system resolver |
//! | `QUARRY_SEARCH_URL`, `QUARRY_SEARCH_TIMEOUT_MS`, `QUARRY_SEARCH_LANGUAGE`, `QUARRY_SEARCH_CATEGORIES` | the SearXNG provider, see [`SearchConfig`] |

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use quarry_engine::search::{SearchConfig, SearxngSearch, WebSearch};
use quarry_engine::verify::{DnsConfig, EmailVerifier};

/// Turns email verification on (`true`, the default) or off (`false`).
pub const ENV_VERIFY_EMAILS: &str = "QUARRY_VERIFY_EMAILS";
/// The name servers MX look-ups ask, instead of the system resolver.
pub const ENV_DNS_SERVERS: &str = "QUARRY_DNS_SERVERS";

/// The verifier and search provider the environment configures.
#[derive(Clone, Default)]
pub struct WebSettings {
    /// `None` when `QUARRY_VERIFY_EMAILS=false`.
    pub verifier: Option<Arc<EmailVerifier>>,
    /// `None` when `QUARRY_SEARCH_URL` is unset.
    pub search: Option<Arc<dyn WebSearch>>,
}

impl WebSettings {
    /// Reads the variables through `lookup` (a stand-in for the environment in tests). `Err`
    /// names the variable and what it should hold.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let verifier = email_verifier_from_lookup(&lookup)?.map(Arc::new);
        let search = match SearchConfig::from_lookup(&lookup)? {
            Some(config) => Some(Arc::new(SearxngSearch::new(config)?) as Arc<dyn WebSearch>),
            None => None,
        };
        Ok(WebSettings { verifier, search })
    }
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
}

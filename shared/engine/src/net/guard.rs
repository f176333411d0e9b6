//! Which network addresses a server-side fetch may reach.
//!
//! Checking the URL's text is not enough (a public-looking name can resolve to 127.0.0.1), so the decision is
//! made on resolved addresses: `GuardedResolver` filters DNS answers, and the fetcher checks IP-literal hosts
//! itself because hyper connects to those without asking the resolver.

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Which destination addresses outbound fetches may connect to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TargetPolicy {
    /// Only public addresses (the default, and what production runs).
    #[default]
    PublicOnly,
    /// Public addresses plus loopback (127.0.0.0/8, ::1): for tests whose fixtures listen on loopback, while
    /// still refusing every other internal range.
    AllowLoopback,
    /// Everything, internal ranges included (`QUARRY_ALLOW_PRIVATE_TARGETS=true`).
    AllowPrivate,
    /// Loopback and nothing else, and no DNS: only host overrides and `localhost` resolve. What test
    /// suites run under, so a test can never reach (or even look up) anything off the machine.
    LoopbackOnly,
}

impl TargetPolicy {
    /// Environment variable that lets an operator opt into internal targets (e.g. a seed file on the LAN).
    pub const ENV: &'static str = "QUARRY_ALLOW_PRIVATE_TARGETS";

    /// Reads the policy from the process environment; see [`TargetPolicy::from_lookup`]. Processes
    /// read their settings once at start instead (`quarry_shared::settings::Settings`, strictly).
    pub fn from_env() -> Self {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the policy through `lookup` (a stand-in for the environment, so tests need not mutate it).
    ///
    /// `true`/`1`/`yes` (case-insensitive, surrounding whitespace ignored) allow private targets; unset,
    /// empty, `false`/`0`/`no` mean public only. Anything else also means public only, with a warning, since
    /// a typo must not silently open the internal network. Start-up reads it with
    /// [`TargetPolicy::try_from_lookup`] instead, which refuses the typo.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self::try_from_lookup(lookup).unwrap_or_else(|reason| {
            tracing::warn!(variable = Self::ENV, "{reason}; refusing private targets");
            Self::PublicOnly
        })
    }

    /// Like [`TargetPolicy::from_lookup`], but a value that is neither true nor false is an `Err`
    /// naming the variable and what it accepts.
    pub fn try_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let Some(raw) = lookup(Self::ENV) else { return Ok(Self::PublicOnly) };
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Self::AllowPrivate),
            "" | "false" | "0" | "no" => Ok(Self::PublicOnly),
            _ => Err(format!("{} must be true or false, got {raw:?}", Self::ENV)),
        }
    }

    /// Whether a connection to `ip` is allowed under this policy.
    pub fn permits(self, ip: IpAddr) -> bool {
        match self {
            Self::PublicOnly => !is_internal(ip),
            Self::AllowLoopback => !is_internal(ip) || is_loopback(ip),
            Self::AllowPrivate => true,
            Self::LoopbackOnly => is_loopback(ip),
        }
    }
}

/// True for every address a server-side fetch must not reach by default.
///
/// Covers the special-purpose IPv4 ranges (unspecified, loopback, private, link-local including cloud
/// metadata, CGNAT, IETF, documentation, benchmarking, multicast, reserved and broadcast), their IPv6
/// counterparts, and IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4), which are judged
/// by the embedded address.
pub fn is_internal(ip: IpAddr) -> bool {
    internal_range(ip).is_some()
}

/// Names the internal range `ip` falls in, for error messages; `None` for public addresses.
pub(crate) fn internal_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_range(v4),
        IpAddr::V6(v6) => v6_range(v6),
    }
}

fn v4_range(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let range = match (a, b, c) {
        (0, _, _) => "unspecified",
        (127, _, _) => "loopback",
        (10, _, _) | (192, 168, _) => "private",
        (172, 16..=31, _) => "private",
        (169, 254, _) => "link-local, where cloud metadata services live",
        (100, 64..=127, _) => "carrier-grade NAT",
        (192, 0, 0) => "IETF protocol assignments",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    };
    Some(range)
}

fn v6_range(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // Translation and tunnelling forms can carry traffic to the embedded IPv4 host, so they are only as public as it is.
    if let Some(v4) = embedded_v4(ip) {
        return v4_range(v4);
    }
    let s = ip.segments();
    let range = match s[0] {
        x if x & 0xfe00 == 0xfc00 => "unique-local",
        x if x & 0xffc0 == 0xfe80 => "link-local",
        x if x & 0xffc0 == 0xfec0 => "site-local",
        x if x & 0xff00 == 0xff00 => "multicast",
        0x2001 if s[1] == 0x0db8 => "documentation",
        _ => return None,
    };
    Some(range)
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        [0x0064, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)),
        _ => None,
    }
}

/// Loopback, including the IPv4-mapped form (::ffff:127.x) a dual-stack resolver may hand back.
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Why the guard refused a target.
///
/// It travels through reqwest's error chain (from the resolver or the redirect policy), where the fetcher finds
/// it by downcasting; matching on message text would break whenever reqwest or hyper reword theirs.
#[derive(Debug)]
pub(crate) struct Refusal(pub(crate) String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Refusal {}

/// Describes a refused address, e.g. "169.254.169.254 is an internal address (link-local, …)".
pub(crate) fn describe_refused(ip: IpAddr) -> String {
    match internal_range(ip) {
        Some(range) => format!("{ip} is an internal address ({range})"),
        None => format!("{ip} is not allowed"),
    }
}

/// Refuses a URL whose host is an IP literal the policy does not permit.
///
/// Hyper connects to IP literals without consulting the resolver, so this check must run before the first
/// request and on every redirect. Domain names pass here and are judged by [`GuardedResolver`].
pub(crate) fn check_literal_host(url: &Url, policy: TargetPolicy) -> Result<(), Refusal> {
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if policy.permits(ip) {
        Ok(())
    } else {
        Err(Refusal(describe_refused(ip)))
    }
}

/// DNS resolver that drops answers the policy does not permit.
///
/// The client connects only to the addresses returned here, so a name cannot be re-resolved to something else
/// between the check and the connection (DNS rebinding).
#[derive(Clone, Debug)]
pub(crate) struct GuardedResolver {
    policy: TargetPolicy,
    hosts: HostOverrides,
}

/// Fixed addresses for some host names, answered instead of DNS and still judged by the policy:
/// fixture webs in tests give realistic domains (`kontorwerk.de`) to servers on loopback.
pub type HostOverrides = std::sync::Arc<std::collections::HashMap<String, IpAddr>>;

/// Environment variable pinning host names to addresses, as curl's `--resolve` does:
/// `kontorwerk.de=127.0.0.1,staging.example.com=10.0.0.7`. For staging sites and local fixture
/// webs; the target policy still judges the addresses (a private one needs
/// `QUARRY_ALLOW_PRIVATE_TARGETS=true`).
pub const RESOLVE_ENV: &str = "QUARRY_RESOLVE";

/// Reads [`RESOLVE_ENV`] through `lookup`. Unset or empty means no overrides; a malformed entry is an
/// error naming it (a typo must not silently send requests elsewhere).
pub fn host_overrides_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<HostOverrides, String> {
    let raw = lookup(RESOLVE_ENV).unwrap_or_default();
    let mut hosts = std::collections::HashMap::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry.split_once('=').and_then(|(host, ip)| {
            let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
            let ip: IpAddr = ip.trim().trim_start_matches('[').trim_end_matches(']').parse().ok()?;
            (!host.is_empty() && !host.contains(['/', ':', ' '])).then_some((host, ip))
        });
        match parsed {
            Some((host, ip)) => {
                hosts.insert(host, ip);
            }
            None => return Err(format!("{RESOLVE_ENV}: `{entry}` is not `host=ip` (e.g. kontorwerk.de=127.0.0.1)")),
        }
    }
    Ok(std::sync::Arc::new(hosts))
}

impl GuardedResolver {
    /// A resolver enforcing `policy`.
    pub(crate) fn new(policy: TargetPolicy) -> Self {
        Self::with_hosts(policy, HostOverrides::default())
    }

    /// A resolver enforcing `policy` that answers the names in `hosts` itself.
    pub(crate) fn with_hosts(policy: TargetPolicy, hosts: HostOverrides) -> Self {
        Self { policy, hosts }
    }

    async fn lookup(self, host: String) -> Result<Vec<SocketAddr>, Box<dyn StdError + Send + Sync>> {
        let resolved: Vec<SocketAddr> = match self.hosts.get(&host.to_ascii_lowercase()) {
            Some(ip) => vec![SocketAddr::new(*ip, 0)],
            None if self.policy == TargetPolicy::LoopbackOnly && !host.eq_ignore_ascii_case("localhost") => {
                return Err(Box::new(Refusal(format!("{host} is not a fixture host, and only loopback fixtures are reachable here"))));
            }
            None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
        };
        let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = resolved.into_iter().partition(|addr| self.policy.permits(addr.ip()));
        if !allowed.is_empty() {
            return Ok(allowed);
        }
        if refused.is_empty() {
            return Err(format!("{host} did not resolve to any address").into());
        }
        // The addresses go to the operator's log, never to the caller: what an internal name
        // resolves to is a map of the operator's network.
        let mut listed: Vec<String> = Vec::new();
        for addr in &refused {
            let entry = format!("{}: {}", addr.ip(), internal_range(addr.ip()).unwrap_or("not allowed"));
            if !listed.contains(&entry) {
                listed.push(entry);
            }
        }
        tracing::warn!(%host, addresses = %listed.join("; "), "refused a target that resolves only to internal addresses");
        Err(Box::new(Refusal(format!("{host} is not an allowed target"))))
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = resolver.lookup(host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn resolve_pins_hosts_and_rejects_typos() {
        let env = |value: &'static str| move |key: &str| (key == RESOLVE_ENV).then(|| value.to_string());
        let hosts = host_overrides_from_lookup(env("Kontorwerk.DE=127.0.0.1, v6.example=[::1]")).unwrap();
        assert_eq!(hosts.get("kontorwerk.de"), Some(&ip("127.0.0.1")));
        assert_eq!(hosts.get("v6.example"), Some(&ip("::1")));
        assert!(host_overrides_from_lookup(|_| None).unwrap().is_empty());
        for bad in ["kontorwerk.de", "kontorwerk.de=localhost", "=127.0.0.1", "http://x=127.0.0.1"] {
            let err = host_overrides_from_lookup(env(bad)).unwrap_err();
            assert!(err.contains(RESOLVE_ENV), "{err}");
        }
    }

    #[test]
    fn classifies_addresses() {
        let table: &[(&str, bool)] = &[
            // IPv4 internal ranges, including both edges where a range ends mid-octet.
            ("0.0.0.0", true),
            ("0.1.2.3", true),
            ("127.0.0.1", true),
            ("127.255.255.254", true),
            ("10.0.0.1", true),
            ("10.255.255.255", true),
            ("172.16.0.1", true),
            ("172.31.255.255", true),
            ("172.15.255.255", false),
            ("172.32.0.1", false),
            ("192.168.1.1", true),
            ("169.254.169.254", true),
            ("169.254.0.1", true),
            ("100.64.0.1", true),
            ("100.127.255.255", true),
            ("100.63.255.255", false),
            ("100.128.0.1", false),
            ("192.0.0.8", true),
            ("192.0.2.1", true),
            ("198.51.100.7", true),
            ("203.0.113.9", true),
            ("198.18.0.1", true),
            ("198.19.255.255", true),
            ("198.20.0.1", false),
            ("224.0.0.1", true),
            ("239.255.255.250", true),
            ("240.0.0.1", true),
            ("255.255.255.255", true),
            // IPv4 public.
            ("8.8.8.8", false),
            ("1.1.1.1", false),
            ("93.184.215.14", false),
            ("192.0.1.1", false),
            ("223.255.255.255", false),
            // IPv6 internal ranges.
            ("::", true),
            ("::1", true),
            ("fc00::1", true),
            ("fd12:3456::1", true),
            ("fe80::1", true),
            ("febf::1", true),
            ("fec0::1", true),
            ("ff02::1", true),
            ("2001:db8::1", true),
            // IPv6 forms embedding IPv4, judged by the embedded address.
            ("::ffff:127.0.0.1", true),
            ("::ffff:169.254.169.254", true),
            ("::ffff:10.1.2.3", true),
            ("::ffff:8.8.8.8", false),
            ("::127.0.0.1", true),
            ("::192.168.0.1", true),
            ("::8.8.8.8", false),
            ("64:ff9b::10.0.0.1", true),
            ("64:ff9b::169.254.169.254", true),
            ("64:ff9b::8.8.8.8", false),
            ("2002:7f00:1::", true),
            ("2002:a9fe:a9fe::1", true),
            ("2002:0808:0808::1", false),
            // IPv6 public.
            ("2606:4700::1111", false),
            ("2001:4860:4860::8888", false),
            ("2a00:1450:4001::1", false),
            ("2001:db9::1", false),
        ];
        let wrong: Vec<String> = table
            .iter()
            .filter(|(addr, internal)| is_internal(ip(addr)) != *internal)
            .map(|(addr, internal)| format!("{addr}: expected internal={internal}"))
            .collect();
        assert!(wrong.is_empty(), "misclassified: {wrong:#?}");
    }

    #[test]
    fn policies_permit_what_they_promise() {
        use TargetPolicy::*;
        let cases: &[(&str, [bool; 3])] = &[
            // address, [PublicOnly, AllowLoopback, AllowPrivate]
            ("8.8.8.8", [true, true, true]),
            ("2606:4700::1111", [true, true, true]),
            ("127.0.0.1", [false, true, true]),
            ("127.8.9.10", [false, true, true]),
            ("::1", [false, true, true]),
            ("::ffff:127.0.0.1", [false, true, true]),
            ("10.0.0.1", [false, false, true]),
            ("169.254.169.254", [false, false, true]),
            ("::ffff:169.254.169.254", [false, false, true]),
            ("fd00::1", [false, false, true]),
            ("0.0.0.0", [false, false, true]),
            ("::", [false, false, true]),
        ];
        for (addr, expected) in cases {
            for (policy, want) in [PublicOnly, AllowLoopback, AllowPrivate].into_iter().zip(expected) {
                assert_eq!(policy.permits(ip(addr)), *want, "{policy:?} permits {addr}");
            }
        }
    }

    #[test]
    fn parses_the_environment_value() {
        let read = |value: Option<&str>| {
            TargetPolicy::from_lookup(|key| {
                assert_eq!(key, TargetPolicy::ENV);
                value.map(str::to_owned)
            })
        };
        for on in ["true", "TRUE", " True ", "1", "yes", "YES\n"] {
            assert_eq!(read(Some(on)), TargetPolicy::AllowPrivate, "{on:?}");
        }
        for off in ["", "  ", "false", "FALSE", "0", "no", " No "] {
            assert_eq!(read(Some(off)), TargetPolicy::PublicOnly, "{off:?}");
        }
        for bad in ["ture", "on", "2", "allow", "yes please"] {
            assert_eq!(read(Some(bad)), TargetPolicy::PublicOnly, "{bad:?}");
        }
        assert_eq!(read(None), TargetPolicy::PublicOnly);
        assert_eq!(TargetPolicy::default(), TargetPolicy::PublicOnly);
        let strict = |value: &str| TargetPolicy::try_from_lookup(|_| Some(value.to_owned()));
        assert_eq!(strict(" Yes "), Ok(TargetPolicy::AllowPrivate));
        assert_eq!(strict(""), Ok(TargetPolicy::PublicOnly));
        assert_eq!(strict("ture"), Err("QUARRY_ALLOW_PRIVATE_TARGETS must be true or false, got \"ture\"".to_string()));
    }

    #[test]
    fn literal_hosts_are_checked_after_url_normalisation() {
        // url normalises decimal, hex and shortened IPv4 forms to Host::Ipv4, which is what hyper will dial.
        for raw in
            ["http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://[::1]:8080/", "http://[::ffff:7f00:1]/"]
        {
            let url = Url::parse(raw).unwrap();
            let err = check_literal_host(&url, TargetPolicy::PublicOnly).expect_err(raw);
            assert!(err.0.contains("loopback"), "{raw}: {err}");
            check_literal_host(&url, TargetPolicy::AllowLoopback).unwrap_or_else(|e| panic!("{raw}: {e}"));
        }
        let metadata = Url::parse("http://169.254.169.254/latest/meta-data/").unwrap();
        let err = check_literal_host(&metadata, TargetPolicy::AllowLoopback).unwrap_err();
        assert!(err.0.starts_with("169.254.169.254 is an internal address (link-local"), "{err}");
        check_literal_host(&metadata, TargetPolicy::AllowPrivate).unwrap();
        // Names are left to the resolver.
        check_literal_host(&Url::parse("http://localhost/").unwrap(), TargetPolicy::PublicOnly).unwrap();
    }

    #[tokio::test]
    async fn resolver_drops_refused_addresses() {
        let name: Name = "localhost".parse().unwrap();
        let err = match GuardedResolver::new(TargetPolicy::PublicOnly).resolve(name).await {
            Ok(addrs) => panic!("localhost resolved under PublicOnly: {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        let refusal = err.downcast_ref::<Refusal>().unwrap_or_else(|| panic!("not a Refusal: {err}"));
        assert_eq!(refusal.0, "localhost is not an allowed target", "the refusal must not say what the name resolves to");

        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = match GuardedResolver::new(TargetPolicy::AllowLoopback).resolve(name).await {
            Ok(addrs) => addrs.collect(),
            Err(err) => panic!("localhost refused under AllowLoopback: {err}"),
        };
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| is_loopback(a.ip())), "{addrs:?}");
    }

    #[tokio::test]
    async fn resolver_passes_literal_addresses_through_the_same_filter() {
        // getaddrinfo answers IP strings itself, so this exercises the filter without any real DNS.
        let refused = GuardedResolver::new(TargetPolicy::AllowLoopback).resolve("10.1.2.3".parse().unwrap()).await;
        let err = refused.err().expect("10.1.2.3 must be refused");
        assert!(err.is::<Refusal>(), "{err}");
        assert!(err.to_string().contains("is not an allowed target"), "{err}");
        assert!(!err.to_string().contains("private"), "the refusal must not say what the name resolves to: {err}");

        let allowed = GuardedResolver::new(TargetPolicy::AllowPrivate).resolve("10.1.2.3".parse().unwrap()).await;
        let addrs: Vec<SocketAddr> = allowed.map_err(|e| e.to_string()).unwrap().collect();
        assert_eq!(addrs, vec![SocketAddr::from(([10, 1, 2, 3], 0))]);
    }
}

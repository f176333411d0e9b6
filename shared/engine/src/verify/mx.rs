//! MX look-ups: where the mail for a domain goes, through a configurable resolver with a short
//! timeout and an in-memory per-domain cache.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use serde::Serialize;
use tokio::sync::OnceCell;

/// Where MX look-ups go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DnsConfig {
    /// The host's resolver configuration (`/etc/resolv.conf` on Unix).
    #[default]
    System,
    /// These name servers, asked over UDP with TCP for truncated answers (e.g. a loopback test
    /// server).
    Servers(Vec<SocketAddr>),
}

/// Tuning for [`super::EmailVerifier`]. The defaults suit production; tests shorten them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierOptions {
    /// How long one DNS query may take, retransmissions included. An address needs one query
    /// (MX) and at most two more (A, then AAAA, when there is no MX). Default 2 s.
    pub timeout: Duration,
    /// How long a domain's MX result is reused. Default 1 hour. Results that say nothing about
    /// the domain ([`MxStatus::Unknown`]: timeouts, server failures) are never cached. Zero
    /// disables the cache.
    pub cache_ttl: Duration,
    /// How many domains the cache holds before it drops expired entries, and then everything if
    /// that was not enough. Default 10 000.
    pub cache_capacity: usize,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(2), cache_ttl: Duration::from_secs(3600), cache_capacity: 10_000 }
    }
}

/// What DNS says about where a domain's mail goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum MxStatus {
    /// The domain has MX records; their hosts, most preferred first (lowercase, no trailing dot).
    Found(Vec<String>),
    /// The name exists but has no MX records, only an address (A or AAAA): mail is delivered to
    /// the domain itself (the implicit MX of RFC 5321 §5.1). It works, but is unusual for a
    /// domain that really receives mail.
    NoMx,
    /// The name exists but has neither MX nor address records: there is nowhere to deliver.
    NoMailHost,
    /// The domain does not exist (NXDOMAIN).
    NoDomain,
    /// The domain publishes a null MX (RFC 7505: a single MX of `.`): it accepts no mail.
    NullMx,
    /// DNS gave no usable answer (timeout, server failure, refusal): says nothing about the
    /// address. The text tells what went wrong.
    Unknown(String),
    /// No look-up was made, because the address failed the syntax check.
    NotChecked,
}

/// A cached result: a cell that the first asker fills and everyone else awaits, so concurrent
/// checks of one domain make one set of queries.
struct Slot {
    created: Instant,
    cell: Arc<OnceCell<MxStatus>>,
}

/// The resolver with its per-domain cache.
pub(super) struct MxResolver {
    resolver: TokioResolver,
    cache: Mutex<HashMap<String, Slot>>,
    options: VerifierOptions,
    /// How many uncached look-ups ran (each one to three queries); for tests.
    pub(super) look_ups: AtomicUsize,
}

impl MxResolver {
    pub(super) fn new(dns: &DnsConfig, options: VerifierOptions) -> Result<Self, super::VerifyError> {
        let mut builder = match dns {
            DnsConfig::System => TokioResolver::builder_tokio().map_err(|e| super::VerifyError::SystemConfig(e.to_string()))?,
            DnsConfig::Servers(servers) => {
                if servers.is_empty() {
                    return Err(super::VerifyError::NoServers);
                }
                let name_servers = servers
                    .iter()
                    .map(|addr| {
                        let mut udp = ConnectionConfig::udp();
                        udp.port = addr.port();
                        let mut tcp = ConnectionConfig::tcp();
                        tcp.port = addr.port();
                        NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
                    })
                    .collect();
                Resolver::builder_with_config(ResolverConfig::from_name_servers(name_servers), TokioRuntimeProvider::default())
            }
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = options.timeout;
        opts.attempts = 1;
        // /etc/hosts knows nothing about mail and would make the A fallback lie.
        opts.use_hosts_file = ResolveHosts::Never;
        // The per-domain cache below does the caching that matters; keep the resolver's small.
        opts.cache_size = 1024;
        let resolver = builder.build().map_err(|e| super::VerifyError::Resolver(e.to_string()))?;
        Ok(Self { resolver, cache: Mutex::new(HashMap::new()), options, look_ups: AtomicUsize::new(0) })
    }

    /// The MX status of `domain` (lowercase ASCII, already syntax-checked), from the cache when
    /// it is fresh there.
    pub(super) async fn status(&self, domain: &str) -> MxStatus {
        if self.options.cache_ttl.is_zero() {
            return self.look_up(domain).await;
        }
        let cell = self.slot(domain);
        let status = cell.get_or_init(|| self.look_up(domain)).await.clone();
        if matches!(status, MxStatus::Unknown(_)) {
            // Transient: let the next check ask again.
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.get(domain).is_some_and(|slot| Arc::ptr_eq(&slot.cell, &cell)) {
                cache.remove(domain);
            }
        }
        status
    }

    fn slot(&self, domain: &str) -> Arc<OnceCell<MxStatus>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = self.options.cache_ttl;
        if let Some(slot) = cache.get(domain) {
            if slot.created.elapsed() < ttl {
                return slot.cell.clone();
            }
        }
        if cache.len() >= self.options.cache_capacity.max(1) {
            cache.retain(|_, slot| slot.created.elapsed() < ttl);
            if cache.len() >= self.options.cache_capacity.max(1) {
                cache.clear();
            }
        }
        let cell = Arc::new(OnceCell::new());
        cache.insert(domain.to_string(), Slot { created: Instant::now(), cell: cell.clone() });
        cell
    }

    async fn look_up(&self, domain: &str) -> MxStatus {
        self.look_ups.fetch_add(1, Ordering::Relaxed);
        // A fully qualified name, so that no search domain from resolv.conf is ever appended.
        let name = match Name::from_ascii(domain) {
            Ok(mut name) => {
                name.set_fqdn(true);
                name
            }
            Err(e) => return MxStatus::Unknown(format!("not a DNS name: {e}")),
        };
        let status = match self.query(&name, RecordType::MX).await {
            Ok(lookup) => {
                let mut records: Vec<(u16, Name)> = lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::MX(mx) => Some((mx.preference, mx.exchange.clone())),
                        _ => None,
                    })
                    .collect();
                if records.is_empty() {
                    // Only a CNAME chain without MX at its end: same as no MX.
                    self.address_fallback(&name).await
                } else if records.iter().all(|(_, host)| host.is_root()) {
                    MxStatus::NullMx
                } else {
                    // A stray "." among real hosts is a misconfiguration; the real hosts still work.
                    records.retain(|(_, host)| !host.is_root());
                    records.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
                    let mut hosts: Vec<String> = Vec::with_capacity(records.len());
                    for (_, host) in records {
                        let host = host.to_ascii().trim_end_matches('.').to_ascii_lowercase();
                        if !hosts.contains(&host) {
                            hosts.push(host);
                        }
                    }
                    MxStatus::Found(hosts)
                }
            }
            Err(e) if e.is_nx_domain() => MxStatus::NoDomain,
            Err(e) if e.is_no_records_found() => self.address_fallback(&name).await,
            Err(e) => unknown(e),
        };
        tracing::debug!(domain, ?status, "MX look-up");
        status
    }

    /// One query, bounded by the configured timeout. The resolver's own timeout applies per
    /// attempt inside it (a silent server was seen to take twice as long); this bound is the one
    /// callers are promised.
    async fn query(&self, name: &Name, record_type: RecordType) -> Result<Lookup, NetError> {
        let lookup = self.resolver.lookup(name.clone(), record_type);
        tokio::time::timeout(self.options.timeout, lookup).await.unwrap_or(Err(NetError::Timeout))
    }

    /// RFC 5321 §5.1: with no MX, mail goes to the domain's own address, if it has one.
    async fn address_fallback(&self, name: &Name) -> MxStatus {
        for record_type in [RecordType::A, RecordType::AAAA] {
            match self.query(name, record_type).await {
                Ok(lookup) if lookup.answers().iter().any(|r| r.record_type() == record_type) => return MxStatus::NoMx,
                Ok(_) => {}
                Err(e) if e.is_nx_domain() => return MxStatus::NoDomain,
                Err(e) if e.is_no_records_found() => {}
                Err(e) => return unknown(e),
            }
        }
        MxStatus::NoMailHost
    }
}

fn unknown(error: NetError) -> MxStatus {
    MxStatus::Unknown(match error {
        NetError::Timeout => "DNS timeout".to_string(),
        other => other.to_string(),
    })
}

//! Guarded HTTP GET of user-supplied URLs with size, time and redirect limits.
//!
//! The guard runs at three points because each one alone has a gap: the URL is vetted before the first request
//! (IP-literal hosts never reach the resolver), the resolver vets every name lookup (including ones made for
//! redirect hops), and the redirect policy vets every `Location` before it is followed.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::redirect;
use url::Url;

use super::guard::{self, GuardedResolver, Refusal, TargetPolicy};

/// The `User-Agent` sent with every fetch, so site owners can tell who is calling and where to read about it.
pub const USER_AGENT: &str =
    concat!("Quarry/", env!("CARGO_PKG_VERSION"), " (self-hosted lead research; +https://github.com/quarry-leads/quarry)");

/// Bounds on a single fetch.
#[derive(Clone, Copy, Debug)]
pub struct FetchLimits {
    /// Largest body accepted, in bytes; the download stops as soon as it is exceeded.
    pub max_bytes: u64,
    /// Deadline for the whole fetch: connecting, every redirect hop and reading the body.
    pub timeout: Duration,
    /// Deadline for establishing each TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Most redirects followed before giving up.
    pub max_redirects: usize,
}

impl FetchLimits {
    /// Seed attachments: 25 MiB, 30 s total, 10 s connect, 5 redirects.
    pub const ATTACHMENT: FetchLimits = FetchLimits {
        max_bytes: 25 * 1024 * 1024,
        timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(10),
        max_redirects: 5,
    };
}

/// A successfully fetched response (status 2xx, body within limits).
#[derive(Clone, Debug)]
pub struct Fetched {
    /// URL the body came from, after redirects.
    pub final_url: Url,
    /// HTTP status of the final response.
    pub status: u16,
    /// `Content-Type` header of the final response, if present and valid text.
    pub content_type: Option<String>,
    /// The complete body.
    pub body: Bytes,
}

/// Why a fetch failed. `url` is always the URL the caller asked for (with any credentials removed); the
/// display text is a sentence meant for the user who supplied it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL cannot be fetched at all: unparseable, not http/https, or carrying credentials.
    #[error("{url:?} is not a URL Quarry can fetch: {reason}. Use a plain http:// or https:// URL.")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server-side request forgery guard refused the target, directly or on a redirect hop.
    #[error(
        "Refused to fetch {url}: {reason}. Quarry only fetches from public internet addresses; \
         use a publicly reachable URL, or ask the operator to set QUARRY_ALLOW_PRIVATE_TARGETS=true."
    )]
    Refused {
        /// The URL as given.
        url: String,
        /// Which address or redirect was refused, and why.
        reason: String,
    },
    /// The final response was not 2xx.
    #[error("{url} answered with HTTP status {status}. Check that the URL is correct and publicly accessible.")]
    Status {
        /// The URL as given.
        url: String,
        /// The final response's status.
        status: u16,
    },
    /// The body (or its declared `Content-Length`) exceeded the limit.
    #[error("{url} returned more than {}, the most Quarry accepts here. Use a smaller file.", describe_bytes(*.limit))]
    TooLarge {
        /// The URL as given.
        url: String,
        /// The limit that was exceeded, in bytes.
        limit: u64,
    },
    /// The fetch did not finish within the time limit.
    #[error("{url} did not respond in time. Try again later, or host the file somewhere that responds faster.")]
    Timeout {
        /// The URL as given.
        url: String,
    },
    /// The redirect chain was longer than allowed.
    #[error("{url} redirected more than {limit} times. Use the final URL the file is served from.")]
    TooManyRedirects {
        /// The URL as given.
        url: String,
        /// The most redirects allowed.
        limit: usize,
    },
    /// Connection, TLS or protocol failure.
    #[error("Could not fetch {url}: {detail}. Check that the URL is reachable from the internet.")]
    Network {
        /// The URL as given.
        url: String,
        /// The underlying failure.
        detail: String,
    },
}

/// A failed fetch, with how long the server asked the caller to wait before asking again
/// (`Retry-After` in seconds on a non-2xx answer; HTTP dates are not read).
#[derive(Clone, Debug)]
pub struct FailedFetch {
    pub error: FetchError,
    pub retry_after: Option<Duration>,
}

impl From<FetchError> for FailedFetch {
    fn from(error: FetchError) -> Self {
        FailedFetch { error, retry_after: None }
    }
}

/// HTTP client for user-supplied URLs, guarded against reaching internal addresses. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: TargetPolicy,
    limits: FetchLimits,
    hosts: guard::HostOverrides,
}

impl Fetcher {
    /// Builds a fetcher enforcing `policy` and `limits`.
    ///
    /// # Panics
    ///
    /// If the TLS backend cannot be initialised, as `reqwest::Client::new` does.
    pub fn new(policy: TargetPolicy, limits: FetchLimits) -> Self {
        Self::with_hosts(policy, limits, guard::HostOverrides::default())
    }

    /// A fetcher that resolves the names in `hosts` to the given addresses instead of asking DNS
    /// (still subject to `policy`): a fixture web on loopback under realistic domains.
    pub fn with_hosts(policy: TargetPolicy, limits: FetchLimits, hosts: guard::HostOverrides) -> Self {
        let max_redirects = limits.max_redirects;
        let redirects = redirect::Policy::custom(move |attempt| {
            // `previous` starts with the original URL, so its length is the number of this redirect.
            if attempt.previous().len() > max_redirects {
                return attempt.error(RedirectLimit);
            }
            match redirect_refusal(attempt.url(), policy) {
                None => attempt.follow(),
                Some(reason) => attempt.error(Refusal(reason)),
            }
        });
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            // A proxy would resolve names itself, out of the guard's sight.
            .no_proxy()
            .dns_resolver(std::sync::Arc::new(GuardedResolver::with_hosts(policy, hosts.clone())))
            .redirect(redirects)
            // Don't leak the previous (possibly secret-bearing) URL to the next host.
            .referer(false)
            .timeout(limits.timeout)
            .connect_timeout(limits.connect_timeout)
            .user_agent(USER_AGENT)
            .build()
            .expect("building the outbound HTTP client (TLS backend initialisation) failed");
        Self { client, policy, limits, hosts }
    }

    /// The same fetcher (policy, host overrides) with other limits.
    pub fn with_limits(&self, limits: FetchLimits) -> Self {
        Self::with_hosts(self.policy, limits, self.hosts.clone())
    }

    /// The target policy this fetcher enforces.
    pub fn policy(&self) -> TargetPolicy {
        self.policy
    }

    /// The limits this fetcher enforces.
    pub fn limits(&self) -> FetchLimits {
        self.limits
    }

    /// Fetches `url` with GET, following permitted redirects, and returns the whole body.
    pub async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        self.get_accepting(url, None).await.map_err(|refused| refused.error)
    }

    /// Like [`Self::get`], sending `accept` as the `Accept` header when given, and saying on a
    /// non-2xx answer how long its `Retry-After` header (in seconds) asks the caller to wait:
    /// for public APIs (Wikidata, Overpass) that answer 429 when busy.
    pub async fn get_accepting(&self, url: &str, accept: Option<&str>) -> Result<Fetched, FailedFetch> {
        self.fetch(url, accept).await
    }

    async fn fetch(&self, url: &str, accept: Option<&str>) -> Result<Fetched, FailedFetch> {
        let parsed =
            Url::parse(url).map_err(|e| FailedFetch::from(FetchError::InvalidUrl { url: url.to_owned(), reason: e.to_string() }))?;
        // Echo the caller's text unless it holds credentials, which must not end up in logs or job records.
        let shown = if has_credentials(&parsed) { redact(&parsed) } else { url.to_owned() };
        match vet(&parsed, self.policy) {
            Ok(()) => {}
            Err(UrlProblem::Invalid(reason)) => return Err(FetchError::InvalidUrl { url: shown, reason }.into()),
            Err(UrlProblem::Refused(reason)) => return Err(FetchError::Refused { url: shown, reason }.into()),
        }

        let mut request = self.client.get(parsed.clone());
        if let Some(accept) = accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        let mut response = request.send().await.map_err(|e| FailedFetch::from(self.classify(&shown, &parsed, e)))?;
        let status = response.status();
        if status.is_redirection() {
            if let Some(reason) = self.unfollowed_redirect(&response) {
                return Err(FetchError::Refused { url: shown, reason }.into());
            }
        }
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(FailedFetch { error: FetchError::Status { url: shown, status: status.as_u16() }, retry_after });
        }
        let max = self.limits.max_bytes;
        let too_large = || FetchError::TooLarge { url: shown.clone(), limit: max };
        let declared = response.content_length();
        if declared.is_some_and(|len| len > max) {
            return Err(too_large().into());
        }
        let final_url = response.url().clone();
        let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);

        // Pre-size from Content-Length (already known to be within the limit) but never trust it beyond that.
        let mut body = BytesMut::with_capacity(usize::try_from(declared.unwrap_or(0)).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|e| FailedFetch::from(self.classify(&shown, &parsed, e)))? {
            if body.len() as u64 + chunk.len() as u64 > max {
                return Err(too_large().into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { final_url, status: status.as_u16(), content_type, body: body.freeze() })
    }

    /// Explains a redirect the client handed back instead of following: locations that do not parse as an
    /// http(s) URI (e.g. `file:///etc/passwd`) never reach the redirect policy.
    fn unfollowed_redirect(&self, response: &reqwest::Response) -> Option<String> {
        let location = response.headers().get(LOCATION)?;
        let Some(next) = location.to_str().ok().and_then(|text| response.url().join(text).ok()) else {
            return Some(format!("it redirects to {:?}, which is not a valid URL", String::from_utf8_lossy(location.as_bytes())));
        };
        redirect_refusal(&next, self.policy)
    }

    /// Maps a reqwest failure to the error the user sees.
    fn classify(&self, shown: &str, requested: &Url, err: reqwest::Error) -> FetchError {
        let url = shown.to_owned();
        let mut cause: Option<&(dyn StdError + 'static)> = Some(&err);
        while let Some(e) = cause {
            if let Some(refusal) = e.downcast_ref::<Refusal>() {
                let mut reason = refusal.0.clone();
                // A resolver refusal does not say which hop it happened on.
                if let Some(hop) = err.url().filter(|hop| !same_target(hop, requested)) {
                    if !reason.starts_with("it redirects to") {
                        reason = format!("it redirects to {}, and {reason}", redact(hop));
                    }
                }
                return FetchError::Refused { url, reason };
            }
            if e.is::<RedirectLimit>() {
                return FetchError::TooManyRedirects { url, limit: self.limits.max_redirects };
            }
            cause = e.source();
        }
        if err.is_timeout() {
            return FetchError::Timeout { url };
        }
        // The outer layers only say "error sending request for url (…)"; the root cause is what a user can act
        // on ("Connection refused", a DNS failure, an untrusted certificate).
        let mut root: &(dyn StdError + 'static) = &err;
        while let Some(next) = root.source() {
            root = next;
        }
        let detail = if std::ptr::addr_eq(root, &err) { err.without_url().to_string() } else { root.to_string() };
        FetchError::Network { url, detail }
    }
}

/// Marker error the redirect policy returns when the chain is too long; found again by downcasting.
#[derive(Debug)]
struct RedirectLimit;

impl fmt::Display for RedirectLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("too many redirects")
    }
}

impl StdError for RedirectLimit {}

enum UrlProblem {
    Invalid(String),
    Refused(String),
}

/// Checks everything about a URL that can be judged before connecting; used on the original URL and every hop.
fn vet(url: &Url, policy: TargetPolicy) -> Result<(), UrlProblem> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlProblem::Invalid(format!("only http and https URLs can be fetched, not {}:", url.scheme())));
    }
    if has_credentials(url) {
        return Err(UrlProblem::Invalid("credentials in URLs are not sent".to_owned()));
    }
    if url.host().is_none() {
        return Err(UrlProblem::Invalid("it has no host".to_owned()));
    }
    guard::check_literal_host(url, policy).map_err(|r| UrlProblem::Refused(r.0))
}

/// Why a redirect to `next` must not be followed, phrased to follow "Refused to fetch `<url>`: ".
fn redirect_refusal(next: &Url, policy: TargetPolicy) -> Option<String> {
    match vet(next, policy) {
        Ok(()) => None,
        Err(UrlProblem::Invalid(why)) => Some(format!("it redirects to {}, which cannot be fetched: {why}", redact(next))),
        Err(UrlProblem::Refused(why)) => Some(format!("it redirects to {}, and {why}", redact(next))),
    }
}

fn has_credentials(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

fn redact(url: &Url) -> String {
    let mut url = url.clone();
    // Both fail only for URLs that cannot carry credentials, where there is nothing to remove.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

fn same_target(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host() == b.host() && a.port_or_known_default() == b.port_or_known_default()
}

fn describe_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match n {
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= KIB && n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Instant;

    use axum::body::Body;
    use axum::extract::{Path, Request, State};
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::middleware::{self, Next};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::serve::ListenerExt;
    use axum::Router;
    use futures_util::stream;

    use super::*;

    const CSV: &str = "name,domain\nAcme,acme.test\n";

    /// A fixture server on 127.0.0.1 that counts TCP connections and requests.
    struct Server {
        addr: SocketAddr,
        connections: Arc<AtomicUsize>,
        requests: Arc<AtomicUsize>,
    }

    impl Server {
        fn url(&self, path: &str) -> String {
            format!("http://{}{path}", self.addr)
        }

        fn connections(&self) -> usize {
            self.connections.load(Ordering::SeqCst)
        }

        fn requests(&self) -> usize {
            self.requests.load(Ordering::SeqCst)
        }
    }

    fn found(location: &str) -> Response {
        (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
    }

    fn streamed(len: usize) -> Body {
        let chunks = (0..len).step_by(256).map(move |start| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 256.min(len - start)])));
        Body::from_stream(stream::iter(chunks.collect::<Vec<_>>()))
    }

    async fn count(State(requests): State<Arc<AtomicUsize>>, request: Request, next: Next) -> Response {
        requests.fetch_add(1, Ordering::SeqCst);
        next.run(request).await
    }

    async fn spawn_server() -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        let listener = listener.tap_io(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        let router = Router::new()
            .route("/text", get(|| async { ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], CSV) }))
            .route("/ua", get(|headers: HeaderMap| async move { headers[header::USER_AGENT].to_str().unwrap().to_owned() }))
            .route(
                "/hop/{n}",
                get(|Path(n): Path<u32>| async move {
                    if n == 0 {
                        "arrived".into_response()
                    } else {
                        found(&format!("/hop/{}", n - 1))
                    }
                }),
            )
            .route("/to-metadata", get(|| async { found("http://169.254.169.254/latest/meta-data/") }))
            .route("/to-private", get(|| async { found("http://10.0.0.1/") }))
            .route("/to-ftp", get(|| async { found("ftp://127.0.0.1/seed.csv") }))
            .route("/to-file", get(|| async { found("file:///etc/passwd") }))
            .route("/sized/{n}", get(|Path(n): Path<usize>| async move { Bytes::from(vec![b'x'; n]) }))
            .route("/streamed/{n}", get(|Path(n): Path<usize>| async move { streamed(n) }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    "late"
                }),
            )
            .route(
                "/stall-body",
                get(|| async {
                    let body = stream::unfold(false, |sent| async move {
                        if sent {
                            tokio::time::sleep(Duration::from_secs(10)).await;
                            None
                        } else {
                            Some((Ok::<_, std::io::Error>(Bytes::from_static(b"partial")), true))
                        }
                    });
                    Body::from_stream(body)
                }),
            )
            .layer(middleware::from_fn_with_state(requests.clone(), count));
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Server { addr, connections, requests }
    }

    /// Short limits so a regression fails quickly instead of hanging.
    fn limits() -> FetchLimits {
        FetchLimits { max_bytes: 1024, timeout: Duration::from_secs(5), connect_timeout: Duration::from_secs(2), max_redirects: 3 }
    }

    fn loopback() -> Fetcher {
        Fetcher::new(TargetPolicy::AllowLoopback, limits())
    }

    #[tokio::test]
    async fn host_overrides_answer_for_dns_and_stay_guarded() {
        let server = spawn_server().await;
        let hosts: guard::HostOverrides = std::sync::Arc::new([("fixture.example".to_string(), server.addr.ip())].into_iter().collect());
        let url = format!("http://Fixture.Example:{}/text", server.addr.port());
        let fetched = Fetcher::with_hosts(TargetPolicy::AllowLoopback, limits(), hosts.clone()).get(&url).await.unwrap();
        assert_eq!(fetched.body, CSV.as_bytes());
        let before = server.requests.load(Ordering::SeqCst);
        let refused = Fetcher::with_hosts(TargetPolicy::PublicOnly, limits(), hosts).get(&url).await.unwrap_err();
        assert!(matches!(refused, FetchError::Refused { .. }), "{refused:?}");
        assert_eq!(server.requests.load(Ordering::SeqCst), before, "an override to loopback is still loopback");

        // Test suites: loopback only, and no DNS for anything but the overrides and localhost.
        let hosts: guard::HostOverrides = std::sync::Arc::new([("fixture.example".to_string(), server.addr.ip())].into_iter().collect());
        let only = Fetcher::with_hosts(TargetPolicy::LoopbackOnly, limits(), hosts);
        assert_eq!(only.get(&url).await.unwrap().body, CSV.as_bytes());
        assert_eq!(only.get(&server.url("/text")).await.unwrap().body, CSV.as_bytes());
        for elsewhere in ["http://example.com/", "http://93.184.215.14/", "http://10.0.0.1/"] {
            assert!(matches!(only.get(elsewhere).await, Err(FetchError::Refused { .. })), "{elsewhere}");
        }
    }

    #[tokio::test]
    async fn fetches_a_body_from_a_permitted_target() {
        let server = spawn_server().await;
        let fetched = loopback().get(&server.url("/text")).await.unwrap();
        assert_eq!(fetched.status, 200);
        assert_eq!(fetched.body, CSV.as_bytes());
        assert_eq!(fetched.content_type.as_deref(), Some("text/csv; charset=utf-8"));
        assert_eq!(fetched.final_url.as_str(), server.url("/text"));

        let ua = loopback().get(&server.url("/ua")).await.unwrap();
        assert_eq!(ua.body, USER_AGENT.as_bytes());

        // Names go through the guarded resolver, which lets loopback through under this policy.
        let by_name = loopback().get(&format!("http://localhost:{}/text", server.addr.port())).await.unwrap();
        assert_eq!(by_name.body, CSV.as_bytes());

        let private = Fetcher::new(TargetPolicy::AllowPrivate, limits());
        assert_eq!(private.policy(), TargetPolicy::AllowPrivate);
        assert_eq!(private.get(&server.url("/text")).await.unwrap().body, CSV.as_bytes());
    }

    #[tokio::test]
    async fn public_only_refuses_loopback_without_connecting() {
        let server = spawn_server().await;
        let port = server.addr.port();
        let fetcher = Fetcher::new(TargetPolicy::PublicOnly, limits());
        assert_eq!(fetcher.policy(), TargetPolicy::PublicOnly);
        for url in [
            format!("http://127.0.0.1:{port}/text"),
            format!("http://2130706433:{port}/text"),
            format!("http://0x7f.1:{port}/text"),
            format!("http://[::1]:{port}/text"),
            format!("http://[::ffff:127.0.0.1]:{port}/text"),
        ] {
            match fetcher.get(&url).await {
                Err(FetchError::Refused { url: shown, reason }) => {
                    assert_eq!(shown, url);
                    assert!(reason.contains("internal address (loopback)"), "{url}: {reason}");
                }
                other => panic!("{url}: expected Refused, got {other:?}"),
            }
        }
        let url = format!("http://localhost:{port}/text");
        match fetcher.get(&url).await {
            Err(FetchError::Refused { reason, .. }) => {
                assert_eq!(reason, "localhost is not an allowed target", "the refusal must not say what the name resolves to")
            }
            other => panic!("{url}: expected Refused via DNS, got {other:?}"),
        }
        assert_eq!(server.connections(), 0, "the guard must refuse before connecting");
        assert_eq!(server.requests(), 0);
    }

    #[tokio::test]
    async fn refuses_redirects_to_internal_targets_before_following_them() {
        let server = spawn_server().await;
        let fetcher = loopback();
        for (path, target) in [("/to-metadata", "http://169.254.169.254/latest/meta-data/"), ("/to-private", "http://10.0.0.1/")] {
            let started = Instant::now();
            let err = fetcher.get(&server.url(path)).await.unwrap_err();
            let FetchError::Refused { url, reason } = &err else { panic!("{path}: expected Refused, got {err:?}") };
            assert_eq!(url, &server.url(path));
            assert!(reason.starts_with(&format!("it redirects to {target}, and ")), "{reason}");
            assert!(reason.contains("is an internal address"), "{reason}");
            assert!(err.to_string().contains("QUARRY_ALLOW_PRIVATE_TARGETS=true"), "{err}");
            // Refused by the redirect policy, not after a connection attempt ran into the connect timeout.
            assert!(started.elapsed() < Duration::from_secs(1), "{path} took {:?}", started.elapsed());
        }
        // Literal internal targets are refused up front too, whatever the server would have said.
        let err = fetcher.get("http://169.254.169.254/latest/meta-data/").await.unwrap_err();
        assert!(matches!(&err, FetchError::Refused { reason, .. } if reason.contains("link-local")), "{err:?}");
    }

    #[tokio::test]
    async fn refuses_redirects_to_other_schemes() {
        let server = spawn_server().await;
        for (path, scheme) in [("/to-ftp", "ftp:"), ("/to-file", "file:")] {
            match loopback().get(&server.url(path)).await {
                Err(FetchError::Refused { reason, .. }) => {
                    assert!(reason.contains(&format!("only http and https URLs can be fetched, not {scheme}")), "{reason}")
                }
                other => panic!("{path}: expected Refused, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn follows_redirects_up_to_the_limit() {
        let server = spawn_server().await;
        let fetched = loopback().get(&server.url("/hop/3")).await.unwrap();
        assert_eq!(fetched.body, "arrived".as_bytes());
        assert_eq!(fetched.final_url.as_str(), server.url("/hop/0"));
        assert_eq!(server.requests(), 4);

        let before = server.requests();
        match loopback().get(&server.url("/hop/4")).await {
            Err(FetchError::TooManyRedirects { url, limit }) => {
                assert_eq!(url, server.url("/hop/4"));
                assert_eq!(limit, 3);
            }
            other => panic!("expected TooManyRedirects, got {other:?}"),
        }
        // The original request plus three followed hops; the fourth redirect is not followed.
        assert_eq!(server.requests() - before, 4);

        let none = Fetcher::new(TargetPolicy::AllowLoopback, FetchLimits { max_redirects: 0, ..limits() });
        assert!(matches!(none.get(&server.url("/hop/1")).await, Err(FetchError::TooManyRedirects { limit: 0, .. })));
    }

    #[tokio::test]
    async fn enforces_the_size_limit() {
        let server = spawn_server().await;
        let fetcher = loopback();
        for path in ["/sized/65536", "/streamed/65536", "/sized/1025", "/streamed/1025"] {
            match fetcher.get(&server.url(path)).await {
                Err(err @ FetchError::TooLarge { limit: 1024, .. }) => assert!(err.to_string().contains("more than 1 KiB"), "{err}"),
                other => panic!("{path}: expected TooLarge, got {other:?}"),
            }
        }
        for path in ["/sized/1024", "/streamed/1024"] {
            assert_eq!(fetcher.get(&server.url(path)).await.unwrap().body.len(), 1024, "{path}");
        }
    }

    #[tokio::test]
    async fn reports_error_statuses() {
        let server = spawn_server().await;
        match loopback().get(&server.url("/missing")).await {
            Err(FetchError::Status { url, status }) => {
                assert_eq!(url, server.url("/missing"));
                assert_eq!(status, 404);
            }
            other => panic!("expected Status, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn times_out_on_slow_responses_and_bodies() {
        let server = spawn_server().await;
        let fetcher = Fetcher::new(TargetPolicy::AllowLoopback, FetchLimits { timeout: Duration::from_millis(300), ..limits() });
        for path in ["/slow", "/stall-body"] {
            let started = Instant::now();
            match fetcher.get(&server.url(path)).await {
                Err(FetchError::Timeout { url }) => assert_eq!(url, server.url(path)),
                other => panic!("{path}: expected Timeout, got {other:?}"),
            }
            assert!(started.elapsed() < Duration::from_secs(3), "{path} took {:?}", started.elapsed());
        }
    }

    #[tokio::test]
    async fn reports_network_failures() {
        // Bind then drop, so the port is (almost certainly) closed.
        let port = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        match loopback().get(&format!("http://127.0.0.1:{port}/")).await {
            Err(FetchError::Network { detail, .. }) => assert!(!detail.is_empty()),
            other => panic!("expected Network, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn rejects_urls_that_cannot_be_fetched() {
        let fetcher = Fetcher::new(TargetPolicy::AllowPrivate, limits());
        for url in ["notaurl", "ftp://x/", "file:///etc/passwd", "mailto:someone@example.com", "/relative/path"] {
            match fetcher.get(url).await {
                Err(FetchError::InvalidUrl { url: shown, reason }) => {
                    assert_eq!(shown, url);
                    assert!(!reason.is_empty());
                }
                other => panic!("{url}: expected InvalidUrl, got {other:?}"),
            }
        }
        match fetcher.get("http://user:hunter2@127.0.0.1/").await {
            Err(err @ FetchError::InvalidUrl { .. }) => {
                let FetchError::InvalidUrl { url, reason } = &err else { unreachable!() };
                assert_eq!(reason, "credentials in URLs are not sent");
                assert_eq!(url, "http://127.0.0.1/");
                assert!(!err.to_string().contains("hunter2"), "{err}");
            }
            other => panic!("expected InvalidUrl, got {other:?}"),
        }
    }

    #[test]
    fn attachment_limits() {
        let limits = FetchLimits::ATTACHMENT;
        assert_eq!(limits.max_bytes, 25 * 1024 * 1024);
        assert_eq!(limits.timeout, Duration::from_secs(30));
        assert_eq!(limits.connect_timeout, Duration::from_secs(10));
        assert_eq!(limits.max_redirects, 5);
        assert_eq!(describe_bytes(limits.max_bytes), "25 MiB");
        assert_eq!(describe_bytes(1000), "1000 bytes");
        assert!(USER_AGENT.starts_with("Quarry/"));
    }
}

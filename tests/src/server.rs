//! A real Quarry HTTP server on a loopback port, over the embedded store or over AWS (moto),
//! with helpers to create organizations and keys directly in its storage.

use std::sync::Arc;

use quarry_engine::net::{FetchLimits, Fetcher, TargetPolicy};
use quarry_planner::{Planner, RulePlanner};
use quarry_ports::clock::{ManualClock, SharedClock, SystemClock};
use quarry_ports::storage::Storage;
use quarry_shared::accounts::{Accounts, KeyKind, Mode, NewKey, Organization, Scope, Tier};
use quarry_shared::http::{self, AppState, Group};
use quarry_shared::jobs::web::WebSettings;
use quarry_shared::worker::Worker;
use quarry_store::files::FileBlobs;
use quarry_store::Embedded;

/// A running server. Dropping it leaves the task running until the test's runtime ends.
pub struct TestServer {
    pub base_url: String,
    /// The same API over the same storage behind a second listener with one-second header, idle
    /// and body timeouts and at most 8 connections: for tests of slow and greedy clients.
    pub strict_url: String,
    pub storage: Storage,
    pub accounts: Accounts,
    pub clock: SharedClock,
    /// The clock, when the server runs on a manual one (tests move it forward).
    pub manual_clock: Option<Arc<ManualClock>>,
    /// The embedded backend's blob store (for signing tests), when embedded.
    pub file_blobs: Option<FileBlobs>,
    _dir: Option<tempfile::TempDir>,
    /// Removes the AWS backend's table once the test is done with it.
    _table: Option<crate::moto::DropTable>,
}

async fn listen() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

/// The deterministic rule planner: test servers never read `QUARRY_LLM_*` from the environment.
fn rules() -> Arc<dyn Planner> {
    Arc::new(RulePlanner::new())
}

/// The limits of [`TestServer::strict_url`].
pub const STRICT_LIMITS: http::listener::ConnectionLimits =
    http::listener::ConnectionLimits { header_timeout: std::time::Duration::from_secs(1), max_connections: 8 };

/// Serves the API over `storage` twice, as the local server does (its connection limits) and
/// strictly ([`STRICT_LIMITS`]), and runs the step worker, as the local server does. The worker
/// may fetch from loopback (where fixture sites listen) but no other internal address.
/// On a manual clock, every webhook retry is held in the table, so moving the clock releases it.
/// `listener` is the main one (bound first: download links name it); returns the strict URL.
async fn spawn(
    listener: tokio::net::TcpListener,
    state: impl Fn() -> AppState,
    blobs: Option<FileBlobs>,
    storage: &Storage,
    clock: &SharedClock,
    manual: bool,
    web: Option<&WebSettings>,
) -> String {
    let downloads = || blobs.clone().map(http::downloads::routes);
    let app = http::router(state(), downloads());
    let limits = http::listener::ConnectionLimits::default();
    tokio::spawn(async move { http::listener::serve(listener, app, limits, std::future::pending()).await.expect("test server") });
    let (listener, strict_url) = listen().await;
    let app = http::router(state().with_body_timeout(std::time::Duration::from_secs(1)), downloads());
    tokio::spawn(async move { http::listener::serve(listener, app, STRICT_LIMITS, std::future::pending()).await.expect("strict server") });
    let fetcher = Fetcher::with_hosts(TargetPolicy::LoopbackOnly, FetchLimits::ATTACHMENT, crate::fixtures::fixture_hosts());
    // Without `web`, the worker has no search provider and no open data (nothing public is asked).
    let mut worker = Worker::with_fetcher(storage.clone(), clock.clone(), fetcher);
    if let Some(web) = web {
        worker = worker.with_web_settings(web);
    }
    if manual {
        worker = worker.with_max_queue_delay(std::time::Duration::ZERO);
    }
    tokio::spawn(worker.run(std::future::pending()));
    strict_url
}

/// Which store a [`TestServer`] runs on, for suites that build their own server.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Embedded,
    Aws,
}

impl TestServer {
    /// A server over a fresh embedded store in a temporary directory, on the wall clock.
    pub async fn embedded() -> Self {
        Self::embedded_with_clock(Arc::new(SystemClock)).await
    }

    /// A server over a fresh embedded store, reading time from `clock`.
    pub async fn embedded_with_clock(clock: SharedClock) -> Self {
        Self::embedded_with(clock, rules(), false, None).await
    }

    /// A server over a fresh embedded store with the given planner (e.g. an LLM planner aimed at
    /// a fake endpoint).
    pub async fn embedded_with_planner(clock: SharedClock, planner: Arc<dyn Planner>) -> Self {
        Self::embedded_with(clock, planner, false, None).await
    }

    /// A server on `backend` whose worker reads the web as `web` says (open data endpoints on
    /// loopback stand-ins, say), on the wall clock.
    pub async fn with_web(backend: Backend, web: WebSettings) -> Self {
        match backend {
            Backend::Embedded => Self::embedded_with(Arc::new(SystemClock), rules(), false, Some(web)).await,
            Backend::Aws => Self::aws_with(Arc::new(SystemClock), false, Some(web)).await,
        }
    }

    async fn embedded_with(clock: SharedClock, planner: Arc<dyn Planner>, manual: bool, web: Option<WebSettings>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // Download links name the main listener, which is bound first.
        let (listener, base_url) = listen().await;
        let embedded = Embedded::open(dir.path(), &base_url, b"test-signing-key".to_vec(), clock.clone()).expect("embedded store");
        // As `quarry serve` runs it: rate limits counted in the process.
        let state = || {
            AppState::configured(embedded.storage.clone(), clock.clone(), &Group::ALL, planner.clone(), TargetPolicy::LoopbackOnly)
                .with_in_memory_rate_limits()
        };
        let strict_url = spawn(listener, state, Some(embedded.blobs.clone()), &embedded.storage, &clock, manual, web.as_ref()).await;
        TestServer {
            base_url,
            strict_url,
            accounts: Accounts::new(embedded.storage.table.clone(), clock.clone()),
            storage: embedded.storage,
            clock,
            manual_clock: None,
            file_blobs: Some(embedded.blobs),
            _dir: Some(dir),
            _table: None,
        }
    }

    /// A server over fresh DynamoDB / S3 / SQS resources in the AWS emulator.
    pub async fn aws() -> Self {
        Self::aws_with_clock(Arc::new(SystemClock)).await
    }

    pub async fn aws_with_clock(clock: SharedClock) -> Self {
        Self::aws_with(clock, false, None).await
    }

    async fn aws_with(clock: SharedClock, manual: bool, web: Option<WebSettings>) -> Self {
        let (listener, base_url) = listen().await;
        let (steps, _) = crate::moto::fresh_queue_with_dlq(5).await;
        let (deliveries, _) = crate::moto::fresh_queue_with_dlq(5).await;
        let (table, drop_table) = crate::moto::fresh_table_dropped_after(clock.clone()).await;
        let storage = Storage { table, blobs: crate::moto::fresh_bucket(clock.clone()).await, steps, deliveries, backend: "aws" };
        let state = || AppState::configured(storage.clone(), clock.clone(), &Group::ALL, rules(), TargetPolicy::LoopbackOnly);
        let strict_url = spawn(listener, state, None, &storage, &clock, manual, web.as_ref()).await;
        TestServer {
            base_url,
            strict_url,
            accounts: Accounts::new(storage.table.clone(), clock.clone()),
            storage,
            clock,
            manual_clock: None,
            file_blobs: None,
            _dir: None,
            _table: Some(drop_table),
        }
    }

    /// An embedded server on a manual clock.
    pub async fn embedded_manual() -> Self {
        let clock = ManualClock::new();
        TestServer { manual_clock: Some(clock.clone()), ..Self::embedded_with(clock.clone(), rules(), true, None).await }
    }

    /// An AWS-backed server on a manual clock.
    pub async fn aws_manual() -> Self {
        let clock = ManualClock::new();
        TestServer { manual_clock: Some(clock.clone()), ..Self::aws_with(clock.clone(), true, None).await }
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A new organization on `tier`.
    pub async fn org(&self, tier: Tier) -> Organization {
        self.accounts.create_organization("Test org", tier, 10_000).await.expect("create org")
    }

    /// A key of `org` with `scopes`, returning its secret.
    pub async fn key(&self, org: &Organization, kind: KeyKind, mode: Mode, scopes: &[Scope]) -> String {
        let new = NewKey { name: "test".into(), kind, mode, scopes: scopes.to_vec(), expires_at: None };
        self.accounts.create_key(&org.id, new).await.expect("create key").1
    }

    /// A new organization on `tier` and an all-scopes test key for it.
    pub async fn org_with_key(&self, tier: Tier) -> (Organization, String) {
        let org = self.org(tier).await;
        let key = self.key(&org, KeyKind::Secret, Mode::Test, &Scope::ALL).await;
        (org, key)
    }
}

/// A manual clock, shared as the server's clock.
pub fn manual_clock() -> (Arc<ManualClock>, SharedClock) {
    let clock = ManualClock::new();
    (clock.clone(), clock)
}

impl TestServer {
    /// Changes an organization through the `Accounts` service, as `quarry org set` does from
    /// another process: the server's own cache of verified keys still holds the organization as
    /// it was for up to [`quarry_shared::accounts::VERIFIED_KEY_TTL`] (a key minted afterwards
    /// is verified afresh).
    pub async fn change_org(&self, org_id: &str, changes: &quarry_shared::accounts::OrganizationChanges) -> Organization {
        self.accounts.change_organization(org_id, changes).await.expect("change org").expect("the organization exists")
    }

    /// Deletes an organization with everything it owns, as `quarry org delete` does from another
    /// process, waiting `settle` before removing what its keys and jobs leave behind.
    pub async fn delete_org(&self, org_id: &str, settle: std::time::Duration) -> Option<quarry_shared::accounts::DeletedOrganization> {
        self.accounts.delete_organization(self.storage.blobs.as_ref(), org_id, settle).await.expect("delete org")
    }
}

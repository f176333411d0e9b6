//! The HTTP surface: shared state, the conventions every route gets (request IDs, the error
//! envelope, authentication, rate limits, idempotency, body limits, panics as 500s), and the
//! endpoint groups. A Lambda entry mounts one group; the local server mounts them all. Both go
//! through [`router`], so there is one implementation of every endpoint and every convention.
//!
//! | Routes | Group | File |
//! |---|---|---|
//! | `GET /health`, `GET /openapi.json`, `GET /openapi.yaml` (unauthenticated; every router has them) | `account` on AWS | `health.rs` |
//! | `/v1/me`, `/v1/organization`, `/v1/account`, `/v1/api-keys[/{key_id}]`, `/v1/api-keys/{key_id}/rotate` | `account` | `account.rs` |
//! | `/v1/members[/{member_id}]`, `/v1/invitations/accept` (no key: the token authorizes it) | `account` | `members.rs` |
//! | `/v1/usage`, `/v1/usage/budget`, `/v1/credits/usage` | `usage` | `usage.rs` |
//! | `/v1/threads[/{thread_id}]`, `/v1/threads/{thread_id}/messages` | `threads` | `threads.rs` |
//! | `/v1/plans/{plan_id}[/replan]` | `plans` | `plans.rs` |
//! | `/v1/jobs[/{job_id}]`, `/v1/jobs/{job_id}/{approve,stop,cancel,summary,logs}` | `jobs` | `jobs.rs` |
//! | `/v1/jobs/{job_id}/leads`, `/v1/artifacts[/{artifact_id}]` | `artifacts` | `artifacts.rs` |
//! | `/v1/jobs/{job_id}/stream` (SSE) | `stream` | `stream.rs` |
//! | `/v1/search` | `search` | `search.rs` |
//! | `/v1/webhooks[/{webhook_id}]`, `…/{rotate,test,deliveries}`, `…/deliveries/{delivery_id}/redeliver` | `webhooks` | `webhooks.rs` |
//! | `/v1/scrape` | `scrape` | `scrape.rs` |
//! | `/v1/leads[/{lead_id}]`, `/v1/leads/export`, `/v1/exports/{export_id}` | `leads` | `leads.rs` |
//! | `/blobs/{key}` (self-signed downloads, local server only) | — | `downloads.rs` |
//!
//! Around them: `auth.rs` (keys, scopes, rate limit), `idempotency.rs`, `request_id.rs`,
//! `error.rs` (the envelope), `extract.rs` (envelope-rejecting extractors), `pagination.rs`, and
//! for the OpenAPI document `params.rs` (path parameters) and `responses.rs` (error responses).
//! Every operation has an explicit `operation_id`, `<resource>[.<sub>].<verb>` (`jobs.leads.list`).

pub mod account;
pub mod artifacts;
pub mod auth;
pub mod downloads;
pub mod error;
pub mod extract;
mod health;
pub mod idempotency;
pub mod jobs;
pub mod leads;
pub mod listener;
pub mod members;
mod openapi;
#[cfg(test)]
mod openapi_tests;
pub mod pagination;
pub mod params;
pub mod plans;
pub mod request_id;
pub mod responses;
mod schema;
pub mod scrape;
pub mod search;
pub mod stream;
pub mod threads;
pub mod usage;
pub mod webhooks;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::openapi::security::{ApiKey as ApiKeyScheme, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::accounts::Caller;
use crate::accounts::{Accounts, Mode, Principal};
use crate::billing::Billing;
use crate::idempotency::IdempotencyStore;
use crate::jobs::{Artifacts, Jobs};
use crate::operations::Operations;
use crate::ratelimit::RateLimiter;
use crate::research::Research;
use crate::settings::Settings;
use crate::webhooks::{Deliveries, Endpoints};
use quarry_engine::net::TargetPolicy;
use quarry_planner::Planner;
use quarry_ports::clock::SharedClock;
use quarry_ports::storage::Storage;

pub use error::{ApiError, ApiResult};

/// An endpoint group: one Lambda function on AWS, one slice of routes locally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Account,
    Threads,
    Plans,
    Jobs,
    Artifacts,
    Stream,
    Search,
    Webhooks,
    Scrape,
    Leads,
    Usage,
}

impl Group {
    /// Every group, in the order the local server mounts them.
    pub const ALL: [Group; 11] = [
        Group::Account,
        Group::Threads,
        Group::Plans,
        Group::Jobs,
        Group::Artifacts,
        Group::Stream,
        Group::Search,
        Group::Webhooks,
        Group::Scrape,
        Group::Leads,
        Group::Usage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Group::Account => "account",
            Group::Threads => "threads",
            Group::Plans => "plans",
            Group::Jobs => "jobs",
            Group::Artifacts => "artifacts",
            Group::Stream => "stream",
            Group::Search => "search",
            Group::Webhooks => "webhooks",
            Group::Scrape => "scrape",
            Group::Leads => "leads",
            Group::Usage => "usage",
        }
    }

    fn routes(self) -> OpenApiRouter<AppState> {
        match self {
            Group::Account => account::routes().merge(members::routes()),
            Group::Threads => threads::routes(),
            Group::Plans => plans::routes(),
            Group::Jobs => jobs::routes(),
            Group::Artifacts => artifacts::routes(),
            Group::Stream => stream::routes(),
            Group::Search => search::routes(),
            Group::Webhooks => webhooks::routes(),
            Group::Scrape => scrape::routes(),
            Group::Leads => leads::routes(),
            Group::Usage => usage::routes(),
        }
    }
}

struct Inner {
    storage: Storage,
    clock: SharedClock,
    accounts: Accounts,
    billing: Billing,
    rate_limiter: RateLimiter,
    idempotency: IdempotencyStore,
    research: Research,
    jobs: Jobs,
    artifacts: Artifacts,
    operations: Operations,
    endpoints: Endpoints,
    deliveries: Deliveries,
    features: Vec<&'static str>,
    policy: TargetPolicy,
    /// Longest time a request body may take to arrive ([`extract::body_deadline`]).
    body_timeout: std::time::Duration,
    /// When storage last answered `/health`'s probe.
    health: health::LastProbe,
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// State over `storage`, serving `groups`, as `settings` (read once at start) configure it: the
    /// planner (the rule-based one unless an LLM is configured) and the outbound policy.
    pub fn new(storage: Storage, clock: SharedClock, groups: &[Group], settings: &Settings) -> Self {
        let planner = quarry_planner::from_config(settings.planner.clone());
        Self::build(storage, clock, groups, planner, settings.outbound.policy, settings.artifact_retention_days)
    }

    /// The same state with sync searches waiting up to `wait` (`quarry serve` passes
    /// `QUARRY_SEARCH_WAIT_SECS`; Lambdas keep the 25 s API Gateway allows). Call it before the
    /// state is shared.
    pub fn with_search_wait(mut self, wait: std::time::Duration) -> Self {
        let inner = Arc::get_mut(&mut self.0).expect("the search wait is set before the state is shared");
        inner.operations = inner.operations.clone().with_search_wait(wait);
        self
    }

    /// The same state counting rate limits in this process ([`RateLimiter::in_memory`]): for the
    /// local server, the only server of its store. Call it before the state is shared.
    pub fn with_in_memory_rate_limits(self) -> Self {
        let clock = self.0.clock.clone();
        self.with_rate_limiter(RateLimiter::in_memory(clock))
    }

    /// The same state counting rate limits with `limiter` (the load bench passes one whose minutes
    /// pass faster, so one organization's load is not capped at its tier's rate). Call it before
    /// the state is shared.
    pub fn with_rate_limiter(mut self, limiter: RateLimiter) -> Self {
        Arc::get_mut(&mut self.0).expect("the rate limiter is set before the state is shared").rate_limiter = limiter;
        self
    }

    /// The same state with request bodies timing out after `timeout` instead of
    /// [`extract::BODY_TIMEOUT`] (tests of slow clients). Call it before the state is shared.
    pub fn with_body_timeout(mut self, timeout: std::time::Duration) -> Self {
        Arc::get_mut(&mut self.0).expect("the body timeout is set before the state is shared").body_timeout = timeout;
        self
    }

    /// State with an explicit planner (tests use a fake LLM endpoint this way) and the default
    /// outbound policy (public addresses only).
    pub fn with_planner(storage: Storage, clock: SharedClock, groups: &[Group], planner: Arc<dyn Planner>) -> Self {
        Self::configured(storage, clock, groups, planner, TargetPolicy::default())
    }

    /// State with an explicit planner and outbound policy (which webhook URLs are accepted and
    /// reached; test servers allow loopback receivers).
    pub fn configured(storage: Storage, clock: SharedClock, groups: &[Group], planner: Arc<dyn Planner>, policy: TargetPolicy) -> Self {
        Self::build(storage, clock, groups, planner, policy, crate::settings::Settings::DEFAULT_ARTIFACT_RETENTION_DAYS)
    }

    fn build(
        storage: Storage,
        clock: SharedClock,
        groups: &[Group],
        planner: Arc<dyn Planner>,
        policy: TargetPolicy,
        artifact_retention_days: u32,
    ) -> Self {
        let table = storage.table.clone();
        let endpoints = Endpoints::new(table.clone(), clock.clone(), policy);
        let client = quarry_engine::net::guarded_client(policy, crate::webhooks::deliveries::DELIVERY_TIMEOUT);
        let deliveries =
            Deliveries::new(table.clone(), storage.deliveries.clone(), storage.blobs.clone(), clock.clone(), client, endpoints.clone());
        // Webhook fan-out goes to the deliveries queue: notifications have their own lane and
        // never wait behind job chunks on the steps queue.
        let research = Research::new(table.clone(), storage.steps.clone(), clock.clone(), planner)
            .with_target_policy(policy)
            .with_notifications(storage.deliveries.clone());
        let jobs = Jobs::new(table.clone(), storage.blobs.clone(), storage.steps.clone(), clock.clone())
            .with_notifications(storage.deliveries.clone())
            .with_artifact_retention(artifact_retention_days);
        let artifacts = Artifacts::new(table.clone(), storage.blobs.clone(), clock.clone(), artifact_retention_days);
        let operations = Operations::new(research.clone(), jobs.clone(), artifacts.clone(), endpoints.clone(), storage.blobs.clone());
        AppState(Arc::new(Inner {
            endpoints,
            deliveries,
            research,
            jobs,
            artifacts,
            operations,
            accounts: Accounts::new(table.clone(), clock.clone()).with_notifications(storage.deliveries.clone()),
            billing: Billing::new(table.clone(), clock.clone()),
            rate_limiter: RateLimiter::new(table.clone(), clock.clone()),
            idempotency: IdempotencyStore::new(table, clock.clone()),
            features: groups.iter().map(|g| g.name()).collect(),
            policy,
            body_timeout: extract::BODY_TIMEOUT,
            health: health::LastProbe::default(),
            storage,
            clock,
        }))
    }

    /// Which outbound targets are allowed: URLs naming an internal IP literal are refused when
    /// they are submitted (webhooks, scrapes, attachments).
    pub fn target_policy(&self) -> TargetPolicy {
        self.0.policy
    }

    pub fn storage(&self) -> &Storage {
        &self.0.storage
    }

    pub fn clock(&self) -> &SharedClock {
        &self.0.clock
    }

    pub fn accounts(&self) -> &Accounts {
        &self.0.accounts
    }

    /// Credits: the ledger, balances, budgets, usage.
    pub fn billing(&self) -> &Billing {
        &self.0.billing
    }

    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.0.rate_limiter
    }

    pub fn idempotency(&self) -> &IdempotencyStore {
        &self.0.idempotency
    }

    pub fn research(&self) -> &Research {
        &self.0.research
    }

    pub fn jobs(&self) -> &Jobs {
        &self.0.jobs
    }

    /// Artifact lists and sharing.
    pub fn artifacts(&self) -> &Artifacts {
        &self.0.artifacts
    }

    /// The operations that span services (what the thicker endpoints call).
    pub fn operations(&self) -> &Operations {
        &self.0.operations
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.0.endpoints
    }

    pub fn deliveries(&self) -> &Deliveries {
        &self.0.deliveries
    }

    /// The research caller a request runs as: its organization, mode and daily plan quota.
    pub fn caller(&self, principal: &Principal) -> Caller {
        Caller {
            org_id: principal.org_id().to_string(),
            livemode: principal.key.mode == Mode::Live,
            plans_per_day: principal.organization.limits().plans_per_day,
            key_id: Some(principal.key.id.clone()),
            member_id: principal.key.member_id.clone(),
        }
    }

    pub fn features(&self) -> &[&'static str] {
        &self.0.features
    }

    fn health_probe(&self) -> &health::LastProbe {
        &self.0.health
    }
}

/// Base document: title, servers, security schemes, shared schemas.
#[derive(OpenApi)]
#[openapi(
    info(title = "Quarry API", description = "Self-hostable lead research API. Errors use one envelope; every response carries X-Request-Id."),
    modifiers(&Security),
    components(schemas(error::ErrorEnvelope, crate::filters::DateText, crate::filters::DateOrTimeText)),
    security(("bearer" = []), ("x-api-key" = []))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut OpenApiDoc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
        components.add_security_scheme("x-api-key", SecurityScheme::ApiKey(ApiKeyScheme::Header(ApiKeyValue::new("x-api-key"))));
    }
}

/// The `/v1` routes of the given groups (with their OpenAPI paths).
fn v1_routes(groups: &[Group]) -> OpenApiRouter<AppState> {
    groups.iter().fold(OpenApiRouter::new(), |api, group| api.merge(group.routes()))
}

/// The `/v1` routes served without a key (their own token authorizes them): redeeming an
/// invitation, in the `account` group.
fn public_v1_routes(groups: &[Group]) -> OpenApiRouter<AppState> {
    if groups.contains(&Group::Account) {
        members::public_routes()
    } else {
        OpenApiRouter::new()
    }
}

/// `/v1` paths that take no key, so no rate limit, scope or idempotency layer applies to them.
pub fn is_public_v1_path(path: &str) -> bool {
    members::PUBLIC_PATHS.contains(&path)
}

/// The OpenAPI document of the whole API (every group), whichever groups this process serves.
/// Built once from the route definitions, so it cannot drift from them, then completed with what
/// every operation shares ([`openapi::complete`]). A JSON value, because utoipa's types cannot
/// hold all of it (links, required headers).
pub fn openapi() -> &'static serde_json::Value {
    static DOC: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(|| {
        let (_, mut doc) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
            .merge(v1_routes(&Group::ALL))
            .merge(public_v1_routes(&Group::ALL))
            .routes(utoipa_axum::routes!(health::health))
            .routes(utoipa_axum::routes!(health::openapi_json))
            .routes(utoipa_axum::routes!(health::openapi_yaml))
            .split_for_parts();
        doc.info.version = env!("CARGO_PKG_VERSION").to_string();
        openapi::complete(&doc)
    });
    &DOC
}

/// A `/openapi.json` body made ahead of time, served instead of generating the document at the
/// first request (see [`use_prebuilt_openapi_json`]).
static PREBUILT_OPENAPI_JSON: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Serves `json` as `GET /openapi.json` in this process. Why: generating the document takes
/// longer than a Lambda's whole cold start otherwise, so the Lambda entries embed it at build
/// time. `json` must be `openapi().to_string()` exactly (their tests check that); the first call
/// wins.
pub fn use_prebuilt_openapi_json(json: &'static str) {
    let _ = PREBUILT_OPENAPI_JSON.set(json);
}

/// The complete router for `state`'s groups, plus `extra` routes (the local server's downloads).
///
/// Layers, outermost first: compression → request ID → panic → body limit → (on `/v1` routes) authentication
/// and rate limit → idempotency → handler.
pub fn router(state: AppState, extra: Option<Router<AppState>>) -> Router {
    let groups: Vec<Group> = Group::ALL.into_iter().filter(|g| state.features().contains(&g.name())).collect();
    let (v1, _) = v1_routes(&groups).split_for_parts();
    let v1 = v1
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::idempotency))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate));
    let (public, _) = public_v1_routes(&groups).split_for_parts();
    let mut app = Router::new()
        .merge(public)
        .route("/health", get(health::health))
        .route("/openapi.json", get(health::openapi_json))
        .route("/openapi.yaml", get(health::openapi_yaml))
        .merge(v1);
    if let Some(extra) = extra {
        app = app.merge(extra);
    }
    app.method_not_allowed_fallback(|| async { request_id::method_not_allowed_error().into_response() })
        .fallback(|| async { request_id::not_found_error().into_response() })
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.0.body_timeout, extract::body_deadline))
        .layer(CatchPanicLayer::custom(|_| ApiError::internal("handler panicked").into_response()))
        .layer(axum::middleware::from_fn(request_id::request_id))
        // gzip or br when the client asks (`Accept-Encoding`): lists and artifacts shrink several
        // times. Outermost, so idempotent replays are stored uncompressed; the default predicate
        // leaves event streams and tiny bodies alone.
        .layer(tower_http::compression::CompressionLayer::new().gzip(true).br(true))
        .with_state(state)
}

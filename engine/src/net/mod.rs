//! Outbound HTTP to user-supplied URLs (seed CSV attachments and webhook deliveries today; the crawler later).
//!
//! Every fetch goes through a server-side request forgery guard: a URL a user hands us must not let them
//! read loopback services, the cloud metadata endpoint or anything else on the operator's private network.
//! [`guard`] decides which addresses are acceptable and checks them after DNS resolution; [`fetch`] wires
//! that into an HTTP client that also re-checks every redirect hop and enforces size and time limits.

pub mod client;
pub mod fetch;
pub mod guard;

pub use client::{check_target, guarded_client};
pub use fetch::{FetchError, FetchLimits, Fetched, Fetcher, USER_AGENT};
pub use guard::{host_overrides_from_env, host_overrides_from_lookup, is_internal, HostOverrides, TargetPolicy, RESOLVE_ENV};

//! Quarry's domain and its HTTP surface: accounts, research conversations, jobs, leads, webhooks,
//! the step worker and the endpoint groups. It is written against the storage ports
//! (`quarry-ports`) and never names an adapter: this crate does not depend on `quarry-store`, so
//! the compiler refuses a SQLite or AWS type here. The planner (`quarry-planner`) and the research
//! engine (`quarry-engine`) are crates of their own beside it. The local runner (`infra/`) and the
//! Lambda entries (`functions/`) pick the adapters and are thin wrappers around what lives here.

pub mod accounts;
pub mod billing;
pub mod error;
pub mod events;
pub mod filters;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod jobs;
pub mod leads;
pub mod metadata;
pub mod operations;
pub mod ownership;
pub mod plans;
pub mod ratelimit;
pub mod research;
pub mod settings;
pub mod tasks;
pub mod webhooks;
pub mod worker;

#[cfg(test)]
mod module_graph;

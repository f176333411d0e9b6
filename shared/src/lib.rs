//! Quarry's library crate: the domain model, the storage ports and their adapters, the HTTP
//! conventions and the endpoint groups. The local runner (`infra/`) and the Lambda entries
//! (`functions/`) are thin wrappers around what lives here.

pub mod accounts;
pub mod artifacts;
pub mod clock;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod jobs;
pub mod leads;
/// Guarded outbound HTTP lives in the engine crate; re-exported so the rest of this crate (and
/// its users) name it `quarry_shared::net`.
pub use quarry_engine::net;
pub mod planner;
pub mod ports;
pub mod ratelimit;
pub mod research;
pub mod storage;
pub mod store;
pub mod webhooks;
pub mod worker;

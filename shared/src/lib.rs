//! Quarry's library crate: the domain model, the storage ports and their adapters, the HTTP
//! conventions and the endpoint groups. The local runner (`infra/`) and the Lambda entries
//! (`functions/`) are thin wrappers around what lives here.

pub mod accounts;
pub mod clock;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod ports;
pub mod ratelimit;
pub mod storage;
pub mod store;

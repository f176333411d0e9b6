//! Leads: the lead model, the sources (seed files, the organization's lead index, the synthetic
//! generator of test-mode jobs), dedupe and merging with
//! provenance, and the confidence score.

pub mod confidence;
pub mod dedupe;
pub mod enrich;
pub mod export;
pub mod index;
mod model;
pub mod resolve;
pub mod score;
pub mod seed;
pub mod store;
pub mod synthetic;

pub use model::*;

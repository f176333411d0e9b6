//! Leads: the lead model, the sources (seed files, the organization's lead index, the synthetic
//! generator of test-mode jobs), dedupe and merging with
//! provenance, and the confidence score.

pub mod archive;
pub mod confidence;
pub mod dedupe;
pub mod enrich;
pub mod export;
pub mod index;
pub mod input;
mod model;
pub mod render;
pub mod resolve;
pub mod score;
pub mod seed;
pub mod store;
pub mod synthetic;

pub use model::*;

/// How long a download link the API hands out (a job's artifact, a lead export) stays valid.
pub const DOWNLOAD_URL_LIFETIME: std::time::Duration = std::time::Duration::from_secs(4 * 3600);

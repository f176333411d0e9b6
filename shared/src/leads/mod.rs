//! Leads: the lead model, the synthetic source of test-mode jobs, dedupe and merging with
//! provenance, and the confidence score.

pub mod confidence;
pub mod dedupe;
mod model;
pub mod synthetic;

pub use model::*;

//! Organizations and API keys: who a request runs as, and what it may do.
//!
//! Every stored record belongs to one organization; every key belongs to one organization and
//! carries scopes and a mode (test or live). Secrets are shown once and stored only as SHA-256
//! hashes: they carry 256 bits of randomness, so a plain hash cannot be brute-forced.

mod keys;
mod organizations;
mod tiers;

pub use keys::{is_well_formed, ApiKey, AuthFailure, AuthOutcome, KeyKind, Mode, NewKey, Principal, Scope};
pub use organizations::{Organization, OrganizationObject};
pub use tiers::{Tier, TierLimits};

use std::sync::Arc;

use quarry_ports::clock::SharedClock;
use quarry_ports::Table;

/// The accounts service: organizations, keys, authentication.
#[derive(Clone)]
pub struct Accounts {
    table: Arc<dyn Table>,
    clock: SharedClock,
}

impl Accounts {
    pub fn new(table: Arc<dyn Table>, clock: SharedClock) -> Self {
        Accounts { table, clock }
    }
}

/// Partition of everything an organization owns.
pub(crate) fn org_partition(org_id: &str) -> String {
    format!("ORG#{org_id}")
}

/// Who is asking: the organization, whether the key is live, and the tier's daily plan quota.
#[derive(Clone, Debug)]
pub struct Caller {
    pub org_id: String,
    pub livemode: bool,
    /// Plans the organization may draft per UTC day; `None` when unlimited.
    pub plans_per_day: Option<u32>,
}

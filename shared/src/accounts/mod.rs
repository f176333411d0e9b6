//! Organizations and API keys: who a request runs as, and what it may do.
//!
//! Every stored record belongs to one organization; every key belongs to one organization and
//! carries scopes and a mode (test or live). Secrets are shown once and stored only as SHA-256
//! hashes: they carry 256 bits of randomness, so a plain hash cannot be brute-forced.

mod deletion;
mod keys;
mod organizations;
mod overrides;
mod tiers;
mod verified;

pub use deletion::{DeletedOrganization, ORGANIZATION_BLOB_FOLDERS};
pub use keys::{is_well_formed, ApiKey, AuthFailure, AuthOutcome, KeyKind, Mode, NewKey, Principal, Scope};
pub use organizations::{parse_organization_name, Organization, OrganizationChanges, OrganizationObject, MAX_ORGANIZATION_NAME};
pub use overrides::{Limit, LimitOverride, LimitOverrides, LimitValue, OverrideChange};
pub use tiers::{Tier, TierLimits};
pub use verified::VERIFIED_KEY_TTL;

use std::sync::Arc;

use quarry_ports::clock::SharedClock;
use quarry_ports::Table;

/// The accounts service: organizations, keys, authentication. Clones share one cache of
/// verified keys ([`VERIFIED_KEY_TTL`]).
#[derive(Clone)]
pub struct Accounts {
    table: Arc<dyn Table>,
    clock: SharedClock,
    verified: Arc<verified::VerifiedKeys>,
}

impl Accounts {
    pub fn new(table: Arc<dyn Table>, clock: SharedClock) -> Self {
        Accounts { table, clock, verified: Arc::default() }
    }
}

/// Partition of everything an organization owns.
pub fn org_partition(org_id: &str) -> String {
    format!("ORG#{org_id}")
}

/// What a record stored before test and live modes were separated counts as: live, the mode
/// whose data a deployment must not lose.
pub(crate) fn live_by_default() -> bool {
    true
}

/// Who is asking: the organization, whether the key is live, and its daily plan quota.
/// Every API-facing read and change takes it, and sees only the objects of its organization and
/// its mode: another mode's object is as absent as another organization's.
#[derive(Clone, Debug)]
pub struct Caller {
    pub org_id: String,
    pub livemode: bool,
    /// Plans the organization may draft per UTC day; `None` when unlimited.
    pub plans_per_day: Option<u32>,
}

impl Caller {
    /// The mode of the caller's key.
    pub fn mode(&self) -> Mode {
        if self.livemode {
            Mode::Live
        } else {
            Mode::Test
        }
    }
}

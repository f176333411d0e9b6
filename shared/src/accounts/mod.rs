//! Organizations and API keys: who a request runs as, and what it may do.
//!
//! Every stored record belongs to one organization; every key belongs to one organization and
//! carries scopes and a mode (test or live). Secrets are shown once and stored only as SHA-256
//! hashes: they carry 256 bits of randomness, so a plain hash cannot be brute-forced.

mod deletion;
mod keys;
mod members;
mod organizations;
mod overrides;
mod tiers;
mod verified;

pub use deletion::{DeletedOrganization, ORGANIZATION_BLOB_FOLDERS};
pub use keys::{
    is_well_formed, ApiKey, AuthFailure, AuthOutcome, KeyKind, KeyRotation, Mode, NewKey, Principal, RotationGrace, Scope,
    MAX_ROTATION_GRACE_SECS,
};
pub use members::{Invitation, Member, MemberRole, MemberStatus, NewMember, INVITATION_TTL_DAYS, MEMBER_PREFIX};
pub use organizations::{parse_organization_name, Organization, OrganizationChanges, OrganizationObject, MAX_ORGANIZATION_NAME};
pub use overrides::{Limit, LimitOverride, LimitOverrides, LimitValue, OverrideChange};
pub use tiers::{Tier, TierLimits};
pub use verified::VERIFIED_KEY_TTL;

use std::sync::Arc;

use quarry_ports::clock::SharedClock;
use quarry_ports::{Queue, Table};

/// The accounts service: organizations, keys, authentication. Clones share one cache of
/// verified keys ([`VERIFIED_KEY_TTL`]).
#[derive(Clone)]
pub struct Accounts {
    table: Arc<dyn Table>,
    clock: SharedClock,
    verified: Arc<verified::VerifiedKeys>,
    /// Where a recorded event's webhook fan-out is nudged (`api_key.rotated`); without one the
    /// scheduler's sweep of the outbox delivers it within a minute.
    notifications: Option<Arc<dyn Queue>>,
}

impl Accounts {
    pub fn new(table: Arc<dyn Table>, clock: SharedClock) -> Self {
        Accounts { table, clock, verified: Arc::default(), notifications: None }
    }

    /// The same accounts nudging the webhook fan-out on `queue` (the deliveries queue in the API)
    /// after recording an event.
    pub fn with_notifications(mut self, queue: Arc<dyn Queue>) -> Self {
        self.notifications = Some(queue);
        self
    }
}

/// Partition of everything an organization owns (defined beside the IDs, below the event log,
/// which names it too: the accounts record `api_key.rotated`, so they sit above the log).
pub use crate::ids::org_partition;

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
    /// The key making the request, and the member it belongs to: usage is billed to them.
    /// `None` for callers that are not an API key (benches, the operator's tools).
    pub key_id: Option<String>,
    pub member_id: Option<String>,
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

//! Plan tiers and the limits each one grants.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organization's plan tier. Operators set it per organization (`quarry org set --tier`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Starter,
    Growth,
    Scale,
}

/// What a tier allows. `plans_per_day` is `null` when unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TierLimits {
    pub requests_per_minute: u32,
    pub concurrent_jobs: u32,
    pub plans_per_day: Option<u32>,
    pub sse_connections: u32,
}

impl Tier {
    /// The default limits of the tier (the Leadex table).
    pub fn limits(self) -> TierLimits {
        match self {
            Tier::Starter => TierLimits { requests_per_minute: 60, concurrent_jobs: 1, plans_per_day: Some(200), sse_connections: 5 },
            Tier::Growth => TierLimits { requests_per_minute: 600, concurrent_jobs: 5, plans_per_day: Some(2_000), sse_connections: 25 },
            Tier::Scale => TierLimits { requests_per_minute: 3_000, concurrent_jobs: 25, plans_per_day: None, sse_connections: 250 },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Starter => "starter",
            Tier::Growth => "growth",
            Tier::Scale => "scale",
        }
    }
}

impl std::str::FromStr for Tier {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "starter" => Ok(Tier::Starter),
            "growth" => Ok(Tier::Growth),
            "scale" => Ok(Tier::Scale),
            other => Err(format!("unknown tier `{other}`: use starter, growth or scale")),
        }
    }
}

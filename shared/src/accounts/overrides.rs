//! Operator overrides of a tier's limits, per organization.
//!
//! A self-hosted deployment is not bound by the tier table: its operator may give one
//! organization more (or fewer) requests a minute, concurrent jobs, plans a day or open streams
//! than its tier grants (`quarry org set --requests-per-minute …`; `QUARRY_DEFAULT_*` for the
//! organization made on the first start). What every check enforces is
//! [`super::Organization::limits`]: the tier's limits with the overrides put over them.
//!
//! Each override is its own attribute of the organization item (`requests_per_minute`,
//! `concurrent_jobs`, `plans_per_day`, `sse_connections`; null or absent when the tier's value
//! holds), so changing one never rewrites another, and organizations stored before overrides
//! existed load with none. Values are checked where they are made ([`Limit::parse`]): whole
//! numbers from 1 to the limit's [`Limit::max`], and for plans per day also `unlimited`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use super::TierLimits;

/// One limit of the tier table an operator can override.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Limit {
    RequestsPerMinute,
    ConcurrentJobs,
    PlansPerDay,
    SseConnections,
}

impl Limit {
    pub const ALL: [Limit; 4] = [Limit::RequestsPerMinute, Limit::ConcurrentJobs, Limit::PlansPerDay, Limit::SseConnections];

    /// The limit's field in `limits` and `overrides`, and its attribute on the organization item.
    pub fn name(self) -> &'static str {
        match self {
            Limit::RequestsPerMinute => "requests_per_minute",
            Limit::ConcurrentJobs => "concurrent_jobs",
            Limit::PlansPerDay => "plans_per_day",
            Limit::SseConnections => "sse_connections",
        }
    }

    /// The largest override accepted: well above the Scale tier, and below what would stop the
    /// limit protecting the deployment (a rate limiter that never says no, thousands of
    /// concurrent jobs starving the step worker).
    pub fn max(self) -> u32 {
        match self {
            Limit::RequestsPerMinute => 1_000_000,
            Limit::ConcurrentJobs => 1_000,
            Limit::PlansPerDay => 10_000_000,
            Limit::SseConnections => 100_000,
        }
    }

    /// Whether the limit can be lifted altogether (only the daily plan quota can).
    pub fn can_be_unlimited(self) -> bool {
        self == Limit::PlansPerDay
    }

    /// What the limit counts, for messages.
    fn unit(self) -> &'static str {
        match self {
            Limit::RequestsPerMinute => "requests a minute",
            Limit::ConcurrentJobs => "jobs at once",
            Limit::PlansPerDay => "plans a day",
            Limit::SseConnections => "open streams",
        }
    }

    /// An override of this limit to `count`, checked against its bounds.
    pub fn to(self, count: u32) -> Result<LimitOverride, String> {
        if count == 0 || count > self.max() {
            return Err(self.accepts(&count.to_string()));
        }
        Ok(LimitOverride { limit: self, value: LimitValue::Count(count) })
    }

    /// The override that lifts this limit, for the limits that can be lifted.
    pub fn unlimited(self) -> Result<LimitOverride, String> {
        if !self.can_be_unlimited() {
            return Err(self.accepts("unlimited"));
        }
        Ok(LimitOverride { limit: self, value: LimitValue::Unlimited })
    }

    /// Reads an override as an operator writes it: a whole number from 1 to [`Self::max`], or
    /// `unlimited` where the limit can be lifted. The message says what is accepted; the caller
    /// names the flag or variable.
    pub fn parse(self, raw: &str) -> Result<LimitOverride, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("unlimited") {
            return self.unlimited();
        }
        match raw.replace('_', "").parse::<u32>() {
            Ok(count) => self.to(count),
            Err(_) => Err(self.accepts(raw)),
        }
    }

    /// Reads a change as `quarry org set` takes it: what [`Self::parse`] reads, or `default` to
    /// go back to the tier's value.
    pub fn parse_change(self, raw: &str) -> Result<OverrideChange, String> {
        if raw.trim().eq_ignore_ascii_case("default") {
            return Ok(OverrideChange::Clear(self));
        }
        self.parse(raw).map(OverrideChange::Set).map_err(|_| self.describe_accepted(raw.trim(), ", or `default` for the tier's value"))
    }

    fn accepts(self, got: &str) -> String {
        self.describe_accepted(got, "")
    }

    fn describe_accepted(self, got: &str, also: &str) -> String {
        let lifted = if self.can_be_unlimited() { ", `unlimited`" } else { "" };
        format!("{} takes a whole number of {} from 1 to {}{lifted}{also}; got {got:?}", self.name(), self.unit(), self.max())
    }
}

/// The value of an override: a count, or no limit at all ([`Limit::can_be_unlimited`]). Written
/// as a number or the string `"unlimited"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitValue {
    Count(u32),
    Unlimited,
}

impl Serialize for LimitValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            LimitValue::Count(n) => serializer.serialize_u32(*n),
            LimitValue::Unlimited => serializer.serialize_str("unlimited"),
        }
    }
}

impl<'de> Deserialize<'de> for LimitValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Count(u32),
            Word(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Count(n) => Ok(LimitValue::Count(n)),
            Raw::Word(w) if w == "unlimited" => Ok(LimitValue::Unlimited),
            Raw::Word(w) => Err(serde::de::Error::custom(format!("a limit is a number or \"unlimited\", got {w:?}"))),
        }
    }
}

impl utoipa::PartialSchema for LimitValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
        let count = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(Limit::PlansPerDay.max()));
        let unlimited = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["unlimited"]));
        let schema = OneOfBuilder::new().item(count).item(unlimited).description(Some("A number of plans a day, or `unlimited`."));
        utoipa::openapi::RefOr::T(Schema::OneOf(schema.build()))
    }
}

impl ToSchema for LimitValue {}

/// One checked override: a limit and its new value. Made only by [`Limit::to`],
/// [`Limit::unlimited`] and [`Limit::parse`], so it always holds a value the limit accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitOverride {
    limit: Limit,
    value: LimitValue,
}

impl LimitOverride {
    pub fn limit(&self) -> Limit {
        self.limit
    }

    pub fn value(&self) -> LimitValue {
        self.value
    }
}

/// A change `quarry org set` makes to one override.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideChange {
    /// Put this override in place (replacing the one before).
    Set(LimitOverride),
    /// Remove the override: the tier's value holds again.
    Clear(Limit),
}

impl OverrideChange {
    pub fn limit(&self) -> Limit {
        match self {
            OverrideChange::Set(o) => o.limit,
            OverrideChange::Clear(limit) => *limit,
        }
    }
}

/// The overrides an operator set on an organization; `null` where the tier's value holds.
/// `plans_per_day` is a number or `"unlimited"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct LimitOverrides {
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub requests_per_minute: Option<u32>,
    #[schema(minimum = 1, maximum = 1_000)]
    pub concurrent_jobs: Option<u32>,
    pub plans_per_day: Option<LimitValue>,
    #[schema(minimum = 1, maximum = 100_000)]
    pub sse_connections: Option<u32>,
}

impl LimitOverrides {
    /// True when no limit is overridden.
    pub fn is_empty(&self) -> bool {
        *self == LimitOverrides::default()
    }

    /// These overrides with `change` made.
    pub fn with(mut self, change: OverrideChange) -> Self {
        let value = match change {
            OverrideChange::Set(o) => Some(o.value),
            OverrideChange::Clear(_) => None,
        };
        // Only the limits that can be lifted are ever `Unlimited` (see `Limit::unlimited`).
        let count = match value {
            Some(LimitValue::Count(n)) => Some(n),
            _ => None,
        };
        match change.limit() {
            Limit::RequestsPerMinute => self.requests_per_minute = count,
            Limit::ConcurrentJobs => self.concurrent_jobs = count,
            Limit::PlansPerDay => self.plans_per_day = value,
            Limit::SseConnections => self.sse_connections = count,
        }
        self
    }

    /// The stored value of one override, as the organization item holds it (`None`: absent).
    pub(super) fn value(&self, limit: Limit) -> Option<serde_json::Value> {
        match limit {
            Limit::RequestsPerMinute => self.requests_per_minute.map(Into::into),
            Limit::ConcurrentJobs => self.concurrent_jobs.map(Into::into),
            Limit::PlansPerDay => self.plans_per_day.map(|v| serde_json::to_value(v).expect("a limit serialises")),
            Limit::SseConnections => self.sse_connections.map(Into::into),
        }
    }

    /// `limits` with these overrides put over them.
    pub fn apply(&self, limits: TierLimits) -> TierLimits {
        TierLimits {
            requests_per_minute: self.requests_per_minute.unwrap_or(limits.requests_per_minute),
            concurrent_jobs: self.concurrent_jobs.unwrap_or(limits.concurrent_jobs),
            plans_per_day: match self.plans_per_day {
                Some(LimitValue::Count(n)) => Some(n),
                Some(LimitValue::Unlimited) => None,
                None => limits.plans_per_day,
            },
            sse_connections: self.sse_connections.unwrap_or(limits.sse_connections),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Tier;

    #[test]
    fn overrides_are_parsed_within_bounds() {
        assert_eq!(Limit::RequestsPerMinute.parse("10000").unwrap().value(), LimitValue::Count(10_000));
        assert_eq!(Limit::RequestsPerMinute.parse(" 10_000 ").unwrap().value(), LimitValue::Count(10_000));
        assert_eq!(Limit::PlansPerDay.parse("Unlimited").unwrap().value(), LimitValue::Unlimited);
        for (limit, bad) in [
            (Limit::RequestsPerMinute, "0"),
            (Limit::RequestsPerMinute, "1000001"),
            (Limit::ConcurrentJobs, "-1"),
            (Limit::ConcurrentJobs, "1001"),
            (Limit::ConcurrentJobs, "unlimited"),
            (Limit::SseConnections, "5.5"),
            (Limit::PlansPerDay, "lots"),
        ] {
            let message = limit.parse(bad).unwrap_err();
            assert!(message.contains(limit.name()) && message.contains(&limit.max().to_string()), "{message}");
        }
        assert_eq!(Limit::SseConnections.parse_change("default").unwrap(), OverrideChange::Clear(Limit::SseConnections));
        assert!(Limit::SseConnections.parse_change("x").unwrap_err().contains("`default`"));
    }

    #[test]
    fn effective_limits_are_the_tiers_with_the_overrides_over_them() {
        let overrides = LimitOverrides::default()
            .with(OverrideChange::Set(Limit::RequestsPerMinute.to(10_000).unwrap()))
            .with(OverrideChange::Set(Limit::PlansPerDay.unlimited().unwrap()));
        let limits = overrides.apply(Tier::Starter.limits());
        assert_eq!(limits, TierLimits { requests_per_minute: 10_000, concurrent_jobs: 1, plans_per_day: None, sse_connections: 5 });
        let cleared = overrides.with(OverrideChange::Clear(Limit::RequestsPerMinute));
        assert_eq!(cleared.apply(Tier::Starter.limits()).requests_per_minute, 60);
        assert!(cleared.with(OverrideChange::Clear(Limit::PlansPerDay)).is_empty());
    }

    #[test]
    fn plans_per_day_is_a_number_or_unlimited() {
        let overrides = LimitOverrides { plans_per_day: Some(LimitValue::Unlimited), concurrent_jobs: Some(3), ..Default::default() };
        let json = serde_json::to_value(overrides).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"requests_per_minute": null, "concurrent_jobs": 3, "plans_per_day": "unlimited", "sse_connections": null})
        );
        assert_eq!(serde_json::from_value::<LimitOverrides>(json).unwrap(), overrides);
        let counted: LimitOverrides = serde_json::from_value(serde_json::json!({"plans_per_day": 50})).unwrap();
        assert_eq!(counted.plans_per_day, Some(LimitValue::Count(50)));
        assert!(serde_json::from_value::<LimitOverrides>(serde_json::json!({"plans_per_day": "many"})).is_err());
    }
}
